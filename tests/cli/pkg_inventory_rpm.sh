#!/bin/bash
# `pkg list/info/which -m dnf|zypper` against the real rpm on a scratch root: noarch rpms built by rpmbuild (one
# with an Epoch, one shipping /usr/bin/zs-tool), a repository made by createrepo_c, installed by the real
# `dnf --installroot`. The list equals `rpm --root -qa` (EPOCH:VERSION-RELEASE as dnf prints it), which equals
# `rpm -qf`, info equals `rpm -qi`; zypper reads the same database; a damaged rpmdb.sqlite is a clear error.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/rpm_scratch.sh"
mkdir -p "$T/repo" "$T/repos.d"
mkrpm() { # name version release epoch dir file summary
    cat >"$T/$1.spec" <<SPEC
Name: $1
Version: $2
Release: $3
${4:+Epoch: $4}
Summary: $7
License: MIT
AutoReqProv: no
BuildArch: noarch
%description
A test package.
%install
mkdir -p %{buildroot}$5
printf 'data for $1\n' > %{buildroot}$5/$6
chmod 755 %{buildroot}$5/$6
%files
$5/$6
SPEC
    rpmbuild --quiet --define "_topdir $T/rpmbuild" -bb "$T/$1.spec" >"$T/rpmbuild.log" 2>&1 ||
        fail "rpmbuild $1: $(tail -3 "$T/rpmbuild.log")"
}
mkrpm zs-tool 1.2 3 "" /usr/bin zs-tool "The zs tool"
mkrpm zs-epoch 2.0 1 4 /usr/share/zs-epoch data.txt "A package with an epoch"
mkrpm zs-lib 0.9 1.fc40 "" /usr/lib/zs libzs.so "A library, twice as large"
mkrpm zs-zero 3.1 2 0 /usr/bin zs-zero "An explicit epoch 0"
cp "$T"/rpmbuild/RPMS/noarch/*.rpm "$T/repo/"
createrepo_c -q "$T/repo" || fail "createrepo_c"
printf '[zstest]\nname=zstest\nbaseurl=file://%s/repo\ngpgcheck=0\nenabled=1\n' "$T" >"$T/repos.d/test.repo"
DNF=(dnf -q -y --installroot="$R" --setopt=reposdir="$T/repos.d" --releasever=40 --setopt=cachedir="$T/cache"
    --color=never)

# Before anything is installed there is no rpm database: nothing installed, not an error.
run_z --root "$R" --json pkg list -m dnf
[ "$CODE" = 0 ] && ok || fail "pkg list without an rpm db: exit $CODE ($ERR)"
expect_json 'd["managers"][0]["status"] == "ok" and d["managers"][0]["count"] == 0 and "nothing is installed" in d["managers"][0]["note"]' "no rpm db: ok, 0"

TIMEOUT=60 "${DNF[@]}" install zs-tool zs-epoch zs-lib zs-zero >"$T/dnf.log" 2>&1 || fail "dnf install: $(tail -3 "$T/dnf.log")"
[ -f "$R/var/lib/rpm/rpmdb.sqlite" ] && ok || fail "dnf wrote no $R/var/lib/rpm/rpmdb.sqlite: $(find "$R" -name 'rpmdb*')"
RPM=(rpm --root "$R")

# rpm's own listing with dnf's EVR: the epoch only when non-zero.
rpm_list=$("${RPM[@]}" -qa --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\n' | sed 's/ 0:/ /' | sort)
[ "$(printf '%s\n' "$rpm_list" | wc -l)" -eq 4 ] && ok || fail "rpm -qa lists: $rpm_list"
for m in dnf zypper yum; do
    TIMEOUT=30 run_z --root "$R" --json pkg list -m "$m"
    [ "$CODE" -eq 0 ] && ok || fail "pkg list -m $m: exit $CODE ($ERR)"
    ours=$(printf '%s' "$OUT" | python3 -c "
import json,sys
for p in json.load(sys.stdin)['packages']: print(p['name'], p['version'], p['architecture'])" | sort)
    same "pkg list -m $m vs rpm -qa" "$ours" "$rpm_list"
done
expect_contains "$rpm_list" "zs-epoch 4:2.0-1 noarch" "the epoch is shown"
TIMEOUT=30 run_z --root "$R" pkg list -m dnf
expect_contains "$OUT" "zs-epoch:noarch" "text list"

# which: the owner of a command (looked up in the PATH directories) and of a path, as rpm -qf names it.
for q in zs-tool /usr/bin/zs-zero /usr/share/zs-epoch/data.txt; do
    path=$q
    [ "${q#/}" = "$q" ] && path=/usr/bin/$q
    TIMEOUT=30 run_z --root "$R" --json pkg which "$q" -m dnf
    [ "$CODE" -eq 0 ] && ok || fail "pkg which $q: exit $CODE ($ERR)"
    ours=$(printf '%s' "$OUT" | python3 -c "
import json,sys
for o in json.load(sys.stdin)['owners']: print(o['package'], o['path'])")
    same "pkg which $q vs rpm -qf" "$ours" "$("${RPM[@]}" -qf --qf "%{NAME} $path\n" "$path")"
done
TIMEOUT=30 run_z --root "$R" pkg which zs-nothing -m dnf
[ "$CODE" -eq 1 ] && [ "$OUT" = "dnf: no installed package ships it" ] && ok || fail "which of nothing: $CODE [$OUT] ($ERR)"
"${RPM[@]}" -qf /usr/bin/zs-nothing >/dev/null 2>&1 && fail "rpm -qf of nothing succeeded" || ok

# info: version, summary and size as rpm -qi tells them.
for name in zs-epoch zs-lib; do
    TIMEOUT=30 run_z --root "$R" --json pkg info "$name" -m dnf
    [ "$CODE" -eq 0 ] && ok || fail "pkg info $name: exit $CODE ($ERR)"
    want_summary=$("${RPM[@]}" -q --qf '%{SUMMARY}' "$name")
    want_size=$("${RPM[@]}" -q --qf '%{LONGSIZE}' "$name")
    want_version=$("${RPM[@]}" -q --qf '%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}' "$name")
    expect_contains "$OUT" "\"$want_summary\"" "pkg info $name summary as rpm -qi"
    printf '%s' "$OUT" | python3 -c "
import json,sys
d=json.load(sys.stdin)
found=[p for p in d['packages'] if p['name']=='$name']
sys.exit(0 if found and found[0]['installed_version']=='$want_version' and found[0]['installed_size']==$want_size else 1)" &&
        ok || fail "pkg info $name: wanted $want_version, $want_size bytes: $OUT"
done
TIMEOUT=30 run_z --root "$R" pkg info zs-lib -m dnf
expect_contains "$OUT" "0.9-1.fc40" "text info shows the version"

# yum has no outdated reader (dnf and zypper ask the manager itself): unsupported, said plainly, exit 3.
TIMEOUT=30 run_z --root "$R" --json pkg outdated -m yum
[ "$CODE" -eq 3 ] && ok || fail "pkg outdated -m yum: exit $CODE"
expect_json 'd["managers"][0]["status"] == "unsupported" and "outdated" in d["managers"][0]["error"]' "outdated unsupported"

# Changes still in rpmdb.sqlite-wal (a writer that has not checkpointed: a running transaction, or one killed)
# are not read from a copy in memory: the list is the main file's, and a note says so.
W="$T/walroot"
mkdir -p "$W/var/lib/rpm"
cp "$R/var/lib/rpm/rpmdb.sqlite" "$W/var/lib/rpm/"
python3 -c "
import os,sqlite3,sys
db=sqlite3.connect(sys.argv[1])
db.execute('PRAGMA wal_autocheckpoint=0')
db.execute('INSERT INTO Packages (blob) SELECT blob FROM Packages WHERE hnum=1')
db.commit()
os._exit(0)  # no close: the frame stays in the -wal, as with a writer that was killed" "$W/var/lib/rpm/rpmdb.sqlite"
[ -s "$W/var/lib/rpm/rpmdb.sqlite-wal" ] && ok || fail "no -wal was left"
TIMEOUT=30 run_z --root "$W" --json pkg list -m dnf
[ "$CODE" -eq 0 ] && ok || fail "pkg list with a -wal: exit $CODE ($ERR)"
expect_json 'd["managers"][0]["count"] == 4 and "rpmdb.sqlite-wal" in d["managers"][0]["note"]' "the -wal is noted"

# A damaged database: a clear one-line error naming the file, exit 3, no crash; rpm agrees it is unreadable.
D="$T/damaged"
mkdir -p "$D/var/lib/rpm"
head -c 8192 "$R/var/lib/rpm/rpmdb.sqlite" >"$D/var/lib/rpm/rpmdb.sqlite"
head -c 60000 /dev/urandom >>"$D/var/lib/rpm/rpmdb.sqlite"
TIMEOUT=30 run_z --root "$D" pkg list -m dnf
[ "$CODE" -eq 3 ] && ok || fail "damaged rpmdb: exit $CODE ($ERR)"
expect_contains "$ERR" "rpmdb.sqlite" "the error names the file"
expect_contains "$ERR" "rpm --rebuilddb" "the error says how to repair"
printf 'not a database at all, just text\n%.0s' {1..10} >"$D/var/lib/rpm/rpmdb.sqlite"
TIMEOUT=30 run_z --root "$D" --json pkg which zs-tool -m zypper
[ "$CODE" -eq 3 ] && ok || fail "text rpmdb: exit $CODE ($ERR)"
expect_json '"not an SQLite database" in d["managers"][0]["error"]' "not an SQLite database"

finish
