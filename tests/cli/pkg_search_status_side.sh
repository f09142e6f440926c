#!/usr/bin/env bash
# The apt index's installed state lives in a side file rebuilt alone when dpkg's status changes: real dpkg
# installs, upgrades and removes packages on a scratch root between searches, and after each step the cached
# `pkg search -m apt` must equal apt-cache search + apt-cache policy on the same root (names, descriptions,
# installed version, candidate), while the lists index file keeps its inode and mtime and only the side file
# is rewritten. The cases: a package from the repository, one installed from a local .deb only, and a pinned
# package whose candidate (and description) changes because an upgrade makes another version current.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/apt_scratch.sh"

T="$SCRATCH"
R="$T/root"
mkdir -p "$T/repo" "$T/local"
mkdeb() { # dir name version description
    local d="$T/build/$2-$3"
    mkdir -p "$d/DEBIAN" "$d/usr/share/$2"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: %s\n more text of %s\n' \
        "$2" "$3" "$4" "$2" >"$d/DEBIAN/control"
    dpkg-deb -b "$d" "$1/$2_$3_all.deb" >/dev/null || fail "dpkg-deb $2 $3"
}
mkdeb "$T/repo" zs-a 1.0 "zsside alpha"
mkdeb "$T/repo" zs-b 1.0 "zsside bravo one"
mkdeb "$T/repo" zs-b 2.0 "zsside bravo two"
mkdeb "$T/repo" zs-c 1.0 "zsside charlie"
mkdeb "$T/local" zs-local 3.0 "zsside local only"
(cd "$T/repo" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages"
apt_scratch_root "$R" "$T/repo"
# zs-b 1.0 pinned above 2.0: its candidate is 1.0 until 2.0 is installed (past the current version only a
# priority over 999 wins), when 2.0 and its description become the candidate.
printf 'Package: zs-b\nPin: version 1.0\nPin-Priority: 990\n' >"$R/etc/apt/preferences"
why=$(apt_update "$R" zs-a) || { fail "apt-get update failed: $why"; finish; }
DPKG=(dpkg --root="$R" --force-not-root --force-script-chrootless)
APTC=(apt-cache -o "Dir=$R" -o "Dir::State::status=$R/var/lib/dpkg/status" -o "Dir::Etc::SourceList=$R/etc/apt/sources.list"
    -o "Dir::Etc::SourceParts=$R/etc/apt/sources.list.d" -o "Dir::Etc::PreferencesParts=$R/etc/apt/preferences.d"
    -o "Dir::Etc::Preferences=$R/etc/apt/preferences" -o "Dir::Cache=$R/var/cache/apt"
    -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
    -o "Dir::State::Lists=$R/var/lib/apt/lists" -o Debug::NoLocking=1)

# check STEP: the cached search against apt-cache; sets IDX (the lists index) after the first search.
check() {
    local want got
    want=$("${APTC[@]}" search zsside | sort | while read -r n _ d; do
        "${APTC[@]}" policy "$n" | awk -v n="$n" -v d="$d" '/Installed:/ {i=$2} /Candidate:/ {c=$2} END {print n, i, c, d}'
    done)
    run_z --root "$R" --json pkg search zsside -m apt
    got=$(printf '%s' "$OUT" | python3 -c '
import json, sys
for r in sorted(json.load(sys.stdin)["results"], key=lambda r: r["name"]):
    print(r["name"], r["installed_version"] or "(none)", r["candidate"] or "(none)", r["description"])')
    if [ -n "$want" ] && [ "$got" = "$want" ]; then ok; else
        fail "$1: pkg search vs apt-cache search + policy differ:"
        diff <(printf '%s\n' "$got") <(printf '%s\n' "$want") >&2
    fi
    printf '%s\n' "$got" >"$T/got.$1"
}
# stat_of FILE: inode and mtime.
stat_of() { stat -c '%i %Y.%y' "$1"; }

check fresh
IDX=$(ls "$XDG_CACHE_HOME"/zsyncctl/search/apt-*.idx 2>/dev/null | head -1)
[ -f "$IDX" ] && [ -f "$IDX.status" ] && ok || { fail "no lists index and side file under $XDG_CACHE_HOME"; finish; }
expect_contains "$(cat "$T/got.fresh")" "zs-b (none) 1.0 zsside bravo one" "the pin makes 1.0 the candidate"
main_before=$(stat_of "$IDX")

sleep 0.05
"${DPKG[@]}" -i "$T/repo/zs-a_1.0_all.deb" >>"$T/dpkg.log" 2>&1 || fail "dpkg -i zs-a: $(tail -3 "$T/dpkg.log")"
side_before=$(stat_of "$IDX.status")
check install
expect_contains "$(cat "$T/got.install")" "zs-a 1.0 1.0 zsside alpha" "installed from the repository"
[ "$(stat_of "$IDX")" = "$main_before" ] && ok || fail "install: the lists index was rewritten"
[ "$(stat_of "$IDX.status")" != "$side_before" ] && ok || fail "install: the side file was not rewritten"

"${DPKG[@]}" -i "$T/local/zs-local_3.0_all.deb" "$T/repo/zs-b_2.0_all.deb" >>"$T/dpkg.log" 2>&1 ||
    fail "dpkg -i zs-local zs-b: $(tail -3 "$T/dpkg.log")"
check local
expect_contains "$(cat "$T/got.local")" "zs-local 3.0 3.0 zsside local only" "a package dpkg alone knows"
expect_contains "$(cat "$T/got.local")" "zs-b 2.0 2.0 zsside bravo two" "the installed version became the candidate"
[ "$(stat_of "$IDX")" = "$main_before" ] && ok || fail "local: the lists index was rewritten"

"${DPKG[@]}" -r zs-a zs-local >>"$T/dpkg.log" 2>&1 || fail "dpkg -r: $(tail -3 "$T/dpkg.log")"
check remove
case "$(cat "$T/got.remove")" in *zs-local*) fail "a removed local package is still listed" ;; *) ok ;; esac
expect_contains "$(cat "$T/got.remove")" "zs-a (none) 1.0 zsside alpha" "removed: no installed version"
[ "$(stat_of "$IDX")" = "$main_before" ] && ok || fail "remove: the lists index was rewritten"

# The cached answer equals a search without any cache.
run_z --no-cache --root "$R" --json pkg search zsside -m apt
nocache=$(printf '%s' "$OUT" | python3 -c '
import json, sys
for r in sorted(json.load(sys.stdin)["results"], key=lambda r: r["name"]):
    print(r["name"], r["installed_version"] or "(none)", r["candidate"] or "(none)", r["description"])')
[ "$nocache" = "$(cat "$T/got.remove")" ] && ok || fail "--no-cache differs from the cached search"

# The installed state is refreshed from dpkg's database and the lists index alone: with every list replaced by
# garbage of the same size and mtime (the index's stamps still hold), a dpkg change must still give apt's
# answer, taken from apt-cache once the lists are back.
"${DPKG[@]}" -i "$T/repo/zs-c_1.0_all.deb" >>"$T/dpkg.log" 2>&1 || fail "dpkg -i zs-c: $(tail -3 "$T/dpkg.log")"
mkdir -p "$T/lists.keep"
cp -p "$R"/var/lib/apt/lists/*Packages* "$T/lists.keep/" || fail "no lists to hide"
for l in "$R"/var/lib/apt/lists/*Packages*; do
    n=$(stat -c %s "$l")
    head -c "$n" /dev/zero | tr '\0' 'x' >"$l"
    touch -r "$T/lists.keep/$(basename "$l")" "$l"
done
run_z --root "$R" --json pkg search zsside -m apt
hidden=$(printf '%s' "$OUT" | python3 -c '
import json, sys
for r in sorted(json.load(sys.stdin)["results"], key=lambda r: r["name"]):
    print(r["name"], r["installed_version"] or "(none)", r["candidate"] or "(none)", r["description"])')
cp -p "$T/lists.keep/"* "$R/var/lib/apt/lists/"
check lists_back
expect_contains "$(cat "$T/got.lists_back")" "zs-c 1.0 1.0 zsside charlie" "zs-c installed"
[ -n "$hidden" ] && [ "$hidden" = "$(cat "$T/got.lists_back")" ] && ok ||
    fail "with the lists hidden, the status refresh gave: $hidden"
[ "$(stat_of "$IDX")" = "$main_before" ] && ok || fail "lists hidden: the lists index was rewritten"

# A side file a crash left torn (its size right, a block of a record's text zeroed) is refused and rebuilt,
# never misread.
"${DPKG[@]}" -r zs-c >>"$T/dpkg.log" 2>&1 || fail "dpkg -r zs-c: $(tail -3 "$T/dpkg.log")"
check torn_before
at=$(grep -obUa 'zsside bravo two' "$IDX.status" | head -1 | cut -d: -f1)
[ -n "$at" ] && ok || fail "no text of zs-b in the side file"
dd if=/dev/zero of="$IDX.status" bs=1 seek="${at:-0}" count=16 conv=notrunc status=none
check torn
[ "$(cat "$T/got.torn")" = "$(cat "$T/got.torn_before")" ] && ok || fail "a torn side file changed the results"
grep -qa 'zsside bravo two' "$IDX.status" && ok || fail "the torn side file was not rebuilt"

# A damaged side file is refused and rebuilt, never misread.
printf 'garbage' >"$IDX.status"
run_z --root "$R" --json pkg search zsside -m apt
expect_json '[(r["name"], r["installed_version"]) for r in d["results"]] == [("zs-a", None), ("zs-b", "2.0"), ("zs-c", None)]' "after a damaged side file"

# Installed at a version other than the one shown (the candidate): the plain line names the installed version
# ("[installed 1.0]", as apt's "[upgradable from: 1.0]"), from the lists index and after a dpkg change (the side
# file), with the cache and without; the terminal's table says it before the description.
rm -f "$R/etc/apt/preferences"
run_z --root "$R" pkg search zsside -m apt
expect_contains "$OUT" "zs-b 2.0 [installed] - zsside bravo two" "installed at the shown version: [installed]"
"${DPKG[@]}" -i "$T/repo/zs-b_1.0_all.deb" >>"$T/dpkg.log" 2>&1 || fail "dpkg -i zs-b 1.0: $(tail -3 "$T/dpkg.log")"
want_cand=$("${APTC[@]}" policy zs-b | awk '/Candidate:/ {print $2}')
[ "$want_cand" = "2.0" ] && ok || fail "apt-cache policy's candidate of zs-b is $want_cand"
for cache in "" --no-cache; do
    # shellcheck disable=SC2086 # an empty $cache is no word
    run_z $cache --root "$R" pkg search zsside -m apt
    expect_contains "$OUT" "apt zs-b 2.0 [installed 1.0] - zsside bravo two" "plain line names the installed version ${cache:-(cache)}"
    # shellcheck disable=SC2086
    run_z $cache --root "$R" --color always pkg search zsside -m apt
    expect_contains "$OUT" $'apt \e[1mzs-b\e[0m 2.0 \e[33m[installed 1.0]\e[0m - zsside bravo two' "coloured ${cache:-(cache)}"
done
if command -v script >/dev/null; then
    tty_out=$(timeout -k 2 20 script -qec "$ZSYNCCTL --root $R pkg search zsside -m apt --color never" /dev/null 2>&1)
    expect_contains "$tty_out" "(installed 1.0) zsside bravo two" "the table names the installed version"
fi
finish
