#!/usr/bin/env bash
# `zsyncctl pkg info coreutils -m apt` vs `apt-cache policy coreutils` on this machine's dpkg database and apt
# lists, interleaved pair by pair (bench/pairs.py): the ratio is zsyncctl's time over apt-cache's (lower is
# better, goal <= 1.0). apt-cache gets a warm binary cache in a scratch dir (Dir::Cache::pkgcache), as on a
# normal Debian, so the peer is honest. Both answers' installed and candidate versions are printed first.
#   bench/pkg_info.sh [path/to/zsyncctl] [rounds] [package]
set -euo pipefail
exe=${1:-build/zsyncctl}
rounds=${2:-20}
name=${3:-coreutils}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v apt-cache >/dev/null || { echo "pkg_info.sh: apt-cache missing" >&2; exit 77; }
ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || { echo "pkg_info.sh: no apt lists" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cache="-o Dir::Cache::pkgcache=$tmp/pkgcache.bin -o Dir::Cache::srcpkgcache=$tmp/srcpkgcache.bin"
# shellcheck disable=SC2086
theirs=$(apt-cache policy $cache "$name" 2>/dev/null | awk '/Installed:|Candidate:/{printf "%s ", $2}')
ours=$("$exe" pkg info "$name" -m apt --json 2>/dev/null |
    python3 -c "import json,sys; p=json.load(sys.stdin)['packages'][0]; print(p['installed_version'] or '(none)', p['candidate'] or '(none)')")
echo "$name: zsyncctl $ours, apt-cache policy $theirs"
python3 "$top/bench/pairs.py" --rounds "$rounds" --warmup 2 --goal 1.0 --label "pkg info -m apt vs apt-cache policy: " \
    "apt-cache policy $cache $name" "$exe pkg info $name -m apt"
