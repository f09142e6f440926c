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

# Command names: the owners of <dir>/NAME for the standard PATH directories, as dpkg -S of each.
for cmd in ls dpkg apt-get sh zs-no-such-command; do
    want=$(for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do theirs "$d/$cmd"; done | sort)
    TIMEOUT=30 run_z --json pkg which "$cmd" -m apt
    [ "$(ours)" = "$want" ] && ok || fail "pkg which $cmd: [$(ours)] vs dpkg -S [$want]"
done
TIMEOUT=30 run_z pkg which ls -m apt
expect_contains "$OUT" "coreutils" "text output names the package"
TIMEOUT=30 run_z pkg which zs-no-such-command -m apt
[ "$CODE" -eq 1 ] && [ "$OUT" = "apt: no installed package ships it" ] && ok ||
    fail "pkg which of a command nothing ships: exit $CODE, [$OUT]"

finish
