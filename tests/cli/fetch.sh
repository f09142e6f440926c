#!/usr/bin/env bash
# `zsyncctl fetch` against tests/net/http_server.py on 127.0.0.1, and without libcurl.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is not installed"
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

# The server exits when its stdin closes: feed it from a FIFO held open by this shell.
mkfifo "$SCRATCH/server.in"
python3 "$TESTS_DIR/../net/http_server.py" <"$SCRATCH/server.in" >"$SCRATCH/server.out" &
server_pid=$!
exec 9>"$SCRATCH/server.in"
trap 'exec 9>&-; kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
port=
for _ in $(seq 100); do
    port=$(sed -n 's/^PORT //p' "$SCRATCH/server.out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { fail "test server did not start"; finish; }
base="http://127.0.0.1:$port"

expect_exit 0 "fetch to stdout" fetch "$base/etag/stdout"
expect_contains "$OUT" "stdout version 1" "fetch writes the body to stdout"

expect_exit 0 "fetch -o" fetch "$base/bytes?size=123456" -o "$SCRATCH/out.bin"
size=$(stat -c %s "$SCRATCH/out.bin" 2>/dev/null || echo 0)
[ "$size" -eq 123456 ] && ok || fail "fetch -o wrote $size bytes, wanted 123456"

expect_exit 0 "fetch --json" --json fetch "$base/redirect?n=2" -o "$SCRATCH/redir.bin"
expect_json 'd["status"] == 200 and d["bytes"] == 5 and d["effective_url"].endswith("/bytes?size=5")' \
    "fetch --json follows redirects"

expect_exit 1 "fetch 404" fetch "$base/status/404" -o "$SCRATCH/missing.bin"
expect_contains "$ERR" "HTTP 404" "404 error line"
[ ! -e "$SCRATCH/missing.bin" ] && ok || fail "a failed fetch left the output file behind"
[ -z "$(find "$SCRATCH" -maxdepth 1 -name '.missing.bin*')" ] && ok || fail "temporary file left behind"

expect_exit 1 "fetch truncated body" fetch "$base/truncate?size=5000&send=10" -o "$SCRATCH/cut.bin"
[ ! -e "$SCRATCH/cut.bin" ] && ok || fail "a truncated download replaced the output file"

expect_exit 1 "fetch timeout" fetch "$base/slow?delay=5" --timeout 0.3
expect_contains "$ERR" "timed out" "timeout error line"

expect_exit 1 "fetch size limit" fetch "$base/bytes?size=100000" --max-size 1000
expect_contains "$ERR" "size limit of 1000 bytes" "size limit error line"

printf 'local\n' >"$SCRATCH/local.txt"
expect_exit 0 "fetch file://" fetch "file://$SCRATCH/local.txt"
[ "$OUT" = "local" ] && ok || fail "file:// body: '$OUT'"

# Without libcurl: fetching fails with one clear error and the install hint; nothing else is affected.
ZSYNCCTL_LIBCURL=/nonexistent/libcurl.so.4 expect_exit 1 "fetch without libcurl" fetch "$base/bytes?size=5"
expect_contains "$ERR" "cannot load libcurl" "missing libcurl error"
expect_contains "$ERR" "apt-get install libcurl4" "missing libcurl hint"
ZSYNCCTL_LIBCURL=/nonexistent/libcurl.so.4 expect_exit 0 "--version without libcurl" --version

expect_exit 2 "fetch without a URL" fetch

finish
