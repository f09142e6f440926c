#!/usr/bin/env bash
# Process start-up of zsyncctl against /bin/true, interleaved pair by pair (bench/pairs.py: A B A B ...,
# the ratio taken per pair, so a machine whose load changes affects both alike). Goal: --version <= 1.8x
# /bin/true with a peak RSS <= 3 MiB.
#   bench/startup.sh [path/to/zsyncctl] [rounds]
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=${1:-build/zsyncctl}
rounds=${2:-300}
[ -x "$exe" ] || { echo "startup.sh: $exe is not an executable; build first" >&2; exit 2; }
python3 "$top/bench/pairs.py" --label startup --rounds "$rounds" --goal 1.8 --rss-goal 3 \
    /bin/true "$exe --version"
python3 "$top/bench/pairs.py" --label startup --rounds "$rounds" /bin/true "$exe --help"
