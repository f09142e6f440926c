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
# An essential package: apt-get -y refuses to remove it (and whatever would take it along).
mkdir -p "$T/ess/DEBIAN" "$T/ess/usr/share/zs-ess"
cat >"$T/ess/DEBIAN/control" <<CTL
Package: zs-ess
Version: 1.0
Architecture: all
Essential: yes
Maintainer: zsyncctl tests <tests@example.invalid>
Description: An essential test package for zsyncctl pkg remove
CTL
echo ess >"$T/ess/usr/share/zs-ess/ess.txt"
dpkg-deb -b "$T/ess" "$T/repo/zs-ess_1.0_all.deb" >/dev/null || fail "dpkg-deb zs-ess failed"
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

# An essential package: zsyncctl refuses to remove it exactly when apt-get -y itself would (the oracle: the
# plan's own command, run here, refuses with apt's words and leaves it installed).
TIMEOUT=120 expect_exit 0 "install the essential package" --root "$R" pkg install --yes apt:zs-ess
TIMEOUT=120 expect_exit 1 "removing an essential package is refused" --root "$R" pkg remove --yes apt:zs-ess
expect_contains "$ERR" "essential package zs-ess" "the refusal says why"
expect_contains "$ERR" "nothing was changed" "and that nothing ran"
status=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Status}' zs-ess 2>&1)
[ "$status" = "install ok installed" ] && ok || fail "zs-ess after the refused remove: $status"
TIMEOUT=120 expect_exit 1 "the dry run says it too" --json --root "$R" pkg remove -n apt:zs-ess
printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if "essential package zs-ess" in d["error"] and "transaction" not in d else 1)' &&
    ok || fail "dry run JSON: ${OUT:0:600}"
argv=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["argv"]))')
mapfile -t cmd <<<"$argv"
# The plan's argv with its status-fd option dropped (no fd 3 here): what zsyncctl would have run.
oracle=()
for ((i = 0; i < ${#cmd[@]}; i++)); do
    if [ "${cmd[$i]}" = -o ] && [ "${cmd[$((i + 1))]}" = "APT::Status-Fd=3" ]; then i=$((i + 1)); continue; fi
    oracle+=("${cmd[$i]}")
done
[ "${oracle[0]}" = apt-get ] && printf '%s\n' "${oracle[@]}" | grep -q '^Dir=' && ok ||
    fail "the plan's argv is not apt-get inside the root: ${oracle[*]}"
if [ "${oracle[0]}" = apt-get ] && printf '%s\n' "${oracle[@]}" | grep -q '^Dir='; then
    timeout 60 "${oracle[@]}" >"$T/oracle.log" 2>&1
    code=$?
    [ "$code" != 0 ] && grep -q "allow-remove-essential" "$T/oracle.log" && ok ||
        fail "apt-get -y itself did not refuse (exit $code): $(tail -3 "$T/oracle.log")"
    status=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Status}' zs-ess 2>&1)
    [ "$status" = "install ok installed" ] && ok || fail "zs-ess after apt-get's own refusal: $status"
fi

TIMEOUT=120 expect_exit 1 "installing a missing package fails" --root "$R" pkg install --yes apt:zs-nosuch
# apt's own simulation finds no such package: nothing runs, apt's words are shown.
expect_contains "$ERR" "apt cannot install zs-nosuch" "the failure names the manager"
expect_contains "$ERR" "Unable to locate package" "apt's own words shown"

finish
