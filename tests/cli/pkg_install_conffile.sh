#!/bin/bash
# dpkg's conffile question through zsyncctl, for real: a .deb with a conffile is installed into a scratch
# dpkg root, the conffile is edited, and newer versions are installed through zsyncctl on a real
# pseudo-terminal (pty_drive.py). On a terminal without --yes the question reaches the user and the answer
# reaches dpkg ("N" keeps the edited file, "Y" takes the package's); with --yes it is answered with the
# non-interactive default (keep) and nobody is asked.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/apt_scratch.sh"

T="$SCRATCH"
R="$T/root"
CONF="$R/etc/zs-conf.conf"
apt_scratch_root "$R" "$T/repo"

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
    local why
    why=$(apt_update "$R" zs-conf) || fail "apt-get update failed: $why"
}
installed_version() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Version}' zs-conf 2>&1; }

publish 1.0
TIMEOUT=120 expect_exit 0 "install 1.0" --root "$R" pkg install --yes apt:zs-conf
[ "$(cat "$CONF" 2>&1)" = "version 1.0" ] && ok || fail "conffile after 1.0: $(cat "$CONF" 2>&1)"

# The dry run on a terminal says the questions go to the user and leaves dpkg's --force-conf* out.
DRIVE="$TESTS_DIR/pty_drive.py"
PTY_DEADLINE=30 python3 "$DRIVE" "$T/plan.tty" -- "$ZSYNCCTL" --root "$R" pkg install -n apt:zs-conf
plan=$(cat "$T/plan.tty")
expect_contains "$plan" "questions:  asked on this terminal" "dry run on a terminal"
case "$plan" in *force-conf*) fail "interactive plan still forces conffile answers: $plan" ;; *) ok ;; esac

# answer VERSION KEY: publishes VERSION and installs it on a terminal, confirming and then answering dpkg's
# question with KEY; the terminal's text is left in $tty_text and in $T/answer-KEY.tty.
answer() {
    publish "$1"
    PTY_DEADLINE=120 python3 "$DRIVE" "$T/answer-$2.tty" --expect "[Y/n]" --send 'y\r' \
        --expect "(Y/I/N/O/D/Z) [default=N] ?" --send "$2\\r" -- "$ZSYNCCTL" --root "$R" pkg install apt:zs-conf
    local code=$?
    tty_text=$(cat "$T/answer-$2.tty")
    [ "$code" -eq 0 ] && ok || fail "install $1 answering $2 exited $code: ${tty_text: -2000}"
}

# --- "N": keep the edited file
echo "edited by the admin" >"$CONF"
answer 2.0 N
expect_contains "$tty_text" "Configuration file '/etc/zs-conf.conf'" "dpkg's question reached the terminal"
expect_contains "$tty_text" "installed zs-conf with apt" "the run finished"
[ "$(cat "$CONF" 2>&1)" = "edited by the admin" ] && ok || fail "N did not keep the edited file: $(cat "$CONF" 2>&1)"
[ "$(cat "$CONF.dpkg-dist" 2>&1)" = "version 2.0" ] && ok || fail "no .dpkg-dist with 2.0: $(cat "$CONF.dpkg-dist" 2>&1)"
[ "$(installed_version)" = "2.0" ] && ok || fail "version after N: $(installed_version)"

# --- "Y": take the package maintainer's version
answer 3.0 Y
[ "$(cat "$CONF" 2>&1)" = "version 3.0" ] && ok || fail "Y did not install the package's file: $(cat "$CONF" 2>&1)"
[ "$(cat "$CONF.dpkg-old" 2>&1)" = "edited by the admin" ] && ok || fail "no .dpkg-old with the edit: $(cat "$CONF.dpkg-old" 2>&1)"
# The bar stepped aside for the question (cursor shown again) and came back after it.
python3 - "$T/answer-Y.tty" <<'PY' && ok || fail "the bar did not step aside and come back: ${tty_text: -1500}"
import sys
t = open(sys.argv[1], "rb").read()
question = t.index(b"Configuration file '/etc/zs-conf.conf'")
answer = t.index(b"Installing new version of config file")
assert t.rfind(b"\x1b[?25h", 0, question) > t.rfind(b"\x1b[?25l", 0, question), "bar not put aside for the question"
assert b"] 100% install" in t[answer:], "no bar after the question"
PY

# --- --yes on a terminal: nobody is asked, the edited file is kept (dpkg --force-confdef/--force-confold)
echo "edited again" >"$CONF"
publish 4.0
PTY_DEADLINE=120 python3 "$DRIVE" "$T/yes.tty" -- "$ZSYNCCTL" --root "$R" pkg install --yes apt:zs-conf
code=$?
tty_text=$(cat "$T/yes.tty")
[ "$code" -eq 0 ] && ok || fail "install 4.0 with --yes exited $code: ${tty_text: -2000}"
case "$tty_text" in *"(Y/I/N/O/D/Z)"*) fail "--yes still asked: $tty_text" ;; *) ok ;; esac
[ "$(cat "$CONF" 2>&1)" = "edited again" ] && ok || fail "--yes did not keep the edited file: $(cat "$CONF" 2>&1)"
[ "$(installed_version)" = "4.0" ] && ok || fail "version after --yes: $(installed_version)"

finish
