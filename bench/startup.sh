#!/usr/bin/env bash
# Process start-up of zsyncctl against /bin/true, measured in the same hyperfine run (-N: no shell).
# Prints each command's wall-clock median and its ratio to /bin/true's (goal: <= 2.5x), plus the mean
# CPU time (user+system) ratio, which stays meaningful on a loaded machine where wall time is noise.
#   bench/startup.sh [path/to/zsyncctl] [runs]
set -euo pipefail
exe=${1:-build/zsyncctl}
runs=${2:-300}
command -v hyperfine >/dev/null || { echo "startup.sh: hyperfine not installed (apt-get install hyperfine)" >&2; exit 77; }
[ -x "$exe" ] || { echo "startup.sh: $exe is not an executable; build first" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
hyperfine -N --style none --warmup 30 --runs "$runs" --export-json "$out" \
    /bin/true "$exe --version" "$exe --help" >/dev/null
python3 - "$out" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]["median"]
base_cpu = results[0]["user"] + results[0]["system"]
for r in results:
    ratio = r["median"] / base
    cpu = r["user"] + r["system"]
    goal = "" if r is results[0] else ("(goal <= 2.5x met)" if ratio <= 2.5 else "(goal <= 2.5x MISSED)")
    print(f"startup {r['command']:<34} wall median {r['median'] * 1e3:6.2f} ms {ratio:5.2f}x   "
          f"cpu mean {cpu * 1e3:5.2f} ms {cpu / base_cpu:5.2f}x /bin/true {goal}")
PY
