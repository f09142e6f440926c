#!/bin/bash
# Which rpm database `pkg list/info/which -m dnf` reads on the host: the one rpm's %_dbpath names, resolved
# natively from rpm's macro files. Debian's rpm keeps it in ~/.rpmdb (%(bash -c 'echo ~/.rpmdb')), so a
# /var/lib/rpm that another tool left must not be read instead. Oracle: the real `rpm -qa`, `rpm -qf`, `rpm -qi`
# on databases the real rpm filled (--justdb: nothing is written outside the database). A decoy database with
# other packages is bound over /var/lib in a private mount namespace, so reading the wrong one fails the test.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/rpm_scratch.sh"
rm -f "$HOME/.rpmmacros" # rpm's own %_dbpath, not the scratch roots' layout
[ "$(rpm --eval '%{_dbpath}')" = "$HOME/.rpmdb" ] || skip "this rpm keeps its database at $(rpm --eval '%{_dbpath}'), not in HOME"
mkdir -p "$T/rpmbuild" "$T/varlib/rpm"
mkrpm() { # name version summary
    printf 'Name: %s\nVersion: %s\nRelease: 1\nSummary: %s\nLicense: MIT\nBuildArch: noarch\nAutoReqProv: no\n%%description\nTest.\n%%install\nmkdir -p %%{buildroot}/usr/bin\necho %s > %%{buildroot}/usr/bin/%s\n%%files\n/usr/bin/%s\n' \
        "$1" "$2" "$3" "$1" "$1" "$1" >"$T/$1.spec"
    rpmbuild --quiet --define "_topdir $T/rpmbuild" -bb "$T/$1.spec" >"$T/rpmbuild.log" 2>&1 ||
        fail "rpmbuild $1: $(tail -3 "$T/rpmbuild.log")"
}
mkrpm zs-home 1.0 "In the database rpm uses"
mkrpm zs-decoy 9.9 "In a database rpm does not use"
mkrpm zs-macro 2.0 "In the database a ~/.rpmmacros names"
RPMS="$T/rpmbuild/RPMS/noarch"
JUSTDB=(-i --justdb --nodeps --noscripts --notriggers)
rpm "${JUSTDB[@]}" "$RPMS"/zs-home-1.0-1.noarch.rpm 2>>"$T/rpm.log" || fail "rpm -i into ~/.rpmdb"
rpm --dbpath "$T/varlib/rpm" "${JUSTDB[@]}" "$RPMS"/zs-decoy-9.9-1.noarch.rpm 2>>"$T/rpm.log" || fail "rpm -i into the decoy"
[ -f "$HOME/.rpmdb/rpmdb.sqlite" ] && [ -f "$T/varlib/rpm/rpmdb.sqlite" ] && ok || fail "rpm wrote no databases"

# z ARGS...: zsyncctl in a mount namespace where /var/lib is the decoy (where that cannot be made: as is, and
# the decoy check is weaker: it only holds where the host's /var/lib/rpm differs from ~/.rpmdb).
NS=1
unshare -m true 2>/dev/null || NS=0
z() {
    if [ "$NS" = 1 ]; then
        OUT=$(unshare -m sh -c 'mount --bind "$1" /var/lib && shift && exec "$@"' z "$T/varlib" \
            timeout -k 2 30 "$ZSYNCCTL" "$@" 2>"$T/err")
    else
        OUT=$(timeout -k 2 30 "$ZSYNCCTL" "$@" 2>"$T/err")
    fi
    CODE=$?
    ERR=$(cat "$T/err")
}
listed() { printf '%s' "$OUT" | python3 -c "
import json,sys
for p in json.load(sys.stdin)['packages']: print(p['name'], p['version'], p['architecture'])" | sort; }
oracle() { rpm -qa --qf '%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n' "$@" | sort; }
if [ "$NS" = 1 ]; then
    decoy=$(unshare -m sh -c 'mount --bind "$1" /var/lib && rpm --dbpath /var/lib/rpm -qa' z "$T/varlib")
    [ "$decoy" = "zs-decoy-9.9-1.noarch" ] && ok || fail "the decoy in the namespace holds: $decoy"
fi

# 1. rpm's own %_dbpath (Debian's macros: ~/.rpmdb): list, which and info agree with rpm.
for m in dnf zypper yum; do
    z --json pkg list -m "$m"
    [ "$CODE" = 0 ] && ok || fail "pkg list -m $m: exit $CODE ($ERR)"
    same "pkg list -m $m vs rpm -qa (~/.rpmdb)" "$(listed)" "$(oracle)"
done
z --json pkg which /usr/bin/zs-home -m dnf
expect_json '[o["package"] for o in d["owners"]] == ["zs-home"]' "which: as rpm -qf $(rpm -qf --qf '%{NAME}' /usr/bin/zs-home)"
z --json pkg which /usr/bin/zs-decoy -m dnf
expect_json 'd["owners"] == []' "which: the decoy's file has no owner"
z --json pkg info zs-home -m dnf
expect_json "d['packages'][0]['installed_version'] == '$(rpm -q --qf '%{VERSION}-%{RELEASE}' zs-home)' and d['packages'][0]['description'] == '$(rpm -q --qf '%{SUMMARY}' zs-home)'" "info as rpm -qi"

# 2. A ~/.rpmmacros that moves the database: rpm and zsyncctl both follow it.
mkdir -p "$T/moved"
printf '%%_zsbase %s\n%%_dbpath %%{_zsbase}/moved\n' "$T" >"$HOME/.rpmmacros"
[ "$(rpm --eval '%{_dbpath}')" = "$T/moved" ] && ok || fail "rpm's %_dbpath with ~/.rpmmacros: $(rpm --eval '%{_dbpath}')"
rpm "${JUSTDB[@]}" "$RPMS"/zs-macro-2.0-1.noarch.rpm 2>>"$T/rpm.log" || fail "rpm -i into the moved database"
z --json pkg list -m dnf
same "pkg list -m dnf vs rpm -qa (~/.rpmmacros)" "$(listed)" "$(oracle)"
expect_contains "$(oracle)" "zs-macro 2.0-1" "rpm -qa reads the moved database"

# 3. As root, a ~/.rpmmacros another user controls is never read (sudo -E keeps HOME): rpm reads it, zsyncctl
# reads rpm's system default and says which file it left out.
if [ "$(id -u)" = 0 ]; then
    chown 65534 "$HOME/.rpmmacros"
    z --json pkg list -m dnf
    mv "$HOME/.rpmmacros" "$T/rpmmacros.other"
    same "pkg list -m dnf as root, ~/.rpmmacros not root's" "$(listed)" "$(oracle)"
    mv "$T/rpmmacros.other" "$HOME/.rpmmacros"
    expect_json "'not read: $HOME/.rpmmacros' in d['managers'][0]['note']" "the note names the file left out"
    chown 0 "$HOME/.rpmmacros"
fi

# 4. Not root (uid 65534 by setpriv): the user's own ~/.rpmmacros is read, as rpm reads it.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    NP="$T/np"
    mkdir -p "$NP/home"
    chmod 711 "$T" && chmod -R a+rX "$T/rpmbuild" && chmod 755 "$NP"
    printf '%%_dbpath %s/home/own-db\n' "$NP" >"$NP/home/.rpmmacros"
    chown -R 65534:65534 "$NP/home"
    as_np() { setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$NP/home" XDG_CACHE_HOME="$NP/home/cache" "$@"; }
    as_np rpm "${JUSTDB[@]}" "$RPMS"/zs-macro-2.0-1.noarch.rpm 2>>"$T/rpm.log" || fail "rpm -i as uid 65534"
    np_oracle=$(as_np rpm -qa --qf '%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n' | sort)
    OUT=$(as_np timeout -k 2 30 "$ZSYNCCTL" --json pkg list -m dnf 2>"$T/err")
    same "pkg list -m dnf as uid 65534 vs its rpm -qa" "$(listed)" "$np_oracle"
    expect_contains "$np_oracle" "zs-macro 2.0-1" "rpm -qa as uid 65534 reads its own ~/.rpmmacros' database"
fi

# 5. A %_dbpath only rpm could compute (a shell command): the registry's directories are read, and the note
# says why and which database was read.
printf '%%_dbpath %%(printf %s/moved)\n' "$T" >"$HOME/.rpmmacros"
[ "$(rpm --eval '%{_dbpath}')" = "$T/moved" ] && ok || fail "rpm's computed %_dbpath: $(rpm --eval '%{_dbpath}')"
z --json pkg list -m dnf
[ "$CODE" = 0 ] && ok || fail "pkg list with a computed %_dbpath: exit $CODE ($ERR)"
expect_json "'is not known' in d['managers'][0]['note'] and 'printf' in d['managers'][0]['note'] and '; read /' in d['managers'][0]['note']" "the note says why and what was read"
finish
