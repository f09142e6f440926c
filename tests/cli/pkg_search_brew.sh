#!/usr/bin/env bash
# `zsyncctl pkg search --manager homebrew`: brew's own API cache (the signed .jws.json envelope), else the
# JSON API fetched from a fixture server on 127.0.0.1 with ETag revalidation (a 304 on the second search).
. "$(dirname "$0")/lib.sh"

FIX="$SOURCE_ROOT/tests/fixtures/search/homebrew"
names() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(sorted(r["name"] for r in d["results"])))'; }

# 1. brew's own cache, JWS envelopes, installed mark from a Cellar.
R="$SCRATCH/brewroot"
mkdir -p "$R/home/u/.cache/Homebrew/api" "$R/opt/homebrew/Cellar/hello/2.12.1"
cp "$FIX/formula.jws.json" "$FIX/cask.jws.json" "$R/home/u/.cache/Homebrew/api/"
HOME=/home/u run_z --root "$R" --json pkg search hello --manager homebrew
[ "$CODE" = 0 ] && ok || fail "brew cache search exit $CODE: $ERR"
got=$(printf '%s' "$OUT" | names)
[ "$got" = "hello hello-app" ] && ok || fail "brew cache: got [$got]"
expect_json '{"manager": "homebrew", "name": "hello", "version": "2.12.1", "description": "Program providing model for GNU coding standards and practices", "installed": True}.items() <= [r for r in d["results"] if r["name"] == "hello"][0].items()' "formula from the jws payload, installed"
expect_json '[r for r in d["results"] if r["name"] == "hello-app"][0]["version"] == "1.4.2"' "cask from the jws payload"
expect_json 'sorted((r["name"], r["kind"]) for r in d["results"]) == [("hello", "formula"), ("hello-app", "cask")]' "5.x documents: kind formula / cask"
HOME=/home/u run_z --root "$R" --json pkg search rg --manager homebrew
expect_json '[r["name"] for r in d["results"]] == ["ripgrep"]' "aliases are searched"

# 1b. Homebrew 6: only api/internal/packages.<bottle_tag>.jws.json is left (brew update deleted the 5.x
# files). It is read without any download (the API URL points nowhere), a formula and a cask of the same
# name are two results, the version is stable_version plus the revision, aliases and renames are searched.
R6="$SCRATCH/brew6root"
mkdir -p "$R6/home/u/.cache/Homebrew/api/internal" "$R6/opt/homebrew/Cellar/docker/28.1.1" \
    "$R6/opt/homebrew/Caskroom/caffeine/latest"
# The real 6.x layout: the JWS envelope whose payload string holds formulae/casks objects keyed by name, the
# entries shaped as Homebrew's own test fixtures (internal_spec.rb, caffeine.internal.json).
cp "$FIX/packages.x86_64_linux.jws.json" "$R6/home/u/.cache/Homebrew/api/internal/"
ZSYNCCTL_BREW_API_URL=http://127.0.0.1:9 HOME=/home/u run_z --root "$R6" --json pkg search docker --manager homebrew --exact
[ "$CODE" = 0 ] && ok || fail "Homebrew 6 cache: exit $CODE: $ERR"
expect_json 'sorted((r["name"], r["kind"], r["version"], r["installed"]) for r in d["results"]) == [("docker", "cask", "4.42.0,195023", False), ("docker", "formula", "28.1.1", True)]' "Homebrew 6: formula and cask of one name, told apart by kind"
expect_json 'not any(r["description"].startswith("(") for r in d["results"])' "Homebrew 6: the kind is a field, not a description prefix"
# --json-lines (what serve's /v1/search streams) carries the same records.
ZSYNCCTL_BREW_API_URL=http://127.0.0.1:9 HOME=/home/u run_z --root "$R6" pkg search docker --manager homebrew --exact --json-lines
lines_kinds=$(printf '%s\n' "$OUT" | python3 -c 'import json,sys; print(" ".join(sorted(r["kind"] for r in map(json.loads, filter(None, sys.stdin.read().splitlines())) if r["type"] == "result")))')
[ "$lines_kinds" = "cask formula" ] && ok || fail "Homebrew 6 --json-lines kinds: [$lines_kinds]"
# Plain output names the kind; a cask is installed from the Caskroom, a formula from the Cellar.
ZSYNCCTL_BREW_API_URL=http://127.0.0.1:9 HOME=/home/u run_z --root "$R6" pkg search caffeine --manager homebrew
expect_contains "$OUT" "homebrew caffeine latest (cask) [installed]" "Homebrew 6: plain line shows the kind, cask installed mark"
ZSYNCCTL_BREW_API_URL=http://127.0.0.1:9 HOME=/home/u run_z --root "$R6" --json pkg search ripgrep --manager homebrew
expect_json '[(r["name"], r["kind"], r["installed"]) for r in d["results"]] == [("ripgrep", "formula", False)]' "Homebrew 6: a formula's kind"
ZSYNCCTL_BREW_API_URL=http://127.0.0.1:9 HOME=/home/u run_z --root "$R6" --json pkg search oldbar --manager homebrew
expect_json '[(r["name"], r["version"]) for r in d["results"]] == [("bar", "0.4.0_5")]' "Homebrew 6: renames searched, revision in the version"
ZSYNCCTL_BREW_API_URL=http://127.0.0.1:9 HOME=/home/u run_z --root "$R6" --json pkg search rg --manager homebrew
expect_json '[r["name"] for r in d["results"]][0] == "ripgrep"' "Homebrew 6: aliases searched"

# 2. No brew cache: fetch from 127.0.0.1, then revalidate with If-None-Match and get a 304.
cat >"$SCRATCH/server.py" <<'PY'
import hashlib, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
root, log = sys.argv[1], sys.argv[2]
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        path = os.path.join(root, os.path.basename(self.path))
        if not os.path.isfile(path):
            self.send_response(404); self.end_headers(); return
        body = open(path, "rb").read()
        etag = '"%s"' % hashlib.sha1(body).hexdigest()
        code = 304 if self.headers.get("If-None-Match") == etag else 200
        with open(log, "a") as f: f.write("%d %s\n" % (code, self.path))
        self.send_response(code)
        self.send_header("ETag", etag)
        if code == 200:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if code == 200:
            self.wfile.write(body)
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
threading.Thread(target=s.serve_forever, daemon=True).start()
sys.stdin.read()
PY
mkfifo "$SCRATCH/srv.in"
python3 "$SCRATCH/server.py" "$FIX" "$SCRATCH/srv.log" <"$SCRATCH/srv.in" >"$SCRATCH/srv.port" &
SRV=$!
exec 9>"$SCRATCH/srv.in"
for _ in $(seq 50); do [ -s "$SCRATCH/srv.port" ] && break; sleep 0.1; done
PORT=$(cat "$SCRATCH/srv.port")
[ -n "$PORT" ] || { kill "$SRV"; fail "server did not start"; finish; }
E="$SCRATCH/emptyroot"
mkdir -p "$E"
export ZSYNCCTL_BREW_API_URL="http://127.0.0.1:$PORT"
HOME=/nohome run_z --root "$E" --json pkg search zstd --manager homebrew
expect_json '[r["name"] for r in d["results"]] == ["zstd"]' "fetched formula.json"
HOME=/nohome HOMEBREW_API_AUTO_UPDATE_SECS=0 run_z --root "$E" --json pkg search firefox --manager homebrew
expect_json '[r["name"] for r in d["results"]] == ["firefox"]' "revalidated cask.json"
expect_contains "$(cat "$SCRATCH/srv.log")" "304 /formula.json" "second search revalidated with a 304"
expect_contains "$(cat "$SCRATCH/srv.log")" "304 /cask.json" "cask revalidated with a 304"
n200=$(grep -c '^200 ' "$SCRATCH/srv.log")
[ "$n200" = 2 ] && ok || fail "bodies downloaded $n200 times, wanted 2: $(cat "$SCRATCH/srv.log")"
# Within the refresh interval nothing is requested at all.
before=$(wc -l <"$SCRATCH/srv.log")
HOME=/nohome run_z --root "$E" --json pkg search hello --manager homebrew
after=$(wc -l <"$SCRATCH/srv.log")
[ "$before" = "$after" ] && ok || fail "fresh cache still hit the server"
# Server gone: an unreachable API without a cache is a per-manager error, exit 1, no crash.
exec 9>&-
wait "$SRV" 2>/dev/null
XDG_CACHE_HOME="$SCRATCH/other-cache" HOME=/nohome run_z --root "$E" --json pkg search hello --manager homebrew
[ "$CODE" = 3 ] && ok || fail "unreachable API: exit $CODE, wanted 3 (no manager could search)"
expect_json 'd["managers"][0]["status"] == "error"' "unreachable API reported as error"
# 3. A hostile API server (issue 15): one that trickles its body must not hold the search past --timeout,
# and a gzip bomb (a few MiB on the wire, far more decoded) must be refused at the size cap without the
# process growing with it.
cat >"$SCRATCH/hostile.py" <<'PY'
import struct, sys, threading, time, zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
# 400 MiB of zeros as one gzip member, built fast: a fully flushed deflate block of 1 MiB of zeros
# repeated (each is independent of the others), a final empty block, the CRC and size trailer.
chunk = b"\0" * (1 << 20)
c = zlib.compressobj(9, zlib.DEFLATED, -15)
block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
crc = 0
for _ in range(400):
    crc = zlib.crc32(chunk, crc)
bomb = (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + block * 400 +
        zlib.compressobj(9, zlib.DEFLATED, -15).flush() + struct.pack("<II", crc, (400 << 20) & 0xFFFFFFFF))
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path.startswith("/slow/"):
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            try:
                for _ in range(600):
                    self.wfile.write(b" "); self.wfile.flush(); time.sleep(0.2)
            except OSError:
                pass
            return
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(bomb)))
        self.end_headers()
        try:
            self.wfile.write(bomb)
        except OSError:
            pass
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
s.daemon_threads = True
print(s.server_address[1], flush=True)
threading.Thread(target=s.serve_forever, daemon=True).start()
sys.stdin.read()
PY
mkfifo "$SCRATCH/hostile.in"
python3 "$SCRATCH/hostile.py" <"$SCRATCH/hostile.in" >"$SCRATCH/hostile.port" &
HSRV=$!
exec 8>"$SCRATCH/hostile.in"
for _ in $(seq 300); do [ -s "$SCRATCH/hostile.port" ] && break; sleep 0.1; done
HPORT=$(cat "$SCRATCH/hostile.port")
if [ -z "$HPORT" ]; then
    fail "hostile server did not start"
else
    started=$(date +%s%N)
    XDG_CACHE_HOME="$SCRATCH/slow-cache" ZSYNCCTL_BREW_API_URL="http://127.0.0.1:$HPORT/slow" HOME=/nohome \
        run_z --root "$E" --json pkg search hello --manager homebrew --timeout 3
    took=$((($(date +%s%N) - started) / 1000000))
    # 3 s of deadline plus start-up and a loaded machine's slack; the server trickles for 120 s.
    [ "$took" -lt 15000 ] && ok || fail "a trickling API server held --timeout 3 for $took ms"
    expect_json 'd["managers"][0]["status"] == "timeout"' "trickling API server: timeout status"
    XDG_CACHE_HOME="$SCRATCH/bomb-cache" ZSYNCCTL_BREW_API_URL="http://127.0.0.1:$HPORT/bomb" HOME=/nohome \
        /usr/bin/time -f '%M' -o "$SCRATCH/bomb.rss" "$ZSYNCCTL" --root "$E" --json \
        pkg search hello --manager homebrew --timeout 60 >"$SCRATCH/bomb.out" 2>"$SCRATCH/bomb.err"
    code=$?
    [ "$code" = 3 ] && ok || fail "gzip bomb: exit $code, wanted 3 ($(tail -2 "$SCRATCH/bomb.err"))"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); m=d["managers"][0]; assert m["status"]=="error" and "size limit" in m.get("error",""), m' \
        "$SCRATCH/bomb.out" && ok || fail "gzip bomb not reported as too large: $(head -c 400 "$SCRATCH/bomb.out")"
    # Peak RSS means something in the plain build only (ASan's shadow memory and quarantine add hundreds of MB).
    rss_kb=$(tail -1 "$SCRATCH/bomb.rss")
    if [ "${ZS_SANITIZE:-none}" = none ]; then
        [ "${rss_kb:-999999999}" -lt 400000 ] && ok || fail "gzip bomb: peak RSS $rss_kb KiB (the cap did not hold)"
    fi
    left=$(du -sk "$SCRATCH/bomb-cache" 2>/dev/null | cut -f1)
    [ "${left:-0}" -lt 1024 ] && ok || fail "gzip bomb left $left KiB in the cache"
fi
exec 8>&-
wait "$HSRV" 2>/dev/null
finish
