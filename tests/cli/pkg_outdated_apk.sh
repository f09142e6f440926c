#!/usr/bin/env bash
# `pkg outdated -m apk` (and info's candidate) natively under --root: apk cannot run here, so the root holds
# the recorded Alpine 3.14 lib/apk/db/installed (tests/fixtures/inventory/apk) and APKINDEX.<hash>.tar.gz
# caches built here in the real format: abuild-sign's signature segment (a gzip'd tar of one .SIGN.RSA.* entry
# with its end-of-archive blocks cut) followed by the gzip'd tar of DESCRIPTION and APKINDEX, whose records
# carry the letters of apk-package(5). Expected candidates follow apk's version rules (apk-package(5); the
# unit test checks the order against apk-tools' own test/version.data lines): -r10 after -r3, a _pre release
# before its release, an _rc of a higher version after a lower release, the newest over two indexes. A world
# pin (name@tag) or version constraint is shown skipped, as apk upgrade keeps it.
. "$(dirname "$0")/lib.sh"
FIX="$SOURCE_ROOT/tests/fixtures/inventory/apk"
R="$SCRATCH/alpine"
mkdir -p "$R/lib/apk/db" "$R/etc/apk/cache" "$R/var/cache/apk"
cp "$FIX/installed" "$R/lib/apk/db/installed"
{ cat "$FIX/world"; printf 'scanelf@edge\nmusl-utils=1.2.2-r3\n'; } >"$R/etc/apk/world"

# apkindex FILE "NAME VERSION" ...: a signed-format APKINDEX.tar.gz with one record per package.
apkindex() { python3 "$SOURCE_ROOT/tests/cli/make_apkindex.py" "$@"; }
apkindex "$R/var/cache/apk/APKINDEX.a1b2c3d4.tar.gz" "musl 1.2.2-r4" "musl-utils 1.2.2-r4" "busybox 1.33.1-r6" \
    "ssl_client 1.33.1-r10" "libc-utils 0.7.2-r3" "apk-tools 2.12.6_pre1-r0" "scanelf 1.3.2-r0" "zlib 1.2.11-r3"
apkindex "$R/etc/apk/cache/APKINDEX.e5f6a7b8.tar.gz" "busybox 1.34.0_rc1-r0" "scanelf 1.3.4-r0" "musl 1.2.2-r3"
# The format is what tar and gzip read: the signature entry, then the index (one archive across segments).
entries=$(python3 -c 'import tarfile,sys; print(" ".join(tarfile.open(sys.argv[1], "r:gz").getnames()))' "$R/var/cache/apk/APKINDEX.a1b2c3d4.tar.gz" 2>&1)
case "$entries" in ".SIGN.RSA."*) ok ;; *) fail "the built index does not start with the signature: $entries" ;; esac
[ "$(gzip -dc "$R/var/cache/apk/APKINDEX.a1b2c3d4.tar.gz" | tar -tf - -i 2>/dev/null | tr '\n' ' ')" = ".SIGN.RSA.alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub DESCRIPTION APKINDEX " ] && ok ||
    fail "tar -i does not read the three entries across the segments"

rows() {
    printf '%s' "$OUT" | python3 -c '
import json, sys
for o in json.load(sys.stdin)["outdated"]: print(o["name"], o["installed_version"], o["candidate"], o["skip_reason"])'
}
run_z --root "$R" --json pkg outdated -m apk
[ "$CODE" = 100 ] && ok || fail "outdated: exit $CODE, wanted 100 ($ERR)"
want="busybox 1.33.1-r3 1.34.0_rc1-r0 None
musl 1.2.2-r3 1.2.2-r4 None
musl-utils 1.2.2-r3 1.2.2-r4 fixed =1.2.2-r3
scanelf 1.3.2-r0 1.3.4-r0 pinned @edge
ssl_client 1.33.1-r3 1.33.1-r10 None"
[ "$(rows)" = "$want" ] && ok || fail "outdated rows: [$(rows)] wanted [$want]"
expect_json 'all(o["architecture"] == "armv7" for o in d["outdated"])' "the installed architecture"
run_z --root "$R" pkg outdated -m apk
expect_contains "$OUT" "pinned @edge, would be skipped" "text: the pin"
expect_contains "$OUT" "1.33.1-r3 -> 1.33.1-r10" "text: both versions"

run_z --root "$R" --json pkg info -m apk ssl_client
expect_json '[(i["installed_version"], i["candidate"]) for i in d["packages"]] == [("1.33.1-r3", "1.33.1-r10")]' "info: the candidate"

# Only pinned/constrained ones newer: exit 0 (nothing an upgrade would take).
apkindex "$R/var/cache/apk/APKINDEX.a1b2c3d4.tar.gz" "musl-utils 1.2.2-r9"
rm "$R/etc/apk/cache/APKINDEX.e5f6a7b8.tar.gz"
run_z --root "$R" --json pkg outdated -m apk
[ "$CODE" = 0 ] && ok || fail "only a fixed one newer: exit $CODE, wanted 0 ($ERR)"
[ "$(rows)" = "musl-utils 1.2.2-r3 1.2.2-r9 fixed =1.2.2-r3" ] && ok || fail "only fixed: $(rows)"

# A damaged index next to a good one: the good one answers, the note names the damaged file.
head -c 100 "$R/var/cache/apk/APKINDEX.a1b2c3d4.tar.gz" >"$R/var/cache/apk/APKINDEX.00000000.tar.gz"
run_z --root "$R" --json pkg outdated -m apk
[ "$CODE" = 0 ] && ok || fail "damaged index: exit $CODE ($ERR)"
expect_json '"APKINDEX.00000000.tar.gz" in d["managers"][0]["note"]' "damaged index named in the note"
# No index at all: could not check, one line and the refresh hint, exit 3.
rm -f "$R"/var/cache/apk/APKINDEX.*
run_z --root "$R" pkg outdated -m apk
[ "$CODE" = 3 ] && ok || fail "no index: exit $CODE, wanted 3"
expect_contains "$ERR" "pkg refresh -m apk" "no index: the hint"
finish
