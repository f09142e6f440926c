#!/usr/bin/env bash
# Longer local fuzzing than CI's 20 s per target:
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 300 s, every target in tests/fuzz)
# Builds build-fuzz (clang, ASan+UBSan, -Dfuzzing=true) if missing, then runs each target from its seed
# corpus with tests/fuzz/run.sh. Crash reproducers land in build-fuzz/ as fuzz_<target>-crash-*; rerun
# one with build-fuzz/tests/fuzz/fuzz_<target> FILE. Prints the executions per target and in all.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
if [ ! -f build-fuzz/build.ninja ]; then
    CXX=clang++ meson setup build-fuzz --buildtype=debug -Dfuzzing=true -Dtests=false \
        -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fno-sanitize-recover=all
fi
meson compile -C build-fuzz
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.cpp; do
        t=$(basename "$f" .cpp)
        targets+=("${t#fuzz_}")
    done
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0} # see .ci/run
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
total=0
failed=0
for t in "${targets[@]}"; do
    log=build-fuzz/fuzz_$t.log
    if (cd build-fuzz && FUZZ_SECONDS=$seconds bash ../tests/fuzz/run.sh "tests/fuzz/fuzz_$t" "../tests/fuzz/corpus/$t") >"$log" 2>&1; then
        result=ok
    else
        result="CRASH (see $log)"
        failed=$((failed + 1))
    fi
    n=$(awk '/^stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
    total=$((total + ${n:-0}))
    echo "fuzz_$t: ${n:-0} executions, $result"
done
echo "all targets: $total executions, $failed crashed"
[ "$failed" -eq 0 ]
