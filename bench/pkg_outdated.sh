#!/usr/bin/env bash
# `zsyncctl pkg outdated -m apt` vs `apt list --upgradable` on this machine's dpkg database and apt lists,
# interleaved pair by pair (bench/pairs.py): the ratio is zsyncctl's time over apt's (lower is better,
# goal <= 1.0: the native reader must not be slower than apt with its binary cache). apt is given a warm
# binary cache in a scratch dir (Dir::Cache::pkgcache), as on a normal Debian, so the peer is honest.
# zsyncctl exits 100 when something is outdated, hence --any-exit.
#   bench/pkg_outdated.sh [path/to/zsyncctl] [rounds]
set -euo pipefail
exe=${1:-build/zsyncctl}
rounds=${2:-20}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v apt >/dev/null || { echo "pkg_outdated.sh: apt missing" >&2; exit 77; }
ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || { echo "pkg_outdated.sh: no apt lists" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cache=(-o "Dir::Cache::pkgcache=$tmp/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$tmp/srcpkgcache.bin")
apt list --upgradable "${cache[@]}" >/dev/null 2>&1 # builds apt's binary cache once
# (The timed apt runs set Apt::Cmd::Disable-Script-Warning: without a terminal apt warns on stderr at each
# run that its CLI is not stable, hundreds of lines among the results.)
ours=$("$exe" pkg outdated -m apt --json 2>/dev/null | python3 -c "import json,sys; print(len(json.load(sys.stdin)['outdated']))" || true)
theirs=$(apt list --upgradable "${cache[@]}" 2>/dev/null | grep -c 'upgradable from' || true)
echo "outdated packages: zsyncctl $ours, apt list --upgradable $theirs"
python3 "$top/bench/pairs.py" --rounds "$rounds" --warmup 2 --any-exit --goal 1.0 --label "pkg outdated -m apt vs apt list --upgradable: " \
    "apt list --upgradable -o Dir::Cache::pkgcache=$tmp/pkgcache.bin -o Dir::Cache::srcpkgcache=$tmp/srcpkgcache.bin -o Apt::Cmd::Disable-Script-Warning=true" \
    "$exe pkg outdated -m apt"
