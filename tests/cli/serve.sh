#!/usr/bin/env bash
# zsyncctl serve with real clients on 127.0.0.1: curl and python's http.client (keep-alive, HEAD,
# 404/405), raw sockets (pipelining, limits, malformed input), the JSON endpoints against the CLI's own
# documents, the loopback/token refusals, and SIGTERM in the middle of a request (it is answered, then
# the server exits 0), a second signal ending it at once (143), SIGHUP and SIGQUIT alike (129, 131).
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
. "$TESTS_DIR/serve_lib.sh"
unset https_proxy HTTPS_PROXY

start_server "$SCRATCH/serve.log" || finish
BASE="http://127.0.0.1:$PORT"

OUT=$(curl -sS --max-time 10 "$BASE/healthz")
expect_json 'd == {"status": "ok"}' "/healthz"

# DNS rebinding: a page whose own name was re-pointed at 127.0.0.1 sends that name as Host. Without
# --allow-remote every path refuses it with 421 and an error document; the loopback names (any case, with
# the port or without) are answered.
for path in /v1/managers /healthz /; do
    for host in evil.example.com "evil.example.com:$PORT" "127.0.0.1:$((PORT == 65535 ? 1 : PORT + 1))"; do
        code=$(curl -s -o "$SCRATCH/evil.json" -w '%{http_code}' --max-time 10 -H "Host: $host" \
            -H 'Origin: http://evil.example.com' "$BASE$path")
        OUT=$(cat "$SCRATCH/evil.json")
        [ "$code" = 421 ] && ok || fail "$path with Host $host: $code ${OUT:0:200}"
    done
done
expect_json 'd["error"]["kind"] == "permission_denied" and "Host" in d["error"]["message"]' "the 421's error document"
for host in "127.0.0.1:$PORT" "localhost:$PORT" "LOCALHOST:$PORT" "[::1]:$PORT" 127.0.0.1 localhost "localhost.:$PORT"; do
    code=$(curl -s -o "$SCRATCH/host.json" -w '%{http_code}' --max-time 30 -H "Host: $host" "$BASE/v1/managers")
    [ "$code" = 200 ] && ok || fail "/v1/managers with Host $host: $code $(head -c 200 "$SCRATCH/host.json")"
done
# The name curl puts in Host itself, as a browser would for http://localhost:PORT/.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --resolve "localhost:$PORT:127.0.0.1" "http://localhost:$PORT/healthz")
[ "$code" = 200 ] && ok || fail "http://localhost:$PORT/healthz: $code"
# HTTP/1.0 may leave Host out: nothing names the server then, so it is refused too.
exec 9<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /healthz HTTP/1.0\r\n\r\n' >&9
status=$(head -1 <&9)
exec 9>&-
expect_contains "$status" "421 Misdirected Request" "HTTP/1.0 without Host"

# The JSON endpoints are the CLI's documents.
OUT=$(curl -sS --max-time 30 "$BASE/v1/managers")
printf '%s' "$OUT" >"$SCRATCH/http-managers.json"
"$ZSYNCCTL" --json pkg managers >"$SCRATCH/cli-managers.json"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a==b else 1)' \
    "$SCRATCH/http-managers.json" "$SCRATCH/cli-managers.json" && ok || fail "/v1/managers differs from pkg managers --json: ${OUT:0:300}"
OUT=$(curl -sS --max-time 30 "$BASE/v1/paths")
"$ZSYNCCTL" --json pkg paths >"$SCRATCH/cli-paths.json"
printf '%s' "$OUT" >"$SCRATCH/http-paths.json"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a==b else 1)' \
    "$SCRATCH/http-paths.json" "$SCRATCH/cli-paths.json" && ok || fail "/v1/paths differs from pkg paths --json"
# The inventory documents, whatever their exit status (pkg outdated exits 100 when something is).
for what in list outdated; do
    code=$(curl -sS -o "$SCRATCH/http-$what.json" -w '%{http_code}' --max-time 60 "$BASE/v1/$what")
    [ "$code" = 200 ] && ok || fail "/v1/$what: HTTP $code: $(head -c 300 "$SCRATCH/http-$what.json")"
    "$ZSYNCCTL" --json pkg "$what" >"$SCRATCH/cli-$what.json"
    # Equal but for each manager's elapsed_ms.
    python3 -c '
import json, sys
def norm(p):
    d = json.load(open(p))
    for m in d.get("managers", []):
        m.pop("elapsed_ms", None)
    return d
sys.exit(0 if norm(sys.argv[1]) == norm(sys.argv[2]) else 1)' \
        "$SCRATCH/http-$what.json" "$SCRATCH/cli-$what.json" && ok || fail "/v1/$what differs from pkg $what --json"
done
OUT=$(curl -sS --max-time 60 "$BASE/v1/doctor")
expect_json '"checks" in d and "facts" in d' "/v1/doctor is the doctor document"
# ... built in process, the document `zsyncctl --json doctor` prints (exit 1 when a check fails: still a
# document): the same checks with the same statuses, the same facts' shape, managers, event loop and
# recommendation (timings and live counters such as free memory aside).
printf '%s' "$OUT" >"$SCRATCH/http-doctor.json"
"$ZSYNCCTL" --json doctor >"$SCRATCH/cli-doctor.json"
python3 - "$SCRATCH/http-doctor.json" "$SCRATCH/cli-doctor.json" <<'PY' && ok || fail "/v1/doctor differs from doctor --json"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(x) for x in v[:1]]
    return type(v).__name__ if v is not None else None
def checks(d):
    return [(c["id"], c["status"], c["category"]) for c in d["checks"]]
errors = []
for what, f in [("checks", checks), ("schema", lambda d: d["schema_version"]),
                ("overrides", lambda d: d["overrides"]), ("recommendation", lambda d: d["recommendation"]),
                ("event loop", lambda d: d["facts"]["io"]["event_loop"]),
                ("managers", lambda d: d["facts"]["package_managers"]),
                ("keys", lambda d: sorted(d)), ("facts' keys", lambda d: sorted(d["facts"]))]:
    if f(a) != f(b):
        errors.append("%s: %r != %r" % (what, f(a), f(b)))
for e in errors:
    print(e[:400])
sys.exit(1 if errors else 0)
PY

# Concurrent documents: 8 /v1/doctor at once are all answered, and no process is started for them (they
# are built on the runtime's pool; the server's children are sampled while they run).
python3 - "$PORT" "$PID" <<'PY' && ok || fail "concurrent /v1/doctor (see above)"
import http.client, json, os, sys, threading, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
results, children = [], set()
def one():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/v1/doctor")
    r = c.getresponse()
    body = r.read()
    ok = r.status == 200 and "checks" in json.loads(body)
    results.append(ok or (r.status, body[:200]))
threads = [threading.Thread(target=one) for _ in range(8)]
for t in threads:
    t.start()
while any(t.is_alive() for t in threads):
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            kids = open("/proc/%d/task/%s/children" % (pid, task)).read().split()
        except OSError:
            continue
        for k in kids:
            try:
                children.add(open("/proc/%s/cmdline" % k).read().replace("\0", " ").strip())
            except OSError:
                children.add(k)
    time.sleep(0.005)
for t in threads:
    t.join()
bad = [r for r in results if r is not True]
if len(results) != 8 or bad:
    print("answers:", len(results), "bad:", bad)
if children:
    print("processes started for /v1/doctor:", sorted(children)[:5])
sys.exit(1 if len(results) != 8 or bad or children else 0)
PY

# 200 requests over the document endpoints (each on its own connection, 4 at a time; /v1/list and
# /v1/outdated, which read every manager, 6 times each) leave the server's open file descriptors where
# they were.
fds() { find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
fds_before=$(fds)
python3 - "$PORT" <<'PY' && ok || fail "200 requests (see above)"
import http.client, sys
from concurrent.futures import ThreadPoolExecutor
port = int(sys.argv[1])
paths = ["/v1/doctor", "/v1/managers", "/v1/paths", "/healthz", "/nope"] * 6 + ["/v1/list", "/v1/outdated"]
def one(i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", paths[i % len(paths)])
    r = c.getresponse()
    r.read()
    c.close()
    return r.status
with ThreadPoolExecutor(4) as pool:
    statuses = list(pool.map(one, range(200)))
want = [404 if paths[i % len(paths)] == "/nope" else 200 for i in range(200)]
if statuses != want:
    print("statuses:", [(paths[i % len(paths)], s) for i, s in enumerate(statuses) if s != want[i]][:5])
sys.exit(0 if statuses == want else 1)
PY
sleep 0.5
fds_after=$(fds)
[ "$fds_after" -le "$fds_before" ] && ok || fail "open fds went from $fds_before to $fds_after after 200 requests: $(ls -l "/proc/$PID/fd" | tail -5)"

# curl: two URLs on one connection (keep-alive), HEAD, 404, 405.
curl -sv --max-time 10 "$BASE/healthz" "$BASE/healthz" >/dev/null 2>"$SCRATCH/curl.err"
grep -q "Re-using existing connection" "$SCRATCH/curl.err" && ok || fail "curl did not reuse the connection: $(grep -i connect "$SCRATCH/curl.err" | head -3)"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/nope")
[ "$code" = 404 ] && ok || fail "unknown path: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X DELETE "$BASE/healthz")
[ "$code" = 405 ] && ok || fail "DELETE /healthz: $code"
head=$(curl -sS -I --max-time 10 "$BASE/healthz")
expect_contains "$head" "Content-Length: 16" "HEAD has the GET's length"

# python http.client and raw sockets.
if python3 - "$PORT" <<'PY'; then ok; else fail "python clients (see above)"; fi
import http.client, re, socket, sys
port = int(sys.argv[1])
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)

c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
for i in range(3):
    c.request("GET", "/healthz")
    r = c.getresponse()
    body = r.read()
    check(r.status == 200 and body == b'{"status":"ok"}\n', "keep-alive request %d: %d %r" % (i, r.status, body))
first_sock = c.sock
c.request("HEAD", "/healthz")
r = c.getresponse()
check(r.status == 200 and r.read() == b"" and r.getheader("Content-Length") == "16", "HEAD")
check(c.sock is first_sock, "http.client kept one connection")
c.request("POST", "/healthz", body=b"x")
r = c.getresponse(); r.read()
check(r.status == 405 and "GET" in (r.getheader("Allow") or ""), "POST -> 405 with Allow")
c.close()

def raw(data, shut=False):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(data)
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    s.close()
    return out

# pipelining: three requests in one write, answered in order, the last closes.
out = raw(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
          b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", out)
check(statuses == [b"200", b"404", b"200"], "pipelined statuses %r" % statuses)
# limits and malformed input
check(raw(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n").startswith(b"HTTP/1.1 431 "), "8 KiB head -> 431")
many = b"".join(b"X-%d: v\r\n" % i for i in range(101))
check(raw(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + many + b"\r\n").startswith(b"HTTP/1.1 431 "), "101 fields -> 431")
check(raw(b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000000\r\n\r\n").startswith(b"HTTP/1.1 413 "), "2 MB body -> 413")
for bad in [b"GET / HTTP/1.1\r\n\r\n", b"GET / HTTP/1.1\nHost: x\n\n", b"\x16\x03\x01\x00\xa5\x01\x00\x00",
            b"GET /a b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"]:
    check(raw(bad).startswith(b"HTTP/1.1 400 "), "malformed %r -> 400" % bad[:30])
check(raw(b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n").startswith(b"HTTP/1.1 505 "), "HTTP/9.9 -> 505")
for e in errors:
    print("python check failed:", e)
sys.exit(1 if errors else 0)
PY

# SIGTERM while a request is in progress: it is answered (Connection: close), then the server exits.
python3 - "$PORT" "$PID" >"$SCRATCH/term.out" 2>&1 <<'PY'
import os, signal, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 6\r\n\r\nabc")
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
time.sleep(0.3)
try:
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    print("new connection accepted after SIGTERM")
except OSError:
    print("refused after SIGTERM")
s.sendall(b"def")
out = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    out += chunk
print(out.split(b"\r\n")[0].decode())
print("close" if b"Connection: close" in out else "no close")
PY
wait_exit "$PID" 15
term=$(cat "$SCRATCH/term.out")
expect_contains "$term" "refused after SIGTERM" "the listener closes at SIGTERM"
expect_contains "$term" "HTTP/1.1 405 Method Not Allowed" "the request in progress is answered"
expect_contains "$term" "close" "the answer closes the connection"
[ "$STATUS" = 0 ] && ok || fail "exit after SIGTERM with every request answered: $STATUS (wanted 0): $(cat "$SCRATCH/serve.log.err")"

# A second signal ends it at once, even with a request still open.
start_server "$SCRATCH/serve2.log" --grace 60 || finish
exec 7<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nab' >&7
sleep 0.3
kill -TERM "$PID"
sleep 0.3
kill -0 "$PID" 2>/dev/null && ok || fail "the server left before the request in progress finished"
kill -INT "$PID"
wait_exit "$PID" 3
exec 7>&-
[ "$STATUS" = 143 ] && ok || fail "exit after a second signal: $STATUS (wanted 143 at once)"

# A request still in progress at the --grace deadline is cut: the server exits at the deadline with the
# signal's code (not 0: something was not answered).
start_server "$SCRATCH/serve4.log" --grace 1 || finish
exec 8<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nab' >&8
sleep 0.3
t0=$(date +%s%N)
kill -TERM "$PID"
wait_exit "$PID" 10
elapsed=$((($(date +%s%N) - t0) / 1000000))
exec 8>&-
[ "$STATUS" = 143 ] && ok || fail "exit after the grace deadline: $STATUS (wanted 143)"
[ "$elapsed" -ge 900 ] && [ "$elapsed" -lt 5000 ] && ok || fail "the deadline cut took ${elapsed} ms (wanted about 1 s)"

# SIGHUP (its terminal closed) and SIGQUIT stop it the same way: 0 with nothing in progress, else the
# signal's own code (129, 131) once the deadline cut a request.
start_server "$SCRATCH/serve6.log" || finish
kill -HUP "$PID"
wait_exit "$PID" 15
[ "$STATUS" = 0 ] && ok || fail "exit after SIGHUP with nothing in progress: $STATUS (wanted 0)"
for sig in HUP:129 QUIT:131; do
    start_server "$SCRATCH/serve-${sig%%:*}.log" --grace 1 || finish
    exec 9<>"/dev/tcp/127.0.0.1/$PORT"
    printf 'POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nab' >&9
    sleep 0.3
    kill "-${sig%%:*}" "$PID"
    wait_exit "$PID" 10
    exec 9>&-
    [ "$STATUS" = "${sig##*:}" ] && ok || fail "exit after SIG${sig%%:*} cut a request: $STATUS (wanted ${sig##*:})"
done

# Usage errors name the command's own help; --port (what other servers take) gets the form serve takes.
expect_exit 2 "serve --port" serve --port 8080
expect_contains "$ERR" "hint: serve takes the address and port together: --listen HOST:PORT" "--port: the --listen hint"
expect_exit 2 "serve --bogus" serve --bogus
expect_contains "$ERR" "hint: run 'zsyncctl serve --help' for usage" "the hint names serve's help"
expect_exit 2 "pkg managers --bogus" pkg managers --bogus
expect_contains "$ERR" "hint: run 'zsyncctl pkg managers --help' for usage" "the hint names pkg managers' help"
expect_exit 2 "--bogus" --bogus
expect_contains "$ERR" "hint: run 'zsyncctl --help' for usage" "no command: the program's help"

# Token: 401 without it, 200 with it; /healthz stays open.
printf 'secret-token\n' >"$SCRATCH/token"
# A token file others can read, or another user's, is refused with what to do about it.
chmod 640 "$SCRATCH/token"
expect_exit 2 "a token file the group can read" serve --token-file "$SCRATCH/token"
expect_contains "$ERR" "chmod 600 $SCRATCH/token" "the mode hint names the file"
chmod 600 "$SCRATCH/token"
if [ "$(id -u)" = 0 ]; then
    chown 65534 "$SCRATCH/token"
    expect_exit 2 "another user's token file" serve --token-file "$SCRATCH/token"
    expect_contains "$ERR" "is owned by uid 65534, not by this user" "the owner refusal says whose it is"
    chown 0 "$SCRATCH/token"
fi
start_server "$SCRATCH/serve3.log" --allow-remote --token-file "$SCRATCH/token" || finish
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$PORT/v1/paths")
[ "$code" = 401 ] && ok || fail "no token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Authorization: Bearer wrong' "http://127.0.0.1:$PORT/v1/paths")
[ "$code" = 401 ] && ok || fail "wrong token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H 'Authorization: Bearer secret-token' "http://127.0.0.1:$PORT/v1/paths")
[ "$code" = 200 ] && ok || fail "right token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$PORT/healthz")
[ "$code" = 200 ] && ok || fail "/healthz without token: $code"
# The page holds no data: it is served without the token (and asks for it); nothing else under / is.
code=$(curl -s -o "$SCRATCH/token-page.html" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$PORT/")
[ "$code" = 200 ] && grep -q 'id="auth-form"' "$SCRATCH/token-page.html" && ok || fail "the page without a token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$PORT/v1/search?q=x")
[ "$code" = 401 ] && ok || fail "/v1/search without a token: $code (wanted 401)"
# The scheme name is case-insensitive (RFC 9110 section 11.1), and one or more spaces may follow it.
for auth in 'bearer secret-token' 'BEARER secret-token' 'Bearer  secret-token'; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Authorization: $auth" "http://127.0.0.1:$PORT/v1/managers")
    [ "$code" = 200 ] && ok || fail "Authorization: $auth: $code"
done
for auth in 'Basic secret-token' 'Bearersecret-token' 'bearer secret-token2'; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: $auth" "http://127.0.0.1:$PORT/v1/managers")
    [ "$code" = 401 ] && ok || fail "Authorization: $auth: $code (wanted 401)"
done
# With --allow-remote the token guards the API and Host is not checked (the server answers to whatever
# name it is reached by).
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H 'Host: evil.example.com' \
    -H 'Authorization: Bearer secret-token' "http://127.0.0.1:$PORT/v1/managers")
[ "$code" = 200 ] && ok || fail "--allow-remote, any Host with the token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Host: evil.example.com' "http://127.0.0.1:$PORT/v1/managers")
[ "$code" = 401 ] && ok || fail "--allow-remote, any Host without the token: $code (wanted 401)"
kill -INT "$PID"
wait_exit "$PID" 15
[ "$STATUS" = 0 ] && ok || fail "exit after SIGINT with nothing in progress: $STATUS (wanted 0)"

# --threads 3: three loops with their own listeners; connections land on more than one, every
# endpoint answers on every loop (children are read through the request's loop), SIGTERM drains them all.
start_server "$SCRATCH/serve5.log" --threads 3 || finish
BASE="http://127.0.0.1:$PORT"
good=0
for _ in $(seq 30); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/healthz")" = 200 ] && good=$((good + 1))
done
[ "$good" = 30 ] && ok || fail "--threads 3: $good of 30 /healthz answered"
managers_ok=0
for _ in $(seq 6); do
    OUT=$(curl -sS --max-time 30 "$BASE/v1/managers")
    printf '%s' "$OUT" >"$SCRATCH/http-managers-t.json"
    python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a==b else 1)' \
        "$SCRATCH/http-managers-t.json" "$SCRATCH/cli-managers.json" && managers_ok=$((managers_ok + 1))
done
[ "$managers_ok" = 6 ] && ok || fail "--threads 3: /v1/managers matched the CLI $managers_ok of 6 times"
OUT=$(curl -sS --max-time 10 "$BASE/metrics")
loops=$(printf '%s\n' "$OUT" | grep -c '^zsyncctl_http_loop_connections_accepted_total{loop=' || true)
busy=$(printf '%s\n' "$OUT" | grep '^zsyncctl_http_loop_connections_accepted_total{loop=' | awk '$2 > 0' | wc -l)
[ "$loops" = 3 ] && ok || fail "--threads 3: $loops loops in /metrics"
[ "$busy" -ge 2 ] && ok || fail "--threads 3: connections on $busy loop(s): $(printf '%s\n' "$OUT" | grep loop_connections)"
kill -TERM "$PID"
wait_exit "$PID" 15
[ "$STATUS" = 0 ] && ok || fail "--threads 3: exit after SIGTERM: $STATUS (wanted 0)"
"$ZSYNCCTL" serve --threads 0 >/dev/null 2>&1
STATUS=$?
[ "$STATUS" = 2 ] && ok || fail "--threads 0: exit $STATUS (wanted 2)"

finish
