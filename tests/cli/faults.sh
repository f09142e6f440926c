#!/usr/bin/env bash
# Fault injection through the binary: search backends that hang, crash with a signal, flood stdout,
# print binary garbage, close stdout but keep running, or vanish between detection and use; a search
# index cache that is truncated, garbage or unwritable; files under --root that are directories,
# dangling symlinks or FIFOs where a regular file is expected. Each run is bounded by `timeout`
# (run_z), must report the failure per manager with the documented exit code, and must leave no
# process of the fake manager behind.
. "$(dirname "$0")/lib.sh"

BIN="$SCRATCH/bin"
mkdir -p "$BIN"
export PATH="$BIN:/usr/bin:/bin"
# The host root: search runs command managers only there (never under --root); detection finds the fakes.
export HOME="$SCRATCH/home"
mkdir -p "$HOME"
APK_OUT="$SOURCE_ROOT/tests/fixtures/search/cli/apk.out"

# fake NAME BODY: an executable shell script that records its pid, then runs BODY.
fake() {
    printf '#!/bin/sh\necho $$ >"%s/%s.pid"\n%s\n' "$SCRATCH" "$1" "$2" >"$BIN/$1"
    chmod +x "$BIN/$1"
}
fake apk "cat '$APK_OUT'"

# report FIELD MANAGER: a field of one manager's report in $OUT.
report() {
    printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([m for m in d["managers"] if m["name"] == sys.argv[2]][0][sys.argv[1]])' "$1" "$2" 2>/dev/null
}

# gone NAME: the fake manager's process (and its process group) no longer exists, not even as a zombie.
gone() {
    local p
    p=$(cat "$SCRATCH/$1.pid" 2>/dev/null)
    if [ -z "$p" ]; then fail "$1 never started"; return; fi
    if [ -e "/proc/$p" ]; then
        fail "$1 process $p left behind: $(grep -E '^(Name|State)' /proc/$p/status 2>/dev/null | tr '\n' ' ')"
    else ok; fi
    if pgrep -g "$p" >/dev/null 2>&1; then fail "$1 process group $p still has members: $(pgrep -a -g "$p")"; else ok; fi
}

# managers_only FILE: OUT becomes the --json document in FILE without its results (100,000 of them, 25 MB:
# bash spent 23 s of CPU holding and piping that text for a few fields of the managers' reports).
managers_only() {
    OUT=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("results", None); print(json.dumps(d))' "$1")
}

# expect_manager NAME STATUS ERROR-SUBSTRING DESCRIPTION
expect_manager() {
    local st er
    st=$(report status "$1")
    er=$(report error "$1")
    [ "$st" = "$2" ] && ok || fail "$4: $1 status '$st', wanted '$2' (error: $er)"
    expect_contains "$er" "$3" "$4"
}

# ---- search backends ----

# Hangs: reported as timeout at the deadline; the other manager still answers (exit 0).
fake guix 'sleep 600'
TIMEOUT=15 expect_exit 0 "hanging manager" --json pkg search hello --manager guix,apk --timeout 1
expect_manager guix timeout "timed out after 1000 ms" "hang"
expect_manager apk ok "" "hang: others unaffected"
gone guix

# Hangs and ignores SIGTERM, with a child in its group doing the same.
fake guix "trap '' TERM; sh -c \"trap '' TERM; echo \\\$\\\$ >'$SCRATCH/guix-child.pid'; sleep 600\" & sleep 600"
TIMEOUT=15 expect_exit 0 "hang ignoring SIGTERM" --json pkg search hello --manager guix,apk --timeout 1
expect_manager guix timeout "timed out" "hang ignoring TERM"
gone guix
gone guix-child

# Crashes with a signal, alone: an error naming the signal; no manager answered: exit 3.
fake guix 'echo "about to crash" >&2; kill -SEGV $$'
expect_exit 3 "crashing manager" --json pkg search hello --manager guix
expect_manager guix error "killed by signal 11" "SIGSEGV"
gone guix
expect_exit 3 "crashing manager, plain" pkg search hello --manager guix
expect_contains "$ERR" "guix:" "crash in the footer"
expect_contains "$ERR" "killed by signal 11" "crash in the footer"

# Prints 100 MB of one endless line, then exits 0: bounded memory, no results, no crash.
fake guix 'head -c 104857600 /dev/zero | tr "\\0" x'
TIMEOUT=60 expect_exit 0 "100 MB of output" --json pkg search hello --manager guix,apk --timeout 30
st=$(report status guix)
case "$st" in ok | error) ok ;; *) fail "100 MB: guix status '$st'" ;; esac
[ "$(report count guix)" = 0 ] && ok || fail "100 MB: results from a line of x"
expect_manager apk ok "" "100 MB: others unaffected"
gone guix

# 100 MB of realistic lines (guix's recutils format repeated).
fake guix "yes 'name: hello
version: 2.12.1
synopsis: Hello, GNU world
' | head -c 104857600"
TIME=(/usr/bin/time -f '%M' -o "$SCRATCH/flood.time")
[ -x /usr/bin/time ] || TIME=()
timeout -k 5 120 "${TIME[@]}" "$ZSYNCCTL" --json pkg search hello --manager guix --timeout 100 \
    >"$SCRATCH/flood.json" 2>"$SCRATCH/stderr"
CODE=$?
managers_only "$SCRATCH/flood.json"
[ "$CODE" = 0 ] && ok || fail "100 MB of records: exit $CODE: $(head -c 300 "$SCRATCH/stderr")"
expect_manager guix ok "partial output" "100 MB of records: cut and said so"
# Every record in the 64 MB kept is still counted (56-byte records; the last one is cut).
expect_contains "$(report error guix)" "$(( (64 * 1048576 + 55) / 56 )) results, kept the first 100000" \
    "100 MB records: the count past the cap"
[ "$(report count guix)" = 100000 ] && ok || fail "100 MB records: count $(report count guix)"
rss=$(( $(tail -1 "$SCRATCH/flood.time" 2>/dev/null || echo 0) / 1024 ))
echo "100 MB of matching records: peak RSS ${rss} MB"
# The parsers keep 100,000 records and only count the rest (683 MB before, 1015 MB with meson's
# MALLOC_PERTURB_, which touches every block malloc returns; 131 / 198 MB after). The bound leaves room
# for the 64 MB of output kept for the parser and the records, not for a record per line. Under ASan its
# redzones and quarantine add about 40 % (366 MB measured): 512 MB there, still far below a record per
# line.
bound=256
[ "${ZS_SANITIZE:-none}" = none ] || bound=512
[ "$rss" -le "$bound" ] && ok || fail "100 MB records: peak RSS ${rss} MB over $bound MB"
gone guix

# A complete 60 MB npm search --json document (under the 64 MB kept; a record a line, as npm prints them
# indented): read record by record, not as one
# document tree (nlohmann's tree of it peaked at 533 MB, streamed 119 MB), with every record past the cap counted.
python3 - "$SCRATCH/npm-flood.json" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("[")
    n, size = 0, 0
    while size < 60 * 1048576:
        rec = '{"name":"hello-%d","version":"1.0.%d","description":"Hello, npm world","date":"2024-01-01T00:00:00.000Z","keywords":["hello","world"]}' % (n, n)
        f.write((",\n" if n else "\n") + rec)
        n, size = n + 1, size + len(rec) + 2
    f.write("\n]\n")
    print(n, file=open(sys.argv[1] + ".count", "w"))
PY
fake npm "cat '$SCRATCH/npm-flood.json'"
https_proxy=http://127.0.0.1:9 timeout -k 5 120 "${TIME[@]}" "$ZSYNCCTL" --json pkg search hello --manager npm \
    --timeout 100 >"$SCRATCH/flood.json" 2>"$SCRATCH/stderr"
CODE=$?
managers_only "$SCRATCH/flood.json"
[ "$CODE" = 0 ] && ok || fail "60 MB npm JSON: exit $CODE: $(head -c 300 "$SCRATCH/stderr")"
expect_manager npm ok "$(cat "$SCRATCH/npm-flood.json.count") results, kept the first 100000" "60 MB npm JSON: counted past the cap"
[ "$(report count npm)" = 100000 ] && ok || fail "60 MB npm JSON: count $(report count npm)"
rss=$(( $(tail -1 "$SCRATCH/flood.time" 2>/dev/null || echo 0) / 1024 ))
echo "60 MB npm JSON: peak RSS ${rss} MB"
[ "$rss" -le "$bound" ] && ok || fail "60 MB npm JSON: peak RSS ${rss} MB over $bound MB"
gone npm
rm -f "$SCRATCH/npm-flood.json" "$SCRATCH/flood.json" "$BIN/npm"

# Binary garbage on stdout (and stderr), exit 0 and exit 1.
fake guix 'head -c 65536 /dev/urandom; head -c 4096 /dev/urandom >&2'
expect_exit 3 "binary garbage" --json pkg search hello --manager guix
[ "$(report count guix)" = 0 ] || [ "$(report status guix)" = ok ] && ok || fail "garbage: $(report error guix)"
gone guix
fake guix 'head -c 65536 /dev/urandom; head -c 4096 /dev/urandom >&2; exit 1'
expect_exit 3 "binary garbage, exit 1" --json pkg search hello --manager guix
expect_manager guix error "" "garbage exit 1"
printf '%s' "$OUT" | python3 -c 'import json,sys; json.load(sys.stdin)' && ok || fail "garbage: JSON output invalid"
expect_exit 3 "binary garbage, plain" pkg search hello --manager guix
printf '%s' "$ERR" | python3 -c 'import sys; b=sys.stdin.buffer.read(); b.decode("utf-8"); sys.exit(1 if any(c < 32 and c not in (9, 10) for c in b) else 0)' &&
    ok || fail "garbage reached the terminal footer unsanitized"
gone guix

# Closes stdout but keeps running (stderr still open): timeout at the deadline, killed.
fake guix "cat '$APK_OUT'; exec >&-; sleep 600"
TIMEOUT=15 expect_exit 0 "stdout closed, stderr open" --json pkg search hello --manager guix,apk --timeout 1
expect_manager guix timeout "timed out" "stdout closed"
gone guix

# Closes both stdout and stderr and keeps running: must not wait past the deadline either.
fake guix 'exec >&- 2>&-; sleep 600'
start=$(date +%s%N)
TIMEOUT=15 expect_exit 0 "stdout and stderr closed" --json pkg search hello --manager guix,apk --timeout 1
took=$(( ($(date +%s%N) - start) / 1000000 ))
expect_manager guix timeout "timed out" "both closed"
[ "$took" -lt 5000 ] && ok || fail "both closed: took ${took} ms with a 1 s timeout"
gone guix

# A daemonized grandchild keeps stdout open after the manager exits 0: bounded by the deadline.
fake guix "cat '$APK_OUT'; sh -c \"echo \\\$\\\$ >'$SCRATCH/guix-child.pid'; sleep 600\" & exit 0"
start=$(date +%s%N)
TIMEOUT=15 expect_exit 0 "grandchild holds stdout" --json pkg search hello --manager guix,apk --timeout 1
took=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$took" -lt 5000 ] && ok || fail "grandchild: took ${took} ms with a 1 s timeout"
gone guix-child

# Deleted between detection and use: the executable found on PATH is removed by... itself being a
# dangling symlink (found by name, exec fails), and a non-executable file.
rm -f "$BIN/guix"
ln -s "$SCRATCH/vanished" "$BIN/guix"
expect_exit 3 "dangling manager executable" --json pkg search hello --manager guix
st=$(report status guix)
case "$st" in skipped | error) ok ;; *) fail "dangling guix: status '$st'" ;; esac
rm -f "$BIN/guix"
printf '#!/bin/sh\necho hi\n' >"$BIN/guix"
chmod 644 "$BIN/guix"
expect_exit 3 "non-executable manager" --json pkg search hello --manager guix
st=$(report status guix)
case "$st" in skipped | error) ok ;; *) fail "non-executable guix: status '$st'" ;; esac
# An executable that is a directory.
rm -f "$BIN/guix"
mkdir "$BIN/guix"
expect_exit 3 "directory as manager" --json pkg search hello --manager guix
rmdir "$BIN/guix"
# A script whose interpreter is missing (exec fails after spawn: ENOENT from the kernel).
printf '#!/nonexistent/interpreter\n' >"$BIN/guix"
chmod +x "$BIN/guix"
expect_exit 3 "missing interpreter" --json pkg search hello --manager guix
expect_manager guix error "" "missing interpreter"
rm -f "$BIN/guix"

# ---- apt index under --root, and its cache ----
R="$SCRATCH/aptroot"
L="$R/var/lib/apt/lists"
mkdir -p "$L" "$R/var/lib/dpkg"
cat >"$L/deb.example.org_debian_dists_stable_main_binary-amd64_Packages" <<'EOF'
Package: hello
Version: 2.10-3
Architecture: amd64
Description: example package based on GNU hello
 The GNU hello program produces a familiar, friendly greeting.

Package: zs-world
Version: 1.0
Architecture: all
Description: the world of hello

EOF
printf 'Package: hello\nStatus: install ok installed\nVersion: 2.10-3\n\n' >"$R/var/lib/dpkg/status"
export XDG_CACHE_HOME="$SCRATCH/cache"
expect_exit 0 "apt baseline" --root "$R" --json pkg search hello --manager apt
expect_json 'len(d["results"]) == 2' "apt baseline results"
idx=$(ls "$XDG_CACHE_HOME"/zsyncctl/search/apt-*.idx 2>/dev/null | head -1)
[ -n "$idx" ] && ok || fail "no apt index cache written"

if [ -n "$idx" ]; then
    # Truncated cache: rebuilt.
    head -c 100 "$idx" >"$idx.t" && mv "$idx.t" "$idx"
    expect_exit 0 "truncated cache" --root "$R" --json pkg search hello --manager apt
    expect_json 'len(d["results"]) == 2' "truncated cache rebuilt"
    [ "$(stat -c %s "$idx")" -gt 100 ] && ok || fail "truncated cache not rewritten"
    # Garbage of the same size, and a garbage file of random bytes.
    size=$(stat -c %s "$idx")
    head -c "$size" /dev/urandom >"$idx"
    expect_exit 0 "garbage cache" --root "$R" --json pkg search hello --manager apt
    expect_json 'len(d["results"]) == 2' "garbage cache rebuilt"
    # A valid header with corrupted body: flip bytes in the middle.
    python3 - "$idx" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
for i in range(len(b) // 3, len(b)):
    b[i] = 0xff
open(p, "wb").write(b)
PY
    expect_exit 0 "corrupted cache body" --root "$R" --json pkg search hello --manager apt
    expect_json 'len(d["results"]) == 2' "corrupted cache body: still answers"
    # Empty cache file, and a directory where the cache file should be.
    : >"$idx"
    expect_exit 0 "empty cache" --root "$R" --json pkg search hello --manager apt
    expect_json 'len(d["results"]) == 2' "empty cache rebuilt"
    rm -f "$idx"
    mkdir "$idx"
    expect_exit 0 "directory as cache" --root "$R" --json pkg search hello --manager apt
    expect_json 'len(d["results"]) == 2' "directory as cache: still answers"
    rmdir "$idx"
    # Cache file is a FIFO: must not block.
    mkfifo "$idx"
    expect_exit 0 "FIFO as cache" --root "$R" --json pkg search hello --manager apt
    expect_json 'len(d["results"]) == 2' "FIFO as cache: still answers"
    rm -f "$idx"
fi

# Unwritable cache: the cache dir is a file; a read-only cache dir (root ignores modes, so use a
# read-only bind mount when possible); disk full via a file size limit.
export XDG_CACHE_HOME="$SCRATCH/cachefile"
: >"$XDG_CACHE_HOME"
expect_exit 0 "cache dir is a file" --root "$R" --json pkg search hello --manager apt
expect_json 'len(d["results"]) == 2' "cache dir is a file: still answers"
export XDG_CACHE_HOME="$SCRATCH/cache-ro"
mkdir -p "$XDG_CACHE_HOME/zsyncctl/search"
if mount --bind "$XDG_CACHE_HOME" "$XDG_CACHE_HOME" 2>/dev/null; then
    if mount -o remount,bind,ro "$XDG_CACHE_HOME" 2>/dev/null; then
        expect_exit 0 "read-only cache dir" --root "$R" --json pkg search hello --manager apt
        expect_json 'len(d["results"]) == 2' "read-only cache dir: still answers"
    fi
    umount "$XDG_CACHE_HOME" 2>/dev/null
else
    chmod 555 "$XDG_CACHE_HOME/zsyncctl/search"
    expect_exit 0 "read-only cache dir (mode)" --root "$R" --json pkg search hello --manager apt
    expect_json 'len(d["results"]) == 2' "read-only cache dir: still answers"
fi
export XDG_CACHE_HOME="$SCRATCH/cache-full"
OUT=$(ulimit -f 0; timeout -k 2 10 "$ZSYNCCTL" --root "$R" --json pkg search hello --manager apt 2>"$SCRATCH/stderr")
CODE=$?
[ "$CODE" = 0 ] && ok || fail "disk full (ulimit -f 0): exit $CODE: $(cat "$SCRATCH/stderr")"
expect_json 'len(d["results"]) == 2' "disk full: still answers"
export XDG_CACHE_HOME="$SCRATCH/cache"

# ---- files under --root that are not regular files ----
# dpkg status as a directory, a dangling symlink, a FIFO (must not block).
mv "$R/var/lib/dpkg/status" "$SCRATCH/status.saved"
mkdir "$R/var/lib/dpkg/status"
expect_exit 3 "dpkg status is a directory" --root "$R" --json pkg search hello --manager apt --no-cache
expect_manager apt error "not a regular file" "dpkg status is a directory"
rmdir "$R/var/lib/dpkg/status"
ln -s "$R/nowhere" "$R/var/lib/dpkg/status"
expect_exit 0 "dpkg status dangling symlink" --root "$R" --json pkg search hello --manager apt --no-cache
expect_json 'len(d["results"]) == 2' "dangling status: results"
rm -f "$R/var/lib/dpkg/status"
mkfifo "$R/var/lib/dpkg/status"
expect_exit 3 "dpkg status is a FIFO (must not block)" --root "$R" --json pkg search hello --manager apt --no-cache
expect_manager apt error "not a regular file" "dpkg status is a FIFO"
rm -f "$R/var/lib/dpkg/status"
cp "$SCRATCH/status.saved" "$R/var/lib/dpkg/status"
# A Packages list that is a FIFO or a directory next to a good one.
mkfifo "$L/fifo.example_dists_x_Packages"
mkdir "$L/dir.example_dists_x_Packages"
ln -s "$R/nowhere" "$L/dangling.example_dists_x_Packages"
expect_exit 0 "odd list files" --root "$R" --json pkg search hello --manager apt --no-cache
expect_json 'len(d["results"]) == 2' "odd list files: good list still read"
rm -rf "$L/fifo.example_dists_x_Packages" "$L/dir.example_dists_x_Packages" "$L/dangling.example_dists_x_Packages"
# The only list is a truncated .gz.
mv "$L/deb.example.org_debian_dists_stable_main_binary-amd64_Packages" "$SCRATCH/Packages.saved"
gzip -c "$SCRATCH/Packages.saved" | head -c 40 >"$L/deb.example.org_debian_dists_stable_main_binary-amd64_Packages.gz"
expect_exit 3 "truncated gz list" --root "$R" --json pkg search hello --manager apt --no-cache
st=$(report status apt)
case "$st" in ok | error) ok ;; *) fail "truncated gz: apt status '$st'" ;; esac
rm -f "$L"/*.gz

# /etc/os-release and /proc files as FIFOs/directories under --root: pkg search --manager auto
# detection must not block.
R2="$SCRATCH/oddroot"
mkdir -p "$R2/etc" "$R2/proc/self" "$R2/usr/lib"
mkfifo "$R2/etc/os-release" "$R2/usr/lib/os-release" "$R2/proc/cpuinfo"
mkdir "$R2/proc/self/status" "$R2/proc/mounts"
PATH="$BIN:/usr/bin:/bin" TIMEOUT=15 run_z --root "$R2" --json pkg search hello
[ "$CODE" = 0 ] || [ "$CODE" = 1 ] && ok || fail "odd root: pkg search exit $CODE: ${ERR:0:300}"
if "$ZSYNCCTL" --help 2>/dev/null | grep -q '^ *doctor'; then
    TIMEOUT=15 run_z --root "$R2" doctor --json
    [ "$CODE" != 124 ] && [ "$CODE" -lt 128 ] && ok || fail "odd root: doctor exit $CODE: ${ERR:0:300}"
    printf '%s' "$OUT" | python3 -c 'import json,sys; json.load(sys.stdin)' && ok || fail "odd root: doctor --json not JSON"
fi

finish
