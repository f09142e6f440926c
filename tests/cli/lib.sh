# Helpers for the end-to-end tests. Source it; each test script then calls pass/fail helpers and
# ends with `finish`. Exit 77 means skipped (meson counts it as such), with the reason printed.
set -u

: "${ZSYNCCTL:?ZSYNCCTL must point at the built binary}"
TESTS_DIR=${TESTS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
export LC_ALL=C
unset NO_COLOR ZSYNCCTL_ROOT ZSYNCCTL_OS ZSYNCCTL_ARCH ZSYNCCTL_IO_BACKEND

# The scripts' own Python (JSON checks, oracles' output, local servers): the interpreter behind `python3` on
# PATH, by its own path (tests/meson.build sets ZS_PYTHON; a script run by hand finds it here). A version
# manager's shim in front of it (pyenv's runs bash and pyenv) costs 0.39 s of CPU a start here against
# 0.04 s. An alias, not a function: `python3 server.py &` stays one process, so `$!` is Python's PID. Only
# the scripts' own `python3` is this: what zsyncctl and the managers find on PATH is untouched.
if [ -z "${ZS_PYTHON:-}" ]; then
    ZS_PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || ZS_PYTHON=
fi
export ZS_PYTHON
if [ -n "$ZS_PYTHON" ] && [ -x "$ZS_PYTHON" ]; then
    shopt -s expand_aliases
    alias python3='"$ZS_PYTHON"'
fi

# The packages the scripts build (dpkg-deb -b) are gzip -1, not dpkg's default xz -6: xz's encoder sets up
# tens of MB of match tables for each of a few bytes of payload, and faulting those pages in is what a build
# cost here (pkg_outdated_phased, 213 dpkg-deb runs: 31.2 -> 7.1 s of CPU for the whole script; the
# release suite's dpkg-deb 89 -> 7 s). dpkg, apt and dpkg-scanpackages read either.
export DPKG_DEB_COMPRESSOR_TYPE=gzip DPKG_DEB_COMPRESSOR_LEVEL=1

# Under AddressSanitizer (CI's second build), the leak check at each exit stops the process and scans its
# memory: 85 of the 146 ms of CPU an instrumented `zsyncctl --version` costs here, paid at each of the
# ASan run's ~1,200 starts. A command's leak ends with the command, so the scripts check leaks only where a
# process lives on: `zsyncctl serve` (the serve*.sh scripts). The unit tests and the fuzz targets keep
# the check (.ci/run's ASAN_OPTIONS); a later detect_leaks overrides an earlier one.
case "${ZS_SANITIZE:-none}:$(basename "$0")" in
*address*:serve*.sh) ;;
*address*) export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" ;;
esac

# A script's background job starts with SIGINT and SIGQUIT ignored (bash does that without job control),
# and zsyncctl keeps ignoring a signal it was started with ignored (nohup relies on it; see the man page).
# A test that sends either to a job starts it as `"${INTERRUPTIBLE[@]}" "$ZSYNCCTL" ... &`: env resets both
# and execs the command, so `$!` is still its pid.
# shellcheck disable=SC2034
INTERRUPTIBLE=(env "--default-signal=INT,QUIT")

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/zsyncctl-e2e.XXXXXX")
export XDG_CACHE_HOME="$SCRATCH/cache"
trap 'rm -rf "$SCRATCH"' EXIT
FAILURES=0
CHECKS=0

fail() {
    FAILURES=$((FAILURES + 1))
    printf 'FAIL: %s\n' "$*" >&2
}

ok() {
    CHECKS=$((CHECKS + 1))
}

skip() {
    printf 'SKIP: %s\n' "$*"
    exit 77
}

# wait_exit PID SECONDS: waits for a background zsyncctl, killing it after SECONDS; sets CODE.
wait_exit() {
    local deadline=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.05
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1"
    CODE=$?
}

# test_user: sets U to the unprivileged user the root-safety tests run as or impersonate (zsyncctl-priv, a
# system user without a home, created when missing); skips the test when it cannot be created.
test_user() {
    U=zsyncctl-priv
    if ! id -u "$U" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$U" ||
            skip "cannot create the test user $U"
    fi
}

# run_z ARGS...: runs zsyncctl with a deadline, capturing stdout/stderr/exit code in OUT, ERR, CODE.
# TIMEOUT (seconds, default 10) bounds it; a timeout shows up as CODE 124.
run_z() {
    local t=${TIMEOUT:-10}
    OUT=$(timeout -k 2 "$t" "$ZSYNCCTL" "$@" 2>"$SCRATCH/stderr")
    CODE=$?
    ERR=$(cat "$SCRATCH/stderr")
}

# expect_exit CODE DESCRIPTION ARGS...: runs zsyncctl and checks its exit code.
expect_exit() {
    local want=$1 what=$2
    shift 2
    run_z "$@"
    if [ "$CODE" -eq "$want" ]; then ok; else fail "$what: exit $CODE, wanted $want (stderr: ${ERR:0:300})"; fi
}

# expect_contains HAYSTACK NEEDLE DESCRIPTION
expect_contains() {
    case "$1" in
    *"$2"*) ok ;;
    *) fail "$3: '${2}' not found in: ${1:0:400}" ;;
    esac
}

# same WHAT OURS THEIRS: one check that zsyncctl's answer equals the oracle's, with the first lines of the
# difference on failure.
same() {
    if [ "$2" = "$3" ]; then ok; else
        fail "$1 differs:"
        diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | head -20 >&2
    fi
}

# pyenv_shims PYENV_ROOT NAME...: writes the shims exactly as `pyenv rehash` does (PYENV_ROOT/libexec/pyenv
# need not exist: zsyncctl reads a shim, never runs it).
pyenv_shims() {
    local root=$1 name
    shift
    mkdir -p "$root/shims"
    for name in "$@"; do
        cat >"$root/shims/$name" <<SHIM
#!/usr/bin/env bash
set -e
[ -n "\$PYENV_DEBUG" ] && set -x

program="\${0##*/}"

export PYENV_ROOT="$root"
exec "$root/libexec/pyenv" exec "\$program" "\$@"
SHIM
        chmod 755 "$root/shims/$name"
    done
}

# expect_json EXPR DESCRIPTION: evaluates a Python expression over the JSON in $OUT (bound as `d`).
expect_json() {
    if printf '%s' "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)" 2>/dev/null; then
        ok
    else
        fail "$2: JSON check failed: $1 on: ${OUT:0:400}"
    fi
}

finish() {
    if [ "$FAILURES" -ne 0 ]; then
        printf '%d of %d checks failed\n' "$FAILURES" "$((CHECKS + FAILURES))" >&2
        exit 1
    fi
    printf 'all %d checks passed\n' "$CHECKS"
    exit 0
}
