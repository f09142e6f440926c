#!/usr/bin/env bash
# `zsyncctl pkg list` over every detected manager vs the slowest of those managers' own listings
# (dpkg-query -W, pacman -Q, npm ls -g, rpm -qa, pip list, gem list, ...), interleaved pair by pair
# (bench/pairs.py): the ratio is zsyncctl's time over that one listing's (lower is better, goal <= 1.0:
# every manager is read at once, so the whole inventory costs no more than its slowest part). With a
# second binary (e.g. main's, which read the managers one after another), it runs in the same pairs.
#   bench/pkg_list_all.sh [path/to/zsyncctl] [rounds] [path/to/before/zsyncctl]
set -euo pipefail
exe=${1:-build/zsyncctl}
rounds=${2:-20}
before=${3:-}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Each manager's own listing of what is installed (list-outdated-upgrade.md), by registry id.
declare -A OWN=(
    [apt]="dpkg-query -W" [dpkg]="dpkg-query -W" [pacman]="pacman -Q" [npm]="npm ls -g --depth=0 --json"
    [dnf]="rpm -qa" [zypper]="rpm -qa" [rpm]="rpm -qa" [pip]="python3 -m pip list --format=json"
    [gem]="gem list --local" [cargo]="cargo install --list" [flatpak]="flatpak list" [apk]="apk info -v"
)
managers=$("$exe" --json pkg list 2>/dev/null |
    python3 -c "import json,sys; print(' '.join(m['name'] for m in json.load(sys.stdin)['managers'] if m['status']=='ok'))")
[ -n "$managers" ] || { echo "pkg_list_all.sh: zsyncctl reads no manager here" >&2; exit 77; }
# The slowest own listing: the median of 3 runs each.
slowest="" slowest_ms=0
for m in $managers; do
    cmd=${OWN[$m]:-}
    [ -n "$cmd" ] && command -v "${cmd%% *}" >/dev/null || continue
    ms=$(python3 - "$cmd" <<'PY'
import shlex, statistics, subprocess, sys, time
argv = shlex.split(sys.argv[1])
times = []
for _ in range(3):
    t = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
print(int(statistics.median(times)))
PY
)
    echo "  $m: $cmd  ${ms} ms"
    if [ "$ms" -ge "$slowest_ms" ]; then slowest="$cmd" slowest_ms=$ms; fi
done
[ -n "$slowest" ] || { echo "pkg_list_all.sh: no manager's own listing runs here" >&2; exit 77; }
echo "managers zsyncctl lists: $managers; the slowest own listing: $slowest"
cmds=("$exe -q pkg list")
[ -n "$before" ] && cmds+=("$before -q pkg list")
python3 "$top/bench/pairs.py" --rounds "$rounds" --warmup 2 --goal 1.0 \
    --label "pkg list (all managers) vs the slowest own listing ($slowest): " "$slowest" "${cmds[@]}"
