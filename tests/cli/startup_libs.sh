#!/usr/bin/env bash
# What start-up pays for: `--version`, `doctor` and `pkg managers` load neither libarchive nor libcurl nor a
# shared libstdc++ (they are dlopen()ed by the commands that read archives or fetch, and the C++ runtime is
# linked in). The oracle is the dynamic loader itself: readelf for the binary's NEEDED list, and LD_DEBUG=files
# for every object a real run maps, dlopen()ed ones included. Also: doctor writes nothing (no detection
# cache) and reads each file once (strace, when installed).
. "$(dirname "$0")/lib.sh"

command -v readelf >/dev/null || skip "readelf not installed (binutils)"

export HOME="$SCRATCH/home"
mkdir -p "$HOME"

# A shared libstdc++ is expected where the build does not link the C++ runtime statically (sanitizer builds,
# -Dstatic_cxx_runtime=false); libarchive, libcurl and liburing are never NEEDED.
shared_ok="libstdc++"
[ "${ZS_STATIC_CXX:-1}" = 1 ] && shared_ok=""
sanitized=""
[ -n "${ZS_SANITIZE:-}" ] && [ "${ZS_SANITIZE}" != none ] && sanitized=$ZS_SANITIZE

# The binary's own NEEDED entries.
needed=$(readelf -d "$ZSYNCCTL" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] && ok || fail "readelf found no NEEDED entries in $ZSYNCCTL"
# libm: nothing calls into it (the C++ driver's -lm is dropped by --as-needed), so it is not even mapped.
for lib in libarchive libcurl libstdc++ liburing libm; do
    [ "$lib" = "$shared_ok" ] && continue
    [ "$lib" = libm ] && [ -n "$sanitized" ] && continue # the sanitizer runtimes need it
    if printf '%s\n' "$needed" | grep -q "^$lib"; then
        fail "$ZSYNCCTL links $lib (NEEDED: $(echo $needed))"
    else
        ok
    fi
done

# Everything the loader maps during a real run of each command (LD_DEBUG=files lists each object as it is
# loaded, also those loaded with dlopen). libc must show up, or the loader's report is not being read.
loaded_objects() {
    LD_DEBUG=files LD_DEBUG_OUTPUT="$SCRATCH/ld" timeout -k 2 20 "$ZSYNCCTL" "$@" >/dev/null 2>&1
    local code=$?
    cat "$SCRATCH"/ld.* 2>/dev/null | sed -n 's/.*file=\([^ ]*\) .*\[0\].*/\1/p' | sort -u
    rm -f "$SCRATCH"/ld.*
    return $code
}

for args in "--version" "--help" "doctor" "doctor --json" "pkg managers" "pkg managers --json"; do
    # shellcheck disable=SC2086 # words on purpose
    objects=$(loaded_objects $args)
    code=$?
    [ "$code" -le 1 ] && ok || fail "$args: exit $code"
    printf '%s\n' "$objects" | grep -q '^libc\.so' && ok || fail "$args: LD_DEBUG showed no libc (got: $(echo $objects))"
    for lib in libarchive libcurl libstdc++ libxml2 libicu libsqlite3; do
        [ "$lib" = "$shared_ok" ] && continue
        if printf '%s\n' "$objects" | grep -q "$lib"; then
            fail "zsyncctl $args loads $lib (all: $(echo $objects))"
        else
            ok
        fi
    done
done

# The other side: a command that reads compressed package lists does load libarchive, on first use (so the
# checks above are not passing because nothing can load it).
fixture_root="$TESTS_DIR/../fixtures/search/apt/root"
objects=$(loaded_objects --root "$fixture_root" pkg search hello --manager apt --no-cache)
printf '%s\n' "$objects" | grep -q '^libarchive\.so' && ok ||
    fail "pkg search over .gz/.xz/.lz4 lists did not load libarchive (all: $(echo $objects))"

# And reading an rpm database loads libsqlite3, on first use: a one-package rpmdb.sqlite made with Python's
# sqlite3 from the fuzz corpus's real header (written by dnf).
rpm_root="$SCRATCH/rpmroot"
mkdir -p "$rpm_root/var/lib/rpm"
python3 -c "
import sqlite3,sys
db=sqlite3.connect(sys.argv[1])
db.execute('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)')
db.execute('INSERT INTO Packages (blob) VALUES (?)', (open(sys.argv[2],'rb').read(),))
db.commit()" "$rpm_root/var/lib/rpm/rpmdb.sqlite" "$TESTS_DIR/../fuzz/corpus/rpm_header/installed-1"
objects=$(loaded_objects --root "$rpm_root" pkg list --manager dnf --json)
printf '%s\n' "$objects" | grep -q '^libsqlite3\.so' && ok ||
    fail "pkg list over an rpm database did not load libsqlite3 (all: $(echo $objects))"

# doctor writes nothing, not even its own detection cache, and leaves HOME alone.
rm -rf "$XDG_CACHE_HOME"
run_z doctor --json
[ "$CODE" -le 1 ] && ok || fail "doctor --json: exit $CODE ($ERR)"
if [ -e "$XDG_CACHE_HOME" ] || [ -n "$(ls -A "$HOME")" ]; then
    fail "doctor wrote: $(find "$XDG_CACHE_HOME" "$HOME" -mindepth 1 2>/dev/null | head -5 | tr '\n' ' ')"
else
    ok
fi

# doctor reads each file once per run, and opens nothing for writing.
# (Not under a sanitizer: its runtime reads /proc/self/maps itself and aborts under ptrace.)
if [ -n "$sanitized" ]; then
    echo "note: $sanitized build; the read-once and no-write-open checks run in the plain build only"
elif command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
    strace -f -qq -e trace=open,openat,openat2 -o "$SCRATCH/trace" "$ZSYNCCTL" doctor --json >/dev/null 2>&1
    opens=$(grep -v ENOENT "$SCRATCH/trace" | grep -o '"/[^"]*"' | grep -E '^"/(proc|sys|etc)/' | sort | uniq -c |
        awk '$1 > 1')
    [ -z "$opens" ] && ok || fail "doctor opened these more than once: $(echo $opens)"
    grep -E 'O_WRONLY|O_RDWR|O_CREAT' "$SCRATCH/trace" | grep -v '"/dev/' >"$SCRATCH/writes"
    [ ! -s "$SCRATCH/writes" ] && ok || fail "doctor opened for writing: $(head -3 "$SCRATCH/writes")"

    # The stat calls a run makes (strace -c), against detecting afresh: doctor and pkg managers take a
    # valid detection cache instead of statting every manager's name in every PATH directory (1197 calls
    # against 272 here), and doctor leaves the cache file as it found it.
    stat_calls() {
        strace -f -qq -c -e trace=stat,lstat,newfstatat,fstatat64,statx -o "$SCRATCH/count" "$ZSYNCCTL" "$@" \
            >/dev/null 2>&1
        awk '$NF ~ /stat/ && $NF != "total" { n += $4 } END { print n + 0 }' "$SCRATCH/count"
    }
    rm -rf "$XDG_CACHE_HOME"
    cold=$(stat_calls doctor --json)
    run_z pkg managers
    [ "$CODE" = 0 ] && ok || fail "pkg managers: exit $CODE ($ERR)"
    cache_file=$(find "$XDG_CACHE_HOME" -name 'managers-*.tsv' | head -1)
    [ -n "$cache_file" ] && ok || fail "pkg managers left no detection cache under $XDG_CACHE_HOME"
    before=$(stat -c "%y %i %s" "$cache_file" 2>/dev/null)
    warm=$(stat_calls doctor --json)
    [ "$cold" -gt 0 ] && [ $((warm * 2)) -lt "$cold" ] && ok ||
        fail "doctor with a valid detection cache made $warm stat calls, without one $cold"
    [ "$(stat -c "%y %i %s" "$cache_file" 2>/dev/null)" = "$before" ] && ok || fail "doctor rewrote $cache_file"
    managers_warm=$(stat_calls pkg managers --json)
    managers_cold=$(stat_calls pkg managers --json --no-cache)
    [ $((managers_warm * 2)) -lt "$managers_cold" ] && ok ||
        fail "pkg managers with a valid cache made $managers_warm stat calls, with --no-cache $managers_cold"
else
    echo "note: strace unusable here; the read-once and no-write-open checks were not run"
fi

# The start-up layout (src/link_order.ld, meson.build): the functions the short commands run sit together
# in the section .text.zs_startup. The oracle is the binary's own symbol table: the entry of each short
# command lies inside that section, its cold parts outside. A link without the fragment, or a fragment gone
# stale for these functions, fails here; scripts/link_order.py writes it anew.
if [ "${ZS_LINK_ORDER:-0}" = 1 ]; then
    command -v nm >/dev/null || skip "nm not installed (binutils)"
    read -r start size < <(readelf -SW "$ZSYNCCTL" | sed 's/^ *\[ *[0-9]*\] *//' |
        awk '$1 == ".text.zs_startup" { print $3, $5 }')
    [ -n "${start:-}" ] && ok || fail "$ZSYNCCTL has no .text.zs_startup section (src/link_order.ld not linked)"
    start=${start:-0} size=${size:-0}
    # Functions only (a function's static locals have symbols of the same prefix).
    symbols=$(nm -C --defined-only "$ZSYNCCTL" | awk '$2 ~ /^[tTwW]$/')
    inside() { # demangled name prefix -> 0 when its (non-cold) code is inside the section
        local addr
        addr=$(printf '%s\n' "$symbols" | grep -F " $1" | grep -v '\[clone .cold\]' | head -n 1 | cut -d' ' -f1)
        [ -n "$addr" ] || return 2
        [ $((16#$addr)) -ge $((16#$start)) ] && [ $((16#$addr)) -lt $((16#$start + 16#$size)) ]
    }
    for fn in "main" "zsyncctl::cli::run(int, char**)" "zsyncctl::pkg::registry()" \
        "zsyncctl::pkg::detect_managers(" "zsyncctl::pkg::load_cache(" "zsyncctl::doctor::run_doctor("; do
        inside "$fn"
        case $? in
        0) ok ;;
        2) fail "no symbol '$fn' in $ZSYNCCTL" ;;
        *) fail "'$fn' is outside .text.zs_startup: regenerate src/link_order.ld (scripts/link_order.py BUILD)" ;;
        esac
    done
    # Not everything is moved: the search's scan is not run by the short commands.
    inside "zsyncctl::util::detail::find_bytes("
    [ $? = 1 ] && ok || fail "find_bytes (search only) is inside .text.zs_startup, or missing"
fi

finish

