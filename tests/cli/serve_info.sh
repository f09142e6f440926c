#!/usr/bin/env bash
# zsyncctl serve's GET /v1/info with real clients on 127.0.0.1: the document is `zsyncctl --json pkg info
# NAME [-m M]`'s (elapsed_ms aside) for a real apt index in a scratch root (a local repository, apt-get
# update), and its candidate is apt-cache policy's; a missing or impossible name is 400 and an unknown
# manager 404, each with a one-line error document, before anything runs; a client that leaves while a
# manager's command runs cancels it (its process group is gone soon after); SIGTERM with an info request in
# progress answers it, then exits 0. The slow manager is a stand-in dnf on PATH (sleeps, records its pid).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/apt_scratch.sh"

command -v curl >/dev/null || skip "curl is not installed"
command -v rpm >/dev/null || skip "rpm is not installed (Debian package rpm)"
. "$TESTS_DIR/serve_lib.sh"

BIN="$SCRATCH/bin"
mkdir -p "$BIN" "$SCRATCH/home"
export PATH="$BIN:/usr/bin:/bin" HOME="$SCRATCH/home"
cat >"$BIN/dnf" <<SH
#!/bin/sh
# Written whole or not at all: a reader never sees the file created but still empty.
echo \$\$ >"$SCRATCH/dnf.pid.\$\$" && mv "$SCRATCH/dnf.pid.\$\$" "$SCRATCH/dnf.pid"
exec sleep "\$(cat "$SCRATCH/dnf.sleep")"
SH
chmod +x "$BIN/dnf"
echo 60 >"$SCRATCH/dnf.sleep"

# The scratch root: zs-served 2.5-1 in a local repository, apt's lists updated by the real apt-get.
T="$SCRATCH/apt"
R="$T/root"
apt_scratch_root "$R" "$T/repo"
mkdir -p "$T/pkg/DEBIAN"
printf 'Package: zs-served\nVersion: 2.5-1\nArchitecture: all\nMaintainer: T <t@example.invalid>\nDescription: %s\n' \
    "A package described through zsyncctl serve" >"$T/pkg/DEBIAN/control"
dpkg-deb -b "$T/pkg" "$T/repo/zs-served_2.5-1_all.deb" >/dev/null || fail "dpkg-deb failed"
(cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages failed"
APTO=(-o "Dir=$R" -o "Dir::State::status=$R/var/lib/dpkg/status" -o "Dir::Etc::SourceList=$R/etc/apt/sources.list"
    -o "Dir::Etc::SourceParts=$R/etc/apt/sources.list.d" -o "Dir::Etc::Parts=$R/etc/apt/apt.conf.d"
    -o "Dir::Cache=$R/var/cache/apt" -o Debug::NoLocking=1)
timeout 60 apt-get "${APTO[@]}" -q update >"$T/apt-update.log" 2>&1 || {
    fail "apt-get update in the scratch root failed: $(tail -3 "$T/apt-update.log")"
    finish
}

start_server "$SCRATCH/serve.log" --root "$R" || finish
BASE="http://127.0.0.1:$PORT"

# The document is the CLI's, for apt (its candidate apt-cache policy's) and for the managers detected in the
# root.
SAME='
import json, sys
def strip(doc):
    for m in doc["managers"]:
        m.pop("elapsed_ms", None)
    return doc
cli, http = (strip(json.load(open(p))) for p in sys.argv[1:3])
if cli != http:
    sys.exit("differ:\ncli  %r\nhttp %r" % (cli, http))
pkgs = [p for p in http["packages"] if p["manager"] == "apt"]
if http["command"] != "info" or (sys.argv[4] == "apt" and (len(pkgs) != 1 or pkgs[0]["candidate"] != sys.argv[3])):
    sys.exit("the apt candidate is not %s: %r" % (sys.argv[3], http))
'
policy=$(apt-cache "${APTO[@]}" policy zs-served |
    sed -n 's/^ *Candidate: //p')
[ "$policy" = 2.5-1 ] && ok || fail "apt-cache policy's candidate: '$policy'"
for q in "name=zs-served&manager=apt" "name=zs-served"; do
    curl -sS --max-time 30 -D "$SCRATCH/h" "$BASE/v1/info?$q" >"$SCRATCH/http.json"
    grep -qi '^Content-Type: application/json' "$SCRATCH/h" && ok || fail "/v1/info?$q content type"
    if [ "$q" = "name=zs-served" ]; then m=(); else m=(-m apt); fi
    "$ZSYNCCTL" --root "$R" --json pkg info zs-served "${m[@]}" >"$SCRATCH/cli.json"
    if python3 -c "$SAME" "$SCRATCH/cli.json" "$SCRATCH/http.json" "$policy" "${m[1]:-all}"; then ok; else fail "/v1/info?$q"; fi
done

# Bad requests: 400 (or 404 for an unknown manager) with a one-line error document, nothing run.
rm -f "$SCRATCH/dnf.pid"
for case in "400 " "400 ?manager=apt" "400 ?name=" "400 ?name=a%01b" "400 ?name=-rf" "400 ?name=a%3Bb" \
    "400 ?name=%2A" "400 ?name=a%20b" "400 ?name=%C3%A9" "400 ?name=zs&color=red" \
    "400 ?name=%zz" "404 ?name=zs-served&manager=nosuch" "404 ?name=zs-served&manager=apt,nosuch"; do
    want=${case%% *}
    q=${case#* }
    code=$(curl -s -o "$SCRATCH/bad.json" -w '%{http_code}' --max-time 10 "$BASE/v1/info$q")
    OUT=$(cat "$SCRATCH/bad.json")
    [ "$code" = "$want" ] && ok || fail "/v1/info$q: $code, wanted $want: $OUT"
    [ "$(wc -l <"$SCRATCH/bad.json")" = 1 ] && ok || fail "/v1/info$q: not one line: $OUT"
    kind=$([ "$want" = 404 ] && echo not_found || echo invalid_input)
    expect_json "d['error']['kind'] == '$kind' and d['error']['message']" "/v1/info$q error document"
done
[ ! -e "$SCRATCH/dnf.pid" ] && ok || fail "a refused request ran dnf"
# The CLI refuses the same names (exit 2, one line).
for name in "" "a$(printf '\001')b" "a;b" "*" "-rf"; do
    run_z --root "$R" pkg info -m apt -- "$name"
    [ "$CODE" = 2 ] && [ "$(wc -l <"$SCRATCH/stderr")" -le 2 ] && ok || fail "pkg info '$name': exit $CODE: $(cat "$SCRATCH/stderr")"
done

# The client leaves while dnf answers: its token is cancelled, dnf's process group killed and reaped.
if python3 - "$PORT" "$PID" "$SCRATCH" >"$SCRATCH/cancel.out" 2>&1 <<'PY'; then ok; else fail "cancel: $(cat "$SCRATCH/cancel.out")"; fi
import os, socket, subprocess, sys, time
port, server, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.sendall(b"GET /v1/info?name=zs-served&manager=dnf HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
for _ in range(200):
    if os.path.exists(d + "/dnf.pid") and os.path.getsize(d + "/dnf.pid") > 0:
        break
    time.sleep(0.05)
else:
    sys.exit("dnf never ran")
pgid = int(open(d + "/dnf.pid").read())
def group_alive():
    return str(pgid) in subprocess.run(["ps", "-eo", "pgid="], capture_output=True, text=True).stdout.split()
def children():
    return subprocess.run(["ps", "--ppid", str(server), "-o", "pid=,stat=,args="], capture_output=True, text=True).stdout.strip()
if not group_alive():
    sys.exit("dnf's group is not running mid-request")
s.close()
for _ in range(100):
    if not group_alive() and not children():
        break
    time.sleep(0.1)
if group_alive() or children():
    sys.exit("left after the client went: group %d alive=%s, children: %s" % (pgid, group_alive(), children()))
PY

# SIGTERM while an info request is in progress: it is answered, then the server exits 0.
echo 1 >"$SCRATCH/dnf.sleep"
rm -f "$SCRATCH/dnf.pid"
curl -sS --max-time 20 -o "$SCRATCH/term.json" -w '%{http_code}' "$BASE/v1/info?name=zs-served&manager=dnf,apt" >"$SCRATCH/term.code" &
CURL=$!
for _ in $(seq 100); do [ -s "$SCRATCH/dnf.pid" ] && break; sleep 0.05; done
kill -TERM "$PID"
wait "$CURL"
wait_exit "$PID" 15
[ "$(cat "$SCRATCH/term.code")" = 200 ] && ok || fail "the request in progress at SIGTERM: $(cat "$SCRATCH/term.code")"
OUT=$(cat "$SCRATCH/term.json")
expect_json '[m["name"] for m in d["managers"]] == ["dnf", "apt"] and d["packages"]' "answered in full"
[ "$STATUS" = 0 ] && ok || fail "exit after a drained SIGTERM: $STATUS: $(cat "$SCRATCH/serve.log.err")"

finish
