#!/bin/bash
# flatpak for real: `pkg list/outdated/info/which/refresh/upgrade -m flatpak` with the real flatpak, a
# scratch user installation (FLATPAK_USER_DIR; FLATPAK_SYSTEM_DIR points into the scratch dir too, so nothing
# of the host's installation is read or changed) and an ostree repository built here with flatpak
# build-export: a hand-made runtime and two apps whose app-info carries a <release version>, served on
# 127.0.0.1 (static_index_server.py). The list equals `flatpak list` (ref, arch, branch, active commit,
# origin, appdata version); after 2.0 is published and `pkg refresh` ran `flatpak update --appstream`,
# outdated equals `flatpak remote-ls --updates --cached` (exit 100) with the masked app skipped, reads no
# network (the server is stopped meanwhile), and its upgradable part is what flatpak update's own
# transaction shows; upgrade on a pseudo-terminal answered `y` takes the unmasked app only; no terminal and
# no --yes is refused (2); Ctrl-C while flatpak pulls an object exits 130 with the installation consistent
# (`flatpak repair --dry-run` finds nothing, the active commit is the one flatpak list shows); a damaged
# deploy file is one line, the other refs still listed.
. "$TESTS_DIR/lib.sh"
command -v flatpak >/dev/null || skip "flatpak is not installed (Debian package flatpak)"
python3 -c 'import pty' 2>/dev/null || skip "python3 has no pty module"

T="$SCRATCH"
DRIVE="$TESTS_DIR/pty_drive.py"
REPO="$T/repo"
mkdir -p "$T/home" "$T/system" "$T/control" "$T/build"
export HOME="$T/home" FLATPAK_USER_DIR="$T/home/flatpak" FLATPAK_SYSTEM_DIR="$T/system"
FP=(flatpak --user)
Z=(--no-cache)

# The runtime: metadata and files/ only, exported as a runtime.
rt="$T/build/runtime"
mkdir -p "$rt/files" "$rt/usr" # build-export --runtime wants both (usr/ holds what is exported)
printf '[Runtime]\nname=org.zs.Platform\nruntime=org.zs.Platform/x86_64/1\nsdk=org.zs.Platform/x86_64/1\n' >"$rt/metadata"
flatpak build-export --runtime "$REPO" "$rt" 1 >>"$T/fp.log" 2>&1 || { fail "build-export of the runtime: $(tail -3 "$T/fp.log")"; finish; }
# mkapp ID VERSION: an app with files/bin/hello, a metainfo file and the app-info flatpak reads the
# deployment's appdata-version from, finished and exported to branch stable.
mkapp() {
    local d="$T/build/$1-$2"
    mkdir -p "$d/files/bin" "$d/files/share/metainfo" "$d/files/share/app-info/xmls"
    printf '[Application]\nname=%s\nruntime=org.zs.Platform/x86_64/1\nsdk=org.zs.Platform/x86_64/1\ncommand=hello\n' "$1" >"$d/metadata"
    printf '#!/bin/sh\necho %s %s\n' "$1" "$2" >"$d/files/bin/hello"
    chmod +x "$d/files/bin/hello"
    local component="<component type=\"desktop-application\"><id>$1</id><name>$1</name><summary>zsyncctl test app</summary><releases><release version=\"$2\" date=\"2026-01-01\"/></releases></component>"
    printf '<?xml version="1.0" encoding="UTF-8"?>\n%s\n' "$component" >"$d/files/share/metainfo/$1.metainfo.xml"
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<components version="0.8" origin="flatpak">%s</components>\n' "$component" | gzip >"$d/files/share/app-info/xmls/$1.xml.gz"
    { flatpak build-finish "$d" && flatpak build-export "$REPO" "$d" stable; } >>"$T/fp.log" 2>&1 || fail "build-export $1 $2: $(tail -3 "$T/fp.log")"
}
mkapp org.zs.Hello 1.0
mkapp org.zs.World 1.0

mkfifo "$T/srv.in"
python3 "$TESTS_DIR/static_index_server.py" "$REPO" "$T/control" <"$T/srv.in" >"$T/srv.port" &
SRV=$!
exec 9>"$T/srv.in"
for _ in $(seq 50); do [ -s "$T/srv.port" ] && break; sleep 0.1; done
PORT=$(cat "$T/srv.port")
[ -n "$PORT" ] || { kill "$SRV"; fail "repository server did not start"; finish; }
"${FP[@]}" remote-add --no-gpg-verify zs "http://127.0.0.1:$PORT/" >>"$T/fp.log" 2>&1 || fail "remote-add"
"${FP[@]}" install --noninteractive zs org.zs.Hello org.zs.World >>"$T/fp.log" 2>&1 || { fail "flatpak install: $(tail -3 "$T/fp.log")"; finish; }

# The list against flatpak list: ref id, arch, branch, active commit, origin, version.
# flatpak list leaves out a last column that is empty (a runtime's version): compared without trailing tabs.
flist() { "${FP[@]}" list --columns=application,arch,branch,active,origin,version | sed 's/\t*$//' | sort; }
zlist() {
    printf '%s' "$OUT" | python3 -c "
import json,sys
for p in json.load(sys.stdin)['packages']:
    print('\t'.join([p['name'], p['architecture'], p['branch'], p['commit'][:12], p['origin'], p['version']]))" | sed 's/\t*$//' | sort
}
expect_exit 0 "pkg list -m flatpak" --json "${Z[@]}" pkg list -m flatpak
[ "$(zlist)" = "$(flist)" ] && ok || fail "pkg list differs from flatpak list: got [$(zlist)] want [$(flist)]"
expect_json "sorted((p['name'],p['state']) for p in d['packages'])==[('org.zs.Hello','app user'),('org.zs.Platform','runtime user'),('org.zs.World','app user')]" "kinds and installation"
expect_exit 0 "pkg list (text)" "${Z[@]}" pkg list -m flatpak
expect_contains "$OUT" "org.zs.Hello:x86_64" "the text list names the app"
expect_exit 0 "pkg which" --json "${Z[@]}" pkg which org.zs.Hello -m flatpak
expect_json "[o['package'] for o in d['owners']]==['org.zs.Hello']" "pkg which: the exported command's app"

# 2.0 of both apps; World masked. Never an implicit refresh: the cached summary is the install's.
mkapp org.zs.Hello 2.0
mkapp org.zs.World 2.0
"${FP[@]}" mask org.zs.World >>"$T/fp.log" 2>&1 || fail "flatpak mask"
TIMEOUT=30 expect_exit 0 "outdated before a refresh" --json "${Z[@]}" pkg outdated -m flatpak
expect_json "d['outdated']==[]" "outdated read the cached summary, not the repository"
expect_exit 0 "list shows the mask" --json "${Z[@]}" pkg list -m flatpak
expect_json "[p['name'] for p in d['packages'] if p['held']]==['org.zs.World']" "masked ref held"
TIMEOUT=30 expect_exit 0 "pkg refresh -m flatpak" "${Z[@]}" pkg refresh -m flatpak </dev/null
[ -n "$(ls "$FLATPAK_USER_DIR/repo/tmp/cache/summaries/" 2>/dev/null)" ] && ok || fail "the refresh left no cached summary"

# The differential, with the server stopped: a network access would hang until TIMEOUT.
kill -STOP "$SRV"
TIMEOUT=20 expect_exit 100 "outdated after the refresh (server stopped)" --json "${Z[@]}" pkg outdated -m flatpak
want=$("${FP[@]}" remote-ls --updates --cached --columns=application,arch,commit zs | sort)
kill -CONT "$SRV"
got=$(printf '%s' "$OUT" | python3 -c "
import json,sys
for p in json.load(sys.stdin)['outdated']:
    print('\t'.join([p['name'], p['architecture'], p['candidate'].split('(')[-1].rstrip(')')]))" | sort)
[ -n "$want" ] && [ "$got" = "$want" ] && ok || fail "pkg outdated differs from remote-ls --updates --cached: got [$got] want [$want]"
expect_json "sorted((p['name'],p['skip_reason']) for p in d['outdated'])==[('org.zs.Hello',None),('org.zs.World','masked')]" "World skipped as masked"
expect_json "all(p['installed_version'].startswith('1.0 (') for p in d['outdated'])" "installed: appdata version and commit"
# flatpak update's own transaction (asked with no answer) takes exactly the upgradable ones.
sim=$("${FP[@]}" update </dev/null 2>/dev/null | awk -F'\t' '$1 ~ /^ *[0-9]+\.$/ {print $3}' | sort)
upg=$(printf '%s' "$OUT" | python3 -c "
import json,sys
for p in json.load(sys.stdin)['outdated']:
    if not p['skipped']: print(p['name'])")
[ "$sim" = "$upg" ] && ok || fail "flatpak update would take [$sim], pkg outdated says [$upg]"

expect_exit 0 "pkg info" --json "${Z[@]}" pkg info org.zs.Hello -m flatpak
hello_active=$("${FP[@]}" info --show-commit org.zs.Hello)
# flatpak info's "Installed: 2.6 kB" (g_format_size: SI kilobytes, one decimal).
installed_kb=$("${FP[@]}" info org.zs.Hello | awk '$1=="Installed:" {print $2}' | grep -oE '^[0-9.]+')
expect_json "len(d['packages'])==1 and d['packages'][0]['installed_version']=='1.0 (${hello_active:0:12})' and d['packages'][0]['candidate'].split('(')[-1].rstrip(')')=='$(echo "$want" | awk '$1=="org.zs.Hello" {print $3}')' and'%.1f' % (d['packages'][0]['installed_size']/1000.0)=='$installed_kb' and d['packages'][0]['repository'].startswith('zs (user') and d['packages'][0]['description']=='zsyncctl test app'" "pkg info: installed, candidate, origin"
expect_exit 1 "pkg info of an unknown app" "${Z[@]}" pkg info org.zs.Nosuch -m flatpak

# No terminal, no --yes: refused; the masked app by name is skipped.
TIMEOUT=30 expect_exit 2 "no terminal without --yes" "${Z[@]}" pkg upgrade --all -m flatpak </dev/null
expect_contains "$ERR" "without confirmation" "the refusal"
TIMEOUT=30 expect_exit 0 "the masked app by name" "${Z[@]}" pkg upgrade --yes flatpak:org.zs.World </dev/null
expect_contains "$ERR" "skipping org.zs.World (masked)" "named masked app skipped"
[ "$("${FP[@]}" info --show-commit org.zs.Hello)" = "$hello_active" ] && ok || fail "a refused upgrade changed org.zs.Hello"

# On a terminal: the transaction, the question; `y` upgrades Hello, World (masked) stays at 1.0.
world_active=$("${FP[@]}" info --show-commit org.zs.World)
PTY_DEADLINE=60 python3 "$DRIVE" "$T/yes.tty" --expect "[Y/n]" --send 'y\r' -- "$ZSYNCCTL" "${Z[@]}" pkg upgrade --all -m flatpak
code=$?
t=$(tr -d '\r' <"$T/yes.tty")
[ "$code" -eq 0 ] && ok || fail "confirmed upgrade exited $code: $t"
expect_contains "$t" "org.zs.Hello" "the question shows the transaction"
expect_contains "$t" "skipping org.zs.World (masked)" "the masked app is shown as skipped"
ver() { "${FP[@]}" list --columns=application,version | awk -v a="$1" '$1==a {print $2}'; }
[ "$(ver org.zs.Hello)" = 2.0 ] && ok || fail "org.zs.Hello not upgraded: $(ver org.zs.Hello)"
[ "$(ver org.zs.World)" = 1.0 ] && [ "$("${FP[@]}" info --show-commit org.zs.World)" = "$world_active" ] && ok || fail "the masked app changed"

# Ctrl-C while flatpak pulls Hello 3.0's first file object: 130, and the installation is consistent.
mkapp org.zs.Hello 3.0
head -c 2000000 /dev/urandom >"$T/build/org.zs.Hello-3.0/files/bin/blob"
{ flatpak build-export "$REPO" "$T/build/org.zs.Hello-3.0" stable; } >>"$T/fp.log" 2>&1 || fail "export 3.0"
TIMEOUT=30 expect_exit 0 "refresh for 3.0" "${Z[@]}" pkg refresh -m flatpak </dev/null
before=$("${FP[@]}" info --show-commit org.zs.Hello)
echo 1 >"$T/control/slow"
PTY_DEADLINE=60 python3 "$DRIVE" "$T/intr.tty" --wait-file "$T/control/hit" --send '\x03' --expect "exit=" -- \
    /bin/sh -c 'trap : INT; "$0" --no-cache pkg upgrade --yes flatpak:org.zs.Hello; echo "exit=$?"' "$ZSYNCCTL"
echo 0 >"$T/control/slow"
t=$(tr -d '\r' <"$T/intr.tty")
expect_contains "$t" "exit=130" "Ctrl-C mid-upgrade exits 130"
now=$("${FP[@]}" info --show-commit org.zs.Hello)
link=$(basename "$(readlink "$FLATPAK_USER_DIR/app/org.zs.Hello/x86_64/stable/active")")
[ "$now" = "$link" ] && ok || fail "flatpak info says $now, the active link $link"
case "$now" in "$before") ok ;; *) [ "$(ver org.zs.Hello)" = 3.0 ] && ok || fail "org.zs.Hello at $now, neither 2.0 nor a whole 3.0" ;; esac
"${FP[@]}" repair --dry-run >"$T/repair.log" 2>&1 && ! grep -qiE 'problem|missing|invalid|error' "$T/repair.log" && ok || fail "flatpak repair --dry-run after Ctrl-C: $(cat "$T/repair.log")"
expect_exit 0 "list after Ctrl-C" --json "${Z[@]}" pkg list -m flatpak
[ "$(zlist)" = "$(flist)" ] && ok || fail "pkg list after Ctrl-C differs from flatpak list: got [$(zlist)] want [$(flist)]"
TIMEOUT=60 expect_exit 0 "upgrade after the interruption" "${Z[@]}" pkg upgrade --yes flatpak:org.zs.Hello </dev/null
[ "$(ver org.zs.Hello)" = 3.0 ] && ok || fail "org.zs.Hello after the second run: $(ver org.zs.Hello)"

# A damaged deploy file (in a copy of the installation): one line naming the ref, the rest still listed.
cp -a "$FLATPAK_USER_DIR" "$T/damaged"
printf 'xx' >"$T/damaged/app/org.zs.World/x86_64/stable/active/deploy"
FLATPAK_USER_DIR="$T/damaged" expect_exit 0 "list with a damaged deploy file" --json "${Z[@]}" pkg list -m flatpak
expect_json "sorted(p['name'] for p in d['packages'])==['org.zs.Hello','org.zs.Platform'] and 'org.zs.World' in d['managers'][0]['note']" "the other refs are listed, the damaged one in the note"
FLATPAK_USER_DIR="$T/damaged" expect_exit 0 "list with a damaged deploy file (text)" "${Z[@]}" pkg list -m flatpak
expect_contains "$ERR" "app/org.zs.World/x86_64/stable (user): unreadable deployment" "the damaged ref named"
[ "$(printf '%s\n' "$ERR" | grep -c 'org.zs.World')" = 1 ] && ok || fail "not one line: $ERR"

exec 9>&-
finish
