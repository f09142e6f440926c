#!/usr/bin/env bash
# Runs every benchmark; each prints ratios against a peer measured in the same run.
#   bench/run.sh [build-dir]     (default build-bench; configured with -Dbenchmarks=true if missing)
# Engineers adding a bench: build it in bench/meson.build and add one line below.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
dir=${1:-build-bench}
if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" --buildtype=release -Dbenchmarks=true >/dev/null
else
    meson configure "$dir" -Dbenchmarks=true >/dev/null
fi
meson compile -C "$dir" >/dev/null

echo "== runtime: ThreadPool/Runtime vs boost::asio::thread_pool"
if [ -x "$dir/bench/bench_runtime" ]; then "$dir/bench/bench_runtime"; else echo "skipped: libboost-dev missing"; fi
echo "== spawn: 200 \`true\` children concurrently on the runtime's loop vs sequential posix_spawn+waitpid and run_process"
"$dir/bench/bench_spawn"
echo "== loop: wake-up latency and timer lateness, epoll vs io_uring"
"$dir/bench/bench_loop"
echo "== find: util::find_bytes (the search scan) vs memmem and string_view::find"
"$dir/bench/bench_find"
echo "== start-up: zsyncctl vs /bin/true (bench/pairs.py, interleaved)"
bench/startup.sh "$dir/zsyncctl" || echo "skipped (exit $?)"
echo "== pkg search: zsyncctl vs apt-cache search, concurrent vs sequential managers"
bench/pkg_search.sh "$dir/zsyncctl" || echo "skipped (exit $?)"
echo "== pkg outdated: zsyncctl pkg outdated -m apt vs apt list --upgradable (bench/pairs.py, interleaved)"
bench/pkg_outdated.sh "$dir/zsyncctl" || echo "skipped (exit $?)"
echo "== pkg info: zsyncctl pkg info -m apt vs apt-cache policy with a warm binary cache (bench/pairs.py, interleaved)"
bench/pkg_info.sh "$dir/zsyncctl" || echo "skipped or goal missed (exit $?)"
echo "== pkg managers: warm and cold (--no-cache) vs zsyncctl --version (bench/pairs.py, interleaved)"
bench/pkg_managers.sh "$dir/zsyncctl" || echo "skipped (exit $?)"
echo "== doctor: zsyncctl doctor --json vs zsyncctl --version (bench/pairs.py, interleaved)"
bench/doctor.sh "$dir/zsyncctl" || echo "skipped (exit $?)"
