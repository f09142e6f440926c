#!/bin/bash
# `pkg list` explicit vs dependency for rpm managers, against the managers' own views on scratch roots:
# dnf (its history database, history.sqlite with the -wal dnf leaves) against `dnf repoquery --userinstalled`
# and `dnf history userinstalled` after an install that pulls a dependency, after `dnf mark` both ways, and
# with a transaction still only in the -wal; a package rpm installed alone is unknown (dnf counts it user
# installed); zypper (/var/lib/zypp/AutoInstalled) against `zypper search -i`'s i+ (user) and i (auto).
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/rpm_scratch.sh"
mkdir -p "$T/repo" "$T/repos.d"
mkrpm() { # name [requires]
    printf 'Name: %s\nVersion: 1.0\nRelease: 1\nSummary: reason test %s\nLicense: MIT\nBuildArch: noarch\n%s\n%%description\nx\n%%files\n' \
        "$1" "$1" "${2:+Requires: $2}" >"$T/$1.spec"
    rpmbuild --quiet --define "_topdir $T/rpmbuild" -bb "$T/$1.spec" >"$T/rpmbuild.log" 2>&1 ||
        fail "rpmbuild $1: $(tail -3 "$T/rpmbuild.log")"
}
mkrpm zs-app zs-dep
mkrpm zs-dep
mkrpm zs-other
mkrpm zs-raw
cp "$T"/rpmbuild/RPMS/noarch/zs-{app,dep,other}-*.rpm "$T/repo/"
createrepo_c -q "$T/repo" || fail "createrepo_c"
printf '[zstest]\nname=zstest\nbaseurl=file://%s/repo\ngpgcheck=0\nenabled=1\n' "$T" >"$T/repos.d/test.repo"
DNF=(dnf -q -y --installroot="$R" --setopt=reposdir="$T/repos.d" --releasever=40 --setopt=cachedir="$T/cache"
    --color=never)

# ours KIND: the names pkg list -m dnf gives that reason.
ours() {
    TIMEOUT=30 run_z --root "$R" --json pkg list -m "${2:-dnf}"
    [ "$CODE" -eq 0 ] || fail "pkg list: exit $CODE ($ERR)"
    printf '%s' "$OUT" | python3 -c "
import json,sys
print(' '.join(sorted(p['name'] for p in json.load(sys.stdin)['packages'] if p['reason'] in sys.argv[1].split(','))))" "$1"
}
# dnf's own: user installed (reason user, or unknown) by repoquery, and by history userinstalled.
dnf_user() { "${DNF[@]}" repoquery --userinstalled --qf '%{name}' 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'; }
dnf_hist() { "${DNF[@]}" history userinstalled 2>/dev/null | sed -n 's/^\(zs-[a-z]*\)-1\.0-1\.noarch$/\1/p' | sort | tr '\n' ' ' | sed 's/ $//'; }
check() { # LABEL EXPLICIT DEPENDENCY UNKNOWN
    local e d u w
    e=$(ours explicit) d=$(ours dependency) u=$(ours unknown)
    [ "$e" = "$2" ] && [ "$d" = "$3" ] && [ "$u" = "$4" ] && ok ||
        fail "$1: explicit [$e] dependency [$d] unknown [$u], wanted [$2] [$3] [$4]"
    w=$(dnf_user)
    [ "$(ours explicit,unknown)" = "$w" ] && ok || fail "$1: explicit+unknown [$(ours explicit,unknown)] vs dnf repoquery --userinstalled [$w]"
    [ "$(ours explicit,unknown)" = "$(dnf_hist)" ] && ok || fail "$1: vs dnf history userinstalled [$(dnf_hist)]"
}

TIMEOUT=60 "${DNF[@]}" install zs-app zs-other >"$T/dnf.log" 2>&1 || fail "dnf install: $(tail -3 "$T/dnf.log")"
check "after dnf install zs-app zs-other" "zs-app zs-other" "zs-dep" ""
TIMEOUT=30 run_z --root "$R" pkg list -m dnf
expect_contains "$OUT" "dependency" "the text list says dependency"

"${DNF[@]}" mark remove zs-other >>"$T/dnf.log" 2>&1 || fail "dnf mark remove"
"${DNF[@]}" mark install zs-dep >>"$T/dnf.log" 2>&1 || fail "dnf mark install"
check "after dnf mark" "zs-app zs-dep" "zs-other" ""

# A package rpm installed, not dnf: no history, unknown (dnf's user_installed counts it as the user's).
rpm --root "$R" -i --nodeps "$T"/rpmbuild/RPMS/noarch/zs-raw-*.rpm >>"$T/dnf.log" 2>&1 || fail "rpm -i zs-raw"
check "with a package rpm installed" "zs-app zs-dep" "zs-other" "zs-raw"

# A transaction still only in history.sqlite-wal (a writer that has not checkpointed, or was killed): read
# as SQLite reads it, so as dnf does. zs-app's latest item becomes a dependency there.
H="$R/var/lib/dnf/history.sqlite"
python3 -c "
import os,sqlite3,sys
db=sqlite3.connect(sys.argv[1])
db.execute('PRAGMA wal_autocheckpoint=0')
db.execute('UPDATE trans_item SET reason=1 WHERE id=(SELECT max(ti.id) FROM trans_item ti JOIN rpm USING (item_id) WHERE name=\"zs-app\")')
db.commit()
os._exit(0)" "$H"
[ -s "$H-wal" ] && ok || fail "no -wal was left"
mkdir -p "$T/main-only"
cp "$H" "$T/main-only/h.sqlite"
[ "$(python3 -c "
import sqlite3,sys
db=sqlite3.connect(sys.argv[1])
print(db.execute('SELECT reason FROM trans_item WHERE id=(SELECT max(ti.id) FROM trans_item ti JOIN rpm USING (item_id) WHERE name=\"zs-app\")').fetchone()[0])" "$T/main-only/h.sqlite")" = 2 ] &&
    ok || fail "the main file alone already has the change: the -wal check would prove nothing"
e=$(ours explicit)
[ "$e" = "zs-dep" ] && ok || fail "the -wal's change is not read: explicit [$e]"
check "a transaction in the -wal" "zs-dep" "zs-app zs-other" "zs-raw"

# zypper: libzypp's AutoInstalled list against zypper search -i (root: zypper --root and rpm's chroot).
if [ "$(id -u)" = 0 ] && command -v zypper >/dev/null; then
    Y="$T/zroot"
    mkdir -p "$Y/usr/lib/sysimage/rpm" "$Y/etc/zypp" "$Y/var/log"
    export ZYPP_CONF="$Y/etc/zypp/zypp.conf" ZYPP_LOGFILE="$Y/var/log/zypper.log"
    ZYP=(zypper --root "$Y" --non-interactive --no-color)
    "${ZYP[@]}" addrepo -G "file://$T/repo" zstest >"$T/zypper.log" 2>&1 || fail "zypper addrepo: $(tail -3 "$T/zypper.log")"
    TIMEOUT=60 "${ZYP[@]}" install zs-app zs-other >>"$T/zypper.log" 2>&1 || fail "zypper install: $(tail -3 "$T/zypper.log")"
    # se -i rows: "i+ | name | ..." (user) or "i | name | ..." (auto).
    zse() { "${ZYP[@]}" --no-refresh search -i 'zs-*' 2>/dev/null | awk -F' *[|] *' -v s="$1" '{gsub(/ /,"",$1)} $1==s {print $2}' | sort | tr '\n' ' ' | sed 's/ $//'; }
    R="$Y"
    ze=$(ours explicit zypper) zd=$(ours dependency zypper)
    [ -n "$(zse 'i+')" ] && [ "$ze" = "$(zse 'i+')" ] && ok || fail "zypper explicit [$ze] vs zypper se -i i+ [$(zse 'i+')]"
    [ "$zd" = "$(zse i)" ] && [ "$zd" = "zs-dep" ] && ok || fail "zypper dependency [$zd] vs zypper se -i i [$(zse i)]"
fi

finish
