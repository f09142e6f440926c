#!/usr/bin/env bash
# Usage: bench/http_ab.sh ROUNDS CONC DUR PIN(0|1) HELLO_BINARY... (release http_hello builds); PIN=1 puts the
# servers on CPU1 and wrk on CPU0. Server CPU from /proc/PID/stat (utime+stime) over the wrk run.
# ab.sh ROUNDS CONC DUR PIN BIN... : interleaved server-CPU µs/request and p99 for each binary (io_uring, 2 loops)
rounds=$1; c=$2; dur=$3; pin=$4; shift 4
declare -a pids ports
i=0
for b in "$@"; do
  ports[$i]=$((9600 + i)); "$b" 127.0.0.1:${ports[$i]} io_uring 2 >/dev/null 2>&1 & pids[$i]=$!
  i=$((i+1))
done
sleep 0.5
[ "$pin" = 1 ] && for p in "${pids[@]}"; do taskset -a -p -c 1 $p >/dev/null; done
pre=""; [ "$pin" = 1 ] && pre="taskset -c 0"
hz=$(getconf CLK_TCK)
for r in $(seq 1 $rounds); do
  i=0
  for b in "$@"; do
    p=${pids[$i]}
    t0=$(awk '{print $14+$15}' /proc/$p/stat)
    out=$($pre wrk -t1 -c$c -d${dur}s --latency http://127.0.0.1:${ports[$i]}/)
    t1=$(awk '{print $14+$15}' /proc/$p/stat)
    n=$(echo "$out" | awk '/requests in/{print $1}')
    p99=$(echo "$out" | awk '$1=="99%"{print $2}')
    awk -v b=$(basename $b) -v t=$((t1-t0)) -v n=$n -v hz=$hz -v p99=$p99 -v r=$r 'BEGIN{printf "r%d %-12s req %7d  us/req %.2f  p99 %s\n", r, b, n, t/hz*1e6/n, p99}'
    i=$((i+1))
  done
done
for p in "${pids[@]}"; do kill $p; done; wait 2>/dev/null
