#!/bin/bash
# `pkg list -m apt` and `pkg outdated -m apt` against the real dpkg-query and apt: on this machine (list
# only: its lists may be old, outdated needs a root whose lists the test controls), and on a scratch root
# (apt_scratch.sh) whose packages are in several dpkg states (installed explicit and automatic, held,
# config-files, unpacked, half-configured, a journal entry dpkg has not folded in), then with newer
# versions published to its local repository (outdated vs apt list --upgradable, held shown as skipped).
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/apt_scratch.sh"
command -v apt-mark >/dev/null || skip "apt-mark is not installed (Debian package apt)"

# Our list as dpkg-query's line: "name:arch version abbrev".
ours() {
    printf '%s' "$OUT" | python3 -c "
import json,sys
d=json.load(sys.stdin)
for p in d['packages']:
    print(f\"{p['name']}:{p['architecture'] or ''} {p['version']} {p['state_abbrev']}\")" | sort
}
theirs() { # ADMINDIR
    dpkg-query --admindir="$1" -W -f '${Package}:${Architecture} ${Version} ${db:Status-Abbrev}\n' | sort
}

# ---- the host, read-only ----
TIMEOUT=60 run_z --json pkg list -m apt
[ "$CODE" -eq 0 ] && ok || fail "pkg list -m apt on the host: exit $CODE ($ERR)"
same "host: pkg list vs dpkg-query -W" "$(ours)" "$(theirs /var/lib/dpkg)"
# dpkg alone is apt's database: named on its own it says to ask apt, and stays out of the default report.
TIMEOUT=60 run_z pkg list -m dpkg
[ "$CODE" -eq 3 ] && ok || fail "pkg list -m dpkg: exit $CODE, wanted 3"
expect_contains "$ERR" "dpkg: unsupported (read through APT, from the same database); use --manager apt" \
    "dpkg names apt"
TIMEOUT=60 run_z pkg list -m apt,dpkg
case "$ERR" in *dpkg*) fail "dpkg after apt says something: $ERR" ;; *) ok ;; esac

# ---- a scratch root ----
T="$SCRATCH"
R="$T/root"
mkdeb() { # name version [depends] [postinst-exit] [conffile]
    local d="$T/build/$1-$2"
    mkdir -p "$d/DEBIAN" "$d/usr/share/$1"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: inventory test %s\n' \
        "$1" "$2" "$1" >"$d/DEBIAN/control"
    [ -n "${3:-}" ] && echo "Depends: $3" >>"$d/DEBIAN/control"
    if [ -n "${4:-}" ]; then
        printf '#!/bin/sh\nexit %s\n' "$4" >"$d/DEBIAN/postinst"
        chmod 755 "$d/DEBIAN/postinst"
    fi
    if [ -n "${5:-}" ]; then
        mkdir -p "$d/etc"
        echo "setting=1" >"$d/etc/$1.conf"
        echo "/etc/$1.conf" >"$d/DEBIAN/conffiles"
    fi
    echo "$1 $2" >"$d/usr/share/$1/version"
    dpkg-deb -b "$d" "$T/repo/$1_$2_all.deb" >/dev/null || fail "dpkg-deb $1 $2"
}
publish() { (cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages"; }
mkdir -p "$T/repo"
mkdeb zs-app 1.0 zs-lib
mkdeb zs-lib 1.0
mkdeb zs-held 1.0
mkdeb zs-conf 1.0 "" "" yes
mkdeb zs-same 1.0
publish
apt_scratch_root "$R" "$T/repo"
why=$(apt_update "$R" zs-app) || { fail "apt-get update failed: $why"; finish; }

# apt-get with the Dir/dpkg options zsyncctl's plan uses for this root (as apt_update does).
APT_OPTS=()
while IFS= read -r o; do APT_OPTS+=(-o "$o"); done < <("$ZSYNCCTL" --json --root "$R" pkg install -n apt:zs-app |
    python3 -c "
import json,sys
a=json.load(sys.stdin)['argv']
print('\n'.join(a[i+1] for i,x in enumerate(a) if x=='-o' and a[i+1].startswith(('Dir','DPkg::Options::=--root','DPkg::Options::=--admindir','DPkg::Options::=--force-not-root'))))")
apt_in() { timeout 120 apt-get -q -y "${APT_OPTS[@]}" "$@" >>"$T/apt.log" 2>&1; }
DPKG=(dpkg --root="$R" --force-not-root)

apt_in install zs-app zs-held zs-conf zs-same || fail "apt-get install: $(tail -3 "$T/apt.log")"
apt_in remove zs-conf || fail "apt-get remove zs-conf"
timeout 60 apt-mark "${APT_OPTS[@]}" hold zs-held >>"$T/apt.log" 2>&1 || echo "zs-held hold" | "${DPKG[@]}" --set-selections
mkdeb zs-unpacked 1.0
"${DPKG[@]}" --unpack "$T/repo/zs-unpacked_1.0_all.deb" >>"$T/apt.log" 2>&1 || fail "dpkg --unpack"
mkdeb zs-broken 1.0 "" 1
"${DPKG[@]}" -i "$T/repo/zs-broken_1.0_all.deb" >>"$T/apt.log" 2>&1 # its postinst fails: half-configured
publish

want_states="zs-app:all 1.0 ii |zs-broken:all 1.0 iF |zs-conf:all 1.0 rc |zs-held:all 1.0 hi |zs-lib:all 1.0 ii |zs-same:all 1.0 ii |zs-unpacked:all 1.0 iU |"
got_states=$(theirs "$R/var/lib/dpkg" | tr '\n' '|')
[ "$got_states" = "$want_states" ] && ok || fail "the scratch root's states are not the planned ones: $got_states"

TIMEOUT=60 run_z --root "$R" --json pkg list -m apt
[ "$CODE" -eq 0 ] && ok || fail "pkg list on the scratch root: exit $CODE ($ERR)"
same "scratch: pkg list vs dpkg-query -W" "$(ours)" "$(theirs "$R/var/lib/dpkg")"
expect_json '{p["name"]: p["reason"] for p in d["packages"] if p["installed"]} == {"zs-app":"explicit","zs-lib":"dependency","zs-held":"explicit","zs-same":"explicit","zs-unpacked":"explicit","zs-broken":"explicit"}' "explicit vs automatic from extended_states"
expect_json '[p["name"] for p in d["packages"] if p["held"]] == ["zs-held"]' "held from dpkg's selection"
expect_json 'd["schema_version"] == 1 and d["managers"][0]["status"] == "ok" and d["managers"][0]["count"] == 7' "schema and status"

# A journal entry dpkg has not folded into the status file yet: dpkg-query reads it, so must we.
cp -a "$R" "$T/jroot"
printf 'Package: zs-same\nStatus: install ok unpacked\nArchitecture: all\nVersion: 1.0\nMaintainer: t\nDescription: x\n\n' \
    >"$T/jroot/var/lib/dpkg/updates/0000"
TIMEOUT=60 run_z --root "$T/jroot" --json pkg list -m apt
same "journal: pkg list vs dpkg-query -W" "$(ours)" "$(theirs "$T/jroot/var/lib/dpkg")"
expect_contains "$(ours)" "zs-same:all 1.0 iU" "the journal's state wins"

# Text and NDJSON shapes.
TIMEOUT=60 run_z --root "$R" pkg list -m apt
expect_contains "$OUT" "apt (7 packages)" "text header"
expect_contains "$OUT" "held" "text held mark"
TIMEOUT=60 run_z --root "$R" pkg list -m apt --json-lines
last=$(printf '%s\n' "$OUT" | tail -1)
expect_contains "$last" '"type":"status"' "json-lines ends with a status record"
[ "$(printf '%s\n' "$OUT" | grep -c '"type":"package"')" = 7 ] && ok || fail "json-lines: 7 package records"

# ---- outdated ----
TIMEOUT=60 expect_exit 0 "nothing outdated yet: exit 0" --root "$R" pkg outdated -m apt
mkdeb zs-app 2.0 zs-lib
mkdeb zs-lib 1.1
mkdeb zs-held 2.0
mkdeb zs-same 1.0
publish
why=$(apt_update "$R" zs-app) || fail "apt-get update after publishing failed: $why"
theirs_upgradable() {
    timeout 60 apt list --upgradable "${APT_OPTS[@]}" 2>/dev/null | python3 -c "
import re,sys
for line in sys.stdin:
    m=re.match(r'^(\S+?)/\S* (\S+) (\S+) \[upgradable from: (\S+)\]', line)
    if m: print(f'{m[1]}:{m[3]} {m[4]} -> {m[2]}')" | sort
}
ours_outdated() {
    printf '%s' "$OUT" | python3 -c "
import json,sys
for o in json.load(sys.stdin)['outdated']:
    print(f\"{o['name']}:{o['architecture']} {o['installed_version']} -> {o['candidate']}\")" | sort
}
TIMEOUT=60 run_z --root "$R" --json pkg outdated -m apt
[ "$CODE" -eq 100 ] && ok || fail "some outdated: exit $CODE, wanted 100 ($ERR)"
want=$(theirs_upgradable)
[ -n "$want" ] && ok || fail "apt list --upgradable listed nothing"
same "pkg outdated vs apt list --upgradable" "$(ours_outdated)" "$want"
expect_json '[(o["name"], o["skip_reason"]) for o in d["outdated"] if o["skipped"]] == [("zs-held", "held")]' "held reported as skipped"
# The held package is what apt-get upgrade keeps back.
kept=$(timeout 60 apt-get -s "${APT_OPTS[@]}" upgrade 2>/dev/null | sed -n '/kept back/,/^[0-9]/p')
expect_contains "$kept" "zs-held" "apt-get upgrade keeps the held package back"
TIMEOUT=60 run_z --root "$R" pkg outdated -m apt
expect_contains "$OUT" "held, would be skipped" "text shows the held package as skipped"
expect_contains "$OUT" "1.0" "text shows the installed version"

# Only the held package outdated: exit 0 (nothing an upgrade would take). The half-configured package goes
# first: apt-get would try to configure it again and fail.
"${DPKG[@]}" --purge zs-broken >>"$T/apt.log" 2>&1 || fail "dpkg --purge zs-broken"
apt_in upgrade || fail "apt-get upgrade: $(tail -3 "$T/apt.log")"
TIMEOUT=60 run_z --root "$R" --json pkg outdated -m apt
[ "$CODE" -eq 0 ] && ok || fail "only held outdated: exit $CODE, wanted 0"
same "after upgrade: pkg outdated vs apt list --upgradable" "$(ours_outdated)" "$(theirs_upgradable)"

# Could not check: no lists.
rm -f "$R"/var/lib/apt/lists/*Packages*
TIMEOUT=60 run_z --root "$R" pkg outdated -m apt
[ "$CODE" -eq 3 ] && ok || fail "no lists: exit $CODE, wanted 3"
expect_contains "$ERR" "run: zsyncctl pkg refresh -m apt" "the hint says how to get lists"
TIMEOUT=20 expect_exit 2 "unknown manager" pkg outdated -m nosuchmanager
# A -m that names nothing is a usage error, not "every manager".
for blank in "" " " " , "; do
    TIMEOUT=20 expect_exit 2 "blank manager '$blank'" pkg list -m "$blank"
    expect_contains "$ERR" "--manager names no manager" "blank manager '$blank': the error says so"
done

# On a real 80-column terminal (script(1)'s pseudo-terminal, sized with stty) this machine's list fits:
# every line at most 79 columns (names give way, then versions), one line per package as --json counts
# them, each starting with its name (cut with "…" when long). Piped, lines keep their full width.
if command -v script >/dev/null && [ "$(dpkg-query -W -f '${db:Status-Abbrev}\n' | grep -c '^.i')" -gt 20 ]; then
    TIMEOUT=60 run_z --json pkg list -m apt
    printf '%s' "$OUT" >"$SCRATCH/host-list.json"
    TERM=xterm script -q -e -c "stty cols 80 rows 40; '$ZSYNCCTL' --color never pkg list -m apt" "$SCRATCH/tty80.txt" \
        >/dev/null 2>&1 </dev/null || fail "pkg list on an 80-column terminal failed"
    python3 - "$SCRATCH/tty80.txt" "$SCRATCH/host-list.json" <<'PY' && ok || fail "80-column list: $(head -c 600 "$SCRATCH/tty80.txt")"
import json, re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace").replace("\r", "")
rows = [r for r in text.split("\n") if r.startswith("  ")]
packages = json.load(open(sys.argv[2]))["packages"]
assert len(rows) == len(packages), (len(rows), len(packages))
assert max(len(r) for r in rows) <= 79, max(rows, key=len)
for r, p in zip(rows, packages):
    shown = r.split()[0]
    full = p["name"] + (":" + p["architecture"] if p.get("architecture") else "")
    assert shown == full or (shown.endswith("\u2026") and full.startswith(shown[:-1])), (shown, full)
PY
fi

finish
