#!/bin/bash
# `pkg upgrade` with the real apt/dpkg on a scratch root (apt_scratch.sh) whose local repository then
# publishes newer versions: --dry-run shows apt's own transaction (the held package kept back) and changes
# nothing; without a terminal and without --yes it is refused (exit 2); a held package named is skipped;
# on a real pseudo-terminal the transaction is shown, `y` upgrades it and the held package stays; Ctrl-C
# in the middle of an upgrade (a postinst that runs for seconds) waits for dpkg, exits 130 and leaves
# `dpkg --audit` clean.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/apt_scratch.sh"
command -v apt-mark >/dev/null || skip "apt-mark is not installed (Debian package apt)"
python3 -c 'import pty' 2>/dev/null || skip "python3 has no pty module"

T="$SCRATCH"
R="$T/root"
DRIVE="$TESTS_DIR/pty_drive.py"
# Maintainer scripts run without chroot (the scratch root has no /bin/sh); $DPKG_ROOT is the root.
export ZSYNCCTL_APT_OPTIONS="DPkg::Options::=--force-script-chrootless"
mkdir -p "$T/repo"
# deb NAME VERSION [POSTINST-SECONDS]: a package; with seconds, its postinst records its pid and sleeps.
deb() {
    local d="$T/build/$1-$2"
    rm -rf "$d"
    mkdir -p "$d/DEBIAN" "$d/usr/share/$1"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: upgrade test %s\n' \
        "$1" "$2" "$1" >"$d/DEBIAN/control"
    if [ -n "${3:-}" ]; then
        printf '#!/bin/sh\necho "start $$" >>"$DPKG_ROOT/postinst.log"\nsleep %s\necho done >>"$DPKG_ROOT/postinst.log"\n' \
            "$3" >"$d/DEBIAN/postinst"
        chmod 755 "$d/DEBIAN/postinst"
    fi
    echo "$1 $2" >"$d/usr/share/$1/version"
    dpkg-deb -b "$d" "$T/repo/$1_$2_all.deb" >/dev/null || fail "dpkg-deb $1 $2"
}
publish() {
    (cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages"
    why=$(apt_update "$R" zs-up) || fail "apt-get update failed: $why"
}
version() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Version}' "$1" 2>/dev/null; }
status() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Status}' "$1" 2>/dev/null; }
audit_clean() { # WHAT
    local a
    a=$(dpkg --root="$R" --audit 2>&1)
    [ -z "$a" ] && ok || fail "$1: dpkg --audit on the scratch root: $a"
}
Z=(--root "$R")

deb zs-up 1.0
deb zs-held 1.0
deb zs-slow 1.0
apt_scratch_root "$R" "$T/repo"
publish
APT_OPTS=()
while IFS= read -r o; do APT_OPTS+=(-o "$o"); done < <("$ZSYNCCTL" --json --root "$R" pkg install -n apt:zs-up |
    python3 -c "
import json,sys
a=json.load(sys.stdin)['argv']
print('\n'.join(a[i+1] for i,x in enumerate(a) if x=='-o' and a[i+1].startswith(('Dir','DPkg::Options::=--root','DPkg::Options::=--admindir'))))")
TIMEOUT=120 expect_exit 0 "install the 1.0 versions" "${Z[@]}" pkg install --yes apt:zs-up apt:zs-held apt:zs-slow
echo "zs-held hold" | dpkg --root="$R" --force-not-root --set-selections || fail "hold zs-held"

# Nothing newer yet: nothing to upgrade, nothing asked.
TIMEOUT=60 expect_exit 0 "nothing to upgrade" "${Z[@]}" pkg upgrade --all -m apt </dev/null
expect_contains "$ERR" "nothing to upgrade with apt" "says so"

deb zs-up 2.0
deb zs-held 2.0
(cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages"
# pkg outdated never refreshes: 2.0 is not seen until pkg refresh runs apt-get update into the root's lists.
TIMEOUT=60 expect_exit 0 "outdated before the refresh" --json "${Z[@]}" pkg outdated -m apt
TIMEOUT=60 expect_exit 2 "refresh: a manager without one" "${Z[@]}" pkg refresh -m npm
TIMEOUT=60 expect_exit 0 "refresh dry run" --json "${Z[@]}" pkg refresh -m apt --dry-run
expect_json "d['operation']=='refresh' and d['argv'][-1]=='update' and 'Dir=$R' in d['argv']" "refresh plan: apt-get update in the root"
TIMEOUT=120 expect_exit 0 "pkg refresh -m apt" "${Z[@]}" pkg refresh -m apt </dev/null
expect_contains "$ERR" "refreshed apt's package metadata" "refresh says so"
TIMEOUT=60 expect_exit 100 "outdated after the refresh" --json "${Z[@]}" pkg outdated -m apt
expect_json "sorted((p['name'], p['candidate'], p['skipped']) for p in d['outdated'])==[('zs-held','2.0',True),('zs-up','2.0',False)]" "the refresh brought 2.0"

# pkg info: installed and candidate as apt-cache policy says them (same root), description, repository.
POLICY=$(apt-cache "${APT_OPTS[@]}" policy zs-up 2>/dev/null)
TIMEOUT=60 expect_exit 0 "pkg info" --json "${Z[@]}" pkg info zs-up -m apt
inst=$(printf '%s' "$POLICY" | awk '/Installed:/{print $2}')
cand=$(printf '%s' "$POLICY" | awk '/Candidate:/{print $2}')
expect_json "d['packages'][0]['installed_version']=='$inst' and d['packages'][0]['candidate']=='$cand' and d['packages'][0]['description']=='upgrade test zs-up' and d['packages'][0]['repository'] and d['packages'][0]['download_size']>0" "pkg info agrees with apt-cache policy ($inst -> $cand)"
# The repository as apt-cache policy names it: the line under the candidate's version, without its priority.
repo=$(printf '%s\n' "$POLICY" | awk -v c="$cand" 'f {sub(/^ *-?[0-9]+ /, ""); print; exit} $1 == c || ($1 == "***" && $2 == c) {f = 1}')
[ -n "$repo" ] && ok || fail "no repository line under $cand in apt-cache policy: $POLICY"
expect_json "d['packages'][0]['repository']=='$repo'" "pkg info's repository is apt-cache policy's ($repo)"
TIMEOUT=60 expect_exit 0 "pkg info (text)" "${Z[@]}" pkg info zs-held -m apt
expect_contains "$OUT" "installed:   1.0 (explicit, held)" "info text: held"
expect_contains "$OUT" "candidate:   2.0" "info text: candidate"
TIMEOUT=60 expect_exit 1 "pkg info of an unknown package" "${Z[@]}" pkg info zs-nosuch -m apt

# --dry-run: apt's own simulation of apt-get upgrade, the held package kept back; nothing changes.
TIMEOUT=60 expect_exit 0 "dry run" "${Z[@]}" pkg upgrade --all -m apt --dry-run
expect_contains "$OUT" "upgrade (1): zs-up (1.0 -> 2.0)" "the dry run shows apt's transaction"
expect_contains "$OUT" "keep back (1): zs-held" "the held package is kept back"
expect_contains "$ERR" "skipping zs-held (held)" "the held package is shown as skipped"
TIMEOUT=60 expect_exit 0 "dry run (json)" --json "${Z[@]}" pkg upgrade --all -m apt --dry-run
expect_json "d['operation']=='upgrade' and d['names']==[] and [p['name'] for p in d['transaction']['upgrade']]==['zs-up'] and 'upgrade' in d['simulation']" "JSON dry run"
[ "$(version zs-up)" = "1.0" ] && ok || fail "the dry run changed zs-up: $(version zs-up)"

# No terminal, no --yes: refused, nothing changes.
TIMEOUT=60 expect_exit 2 "no terminal without --yes" "${Z[@]}" pkg upgrade --all -m apt </dev/null
expect_contains "$ERR" "refusing to upgrade every upgradable package with apt without confirmation" "the refusal"
TIMEOUT=60 expect_exit 2 "--json without --yes" --json "${Z[@]}" pkg upgrade apt:zs-up </dev/null
expect_json "d['exit_code']==2 and 'without confirmation' in d['error']" "one JSON error object"
[ "$(version zs-up)" = "1.0" ] && ok || fail "a refused upgrade changed zs-up: $(version zs-up)"

# A held package named is skipped, even with --yes (apt-get install --only-upgrade would take it).
TIMEOUT=60 expect_exit 0 "upgrade a held package by name" "${Z[@]}" pkg upgrade --yes apt:zs-held
expect_contains "$ERR" "skipping zs-held (held): 1.0 stays" "named held package skipped"
[ "$(version zs-held)" = "1.0" ] && ok || fail "the held package was upgraded: $(version zs-held)"
TIMEOUT=60 expect_exit 0 "a held package by name (json)" --json "${Z[@]}" pkg upgrade --yes apt:zs-held
expect_json "d['event']=='done' and d['result']=='up_to_date' and d['changed'] is False and [(x['name'],x['skip_reason']) for x in d['skipped']]==[('zs-held','held')]" "JSON: one done event naming the skipped package"
TIMEOUT=60 expect_exit 0 "a name that is not outdated" "${Z[@]}" pkg upgrade --yes apt:zs-slow
expect_contains "$ERR" "zs-slow is up to date or not installed (apt)" "up to date"

# Without --manager: the one detected manager with upgrades (the image has apt like a real Debian root;
# it is never run from there), the same for info and refresh.
mkdir -p "$R/usr/bin" && cp /usr/bin/apt-get "$R/usr/bin/apt-get"
TIMEOUT=60 expect_exit 0 "upgrade dry run without --manager" --json "${Z[@]}" pkg upgrade --all --dry-run
expect_json "d['manager']=='apt' and d['chosen_by']=='search' and [p['name'] for p in d['transaction']['upgrade']]==['zs-up']" "apt chosen: the only manager with upgrades"
TIMEOUT=60 expect_exit 0 "info without --manager" --json "${Z[@]}" pkg info zs-up
expect_json "[(p['manager'],p['candidate']) for p in d['packages']]==[('apt','2.0')]" "info asks the detected managers"
TIMEOUT=60 expect_exit 0 "refresh without --manager" --json "${Z[@]}" pkg refresh --dry-run
expect_json "d['manager']=='apt' and d['operation']=='refresh'" "refresh: the detected manager"

# Usage errors.
expect_exit 2 "neither names nor --all" "${Z[@]}" pkg upgrade -m apt
expect_exit 2 "names and --all" "${Z[@]}" pkg upgrade --all apt:zs-up
expect_exit 2 "a manager that cannot upgrade" "${Z[@]}" pkg upgrade --all -m dpkg
expect_exit 2 "a bad name" "${Z[@]}" pkg upgrade -m apt 'zs;up'

# On a terminal: the transaction, then [Y/n]; `y` upgrades zs-up, zs-held stays.
PTY_DEADLINE=120 python3 "$DRIVE" "$T/yes.tty" --expect "[Y/n]" --send 'y\r' -- "$ZSYNCCTL" "${Z[@]}" pkg upgrade --all -m apt
code=$?
t=$(tr -d '\r' <"$T/yes.tty")
[ "$code" -eq 0 ] && ok || fail "confirmed upgrade exited $code: $t"
expect_contains "$t" "upgrade (1): zs-up (1.0 -> 2.0)" "the question shows the transaction"
expect_contains "$t" "Upgrade every upgradable package with apt?" "the question"
expect_contains "$t" "upgraded 1 package with apt" "the result"
[ "$(version zs-up)" = "2.0" ] && ok || fail "zs-up not upgraded: $(version zs-up)"
[ "$(version zs-held)" = "1.0" ] && ok || fail "the held package was upgraded: $(version zs-held)"
[ "$(status zs-held)" = "hold ok installed" ] && ok || fail "zs-held's hold: $(status zs-held)"
audit_clean "after the upgrade"

# Ctrl-C in the middle of an upgrade: zs-slow 2.0's postinst runs 6 s; zsyncctl waits for dpkg, exits 130.
deb zs-slow 2.0 6
publish
PTY_DEADLINE=120 python3 "$DRIVE" "$T/intr.tty" --wait-file "$R/postinst.log" --send '\x03' --expect "waiting for dpkg" -- \
    /bin/sh -c 'trap : INT; "$0" --root "$1" pkg upgrade --yes apt:zs-slow; echo "exit=$?"' "$ZSYNCCTL" "$R"
t=$(tr -d '\r' <"$T/intr.tty")
expect_contains "$t" "exit=130" "Ctrl-C mid-upgrade exits 130"
grep -q done "$R/postinst.log" && ok || fail "the postinst did not finish: $(cat "$R/postinst.log")"
audit_clean "after Ctrl-C mid-upgrade"
[ "$(status zs-slow)" = "install ok installed" ] && ok || fail "zs-slow after Ctrl-C: $(status zs-slow)"

finish
