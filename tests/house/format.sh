#!/usr/bin/env bash
# The formatting check: every C++ file of the tree is formatted by .clang-format. Prints the files that
# are not (fix: clang-format -i FILE) and exits 1; exits 77 (skipped) when clang-format is not installed.
set -uo pipefail
top=${1:?usage: format.sh SOURCE_ROOT}
cd "$top" || exit 1
command -v clang-format >/dev/null || { echo "skip: clang-format is not installed"; exit 77; }
bad=0
while IFS= read -r -d '' f; do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f (run: clang-format -i $f)"
        bad=$((bad + 1))
    fi
done < <(find src tests bench \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print0 | sort -z)
if [ "$bad" -gt 0 ]; then
    echo "$bad file(s) not formatted with $(clang-format --version)"
    exit 1
fi
echo "format: every C++ file matches .clang-format"
