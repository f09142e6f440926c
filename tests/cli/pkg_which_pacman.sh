#!/bin/bash
# `pkg which -m pacman` against the real pacman on a scratch root and dbpath: packages made as makepkg lays them
# out (.PKGINFO + files, bsdtar; makepkg itself refuses to run as root), a repository made by repo-add (which
# writes the .files database too), some installed by pacman. Installed owners equal `pacman -Qo`; without the
# .files databases a note says how to get them; `zsyncctl pkg refresh -m pacman` syncs them (pacman -Sy, then
# -Fy, by the root's pacman.log), then the "could be installed from" providers equal `pacman -F`; a package
# published later is found only after the next refresh.
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

# zsyncctl pkg refresh -m pacman syncs the file databases too: pacman -Sy then pacman -Fy on the root's
# configuration, as the root's pacman.log records them. Without a terminal: nothing on stdout, plain lines on
# stderr (no bar, no escape or carriage return), the end said.
TIMEOUT=60 run_z --root "$P" pkg refresh -m pacman </dev/null
[ "$CODE" -eq 0 ] && ok || fail "pkg refresh -m pacman: exit $CODE ($ERR)"
[ -z "$OUT" ] && ok || fail "pkg refresh wrote to stdout: [$OUT]"
[ "$(printf '%s' "$ERR" | tr -d '\n' | LC_ALL=C tr -d '[:print:]' | wc -c)" -eq 0 ] && ok ||
    fail "pkg refresh on a non-tty wrote control bytes: $(printf '%s' "$ERR" | od -c | head -3)"
[ "$(printf '%s\n' "$ERR" | tail -1)" = "refreshed pacman's package metadata" ] && ok || fail "refresh's last line: [$ERR]"
expect_contains "$ERR" "refresh 100%: done" "refresh: the progress line on a non-tty"
cmp -s "$P/var/lib/pacman/sync/testrepo.files" "$T/prepo/testrepo.files" && ok ||
    fail "pkg refresh: sync/testrepo.files is not the repository's ($(ls "$P/var/lib/pacman/sync"))"
ran=$(grep "\[PACMAN\] Running 'pacman " "$P/var/log/pacman.log" | grep -F -- "--config $P/etc/pacman.conf " |
    grep -o -- '--[a-z]* --refresh' | tr '\n' ' ')
[ "$ran" = "--sync --refresh --files --refresh " ] && ok || fail "the root's pacman.log: pkg refresh ran [$ran], wanted -Sy then -Fy"
TIMEOUT=60 run_z --root "$P" --json pkg refresh -m pacman </dev/null
[ "$CODE" -eq 0 ] && ok || fail "pkg refresh --json: exit $CODE ($ERR)"
printf '%s\n' "$OUT" | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.strip()]
done = [e for e in ev if e.get("event") == "done"]
assert len(done) == 1 and done[0]["success"] and done[0]["manager"] == "pacman" and done[0]["operation"] == "refresh"
assert any(e.get("event") == "progress" for e in ev)
log = open(done[0]["log"]).read()
assert log.count(":: Synchronizing package databases...") == 2, log
# each command named as it starts: the sync, its output, then the files sync
heads = [l for l in log.splitlines() if l.startswith("# pacman ")]
assert len(heads) == 2 and "--sync --refresh" in heads[0] and "--files --refresh" in heads[1], heads
assert log.index(heads[0]) < log.index(":: Synchronizing") < log.index(heads[1]), log' 2>"$T/py.err" && ok ||
    fail "pkg refresh --json events: $(cat "$T/py.err") on [$OUT]"

# The providers of what is not installed equal pacman -F's answer (repo/name per path).
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
# A command that is not installed (a name, not a path): the provider of the file PATH would run.
TIMEOUT=30 run_z --root "$P" --json pkg which zs-extra-helper -m pacman
[ "$CODE" -eq 1 ] && ok || fail "pkg which zs-extra-helper (not installed): exit $CODE"
[ "$(ours providers)" = "$(theirs_f /usr/bin/zs-extra-helper)" ] && ok ||
    fail "pkg which zs-extra-helper: [$(ours providers)] vs pacman -F [$(theirs_f /usr/bin/zs-extra-helper)]"
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

# Published later: unknown until the next pkg refresh (no implicit sync), then found as pacman -F finds it.
mkpkg zs-late 1.0-1 /usr/bin/zs-late
# pacman fetches a database only when it is newer than its copy (whole seconds): the publication is later.
touch -d "@$(($(date +%s) + 5))" "$T/prepo/testrepo.db.tar.gz" "$T/prepo/testrepo.files.tar.gz"
TIMEOUT=30 run_z --root "$P" --json pkg which zs-late -m pacman
expect_json 'd["providers"] == []' "zs-late before the refresh"
TIMEOUT=60 run_z --root "$P" pkg refresh -m pacman </dev/null
[ "$CODE" -eq 0 ] && ok || fail "second pkg refresh: exit $CODE ($ERR)"
TIMEOUT=30 run_z --root "$P" --json pkg which zs-late -m pacman
want=$(theirs_f /usr/bin/zs-late)
[ -n "$want" ] && [ "$(ours providers)" = "$want" ] && ok || fail "zs-late after the refresh: [$(ours providers)] vs pacman -F [$want]"

finish
