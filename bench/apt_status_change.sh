#!/usr/bin/env bash
# Search right after a dpkg status change vs a warm search (issue 16 goal: <= 2x), on a scratch copy of this
# machine's apt setup (lists, sources, dpkg status; the host's files are only read). Both sides are the same
# command; before each "changed" run, bench/pairs.py gives the copy's status file a new modification time
# outside the timed span (--touch), so the index must refresh the installed state and no `touch` process
# is counted (it was: one more exec, ~2 ms of a 30 ms run here, in the changed side only). With a second
# binary (e.g. the build before a change), its warm and changed runs are interleaved in the same rounds,
# each on its own copy. Ratios per pair (bench/pairs.py).
#   bench/apt_status_change.sh [path/to/zsyncctl] [path/to/other-zsyncctl] [rounds] [query]
set -euo pipefail
exe=$(realpath "${1:-build-rel/zsyncctl}")
other=${2:-}
rounds=${3:-10}
query=${4:-zstd}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ -d /var/lib/apt/lists ] && [ -f /var/lib/dpkg/status ] || { echo "apt_status_change.sh: no apt here" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One scratch copy per binary: a `touch` for one must not make the other's next warm run a changed one.
copy_root() {
    mkdir -p "$1/var/lib/apt" "$1/var/lib/dpkg/updates" "$1/etc"
    cp -r /etc/apt "$1/etc/apt"
    cp -r /var/lib/apt/lists "$1/var/lib/apt/lists" 2>/dev/null || true
    cp -p /var/lib/dpkg/status "$1/var/lib/dpkg/status"
    [ -f /var/lib/dpkg/arch ] && cp /var/lib/dpkg/arch "$1/var/lib/dpkg/arch"
    return 0
}
cmds=()
touches=()
n=0
for e in "$exe" ${other:+"$(realpath "$other")"}; do
    n=$((n + 1))
    r="$tmp/hostcopy$n"
    copy_root "$r"
    # One cache directory for both: each root has its own index files in it.
    XDG_CACHE_HOME="$tmp/cache" "$e" --root "$r" pkg search "$query" --manager apt >/dev/null 2>&1 || true
    search="$e --root $r pkg search $query --manager apt"
    cmds+=("$search" "$search")
    touches+=(--touch "$((2 * n - 1))=$r/var/lib/dpkg/status")
done
echo "commands: 1 = $exe warm (base), 2 = $exe after a status change${other:+, 3 = $other warm, 4 = $other after a status change}"
python3 "$top/bench/pairs.py" --label "status change" --rounds "$rounds" --warmup 2 --env "XDG_CACHE_HOME=$tmp/cache" \
    "${touches[@]}" "${cmds[@]}"
