#!/usr/bin/env bash
# The formatting check: every C++ file of the tree is formatted by .clang-format. Prints the files that
# are not (fix: clang-format -i FILE) and exits 1; exits 77 (skipped) when clang-format is not installed.
set -uo pipefail
top=${1:?usage: format.sh SOURCE_ROOT}
cd "$top" || exit 1
command -v clang-format >/dev/null || { echo "skip: clang-format is not installed"; exit 77; }
# One clang-format process per 40 files, two at a time: it reports each unformatted file as
# "FILE:LINE:COL: error: code should be clang-formatted".
report=$(find src tests bench \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print0 | sort -z |
    xargs -0 -n 40 -P 2 clang-format --dry-run -Werror 2>&1 >/dev/null)
status=$?
mapfile -t files < <(printf '%s\n' "$report" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u)
for f in "${files[@]}"; do
    echo "not formatted: $f (run: clang-format -i $f)"
done
if [ "${#files[@]}" -gt 0 ]; then
    echo "${#files[@]} file(s) not formatted with $(clang-format --version)"
    exit 1
fi
if [ "$status" -ne 0 ]; then
    echo "clang-format failed: $(printf '%s\n' "$report" | head -5)"
    exit 1
fi
echo "format: every C++ file matches .clang-format"
