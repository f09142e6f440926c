#!/bin/bash
# flatpak upgrade names the installation of the row it upgrades: the same app (org.zs.Hello 1.0) installed in
# a scratch user installation (FLATPAK_USER_DIR) and a scratch system one (FLATPAK_SYSTEM_DIR), from an
# ostree repository built here (file:// remote), 2.0 published. `pkg outdated` shows one row per
# installation; with the system's ref masked (`flatpak --system mask`), `pkg upgrade flatpak:org.zs.Hello`
# runs `flatpak update --user` only: the user's ref is at 2.0, the system's keeps its active commit (real
# `flatpak info --show-commit`). Unmasked, both rows are upgraded, each by a run with its own option.
. "$TESTS_DIR/lib.sh"
command -v flatpak >/dev/null || skip "flatpak is not installed (Debian package flatpak)"

T="$SCRATCH"
REPO="$T/repo"
mkdir -p "$T/home" "$T/system" "$T/build"
export HOME="$T/home" FLATPAK_USER_DIR="$T/home/flatpak" FLATPAK_SYSTEM_DIR="$T/system"
Z=(--no-cache)

rt="$T/build/runtime"
mkdir -p "$rt/files" "$rt/usr"
printf '[Runtime]\nname=org.zs.Platform\nruntime=org.zs.Platform/x86_64/1\nsdk=org.zs.Platform/x86_64/1\n' >"$rt/metadata"
flatpak build-export --runtime "$REPO" "$rt" 1 >>"$T/fp.log" 2>&1 || { fail "build-export of the runtime: $(tail -3 "$T/fp.log")"; finish; }
mkapp() { # ID VERSION
    local d="$T/build/$1-$2"
    mkdir -p "$d/files/bin" "$d/files/share/app-info/xmls"
    printf '[Application]\nname=%s\nruntime=org.zs.Platform/x86_64/1\nsdk=org.zs.Platform/x86_64/1\ncommand=hello\n' "$1" >"$d/metadata"
    printf '#!/bin/sh\necho %s %s\n' "$1" "$2" >"$d/files/bin/hello"
    chmod +x "$d/files/bin/hello"
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<components version="0.8" origin="flatpak"><component type="desktop-application"><id>%s</id><name>%s</name><summary>test</summary><releases><release version="%s" date="2026-01-01"/></releases></component></components>\n' "$1" "$1" "$2" | gzip >"$d/files/share/app-info/xmls/$1.xml.gz"
    { flatpak build-finish "$d" && flatpak build-export "$REPO" "$d" stable; } >>"$T/fp.log" 2>&1 || fail "build-export $1 $2: $(tail -3 "$T/fp.log")"
}
mkapp org.zs.Hello 1.0
for inst in --user --system; do
    flatpak "$inst" remote-add --no-gpg-verify zs "file://$REPO" >>"$T/fp.log" 2>&1 || fail "remote-add $inst"
    flatpak "$inst" install --noninteractive zs org.zs.Hello >>"$T/fp.log" 2>&1 || { fail "flatpak $inst install: $(tail -3 "$T/fp.log")"; finish; }
done
mkapp org.zs.Hello 2.0
commit() { flatpak "$1" info --show-commit org.zs.Hello; }
ver() { flatpak "$1" list --app --columns=application,version | awk '$1=="org.zs.Hello" {print $2}'; }
[ "$(ver --user)" = 1.0 ] && [ "$(ver --system)" = 1.0 ] && ok || fail "not both at 1.0: $(ver --user) $(ver --system)"

TIMEOUT=30 expect_exit 100 "outdated in both installations" --json "${Z[@]}" pkg outdated -m flatpak
expect_json "sorted((p['name'],p['installation'],p['skip_reason']) for p in d['outdated'])==[('org.zs.Hello','system',None),('org.zs.Hello','user',None)]" "one row per installation"

# The system's ref masked: only the user's row is upgradable, and only the user installation is touched.
flatpak --system mask org.zs.Hello >>"$T/fp.log" 2>&1 || fail "flatpak --system mask"
TIMEOUT=30 expect_exit 0 "dry run" --json "${Z[@]}" pkg upgrade --dry-run flatpak:org.zs.Hello
expect_json "'--user' in d['argv'] and '--system' not in d['argv']" "the plan names the user installation"
system_before=$(commit --system)
TIMEOUT=60 expect_exit 0 "upgrade the user's row" "${Z[@]}" pkg upgrade --yes flatpak:org.zs.Hello </dev/null
expect_contains "$ERR" "skipping org.zs.Hello (masked)" "the system's row is shown as skipped"
[ "$(ver --user)" = 2.0 ] && ok || fail "the user's ref was not upgraded: $(ver --user)"
[ "$(ver --system)" = 1.0 ] && [ "$(commit --system)" = "$system_before" ] && ok ||
    fail "the system's masked ref was changed: $(ver --system) $(commit --system), was $system_before"

# Unmasked: the system's row alone is outdated now, and its run names the system installation.
flatpak --system mask --remove org.zs.Hello >>"$T/fp.log" 2>&1 || fail "flatpak mask --remove"
user_before=$(commit --user)
TIMEOUT=30 expect_exit 0 "dry run, system" --json "${Z[@]}" pkg upgrade --dry-run --all -m flatpak
expect_json "'--system' in d['argv'] and '--user' not in d['argv']" "the plan names the system installation"
TIMEOUT=60 expect_exit 0 "upgrade the system's row" "${Z[@]}" pkg upgrade --yes --all -m flatpak </dev/null
[ "$(ver --system)" = 2.0 ] && [ "$(commit --user)" = "$user_before" ] && ok ||
    fail "system $(ver --system), user commit $(commit --user) (was $user_before)"

# 3.0 outdated in both: two runs, one per installation, both upgraded.
mkapp org.zs.Hello 3.0
TIMEOUT=60 expect_exit 0 "upgrade both rows" "${Z[@]}" pkg upgrade --yes flatpak:org.zs.Hello </dev/null
[ "$(ver --user)" = 3.0 ] && [ "$(ver --system)" = 3.0 ] && ok || fail "both: user $(ver --user), system $(ver --system)"

# The same with --json: one NDJSON stream, each event naming the installation its run works on.
mkapp org.zs.Hello 4.0
TIMEOUT=60 expect_exit 0 "upgrade both rows, --json" --json "${Z[@]}" pkg upgrade --yes flatpak:org.zs.Hello </dev/null
printf '%s\n' "$OUT" | python3 -c '
import json, sys
events = [json.loads(l) for l in sys.stdin if l.strip()]
assert all(e["manager"] == "flatpak" and e["installation"] in ("user", "system") for e in events), events
done = sorted((e["installation"], e["success"], e["result"]) for e in events if e["event"] == "done")
assert done == [("system", True, "upgraded"), ("user", True, "upgraded")], done' && ok ||
    fail "--json with two installations: $OUT"
[ "$(ver --user)" = 4.0 ] && [ "$(ver --system)" = 4.0 ] && ok || fail "--json: user $(ver --user), system $(ver --system)"
finish
