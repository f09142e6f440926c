#!/bin/bash
# `pkg which -m pacman` against the real pacman on a scratch root and dbpath: packages made as makepkg lays them
# out (.PKGINFO + files, bsdtar; makepkg itself refuses to run as root), a repository made by repo-add (which
# writes the .files database too), some installed by pacman. Installed owners equal `pacman -Qo`; for what is
# not installed, after `pacman -Fy`, the "could be installed from" providers equal `pacman -F`; without the
# .files databases a note says how to get them.
. "$TESTS_DIR/lib.sh"
for tool in pacman repo-add bsdtar; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages pacman-package-manager, libarchive-tools)"
done

T="$SCRATCH"
mkdir -p "$T/prepo"
mkpkg() { # name version file...
    local b="$T/pbuild/$1-$2" f
    mkdir -p "$b"
    for f in "${@:3}"; do
        mkdir -p "$b$(dirname "$f")"
        echo "$1" >"$b$f"
    done
    printf 'pkgname = %s\npkgbase = %s\npkgver = %s\npkgdesc = which test\nbuilddate = 1700000000\nsize = 3\narch = any\nlicense = MIT\n' \
        "$1" "$1" "$2" >"$b/.PKGINFO"
    (cd "$b" && bsdtar -czf "$T/prepo/$1-$2-any.pkg.tar.gz" .PKGINFO usr)
    repo-add -q "$T/prepo/testrepo.db.tar.gz" "$T/prepo/$1-$2-any.pkg.tar.gz" >/dev/null 2>&1 || fail "repo-add $1"
}
mkpkg zs-app 1.0-1 /usr/bin/zs-app /usr/share/zs-app/data
mkpkg zs-lib 2.1-3 /usr/lib/libzs.so /usr/share/zs-app/extra
mkpkg zs-extra 0.5-1 /usr/bin/zs-extra /usr/bin/zs-extra-helper
mkpkg zs-extra-tools 1.0-1 /usr/bin/zs-extra
[ -f "$T/prepo/testrepo.files" ] && ok || fail "repo-add wrote no testrepo.files: $(ls "$T/prepo")"
P="$T/proot"
mkdir -p "$P/etc" "$P/var/lib/pacman" "$P/var/cache/pacman/pkg" "$P/var/log"
printf '[options]\nArchitecture = auto\nSigLevel = Never\n\n[testrepo]\nServer = file://%s\n' "$T/prepo" >"$P/etc/pacman.conf"
PAC=(pacman --config "$P/etc/pacman.conf" --root "$P" --dbpath "$P/var/lib/pacman" --cachedir "$P/var/cache/pacman/pkg"
    --logfile "$P/var/log/pacman.log" --color never --noconfirm)
"${PAC[@]}" -Sy >"$T/pacman.log" 2>&1 || fail "pacman -Sy: $(tail -3 "$T/pacman.log")"
"${PAC[@]}" -S zs-app zs-lib >>"$T/pacman.log" 2>&1 || fail "pacman -S: $(tail -3 "$T/pacman.log")"

ours() { # KEY of the JSON document: "package path [repository]" lines
    printf '%s' "$OUT" | python3 -c "
import json,sys
for o in json.load(sys.stdin)[sys.argv[1]]: print(o['package'], o['path'], *([o['repository']] if o.get('repository') else []))" "$1" | sort
}
# pacman -Qo HOST-PATH (it looks at the file on disk, so the path under the root): "PATH is owned by NAME
# VERSION" per owner, the root's prefix taken off.
theirs_qo() {
    LC_ALL=C "${PAC[@]}" -Qo "$P$1" 2>/dev/null | sed -n 's/^\(.*\) is owned by \([^ ]*\) .*/\2 \1/p' |
        sed "s| $P/| /|; s|/\$||" | sort
}
for path in /usr/bin/zs-app /usr/lib/libzs.so /usr/share/zs-app/data /usr/share/zs-app; do
    TIMEOUT=30 run_z --root "$P" --json pkg which "$path" -m pacman
    want=$(theirs_qo "$path")
    [ -n "$want" ] && ok || fail "pacman -Qo $path found nothing"
    [ "$CODE" -eq 0 ] && ok || fail "pkg which $path: exit $CODE ($ERR)"
    [ "$(ours owners)" = "$want" ] && ok || fail "pkg which $path: [$(ours owners)] vs pacman -Qo [$want]"
done
TIMEOUT=30 run_z --root "$P" --json pkg which zs-app -m pacman
[ "$(ours owners)" = "$(theirs_qo /usr/bin/zs-app)" ] && ok || fail "pkg which zs-app (a command): [$(ours owners)]"
TIMEOUT=30 run_z --root "$P" pkg which zs-app -m pacman
[ "$OUT" = "$(printf 'pacman (1 package)\n  zs-app: /usr/bin/zs-app')" ] && ok || fail "text owner: [$OUT]"

# Not installed, and no .files database synced yet: exit 1, nothing offered, a note on what to run.
TIMEOUT=30 run_z --root "$P" --json pkg which zs-extra -m pacman
[ "$CODE" -eq 1 ] && ok || fail "not installed, no files db: exit $CODE ($ERR)"
expect_json 'd["owners"] == [] and d["providers"] == [] and "pacman -Fy" in d["managers"][0]["note"]' "no files db: the note"

# pacman -Fy syncs the file databases: the providers equal pacman -F's answer (repo/name per path).
"${PAC[@]}" -Fy >>"$T/pacman.log" 2>&1 || fail "pacman -Fy: $(tail -3 "$T/pacman.log")"
[ -f "$P/var/lib/pacman/sync/testrepo.files" ] && ok || fail "pacman -Fy wrote no sync/testrepo.files"
theirs_f() { # pacman -F PATH: "PATH is owned by REPO/NAME VERSION"
    LC_ALL=C "${PAC[@]}" -F "$1" 2>/dev/null | sed -n 's|^\(.*\) is owned by \([^/ ]*\)/\([^ ]*\) .*|\3 /\1 \2|p' | sort
}
for q in /usr/bin/zs-extra /usr/bin/zs-extra-helper; do
    TIMEOUT=30 run_z --root "$P" --json pkg which "$q" -m pacman
    want=$(theirs_f "$q")
    [ -n "$want" ] && ok || fail "pacman -F $q found nothing"
    [ "$CODE" -eq 1 ] && ok || fail "pkg which $q (not installed): exit $CODE, wanted 1"
    [ "$(ours providers)" = "$want" ] && ok || fail "pkg which $q providers: [$(ours providers)] vs pacman -F [$want]"
    expect_json 'd["owners"] == []' "not installed: no owners"
done
TIMEOUT=30 run_z --root "$P" pkg which zs-extra -m pacman
[ "$OUT" = "$(printf 'pacman: no installed package ships it\n  could be installed from testrepo: zs-extra: /usr/bin/zs-extra\n  could be installed from testrepo: zs-extra-tools: /usr/bin/zs-extra')" ] &&
    ok || fail "text providers: [$OUT]"
TIMEOUT=30 run_z --root "$P" pkg which --json-lines zs-extra -m pacman
[ "$(printf '%s\n' "$OUT" | grep -c '"type":"provider"')" -eq 2 ] && ok || fail "json-lines providers: $OUT"
# An installed owner is the answer: the file databases are not offered then.
TIMEOUT=30 run_z --root "$P" --json pkg which /usr/bin/zs-app -m pacman
expect_json 'd["providers"] == [] and len(d["owners"]) == 1' "installed: no providers"
# Nothing anywhere: exit 1, neither owners nor providers; pacman -F agrees.
TIMEOUT=30 run_z --root "$P" --json pkg which zs-none -m pacman
[ "$CODE" -eq 1 ] && ok || fail "nothing ships zs-none: exit $CODE"
expect_json 'd["providers"] == [] and d["owners"] == []' "nothing ships zs-none"
[ -z "$(theirs_f /usr/bin/zs-none)" ] && ok || fail "pacman -F found zs-none"

finish
