#!/bin/bash
# `pkg refresh`, `pkg outdated`, `pkg info` and `pkg upgrade` with the real zypper on a scratch root (zypper
# --root, its repository a plain rpm-md repo built here with rpmbuild and createrepo_c): outdated never
# refreshes and, after `pkg refresh -m zypper`, equals zypper's own list-updates table on the same root,
# the package locked with `zypper al` shown as skipped ("locked", the 'l' of list-updates --all); info
# agrees with zypper info; --dry-run shows zypper's own --dry-run transaction and changes nothing; without
# a terminal and --yes it is refused; on a real pseudo-terminal `y` upgrades, the locked package stays;
# Ctrl-C while an upgraded package's %post runs waits for zypper, exits 130 and leaves the rpm database
# consistent with the package fully at one version.
. "$TESTS_DIR/lib.sh"
for tool in zypper rpmbuild createrepo_c rpm; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages zypper, rpm, createrepo-c)"
done
python3 -c 'import pty' 2>/dev/null || skip "python3 has no pty module"
# rpm runs scriptlets chrooted into the root, and zypper locks and writes the root as root does.
[ "$(id -u)" = 0 ] || skip "zypper --root and rpm's scriptlet chroot need root"

T="$SCRATCH"
R="$T/root"
DRIVE="$TESTS_DIR/pty_drive.py"
mkdir -p "$T/repo" "$T/spec"
# rpm NAME VERSION [POST-SECONDS]: a noarch package; with seconds, its %post (rpm's built-in Lua: the
# scratch root has no shell) appends "start" to /post.log in the root, sleeps, then appends "done".
mkrpm() {
    {
        printf 'Name: %s\nVersion: %s\nRelease: 1\nSummary: upgrade test %s\nLicense: MIT\nBuildArch: noarch\n' "$1" "$2" "$1"
        printf '%%description\nupgrade test %s\n%%install\nmkdir -p %%{buildroot}/usr/share/%s\n' "$1" "$1"
        printf 'echo %s >%%{buildroot}/usr/share/%s/version\n%%files\n/usr/share/%s/version\n' "$2" "$1" "$1"
        if [ -n "${3:-}" ]; then
            printf '%%post -p <lua>\nlocal f = io.open("/post.log", "a") f:write("start\\n") f:close()\n'
            printf 'posix.sleep(%s)\nf = io.open("/post.log", "a") f:write("done\\n") f:close()\n' "$3"
        fi
    } >"$T/spec/$1-$2.spec"
    rpmbuild -bb --quiet --define "_topdir $T/rpmbuild" --define "_rpmdir $T/repo" "$T/spec/$1-$2.spec" \
        >"$T/rpmbuild.log" 2>&1 || fail "rpmbuild $1 $2: $(tail -3 "$T/rpmbuild.log")"
}
publish() { createrepo_c -q --update "$T/repo" >/dev/null 2>&1 || fail "createrepo_c"; }
ZYP=(zypper --root "$R" --non-interactive --no-color)
export ZYPP_CONF="$R/etc/zypp/zypp.conf" ZYPP_LOGFILE="$R/var/log/zypper.log"
# The root keeps its rpm database where openSUSE does (zypper uses it when it exists).
RPMQ=(rpm --root "$R" --dbpath /usr/lib/sysimage/rpm)
ver() { "${RPMQ[@]}" -q --qf '%{VERSION}-%{RELEASE}\n' "$1" 2>/dev/null; }
Z=(--no-cache --root "$R")

mkrpm zs-up 1.0
mkrpm zs-held 1.0
mkrpm zs-slow 1.0
publish
mkdir -p "$R/usr/lib/sysimage/rpm" "$R/etc/zypp" "$R/var/log"
"${ZYP[@]}" addrepo -G "file://$T/repo" zstest >"$T/zypper.log" 2>&1 || fail "zypper addrepo: $(tail -3 "$T/zypper.log")"
"${ZYP[@]}" install zs-up zs-held zs-slow >"$T/zypper.log" 2>&1 || fail "zypper install: $(tail -3 "$T/zypper.log")"
[ "$(ver zs-up)" = "1.0-1" ] && ok || fail "zypper did not install zs-up 1.0: $(ver zs-up); $(tail -5 "$T/zypper.log")"
"${ZYP[@]}" addlock zs-held >"$T/zypper.log" 2>&1 || fail "zypper addlock: $(tail -3 "$T/zypper.log")"

# Nothing newer: exit 0, nothing to upgrade.
TIMEOUT=60 expect_exit 0 "outdated with nothing newer" --json "${Z[@]}" pkg outdated -m zypper
expect_json "d['outdated']==[]" "nothing outdated"
TIMEOUT=60 expect_exit 0 "nothing to upgrade" "${Z[@]}" pkg upgrade --all -m zypper </dev/null
expect_contains "$ERR" "nothing to upgrade with zypper" "says so"

mkrpm zs-up 1.1
mkrpm zs-held 1.1
publish
# Never an implicit refresh: 1.1 is not seen until pkg refresh runs zypper refresh in the root.
TIMEOUT=60 expect_exit 0 "outdated never refreshes" --json "${Z[@]}" pkg outdated -m zypper
expect_json "d['outdated']==[]" "the repository's new metadata was not read"
TIMEOUT=60 expect_exit 0 "refresh dry run" --json "${Z[@]}" pkg refresh -m zypper --dry-run
expect_json "d['operation']=='refresh' and d['argv'][-1]=='refresh' and d['argv'][1:3]==['--root','$R']" "refresh plan: zypper --root R refresh"
TIMEOUT=60 expect_exit 0 "pkg refresh -m zypper" "${Z[@]}" pkg refresh -m zypper </dev/null
expect_contains "$ERR" "refreshed zypper's package metadata" "refresh says so"

# The differential: zypper's own list-updates table on the same root (the 'l' of --all marks a lock).
TIMEOUT=60 expect_exit 100 "outdated after the refresh" --json "${Z[@]}" pkg outdated -m zypper
table() { # ARGS: rows "S NAME CURRENT AVAILABLE ARCH" of zypper list-updates' table
    "${ZYP[@]}" --no-refresh list-updates "$@" 2>/dev/null | awk -F' *[|] *' 'NF>=6 && $3!="Name" {gsub(/ /,"",$1); print $1, $3, $4, $5, $6}' | sort
}
want=$(table)
want_all=$(table --all)
[ -n "$want" ] && ok || fail "zypper list-updates listed nothing"
got=$(printf '%s' "$OUT" | python3 -c "
import json,sys
d=json.load(sys.stdin)
for p in d['outdated']:
    if not p['skipped']: print('v', p['name'], p['installed_version'], p['candidate'], p['architecture'])")
[ "$got" = "$want" ] && ok || fail "pkg outdated differs from zypper list-updates: got [$got] want [$want]"
got_all=$(printf '%s' "$OUT" | python3 -c "
import json,sys
d=json.load(sys.stdin)
for p in d['outdated']:
    print('vl' if p['skip_reason']=='locked' else 'v', p['name'], p['installed_version'], p['candidate'], p['architecture'])" | sort)
[ "$got_all" = "$want_all" ] && ok || fail "pkg outdated differs from zypper list-updates --all: got [$got_all] want [$want_all]"
expect_json "sorted((p['name'],p['installed_version'],p['candidate'],p['skip_reason']) for p in d['outdated'])==[('zs-held','1.0-1','1.1-1','locked'),('zs-up','1.0-1','1.1-1',None)]" "zs-up outdated, zs-held skipped as locked"

# pkg info: the candidate and repository as zypper info shows them.
zinfo() { "${ZYP[@]}" --no-refresh info "$1" 2>/dev/null | awk -F' *: ' -v k="$2" '$1==k {print $2; exit}'; }
TIMEOUT=60 expect_exit 0 "pkg info" --json "${Z[@]}" pkg info zs-up -m zypper
expect_json "len(d['packages'])==1" "info has the package"
expect_json "d['packages'][0]['candidate']=='$(zinfo zs-up Version)' and d['packages'][0]['repository']=='$(zinfo zs-up Repository)' and d['packages'][0]['installed_version']=='$(ver zs-up)' and d['packages'][0]['description']=='upgrade test zs-up'" "pkg info agrees with zypper info and rpm -q"
TIMEOUT=60 expect_exit 0 "pkg info (text) of the locked package" "${Z[@]}" pkg info zs-held -m zypper
expect_contains "$OUT" "candidate:   1.1-1" "info text: candidate"
expect_contains "$OUT" "held)" "info text: the lock"
TIMEOUT=60 expect_exit 1 "pkg info of an unknown package" "${Z[@]}" pkg info zs-nosuch -m zypper

# --dry-run: zypper's own --dry-run transaction; nothing changes.
before=$("${RPMQ[@]}" -qa | sort)
TIMEOUT=60 expect_exit 0 "dry run" --json "${Z[@]}" pkg upgrade --all -m zypper --dry-run
expect_json "[(p['name'],p['old_version'],p['version']) for p in d['transaction']['upgrade']]==[('zs-up','1.0-1','1.1-1')] and d['transaction']['install']==[] and d['transaction']['remove']==[] and '--dry-run' in d['simulation'] and '--no-refresh' in d['argv'] and d['argv'][1:3]==['--root','$R']" "zypper update --dry-run: zs-up only"
TIMEOUT=60 expect_exit 0 "dry run (text)" "${Z[@]}" pkg upgrade --all -m zypper --dry-run
expect_contains "$OUT" "upgrade (1): zs-up (1.0-1 -> 1.1-1)" "the dry run shows the versions"
case "$OUT" in *"zypper: "*) fail "the dry run shows zypper notes that are no reason: $OUT" ;; *) ok ;; esac
expect_contains "$ERR" "skipping zs-held (locked)" "the locked package is shown as skipped"
[ "$("${RPMQ[@]}" -qa | sort)" = "$before" ] && ok || fail "the dry run changed the rpm database"

# Install and remove read the same --xmlout --dry-run.
TIMEOUT=60 expect_exit 0 "remove dry run" --json "${Z[@]}" pkg remove -n zypper:zs-up
expect_json "[(p['name'],p['old_version']) for p in d['transaction']['remove']]==[('zs-up','1.0-1')] and d['transaction']['upgrade']==[]" "zypper remove --dry-run"
TIMEOUT=60 expect_exit 1 "install dry run of an unknown name" "${Z[@]}" pkg install -n zypper:zs-nosuch
expect_contains "$OUT" "No provider of 'zs-nosuch' found." "zypper's own error"

# Without --manager: the one detected manager with upgrades (the image has zypper like a real openSUSE root;
# it is never run from there: the host's zypper gets --root), the same for info and refresh.
mkdir -p "$R/usr/bin" && cp "$(command -v zypper)" "$R/usr/bin/zypper"
TIMEOUT=60 expect_exit 0 "upgrade dry run without --manager" --json "${Z[@]}" pkg upgrade --all --dry-run
expect_json "d['manager']=='zypper' and d['chosen_by']=='search' and [p['name'] for p in d['transaction']['upgrade']]==['zs-up'] and d['argv'][0]!='$R/usr/bin/zypper'" "zypper chosen: the only manager with upgrades"
TIMEOUT=60 expect_exit 0 "info without --manager" --json "${Z[@]}" pkg info zs-up
expect_json "[(p['manager'],p['candidate']) for p in d['packages']]==[('zypper','1.1-1')]" "info asks the detected managers"
TIMEOUT=60 expect_exit 0 "refresh without --manager" --json "${Z[@]}" pkg refresh --dry-run
expect_json "d['manager']=='zypper' and d['operation']=='refresh'" "refresh: the detected manager"

# No terminal, no --yes: refused, nothing changes. A locked package named is skipped.
TIMEOUT=60 expect_exit 2 "no terminal without --yes" "${Z[@]}" pkg upgrade --all -m zypper </dev/null
expect_contains "$ERR" "without confirmation" "the refusal"
TIMEOUT=60 expect_exit 0 "a locked package by name" "${Z[@]}" pkg upgrade --yes zypper:zs-held
expect_contains "$ERR" "skipping zs-held (locked): 1.0-1 stays" "named locked package skipped"
[ "$("${RPMQ[@]}" -qa | sort)" = "$before" ] && ok || fail "a refused or skipped upgrade changed the rpm database"

# On a terminal: the transaction, then [Y/n]; `y` upgrades zs-up, zs-held stays at 1.0.
PTY_DEADLINE=90 python3 "$DRIVE" "$T/yes.tty" --expect "[Y/n]" --send 'y\r' -- "$ZSYNCCTL" "${Z[@]}" pkg upgrade --all -m zypper
code=$?
t=$(tr -d '\r' <"$T/yes.tty")
[ "$code" -eq 0 ] && ok || fail "confirmed upgrade exited $code: $t"
expect_contains "$t" "zs-up (1.0-1 -> 1.1-1)" "the question shows the transaction"
expect_contains "$t" "Upgrade every upgradable package with zypper?" "the question"
expect_contains "$t" "upgraded 1 package with zypper" "the result"
[ "$(ver zs-up)" = "1.1-1" ] && ok || fail "zs-up not upgraded: $(ver zs-up)"
[ "$(ver zs-held)" = "1.0-1" ] && ok || fail "the locked package was upgraded: $(ver zs-held)"
"${RPMQ[@]}" -V zs-up zs-held >"$T/verify.log" 2>&1 && ok || fail "rpm -V after the upgrade: $(cat "$T/verify.log")"

# Ctrl-C while zs-slow 1.1's %post runs (6 s): zsyncctl forwards it to zypper, waits, exits 130; the rpm
# database is consistent and zs-slow is either 1.0 or 1.1, with that version's files.
mkrpm zs-slow 1.1 6
publish
TIMEOUT=60 expect_exit 0 "refresh for zs-slow" "${Z[@]}" pkg refresh -m zypper </dev/null
PTY_DEADLINE=90 python3 "$DRIVE" "$T/intr.tty" --wait-file "$R/post.log" --send '\x03' --expect "exit=" -- \
    /bin/sh -c 'trap : INT; "$0" --no-cache --root "$1" pkg upgrade --yes zypper:zs-slow; echo "exit=$?"' "$ZSYNCCTL" "$R"
t=$(tr -d '\r' <"$T/intr.tty")
expect_contains "$t" "exit=130" "Ctrl-C mid-upgrade exits 130"
n=$("${RPMQ[@]}" -q zs-slow 2>/dev/null | wc -l)
[ "$n" = 1 ] && ok || fail "zs-slow is installed $n times after Ctrl-C: $("${RPMQ[@]}" -q zs-slow)"
v=$(ver zs-slow)
case "$v" in 1.0-1 | 1.1-1) ok ;; *) fail "zs-slow after Ctrl-C: '$v'" ;; esac
[ "$(cat "$R/usr/share/zs-slow/version" 2>/dev/null)" = "${v%-1}" ] && ok || fail "zs-slow's files are not those of $v"
# rpm defers the signal to the end of its transaction: the %post that had started ran to its end.
[ "$v" = 1.0-1 ] || grep -q done "$R/post.log" && ok || fail "the %post was cut short: $(cat "$R/post.log")"
"${RPMQ[@]}" --verifydb >"$T/verifydb.log" 2>&1 && ok || fail "rpm --verifydb: $(cat "$T/verifydb.log")"
"${RPMQ[@]}" -V zs-slow zs-up >"$T/verify.log" 2>&1 && ok || fail "rpm -V after Ctrl-C: $(cat "$T/verify.log")"
# A later run finds the database usable: the upgrade finishes now (or there is nothing left to do).
TIMEOUT=90 expect_exit 0 "upgrade after the interruption" "${Z[@]}" pkg upgrade --yes zypper:zs-slow </dev/null
[ "$(ver zs-slow)" = "1.1-1" ] && ok || fail "zs-slow after the second run: $(ver zs-slow)"

finish
