#!/bin/bash
# `pkg list -m pacman` and `pkg outdated -m pacman` against the real pacman on a scratch root and dbpath:
# a local repository made by repo-add, packages installed by pacman (explicit, as a dependency, one in
# IgnorePkg, one in an IgnoreGroup), then newer versions published and synced: the list equals pacman -Q
# (reasons: -Qe/-Qd), outdated equals pacman -Qu, ignored ones marked skipped as -Qu marks them.
. "$TESTS_DIR/lib.sh"
for tool in pacman repo-add bsdtar vercmp; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages pacman-package-manager, libarchive-tools)"
done

T="$SCRATCH"
mkdir -p "$T/prepo"
mkpkg() { # name version [.PKGINFO lines]
    local b="$T/pbuild/$1-$2" extra
    mkdir -p "$b/usr/share/$1"
    echo "$2" >"$b/usr/share/$1/version"
    printf 'pkgname = %s\npkgbase = %s\npkgver = %s\npkgdesc = inventory test\nbuilddate = 1700000000\nsize = 3\narch = any\nlicense = MIT\n' \
        "$1" "$1" "$2" >"$b/.PKGINFO"
    for extra in "${@:3}"; do echo "$extra" >>"$b/.PKGINFO"; done
    (cd "$b" && bsdtar -czf "$T/prepo/$1-$2-any.pkg.tar.gz" .PKGINFO usr)
    repo-add -q "$T/prepo/testrepo.db.tar.gz" "$T/prepo/$1-$2-any.pkg.tar.gz" >/dev/null 2>&1 || fail "repo-add $1"
}
mkpkg zs-app 1.0-1 "depend = zs-dep"
mkpkg zs-dep 1.0-1
mkpkg zs-ign 1.0-1
mkpkg zs-grp 1.0-1 "group = zs-g"
mkpkg zs-same 2.0-1
P="$T/proot"
mkdir -p "$P/etc" "$P/var/lib/pacman"
printf '[options]\nArchitecture = auto\nSigLevel = Never\nIgnorePkg = zs-ign\nIgnoreGroup = zs-g\n\n[testrepo]\nServer = file://%s\n' \
    "$T/prepo" >"$P/etc/pacman.conf"
# Everything pacman writes stays in the scratch root: its default CacheDir is the host's even with --root.
mkdir -p "$P/var/cache/pacman/pkg" "$P/var/log"
PAC=(pacman --config "$P/etc/pacman.conf" --root "$P" --dbpath "$P/var/lib/pacman" --cachedir "$P/var/cache/pacman/pkg"
    --logfile "$P/var/log/pacman.log" --color never --noconfirm)
# Before pacman ever ran there is no local database: nothing installed (pacman -Q lists nothing), not an error.
for what in list outdated; do
    run_z --root "$P" --json pkg "$what" -m pacman
    [ "$CODE" = 0 ] && ok || fail "pkg $what without a local db: exit $CODE ($ERR)"
    expect_json 'd["managers"][0]["status"] == "ok" and d["managers"][0]["count"] == 0 and "nothing is installed" in d["managers"][0]["note"]' "pkg $what without a local db: ok, 0"
done
"${PAC[@]}" -Sy >"$T/pacman.log" 2>&1 || fail "pacman -Sy: $(tail -3 "$T/pacman.log")"
"${PAC[@]}" -S zs-app zs-ign zs-grp zs-same >>"$T/pacman.log" 2>&1 || fail "pacman -S: $(tail -3 "$T/pacman.log")"

json_lines() { # PYTHON-FORMAT over d["packages"] or d["outdated"]
    printf '%s' "$OUT" | python3 -c "
import json,sys
d=json.load(sys.stdin)
for x in d[sys.argv[1]]: print($2)" "$1" | sort
}

TIMEOUT=60 run_z --root "$P" --json pkg list -m pacman
[ "$CODE" -eq 0 ] && ok || fail "pkg list -m pacman: exit $CODE ($ERR)"
same "pkg list vs pacman -Q" "$(json_lines packages 'x["name"]+" "+x["version"]')" "$("${PAC[@]}" -Q | sort)"
same "dependencies vs pacman -Qd" "$(json_lines packages 'x["name"]+" "+x["version"] if x["reason"]=="dependency" else ""' | sed '/^$/d')" \
    "$("${PAC[@]}" -Qd | sort)"
same "explicit vs pacman -Qe" "$(json_lines packages 'x["name"]+" "+x["version"] if x["reason"]=="explicit" else ""' | sed '/^$/d')" \
    "$("${PAC[@]}" -Qe | sort)"
expect_json 'sorted(p["name"] for p in d["packages"] if p["held"]) == ["zs-grp", "zs-ign"]' "IgnorePkg and IgnoreGroup shown as held"

TIMEOUT=60 expect_exit 0 "nothing outdated yet" --root "$P" pkg outdated -m pacman

# Newer versions: an epoch that wins over a higher version, a pkgrel bump, ignored ones.
mkpkg zs-app 1:0.5-1 "depend = zs-dep"
mkpkg zs-dep 1.0-2
mkpkg zs-ign 1.1-1
mkpkg zs-grp 1.0.1-1 "group = zs-g"
"${PAC[@]}" -Sy >>"$T/pacman.log" 2>&1 || fail "pacman -Sy after publishing"
TIMEOUT=60 run_z --root "$P" --json pkg outdated -m pacman
[ "$CODE" -eq 100 ] && ok || fail "some outdated: exit $CODE, wanted 100 ($ERR)"
same "pkg outdated vs pacman -Qu" \
    "$(json_lines outdated 'x["name"]+" "+x["installed_version"]+" -> "+x["candidate"]+(" [ignored]" if x["skip_reason"]=="ignored" else "")')" \
    "$("${PAC[@]}" -Qu | sort)"
TIMEOUT=60 run_z --root "$P" pkg outdated -m pacman
expect_contains "$OUT" "ignored, would be skipped" "text marks ignored packages as skipped"

# Version order against the real vercmp on tricky pairs (epochs, pkgrel, alpha, separators).
for pair in "1.0a 1.0" "1.0.a 1.0.1" "1:1.0 2.0" "1.0..0 1.0.0" "1.0_0 1.0.0" "2.0-1 2.0" "1.0rc1 1.0" "1.2.3-1 1.2.3-10"; do
    set -- $pair
    rm -rf "$T/vroot" && mkdir -p "$T/vroot/var/lib/pacman/local/zs-v-$1" "$T/vroot/var/lib/pacman/sync" "$T/vroot/etc"
    printf '[options]\n[testrepo]\n' >"$T/vroot/etc/pacman.conf"
    printf '%%NAME%%\nzs-v\n\n%%VERSION%%\n%s\n\n' "$1" >"$T/vroot/var/lib/pacman/local/zs-v-$1/desc"
    mkdir -p "$T/vdb/zs-v-$2"
    printf '%%NAME%%\nzs-v\n\n%%VERSION%%\n%s\n\n' "$2" >"$T/vdb/zs-v-$2/desc"
    (cd "$T/vdb" && bsdtar -czf "$T/vroot/var/lib/pacman/sync/testrepo.db" "zs-v-$2")
    rm -rf "$T/vdb"
    TIMEOUT=30 run_z --root "$T/vroot" --json pkg outdated -m pacman
    got=$(printf '%s' "$OUT" | python3 -c "import json,sys; print(len(json.load(sys.stdin)['outdated']))")
    [ "$(vercmp "$2" "$1")" -gt 0 ] && want=1 || want=0
    [ "$got" = "$want" ] && ok || fail "installed $1, sync $2: outdated=$got, vercmp says $want"
done


# A pacman.conf with no repository (as Debian's pacman package ships it): pacman -Sy and -Qu refuse with
# "no usable package repositories configured", so no refresh can help: outdated is ok with 0 and a note
# saying so (as for dnf with no enabled repository), not an error asking for a refresh; search says
# "no repositories". Packages are still installed (the root from above), the sync databases gone.
rm -rf "$P/var/lib/pacman/sync"
cp "$P/etc/pacman.conf" "$T/pacman.conf.repos"
printf '[options]\nArchitecture = auto\nSigLevel = Never\n' >"$P/etc/pacman.conf"
for op in -Sy -Qu; do
    said=$("${PAC[@]}" "$op" 2>&1)
    expect_contains "$said" "no usable package repositories configured" "pacman $op without repositories"
done
[ -z "$(ls -A "$P/var/lib/pacman/sync" 2>/dev/null)" ] && ok || fail "pacman -Sy without repositories wrote a sync db"
TIMEOUT=60 run_z --root "$P" --json pkg outdated -m pacman
[ "$CODE" = 0 ] && ok || fail "outdated without repositories: exit $CODE, wanted 0 ($ERR)"
expect_json 'd["managers"][0]["status"] == "ok" and d["outdated"] == [] and "no usable package repositories" in d["managers"][0]["note"]' \
    "outdated without repositories: ok, 0, a note"
TIMEOUT=60 run_z --root "$P" --json pkg search zs-app -m pacman
expect_json 'd["managers"][0]["status"] == "no_repositories"' "search without repositories: no_repositories"
# An Include in [options] may add repositories: then a missing sync db is still a missing refresh.
printf '[options]\nInclude = /etc/pacman.d/more.conf\n' >"$P/etc/pacman.conf"
TIMEOUT=60 run_z --root "$P" --json pkg outdated -m pacman
[ "$CODE" = 3 ] && ok || fail "outdated with an unread Include: exit $CODE, wanted 3"
expect_json '"refresh" in d["managers"][0]["hint"]' "outdated with an unread Include: the refresh hint"
# Repositories configured but never synced: the refresh hint, as before.
cp "$T/pacman.conf.repos" "$P/etc/pacman.conf"
TIMEOUT=60 run_z --root "$P" --json pkg outdated -m pacman
[ "$CODE" = 3 ] && ok || fail "outdated with an unsynced repository: exit $CODE, wanted 3"
expect_json 'd["managers"][0]["status"] == "error" and "refresh -m pacman" in d["managers"][0]["hint"]' \
    "outdated with an unsynced repository: error with the refresh hint"

finish
