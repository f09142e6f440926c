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

# -o refuses what is not a regular file (a FIFO would block forever, a device would be overwritten); -o -
# writes to stdout whatever it is.
mkfifo "$SCRATCH/out.fifo"
TIMEOUT=5 expect_exit 2 "fetch -o FIFO" fetch "$base/bytes?size=5" -o "$SCRATCH/out.fifo"
expect_contains "$ERR" "refusing to write to $SCRATCH/out.fifo: it is a FIFO" "FIFO target refused"
ln -s "$SCRATCH/out.fifo" "$SCRATCH/fifo.link"
TIMEOUT=5 expect_exit 2 "fetch -o symlink to a FIFO" fetch "$base/bytes?size=5" -o "$SCRATCH/fifo.link"
# A block device node for a loop device that does not exist: refused before it is opened.
if mknod "$SCRATCH/blockdev" b 7 250 2>/dev/null; then
    ln -s "$SCRATCH/blockdev" "$SCRATCH/block.link"
    expect_exit 2 "fetch -o symlink to a block device" fetch "$base/bytes?size=5" -o "$SCRATCH/block.link"
    expect_contains "$ERR" "it is a block device" "block device target refused"
    [ -b "$SCRATCH/blockdev" ] && [ -L "$SCRATCH/block.link" ] && ok || fail "the block device link was replaced"
fi
expect_exit 0 "fetch -o - writes stdout" fetch "$base/etag/dash" -o -
expect_contains "$OUT" "dash version 1" "fetch -o - writes the body to stdout"

# -o DIR saves under the URL's last path segment.
mkdir "$SCRATCH/dir"
expect_exit 0 "fetch -o DIR" fetch "$base/bytes?size=7" -o "$SCRATCH/dir"
[ "$(stat -c %s "$SCRATCH/dir/bytes" 2>/dev/null)" = 7 ] && ok || fail "fetch -o DIR did not write DIR/bytes"
expect_exit 2 "fetch -o DIR without a file name in the URL" fetch "$base/" -o "$SCRATCH/dir"

# --json without -o prints the result, never the body.
expect_exit 0 "fetch --json without -o" --json fetch "$base/bytes?size=100"
expect_json 'd["bytes"] == 100 and d["output"] is None' "fetch --json without -o prints only the result"

# The deadline holds for every scheme: /dev/zero never ends by itself.
start=$(date +%s)
TIMEOUT=10 expect_exit 1 "file:///dev/zero --timeout 2" --json fetch file:///dev/zero --timeout 2
expect_contains "$ERR" "timed out" "file:// timeout error line"
[ $(($(date +%s) - start)) -le 5 ] && ok || fail "file:///dev/zero --timeout 2 took $(($(date +%s) - start)) s"

# Interrupted downloads leave no temporary file: SIGINT during a file:// read from a FIFO (a writer that
# stays) and during a slow HTTP response.
mkfifo "$SCRATCH/src.fifo"
(printf 'some\n'; sleep 20) >"$SCRATCH/src.fifo" &
writer=$!
for url in "file://$SCRATCH/src.fifo" "$base/slow?delay=20"; do
    "${INTERRUPTIBLE[@]}" "$ZSYNCCTL" fetch "$url" -o "$SCRATCH/part.bin" 2>"$SCRATCH/int.err" &
    pid=$!
    sleep 1
    kill -INT "$pid"
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null # still running after 5 s: the check below fails
    wait "$pid"
    code=$?
    [ "$code" -eq 130 ] && ok || fail "SIGINT during fetch $url: exit $code, wanted 130 ($(cat "$SCRATCH/int.err"))"
    [ -z "$(find "$SCRATCH" -maxdepth 1 -name '.part.bin.zsyncctl-*')" ] && ok ||
        fail "SIGINT during fetch $url left a temporary file"
done
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null

# Binary data is not written raw to a terminal (like curl); -o - forces it.
printf 'bin\0ary\n' >"$SCRATCH/binary.dat"
DRIVE="$TESTS_DIR/pty_drive.py"
PTY_DEADLINE=20 python3 "$DRIVE" "$SCRATCH/pty1.txt" -- "$ZSYNCCTL" fetch "file://$SCRATCH/binary.dat"
code=$?
[ "$code" -eq 2 ] && ok || fail "binary body to a terminal: exit $code, wanted 2"
expect_contains "$(cat "$SCRATCH/pty1.txt")" "refusing to write binary data to a terminal" "binary refusal message"
PTY_DEADLINE=20 python3 "$DRIVE" "$SCRATCH/pty2.txt" -- "$ZSYNCCTL" fetch "file://$SCRATCH/binary.dat" -o -
code=$?
[ "$code" -eq 0 ] && ok || fail "binary body to a terminal with -o -: exit $code, wanted 0"

# Every number and URL is checked first: exit 2 with a clear message, no lookup, no libcurl error.
for bad in nan inf -inf 1e300 -1 0.0000001 abc ""; do
    expect_exit 2 "--timeout '$bad'" fetch "$base/bytes?size=5" --timeout "$bad"
    expect_contains "$ERR" "--timeout" "--timeout '$bad' message"
done
for bad in -5 1.5 abc 99999999999999999999; do
    expect_exit 2 "--max-size '$bad'" fetch "$base/bytes?size=5" --max-size "$bad"
    expect_contains "$ERR" "--max-size" "--max-size '$bad' message"
done
TIMEOUT=3 expect_exit 2 "fetch notaurl" fetch notaurl
expect_contains "$ERR" "not a URL" "notaurl message"
expect_exit 2 "fetch ftp://" fetch ftp://127.0.0.1/file
expect_contains "$ERR" "unsupported URL scheme 'ftp'" "ftp message"
expect_exit 2 "pkg search --limit -1" pkg search hello --limit -1

expect_exit 2 "fetch without a URL" fetch

# As root, -o writes into another user's directory but never through a link that user controls (they could
# point it at /etc): the real test user makes the link, root is refused and nothing lands behind it; the
# user's own fetch through their own link works.
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null && command -v useradd >/dev/null; then
    test_user
    W="$SCRATCH/w"
    mkdir -p "$W/udir" "$W/elsewhere" "$W/mine"
    chmod 755 "$SCRATCH" "$W"
    chown "$U" "$W/udir" "$W/elsewhere"
    printf 'payload\n' >"$W/src.txt"
    chmod 644 "$W/src.txt"
    if runuser -u "$U" -- ln -s "$W/elsewhere" "$W/udir/link"; then
        expect_exit 2 "root through the user's link" fetch "file://$W/src.txt" -o "$W/udir/link/out.txt"
        expect_contains "$ERR" "is a symlink owned by uid $(id -u "$U")" "the refusal names the link and its owner"
        [ -z "$(ls -A "$W/elsewhere")" ] && ok || fail "something was written behind the link: $(ls -A "$W/elsewhere")"
        expect_exit 2 "root into the user's link as a directory" fetch "file://$W/src.txt" -o "$W/udir/link"
        expect_exit 0 "root into the user's directory" fetch "file://$W/src.txt" -o "$W/udir/out.txt"
        [ "$(stat -c %U "$W/udir/out.txt" 2>&1)" = root ] && [ "$(cat "$W/udir/out.txt")" = payload ] && ok ||
            fail "root's file in the user's directory: $(ls -la "$W/udir")"
        # Root's own link in root's directory is followed (as /var/run -> /run is).
        ln -s "$W/mine" "$W/rootlink"
        expect_exit 0 "root through root's link" fetch "file://$W/src.txt" -o "$W/rootlink/r.txt"
        [ -f "$W/mine/r.txt" ] && ok || fail "root's link was not followed"
        runuser -u "$U" -- "$ZSYNCCTL" fetch "file://$W/src.txt" -o "$W/udir/link/theirs.txt" 2>"$W/u.err"
        code=$?
        [ "$code" = 0 ] && [ -f "$W/elsewhere/theirs.txt" ] && ok ||
            fail "the user through their own link: exit $code, $(cat "$W/u.err")"
    else
        fail "the test user could not make its link"
    fi
fi

finish
