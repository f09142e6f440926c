#!/usr/bin/env bash
# Runs one libFuzzer target for FUZZ_SECONDS (default 20) from a seed corpus, without writing into the
# source tree: new inputs go to a scratch corpus, a crash reproducer to the current dir (meson's build dir).
#   run.sh FUZZER SEED_DIR
set -euo pipefail
fuzzer=$1 seeds=$2
scratch=$(mktemp -d "${TMPDIR:-/tmp}/zsyncctl-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
exec_time=${FUZZ_SECONDS:-20}
"$fuzzer" -max_total_time="$exec_time" -timeout=10 -error_exitcode=1 -rss_limit_mb=1024 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$PWD/$(basename "$fuzzer")-" "$scratch" "$seeds"
