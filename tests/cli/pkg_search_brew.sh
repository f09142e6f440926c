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
HOME=/home/u run_z --root "$R" --json pkg search rg --manager homebrew
expect_json '[r["name"] for r in d["results"]] == ["ripgrep"]' "aliases are searched"

# 1b. Homebrew 6: only api/internal/packages.<bottle_tag>.jws.json is left (brew update deleted the 5.x
# files). It is read without any download (the API URL points nowhere), a formula and a cask of the same
# name are two results, the version is stable_version plus the revision, aliases and renames are searched.
R6="$SCRATCH/brew6root"
mkdir -p "$R6/home/u/.cache/Homebrew/api/internal" "$R6/opt/homebrew/Cellar/docker/28.1.1"
python3 - "$R6/home/u/.cache/Homebrew/api/internal/packages.x86_64_linux.jws.json" <<'PY'
import json, sys
payload = {
    "metadata": {"homebrew_version": "6.0.1", "bottle_tag": "x86_64_linux"},
    "formulae": {"docker": {"desc": "Pack, ship and run any application", "stable_version": "28.1.1"},
                 "bar": {"desc": "Bar formula", "stable_version": "0.4.0", "revision": 5},
                 "ripgrep": {"desc": "Search tool like grep", "stable_version": "14.1.1"}},
    "casks": {"docker": {"desc": "App to build and share containerised applications", "version": "4.42.0",
                         "names": ["Docker Desktop"]},
              "caffeine": {"version": ":latest", "names": ["Caffeine"]}},
    "formula_aliases": {"rg": "ripgrep"},
    "formula_renames": {"oldbar": "bar"},
}
json.dump({"payload": json.dumps(payload), "signatures": [{"header": {"kid": "homebrew-1"}}]}, open(sys.argv[1], "w"))
PY
ZSYNCCTL_BREW_API_URL=http://127.0.0.1:9 HOME=/home/u run_z --root "$R6" --json pkg search docker --manager homebrew --exact
[ "$CODE" = 0 ] && ok || fail "Homebrew 6 cache: exit $CODE: $ERR"
expect_json 'sorted((r["name"], r["version"], r["installed"]) for r in d["results"]) == [("docker", "28.1.1", True), ("docker", "4.42.0", False)]' "Homebrew 6: formula and cask of one name"
expect_json 'any(r["description"].startswith("(cask) ") for r in d["results"])' "Homebrew 6: the cask says it is one"
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
finish
