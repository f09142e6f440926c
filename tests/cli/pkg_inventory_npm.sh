#!/bin/bash
# `pkg list -m npm` and `pkg outdated -m npm` against the real npm and a tiny npm registry on 127.0.0.1
# (packuments /<name> and tarballs made by `npm pack`), with a scratch global prefix (NPM_CONFIG_PREFIX),
# HOME and cache: two packages (one scoped) installed at 1.0.0 by npm itself, the list equals
# `npm ls -g --json --depth=0`; after 1.1.0 is published, outdated equals `npm outdated -g --json`
# (both versions, exit 100); the registry gone is a one-line per-manager error (exit 3).
. "$TESTS_DIR/lib.sh"
command -v npm >/dev/null || skip "npm is not installed"

T="$SCRATCH"
R="$T/registry"
mkdir -p "$R/pk" "$R/tarballs" "$T/home" "$T/prefix" "$T/build"
# Nothing of the host's npm: its prefix, ~/.npm, user and global npmrc are all scratch.
for v in $(env | sed -n 's/^\([Nn][Pp][Mm]_[Cc][Oo][Nn][Ff][Ii][Gg]_[^=]*\)=.*/\1/p'); do unset "$v"; done
export HOME="$T/home" NPM_CONFIG_PREFIX="$T/prefix" NPM_CONFIG_CACHE="$T/npmcache" \
    NPM_CONFIG_USERCONFIG="$T/home/.npmrc" NPM_CONFIG_GLOBALCONFIG="$T/prefix/etc/npmrc" \
    NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false \
    NPM_CONFIG_FETCH_RETRIES=0 NPM_CONFIG_PROGRESS=false
: >"$T/home/.npmrc"

cat >"$T/registry.py" <<'PY'
import json, os, sys, threading, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
root = sys.argv[1]
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if path.startswith("/-/tarballs/"):
            f, kind = os.path.join(root, "tarballs", os.path.basename(path)), "application/octet-stream"
        else:
            f, kind = os.path.join(root, "pk", urllib.parse.quote(path.lstrip("/"), safe="@") + ".json"), "application/json"
        if not os.path.isfile(f):
            body = b'{"error":"Not found"}'
            self.send_response(404); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body); return
        body = open(f, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
threading.Thread(target=s.serve_forever, daemon=True).start()
sys.stdin.read()
PY
mkfifo "$T/srv.in"
python3 "$T/registry.py" "$R" <"$T/srv.in" >"$T/srv.port" &
SRV=$!
exec 9>"$T/srv.in"
for _ in $(seq 50); do [ -s "$T/srv.port" ] && break; sleep 0.1; done
PORT=$(cat "$T/srv.port")
[ -n "$PORT" ] || { kill "$SRV"; fail "registry server did not start"; finish; }
export NPM_CONFIG_REGISTRY="http://127.0.0.1:$PORT/"

publish() { # NAME VERSION: npm pack, then the packument gains the version and dist-tags.latest
    local dir="$T/build/${1//\//_}-$2" tgz
    mkdir -p "$dir"
    printf '{"name":"%s","version":"%s","description":"inventory test","license":"MIT"}\n' "$1" "$2" >"$dir/package.json"
    echo "module.exports = '$2';" >"$dir/index.js"
    tgz=$(cd "$dir" && npm pack --pack-destination "$R/tarballs" 2>>"$T/npm.log" | tail -1) || { fail "npm pack $1@$2"; return; }
    python3 - "$R" "$1" "$2" "$tgz" "$PORT" <<'PY' || fail "packument $1@$2"
import base64, hashlib, json, os, sys, urllib.parse
root, name, version, tgz, port = sys.argv[1:]
data = open(os.path.join(root, "tarballs", tgz), "rb").read()
f = os.path.join(root, "pk", urllib.parse.quote(name, safe="@") + ".json")
doc = json.load(open(f)) if os.path.exists(f) else {"name": name, "versions": {}, "dist-tags": {}, "time": {}}
doc["versions"][version] = {"name": name, "version": version, "license": "MIT", "dist": {
    "tarball": "http://127.0.0.1:%s/-/tarballs/%s" % (port, tgz),
    "shasum": hashlib.sha1(data).hexdigest(),
    "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()}}
doc["dist-tags"]["latest"] = version
doc["time"][version] = "2026-01-01T00:00:00.000Z"
json.dump(doc, open(f, "w"))
PY
}

same() {
    if [ "$2" = "$3" ]; then ok; else
        fail "$1 differs:"
        diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | head -20 >&2
    fi
}
json_lines() { # KEY PYTHON-FORMAT over d[KEY] of $OUT
    printf '%s' "$OUT" | python3 -c "
import json,sys
d=json.load(sys.stdin)
for x in d[sys.argv[1]]: print($2)" "$1" | sort
}

# Nothing installed yet: an empty prefix is an empty list, and nothing outdated.
TIMEOUT=60 run_z --json pkg list -m npm
[ "$CODE" = 0 ] && ok || fail "pkg list on an empty prefix: exit $CODE ($ERR)"
expect_json 'd["managers"][0]["status"] == "ok" and d["packages"] == []' "empty prefix: ok, nothing listed"

publish zs-alpha 1.0.0
publish @zs/beta 1.0.0
npm install -g zs-alpha @zs/beta >>"$T/npm.log" 2>&1 || fail "npm install -g: $(tail -5 "$T/npm.log")"
[ -f "$T/prefix/lib/node_modules/@zs/beta/package.json" ] && ok || fail "npm did not install into the scratch prefix"

TIMEOUT=60 run_z --json pkg list -m npm
[ "$CODE" = 0 ] && ok || fail "pkg list -m npm: exit $CODE ($ERR)"
same "pkg list vs npm ls -g --json --depth=0" "$(json_lines packages 'x["name"]+" "+x["version"]')" \
    "$(npm ls -g --json --depth=0 2>>"$T/npm.log" | python3 -c '
import json,sys
for n, v in json.load(sys.stdin).get("dependencies", {}).items(): print(n, v["version"])' | sort)"
expect_json 'sorted(p["name"] for p in d["packages"]) == ["@zs/beta", "zs-alpha"]' "both packages listed, the scoped one by its full name"
# pkg paths and pkg list agree on the prefix (NPM_CONFIG_PREFIX).
run_z pkg paths npm
expect_contains "$OUT" "$T/prefix" "pkg paths npm shows the scratch prefix"

TIMEOUT=120 expect_exit 0 "nothing outdated at 1.0.0" pkg outdated -m npm

publish zs-alpha 1.1.0
publish @zs/beta 1.1.0
TIMEOUT=120 run_z --json pkg outdated -m npm
[ "$CODE" = 100 ] && ok || fail "some outdated: exit $CODE, wanted 100 ($ERR)"
want=$(npm outdated -g --json 2>>"$T/npm.log" | python3 -c '
import json,sys
for n, v in json.load(sys.stdin).items(): print(n, v["current"], "->", v["latest"])' | sort)
same "pkg outdated vs npm outdated -g --json" "$(json_lines outdated 'x["name"]+" "+x["installed_version"]+" -> "+x["candidate"]')" "$want"
expect_contains "$want" "zs-alpha 1.0.0 -> 1.1.0" "npm itself sees 1.1.0 (the differential is not vacuous)"
TIMEOUT=120 run_z pkg outdated -m npm
expect_contains "$OUT" "1.1.0" "text shows the candidate"

# The registry gone (and an empty cache: npm falls back to stale cached packuments otherwise): npm's
# failure is a one-line per-manager error, exit 3, nothing listed as outdated.
exec 9>&-
wait "$SRV" 2>/dev/null
NPM_CONFIG_CACHE="$T/emptycache" TIMEOUT=120 run_z pkg outdated -m npm
[ "$CODE" = 3 ] && ok || fail "registry down: exit $CODE, wanted 3 ($ERR)"
[ "$(printf '%s\n' "$ERR" | grep -c .)" -le 2 ] && ok || fail "registry down: error not short: $ERR"
finish
