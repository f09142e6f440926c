# Helpers for tests that run the real npm against a tiny npm registry on 127.0.0.1: source after lib.sh.
# Everything of npm's is scratch: the global prefix (NPM_CONFIG_PREFIX=$T/prefix), HOME, the cache and the
# user and global npmrc; the host's npm_config_* settings are dropped. The registry serves packuments
# /<name> from $R/pk and tarballs made by `npm pack` from $R/tarballs; `npm_registry_stop` takes it away.
command -v npm >/dev/null || skip "npm is not installed"

T="$SCRATCH"
R="$T/registry"
mkdir -p "$R/pk" "$R/tarballs" "$T/home" "$T/prefix" "$T/build"
for v in $(env | sed -n 's/^\([Nn][Pp][Mm]_[Cc][Oo][Nn][Ff][Ii][Gg]_[^=]*\)=.*/\1/p'); do unset "$v"; done
export HOME="$T/home" NPM_CONFIG_PREFIX="$T/prefix" NPM_CONFIG_CACHE="$T/npmcache" \
    NPM_CONFIG_USERCONFIG="$T/home/.npmrc" NPM_CONFIG_GLOBALCONFIG="$T/prefix/etc/npmrc" \
    NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false \
    NPM_CONFIG_FETCH_RETRIES=0 NPM_CONFIG_PROGRESS=false
: >"$T/home/.npmrc"

cat >"$T/registry.py" <<'PY'
import os, sys, threading, urllib.parse
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
s.daemon_threads = True
print(s.server_address[1], flush=True)
threading.Thread(target=s.serve_forever, daemon=True).start()
sys.stdin.read()
PY
mkfifo "$T/srv.in"
python3 "$T/registry.py" "$R" <"$T/srv.in" >"$T/srv.port" &
NPM_SRV=$!
exec 9>"$T/srv.in"
for _ in $(seq 50); do [ -s "$T/srv.port" ] && break; sleep 0.1; done
PORT=$(cat "$T/srv.port")
[ -n "$PORT" ] || { kill "$NPM_SRV"; fail "registry server did not start"; finish; }
export NPM_CONFIG_REGISTRY="http://127.0.0.1:$PORT/"

# npm_registry_stop: the registry goes away (connections refused from now on).
npm_registry_stop() {
    exec 9>&-
    wait "$NPM_SRV" 2>/dev/null
}

# publish NAME VERSION [SECONDS]: npm pack, then the packument gains the version and dist-tags.latest.
# With SECONDS, the package has a postinstall script that appends "start PID" to $T/post.log, sleeps that
# long, then appends "done". Packed with a cache of its own, so npm's cache never has the tarball before
# an install fetches it.
publish() {
    local dir="$T/build/${1//\//_}-$2" tgz scripts=""
    mkdir -p "$dir"
    [ -n "${3:-}" ] && scripts=",\"scripts\":{\"postinstall\":\"echo start \$\$ >>$T/post.log; sleep $3; echo done >>$T/post.log\"}"
    printf '{"name":"%s","version":"%s","description":"npm test","license":"MIT"%s}\n' "$1" "$2" "$scripts" >"$dir/package.json"
    echo "module.exports = '$2';" >"$dir/index.js"
    tgz=$(cd "$dir" && NPM_CONFIG_CACHE="$T/packcache" npm pack --pack-destination "$R/tarballs" 2>>"$T/npm.log" | tail -1) ||
        { fail "npm pack $1@$2"; return; }
    python3 - "$R" "$1" "$2" "$tgz" "$PORT" "$dir/package.json" <<'PY' || fail "packument $1@$2"
import base64, hashlib, json, os, sys, urllib.parse
root, name, version, tgz, port, manifest = sys.argv[1:]
data = open(os.path.join(root, "tarballs", tgz), "rb").read()
f = os.path.join(root, "pk", urllib.parse.quote(name, safe="@") + ".json")
doc = json.load(open(f)) if os.path.exists(f) else {"name": name, "versions": {}, "dist-tags": {}, "time": {}}
entry = json.load(open(manifest))
if "scripts" in entry:
    entry["hasInstallScript"] = True
entry["dist"] = {"tarball": "http://127.0.0.1:%s/-/tarballs/%s" % (port, tgz),
    "shasum": hashlib.sha1(data).hexdigest(),
    "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()}
doc["versions"][version] = entry
doc["dist-tags"]["latest"] = version
doc["time"][version] = "2026-01-01T00:00:00.000Z"
json.dump(doc, open(f, "w"))
PY
}

# npm_versions: "NAME VERSION" per global package as `npm ls -g --json` says, sorted.
npm_versions() {
    npm ls -g --json --depth=0 2>>"$T/npm.log" | python3 -c '
import json,sys
for n, v in json.load(sys.stdin).get("dependencies", {}).items(): print(n, v.get("version"))' | sort
}
