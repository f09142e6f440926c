#!/bin/bash
# Real apt end to end: a tiny .deb in a local repository, installed and removed through zsyncctl into a
# scratch dpkg root (--root makes the plan add apt's Dir=… and dpkg's --root/--admindir options).
. "$TESTS_DIR/lib.sh"

for tool in apt-get dpkg-deb dpkg-scanpackages dpkg-query; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages apt, dpkg-dev)"
done

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

mkdir -p "$R/etc/apt/sources.list.d" "$R/etc/apt/preferences.d" "$R/etc/apt/apt.conf.d" \
    "$R/var/lib/apt/lists/partial" "$R/var/cache/apt/archives/partial" "$R/var/lib/dpkg/updates" \
    "$R/var/lib/dpkg/info" "$R/var/log"
: >"$R/var/lib/dpkg/status"
echo "deb [trusted=yes] file:$T/repo ./" >"$R/etc/apt/sources.list"

# The index update is not part of pkg install; run it with the same options the plan uses.
opts=$("$ZSYNCCTL" --json --root "$R" pkg install -n apt:zs-hello | python3 -c "
import json,sys
a=json.load(sys.stdin)['argv']
print('\n'.join(a[i+1] for i,x in enumerate(a) if x=='-o' and a[i+1].startswith(('Dir','DPkg::Options::=--root','DPkg::Options::=--admindir','DPkg::Options::=--force-not-root','Debug'))))")
args=()
while IFS= read -r o; do args+=(-o "$o"); done <<<"$opts"
timeout 60 apt-get -q "${args[@]}" update >"$T/update.log" 2>&1 || { fail "apt-get update failed: $(tail -5 "$T/update.log")"; finish; }

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
check "any(e['phase']=='install' and e['package']=='zs-hello' for e in p)" "remove progress events"
check "p[-1]['percent']==100 and ev[-1]['exit_code']==0" "remove done"
[ ! -e "$R/usr/share/zs-hello/hello.txt" ] && ok || fail "the package's file is still there after remove"

TIMEOUT=120 expect_exit 1 "installing a missing package fails" --root "$R" pkg install --yes apt:zs-nosuch
expect_contains "$ERR" "apt failed with exit code 100" "apt's exit code in the message"
expect_contains "$ERR" "Unable to locate package" "apt's last lines shown"

finish
