#!/bin/bash
# `pkg refresh`, `pkg info` and `pkg upgrade` with the real pacman on a scratch root whose local repository
# (repo-add) publishes newer versions: outdated sees nothing until `pkg refresh -m pacman` syncs the root's
# own db; info agrees with pacman -Qi/-Si; the upgrade's --print simulation leaves the IgnorePkg package
# out, a named ignored package is skipped, --all upgrades the rest and the ignored one stays; nothing is
# written to the host's pacman cache.
. "$TESTS_DIR/lib.sh"
for tool in pacman repo-add bsdtar; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages pacman-package-manager, libarchive-tools)"
done

T="$SCRATCH"
mkdir -p "$T/prepo"
mkpkg() { # name version
    local b="$T/pbuild/$1-$2"
    mkdir -p "$b/usr/share/$1"
    echo "$2" >"$b/usr/share/$1/version"
    printf 'pkgname = %s\npkgbase = %s\npkgver = %s\npkgdesc = upgrade test %s\nbuilddate = 1700000000\nsize = 3\narch = any\nlicense = MIT\n' \
        "$1" "$1" "$2" "$1" >"$b/.PKGINFO"
    (cd "$b" && bsdtar -czf "$T/prepo/$1-$2-any.pkg.tar.gz" .PKGINFO usr)
    repo-add -q "$T/prepo/testrepo.db.tar.gz" "$T/prepo/$1-$2-any.pkg.tar.gz" >/dev/null 2>&1 || fail "repo-add $1"
}
mkpkg zs-up 1.0-1
mkpkg zs-ign 1.0-1
P="$T/proot"
mkdir -p "$P/etc" "$P/var/lib/pacman" "$P/var/cache/pacman/pkg" "$P/var/log"
printf '[options]\nArchitecture = auto\nSigLevel = Never\nIgnorePkg = zs-ign\n\n[testrepo]\nServer = file://%s\n' \
    "$T/prepo" >"$P/etc/pacman.conf"
PAC=(pacman --config "$P/etc/pacman.conf" --root "$P" --dbpath "$P/var/lib/pacman" --cachedir "$P/var/cache/pacman/pkg"
    --logfile "$P/var/log/pacman.log" --color never --noconfirm)
host_cache_before=$(ls /var/cache/pacman/pkg 2>/dev/null | grep -c '^zs-')
Z=(--no-cache --root "$P")
ver() { "${PAC[@]}" -Q "$1" 2>/dev/null | awk '{print $2}'; }

# No sync db yet: search and outdated say what to run.
TIMEOUT=60 run_z "${Z[@]}" --json pkg search zs-up -m pacman
expect_contains "$OUT" "run zsyncctl pkg refresh -m pacman" "search without a sync db names pkg refresh"
TIMEOUT=60 expect_exit 0 "refresh (first sync)" "${Z[@]}" pkg refresh -m pacman
[ -s "$P/var/lib/pacman/sync/testrepo.db" ] && ok || fail "pkg refresh wrote no sync db into the root"
"${PAC[@]}" -S zs-up zs-ign >"$T/pacman.log" 2>&1 || fail "pacman -S: $(tail -3 "$T/pacman.log")"

mkpkg zs-up 2.0-1
mkpkg zs-ign 2.0-1
# pacman fetches a db only when it is newer than its copy (whole seconds): the publication is later.
touch -d "@$(($(date +%s) + 5))" "$T/prepo/testrepo.db.tar.gz"
TIMEOUT=60 expect_exit 0 "outdated never refreshes" "${Z[@]}" pkg outdated -m pacman
TIMEOUT=60 expect_exit 0 "refresh" "${Z[@]}" pkg refresh -m pacman </dev/null
expect_contains "$ERR" "refreshed pacman's package metadata" "refresh says so"
TIMEOUT=60 expect_exit 100 "outdated after the refresh" --json "${Z[@]}" pkg outdated -m pacman
expect_json "sorted((p['name'], p['candidate'], p['skip_reason']) for p in d['outdated'])==[('zs-ign','2.0-1','ignored'),('zs-up','2.0-1',None)]" "the refresh brought 2.0-1"

# pkg info against pacman -Qi (installed) and -Si (sync).
qi=$("${PAC[@]}" -Qi zs-up | awk -F': ' '/^Version/{print $2}')
si=$("${PAC[@]}" -Si zs-up | awk -F': ' '/^Version/{print $2}')
TIMEOUT=60 expect_exit 0 "pkg info" --json "${Z[@]}" pkg info zs-up -m pacman
expect_json "len(d['packages'])==1" "info has the package"
expect_json "d['packages'][0]['installed_version']=='$qi' and d['packages'][0]['candidate']=='$si' and d['packages'][0]['repository']=='testrepo' and d['packages'][0]['description']=='upgrade test zs-up'" "pkg info agrees with pacman -Qi/-Si ($qi -> $si)"
TIMEOUT=60 expect_exit 1 "pkg info of an unknown package" "${Z[@]}" pkg info zs-nosuch -m pacman

# The upgrade: pacman's own simulation, the ignored package left out and skipped, then the real run.
TIMEOUT=60 expect_exit 0 "dry run" --json "${Z[@]}" pkg upgrade --all -m pacman --dry-run
expect_json "[(p['name'],p['version']) for p in d['transaction']['upgrade']]==[('zs-up','2.0-1')] and '--sysupgrade' in d['argv'] and '--refresh' not in d['argv']" "pacman -Su --print: zs-up only"
TIMEOUT=60 expect_exit 2 "no terminal without --yes" "${Z[@]}" pkg upgrade --all -m pacman </dev/null
TIMEOUT=60 expect_exit 0 "a named ignored package" "${Z[@]}" pkg upgrade --yes pacman:zs-ign
expect_contains "$ERR" "skipping zs-ign (ignored)" "skipped"
[ "$(ver zs-ign)" = "1.0-1" ] && ok || fail "the ignored package was upgraded: $(ver zs-ign)"
TIMEOUT=120 expect_exit 0 "upgrade --all --yes" "${Z[@]}" pkg upgrade --all -m pacman --yes
expect_contains "$ERR" "upgraded 1 package with pacman" "the result"
[ "$(ver zs-up)" = "2.0-1" ] && ok || fail "zs-up not upgraded: $(ver zs-up)"
[ "$(ver zs-ign)" = "1.0-1" ] && ok || fail "the ignored package was upgraded: $(ver zs-ign)"
[ ! -e "$P/var/lib/pacman/db.lck" ] && ok || fail "db.lck left behind"
host_cache_after=$(ls /var/cache/pacman/pkg 2>/dev/null | grep -c '^zs-')
[ "$host_cache_after" = "$host_cache_before" ] && ok || fail "packages were downloaded into the host's pacman cache"
ls "$P/var/cache/pacman/pkg" | grep -q '^zs-up-2.0-1' && ok || fail "the download is not in the root's cache"

finish
