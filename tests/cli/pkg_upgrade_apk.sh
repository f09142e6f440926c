#!/usr/bin/env bash
# `pkg upgrade -m apk` on the run path of the other managers: apk's own `upgrade --simulate` for the plan,
# then `apk upgrade` with its "(i/n) Upgrading" progress (and `pkg refresh -m apk`: apk update), waiting while another process holds apk's
# /lib/apk/db/lock (flock), world pins and fixed versions skipped as pkg outdated shows them.
# NOT THE REAL ORACLE: apk-tools is not packaged for Debian 12, so `apk` here is a STAND-IN script written by
# this test. It records its argv and prints apk's output for this root as apk-tools formats it (commit.c's
# print_change and summary; the same lines apk-tools' own test/solver/*.test expect, e.g. upgrade1.test
# "(3/3) Upgrading app (1 -> 2)" / "OK: 0 MiB in 2 packages", and an Alpine transcript's "Executing
# busybox-1.35.0-r29.trigger" and "ERROR: unable to select packages:"). It changes nothing: what is checked is
# zsyncctl's side (argv, plan, progress, lock, SIGINT, failure), never apk's database.
. "$(dirname "$0")/lib.sh"
command -v flock >/dev/null || skip "flock (util-linux) is not installed"
FIX="$SOURCE_ROOT/tests/fixtures/inventory/apk"
T="$SCRATCH"
R="$T/alpine"
mkdir -p "$R/lib/apk/db" "$R/etc/apk" "$R/var/cache/apk" "$T/bin"
cp "$FIX/installed" "$R/lib/apk/db/installed"
{ cat "$FIX/world"; printf 'scanelf@edge\nmusl-utils=1.2.2-r3\n'; } >"$R/etc/apk/world"
python3 "$SOURCE_ROOT/tests/cli/make_apkindex.py" "$R/var/cache/apk/APKINDEX.a1b2c3d4.tar.gz" "musl 1.2.2-r4" \
    "musl-utils 1.2.2-r4" "busybox 1.33.1-r6" "ssl_client 1.33.1-r10" "scanelf 1.3.4-r0" || fail "make_apkindex"
: >"$R/lib/apk/db/lock"

# The stand-in (see the header): argv to $T/apk.log, apk's output for this root on stdout, ERROR on stderr.
cat >"$T/bin/apk" <<'SH'
#!/bin/sh
# STAND-IN for apk (tests only): prints apk-tools' output for the test's root; changes nothing.
echo "$*" >>"$STANDIN_LOG"
case " $* " in *" --version "*) echo "apk-tools 2.12.7, compiled for armv7."; exit 0 ;; esac
if [ -e "$STANDIN_LOG.fail" ]; then
    printf 'ERROR: unable to select packages:\n  zs-gone (no such package):\n    required by: world[zs-gone]\n' >&2
    exit 1
fi
sim=0
case " $* " in *" --simulate "*) sim=1 ;; esac
[ "$sim" = 1 ] || date +%s.%N >>"$STANDIN_LOG.started"
step() { echo "$1"; [ "$sim" = 1 ] || sleep 0.2; }
case " $* " in
*" update "*)
    step "fetch https://dl-cdn.alpinelinux.org/alpine/v3.14/main/x86_64/APKINDEX.tar.gz"
    echo "v3.14.2-38-g27e4ada230 [https://dl-cdn.alpinelinux.org/alpine/v3.14/main]"
    echo "OK: 4937 distinct packages available"
    exit 0
    ;;
*" upgrade busybox "*)
    step "(1/1) Upgrading busybox (1.33.1-r3 -> 1.33.1-r6)"
    [ "$sim" = 1 ] || { echo "Executing busybox-1.33.1-r6.post-upgrade"; echo "Executing busybox-1.33.1-r6.trigger"; }
    ;;
*" upgrade "*)
    step "(1/3) Upgrading musl (1.2.2-r3 -> 1.2.2-r4)"
    step "(2/3) Upgrading busybox (1.33.1-r3 -> 1.33.1-r6)"
    [ "$sim" = 1 ] || echo "Executing busybox-1.33.1-r6.post-upgrade"
    step "(3/3) Upgrading ssl_client (1.33.1-r3 -> 1.33.1-r10)"
    [ "$sim" = 1 ] || echo "Executing busybox-1.33.1-r6.trigger"
    ;;
esac
echo "OK: 6 MiB in 14 packages"
SH
chmod +x "$T/bin/apk"
export STANDIN_LOG="$T/apk.log" PATH="$T/bin:$PATH"
Z=(--root "$R" --no-cache)
events() { printf '%s\n' "$OUT" >"$T/events.ndjson"; }

# What an upgrade would take, natively: three upgradable, the pinned and the fixed one skipped.
TIMEOUT=30 expect_exit 100 "outdated" --json "${Z[@]}" pkg outdated -m apk
expect_json "sorted((o['name'], o['candidate'], o['skip_reason']) for o in d['outdated']) == [('busybox','1.33.1-r6',None),('musl','1.2.2-r4',None),('musl-utils','1.2.2-r4','fixed =1.2.2-r3'),('scanelf','1.3.4-r0','pinned @edge'),('ssl_client','1.33.1-r10',None)]" "outdated rows"

# 1. --dry-run: apk's own simulation under the root, read as the plan; nothing else runs.
: >"$T/apk.log"
TIMEOUT=30 expect_exit 0 "dry run" --json "${Z[@]}" pkg upgrade --all -m apk --dry-run
expect_json "[(p['name'], p['old_version'], p['version']) for p in d['transaction']['upgrade']] == [('musl','1.2.2-r3','1.2.2-r4'),('busybox','1.33.1-r3','1.33.1-r6'),('ssl_client','1.33.1-r3','1.33.1-r10')] and d['transaction']['install'] == [] and d['transaction']['remove'] == []" "the plan is apk's simulation"
expect_json "d['argv'][1:] == ['--root', '$R', '--no-progress', 'upgrade']" "the argv that would run"
[ "$(grep -v -- --version "$T/apk.log")" = "--root $R --no-progress upgrade --simulate" ] && ok ||
    fail "the dry run ran: $(cat "$T/apk.log")"
TIMEOUT=30 expect_exit 2 "no terminal without --yes" "${Z[@]}" pkg upgrade --all -m apk </dev/null

# 2. The run: simulation, then apk upgrade; its (i/n) lines are the progress; the skipped ones are named
#    (--json with one manager: skipped, progress and done events).
: >"$T/apk.log"
TIMEOUT=30 expect_exit 0 "upgrade --all --yes" --json "${Z[@]}" pkg upgrade --all -m apk --yes
events
python3 - "$T/events.ndjson" <<'PY' && ok || fail "--json events: $(head -c 1500 "$T/events.ndjson")"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kinds = [e["event"] for e in events]
assert kinds[-1] == "done", kinds
skipped = sorted((e["name"], e["skip_reason"]) for e in events if e["event"] == "skipped")
assert skipped == [("musl-utils", "fixed =1.2.2-r3"), ("scanelf", "pinned @edge")], skipped
progress = [e for e in events if e["event"] == "progress"]
names = [e.get("package") for e in progress if e.get("package")]
assert [n for i, n in enumerate(names) if n not in names[:i]] == ["musl", "busybox", "ssl_client"], progress
assert all(e["phase"] == "upgrade" for e in progress) and progress[-1]["percent"] == 100, progress
assert events[-1]["success"] and events[-1]["result"] == "upgraded", events[-1]
PY
[ "$(grep -v -- --version "$T/apk.log")" = "--root $R --no-progress upgrade --simulate
--root $R --no-progress upgrade" ] && ok || fail "apk runs: $(cat "$T/apk.log")"
TIMEOUT=30 expect_exit 0 "upgrade --all (text)" "${Z[@]}" pkg upgrade --all -m apk --yes
expect_contains "$ERR" "skipping scanelf (pinned @edge)" "the pinned one is named"
expect_contains "$ERR" "skipping musl-utils (fixed =1.2.2-r3)" "the fixed one is named"

# 3. By name: apk upgrade NAME; a pinned name is left out before apk runs.
: >"$T/apk.log"
TIMEOUT=30 expect_exit 0 "upgrade busybox" "${Z[@]}" pkg upgrade -m apk busybox scanelf --yes
[ "$(grep -v -- --version "$T/apk.log" | tail -1)" = "--root $R --no-progress upgrade busybox" ] && ok ||
    fail "by name: $(cat "$T/apk.log")"

# 4. apk's lock: a process holding flock on /lib/apk/db/lock (flock(1), as apk takes it) is waited for and
#    named; apk runs only after it let go.
flock "$R/lib/apk/db/lock" sh -c 'sleep 2; date +%s.%N >"$1"' holder "$T/released" &
HOLDER=$!
inode=$(stat -c %i "$R/lib/apk/db/lock")
for _ in $(seq 50); do grep -q "FLOCK .*:$inode " /proc/locks && break; sleep 0.05; done
grep -q "FLOCK .*:$inode " /proc/locks && ok || fail "flock(1) holds no lock: $(cat /proc/locks)"
: >"$T/apk.log"
rm -f "$T/apk.log.started"
TIMEOUT=30 expect_exit 0 "upgrade while the lock is held" "${Z[@]}" pkg upgrade --all -m apk --yes
wait "$HOLDER"
expect_contains "$ERR" "waiting for the apk-db lock held by PID $HOLDER (flock) on $R/lib/apk/db/lock" "the wait names the holder"
expect_contains "$ERR" "the apk-db lock is free; going on" "then goes on"
expect_contains "$ERR" "upgraded 3 packages with apk" "the result"
python3 -c 'import sys; sys.exit(0 if float(open(sys.argv[1]).read().split()[0]) >= float(open(sys.argv[2]).read()) else 1)' \
    "$T/apk.log.started" "$T/released" && ok ||
    fail "apk started before the holder let go: $(cat "$T/apk.log.started") < $(cat "$T/released")"
[ -s "$T/released" ] && ok || fail "the holder did not finish"

# 5. SIGINT mid-run: it reaches apk (the stand-in's shell ends on it), zsyncctl waits for it and exits 130,
#    leaving no apk process behind.
rm -f "$T/apk.log.started"
"${INTERRUPTIBLE[@]}" "$ZSYNCCTL" "${Z[@]}" pkg upgrade --all -m apk --yes >"$T/int.out" 2>"$T/int.err" &
ZPID=$!
for _ in $(seq 100); do [ -s "$T/apk.log.started" ] && break; sleep 0.05; done
kill -INT "$ZPID"
wait "$ZPID"
CODE=$?
[ "$CODE" = 130 ] && ok || fail "SIGINT mid-run: exit $CODE, wanted 130 ($(cat "$T/int.err"))"
pgrep -f "$T/bin/apk" >/dev/null && fail "an apk process is left: $(pgrep -af "$T/bin/apk")" || ok

# 6. apk refusing (its ERROR on stderr, exit 1): nothing runs, the reason is shown, exit 1.
touch "$T/apk.log.fail"
: >"$T/apk.log"
TIMEOUT=30 run_z "${Z[@]}" pkg upgrade --all -m apk --yes
[ "$CODE" = 1 ] && ok || fail "apk refusing: exit $CODE ($ERR)"
expect_contains "$ERR" "unable to select packages" "apk's reason"
[ "$(grep -c -- ' upgrade$' "$T/apk.log")" = 0 ] && ok || fail "apk upgrade ran after a failed simulation: $(cat "$T/apk.log")"
rm -f "$T/apk.log.fail"

# 7. pkg refresh -m apk: apk update under the root (the APKINDEX cache list/outdated read), its output shown.
: >"$T/apk.log"
TIMEOUT=30 expect_exit 0 "refresh" "${Z[@]}" pkg refresh -m apk --yes
[ "$(grep -v -- --version "$T/apk.log")" = "--root $R --no-progress update" ] && ok || fail "refresh ran: $(cat "$T/apk.log")"
TIMEOUT=30 expect_exit 0 "refresh --dry-run" --json "${Z[@]}" pkg refresh -m apk --dry-run
expect_contains "$OUT" '"update"' "the dry run names apk update"
finish
