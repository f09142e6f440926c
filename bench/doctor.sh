#!/usr/bin/env bash
# `zsyncctl doctor --json` against `zsyncctl --version`, interleaved pair by pair (bench/pairs.py), so the
# ratio is doctor's own cost over process start-up, without and with a detection cache. Goal: <= 1.2x.
# Also doctor on a fixture root (no live io_uring probe) to show the probe's share.
#   bench/doctor.sh [path/to/zsyncctl] [rounds]
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=${1:-build/zsyncctl}
rounds=${2:-200}
[ -x "$exe" ] || { echo "doctor.sh: $exe is not an executable; build first" >&2; exit 2; }
fixture="$top/tests/fixtures/roots/docker-cgroup2-quota"
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
# doctor exits 1 when a check fails on this host; that is still a full run, so --any-exit.
# Cold: no detection cache, so doctor detects every manager itself (it never writes the cache).
python3 "$top/bench/pairs.py" --label doctor-cold --any-exit --rounds "$rounds" --goal 1.2 \
    --env "XDG_CACHE_HOME=$cache" "$exe --version" "$exe doctor --json" "$exe --root $fixture doctor --json"
# Warm: a valid detection cache left by an earlier command, which doctor reads without detecting again.
# Filled by pairs.py in the environment of the timed runs (the cache is keyed on PATH and the environment).
python3 "$top/bench/pairs.py" --label doctor-warm --any-exit --rounds "$rounds" --goal 1.2 \
    --env "XDG_CACHE_HOME=$cache" --prepare "$exe pkg managers" "$exe --version" "$exe doctor --json"
