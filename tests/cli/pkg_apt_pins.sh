#!/usr/bin/env bash
# apt pinning followed by `pkg search -m apt` and `pkg outdated -m apt`, against the real apt: generated
# scratch roots (two origins, four releases, NotAutomatic/ButAutomaticUpgrades, dpkg status with installed
# versions) with generated preferences files and APT::Default-Release; the oracle is `apt-cache policy` and
# `apt list --upgradable` on the same root (tests/cli/apt_pins_diff.py). Multi-arch roots against apt-cache
# (tests/cli/apt_multiarch_diff.py). Then one hand-written root for a pin
# zsyncctl cannot apply (a source package pin), which must be named in a note.
. "$(dirname "$0")/lib.sh"

for tool in apt apt-cache; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian package apt)"
done

out=$(python3 "$TESTS_DIR/apt_pins_diff.py" "$ZSYNCCTL" "$SCRATCH/pins" "${APT_PINS_CASES:-100}" "${APT_PINS_SEED:-15}" 2>&1)
rc=$?
printf '%s\n' "$out" | tail -30
[ "$rc" -eq 0 ] && ok || fail "zsyncctl and apt disagree on pinned candidates (DIFF lines above)"
case "$out" in *" 0 disagreements"*) ok ;; *) fail "no summary from apt_pins_diff.py" ;; esac

# Multi-arch (amd64 + i386 as dpkg's foreign architecture): names and candidates against apt-cache search and
# apt-cache policy on generated roots (tests/cli/apt_multiarch_diff.py): binNMUs, foreign-only, arch:all.
out=$(python3 "$TESTS_DIR/apt_multiarch_diff.py" "$ZSYNCCTL" "$SCRATCH/multiarch" "${APT_MULTIARCH_CASES:-30}" 7 2>&1)
rc=$?
printf '%s\n' "$out" | tail -10
[ "$rc" -eq 0 ] && ok || fail "zsyncctl and apt disagree on a multi-arch root (DIFF lines above)"

# A pin zsyncctl does not apply is named, not silently ignored.
R="$SCRATCH/srcpin"
mkdir -p "$R/etc/apt/preferences.d" "$R/var/lib/apt/lists" "$R/var/lib/dpkg"
echo "deb [trusted=yes] file:/srv/repo ./" >"$R/etc/apt/sources.list"
printf 'Package: zs-a\nVersion: 2.0\nArchitecture: all\nDescription: pinned by source\n' \
    >"$R/var/lib/apt/lists/_srv_repo_._Packages"
printf 'Package: zs-a\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\nDescription: pinned by source\n' \
    >"$R/var/lib/dpkg/status"
printf 'Package: src:zs-src\nPin: version 1.*\nPin-Priority: 1001\n' >"$R/etc/apt/preferences.d/src"
run_z --no-cache --root "$R" --json pkg outdated -m apt
expect_json '"source package pin src:zs-src" in d["managers"][0]["note"]' "an unapplied source pin is named in the note"
run_z --no-cache --root "$R" --json pkg info zs-a -m apt
expect_json '"source package pin src:zs-src" in d["managers"][0]["note"]' "pkg info names the unapplied pin too"
run_z --no-cache --root "$R" pkg info zs-a -m apt
expect_contains "$ERR" "source package pin src:zs-src" "pkg info's text names it on stderr"

# The index cache follows the pin files: a pin written after a search changes the next search's candidate
# (as apt-cache policy says), with the cache in use.
R2="$SCRATCH/cachepin"
mkdir -p "$R2/etc/apt/preferences.d" "$R2/var/lib/apt/lists" "$R2/var/lib/dpkg"
echo "deb [trusted=yes] file:/srv/repo ./" >"$R2/etc/apt/sources.list"
printf 'Package: zs-b\nVersion: 1.0\nArchitecture: all\nDescription: cached pin\n\nPackage: zs-b\nVersion: 2.0\nArchitecture: all\nDescription: cached pin\n' \
    >"$R2/var/lib/apt/lists/_srv_repo_._Packages"
: >"$R2/var/lib/dpkg/status"
run_z --root "$R2" --json pkg search zs-b -m apt --exact
expect_json '[r["candidate"] for r in d["results"]] == ["2.0"]' "before the pin: the newest"
printf 'Package: zs-b\nPin: version 1.0\nPin-Priority: 1001\n' >"$R2/etc/apt/preferences.d/hold"
run_z --root "$R2" --json pkg search zs-b -m apt --exact
expect_json '[r["candidate"] for r in d["results"]] == ["1.0"]' "after the pin: the cached index was rebuilt"
want=$(apt-cache -o "Dir=$R2" -o "Dir::State::status=$R2/var/lib/dpkg/status" -o "Dir::Etc::SourceList=$R2/etc/apt/sources.list" \
    -o "Dir::Etc::PreferencesParts=$R2/etc/apt/preferences.d" -o "Dir::Etc::Preferences=$R2/etc/apt/preferences" \
    -o "Dir::Cache=$R2/var/cache/apt" -o "Dir::State::Lists=$R2/var/lib/apt/lists" -o Debug::NoLocking=1 policy zs-b |
    awk '/Candidate:/ {print $2}')
[ "$want" = "1.0" ] && ok || fail "apt-cache policy's candidate is $want"

# pkg info reads the lists through a table cached beside the search index (aptinfo-HASH.idx): the pin applies
# when it is read, a list change rebuilds it, and a damaged table is rebuilt, never misread.
policy_b() {
    apt-cache -o "Dir=$R2" -o "Dir::State::status=$R2/var/lib/dpkg/status" -o "Dir::Etc::SourceList=$R2/etc/apt/sources.list" \
        -o "Dir::Etc::PreferencesParts=$R2/etc/apt/preferences.d" -o "Dir::Etc::Preferences=$R2/etc/apt/preferences" \
        -o "Dir::Cache=$R2/var/cache/apt" -o "Dir::State::Lists=$R2/var/lib/apt/lists" -o Debug::NoLocking=1 policy zs-b |
        awk '/Candidate:/ {print $2}'
}
run_z --root "$R2" --json pkg info zs-b -m apt
expect_json 'd["packages"][0]["candidate"] == "1.0"' "pkg info: the pinned candidate"
TABLE=$(ls -t "$XDG_CACHE_HOME"/zsyncctl/search/aptinfo-*.idx 2>/dev/null | head -1) # the one just built
[ -f "$TABLE" ] && ok || fail "no aptinfo table under $XDG_CACHE_HOME"
rm -f "$R2/etc/apt/preferences.d/hold"
run_z --root "$R2" --json pkg info zs-b -m apt
expect_json 'd["packages"][0]["candidate"] == "2.0"' "pkg info: the pin removed, with the table unchanged"
printf 'Package: zs-b\nVersion: 3.0\nArchitecture: all\nSize: 4242\nDescription: cached three\n\n' \
    >>"$R2/var/lib/apt/lists/_srv_repo_._Packages"
run_z --root "$R2" --json pkg info zs-b -m apt
expect_json 'd["packages"][0]["candidate"] == "3.0" and d["packages"][0]["download_size"] == 4242 and d["packages"][0]["description"] == "cached three"' "pkg info: a list change rebuilds the table"
[ "$(policy_b)" = "3.0" ] && ok || fail "apt-cache policy's candidate is $(policy_b)"
if [ -f "$TABLE" ]; then
    size=$(stat -c %s "$TABLE")
    head -c "$size" /dev/urandom >"$TABLE"
    run_z --root "$R2" --json pkg info zs-b -m apt
    expect_json 'd["packages"][0]["candidate"] == "3.0" and d["packages"][0]["download_size"] == 4242' "pkg info: a damaged table is rebuilt"
    grep -qa "cached three" "$TABLE" && ok || fail "the damaged table was not rewritten"
fi
run_z --no-cache --root "$R2" --json pkg info zs-b -m apt
expect_json 'd["packages"][0]["candidate"] == "3.0"' "pkg info --no-cache agrees"

# A list the user cannot read (uid 65534, mode 000): pkg info still gives dpkg's side, as apt-cache policy
# reads it with that list missing, and the note says which list and why; no table is written for it.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    R3="$SCRATCH/unreadable"
    mkdir -p "$R3/etc/apt/preferences.d" "$R3/var/lib/apt/lists" "$R3/var/lib/dpkg" "$SCRATCH/np"
    echo "deb [trusted=yes] file:/srv/repo ./" >"$R3/etc/apt/sources.list"
    printf 'Package: zs-u\nVersion: 2.0\nArchitecture: all\nDescription: unreadable list\n' \
        >"$R3/var/lib/apt/lists/_srv_repo_._Packages"
    printf 'Package: zs-u\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\nDescription: unreadable list\n' \
        >"$R3/var/lib/dpkg/status"
    chmod -R a+rX "$R3" && chmod 000 "$R3/var/lib/apt/lists/_srv_repo_._Packages"
    chmod 711 "$SCRATCH" && chown 65534:65534 "$SCRATCH/np"
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$SCRATCH/np" XDG_CACHE_HOME="$SCRATCH/np/cache" \
        timeout -k 2 30 "$ZSYNCCTL" --root "$R3" --json pkg info zs-u -m apt 2>"$SCRATCH/np.err")
    printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
p, m = d["packages"][0], d["managers"][0]
assert (p["installed_version"], p["candidate"]) == ("1.0", "1.0"), p
assert "could not be read" in m["note"] and "_srv_repo_._Packages" in m["note"], m
' && ok || fail "pkg info with an unreadable list as uid 65534: $out $(cat "$SCRATCH/np.err")"
    # The oracle: apt-cache policy on the same root with that list gone (as the user, apt-cache only errors).
    cp -a "$R3" "$R3.without" && rm -f "$R3.without/var/lib/apt/lists/_srv_repo_._Packages"
    want=$(apt-cache -o "Dir=$R3.without" -o "Dir::State::status=$R3.without/var/lib/dpkg/status" \
        -o "Dir::Etc::SourceList=$R3.without/etc/apt/sources.list" -o "Dir::State::Lists=$R3.without/var/lib/apt/lists" \
        -o Debug::NoLocking=1 -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" policy zs-u 2>/dev/null |
        awk '/Installed:/ {i=$2} /Candidate:/ {c=$2} END {print i, c}')
    [ "$want" = "1.0 1.0" ] && ok || fail "apt-cache policy without the list: $want"
fi

finish
