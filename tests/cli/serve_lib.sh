# shellcheck shell=bash disable=SC2034
# Helpers for the `zsyncctl serve` tests (source after lib.sh).
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY

# start_server LOG ARGS...: starts `zsyncctl serve --listen 127.0.0.1:0 ARGS...` in the background, sets
# PID and PORT. SIGINT reaches it (see INTERRUPTIBLE in lib.sh).
start_server() {
    local log=$1
    shift
    "${INTERRUPTIBLE[@]}" "$ZSYNCCTL" serve --listen 127.0.0.1:0 "$@" >"$log" 2>"$log.err" &
    PID=$!
    PORT=
    for _ in $(seq 100); do
        PORT=$(sed -n 's/^zsyncctl: serving on http:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")
        [ -n "$PORT" ] && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    fail "serve did not start: $(cat "$log.err")"
    return 1
}

# wait_exit PID SECONDS: waits for the server to end; sets STATUS (124 when it did not end in time).
wait_exit() {
    local pid=$1 limit=$2
    for _ in $(seq $((limit * 10))); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            STATUS=$?
            return 0
        fi
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    STATUS=124
}
