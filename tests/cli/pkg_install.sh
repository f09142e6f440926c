#!/bin/bash
# pkg install / remove against fake managers (tests/cli/fixtures/fake_manager.sh on PATH): progress events,
# failure, prompts, interruption, refused names and --dry-run plans.
. "$TESTS_DIR/lib.sh"

BIN="$SCRATCH/bin"
mkdir -p "$BIN" "$SCRATCH/root"
for m in apt-get pacman; do
    cp "$TESTS_DIR/fixtures/fake_manager.sh" "$BIN/$m"
done
for t in timeout cat; do ln -s "$(command -v "$t")" "$BIN/$t"; done
ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$BIN/python3" # not a pyenv shim
export PATH="$BIN:$PATH"
export FAKE_MARKER="$SCRATCH/marker" FAKE_PIDS="$SCRATCH/pids"
# --root makes the apt plan point apt/dpkg at a scratch root, so no root privileges are needed.
R=(--root "$SCRATCH/root")

json_lines_check() { # PY-EXPR over `ev` (list of event dicts from $OUT)
    printf '%s' "$OUT" | python3 -c "
import json,sys
ev=[json.loads(l) for l in sys.stdin.read().splitlines() if l.strip()]
sys.exit(0 if ($1) else 1)" 2>/dev/null
}
expect_events() {
    if json_lines_check "$1"; then ok; else fail "$2: event check failed: $1 on: ${OUT:0:600}"; fi
}

# --- refused names: exit 2, the fake manager never runs
rm -f "$FAKE_MARKER"
expect_exit 2 "option injection after --" pkg install --manager apt -- -o foo
expect_contains "$ERR" "starts with '-'" "option injection message"
expect_exit 2 "semicolon" pkg install --manager apt 'curl;id'
expect_exit 2 "command substitution" pkg install --manager apt '$(id)'
expect_exit 2 "backticks" pkg install apt:'`id`'
expect_exit 2 "newline" pkg install --manager apt "$(printf 'curl\nid')"
expect_exit 2 "space" pkg remove --manager pacman 'a b'
expect_exit 2 "empty after prefix" pkg install apt:
expect_exit 2 "unknown manager" pkg install --manager nosuch curl
expect_contains "$ERR" "apt" "unknown manager lists the valid ones"
if [ -e "$FAKE_MARKER" ]; then fail "a refused command ran the manager: $(cat "$FAKE_MARKER")"; else ok; fi

# --- dry run: the plan, nothing runs
expect_exit 0 "dry run json" --json pkg install --dry-run apt:zs-hello
expect_json "d['manager']=='apt' and d['argv'][0]=='apt-get' and d['argv'][-1]=='zs-hello' and d['needs_root'] is True and d['lock_group']=='dpkg'" "dry run plan"
expect_json "'install' in d['argv'] and 'Dpkg::Options::=--force-confold' in d['argv']" "dry run argv flags"
expect_exit 0 "dry run text" pkg remove -n --manager pacman zs-hello
expect_contains "$OUT" "pacman --remove --noconfirm" "dry run text argv"
expect_exit 0 "dry run with --root" --json "${R[@]}" pkg install -n apt:zs-hello
expect_json "'Dir=$SCRATCH/root' in d['argv'] and d['needs_root'] is False" "--root adds apt's Dir options"
expect_json "d['simulation'][:1]==['apt-get'] and '-s' in d['simulation'] and 'Dir=$SCRATCH/root' in d['simulation'] and '-y' not in d['simulation']" "the simulation runs in the root, without -y"
expect_json "d['transaction']['install']==[{'name':'zs-hello','version':'1.0'}]" "the dry run shows the simulated transaction"
expect_json "not any('NoLocking' in a for a in d['argv'])" "--root: apt takes the root's own locks"
# --- under another root: a manager's root option from the registry, or a refusal naming those that have one
# dnf is not on this PATH: the dry run prints the plan and fails honestly.
PATH="$BIN" expect_exit 1 "dry run dnf with --root" --json "${R[@]}" pkg install -n dnf:zs-hello
expect_contains "$ERR" "dnf is not installed here" "a missing manager is said"
expect_json "d['argv'][:2]==['dnf','--installroot=$SCRATCH/root']" "--root gives dnf --installroot"
expect_exit 0 "dry run pacman with --root" --json "${R[@]}" pkg remove -n pacman:zs-hello
expect_json "d['argv'][1:3]==['--root','$SCRATCH/root']" "--root gives pacman --root"
expect_exit 2 "npm under --root is refused" "${R[@]}" pkg install npm:left-pad
expect_contains "$ERR" "npm cannot install packages under another root" "the refusal says why"
expect_contains "$ERR" "managers that can: apt, dnf" "the refusal names the managers that can"
if [ -e "$FAKE_MARKER" ]; then fail "--dry-run ran the manager"; else ok; fi

# --- every manager that can install has a plan; the others say why
managers=$("$ZSYNCCTL" pkg install --manager nosuch x 2>&1 | sed -n 's/.*managers that can install: //p')
count=0
for m in ${managers//,/}; do
    count=$((count + 1))
    # Only the fakes on PATH, so no real manager's simulation runs on this host: exit 1 when the manager is
    # not here, 0 for the fakes; the plan is printed either way.
    PATH="$BIN" run_z --json pkg install --dry-run --manager "$m" zs-hello
    [ "$CODE" -eq 0 ] || [ "$CODE" -eq 1 ] && ok || fail "dry run $m: exit $CODE (stderr: ${ERR:0:300})"
    expect_json "d['manager']=='$m' and len(d['argv'])>=2 and isinstance(d['needs_root'],bool)" "plan for $m"
done
if [ "$count" -ge 28 ]; then ok; else fail "only $count managers can install"; fi
expect_exit 2 "go cannot remove" pkg remove --dry-run go:x

# --- without a terminal and without --yes nothing runs: exit 2, and the manager never gets its -y
rm -f "$FAKE_MARKER" "$FAKE_MARKER.sim"
FAKE_MODE=ok expect_exit 2 "no terminal, no --yes" "${R[@]}" pkg install apt:zs-hello </dev/null
expect_contains "$ERR" "refusing to install zs-hello with apt without confirmation" "the refusal says why"
FAKE_MODE=ok expect_exit 2 "no terminal, no --yes: remove" pkg remove pacman:zs-hello </dev/null
if [ -e "$FAKE_MARKER" ]; then fail "the manager ran without consent: $(cat "$FAKE_MARKER")"; else ok; fi
grep -q -- ' -s ' "$FAKE_MARKER.sim" && ok || fail "apt's simulation did not run"

# --- a successful apt run: JSON progress from the Status-Fd
FAKE_MODE=ok expect_exit 0 "fake apt install" --json "${R[@]}" pkg install --yes apt:zs-hello
expect_events "[e['phase'] for e in ev if e['event']=='progress'][0]=='download'" "starts with download"
expect_events "any(e.get('phase')=='install' and e.get('package')=='zs-hello' for e in ev)" "install phase with package"
expect_events "all(a<=b for a,b in zip([e['percent'] for e in ev if e['event']=='progress'],[e['percent'] for e in ev if e['event']=='progress'][1:]))" "monotonic"
expect_events "[e for e in ev if e['event']=='progress'][-1]['percent']==100" "reaches 100"
expect_events "ev[-1]=={**ev[-1],'event':'done','manager':'apt','exit_code':0}" "done event"
grep -q 'APT::Status-Fd=3' "$FAKE_MARKER" && ok || fail "apt was not given the status fd: $(cat "$FAKE_MARKER")"
log=$(printf '%s' "$OUT" | python3 -c "import json,sys; print([json.loads(l) for l in sys.stdin.read().splitlines()][-1].get('log',''))")
if [ -f "$log" ] && grep -q 'pmstatus:zs-hello:60' "$log"; then ok; else fail "log file missing or incomplete: '$log'"; fi

# --- plain lines when not a terminal
FAKE_MODE=ok expect_exit 0 "fake pacman install" pkg install --yes pacman:zs-hello
expect_contains "$ERR" "install 65%: installing zs-hello" "pacman steps counted"
expect_contains "$ERR" "installed zs-hello with pacman" "success line"

# --- a manager that fails midway: exit 1, its code, pmerror, last lines, log path
FAKE_MODE=fail expect_exit 1 "fake apt fails" "${R[@]}" pkg install -y apt:zs-hello
expect_contains "$ERR" "apt failed with exit code 100" "failure names the exit code"
expect_contains "$ERR" "trying to overwrite" "pmerror surfaced"
expect_contains "$ERR" "returned an error code" "last output lines shown"
expect_contains "$ERR" "full output: $XDG_CACHE_HOME/zsyncctl/logs/install-apt-" "log path printed"
FAKE_MODE=fail expect_exit 1 "fake apt fails (json)" --json "${R[@]}" pkg install -y apt:zs-hello
expect_events "ev[-1]['event']=='done' and ev[-1]['exit_code']==100 and ev[-1]['success'] is False" "done with exit 100"
expect_events "any(e['event']=='error' for e in ev)" "error event"

# --- a manager that prompts: never hangs (stdin is /dev/null), the question is surfaced
FAKE_MODE=prompt TIMEOUT=10 expect_exit 1 "prompting manager" --json "${R[@]}" pkg install -y apt:zs-hello
expect_events "any(e['event']=='prompt' and '/etc/zs-hello.conf' in e['message'] for e in ev)" "prompt event"

# --- on a terminal (a real pseudo-terminal) without --yes: the question reaches the user, the answer the
# manager; Ctrl-C during the question still interrupts; the terminal is left in its normal mode.
DRIVE="$TESTS_DIR/pty_drive.py"
tty_run() { # TRANSCRIPT STEPS...: zsyncctl through bash, which then prints the exit code and the tty mode
    local out=$1
    shift
    FAKE_MODE=prompt PTY_DEADLINE=30 python3 "$DRIVE" "$out" "$@" -- bash -c \
        '"$0" "$@"; echo "EXIT=$?"; stty -a' "$ZSYNCCTL" "${R[@]}" pkg install apt:zs-hello
}
tty_run "$SCRATCH/answer.tty" --expect "[Y/n]" --send 'y\r' --expect "[default=N] ?" --send 'N\r'
t=$(cat "$SCRATCH/answer.tty")
expect_contains "$t" "answer: N" "the answer reached the manager"
expect_contains "$t" "EXIT=0" "answered question: exit 0"
expect_contains "$t" " icanon" "terminal back in line mode"
expect_contains "$t" " echo " "terminal echo back on"
grep -q 'Dpkg::Use-Pty=0' "$FAKE_MARKER" && ok || fail "interactive apt run without Dpkg::Use-Pty=0: $(tail -1 "$FAKE_MARKER")"
if tail -1 "$FAKE_MARKER" | grep -q 'force-conf'; then fail "interactive apt run still forces answers"; else ok; fi
# A resize of the user's terminal while the question is open reaches the manager's terminal.
tty_run "$SCRATCH/resize.tty" --expect "[Y/n]" --send 'y\r' --expect "[default=N] ?" --resize 33x101 \
    --expect "resized to 33 101" --send 'N\r'
t=$(cat "$SCRATCH/resize.tty")
expect_contains "$t" "resized to 33 101" "the manager's terminal took the new size"
expect_contains "$t" "EXIT=0" "resized question: exit 0"
tty_run "$SCRATCH/intr.tty" --expect "[Y/n]" --send 'y\r' --expect "[default=N] ?" --send '\x03'
t=$(cat "$SCRATCH/intr.tty")
expect_contains "$t" "EXIT=130" "Ctrl-C during the question: exit 130"
expect_contains "$t" "interrupted" "Ctrl-C during the question: message"
expect_contains "$t" " icanon" "terminal back in line mode after Ctrl-C"

# --- Ctrl-C: SIGINT reaches the manager's group, the group is gone, exit 130
rm -f "$FAKE_PIDS"
FAKE_MODE=hang timeout -k 2 20 "$ZSYNCCTL" --json "${R[@]}" pkg install -y apt:zs-hello >"$SCRATCH/hang.out" 2>"$SCRATCH/hang.err" &
zpid=$!
for _ in $(seq 100); do [ -s "$FAKE_PIDS" ] && break; sleep 0.1; done
if [ -s "$FAKE_PIDS" ]; then
    read -r mpid helper <"$FAKE_PIDS"
    kill -INT "$zpid"
    wait "$zpid"
    code=$?
    [ "$code" -eq 130 ] && ok || fail "interrupted run exited $code, wanted 130: $(cat "$SCRATCH/hang.err")"
    grep -q "interrupted" "$SCRATCH/hang.err" && ok || fail "no interruption message: $(cat "$SCRATCH/hang.err")"
    grep -q "Unpacking zs-hello" "$SCRATCH/hang.err" && ok || fail "state not reported: $(cat "$SCRATCH/hang.err")"
    tail -n1 "$SCRATCH/hang.out" | grep -q '"interrupted":true' && ok || fail "no done event: $(cat "$SCRATCH/hang.out")"
    sleep 0.2
    # Dead children reparented to a PID 1 that reaps lazily linger as zombies: count only live ones.
    if ps -o stat= -g "$mpid" 2>/dev/null | grep -qv '^Z'; then
        fail "the manager's process group is still alive: $(ps -o pid,ppid,pgid,stat,cmd -g "$mpid" 2>&1; ps -o pid,ppid,pgid,stat,cmd -p "$helper" 2>&1)"
        kill -KILL -- "-$mpid" 2>/dev/null
    else
        ok
    fi
else
    fail "the hanging fake manager never started"
    kill -KILL "$zpid" 2>/dev/null
fi

finish
