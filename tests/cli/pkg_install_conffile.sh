#!/bin/bash
# dpkg's conffile question through zsyncctl, for real: a .deb with a conffile is installed into a scratch
# dpkg root, the conffile is edited, and newer versions are installed through zsyncctl on a real
# pseudo-terminal (pty_drive.py). On a terminal without --yes the question reaches the user and the answer
# reaches dpkg ("N" keeps the edited file, "Y" takes the package's); with --yes it is answered with the
# non-interactive default (keep) and nobody is asked.
. "$TESTS_DIR/lib.sh"

for tool in apt-get dpkg-deb dpkg-scanpackages dpkg-query; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages apt, dpkg-dev)"
done

T="$SCRATCH"
R="$T/root"
CONF="$R/etc/zs-conf.conf"
mkdir -p "$T/repo" "$R/etc/apt/sources.list.d" "$R/etc/apt/preferences.d" "$R/etc/apt/apt.conf.d" \
    "$R/var/lib/apt/lists/partial" "$R/var/cache/apt/archives/partial" "$R/var/lib/dpkg/updates" \
    "$R/var/lib/dpkg/info" "$R/var/log"
: >"$R/var/lib/dpkg/status"
echo "deb [trusted=yes] file:$T/repo ./" >"$R/etc/apt/sources.list"

# publish VERSION: builds zs-conf VERSION (its conffile says "version VERSION") and makes it the newest.
publish() {
    local p="$T/build-$1"
    mkdir -p "$p/DEBIAN" "$p/etc"
    printf 'Package: zs-conf\nVersion: %s\nArchitecture: all\nMaintainer: zsyncctl tests <tests@example.invalid>\nDescription: A test package with a conffile\n' "$1" >"$p/DEBIAN/control"
    echo /etc/zs-conf.conf >"$p/DEBIAN/conffiles"
    echo "version $1" >"$p/etc/zs-conf.conf"
    rm -f "$T"/repo/*.deb
    dpkg-deb -b "$p" "$T/repo/zs-conf_$1_all.deb" >/dev/null || fail "dpkg-deb $1 failed"
    (cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages failed"
    timeout 60 apt-get -q "${APT_ARGS[@]}" update >"$T/update.log" 2>&1 || fail "apt-get update failed: $(tail -5 "$T/update.log")"
}
installed_version() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Version}' zs-conf 2>&1; }

# The same apt options the plan uses, for the index update (not part of pkg install).
opts=$("$ZSYNCCTL" --json --root "$R" pkg install -n apt:zs-conf | python3 -c "
import json,sys
a=json.load(sys.stdin)['argv']
print('\n'.join(a[i+1] for i,x in enumerate(a) if x=='-o' and a[i+1].startswith(('Dir','DPkg::Options::=--root','DPkg::Options::=--admindir','DPkg::Options::=--force-not-root','Debug'))))")
APT_ARGS=()
while IFS= read -r o; do APT_ARGS+=(-o "$o"); done <<<"$opts"

publish 1.0
TIMEOUT=120 expect_exit 0 "install 1.0" --root "$R" pkg install --yes apt:zs-conf
[ "$(cat "$CONF" 2>&1)" = "version 1.0" ] && ok || fail "conffile after 1.0: $(cat "$CONF" 2>&1)"

# The dry run on a terminal says the questions go to the user and leaves dpkg's --force-conf* out.
DRIVE="$TESTS_DIR/pty_drive.py"
PTY_DEADLINE=30 "$DRIVE" "$T/plan.tty" -- "$ZSYNCCTL" --root "$R" pkg install -n apt:zs-conf
plan=$(cat "$T/plan.tty")
expect_contains "$plan" "questions:  asked on this terminal" "dry run on a terminal"
case "$plan" in *force-conf*) fail "interactive plan still forces conffile answers: $plan" ;; *) ok ;; esac

# --- "N": keep the edited file
echo "edited by the admin" >"$CONF"
publish 2.0
PTY_DEADLINE=120 "$DRIVE" "$T/keep.tty" --expect "[Y/n]" --send 'y\r' \
    --expect "(Y/I/N/O/D/Z) [default=N] ?" --send 'N\r' -- "$ZSYNCCTL" --root "$R" pkg install apt:zs-conf
code=$?
tty_text=$(cat "$T/keep.tty")
[ "$code" -eq 0 ] && ok || fail "install 2.0 answering N exited $code: ${tty_text: -2000}"
expect_contains "$tty_text" "Configuration file '/etc/zs-conf.conf'" "dpkg's question reached the terminal"
expect_contains "$tty_text" "installed zs-conf with apt" "the run finished"
[ "$(cat "$CONF" 2>&1)" = "edited by the admin" ] && ok || fail "N did not keep the edited file: $(cat "$CONF" 2>&1)"
[ "$(cat "$CONF.dpkg-dist" 2>&1)" = "version 2.0" ] && ok || fail "no .dpkg-dist with 2.0: $(cat "$CONF.dpkg-dist" 2>&1)"
[ "$(installed_version)" = "2.0" ] && ok || fail "version after N: $(installed_version)"

# --- "Y": take the package maintainer's version
publish 3.0
PTY_DEADLINE=120 "$DRIVE" "$T/take.tty" --expect "[Y/n]" --send 'y\r' \
    --expect "(Y/I/N/O/D/Z) [default=N] ?" --send 'Y\r' -- "$ZSYNCCTL" --root "$R" pkg install apt:zs-conf
code=$?
tty_text=$(cat "$T/take.tty")
[ "$code" -eq 0 ] && ok || fail "install 3.0 answering Y exited $code: ${tty_text: -2000}"
[ "$(cat "$CONF" 2>&1)" = "version 3.0" ] && ok || fail "Y did not install the package's file: $(cat "$CONF" 2>&1)"
[ "$(cat "$CONF.dpkg-old" 2>&1)" = "edited by the admin" ] && ok || fail "no .dpkg-old with the edit: $(cat "$CONF.dpkg-old" 2>&1)"
# The bar stepped aside for the question (cursor shown again) and came back after it.
python3 - "$T/take.tty" <<'PY' && ok || fail "the bar did not step aside and come back: ${tty_text: -1500}"
import sys
t = open(sys.argv[1], "rb").read()
question = t.index(b"Configuration file '/etc/zs-conf.conf'")
answer = t.index(b"Installing new version of config file")
assert t.rfind(b"\x1b[?25h", 0, question) > t.rfind(b"\x1b[?25l", 0, question), "bar not put aside for the question"
assert b"] 100% install 100%" in t[answer:], "no bar after the question"
PY

# --- --yes on a terminal: nobody is asked, the edited file is kept (dpkg --force-confdef/--force-confold)
echo "edited again" >"$CONF"
publish 4.0
PTY_DEADLINE=120 "$DRIVE" "$T/yes.tty" -- "$ZSYNCCTL" --root "$R" pkg install --yes apt:zs-conf
code=$?
tty_text=$(cat "$T/yes.tty")
[ "$code" -eq 0 ] && ok || fail "install 4.0 with --yes exited $code: ${tty_text: -2000}"
case "$tty_text" in *"(Y/I/N/O/D/Z)"*) fail "--yes still asked: $tty_text" ;; *) ok ;; esac
[ "$(cat "$CONF" 2>&1)" = "edited again" ] && ok || fail "--yes did not keep the edited file: $(cat "$CONF" 2>&1)"
[ "$(installed_version)" = "4.0" ] && ok || fail "version after --yes: $(installed_version)"

finish
