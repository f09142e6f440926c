#!/usr/bin/env bash
# The real cargo and nix, searched on a machine that cannot reach their registries: each is reported
# offline (exit 3, "no manager answered"), never as "ok, 0 results". The registry is made unreachable with
# a proxy on a closed port of 127.0.0.1, which also skips zsyncctl's own registry-host DNS check, so the
# managers really run (with the retry and connect-timeout knobs from the registry) and their own failure
# is what is judged. No internet is needed; nothing outside the scratch directory is written.
. "$(dirname "$0")/lib.sh"

export https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9
export HTTP_PROXY=http://127.0.0.1:9 ALL_PROXY= all_proxy= NO_PROXY= no_proxy=
real_home=${HOME:-/root}
# rustup's cargo proxy finds its toolchains in RUSTUP_HOME; cargo's own state goes to the scratch CARGO_HOME.
export RUSTUP_HOME=${RUSTUP_HOME:-$real_home/.rustup}
export PATH="$PATH:$real_home/.cargo/bin"
export CARGO_HOME="$SCRATCH/cargo" HOME="$SCRATCH/home"
mkdir -p "$CARGO_HOME" "$HOME"

searched=0
for manager in cargo nix; do
    exe=$manager
    command -v "$exe" >/dev/null 2>&1 || { echo "note: $manager not installed; not checked"; continue; }
    # rustup installs a cargo proxy even where no toolchain is installed.
    [ "$manager" = cargo ] && ! cargo --version >/dev/null 2>&1 && {
        echo "note: cargo does not run here; not checked"
        continue
    }
    searched=$((searched + 1))
    TIMEOUT=60 run_z pkg search zstd -m "$manager" --json
    [ "$CODE" = 3 ] && ok || fail "$manager offline: exit $CODE, wanted 3 (no manager answered); $OUT $ERR"
    expect_json "[m for m in d['managers'] if m['name'] == '$manager'][0]['status'] == 'offline'" \
        "$manager offline is reported as offline"
    expect_json "[m for m in d['managers'] if m['name'] == '$manager'][0]['error']" \
        "$manager offline carries the manager's own reason"
    # The same in the text output: no "0 results".
    TIMEOUT=60 run_z pkg search zstd -m "$manager"
    expect_contains "$OUT$ERR" "offline" "$manager text report"
    case "$OUT$ERR" in
    *"0 results"* | *"no package matches"*) fail "$manager offline shown as found nothing: $OUT $ERR" ;;
    *) ok ;;
    esac
done
[ "$searched" -gt 0 ] || skip "neither cargo nor nix is installed"

finish
