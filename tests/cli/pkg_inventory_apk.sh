#!/usr/bin/env bash
# `pkg list/which/info -m apk` natively under --root: apk cannot run here, so the root holds recorded real
# records of an Alpine 3.14 lib/apk/db/installed and its etc/apk/world (tests/fixtures/inventory/apk).
# Expected answers follow apk-package(5): P:/V:/A: per record, F: a directory and R: a file in it; explicit
# is what the world names. Hostile bytes in a record never reach the terminal.
. "$(dirname "$0")/lib.sh"
FIX="$SOURCE_ROOT/tests/fixtures/inventory/apk"
R="$SCRATCH/alpine"
mkdir -p "$R/lib/apk/db" "$R/etc/apk"
cp "$FIX/installed" "$R/lib/apk/db/installed"
cp "$FIX/world" "$R/etc/apk/world"

run_z --root "$R" --json pkg list -m apk
[ "$CODE" = 0 ] && ok || fail "list: exit $CODE: $ERR"
expect_json '[(p["name"], p["version"], p["architecture"], p["reason"]) for p in d["packages"]] == [
  ("apk-tools", "2.12.6-r0", "armv7", "explicit"), ("busybox", "1.33.1-r3", "armv7", "explicit"),
  ("libc-utils", "0.7.2-r3", "armv7", "explicit"), ("musl", "1.2.2-r3", "armv7", "dependency"),
  ("musl-utils", "1.2.2-r3", "armv7", "dependency"), ("scanelf", "1.3.2-r0", "armv7", "dependency"),
  ("ssl_client", "1.33.1-r3", "armv7", "dependency")]' "list: every record, explicit from the world file"
# The records' count equals what fastfetch counts (one C: checksum line per package).
n=$(grep -c '^C:Q' "$FIX/installed")
expect_json "len(d['packages']) == $n" "list: one package per C: line ($n)"
expect_json 'all(set(p) == {"manager", "name", "version", "architecture", "state", "state_abbrev", "installed", "reason", "held"} for p in d["packages"])' "list: the schema of every manager"

for q in "sh busybox /bin/sh" "ldd musl-utils /usr/bin/ldd" "ldconfig musl-utils /sbin/ldconfig" "apk apk-tools /sbin/apk" \
         "/usr/bin/ssl_client ssl_client /usr/bin/ssl_client"; do
    set -- $q
    run_z --root "$R" --json pkg which -m apk "$1"
    [ "$CODE" = 0 ] && ok || fail "which $1: exit $CODE: $ERR"
    expect_json "[(o['package'], o['path']) for o in d['owners']] == [('$2', '$3')]" "which $1: F:/R: lines of $2"
done
expect_exit 1 "which: a command no record ships" --root "$R" pkg which -m apk bash

run_z --root "$R" --json pkg info -m apk musl-utils
[ "$CODE" = 0 ] && ok || fail "info: exit $CODE: $ERR"
expect_json '[(i["installed_version"], i["description"], i["installed_size"], i["reason"]) for i in d["packages"]] == [("1.2.2-r3", "the musl c library (libc) implementation", 110592, "dependency")]' "info: V:, T:, I:"

# Without a world file the reason is unknown, not guessed.
mv "$R/etc/apk/world" "$R/etc/apk/world.saved"
run_z --root "$R" --json pkg list -m apk
expect_json 'set(p["reason"] for p in d["packages"]) == {"unknown"}' "no world file: reason unknown"
mv "$R/etc/apk/world.saved" "$R/etc/apk/world"

# Hostile bytes: an escape sequence in a name and a description, a world line with a constraint and a tag.
printf '\nC:Q1hostile=\nP:evil\033]0;owned\007pkg\nV:1.0-r0\nA:x86_64\nT:bad \033[2J description\nF:usr/bin\nR:evil\033[31mtool\n\n' >>"$R/lib/apk/db/installed"
printf 'busybox>=1.30\nscanelf@edge\n' >>"$R/etc/apk/world"
run_z --root "$R" pkg list -m apk
[ "$CODE" = 0 ] && ok || fail "hostile: exit $CODE: $ERR"
case "$OUT$ERR" in *$'\033'*|*$'\007'*) fail "an escape sequence reached the terminal: $(printf '%q' "$OUT")" ;; *) ok ;; esac
expect_contains "$OUT" "evil" "hostile: the package is still listed"
run_z --root "$R" --json pkg list -m apk
expect_json '[p["reason"] for p in d["packages"] if p["name"] == "scanelf"] == ["explicit"]' "world: NAME@tag is the name"
run_z --root "$R" pkg info -m apk "$(printf 'evil\033]0;owned\007pkg')"
case "$OUT$ERR" in *$'\033'*|*$'\007'*) fail "info: an escape sequence reached the terminal" ;; *) ok ;; esac

# No database: one line, exit 3.
E="$SCRATCH/empty"; mkdir -p "$E"
run_z --root "$E" pkg list -m apk
[ "$CODE" = 3 ] && ok || fail "no database: exit $CODE, wanted 3"
[ "$(printf '%s\n' "$ERR" | grep -c .)" -le 2 ] && ok || fail "no database: not one line: $ERR"
run_z --root "$R" pkg outdated -m apk
[ "$CODE" = 3 ] && ok || fail "outdated: exit $CODE, wanted 3 (no cached index)"
finish
