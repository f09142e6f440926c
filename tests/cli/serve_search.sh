#!/usr/bin/env bash
# zsyncctl serve's streamed search and /metrics with real clients on 127.0.0.1: NDJSON and server-sent
# events carry the records of `pkg search --json-lines` (the same SearchRun, in process: no search child);
# records arrive while a slow manager still runs; a client that leaves mid-stream cancels the search (no
# manager process is left, none a zombie); many slow searches at once hold no pool thread (a document
# built on the pool is still answered); a reader that stops reading holds the records back (backpressure)
# and loses nothing; SIGTERM lets a stream finish, then exit 0; the real apt index of a scratch root is
# searched through --root; /metrics parses and its counts move.
# Managers: recorded real-format output behind fakes on PATH (like pkg_search.sh) and real apt.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
. "$TESTS_DIR/serve_lib.sh"

FIX="$SOURCE_ROOT/tests/fixtures/search/cli"
BIN="$SCRATCH/bin"
mkdir -p "$BIN" "$SCRATCH/home"
export PATH="$BIN:/usr/bin:/bin" HOME="$SCRATCH/home"
# No network-only manager is searched, but keep detection off the network like pkg_search.sh does.
export https_proxy=http://127.0.0.1:9
# apk answers at once (its recorded output, or $SCRATCH/apk.out when present); dnf sleeps for
# $SCRATCH/dnf.sleep seconds first and records its pid (the leader of its process group).
cat >"$BIN/apk" <<SH
#!/bin/sh
if [ -f "$SCRATCH/apk.out" ]; then cat "$SCRATCH/apk.out"; else cat "$FIX/apk.out"; fi
SH
cat >"$BIN/dnf" <<SH
#!/bin/sh
# Written whole or not at all: a reader never sees the file created but still empty.
echo \$\$ >"$SCRATCH/dnf.pid.\$\$" && mv "$SCRATCH/dnf.pid.\$\$" "$SCRATCH/dnf.pid"
sleep "\$(cat "$SCRATCH/dnf.sleep")"
cat "$FIX/dnf.out"
SH
chmod +x "$BIN/apk" "$BIN/dnf"
echo 60 >"$SCRATCH/dnf.sleep"

start_server "$SCRATCH/serve.log" || finish
BASE="http://127.0.0.1:$PORT"

# The records are the CLI's (elapsed_ms aside).
"$ZSYNCCTL" pkg search hello --manager apk --json-lines >"$SCRATCH/cli.ndjson"
curl -sS -N --max-time 30 -H 'Accept: application/x-ndjson' -D "$SCRATCH/h1" "$BASE/v1/search?q=hello&manager=apk" >"$SCRATCH/http.ndjson"
grep -qi '^Content-Type: application/x-ndjson' "$SCRATCH/h1" && ok || fail "NDJSON content type: $(cat "$SCRATCH/h1")"
grep -qi '^Transfer-Encoding: chunked' "$SCRATCH/h1" && ok || fail "the stream is chunked"
curl -sS -N --max-time 30 -H 'Accept: text/event-stream' -D "$SCRATCH/h2" "$BASE/v1/search?q=hello&manager=apk" >"$SCRATCH/http.sse"
grep -qi '^Content-Type: text/event-stream' "$SCRATCH/h2" && ok || fail "SSE content type"
if python3 - "$SCRATCH" <<'PY'; then ok; else fail "streamed records differ from pkg search --json-lines"; fi
import json, sys
d = sys.argv[1]
def norm(lines):
    out = []
    for l in lines:
        r = json.loads(l)
        r.pop("elapsed_ms", None)
        out.append(r)
    return out
cli = norm(open(d + "/cli.ndjson").read().splitlines())
nd = norm(open(d + "/http.ndjson").read().splitlines())
events = [e for e in open(d + "/http.sse").read().split("\n\n") if e.strip()]
sse = norm(e[len("data: "):] for e in events if e.startswith("data: "))
done = [e for e in events if e.startswith("event: done\n")]
ok = True
for name, got in (("ndjson", nd), ("sse", sse)):
    if got != cli:
        print(name, "records:", got, "\ncli:", cli); ok = False
if len(cli) < 2 or not any(r["type"] == "result" and r["name"] == "hello" for r in cli):
    print("the CLI found nothing:", cli); ok = False
if len(done) != 1 or json.loads(done[0].split("data: ", 1)[1])["exit_code"] != 0 or not events[-1].startswith("event: done"):
    print("sse done event:", events[-2:]); ok = False
sys.exit(0 if ok else 1)
PY

# Two managers: the same records per manager (their order is completion order, so compared per manager).
echo 0 >"$SCRATCH/dnf.sleep"
"$ZSYNCCTL" pkg search hello --manager apk,dnf --json-lines >"$SCRATCH/cli2.ndjson"
curl -sS -N --max-time 30 "$BASE/v1/search?q=hello&manager=apk,dnf" >"$SCRATCH/http2.ndjson"
if python3 - "$SCRATCH/cli2.ndjson" "$SCRATCH/http2.ndjson" <<'PY'; then ok; else fail "apk+dnf records differ from the CLI's"; fi
import json, sys
def by_manager(path):
    out = {}
    for l in open(path).read().splitlines():
        r = json.loads(l)
        r.pop("elapsed_ms", None)
        out.setdefault(r["manager"], []).append(r)
    return out
cli, http = by_manager(sys.argv[1]), by_manager(sys.argv[2])
if cli != http or sorted(cli) != ["apk", "dnf"] or len(cli["dnf"]) < 2:
    print("cli:", cli, "\nhttp:", http); sys.exit(1)
PY
echo 60 >"$SCRATCH/dnf.sleep"

# Bad requests are 400 with an error document, before anything runs.
for q in "" "?q=" "?q=hello&manager=nosuch" "?q=hello&color=red" "?q=%zz" "?q=hello&exact=maybe" "?q=a%01b"; do
    code=$(curl -s -o "$SCRATCH/bad.json" -w '%{http_code}' --max-time 10 "$BASE/v1/search$q")
    OUT=$(cat "$SCRATCH/bad.json")
    [ "$code" = 400 ] && ok || fail "/v1/search$q: $code $OUT"
    expect_json 'd["error"]["kind"] == "invalid_input" and d["error"]["message"]' "/v1/search$q error document"
done

# DNS rebinding: a page whose own name was re-pointed at 127.0.0.1 sends that name as Host. Its search is
# refused with 421 and an error document, and no manager runs for it (dnf records its pid as it starts;
# /metrics counts no search).
searches() { curl -sS --max-time 10 "$BASE/metrics" | sed -n 's/^zsyncctl_searches_total //p'; }
rm -f "$SCRATCH/dnf.pid"
before=$(searches)
for host in evil.example.com "evil.example.com:$PORT"; do
    code=$(curl -s -o "$SCRATCH/evil.json" -w '%{http_code}' --max-time 10 -H "Host: $host" \
        -H 'Origin: http://evil.example.com' -H 'Accept: text/event-stream' "$BASE/v1/search?q=hello&manager=dnf")
    OUT=$(cat "$SCRATCH/evil.json")
    [ "$code" = 421 ] && ok || fail "/v1/search with Host $host: $code $OUT"
    expect_json 'd["error"]["kind"] == "permission_denied" and "Host" in d["error"]["message"]' \
        "/v1/search with Host $host: error document"
done
after=$(searches)
[ -n "$before" ] && [ "$before" = "$after" ] && ok || fail "refused searches were counted: $before -> $after"
[ ! -e "$SCRATCH/dnf.pid" ] && ok || fail "a refused search started dnf"

# Streaming and cancellation: apk's records arrive while dnf still sleeps; the client leaves; dnf's
# process group and the search's own process are gone soon after.
rm -f "$SCRATCH/dnf.pid"
if python3 - "$PORT" "$PID" "$SCRATCH" >"$SCRATCH/cancel.out" 2>&1 <<'PY'; then ok; else fail "cancel: $(cat "$SCRATCH/cancel.out")"; fi
import json, os, socket, subprocess, sys, time
port, server, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.sendall(b"GET /v1/search?q=hello&manager=apk,dnf HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/x-ndjson\r\n\r\n")
buf = b""
deadline = time.time() + 20
while b'"type":"status"' not in buf and time.time() < deadline:
    buf += s.recv(65536)
if b'"manager":"apk","status":"ok"' not in buf:
    sys.exit("no apk status before dnf finished: %r" % buf[-300:])
for _ in range(100):
    if os.path.exists(d + "/dnf.pid") and os.path.getsize(d + "/dnf.pid") > 0:
        break
    time.sleep(0.05)
pgid = int(open(d + "/dnf.pid").read())
def group_alive():
    out = subprocess.run(["ps", "-eo", "pgid="], capture_output=True, text=True).stdout.split()
    return str(pgid) in out
def server_children():
    return subprocess.run(["ps", "--ppid", str(server), "-o", "pid=,args="], capture_output=True, text=True).stdout.strip()
if not group_alive() or not server_children():
    sys.exit("dnf (group %d) is not running mid-stream" % pgid)
if "pkg search" in server_children():
    sys.exit("the search runs in a child, not in process: " + server_children())
s.close()
for _ in range(100):
    if not group_alive() and not server_children():
        break
    time.sleep(0.1)
if group_alive():
    sys.exit("dnf's process group %d outlived the client: %s" % (pgid, subprocess.run(["ps", "-o", "pid,stat,args", "-g", str(pgid)], capture_output=True, text=True).stdout))
if server_children():
    sys.exit("the server still has children: " + server_children())
PY

# Many slow searches at once (more than the pool has workers) hold no pool thread: a document built on the
# pool is still answered at once, nothing is queued on the pool, and leaving cancels them all.
if python3 - "$PORT" "$PID" >"$SCRATCH/many.out" 2>&1 <<'PY'; then ok; else fail "many searches: $(cat "$SCRATCH/many.out")"; fi
import re, socket, subprocess, sys, time, urllib.request
port, server = int(sys.argv[1]), int(sys.argv[2])
def metrics():
    m = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    return {k: float(v) for k, v in re.findall(r"^([a-z_]+) ([0-9.e+-]+)$", m, re.M)}
def dnfs():
    ps = subprocess.run(["ps", "--ppid", str(server), "-o", "args="], capture_output=True, text=True).stdout
    return sum(1 for l in ps.splitlines() if "/bin/dnf" in l)
n = int(metrics()["zsyncctl_pool_workers"]) + 4
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.sendall(b"GET /v1/search?q=hello&manager=dnf HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    socks.append(s)
for _ in range(200):
    if dnfs() == n:
        break
    time.sleep(0.05)
if dnfs() != n:
    sys.exit("%d of %d dnf processes running" % (dnfs(), n))
t = time.time()
body = urllib.request.urlopen("http://127.0.0.1:%d/v1/managers" % port, timeout=30).read()
took = time.time() - t
m = metrics()
if m["zsyncctl_searches_in_flight"] != n or m["zsyncctl_pool_queue_depth"] != 0:
    sys.exit("in flight %r, pool queue %r" % (m["zsyncctl_searches_in_flight"], m["zsyncctl_pool_queue_depth"]))
# A blocked pool would answer only when the searches end (dnf sleeps 60 s); a slow build (TSan) is slower.
if took > 20:
    sys.exit("/v1/managers took %.1f s with %d searches running" % (took, n))
for s in socks:
    s.close()
for _ in range(100):
    if dnfs() == 0 and metrics()["zsyncctl_searches_in_flight"] == 0:
        break
    time.sleep(0.1)
if dnfs() != 0 or metrics()["zsyncctl_searches_in_flight"] != 0:
    sys.exit("left after the clients went: %d dnf, %r in flight" % (dnfs(), metrics()["zsyncctl_searches_in_flight"]))
PY

# /metrics: every sample line is `name{labels} value`; the counts moved with the requests above.
curl -sS --max-time 10 "$BASE/metrics" >"$SCRATCH/m1"
curl -sS --max-time 10 "$BASE/healthz" >/dev/null
curl -sS --max-time 10 "$BASE/metrics" >"$SCRATCH/m2"
if python3 - "$SCRATCH/m1" "$SCRATCH/m2" <<'PY'; then ok; else fail "/metrics (see above)"; fi
import re, sys
sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? (?P<value>-?[0-9.e+-]+|\+Inf|NaN)$')
def parse(path):
    values, bad = {}, []
    for line in open(path).read().splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = sample.match(line)
        if not m:
            bad.append(line)
            continue
        values[line.rsplit(" ", 1)[0]] = float(m.group('value'))
    return values, bad
a, bad_a = parse(sys.argv[1])
b, bad_b = parse(sys.argv[2])
errors = ["unparsable: %r" % l for l in bad_a + bad_b]
def need(cond, what):
    if not cond:
        errors.append(what)
need(b['zsyncctl_http_responses_total{code="200"}'] >= a['zsyncctl_http_responses_total{code="200"}'] + 2, "200s counted")
need(a.get('zsyncctl_http_responses_total{code="400"}', 0) >= 7, "400s counted")
need(b['zsyncctl_http_request_duration_seconds_count'] > a['zsyncctl_http_request_duration_seconds_count'], "latency count moves")
need(b['zsyncctl_http_request_duration_seconds_bucket{le="+Inf"}'] == b['zsyncctl_http_request_duration_seconds_count'], "+Inf bucket is the count")
buckets = [v for k, v in b.items() if k.startswith("zsyncctl_http_request_duration_seconds_bucket")]
need(buckets == sorted(buckets), "buckets are cumulative")
need(a['zsyncctl_searches_total'] >= 3 and a['zsyncctl_searches_cancelled_total'] >= 1, "searches counted: %r" % a.get('zsyncctl_searches_total'))
need(a['zsyncctl_searches_in_flight'] == 0, "no search in flight")
need(a['zsyncctl_http_responses_aborted_total'] >= 1, "the abandoned stream counted")
need(any(k.startswith('zsyncctl_loop_backend{backend="') and v == 1 for k, v in a.items()), "loop backend")
need('zsyncctl_pool_queue_depth' in a and a['zsyncctl_pool_workers'] >= 1, "pool gauges")
for e in errors:
    print("metrics:", e)
sys.exit(1 if errors else 0)
PY

# Backpressure: 40,000 results to a client that does not read for a while. The records are held back (the
# stream waits for its reader, /metrics shows it) rather than piling up in the server's output buffer, and
# every record arrives in the end.
python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(40000):
        f.write("hello-bulk%05d-1.0-r0 - A bulk package for the backpressure test of zsyncctl serve %d\n" % (i, i))
' "$SCRATCH/apk.out"
if python3 - "$PORT" "$PID" >"$SCRATCH/bp.out" 2>&1 <<'PY'; then ok; else fail "backpressure: $(cat "$SCRATCH/bp.out")"; fi
import json, re, socket, subprocess, sys, time, urllib.request
port, server = int(sys.argv[1]), int(sys.argv[2])
def waiting():
    m = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    return int(re.search(r"^zsyncctl_searches_waiting_reader (\d+)$", m, re.M).group(1))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
s.settimeout(60)
s.connect(("127.0.0.1", port))
s.sendall(b"GET /v1/search?q=hello&manager=apk HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
held = False
for _ in range(150):
    time.sleep(0.1)
    if waiting() == 1:
        held = True
        break
if not held:
    sys.exit("the stream never waited for its reader")
time.sleep(0.5)
if waiting() != 1:
    sys.exit("the stream stopped waiting while its reader did not read")
data = b""
while True:
    chunk = s.recv(1 << 20)
    if not chunk:
        break
    data += chunk
if waiting() != 0:
    sys.exit("still waiting after the reader took everything")
head, _, body = data.partition(b"\r\n\r\n")
# de-chunk
parts, pos = [], 0
while True:
    end = body.index(b"\r\n", pos)
    size = int(body[pos:end], 16)
    if size == 0:
        break
    parts.append(body[end + 2:end + 2 + size])
    pos = end + 4 + size
recs = [json.loads(l) for l in b"".join(parts).decode().splitlines()]
results = [r for r in recs if r["type"] == "result"]
status = [r for r in recs if r["type"] == "status"]
if len(results) != 40000 or len(status) != 1 or status[0]["total"] != 40000:
    sys.exit("got %d results, status %r" % (len(results), status))
PY
rm -f "$SCRATCH/apk.out"

# SIGTERM mid-stream: the listener closes, the search in progress finishes and is delivered, exit 0.
echo 2 >"$SCRATCH/dnf.sleep"
python3 - "$PORT" "$PID" >"$SCRATCH/term.out" 2>&1 <<'PY'
import os, signal, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.sendall(b"GET /v1/search?q=hello&manager=apk,dnf HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
buf = s.recv(65536)
time.sleep(0.2)
os.kill(pid, signal.SIGTERM)
time.sleep(0.3)
try:
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    print("new connection accepted after SIGTERM")
except OSError:
    print("refused after SIGTERM")
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
print("dnf finished" if b'"manager":"dnf","status":"ok"' in buf else "dnf missing: %r" % buf[-400:])
print("stream ended" if buf.endswith(b"0\r\n\r\n") else "stream cut")
PY
wait_exit "$PID" 20
term=$(cat "$SCRATCH/term.out")
expect_contains "$term" "refused after SIGTERM" "the listener closes at SIGTERM"
expect_contains "$term" "dnf finished" "the search in progress is delivered"
expect_contains "$term" "stream ended" "the stream ends properly"
[ "$STATUS" = 0 ] && ok || fail "exit after a drained SIGTERM: $STATUS: $(cat "$SCRATCH/serve.log.err")"

# --threads 3: searches woken on every loop (a run is owned by the loop its connection is on), each stream
# the CLI's records; SIGTERM afterwards exits 0.
start_server "$SCRATCH/serve-threads.log" --threads 3 || finish
CURLS=()
for i in 1 2 3 4 5 6; do
    curl -sS -N --max-time 30 "http://127.0.0.1:$PORT/v1/search?q=hello&manager=apk" >"$SCRATCH/t$i.ndjson" &
    CURLS+=($!)
done
wait "${CURLS[@]}"
same=0
for i in 1 2 3 4 5 6; do
    python3 -c '
import json, sys
strip = lambda p: [{k: v for k, v in json.loads(l).items() if k != "elapsed_ms"} for l in open(p).read().splitlines()]
sys.exit(0 if strip(sys.argv[1]) == strip(sys.argv[2]) else 1)' "$SCRATCH/cli.ndjson" "$SCRATCH/t$i.ndjson" && same=$((same + 1))
done
[ "$same" = 6 ] && ok || fail "--threads 3: $same of 6 streams were the CLI's records"
kill -TERM "$PID"
wait_exit "$PID" 15
[ "$STATUS" = 0 ] && ok || fail "--threads 3: exit after SIGTERM: $STATUS: $(cat "$SCRATCH/serve-threads.log.err")"

# The real apt index of a scratch root (a local repository, apt-get update), searched through --root.
APT_CHECK='
import json, sys
strip = lambda rs: [{k: v for k, v in r.items() if k != "elapsed_ms"} for r in rs]
cli = strip(json.loads(l) for l in open(sys.argv[1]).read().splitlines())
http = strip(json.loads(l) for l in sys.argv[2].splitlines())
want = {"type": "result", "manager": "apt", "name": "zs-served", "version": "2.5-1"}
sys.exit(0 if http == cli and any(want.items() <= r.items() for r in http) else 1)
'
if command -v dpkg-deb >/dev/null && command -v dpkg-scanpackages >/dev/null && command -v apt-get >/dev/null; then
    T="$SCRATCH/apt"
    R="$T/root"
    mkdir -p "$T/pkg/DEBIAN" "$T/repo" "$R/etc/apt/sources.list.d" "$R/etc/apt/preferences.d" \
        "$R/etc/apt/apt.conf.d" "$R/var/lib/apt/lists/partial" "$R/var/cache/apt/archives/partial" \
        "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/info" "$R/var/log"
    printf 'Package: zs-served\nVersion: 2.5-1\nArchitecture: all\nMaintainer: T <t@example.invalid>\nDescription: %s\n' \
        "A package found through zsyncctl serve" >"$T/pkg/DEBIAN/control"
    dpkg-deb -b "$T/pkg" "$T/repo/zs-served_2.5-1_all.deb" >/dev/null || fail "dpkg-deb failed"
    (cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages failed"
    : >"$R/var/lib/dpkg/status"
    echo "deb [trusted=yes] file:$T/repo ./" >"$R/etc/apt/sources.list"
    APTO=(-o "Dir=$R" -o "Dir::State::status=$R/var/lib/dpkg/status" -o "Dir::Etc::SourceList=$R/etc/apt/sources.list"
        -o "Dir::Etc::SourceParts=$R/etc/apt/sources.list.d" -o "Dir::Etc::Parts=$R/etc/apt/apt.conf.d"
        -o "Dir::Cache=$R/var/cache/apt" -o Debug::NoLocking=1)
    if timeout 60 apt-get "${APTO[@]}" -q update >"$T/apt-update.log" 2>&1; then
        start_server "$SCRATCH/serve-root.log" --root "$R" || finish
        OUT=$(curl -sS -N --max-time 30 "http://127.0.0.1:$PORT/v1/search?q=zs-served&manager=apt")
        "$ZSYNCCTL" --root "$R" pkg search zs-served --manager apt --json-lines >"$SCRATCH/cli-root.ndjson"
        if python3 -c "$APT_CHECK" "$SCRATCH/cli-root.ndjson" "$OUT"; then ok; else fail "apt index through serve: $OUT"; fi
        kill -TERM "$PID"
        wait_exit "$PID" 15
        [ "$STATUS" = 0 ] && ok || fail "--root server exit: $STATUS"
    else
        fail "apt-get update in the scratch root failed: $(tail -3 "$T/apt-update.log")"
    fi
fi

finish
