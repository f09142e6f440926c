#!/usr/bin/env bash
# `zsyncctl pkg search -m apt` against apt-cache (search and policy) on a copy of this machine's real apt
# lists and dpkg database in a scratch root: a few hundred queries generated from the package names,
# descriptions and Provides (mail-transport-agent, www-browser, c-compiler, ...) and Unicode; the name sets
# and every result's installed version and candidate must agree (tests/cli/apt_search_diff.py says which
# design choices are not counted). Skips when the machine has no apt lists (run apt-get update first).
. "$(dirname "$0")/lib.sh"

for tool in apt-cache /usr/lib/apt/apt-helper; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian package apt)"
done
# A 512 MB-of-zeros Packages.gz (about 0.5 MB compressed): the stanza cap stops the reader at 4 MiB, so the
# search ends at once with an error instead of taking minutes and hundreds of MB.
B="$SCRATCH/bomb"
mkdir -p "$B/etc/apt" "$B/var/lib/apt/lists" "$B/var/lib/dpkg"
echo "deb [trusted=yes] file:/srv/repo ./" >"$B/etc/apt/sources.list"
: >"$B/var/lib/dpkg/status"
head -c 536870912 /dev/zero | gzip -1 >"$B/var/lib/apt/lists/_srv_repo_._Packages.gz"
start=$(date +%s)
TIMEOUT=60 run_z --root "$B" --json pkg search anything -m apt --timeout 20
took=$(($(date +%s) - start))
[ "$took" -lt 20 ] && ok || fail "the zeros bomb took ${took}s"
expect_json 'd["managers"][0]["status"] == "error" and "4 MiB" in d["managers"][0]["error"]' "bomb refused by the stanza cap"

ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || skip "no apt lists in /var/lib/apt/lists: run apt-get update"

R="$SCRATCH/root"
mkdir -p "$R/etc/apt/sources.list.d" "$R/etc/apt/preferences.d" "$R/etc/apt/apt.conf.d" \
    "$R/var/lib/apt/lists/partial" "$R/var/cache/apt/archives/partial" "$R/var/lib/dpkg/updates"
cp -p /var/lib/apt/lists/*Release "$R/var/lib/apt/lists/" 2>/dev/null
# The lists are stored decompressed: apt-cache looks records up by offset, and in an lz4 or xz list every
# lookup decompresses from the start (minutes per query here); apt reads both forms the same way.
for f in /var/lib/apt/lists/*_Packages*; do
    base=$(basename "$f")
    /usr/lib/apt/apt-helper cat-file "$f" >"$R/var/lib/apt/lists/${base%_Packages*}_Packages" ||
        fail "cannot decompress $f"
done
[ -f /etc/apt/sources.list ] && cp -p /etc/apt/sources.list "$R/etc/apt/"
cp -p /etc/apt/sources.list.d/* "$R/etc/apt/sources.list.d/" 2>/dev/null
cp -p /etc/apt/preferences.d/* "$R/etc/apt/preferences.d/" 2>/dev/null
[ -f /etc/apt/preferences ] && cp -p /etc/apt/preferences "$R/etc/apt/"
cp -p /var/lib/dpkg/status "$R/var/lib/dpkg/status"
[ -f /var/lib/dpkg/arch ] && cp -p /var/lib/dpkg/arch "$R/var/lib/dpkg/"
cp -p /var/lib/dpkg/updates/[0-9]* "$R/var/lib/dpkg/updates/" 2>/dev/null

# A leftover list of a source that is no longer configured: apt-cache ignores it, so must zsyncctl.
printf 'Package: zs-leftover-only\nVersion: 1\nArchitecture: all\nDescription: leftover hello\n\n' \
    >"$R/var/lib/apt/lists/example.invalid_debian_dists_gone_main_binary-amd64_Packages"

out=$(python3 "$TESTS_DIR/apt_search_diff.py" "$ZSYNCCTL" "$R" "${APT_DIFF_QUERIES:-80}" 2>&1)
rc=$?
printf '%s\n' "$out" | tail -40
[ "$rc" -eq 0 ] && ok || fail "zsyncctl and apt-cache disagree (see DIFF lines above)"

TIMEOUT=60 run_z --root "$R" --json pkg search zs-leftover-only -m apt
expect_json 'd["results"] == []' "a list of a removed source is not read"

# Piped, a manager's many hits are written in blocks of about 64 KiB, not one write() per hit (31k writes
# for "lib" here), and the plain lines are the --json results, in the same order.
TIMEOUT=60 run_z --root "$R" --json pkg search lib -m apt
printf '%s' "$OUT" >"$SCRATCH/lib.json"
TIMEOUT=60 run_z --root "$R" pkg search lib -m apt
printf '%s\n' "$OUT" >"$SCRATCH/lib.txt"
python3 - "$SCRATCH/lib.json" "$SCRATCH/lib.txt" <<'PY' && ok || fail "plain lines differ from the --json results"
import json, sys
results = json.load(open(sys.argv[1]))["results"]
lines = open(sys.argv[2], encoding="utf-8").read().splitlines()
assert len(results) > 1000, len(results)
assert len(lines) == len(results), (len(lines), len(results))
for r, line in zip(results, lines):
    assert line.startswith(f"apt {r['name']} {r['version']}"), (line, r)
PY
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
    strace -f -qq -e trace=write -o "$SCRATCH/writes" "$ZSYNCCTL" --root "$R" pkg search lib -m apt |
        cat >/dev/null
    writes=$(grep -c '^[0-9]* *write(1,' "$SCRATCH/writes")
    bytes=$(wc -c <"$SCRATCH/lib.txt")
    # stdio puts a 64 KiB block out in up to three writes (what fills its buffer, the rest, the newline);
    # the last block may be short.
    [ "$writes" -le $((3 * (bytes / 65536 + 2))) ] && ok ||
        fail "piped search made $writes writes for $bytes bytes"
    strace -f -qq -e trace=write -o "$SCRATCH/writes" "$ZSYNCCTL" --root "$R" pkg search lib -m apt \
        --json-lines | tee "$SCRATCH/lib.jsonl" >/dev/null
    writes=$(grep -c '^[0-9]* *write(1,' "$SCRATCH/writes")
    bytes=$(wc -c <"$SCRATCH/lib.jsonl")
    [ "$writes" -le $((3 * (bytes / 65536 + 2))) ] && ok ||
        fail "piped --json-lines search made $writes writes for $bytes bytes"
else
    echo "note: strace not usable here; the write count is not checked"
fi

finish
