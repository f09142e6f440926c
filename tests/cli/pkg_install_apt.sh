#!/bin/bash
# Real apt end to end: a tiny .deb in a local repository, installed and removed through zsyncctl into a
# scratch dpkg root (--root makes the plan add apt's Dir=… and dpkg's --root/--admindir options).
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/apt_scratch.sh"

T="$SCRATCH"
R="$T/root"
mkdir -p "$T/pkg/DEBIAN" "$T/pkg/usr/share/zs-hello" "$T/repo"
cat >"$T/pkg/DEBIAN/control" <<CTL
Package: zs-hello
Version: 1.0
Architecture: all
Maintainer: zsyncctl tests <tests@example.invalid>
Description: A test package for zsyncctl pkg install
CTL
echo hello >"$T/pkg/usr/share/zs-hello/hello.txt"
dpkg-deb -b "$T/pkg" "$T/repo/zs-hello_1.0_all.deb" >/dev/null || fail "dpkg-deb failed"
(cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages failed"

apt_scratch_root "$R" "$T/repo"
why=$(apt_update "$R" zs-hello) || { fail "apt-get update failed: $why"; finish; }

TIMEOUT=120 expect_exit 0 "install through zsyncctl" --json --root "$R" pkg install --yes apt:zs-hello
check() {
    if printf '%s' "$OUT" | python3 -c "
import json,sys
ev=[json.loads(l) for l in sys.stdin.read().splitlines() if l.strip()]
p=[e for e in ev if e['event']=='progress']
sys.exit(0 if ($1) else 1)"; then ok; else fail "$2: $1 on: ${OUT:0:800}"; fi
}
check "any(e['phase']=='download' for e in p)" "download phase events"
check "any(e['phase']=='install' and e['package']=='zs-hello' for e in p)" "install phase events"
check "all(a['percent']<=b['percent'] for a,b in zip(p,p[1:]) if a['percent'] is not None and b['percent'] is not None)" "monotonic percentages"
check "p[-1]['percent']==100" "reaches 100"
check "ev[-1]['event']=='done' and ev[-1]['manager']=='apt' and ev[-1]['exit_code']==0" "done with exit 0"
[ -f "$R/usr/share/zs-hello/hello.txt" ] && ok || fail "the package's file is not in the scratch root"
status=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Status}' zs-hello 2>&1)
[ "$status" = "install ok installed" ] && ok || fail "dpkg status after install: $status"

TIMEOUT=120 expect_exit 0 "remove through zsyncctl" --json --root "$R" pkg remove --yes apt:zs-hello
check "any(e['phase']=='remove' and e['package']=='zs-hello' for e in p)" "remove progress events"
check "p[-1]['percent']==100 and ev[-1]['exit_code']==0" "remove done"
[ ! -e "$R/usr/share/zs-hello/hello.txt" ] && ok || fail "the package's file is still there after remove"

TIMEOUT=120 expect_exit 1 "installing a missing package fails" --root "$R" pkg install --yes apt:zs-nosuch
# apt's own simulation finds no such package: nothing runs, apt's words are shown.
expect_contains "$ERR" "apt cannot install zs-nosuch" "the failure names the manager"
expect_contains "$ERR" "Unable to locate package" "apt's own words shown"

finish
