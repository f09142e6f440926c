#!/usr/bin/env bash
# `zsyncctl pkg managers` cold (--no-cache: full detection) and warm (cache hit) against
# `zsyncctl --version` (process start-up only), in one hyperfine run (-N: no shell). Goal: warm <= 5 ms.
# Prints each command's wall median, the extra time over --version, and the CPU time, which stays
# meaningful on a loaded machine where wall time is noise.
#   bench/pkg_managers.sh [path/to/zsyncctl] [runs]
set -euo pipefail
exe=${1:-build/zsyncctl}
runs=${2:-200}
command -v hyperfine >/dev/null || { echo "pkg_managers.sh: hyperfine not installed (apt-get install hyperfine)" >&2; exit 77; }
[ -x "$exe" ] || { echo "pkg_managers.sh: $exe is not an executable; build first" >&2; exit 2; }
out=$(mktemp)
cache=$(mktemp -d)
trap 'rm -rf "$out" "$cache"' EXIT
export XDG_CACHE_HOME=$cache
"$exe" pkg managers >/dev/null # fill the cache for the warm runs
hyperfine -N --style none --warmup 20 --runs "$runs" --export-json "$out" \
    "$exe --version" "$exe pkg managers" "$exe pkg managers --no-cache" >/dev/null
python3 - "$out" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]["median"]
for r in results:
    cpu = r["user"] + r["system"]
    extra = (r["median"] - base) * 1e3
    goal = ""
    if r["command"].endswith("pkg managers"):
        goal = "(goal warm <= 5 ms: met)" if r["median"] * 1e3 <= 5 else "(goal warm <= 5 ms: MISSED on wall time)"
    print(f"pkg-managers {r['command'].split('zsyncctl', 1)[1].strip():<26} wall median {r['median'] * 1e3:6.2f} ms "
          f"({r['median'] / base:4.2f}x --version, +{extra:5.2f} ms)  cpu mean {cpu * 1e3:5.2f} ms {goal}")
PY
