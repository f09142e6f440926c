#!/bin/bash
# The real pacman on a scratch root (a sync repository built here with repo-add): its --print simulation
# read by zsyncctl (removal transaction, a removal that breaks a dependency, an unknown name), and its
# db.lck lock (held while the file exists) waited for while a real pacman holds it at its own question,
# with "waiting for the pacman-db lock held by PID N (pacman)"; a stale db.lck is not waited for.
. "$TESTS_DIR/lib.sh"

for tool in pacman repo-add bsdtar; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages pacman-package-manager, libarchive-tools)"
done
T="$SCRATCH"
P="$T/proot"
mkdir -p "$T/prepo" "$P/etc" "$P/var/lib/pacman"
mkpkg() { # name ver [extra .PKGINFO lines]
    local b="$T/pbuild/$1" extra
    mkdir -p "$b/usr/share/$1"
    echo hi >"$b/usr/share/$1/file"
    printf 'pkgname = %s\npkgbase = %s\npkgver = %s\npkgdesc = test\nbuilddate = 1700000000\nsize = 3\narch = any\n' \
        "$1" "$1" "$2" >"$b/.PKGINFO"
    for extra in "${@:3}"; do echo "$extra" >>"$b/.PKGINFO"; done
    (cd "$b" && bsdtar -czf "$T/prepo/$1-$2-any.pkg.tar.gz" .PKGINFO usr)
    repo-add -q "$T/prepo/testrepo.db.tar.gz" "$T/prepo/$1-$2-any.pkg.tar.gz" >/dev/null 2>&1 || fail "repo-add $1"
}
mkpkg zs-lib 1.0-1
mkpkg zs-app 2.0-1 "depend = zs-lib"
mkpkg zs-tool 0.5-2
mkpkg zs-hello 1.2.3-1
printf '[options]\nArchitecture = auto\nSigLevel = Never\n\n[testrepo]\nServer = file://%s\n' "$T/prepo" >"$P/etc/pacman.conf"
mkdir -p "$P/var/cache/pacman/pkg"
# --cachedir: never the host's /var/cache/pacman/pkg.
PAC=(pacman --config "$P/etc/pacman.conf" --root "$P" --dbpath "$P/var/lib/pacman" --cachedir "$P/var/cache/pacman/pkg" --color never)
"${PAC[@]}" --noconfirm -Sy >"$T/sync.log" 2>&1 || { fail "pacman -Sy: $(tail -3 "$T/sync.log")"; finish; }
"${PAC[@]}" --noconfirm -S zs-app zs-tool >"$T/install.log" 2>&1 || { fail "pacman -S: $(tail -3 "$T/install.log")"; finish; }
Z=(--no-cache --root "$P")

# --- the --print simulation, read from the real pacman
TIMEOUT=60 expect_exit 0 "remove dry run" --json "${Z[@]}" pkg remove --dry-run pacman:zs-app
expect_json "[(p['name'],p.get('old_version',p.get('version'))) for p in d['transaction']['remove']]==[('zs-app','2.0-1')] and '--print' in d['simulation']" \
    "pacman -R --print: the removal transaction"
TIMEOUT=60 expect_exit 1 "remove dry run that breaks a dependency" "${Z[@]}" pkg remove --dry-run pacman:zs-lib
expect_contains "$ERR" "zs-app" "pacman's own words name the package that needs zs-lib"
TIMEOUT=60 expect_exit 1 "remove dry run of what is not installed" "${Z[@]}" pkg remove --dry-run pacman:zs-nosuch
expect_contains "$ERR" "target not found" "pacman's own words for an unknown name"

# --- db.lck held by a real pacman waiting at its question: zsyncctl waits, names it, then goes on
mkfifo "$T/answer"
"${PAC[@]}" -S zs-hello <"$T/answer" >"$T/holder.log" 2>&1 &
holder=$!
exec 3>"$T/answer"
deadline=$((SECONDS + 20))
until [ -e "$P/var/lib/pacman/db.lck" ] || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.1; done
[ -e "$P/var/lib/pacman/db.lck" ] && ok || fail "the holder pacman did not lock: $(cat "$T/holder.log")"
"$ZSYNCCTL" "${Z[@]}" pkg remove --yes pacman:zs-tool >"$T/out" 2>"$T/err" &
zpid=$!
deadline=$((SECONDS + 30))
until grep -q "waiting for the pacman-db lock" "$T/err" || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.1; done
expect_contains "$(cat "$T/err")" "waiting for the pacman-db lock held by PID $holder (pacman)" "the wait names pacman's PID"
sleep 1
kill -0 "$zpid" 2>/dev/null && ok || fail "zsyncctl did not wait for db.lck: $(cat "$T/err")"
"${PAC[@]}" -Q zs-tool >/dev/null 2>&1 && ok || fail "zs-tool was removed while pacman held db.lck"
echo n >&3
exec 3>&-
wait "$holder"
start=$SECONDS
while kill -0 "$zpid" 2>/dev/null && [ $((SECONDS - start)) -lt 60 ]; do sleep 0.2; done
kill -KILL "$zpid" 2>/dev/null
wait "$zpid"
code=$?
[ "$code" -eq 0 ] && ok || fail "remove after the lock was released exited $code: $(cat "$T/err")"
expect_contains "$(cat "$T/err")" "the pacman-db lock is free; going on" "the release is said"
expect_contains "$(cat "$T/err")" "removed zs-tool with pacman" "then it removes"
"${PAC[@]}" -Q zs-tool >/dev/null 2>&1 && fail "zs-tool is still installed" || ok

# --- a stale db.lck (no process has it): not waited for; pacman's own refusal is reported at once
: >"$P/var/lib/pacman/db.lck"
start=$SECONDS
TIMEOUT=60 expect_exit 1 "remove with a stale db.lck" "${Z[@]}" pkg remove --yes pacman:zs-app
[ $((SECONDS - start)) -lt 20 ] && ok || fail "a stale db.lck was waited for ($((SECONDS - start)) s)"
case "$ERR" in *"waiting for the pacman-db lock"*) fail "waited for a stale lock: $ERR" ;; *) ok ;; esac
expect_contains "$ERR" "db.lck" "pacman's own words name the lock file"
rm -f "$P/var/lib/pacman/db.lck"

finish
