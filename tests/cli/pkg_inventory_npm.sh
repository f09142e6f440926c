#!/bin/bash
# `pkg list -m npm` and `pkg outdated -m npm` against the real npm and a tiny npm registry on 127.0.0.1
# (packuments /<name> and tarballs made by `npm pack`), with a scratch global prefix (NPM_CONFIG_PREFIX),
# HOME and cache: two packages (one scoped) installed at 1.0.0 by npm itself, the list equals
# `npm ls -g --json --depth=0`; after 1.1.0 is published, outdated equals `npm outdated -g --json`
# (both versions, exit 100); the registry gone is a one-line per-manager error (exit 3).
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/npm_scratch.sh"

json_lines() { # KEY PYTHON-FORMAT over d[KEY] of $OUT
    printf '%s' "$OUT" | python3 -c "
import json,sys
d=json.load(sys.stdin)
for x in d[sys.argv[1]]: print($2)" "$1" | sort
}

# Nothing installed yet: an empty prefix is an empty list, and nothing outdated.
TIMEOUT=60 run_z --json pkg list -m npm
[ "$CODE" = 0 ] && ok || fail "pkg list on an empty prefix: exit $CODE ($ERR)"
expect_json 'd["managers"][0]["status"] == "ok" and d["packages"] == []' "empty prefix: ok, nothing listed"

publish zs-alpha 1.0.0
publish @zs/beta 1.0.0
npm install -g zs-alpha @zs/beta >>"$T/npm.log" 2>&1 || fail "npm install -g: $(tail -5 "$T/npm.log")"
[ -f "$T/prefix/lib/node_modules/@zs/beta/package.json" ] && ok || fail "npm did not install into the scratch prefix"

TIMEOUT=60 run_z --json pkg list -m npm
[ "$CODE" = 0 ] && ok || fail "pkg list -m npm: exit $CODE ($ERR)"
same "pkg list vs npm ls -g --json --depth=0" "$(json_lines packages 'x["name"]+" "+x["version"]')" \
    "$(npm ls -g --json --depth=0 2>>"$T/npm.log" | python3 -c '
import json,sys
for n, v in json.load(sys.stdin).get("dependencies", {}).items(): print(n, v["version"])' | sort)"
expect_json 'sorted(p["name"] for p in d["packages"]) == ["@zs/beta", "zs-alpha"]' "both packages listed, the scoped one by its full name"
# pkg paths and pkg list agree on the prefix (NPM_CONFIG_PREFIX).
run_z pkg paths npm
expect_contains "$OUT" "$T/prefix" "pkg paths npm shows the scratch prefix"

TIMEOUT=120 expect_exit 0 "nothing outdated at 1.0.0" pkg outdated -m npm

publish zs-alpha 1.1.0
publish @zs/beta 1.1.0
TIMEOUT=120 run_z --json pkg outdated -m npm
[ "$CODE" = 100 ] && ok || fail "some outdated: exit $CODE, wanted 100 ($ERR)"
want=$(npm outdated -g --json 2>>"$T/npm.log" | python3 -c '
import json,sys
for n, v in json.load(sys.stdin).items(): print(n, v["current"], "->", v["latest"])' | sort)
same "pkg outdated vs npm outdated -g --json" "$(json_lines outdated 'x["name"]+" "+x["installed_version"]+" -> "+x["candidate"]')" "$want"
expect_contains "$want" "zs-alpha 1.0.0 -> 1.1.0" "npm itself sees 1.1.0 (the differential is not vacuous)"
TIMEOUT=120 run_z pkg outdated -m npm
expect_contains "$OUT" "1.1.0" "text shows the candidate"

# The registry gone (and an empty cache: npm falls back to stale cached packuments otherwise): npm's
# failure is a one-line per-manager error, exit 3, nothing listed as outdated.
npm_registry_stop
NPM_CONFIG_CACHE="$T/emptycache" TIMEOUT=120 run_z pkg outdated -m npm
[ "$CODE" = 3 ] && ok || fail "registry down: exit $CODE, wanted 3 ($ERR)"
[ "$(printf '%s\n' "$ERR" | grep -c .)" -le 2 ] && ok || fail "registry down: error not short: $ERR"
finish
