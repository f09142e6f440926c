#!/usr/bin/env bash
# Download throughput of `zsyncctl fetch` against the `curl` CLI (the same libcurl underneath), measured in
# the same run with hyperfine, on 127.0.0.1 only:
#   1. http://127.0.0.1 : a SIZE_MB body from tests/net/http_server.py (the server is the same for both)
#   2. file://          : a SIZE_MB file (no server: the client's own per-byte cost)
# Prints the median times and the ratio zsyncctl/curl (below 1.0 = zsyncctl faster).
# Usage: bench/http_download.sh [path/to/zsyncctl]   Env: SIZE_MB=256 RUNS=10
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
zsyncctl=${1:-$here/build/zsyncctl}
size_mb=${SIZE_MB:-256}
runs=${RUNS:-10}
for tool in hyperfine curl python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install $tool)" >&2; exit 1; }
done
[ -x "$zsyncctl" ] || { echo "no zsyncctl at $zsyncctl (build it first)" >&2; exit 1; }
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

scratch=$(mktemp -d "${TMPDIR:-/tmp}/zsyncctl-bench-http.XXXXXX")
mkfifo "$scratch/server.in"
python3 "$here/tests/net/http_server.py" <"$scratch/server.in" >"$scratch/server.out" &
server=$!
exec 9>"$scratch/server.in"
trap 'exec 9>&-; kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$scratch"' EXIT
port=
for _ in $(seq 100); do
    port=$(sed -n 's/^PORT //p' "$scratch/server.out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "test server did not start" >&2; exit 1; }

bytes=$((size_mb * 1024 * 1024))
url="http://127.0.0.1:$port/bytes?size=$bytes"
head -c "$bytes" /dev/zero >"$scratch/big.bin"
file_url="file://$scratch/big.bin"

echo "zsyncctl: $("$zsyncctl" --version | head -1)"
echo "curl:     $(curl --version | head -1)"
echo "body:     $size_mb MiB, $runs runs each"

measure() { # name url
    hyperfine -N --warmup 1 --runs "$runs" --export-json "$scratch/$1.json" \
        -n zsyncctl "$zsyncctl fetch $2 -o /dev/null" \
        -n curl "curl -sS -o /dev/null $2" >/dev/null
    python3 - "$scratch/$1.json" "$1" "$size_mb" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
med = {r["command"]: r["median"] for r in doc["results"]}
mb = float(sys.argv[3])
z, c = med["zsyncctl"], med["curl"]
print(f"{sys.argv[2]:5s} zsyncctl {z*1000:8.1f} ms ({mb/z:7.0f} MiB/s)   curl {c*1000:8.1f} ms ({mb/c:7.0f} MiB/s)"
      f"   ratio zsyncctl/curl {z/c:.2f}")
PY
}
measure http "$url"
measure file "$file_url"
