#!/usr/bin/env bash
# `pkg search -m apt` over a dpkg database in every state real dpkg makes (installed, unpacked,
# half-configured from a failing postinst, config-files after a remove) against apt-cache search and apt-cache
# policy on the same scratch root: the same names, and for each the same installed version and candidate.
# Then a journal entry dpkg has not folded in yet, against dpkg-query (apt-cache does not read the journal).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/apt_scratch.sh"

T="$SCRATCH"
R="$T/root"
mkdir -p "$T/repo"
mkdeb() { # name version [postinst-exit]
    local d="$T/build/$1-$2"
    mkdir -p "$d/DEBIAN" "$d/usr/share/$1"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: zsstate %s\n' \
        "$1" "$2" "$1" >"$d/DEBIAN/control"
    if [ -n "${3:-}" ]; then
        printf '#!/bin/sh\nexit %s\n' "$3" >"$d/DEBIAN/postinst"
        chmod 755 "$d/DEBIAN/postinst"
    fi
    mkdir -p "$d/etc"
    echo "x=1" >"$d/etc/$1.conf"
    echo "/etc/$1.conf" >"$d/DEBIAN/conffiles"
    dpkg-deb -b "$d" "$T/repo/$1_$2_all.deb" >/dev/null || fail "dpkg-deb $1 $2"
}
for p in zs-ok zs-unpacked zs-conf zs-journal; do mkdeb "$p" 1.0; done
mkdeb zs-broken 1.0 1
(cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages"
apt_scratch_root "$R" "$T/repo"
why=$(apt_update "$R" zs-ok) || { fail "apt-get update failed: $why"; finish; }
DPKG=(dpkg --root="$R" --force-not-root --force-script-chrootless)
"${DPKG[@]}" -i "$T/repo/zs-ok_1.0_all.deb" "$T/repo/zs-conf_1.0_all.deb" "$T/repo/zs-journal_1.0_all.deb" >>"$T/dpkg.log" 2>&1 ||
    fail "dpkg -i: $(tail -3 "$T/dpkg.log")"
"${DPKG[@]}" --unpack "$T/repo/zs-unpacked_1.0_all.deb" >>"$T/dpkg.log" 2>&1 || fail "dpkg --unpack"
"${DPKG[@]}" -i "$T/repo/zs-broken_1.0_all.deb" >>"$T/dpkg.log" 2>&1 # its postinst fails: half-configured
"${DPKG[@]}" -r zs-conf >>"$T/dpkg.log" 2>&1 || fail "dpkg -r zs-conf"
states=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Package} ${db:Status-Abbrev}\n' | sort | tr '\n' ',')
case "$states" in
*"zs-broken iF"*"zs-conf rc"*"zs-journal ii"*"zs-ok ii"*"zs-unpacked iU"*) ok ;;
*) fail "dpkg did not make the states wanted: $states" ;;
esac

APTC=(apt-cache -o "Dir=$R" -o "Dir::State::status=$R/var/lib/dpkg/status" -o "Dir::Etc::SourceList=$R/etc/apt/sources.list"
    -o "Dir::Etc::SourceParts=$R/etc/apt/sources.list.d" -o "Dir::Etc::PreferencesParts=$R/etc/apt/preferences.d"
    -o "Dir::Etc::Preferences=$R/etc/apt/preferences" -o "Dir::Cache=$R/var/cache/apt"
    -o "Dir::State::Lists=$R/var/lib/apt/lists" -o Debug::NoLocking=1)
want=$("${APTC[@]}" search zsstate | awk '{print $1}' | sort | while read -r n; do
    "${APTC[@]}" policy "$n" | awk -v n="$n" '/Installed:/ {i=$2} /Candidate:/ {c=$2} END {print n, i, c}'
done)
run_z --no-cache --root "$R" --json pkg search zsstate -m apt
got=$(printf '%s' "$OUT" | python3 -c '
import json, sys
for r in sorted(json.load(sys.stdin)["results"], key=lambda r: r["name"]):
    print(r["name"], r["installed_version"] or "(none)", r["candidate"] or "(none)")')
[ -n "$want" ] && ok || fail "apt-cache found nothing"
if [ "$got" = "$want" ]; then ok; else
    fail "pkg search vs apt-cache search + policy differ:"
    diff <(printf '%s\n' "$got") <(printf '%s\n' "$want") >&2
fi
expect_contains "$got" "zs-unpacked 1.0 1.0" "unpacked has a current version"

# dpkg's journal: zs-journal removed, not yet folded into the status file.
printf 'Package: zs-journal\nStatus: deinstall ok config-files\nArchitecture: all\nVersion: 1.0\nMaintainer: t <t@example.invalid>\nConffiles:\n /etc/zs-journal.conf 0\nDescription: zsstate zs-journal\n\n' \
    >"$R/var/lib/dpkg/updates/0000"
# apt-cache does not read dpkg's journal (apt-get would refuse to run until dpkg --configure -a); dpkg-query
# does, and so does zsyncctl (a documented choice): the oracle here is dpkg-query.
[ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${db:Status-Abbrev}' zs-journal 2>/dev/null)" = "rc " ] && ok ||
    fail "dpkg-query does not see the journal's state"
run_z --no-cache --root "$R" --json pkg search zs-journal -m apt --exact
expect_json '[(r["installed"], r["installed_version"], r["candidate"]) for r in d["results"]] == [(False, None, "1.0")]' "the journal's config-files wins, as for dpkg-query"

finish
