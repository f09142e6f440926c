#!/bin/bash
# Interrupting an install never damages dpkg, with real apt/dpkg in a scratch root (apt_scratch.sh): a
# package whose postinst runs for 12 s (longer than any grace a kill timer could have) is interrupted
# mid-configure once (SIGINT), twice (no terminal: the second is refused), by SIGHUP, by its JSON reader
# leaving, and by Ctrl-C on a real pseudo-terminal (twice: the cost is explained, nothing killed). Each
# time zsyncctl exits only after dpkg finished, `dpkg --audit` is clean, no maintainer script is left
# running, the report names the package's final state and the log is complete. A dpkg lock held by
# another program (python3 with an fcntl lock on lock-frontend) is waited for with its PID named, and an
# interrupt during that wait exits 130 with nothing run.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/apt_scratch.sh"

T="$SCRATCH"
mkdir -p "$T/repo"
# Maintainer scripts run without chroot (the scratch root has no /bin/sh); $DPKG_ROOT is the root.
export ZSYNCCTL_APT_OPTIONS="DPkg::Options::=--force-script-chrootless"

# deb NAME [held]: a package whose postinst records its pid, (held:) runs until the test releases it, then
# says it finished. The test releases the postinst of $R (release) once the signals under test have reached
# zsyncctl and it said so: the signals always land mid-configure, on a loaded machine too, and no
# scenario sleeps for a fixed time (a 12 s postinst before: 60 s of the test's 100 were sleeps). At most
# 60 s, so a test that fails before releasing still ends.
deb() {
    local d="$T/pkg-$1"
    mkdir -p "$d/DEBIAN" "$d/usr/share/$1"
    printf 'Package: %s\nVersion: 1.0\nArchitecture: all\nMaintainer: zsyncctl tests <t@example.invalid>\nDescription: interrupt test\n' "$1" >"$d/DEBIAN/control"
    local hold=0
    [ "${2:-}" = held ] && hold=600
    cat >"$d/DEBIAN/postinst" <<SH
#!/bin/sh
echo "start \$\$" >>"\$DPKG_ROOT/postinst.log"
i=0
while [ ! -e "\$DPKG_ROOT/release" ] && [ "\$i" -lt $hold ]; do
    sleep 0.1
    i=\$((i + 1))
done
echo "done" >>"\$DPKG_ROOT/postinst.log"
echo "zs-postinst-finished"
SH
    chmod 755 "$d/DEBIAN/postinst"
    echo "$1" >"$d/usr/share/$1/file"
    dpkg-deb -b "$d" "$T/repo/$1_1.0_all.deb" >/dev/null || fail "dpkg-deb $1 failed"
}
deb zs-intr-slow held
deb zs-intr-quick

# release: the postinst of $R finishes.
release() {
    : >"$R/release"
}
(cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages failed"

# want N: scenario N runs (all of them unless PKG_INTERRUPT_ONLY lists some, e.g. "1 8").
want() {
    [ -z "${PKG_INTERRUPT_ONLY:-}" ] || [[ " $PKG_INTERRUPT_ONLY " == *" $1 "* ]]
}

N=0
# new_root: a fresh scratch root in $R with the repository's index.
new_root() {
    N=$((N + 1))
    R="$T/root$N"
    apt_scratch_root "$R" "$T/repo"
    why=$(apt_update "$R" zs-intr-slow) || { fail "apt-get update failed: $why"; finish; }
}

# wait_for FILE TEXT SECONDS: true once FILE contains TEXT.
wait_for() {
    local deadline=$((SECONDS + $3))
    until grep -q "$2" "$1" 2>/dev/null; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}


# settled WHAT: the checks after an interrupt mid-configure: dpkg finished before zsyncctl exited (the
# postinst wrote "done" already), the audit is clean, the postinst is gone, the package is installed.
settled() {
    local what=$1 pid audit status
    grep -q '^done' "$R/postinst.log" && ok || fail "$what: zsyncctl exited before the postinst finished"
    audit=$(dpkg --root="$R" --audit 2>&1)
    [ -z "$audit" ] && ok || fail "$what: dpkg --audit is not clean: $audit"
    pid=$(sed -n 's/^start //p' "$R/postinst.log" | head -1)
    if [ -n "$pid" ] && [ -e "/proc/$pid" ] && ! grep -q '^[^)]*) Z' "/proc/$pid/stat" 2>/dev/null; then
        fail "$what: the postinst (pid $pid) is still running"
    else
        ok
    fi
    pgrep -f "$R/" >/dev/null && fail "$what: processes under $R still run: $(pgrep -af "$R/")" || ok
    status=$(dpkg-query --root="$R" -W -f '${Status}' zs-intr-slow 2>&1)
    [ "$status" = "install ok installed" ] && ok || fail "$what: dpkg status: $status"
}

# log_complete WHAT: the log named in the hint has the postinst's last line and apt's own last words.
log_complete() {
    local log
    log=$(sed -n 's/.*its output is in \(.*\)$/\1/p' "$T/err" | tail -1)
    if [ -n "$log" ] && [ -f "$log" ]; then
        grep -q 'zs-postinst-finished' "$log" && ok || fail "$1: the log lacks the postinst's output: $(tail -5 "$log")"
    else
        fail "$1: no log named in: $(cat "$T/err")"
    fi
}

# 1. One SIGINT mid-configure: forwarded, dpkg finishes, exit 130, the report names the final state.
if want 1; then
new_root
"${INTERRUPTIBLE[@]}" "$ZSYNCCTL" --root "$R" pkg install --yes apt:zs-intr-slow >"$T/out" 2>"$T/err" &
zpid=$!
if wait_for "$R/postinst.log" start 60; then
    kill -INT "$zpid"
    wait_for "$T/err" "interrupted: waiting for dpkg" 30 || fail "one SIGINT: no wait message ($(cat "$T/err"))"
    release
    wait_exit "$zpid" 60
    [ "$CODE" -eq 130 ] && ok || fail "one SIGINT: exit $CODE, wanted 130 ($(cat "$T/err"))"
    settled "one SIGINT"
    expect_contains "$(cat "$T/err")" "zs-intr-slow installed; the package database is consistent" "one SIGINT: final state"
    expect_contains "$(cat "$T/err")" "waiting for dpkg (PID" "one SIGINT: says it waits for dpkg"
    log_complete "one SIGINT"
else
    fail "one SIGINT: the postinst never started ($(cat "$T/err"))"
    kill -KILL "$zpid"
fi

fi

# 2. Two SIGINTs without a terminal: the second is refused (dpkg is mid-transaction), then the same.
if want 2; then
new_root
"${INTERRUPTIBLE[@]}" "$ZSYNCCTL" --root "$R" pkg install --yes apt:zs-intr-slow >"$T/out" 2>"$T/err" &
zpid=$!
if wait_for "$R/postinst.log" start 60; then
    kill -INT "$zpid"
    wait_for "$T/err" "interrupted: waiting for dpkg" 30 || fail "two SIGINTs: no wait message ($(cat "$T/err"))"
    kill -INT "$zpid"
    wait_for "$T/err" "a second signal does not stop it" 30 || fail "two SIGINTs: no refusal ($(cat "$T/err"))"
    release
    wait_exit "$zpid" 60
    [ "$CODE" -eq 130 ] && ok || fail "two SIGINTs: exit $CODE, wanted 130 ($(cat "$T/err"))"
    settled "two SIGINTs"
    expect_contains "$(cat "$T/err")" "a second signal does not stop it half-way" "two SIGINTs: the warning"
    expect_contains "$(cat "$T/err")" "zs-intr-slow installed; the package database is consistent" "two SIGINTs: final state"
else
    fail "two SIGINTs: the postinst never started ($(cat "$T/err"))"
    kill -KILL "$zpid"
fi

fi

# 3. SIGHUP (the terminal closed): handled like SIGTERM, exit 129, dpkg finished, the log complete.
if want 3; then
new_root
"$ZSYNCCTL" --root "$R" pkg install --yes apt:zs-intr-slow >"$T/out" 2>"$T/err" &
zpid=$!
if wait_for "$R/postinst.log" start 60; then
    kill -HUP "$zpid"
    wait_for "$T/err" "interrupted: waiting for dpkg" 30 || fail "SIGHUP: no wait message ($(cat "$T/err"))"
    release
    wait_exit "$zpid" 60
    [ "$CODE" -eq 129 ] && ok || fail "SIGHUP: exit $CODE, wanted 129 ($(cat "$T/err"))"
    settled "SIGHUP"
    log_complete "SIGHUP"
else
    fail "SIGHUP: the postinst never started ($(cat "$T/err"))"
    kill -KILL "$zpid"
fi

fi

# 4. The JSON reader leaves mid-configure: no SIGPIPE death, the transaction finishes, exit 141.
if want 4; then
new_root
("$ZSYNCCTL" --json --root "$R" pkg install --yes apt:zs-intr-slow 2>"$T/err"; echo $? >"$T/code") |
    python3 -c '
import os, select, sys
# Reads until the postinst runs (checked every 0.1 s, not only when a line comes), then leaves.
while not os.path.exists(sys.argv[1] + "/postinst.log"):
    if select.select([0], [], [], 0.1)[0] and not os.read(0, 65536):
        break
' "$R" &
reader=$!
# The reader leaves when the postinst starts (`wait` would wait for the whole pipeline, zsyncctl too); a
# second on, zsyncctl has met the closed pipe while dpkg still configures, and the postinst may end.
wait_for "$R/postinst.log" start 60 || fail "reader left: the postinst never started ($(cat "$T/err"))"
sleep 1
release
wait_for "$T/code" . 90 || fail "reader left: zsyncctl did not end"
wait "$reader"
code=$(cat "$T/code" 2>/dev/null)
[ "$code" = 141 ] && ok || fail "reader left: exit $code, wanted 141 ($(cat "$T/err"))"
settled "reader left"

fi

# 5. | head -1: the reader leaves at once (during the download): apt stops cleanly, nothing half-done.
if want 5; then
new_root
release # should the postinst run after all, it does not hold the test up
timeout -k 2 90 "$ZSYNCCTL" --json --root "$R" pkg install --yes apt:zs-intr-slow 2>"$T/err" | head -1 >/dev/null
code=${PIPESTATUS[0]}
[ "$code" -eq 141 ] && ok || fail "| head -1: exit $code, wanted 141 ($(cat "$T/err"))"
sleep 0.5
pgrep -f "$R/" >/dev/null && fail "| head -1: processes under $R still run: $(pgrep -af "$R/")" || ok
audit=$(dpkg --root="$R" --audit 2>&1)
[ -z "$audit" ] && ok || fail "| head -1: dpkg --audit is not clean: $audit"

fi

# 6. Another program holds the dpkg lock: a visible wait naming its PID, then the install goes on.
if want 6; then
new_root
python3 -c '
import fcntl, sys, time, os
f = open(sys.argv[1], "w")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[3], "w").write(str(os.getpid()))
time.sleep(float(sys.argv[2]))
' "$R/var/lib/dpkg/lock-frontend" 3 "$T/holder" &
holder=$!
wait_for "$T/holder" . 10 || fail "the lock holder did not start"
TIMEOUT=90 expect_exit 0 "install after the lock is released" --root "$R" pkg install --yes apt:zs-intr-quick
expect_contains "$ERR" "waiting for the dpkg lock held by PID $holder (python3)" "the wait names the holder"
[ "$(dpkg-query --root="$R" -W -f '${Status}' zs-intr-quick 2>&1)" = "install ok installed" ] && ok ||
    fail "not installed after the lock was released"
wait "$holder"

fi

# 7. An interrupt while waiting for the lock: exit 130 at once, nothing run.
if want 6; then # 7 needs the root of 6
python3 -c '
import fcntl, sys, time, os
f = open(sys.argv[1], "w")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").write(str(os.getpid()))
time.sleep(60)
' "$R/var/lib/dpkg/lock-frontend" "$T/holder2" &
holder=$!
wait_for "$T/holder2" . 10 || fail "the second lock holder did not start"
"${INTERRUPTIBLE[@]}" "$ZSYNCCTL" --root "$R" pkg remove --yes apt:zs-intr-quick >"$T/out" 2>"$T/err" &
zpid=$!
if wait_for "$T/err" "waiting for the dpkg lock held by PID $holder" 20; then
    start=$SECONDS
    kill -INT "$zpid"
    wait_exit "$zpid" 10
    [ "$CODE" -eq 130 ] && ok || fail "interrupt while waiting: exit $CODE, wanted 130 ($(cat "$T/err"))"
    [ $((SECONDS - start)) -le 3 ] && ok || fail "interrupt while waiting took $((SECONDS - start)) s"
    expect_contains "$(cat "$T/err")" "nothing was run" "interrupt while waiting: nothing was run"
else
    fail "interrupt while waiting: no wait message ($(cat "$T/err"))"
    kill -KILL "$zpid"
fi
kill "$holder"
wait "$holder" 2>/dev/null
[ "$(dpkg-query --root="$R" -W -f '${Status}' zs-intr-quick 2>&1)" = "install ok installed" ] && ok ||
    fail "the interrupted remove changed the package"

fi

# 8. On a real pseudo-terminal: Ctrl-C twice mid-configure. The second explains the cost and asks for a
if want 8; then
# third; without it zsyncctl waits, exits 130, the cursor is shown and the terminal modes are back.
if python3 -c 'import pty' 2>/dev/null; then
    new_root
    PTY_DEADLINE=90 python3 "$TESTS_DIR/pty_drive.py" "$T/tty" --wait-file "$R/postinst.log" --send '\x03' \
        --expect "waiting for dpkg" --send '\x03' --expect "Press Ctrl-C again" --run ": >'$R/release'" -- \
        /bin/sh -c 'trap : INT; stty -a >"$2/stty.before"; "$0" --root "$1" pkg install --yes apt:zs-intr-slow; echo "exit=$?"; stty -a >"$2/stty.after"' \
        "$ZSYNCCTL" "$R" "$T"
    tty=$(tr -d '\r' <"$T/tty")
    case "$tty" in *exit=130*) ok ;; *) fail "Ctrl-C twice on a terminal: no exit=130; the terminal showed: $(tr '\033' '~' <"$T/tty" | tail -c 1500)" ;; esac
    expect_contains "$tty" "dpkg --root=$R --configure -a" "the second Ctrl-C names the repair"
    expect_contains "$tty" "zs-intr-slow installed; the package database is consistent" "terminal: final state"
    settled "Ctrl-C twice on a terminal"
    python3 - "$T/tty" <<'PY' && ok || fail "the cursor is not shown again at the end"
import sys
t = open(sys.argv[1], "rb").read()
hide, show = t.rfind(b"\x1b[?25l"), t.rfind(b"\x1b[?25h")
sys.exit(0 if hide >= 0 and show > hide else 1)
PY
    cmp -s "$T/stty.before" "$T/stty.after" && ok || fail "terminal modes changed: $(diff "$T/stty.before" "$T/stty.after")"
else
    echo "pty checks skipped: python3 has no pty module"
fi
fi

finish
