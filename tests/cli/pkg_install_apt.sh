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

# A package file given as a path (apt's ./x.deb): its kind names apt, nothing is searched, and apt installs
# the file (dpkg's own database is the oracle).
mkdir -p "$T/file/DEBIAN" "$T/file/usr/share/zs-file"
printf 'Package: zs-file\nVersion: 3.1\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: from a file\n' \
    >"$T/file/DEBIAN/control"
echo file >"$T/file/usr/share/zs-file/f.txt"
dpkg-deb -b "$T/file" "$T/zs-file_3.1_all.deb" >/dev/null || fail "dpkg-deb zs-file failed"
# An image with apt in it (as a Debian image has; nothing in the image is run: the host's apt operates on it).
TIMEOUT=30 expect_exit 1 "no apt in the image: the file's manager is not here" --root "$R" pkg install --yes "$T/zs-file_3.1_all.deb"
expect_contains "$ERR" "no manager that installs" "says which manager is missing"
mkdir -p "$R/usr/bin"
cp /bin/true "$R/usr/bin/apt-get"
cd "$T" || fail "cd $T"
TIMEOUT=120 expect_exit 0 "install a .deb by its path" --root "$R" pkg install --yes ./zs-file_3.1_all.deb
expect_contains "$ERR" "using apt: it installs ./zs-file_3.1_all.deb" "the file's kind chose apt"
case "$ERR" in *"looking for"*) fail "a package file was searched for: $ERR" ;; *) ok ;; esac
status=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Status} ${Version}' zs-file 2>&1)
[ "$status" = "install ok installed 3.1" ] && ok || fail "dpkg status of the installed file: $status"
# As root, a package file another user could replace between the simulation and the run is refused, by
# its path with or without -m: its scripts would run as root.
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null; then
    test_user
    sed -i 's/^Package: zs-file/Package: zs-theirs/' "$T/file/DEBIAN/control"
    dpkg-deb -b "$T/file" "$T/zs-theirs_3.1_all.deb" >/dev/null || fail "dpkg-deb zs-theirs failed"
    chown "$U" "$T/zs-theirs_3.1_all.deb"
    TIMEOUT=60 expect_exit 2 "root and another user's package file" --root "$R" pkg install --yes ./zs-theirs_3.1_all.deb
    expect_contains "$ERR" "another user controls the file" "the refusal says why"
    TIMEOUT=60 expect_exit 2 "the same with -m apt" --root "$R" pkg install --yes -m apt ./zs-theirs_3.1_all.deb
    chown root "$T/zs-theirs_3.1_all.deb"
    chmod 666 "$T/zs-theirs_3.1_all.deb"
    TIMEOUT=60 expect_exit 2 "root and a package file anyone may write" --root "$R" pkg install --yes ./zs-theirs_3.1_all.deb
    [ -z "$(dpkg-query --admindir="$R/var/lib/dpkg" -W zs-theirs 2>/dev/null)" ] && ok || fail "zs-theirs was installed"
fi
TIMEOUT=60 expect_exit 2 "a path that is no file" --root "$R" pkg install --yes ./zs-nosuch.deb
expect_contains "$ERR" "no package file ./zs-nosuch.deb" "says the file is missing"
TIMEOUT=60 expect_exit 2 "a file of no known kind" --root "$R" pkg install --yes "$T/file/DEBIAN/control"
TIMEOUT=60 expect_exit 2 "a path to remove" --root "$R" pkg remove --yes ./zs-file_3.1_all.deb

TIMEOUT=120 expect_exit 1 "installing a missing package fails" --root "$R" pkg install --yes apt:zs-nosuch
# apt's own simulation finds no such package: nothing runs, apt's words are shown.
expect_contains "$ERR" "apt cannot install zs-nosuch" "the failure names the manager"
expect_contains "$ERR" "Unable to locate package" "apt's own words shown"

finish
