#!/bin/bash
# `pkg refresh`, `pkg outdated`, `pkg info` and `pkg upgrade` with the real dnf 4 and rpm on a scratch root
# whose local rpm-md repository (rpmbuild + createrepo_c) then publishes newer versions: outdated never
# refreshes and, after `pkg refresh -m dnf` (dnf makecache into the root's cache), equals `dnf check-update`
# on the same root, with the excludepkgs package shown as skipped; info agrees with `dnf info`; --dry-run
# shows dnf's own --assumeno transaction and changes nothing; without a terminal and without --yes it is
# refused (exit 2); on a real pseudo-terminal `y` upgrades zs-up while zs-held stays; Ctrl-C during a %post
# scriptlet that runs 6 s waits for the transaction, exits 130 and leaves a consistent rpm database.
. "$TESTS_DIR/lib.sh"
for tool in dnf rpm rpmbuild createrepo_c; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages dnf, rpm, createrepo-c)"
done
python3 -c 'import pty' 2>/dev/null || skip "python3 has no pty module"

T="$SCRATCH"
R="$T/root"
DRIVE="$TESTS_DIR/pty_drive.py"
mkdir -p "$T/repo" "$T/rpmbuild/SPECS" "$R/etc/yum.repos.d" "$R/etc/dnf"
# rpm NAME VERSION [POST-SECONDS]: a noarch package; with seconds, its %post (rpm's own Lua, so the root
# needs no shell) writes "start" to /post.log in the root, sleeps, then writes "done".
rpmpkg() {
    local post=""
    if [ -n "${3:-}" ]; then
        post=$(printf '%%post -p <lua>\nlocal f = io.open("/post.log", "a") f:write("start\\n") f:close()\nposix.sleep(%s)\nf = io.open("/post.log", "a") f:write("done\\n") f:close()\n' "$3")
    fi
    cat >"$T/rpmbuild/SPECS/$1.spec" <<EOF
Name: $1
Version: $2
Release: 1
Summary: upgrade test $1
License: MIT
BuildArch: noarch
%description
upgrade test $1
%install
mkdir -p %{buildroot}/usr/share/$1
echo $2 > %{buildroot}/usr/share/$1/version
$post
%files
/usr/share/$1/version
EOF
    rpmbuild --quiet --define "_topdir $T/rpmbuild" -bb "$T/rpmbuild/SPECS/$1.spec" >"$T/rpmbuild.log" 2>&1 ||
        fail "rpmbuild $1 $2: $(tail -3 "$T/rpmbuild.log")"
    cp "$T/rpmbuild/RPMS/noarch/$1-$2-1.noarch.rpm" "$T/repo/"
}
publish() { createrepo_c -q --update "$T/repo" || fail "createrepo_c"; }
printf '[zstest]\nname=zstest\nbaseurl=file://%s\ngpgcheck=0\nenabled=1\n' "$T/repo" >"$R/etc/yum.repos.d/test.repo"
printf '[main]\ngpgcheck=0\n' >"$R/etc/dnf/dnf.conf"
# The real dnf, pointed at the root the way zsyncctl points it (its own config and repositories only).
DNF=(dnf -q --color=never --installroot="$R" --config="$R/etc/dnf/dnf.conf"
    --setopt=reposdir="$R/etc/yum.repos.d")
ver() { rpm --root "$R" -q --qf '%{VERSION}-%{RELEASE}' "$1" 2>/dev/null; }
Z=(--no-cache --root "$R")

rpmpkg zs-up 1.0
rpmpkg zs-held 1.0
rpmpkg zs-slow 1.0
publish

# A root whose dnf has no repository: nothing is outdated, and a note says why (dnf itself exits 1).
mkdir -p "$T/norepo/etc/dnf" && printf '[main]\n' >"$T/norepo/etc/dnf/dnf.conf"
TIMEOUT=60 expect_exit 0 "outdated without a repository" --json --no-cache --root "$T/norepo" pkg outdated -m dnf
expect_json "d['managers'][0]['status']=='ok' and 'no enabled repositories' in d['managers'][0]['note'] and d['outdated']==[]" "no repository: ok, with a note"

# No metadata cache yet: outdated says what to run; the refresh makes it inside the root.
TIMEOUT=60 run_z "${Z[@]}" --json pkg outdated -m dnf
expect_json "d['managers'][0]['status']=='error' and 'pkg refresh -m dnf' in d['managers'][0]['hint']" "outdated without a cache names pkg refresh ($CODE)"
TIMEOUT=60 expect_exit 0 "refresh dry run" --json "${Z[@]}" pkg refresh -m dnf --dry-run
expect_json "d['operation']=='refresh' and d['argv'][-1]=='makecache' and '--installroot=$R' in d['argv'] and '--config=$R/etc/dnf/dnf.conf' in d['argv']" "refresh plan: dnf makecache in the root"
TIMEOUT=60 expect_exit 0 "pkg refresh -m dnf (first)" "${Z[@]}" pkg refresh -m dnf </dev/null
ls "$R/var/cache/dnf" 2>/dev/null | grep -q '^zstest' && ok || fail "pkg refresh made no dnf cache in the root"
TIMEOUT=120 expect_exit 0 "install the 1.0 versions" "${Z[@]}" pkg install --yes dnf:zs-up dnf:zs-held dnf:zs-slow
[ "$(ver zs-up) $(ver zs-held) $(ver zs-slow)" = "1.0-1 1.0-1 1.0-1" ] && ok || fail "installed: $(rpm --root "$R" -qa)"
# From now on dnf excludes zs-held: dnf upgrade never takes it, by name neither.
printf '[main]\ngpgcheck=0\nexcludepkgs=zs-held\n' >"$R/etc/dnf/dnf.conf"

TIMEOUT=60 expect_exit 0 "nothing to upgrade" "${Z[@]}" pkg upgrade --all -m dnf </dev/null
expect_contains "$ERR" "nothing to upgrade with dnf" "says so"

rpmpkg zs-up 1.1
rpmpkg zs-held 1.1
publish
TIMEOUT=60 expect_exit 0 "outdated never refreshes" --json "${Z[@]}" pkg outdated -m dnf
TIMEOUT=60 expect_exit 0 "pkg refresh -m dnf" "${Z[@]}" pkg refresh -m dnf </dev/null
expect_contains "$ERR" "refreshed dnf's package metadata" "refresh says so"
TIMEOUT=60 expect_exit 100 "outdated after the refresh" --json "${Z[@]}" pkg outdated -m dnf
ours=$(printf '%s' "$OUT" | python3 -c "
import json,sys
d=json.load(sys.stdin)
print(' '.join(sorted('%s.%s=%s' % (p['name'], p['architecture'], p['candidate']) for p in d['outdated'] if not p['skipped'])))")
# The oracle: dnf check-update on the same root and cache (exit 100: updates are available).
theirs=$("${DNF[@]}" -C check-update 2>/dev/null | awk 'NF==3 {print $1 "=" $2}' | sort | tr '\n' ' ')
[ "$ours " = "$theirs" ] && ok || fail "pkg outdated ($ours) differs from dnf check-update ($theirs)"
[ "$ours" = "zs-up.noarch=1.1-1" ] && ok || fail "outdated: $ours"
expect_json "sorted((p['name'], p['installed_version'], p['candidate'], p['skip_reason']) for p in d['outdated'])==[('zs-held','1.0-1','1.1-1','excluded'),('zs-up','1.0-1','1.1-1',None)]" "installed versions, and zs-held skipped as excluded"
TIMEOUT=60 expect_exit 100 "outdated (text)" "${Z[@]}" pkg outdated -m dnf
expect_contains "$OUT" "zs-held" "the text names the skipped package"

# pkg info against dnf info: installed and available sections.
info=$("${DNF[@]}" -C info zs-up 2>/dev/null)
avail=$(printf '%s\n' "$info" | awk -F' *: ' '/^Available Packages/{a=1} a&&/^Version/{v=$2} a&&/^Release/{r=$2} a&&/^Repository/{print v "-" r " " $2; exit}')
TIMEOUT=60 expect_exit 0 "pkg info" --json "${Z[@]}" pkg info zs-up -m dnf
expect_json "len(d['packages'])==1 and '%s %s' % (d['packages'][0]['candidate'], d['packages'][0]['repository'])=='$avail'" "pkg info's candidate is dnf info's available package ($avail)"
expect_json "d['packages'][0]['installed_version']=='1.0-1' and d['packages'][0]['description']=='upgrade test zs-up' and d['packages'][0]['download_size']>0" "pkg info: installed version, summary, size"
TIMEOUT=60 expect_exit 1 "pkg info of an unknown package" "${Z[@]}" pkg info zs-nosuch -m dnf

# --dry-run: dnf's own --assumeno transaction, zs-held left out by dnf; nothing changes.
before=$(rpm --root "$R" -qa | sort)
TIMEOUT=60 expect_exit 0 "dry run" --json "${Z[@]}" pkg upgrade --all -m dnf --dry-run
expect_json "[(p['name'],p['version']) for p in d['transaction']['upgrade']]==[('zs-up','1.1-1')] and '--assumeno' in d['simulation'] and '--installroot=$R' in d['argv']" "dnf upgrade --assumeno: zs-up only"
TIMEOUT=60 expect_exit 0 "dry run (text)" "${Z[@]}" pkg upgrade --all -m dnf --dry-run
expect_contains "$ERR" "skipping zs-held (excluded)" "the excluded package is shown as skipped"
[ "$(rpm --root "$R" -qa | sort)" = "$before" ] && ok || fail "the dry run changed the rpm database"

# No terminal, no --yes: refused, nothing changes; a named excluded package is skipped even with --yes.
TIMEOUT=60 expect_exit 2 "no terminal without --yes" "${Z[@]}" pkg upgrade --all -m dnf </dev/null
expect_contains "$ERR" "without confirmation" "the refusal"
TIMEOUT=60 expect_exit 0 "a named excluded package" "${Z[@]}" pkg upgrade --yes dnf:zs-held
expect_contains "$ERR" "skipping zs-held (excluded)" "named excluded package skipped"
[ "$(rpm --root "$R" -qa | sort)" = "$before" ] && ok || fail "refused or skipped upgrades changed the rpm database"

# On a terminal: the transaction, then [Y/n]; `y` upgrades zs-up, zs-held stays.
PTY_DEADLINE=120 python3 "$DRIVE" "$T/yes.tty" --expect "[Y/n]" --send 'y\r' -- "$ZSYNCCTL" "${Z[@]}" pkg upgrade --all -m dnf
code=$?
t=$(tr -d '\r' <"$T/yes.tty")
[ "$code" -eq 0 ] && ok || fail "confirmed upgrade exited $code: $t"
expect_contains "$t" "upgrade (1): zs-up (1.1-1)" "the question shows dnf's transaction"
expect_contains "$t" "upgraded 1 package with dnf" "the result"
[ "$(ver zs-up)" = "1.1-1" ] && ok || fail "zs-up not upgraded: $(ver zs-up)"
[ "$(ver zs-held)" = "1.0-1" ] && ok || fail "the excluded package was upgraded: $(ver zs-held)"
TIMEOUT=60 expect_exit 0 "outdated after the upgrade: an excluded package alone is 0" --json "${Z[@]}" pkg outdated -m dnf
expect_json "[(p['name'], p['skip_reason']) for p in d['outdated']]==[('zs-held','excluded')]" "only the excluded package is left"

# Ctrl-C during zs-slow 1.1's %post (6 s): zsyncctl waits for the transaction and exits 130.
rpmpkg zs-slow 1.1 6
publish
TIMEOUT=60 expect_exit 0 "refresh for zs-slow" "${Z[@]}" pkg refresh -m dnf </dev/null
PTY_DEADLINE=120 python3 "$DRIVE" "$T/intr.tty" --wait-file "$R/post.log" --send '\x03' --expect "exit=" -- \
    /bin/sh -c 'trap : INT; "$0" --no-cache --root "$1" pkg upgrade --yes dnf:zs-slow; echo "exit=$?"' "$ZSYNCCTL" "$R"
t=$(tr -d '\r' <"$T/intr.tty")
expect_contains "$t" "exit=130" "Ctrl-C mid-upgrade exits 130"
expect_contains "$t" "zs-slow installed; the package database is consistent" "rpm's state after the interruption is reported"
grep -q done "$R/post.log" && ok || fail "the %post did not finish: $(cat "$R/post.log")"
q=$(rpm --root "$R" -q zs-slow 2>&1)
[ "$q" = "zs-slow-1.1-1.noarch" ] && ok || fail "rpm -q zs-slow after Ctrl-C: $q"
v=$(rpm --root "$R" --verifydb 2>&1) && [ -z "$v" ] && ok || fail "rpm --verifydb after Ctrl-C: $v"
v=$(rpm --root "$R" -V zs-slow zs-up zs-held 2>&1) && ok || fail "rpm -V after Ctrl-C: $v"

finish
