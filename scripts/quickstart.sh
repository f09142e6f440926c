#!/usr/bin/env bash
# One command from a fresh clone to a running zsyncctl:
#   scripts/quickstart.sh doctor   install missing build dependencies, build, run `zsyncctl doctor`
#   scripts/quickstart.sh test     install missing build+test dependencies, build, run the whole test suite
#   scripts/quickstart.sh build    install missing build dependencies and build only
# Idempotent: packages already present are not reinstalled, an existing build dir is reused.
# Env: BUILD_DIR (default build), SKIP_DEPS=1 to never touch the package manager, MESON_ARGS (extra
# `meson setup` arguments for a new build dir, e.g. -Dwerror=true as CI uses).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
cd "$top"
what=${1:-doctor}
shift || true
BUILD_DIR=${BUILD_DIR:-build}
# shellcheck source=deps.sh
. "$here/deps.sh"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "quickstart: need root to install packages; run as root or install sudo" >&2
        exit 1
    fi
}

# Downloads and unpacks TEST_UNPACK_APT (files for tests, not installed); a failure only makes those
# tests skip their part.
unpack_test_debs() {
    local cache=${HOME:-/root}/.cache/zsyncctl-test-debs p tmp
    for p in "${TEST_UNPACK_APT[@]}"; do
        [ -d "$cache/$p" ] && continue
        tmp=$(mktemp -d)
        chmod 755 "$tmp" # apt's download sandbox user writes here
        if (cd "$tmp" && apt-get download -q "$p" >/dev/null 2>&1) ||
            { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
                (cd "$tmp" && apt-get download -q "$p" >/dev/null 2>&1); }; then
            mkdir -p "$cache" && dpkg-deb -x "$tmp"/"$p"_*.deb "$cache/$p.part" && mv "$cache/$p.part" "$cache/$p"
        else
            echo "quickstart: could not download $p (tests that need its files skip that part)" >&2
        fi
        rm -rf "$tmp"
    done
}

install_deps() {
    local with_tests=$1
    [ "${SKIP_DEPS:-0}" = 1 ] && return 0
    if command -v apt-get >/dev/null 2>&1; then
        local want=("${BUILD_APT[@]}") missing=()
        [ "$with_tests" = 1 ] && want+=("${TEST_APT[@]}")
        for p in "${want[@]}"; do
            dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
        done
        if [ "${#missing[@]}" -gt 0 ]; then
            echo "quickstart: installing ${missing[*]}" >&2
            as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
        fi
        if [ "$with_tests" = 1 ]; then
            unpack_test_debs
        fi
    elif command -v dnf >/dev/null 2>&1; then
        local want=("${BUILD_DNF[@]}")
        [ "$with_tests" = 1 ] && want+=("${TEST_DNF[@]}")
        rpm -q "${want[@]}" >/dev/null 2>&1 || as_root dnf install -y "${want[@]}"
    elif command -v pacman >/dev/null 2>&1 && [ -f /etc/arch-release ]; then
        local want=("${BUILD_PACMAN[@]}")
        [ "$with_tests" = 1 ] && want+=("${TEST_PACMAN[@]}")
        pacman -Q "${want[@]}" >/dev/null 2>&1 || as_root pacman -S --needed --noconfirm "${want[@]}"
    else
        echo "quickstart: no supported package manager (apt, dnf, pacman); install the packages in scripts/deps.sh by hand" >&2
    fi
}

build() {
    if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        # shellcheck disable=SC2086 # MESON_ARGS is a word list on purpose
        meson setup "$BUILD_DIR" ${MESON_ARGS:-} "$@"
    fi
    meson compile -C "$BUILD_DIR"
}

case "$what" in
doctor)
    install_deps 0
    build
    exec "$BUILD_DIR/zsyncctl" doctor "$@"
    ;;
build)
    install_deps 0
    build "$@"
    ;;
test)
    install_deps 1
    build
    rc=0
    meson test -C "$BUILD_DIR" --print-errorlogs "$@" || rc=$?
    python3 "$here/test_summary.py" "$BUILD_DIR"
    exit "$rc"
    ;;
*)
    echo "usage: scripts/quickstart.sh doctor|test|build [ARGS...]" >&2
    exit 2
    ;;
esac
