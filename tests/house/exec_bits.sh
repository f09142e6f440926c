#!/usr/bin/env bash
# The executable-bit check: every file under bench/, scripts/ and .ci/ that starts with "#!" is
# executable, so `bench/run.sh` and the README can run it as written (bench/pkg_info.sh lost its bit once
# and run.sh skipped it with "Permission denied", its missed goal unreported). Prints each file without
# the bit (fix: chmod +x FILE, then commit) and exits 1.
set -uo pipefail
top=${1:?usage: exec_bits.sh SOURCE_ROOT}
cd "$top" || exit 1
missing=0
while IFS= read -r -d '' f; do
    if [ "$(head -c 2 "$f")" = '#!' ] && [ ! -x "$f" ]; then
        echo "not executable: $f (run: chmod +x $f)"
        missing=$((missing + 1))
    fi
done < <(find bench scripts .ci -type f -print0 | sort -z)
if [ "$missing" -gt 0 ]; then
    echo "$missing script(s) with a #! line are not executable"
    exit 1
fi
echo "exec bits: every script with a #! line under bench/, scripts/ and .ci/ is executable"
