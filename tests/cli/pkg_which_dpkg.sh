#!/bin/bash
# `pkg which` against the real `dpkg -S` on this machine's dpkg database: a sample of files and directories
# from the packages' file lists (a directory is shipped by many packages: compared as sets), command names
# (looked up in the standard PATH directories), and paths no package ships.
. "$TESTS_DIR/lib.sh"
command -v dpkg >/dev/null || skip "dpkg is not installed"
ls /var/lib/dpkg/info/*.list >/dev/null 2>&1 || skip "no dpkg file lists on this machine"

# dpkg -S PATH as sorted "package path" lines (diversion lines left out: pkg which reports the shipper).
theirs() {
    LC_ALL=C dpkg -S "$1" 2>/dev/null | grep -v '^diversion by' | python3 -c "
import sys
for line in sys.stdin:
    pkgs, _, path = line.rstrip('\n').partition(': ')
    for p in pkgs.split(', '):
        print(p, path)" | sort
}
ours() {
    printf '%s' "$OUT" | python3 -c "
import json,sys
for o in json.load(sys.stdin)['owners']: print(o['package'], o['path'])" | sort
}

# Every 97th line of the concatenated lists (files and directories), at most 25, and a few fixed ones.
mapfile -t sample < <(cat /var/lib/dpkg/info/*.list | awk 'NR % 97 == 0' | grep -v '[][*?\\]' | head -25)
sample+=(/usr/bin/dpkg /bin/ls /etc /usr/share/doc /nonexistent/zs-nothing)
for path in "${sample[@]}"; do
    TIMEOUT=30 run_z --json pkg which "$path" -m apt
    want=$(theirs "$path")
    got=$(ours)
    if [ "$got" = "$want" ]; then ok; else fail "pkg which $path: [$got] vs dpkg -S [$want]"; fi
    if [ -n "$want" ]; then
        [ "$CODE" -eq 0 ] && ok || fail "pkg which $path: exit $CODE, wanted 0"
    else
        [ "$CODE" -eq 1 ] && ok || fail "pkg which $path (not shipped): exit $CODE, wanted 1"
    fi
done

# Command names, resolved as the shell would: the first NAME in PATH order (the standard directories
# when PATH has none), then each symlink hop; the owners of every file on that chain, under its name and
# its merged-/usr twin (/usr/bin/sh and /bin/sh), as dpkg -S of each.
chain() {
    python3 - "$1" <<'PY'
import os, shutil, sys
std = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
p = shutil.which(sys.argv[1], path=os.environ.get("PATH", "")) or shutil.which(sys.argv[1], path=std)
seen = []
while p and p not in seen and len(seen) < 40:
    seen.append(p)
    if not os.path.islink(p):
        break
    p = os.path.normpath(os.path.join(os.path.dirname(p), os.readlink(p)))
twins = {"/usr/bin/": "/bin/", "/usr/sbin/": "/sbin/", "/usr/lib/": "/lib/"}
out = set()
for q in seen:
    out.add(q)
    for a, b in twins.items():
        if os.path.realpath(b) != os.path.realpath(a):
            continue  # not merged-/usr: no twin
        if q.startswith(a):
            out.add(b + q[len(a):])
        elif q.startswith(b):
            out.add(a + q[len(b):])
for q in sorted(out):
    print(q)
PY
}
for cmd in ls dpkg apt-get sh zs-no-such-command; do
    want=$(chain "$cmd" | while read -r f; do theirs "$f"; done | sort -u)
    TIMEOUT=30 run_z --json pkg which "$cmd" -m apt
    got=$(ours | sort -u)
    [ "$got" = "$want" ] && ok || fail "pkg which $cmd: [$got] vs dpkg -S [$want]"
done
TIMEOUT=30 run_z pkg which ls -m apt
expect_contains "$OUT" "coreutils" "text output names the package"
TIMEOUT=30 run_z pkg which zs-no-such-command -m apt
[ "$CODE" -eq 1 ] && [ "$OUT" = "apt: no installed package ships it" ] && ok ||
    fail "pkg which of a command nothing ships: exit $CODE, [$OUT]"

finish
