#!/usr/bin/env bash
# `zsyncctl doctor --json` wall time against `zsyncctl --version`, measured in the same hyperfine run
# (-N: no shell). Prints each median, the doctor's cost over --version, and the ratio; goal: doctor
# median <= 10 ms. Also times doctor on a fixture root (no live io_uring probe) to show the probe's share.
#   bench/doctor.sh [path/to/zsyncctl] [runs]
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=${1:-build/zsyncctl}
runs=${2:-200}
command -v hyperfine >/dev/null || { echo "doctor.sh: hyperfine not installed (apt-get install hyperfine)" >&2; exit 77; }
[ -x "$exe" ] || { echo "doctor.sh: $exe is not an executable; build first" >&2; exit 2; }
fixture="$top/tests/fixtures/roots/docker-cgroup2-quota"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# doctor exits 1 when a check fails on this host; that is still a full run, so -i.
hyperfine -N -i --style none --warmup 20 --runs "$runs" --export-json "$out" \
    "$exe --version" "$exe doctor --json" "$exe --root $fixture doctor --json" >/dev/null
python3 - "$out" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]["median"]
for r in results:
    med = r["median"] * 1e3
    extra = ""
    if r is not results[0]:
        goal = "goal <= 10 ms met" if med <= 10 else "goal <= 10 ms MISSED"
        extra = f"  +{(r['median'] - base) * 1e3:5.2f} ms over --version  {r['median'] / base:5.2f}x  ({goal})"
    cmd = r["command"].replace(sys.argv[1], "")
    print(f"doctor {r['command'][-48:]:<48} median {med:6.2f} ms  "
          f"(min {r['min'] * 1e3:5.2f}, user+sys {(r['user'] + r['system']) * 1e3:5.2f} ms){extra}")
PY
