#!/usr/bin/env bash
# `zsyncctl pkg managers --json` warm (detection cache hit) and cold (--no-cache: full detection) against
# `zsyncctl --version` (process start-up only), interleaved pair by pair (bench/pairs.py). Goal: warm
# <= 1.1x --version.
#   bench/pkg_managers.sh [path/to/zsyncctl] [rounds]
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=${1:-build/zsyncctl}
rounds=${2:-200}
[ -x "$exe" ] || { echo "pkg_managers.sh: $exe is not an executable; build first" >&2; exit 2; }
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
# The cache for the warm runs, filled in the environment of the timed runs (it is keyed on PATH and the
# environment, which a pyenv python3 shim changes).
python3 "$top/bench/pairs.py" --label pkg-managers --rounds "$rounds" --goal 1.1 --env "XDG_CACHE_HOME=$cache" \
    --prepare "$exe pkg managers" "$exe --version" "$exe pkg managers --json"
python3 "$top/bench/pairs.py" --label pkg-managers --rounds "$rounds" --env "XDG_CACHE_HOME=$cache" \
    "$exe --version" "$exe pkg managers --json --no-cache"
