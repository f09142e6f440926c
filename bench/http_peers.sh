#!/usr/bin/env bash
# http_peers.sh - measures the runtime's HTTP server (bench/http_hello) beside the peers of
# /work/shared/bench/http-peers.sh (tokio+hyper, tokio raw TCP, nginx, Boost.Beast, C epoll, C io_uring)
# in the same run, through that script's EXTRA_* hooks.
#
# Usage: PEERS_DIR=/scratch bench/http_peers.sh [all|build|bench|summary]     (default: all)
#   `build` (apt-get of the peers' packages unless SKIP_APT=1, then builds them) and `bench` must use the
#   same PEERS_DIR. Needs the release build of http_hello:
#     meson setup build-rel --buildtype=release -Dbenchmarks=true && ninja -C build-rel bench/http_hello
# Knobs: those of the shared script (DUR, ROUNDS, PIN_ROUNDS, CONCS, BIG, SERVERS), plus
#   ZS_THREADS=2 (loop threads; the peers run 2 threads too), ZS_BACKEND=auto|io_uring|epoll,
#   HELLO=path/to/http_hello, PEERS_SCRIPT=path/to/http-peers.sh, EXTRA_PORT=8090.
# The README's table came from:
#   PEERS_DIR=$(mktemp -d) DUR=5 ROUNDS=2 PIN_ROUNDS=1 BIG=10000 bench/http_peers.sh all
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
hello=${HELLO:-$root/build-rel/bench/http_hello}
peers=${PEERS_SCRIPT:-/work/shared/bench/http-peers.sh}
if [ ! -x "$hello" ]; then
    echo "http_peers.sh: no $hello; build it with: meson setup build-rel --buildtype=release" \
        "-Dbenchmarks=true && ninja -C build-rel bench/http_hello" >&2
    exit 2
fi
[ -r "$peers" ] || { echo "http_peers.sh: no $peers (set PEERS_SCRIPT)" >&2; exit 2; }

export PEERS_DIR=${PEERS_DIR:-$(mktemp -d)}
export EXTRA_NAME=zsyncctl
export EXTRA_PORT=${EXTRA_PORT:-8090}
export EXTRA_PATH=/
export EXTRA_CMD="$hello 127.0.0.1:$EXTRA_PORT ${ZS_BACKEND:-auto} ${ZS_THREADS:-2}"
export SERVERS=${SERVERS:-"zsyncctl hyper tokio_raw nginx beast epoll uring"}
echo "http_peers.sh: PEERS_DIR=$PEERS_DIR, zsyncctl: $EXTRA_CMD" >&2
exec bash "$peers" "${1:-all}"
