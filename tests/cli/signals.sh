#!/usr/bin/env bash
# Signals reach every command through one owner (core::SignalMonitor): SIGINT, SIGTERM and SIGHUP sent to
# zsyncctl while it runs stub managers (search, the manager choice of install, --versions, an install)
# stop every child (checked by pid, grandchildren included) and exit 130/143/129; a reader of stdout that
# leaves (`| head -1`) stops the managers too; on a real pseudo-terminal the cursor that the progress bar
# hid is shown again after the signal. A signal ignored when zsyncctl starts (nohup) stays ignored.
. "$(dirname "$0")/lib.sh"

: "${SCRATCH:?lib.sh sets SCRATCH; never write stubs elsewhere}"
BIN="$SCRATCH/bin"
PIDS="$SCRATCH/pids"
mkdir -p "$BIN"
export PATH="$BIN:/usr/bin:/bin"

# stub NAME: a manager whose every command records its pid and the pid of a grandchild, prints a line
# and then sleeps (a search, a --version, an install alike). With STUB_IGNORE_INT set it ignores SIGINT.
stub() {
    cat >"$BIN/$1" <<SH
#!/bin/sh
[ -n "\${STUB_IGNORE_INT:-}" ] && trap '' INT
/bin/sleep 60 &
echo "\$! \$\$" >>"$PIDS"
echo "\$PPID" >"$SCRATCH/parent"
echo "zs-working on \$*"
wait
SH
    chmod +x "$BIN/$1"
}
stub dnf
stub npm

# A recorded pid is gone (or a zombie nobody will see again) within 5 s.
all_gone() {
    local deadline=$((SECONDS + 5)) pid left
    while :; do
        left=""
        for pid in $(cat "$PIDS" 2>/dev/null); do
            if [ -e "/proc/$pid" ] && ! grep -q '^[^)]*) Z' "/proc/$pid/stat" 2>/dev/null; then
                left="$left $pid"
            fi
        done
        [ -z "$left" ] && return 0
        [ "$SECONDS" -ge "$deadline" ] && { echo "$left"; return 1; }
        sleep 0.1
    done
}

# started: waits (10 s) until a stub recorded its pids.
started() {
    local deadline=$((SECONDS + 10))
    until [ -s "$PIDS" ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}

# interrupt SIGNAL WANT_CODE WHAT ARGS...: runs zsyncctl ARGS in the background, sends SIGNAL once a stub
# runs, and checks the exit code, the time it took and that no child is left.
interrupt() {
    local sig=$1 want=$2 what=$3
    shift 3
    rm -f "$PIDS"
    "${INTERRUPTIBLE[@]}" "$ZSYNCCTL" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" &
    local zpid=$! start=$SECONDS
    if ! started; then
        fail "$what: no stub started ($(cat "$SCRATCH/err"))"
        kill -KILL "$zpid" 2>/dev/null
        wait "$zpid" 2>/dev/null
        return
    fi
    kill "-$sig" "$zpid"
    # A deadline without a watchdog subshell (killing one early would run lib.sh's EXIT trap in it).
    local deadline=$((SECONDS + 20))
    while kill -0 "$zpid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.05
    done
    kill -KILL "$zpid" 2>/dev/null
    wait "$zpid"
    local code=$?
    [ "$code" -eq "$want" ] && ok || fail "$what: SIG$sig gave exit $code, wanted $want ($(head -c 300 "$SCRATCH/err"))"
    [ $((SECONDS - start)) -le 12 ] && ok || fail "$what: SIG$sig took $((SECONDS - start)) s"
    local left
    left=$(all_gone) && ok || fail "$what: SIG$sig left children running:$left"
}

for pair in INT:130 TERM:143 HUP:129; do
    sig=${pair%%:*}
    code=${pair##*:}
    interrupt "$sig" "$code" "pkg search" --no-cache pkg search zs -m dnf
    interrupt "$sig" "$code" "pkg search --json-lines" --no-cache pkg search zs -m dnf --json-lines
    interrupt "$sig" "$code" "pkg managers --versions" --no-cache pkg managers --versions
    interrupt "$sig" "$code" "doctor --versions" --no-cache doctor --versions
    interrupt "$sig" "$code" "pkg install NAME (manager choice)" --no-cache pkg install --dry-run zs-one
    interrupt "$sig" "$code" "pkg install (the manager runs)" --no-cache pkg install --yes npm:zs-one
done
expect_contains "$(cat "$SCRATCH/err")" "interrupted; npm was stopped" "install reports the interrupt"
# SIGQUIT is handled like SIGTERM (no core dump, children stopped), with its own exit code.
interrupt QUIT 131 "pkg search" --no-cache pkg search zs -m dnf
interrupt QUIT 131 "pkg install (the manager runs)" --no-cache pkg install --yes npm:zs-one

# The first interrupt forwards SIGINT to a manager and waits; one that ignores it is killed by the
# second interrupt, at once.
rm -f "$PIDS"
STUB_IGNORE_INT=1 "${INTERRUPTIBLE[@]}" "$ZSYNCCTL" --no-cache pkg install --yes npm:zs-one >"$SCRATCH/out" 2>"$SCRATCH/err" &
zpid=$!
if started; then
    kill -INT "$zpid"
    sleep 1
    if kill -0 "$zpid" 2>/dev/null; then ok; else fail "zsyncctl did not wait for the manager after one SIGINT"; fi
    start=$SECONDS
    kill -INT "$zpid"
    wait "$zpid"
    code=$?
    [ "$code" -eq 130 ] && ok || fail "second SIGINT: exit $code, wanted 130"
    [ $((SECONDS - start)) -le 3 ] && ok || fail "second SIGINT took $((SECONDS - start)) s"
    left=$(all_gone) && ok || fail "second SIGINT left children running:$left"
else
    fail "the SIGINT-ignoring install stub did not start"
    kill -KILL "$zpid"
fi

# Signals ignored when zsyncctl starts stay ignored, by it and by the managers it runs: nohup's SIGHUP, the
# SIGINT and SIGQUIT bash ignores for a script's background job, a `trap '' TERM`. All four are sent while
# the search's manager waits for the test's word; the search then ends as usual (exit 0, its results).
# (Not ignored, each one stops the run: the interrupt checks above, SIGHUP -> 129 included.)
cat >"$BIN/dnf" <<SH
#!/bin/sh
while read -r key value; do [ "\$key" = SigIgn: ] && echo "\$value" >"$SCRATCH/dnf-sigign"; done </proc/\$\$/status
until [ -e "$SCRATCH/release" ]; do /bin/sleep 0.05; done
cat "$SOURCE_ROOT/tests/fixtures/search/cli/dnf.out"
SH
chmod +x "$BIN/dnf"
rm -f "$SCRATCH/dnf-sigign" "$SCRATCH/release"
# A background command, not a subshell: bash ignores SIGINT and SIGQUIT for it, and the ignored TERM is
# inherited (a `( ... ) &` subshell puts SIGINT and SIGQUIT back before it runs a command).
trap '' TERM
nohup "$ZSYNCCTL" --no-cache pkg search hello -m dnf >"$SCRATCH/out" 2>"$SCRATCH/err" </dev/null &
zpid=$!
trap - TERM
for _ in $(seq 200); do # up to 10 s
    [ -s "$SCRATCH/dnf-sigign" ] && break
    sleep 0.05
done
if [ -s "$SCRATCH/dnf-sigign" ]; then
    for sig in HUP INT QUIT TERM; do
        kill "-$sig" "$zpid"
    done
    # A handled signal stays pending until a thread takes it; an ignored one is dropped when sent.
    for _ in $(seq 100); do
        grep -q '^ShdPnd:[[:space:]]*0*$' "/proc/$zpid/status" 2>/dev/null && break
        sleep 0.05
    done
    kill -0 "$zpid" 2>/dev/null && ok || fail "nohup, background job, trap '' TERM: zsyncctl ended on a signal it was started with ignored"
    mask=$((16#$(cat "$SCRATCH/dnf-sigign")))
    for pair in HUP:1 INT:2 QUIT:3 TERM:15; do
        [ $(((mask >> (${pair##*:} - 1)) & 1)) -eq 1 ] && ok ||
            fail "the manager does not ignore SIG${pair%%:*} as its caller did (SigIgn $(cat "$SCRATCH/dnf-sigign"))"
    done
else
    fail "nohup: the dnf stub did not start ($(cat "$SCRATCH/err"))"
fi
: >"$SCRATCH/release"
wait_exit "$zpid" 20
code=$CODE
[ "$code" -eq 0 ] && ok || fail "nohup, signals ignored: exit $code, wanted 0 ($(head -c 300 "$SCRATCH/err"))"
expect_contains "$(cat "$SCRATCH/out")" "hello" "nohup, signals ignored: the search's results"
case "$(cat "$SCRATCH/err")" in *interrupted*) fail "nohup: reported an interrupt: $(cat "$SCRATCH/err")" ;; *) ok ;; esac

# A reader that leaves: the managers are stopped, zsyncctl stops quietly (141, as SIGPIPE would have it).
cat >"$BIN/dnf" <<SH
#!/bin/sh
echo "\$\$" >>"$PIDS"
cat "$SOURCE_ROOT/tests/fixtures/search/cli/dnf.out"
SH
chmod +x "$BIN/dnf"
rm -f "$PIDS"
start=$SECONDS
timeout -k 2 30 "$ZSYNCCTL" --no-cache pkg search hello -m dnf -m npm --json-lines 2>"$SCRATCH/err" |
    head -1 >"$SCRATCH/head"
codes=("${PIPESTATUS[@]}")
out=$(cat "$SCRATCH/head")
[ $((SECONDS - start)) -le 12 ] && ok || fail "| head -1 took $((SECONDS - start)) s"
left=$(all_gone) && ok || fail "| head -1 left managers running:$left"
[ "${codes[0]}" -eq 141 ] && ok || fail "| head -1: zsyncctl exit ${codes[0]}, wanted 141 ($(cat "$SCRATCH/err"))"
expect_contains "$out" '"manager":"dnf"' "| head -1 got the first result"
case "$(cat "$SCRATCH/err")" in *error*) fail "| head -1 printed an error: $(cat "$SCRATCH/err")" ;; *) ok ;; esac
stub dnf

# A reader gone before the answer is written: exit 141 and nothing more, not the notes that follow it on
# stderr (-v's timings, "cancelled" for the managers the reader's leaving stopped, a failed query). Found as
# `pkg outdated | head -1` printing seven notes, and pkg info/which/paths with a closed pipe printing
# "apt: cancelled", "no package manager here knows ..." and "`gem environment` failed (status -1)".
# The pipe's read end is closed before zsyncctl starts, so every write fails, whatever the timing.
mkdir -p "$SCRATCH/dpkgroot/var/lib/dpkg"
printf 'Package: zs-one\nStatus: install ok installed\nVersion: 1\nArchitecture: all\nDescription: one\n\n' \
    >"$SCRATCH/dpkgroot/var/lib/dpkg/status"
while read -r name code err; do
    [ "$code" = 141 ] && ok || fail "$name to a closed pipe: exit $code, wanted 141 ($err)"
    [ "$err" = "''" ] && ok || fail "$name to a closed pipe wrote to stderr: $err"
done < <(python3 - "$ZSYNCCTL" "$SCRATCH/dpkgroot" <<'PY'
import os, subprocess, sys
exe, root = sys.argv[1], sys.argv[2]
for name, args in (("list", ["--root", root, "pkg", "list", "-m", "apt", "-v"]),
                   ("info", ["--root", root, "pkg", "info", "-m", "apt", "-v", "zs-one"]),
                   ("which", ["--root", root, "pkg", "which", "-v", "zs-one"]),
                   ("paths", ["pkg", "paths"])):
    r, w = os.pipe()
    os.close(r)
    p = subprocess.run([exe] + args, stdout=w, stderr=subprocess.PIPE, timeout=30)
    os.close(w)
    print(name, p.returncode, repr(p.stderr.decode(errors="replace")))
PY
)

# An interrupt while a big result is being printed to a slow reader stops the printing: apt's "lib" is
# 31k lines, and a user who pressed Ctrl-C wants no more of them. A root whose apt lists hold 20,000
# matching packages, searched once to build the index; then the same search writes into a pipe nobody reads
# for 3 s, so it blocks after the pipe's 64 KiB, and gets SIGINT (SIGTERM) meanwhile: exit 130 (143), and
# the reader gets a block or two, not all 20,000 lines.
R="$SCRATCH/bigroot"
mkdir -p "$R/var/lib/apt/lists" "$R/var/lib/dpkg" "$R/etc/apt"
echo "deb [trusted=yes] file:/srv/repo ./" >"$R/etc/apt/sources.list"
: >"$R/var/lib/dpkg/status"
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "Package: zs-big-%05d\nVersion: 1.%d\nArchitecture: all\nDescription: zs big package %d\n\n", i, i, i }' \
    >"$R/var/lib/apt/lists/_srv_repo_._Packages"
XDG_CACHE_HOME="$SCRATCH/cache" "$ZSYNCCTL" --root "$R" pkg search zs-big -m apt >"$SCRATCH/big-all" 2>/dev/null
[ "$(wc -l <"$SCRATCH/big-all")" -eq 20000 ] && ok || fail "big root: $(wc -l <"$SCRATCH/big-all") results, wanted 20000"
for pair in INT:130 TERM:143; do
    sig=${pair%%:*}
    want=${pair##*:}
    rm -f "$SCRATCH/big-count"
    XDG_CACHE_HOME="$SCRATCH/cache" "${INTERRUPTIBLE[@]}" "$ZSYNCCTL" --root "$R" pkg search zs-big -m apt \
        > >(sleep 3; wc -l >"$SCRATCH/big-count.t" && mv "$SCRATCH/big-count.t" "$SCRATCH/big-count") \
        2>"$SCRATCH/big-err" &
    zpid=$!
    sleep 1.5 # the search is done in ~0.1 s (under ASan well within this); the printing then blocks
    kill -"$sig" "$zpid"
    wait "$zpid"
    code=$?
    for _ in $(seq 100); do # the reader: up to 10 s
        [ -f "$SCRATCH/big-count" ] && break
        sleep 0.1
    done
    lines=$(cat "$SCRATCH/big-count" 2>/dev/null || echo 0)
    [ "$code" -eq "$want" ] && ok || fail "SIG$sig while printing: exit $code, wanted $want ($(head -c 300 "$SCRATCH/big-err"))"
    [ "$lines" -lt 5000 ] && ok ||
        fail "SIG$sig while printing: the reader got $lines of 20000 lines; wanted the printing to stop"
done

# On a pseudo-terminal: the bar hides the cursor; after Ctrl-C (and after SIGTERM) it is shown again
# and the terminal is as it was.
DRIVE="$SOURCE_ROOT/tests/cli/pty_drive.py"
if python3 -c 'import pty' 2>/dev/null; then
    rm -f "$PIDS"
    PTY_DEADLINE=30 python3 "$DRIVE" "$SCRATCH/tty-int" --expect "zs-working" --send '\x03' -- \
        "$ZSYNCCTL" --no-cache pkg install --yes npm:zs-one
    code=$?
    [ "$code" -eq 130 ] && ok || fail "Ctrl-C on a terminal: exit $code, wanted 130"
    left=$(all_gone) && ok || fail "Ctrl-C on a terminal left children running:$left"
    check_cursor() {
        python3 - "$1" <<'PY' && ok || fail "$2: the cursor is not shown again at the end: $(tail -c 200 "$1" | od -c | tail -4)"
import sys
t = open(sys.argv[1], "rb").read()
hide, show = t.rfind(b"\x1b[?25l"), t.rfind(b"\x1b[?25h")
sys.exit(0 if hide >= 0 and show > hide else 1)
PY
    }
    check_cursor "$SCRATCH/tty-int" "Ctrl-C"

    rm -f "$PIDS" "$SCRATCH/parent"
    PTY_DEADLINE=30 python3 "$DRIVE" "$SCRATCH/tty-term" --expect "zs-working" -- \
        "$ZSYNCCTL" --no-cache pkg install --yes npm:zs-one &
    drive=$!
    if started && [ -s "$SCRATCH/parent" ]; then
        sleep 0.3
        kill -TERM "$(cat "$SCRATCH/parent")"
    fi
    wait "$drive"
    code=$?
    [ "$code" -eq 143 ] && ok || fail "SIGTERM on a terminal: exit $code, wanted 143"
    left=$(all_gone) && ok || fail "SIGTERM on a terminal left children running:$left"
    check_cursor "$SCRATCH/tty-term" "SIGTERM"

    # A question handed over to the user (the manager switched its terminal to a line editor): our
    # terminal is in character mode; Ctrl-C then stops the manager and the modes come back (stty -a run
    # on the same terminal right after shows canonical mode and echo again).
    cat >"$BIN/apt-get" <<SH
#!/bin/sh
# apt-get -s (the simulation zsyncctl shows before asking): one package to install.
case " \$* " in *" -s "*) echo "Inst zs-one (1.0 local [all])"; exit 0 ;; esac
/bin/sleep 60 &
echo "\$! \$\$" >>"$PIDS"
printf 'zs-question? \033[?2004h'
wait
SH
    chmod +x "$BIN/apt-get"
    mkdir -p "$SCRATCH/root"
    rm -f "$PIDS"
    PTY_DEADLINE=30 python3 "$DRIVE" "$SCRATCH/tty-ask" --expect "[Y/n]" --send '\r' --expect "zs-question?" \
        --send '\x03' -- /bin/sh -c 'trap : INT; "$0" --no-cache --root "$1" pkg install apt:zs-one; echo "exit=$?"; stty -a' \
        "$ZSYNCCTL" "$SCRATCH/root"
    expect_contains "$(cat "$SCRATCH/tty-ask")" "exit=130" "Ctrl-C during a handed-over question"
    left=$(all_gone) && ok || fail "Ctrl-C during a question left children running:$left"
    modes=$(tr -d '\r' <"$SCRATCH/tty-ask" | sed -n '/exit=130/,$p')
    case " $modes " in
    *" -icanon"* | *" -echo "*) fail "terminal left in character mode: $modes" ;;
    *" icanon"*) ok ;;
    *) fail "stty -a output missing: $modes" ;;
    esac

    # Ctrl-Z during a handed-over question, then fg (an interactive shell's job control): the shell gets
    # its modes back while we are stopped, and SIGCONT puts our terminal in character mode again, so a key
    # typed without Enter reaches the manager's question (in canonical mode it would wait for a newline).
    # It failed in about 1 run of 8 until the loop thread stopped itself with raise(SIGSTOP) and stopped
    # relaying keys between Ctrl-Z and SIGCONT: it had been caught in a read of the shell's canonical terminal.
    cat >"$BIN/apt-get" <<SH
#!/bin/sh
case " \$* " in *" -s "*) echo "Inst zs-one (1.0 local [all])"; exit 0 ;; esac
echo "\$\$" >>"$PIDS"
stty -icanon min 1 2>/dev/null
printf 'zs-question? \033[?2004h'
key=\$(dd bs=1 count=1 2>/dev/null)
echo "zs-got-key:\$key"
SH
    chmod +x "$BIN/apt-get"
    rm -f "$PIDS"
    PTY_DEADLINE=40 ZS="$ZSYNCCTL" ZR="$SCRATCH/root" PS1='zs-prompt$ ' python3 "$DRIVE" "$SCRATCH/tty-tstp" \
        --expect 'zs-prompt$ ' --send '"$ZS" --no-cache --root "$ZR" pkg install apt:zs-one\r' \
        --expect "[Y/n]" --send '\r' --expect "zs-question?" --sleep 1 --send '\x1a' --expect 'zs-prompt$ ' \
        --send 'echo "zs-mode-$(stty -a | grep -o -- "-*icanon")"\r' --expect 'zs-mode-icanon' --send 'fg\r' \
        --sleep 1 --send 'y' --expect 'zs-got-key:y' --expect 'installed zs-one with apt' --send 'exit\r' -- \
        bash --norc --noprofile -i
    code=$?
    [ "$code" -eq 0 ] && ok || fail "Ctrl-Z, fg during a question: pty_drive exit $code"
    left=$(all_gone) && ok || fail "Ctrl-Z, fg left children running:$left"
else
    echo "pty checks skipped: python3 has no pty module"
fi

finish
