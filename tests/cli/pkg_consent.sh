#!/bin/bash
# Consent and honest results with the real apt/dpkg in a scratch root (tests/cli/apt_scratch.sh): nothing
# changes without --yes or a "yes" on a terminal; the confirmation and --dry-run show apt-get -s's real
# transaction; a removal that takes other packages along defaults to No; results say what happened; --json
# ends with one document; manager:name mistakes are refused at once.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/apt_scratch.sh"

T="$SCRATCH"
R="$T/root"
DRIVE="$TESTS_DIR/pty_drive.py"
mkdir -p "$T/repo"
# deb NAME [DEPENDS]: a tiny package (version $V, default 1.0) in the local repository.
deb() {
    local v=${V:-1.0}
    rm -rf "$T/build/$1"
    mkdir -p "$T/build/$1/DEBIAN" "$T/build/$1/usr/share/$1"
    {
        printf 'Package: %s\nVersion: %s\nArchitecture: all\n' "$1" "$v"
        printf 'Maintainer: zsyncctl tests <tests@example.invalid>\nDescription: consent test package\n'
        [ -n "${2:-}" ] && printf 'Depends: %s\n' "$2"
    } >"$T/build/$1/DEBIAN/control"
    echo "$1" >"$T/build/$1/usr/share/$1/file"
    dpkg-deb -b "$T/build/$1" "$T/repo/$1_${v}_all.deb" >/dev/null || fail "dpkg-deb $1 failed"
}
deb zs-lib
deb zs-app zs-lib # removing zs-lib takes zs-app along
deb zs-solo
deb zs-grow # replaced by publish while a question is open
deb zs-newdep
(cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages failed"
apt_scratch_root "$R" "$T/repo"
# The image has apt like a real Debian root (detection under --root finds it there; it is never run).
mkdir -p "$R/usr/bin" && cp /usr/bin/apt-get "$R/usr/bin/apt-get"
why=$(apt_update "$R" zs-app) || { fail "apt-get update failed: $why"; finish; }
status() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Status}' "$1" 2>/dev/null; }
Z=(--root "$R")

# --- no terminal, no --yes: refused (exit 2, says why), nothing installed
expect_exit 2 "install without a terminal and without --yes" "${Z[@]}" pkg install apt:zs-app </dev/null
expect_contains "$ERR" "without confirmation: there is no terminal to ask on" "the refusal says why"
expect_contains "$ERR" "--yes" "the refusal names --yes"
[ -z "$(status zs-app)" ] && ok || fail "zs-app was installed without consent: $(status zs-app)"
expect_exit 2 "--json without --yes" --json "${Z[@]}" pkg install apt:zs-app </dev/null
expect_json "d['exit_code']==2 and 'without confirmation' in d['error'] and 'hint' in d" "one JSON error object"

# --- --dry-run shows apt's own simulation; a package or manager that does not exist fails
expect_exit 0 "dry run" "${Z[@]}" pkg install --dry-run apt:zs-app
expect_contains "$OUT" "install (2): zs-lib (1.0), zs-app (1.0)" "dry run shows the transaction"
expect_contains "$OUT" "simulation: apt-get" "dry run shows the simulation's argv"
expect_exit 0 "dry run json" --json "${Z[@]}" pkg install --dry-run apt:zs-app
expect_json "sorted(p['name'] for p in d['transaction']['install'])==['zs-app','zs-lib'] and '-s' in d['simulation']" "JSON transaction"
expect_exit 1 "dry run of a missing package" "${Z[@]}" pkg install --dry-run apt:zs-nosuch
expect_contains "$ERR" "Unable to locate package zs-nosuch" "apt's own words"
expect_exit 1 "dry run of a missing package (json)" --json "${Z[@]}" pkg install --dry-run apt:zs-nosuch
expect_json "'Unable to locate package' in d['error']" "JSON dry run error"
missing=""
for m in xbps apk portage eopkg opkg; do
    exe=$("$ZSYNCCTL" --json pkg install -n "$m:x" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["argv"][0])' 2>/dev/null)
    if [ -n "$exe" ] && ! command -v "$exe" >/dev/null; then missing=$m; break; fi
done
if [ -n "$missing" ]; then
    expect_exit 1 "dry run with a manager that is not here ($missing)" pkg install --dry-run "$missing:zs-app"
    expect_contains "$ERR" "$missing is not installed here" "a missing manager is said"
fi

# --- with --yes: installed; again: "already installed", nothing run
TIMEOUT=120 expect_exit 0 "install with --yes" "${Z[@]}" pkg install --yes apt:zs-app </dev/null
expect_contains "$ERR" "installed zs-app with apt" "installed"
[ "$(status zs-lib)" = "install ok installed" ] && ok || fail "zs-lib not installed: $(status zs-lib)"
TIMEOUT=60 expect_exit 0 "install again" "${Z[@]}" pkg install --yes apt:zs-app
expect_contains "$ERR" "zs-app is already installed (apt); nothing to do" "already installed"
TIMEOUT=60 expect_exit 0 "install again, no --yes needed for nothing" --json "${Z[@]}" pkg install apt:zs-app
expect_json "d['event']=='done' and d['result']=='already_installed' and d['changed'] is False" "JSON already installed"

# --- remove without a manager chooses among the managers that have the names installed
TIMEOUT=60 expect_exit 1 "remove (search) of what no manager has installed" "${Z[@]}" pkg remove --dry-run zs-solo
expect_contains "$ERR" "no detected package manager has zs-solo installed; nothing removed" "remove needs it installed"
TIMEOUT=60 expect_exit 0 "remove (search) of an installed package" --json "${Z[@]}" pkg remove --dry-run zs-app
expect_json "d['manager']=='apt' and d['chosen_by']=='search' and [p['name'] for p in d['transaction']['remove']]==['zs-app']" "apt has it installed"

# --- remove: not installed says so; the pty confirmation lists what apt would remove and defaults to No
TIMEOUT=60 expect_exit 0 "remove what is not installed" "${Z[@]}" pkg remove --yes apt:zs-solo
expect_contains "$ERR" "zs-solo is not installed (apt), nothing removed" "not installed, nothing removed"
case "$ERR" in *"removed zs-solo"*) fail "claims a removal: $ERR" ;; *) ok ;; esac
PTY_DEADLINE=60 python3 "$DRIVE" "$T/no.tty" --expect "[y/N]" --send '\r' -- "$ZSYNCCTL" "${Z[@]}" pkg remove apt:zs-lib
code=$?
t=$(cat "$T/no.tty")
[ "$code" -eq 1 ] && ok || fail "declined removal exited $code: $t"
expect_contains "$t" "REMOVE (2): zs-app (1.0), zs-lib (1.0)" "the confirmation lists apt's real transaction"
expect_contains "$t" "also removes 1 package you did not name: zs-app" "the confirmation names what goes along"
expect_contains "$t" "nothing done" "the default is No"
[ "$(status zs-app)" = "install ok installed" ] && ok || fail "zs-app was removed: $(status zs-app)"

# --- an install on a terminal shows the transaction and defaults to Yes
PTY_DEADLINE=120 python3 "$DRIVE" "$T/yes.tty" --expect "[Y/n]" --send 'y\r' -- "$ZSYNCCTL" "${Z[@]}" pkg install apt:zs-solo
code=$?
t=$(cat "$T/yes.tty")
[ "$code" -eq 0 ] && ok || fail "confirmed install exited $code: $t"
expect_contains "$t" "install (1): zs-solo (1.0)" "the install confirmation lists the transaction"
[ "$(status zs-solo)" = "install ok installed" ] && ok || fail "zs-solo not installed: $(status zs-solo)"

case "$t" in *"changed while the question was open"*) fail "an unchanged transaction was asked again: $t" ;; *) ok ;; esac

# --- what runs is what was agreed to: while the question is open the repository publishes zs-grow 2.0,
# which depends on zs-newdep, and the scratch root's lists are refreshed; after "y" zsyncctl simulates again,
# shows what changed and asks again (declined: nothing installed). Then 3.0 without the dependency is
# published during the question: agreed again, and exactly that is installed.
# publish VERSION [DEPENDS]: zs-grow VERSION replaces the one in the repository; the root's lists follow.
publish() {
    rm -f "$T/repo"/zs-grow_*.deb
    V=$1 deb zs-grow "${2:-}"
    [ -s "$T/repo/zs-grow_$1_all.deb" ] || return 1
    (cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || return 1
    apt_update "$R" zs-grow >/dev/null
}
export -f publish deb apt_update fail
export T R SCRATCH
PTY_DEADLINE=180 python3 "$DRIVE" "$T/grow.tty" --expect "[Y/n]" --run 'publish 2.0 zs-newdep' --send 'y\r' \
    --expect "changed while the question was open" --expect "[Y/n]" --send 'n\r' -- \
    "$ZSYNCCTL" "${Z[@]}" pkg install apt:zs-grow
code=$?
t=$(tr -d '\r' <"$T/grow.tty")
[ "$code" -eq 1 ] && ok || fail "declined changed transaction exited $code: $t"
expect_contains "$t" "install (1): zs-grow (1.0)" "the first question shows the transaction then"
expect_contains "$t" "+ install zs-newdep (1.0)" "the new dependency is shown as a change"
expect_contains "$t" "- install zs-grow (1.0)" "the version no longer installed is shown as a change"
expect_contains "$t" "install (2): zs-newdep (1.0), zs-grow (2.0)" "the new transaction is shown in full"
expect_contains "$t" "nothing done" "declining the changed transaction changes nothing"
[ -z "$(status zs-grow)$(status zs-newdep)" ] && ok ||
    fail "a declined changed transaction installed: $(status zs-grow) / $(status zs-newdep)"
PTY_DEADLINE=180 python3 "$DRIVE" "$T/grow2.tty" --expect "[Y/n]" --run 'publish 3.0' --send 'y\r' \
    --expect "changed while the question was open" --expect "[Y/n]" --send 'y\r' -- \
    "$ZSYNCCTL" "${Z[@]}" pkg install apt:zs-grow
code=$?
t=$(tr -d '\r' <"$T/grow2.tty")
[ "$code" -eq 0 ] && ok || fail "agreed changed transaction exited $code: $t"
expect_contains "$t" "- install zs-newdep (1.0)" "the dependency that is gone is shown"
expect_contains "$t" "installed zs-grow with apt" "the agreed new transaction ran"
v=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Version}' zs-grow 2>/dev/null)
[ "$v" = "3.0" ] && ok || fail "zs-grow is '$v', wanted the agreed 3.0"
[ -z "$(status zs-newdep)" ] && ok || fail "zs-newdep, no longer in the transaction, was installed: $(status zs-newdep)"

# --- a real removal: phases named for removal, "removed", a final done event
TIMEOUT=120 expect_exit 0 "remove with --yes (json)" --json "${Z[@]}" pkg remove --yes apt:zs-solo
events() { printf '%s' "$OUT" | python3 -c "
import json,sys
ev=[json.loads(l) for l in sys.stdin.read().splitlines() if l.strip()]
sys.exit(0 if ($1) else 1)"; }
events "any(e.get('phase')=='remove' for e in ev) and not any(e.get('phase')=='install' for e in ev)" && ok ||
    fail "removal phases are not named remove: ${OUT:0:600}"
events "ev[-1]['event']=='done' and ev[-1]['result']=='removed'" && ok || fail "no final done/removed: ${OUT: -300}"
[ -z "$(status zs-solo)" ] || [ "$(status zs-solo)" = "deinstall ok config-files" ] && ok ||
    fail "zs-solo still installed: $(status zs-solo)"

# --- --json failures: one error object, valid JSON, invalid bytes replaced
TIMEOUT=60 expect_exit 1 "json install of a missing package" --json "${Z[@]}" pkg install --yes apt:zs-nosuch
expect_json "d['exit_code']==1 and 'zs-nosuch' in d['error']" "JSON error object for a failure before the run"
bad=$(printf '%s/r\xff' "$T")
mkdir -p "$bad"
OUT=$(timeout 60 "$ZSYNCCTL" --json --root "$bad" pkg install --dry-run apt:zs-app 2>/dev/null)
expect_json "'\ufffd' in json.dumps(d, ensure_ascii=False)" "a non-UTF-8 path is replaced, the JSON stays valid"

# --- manager:name mistakes: exit 2 at once, naming the manager that can
for spec in "rpm:curl dnf" "dpkg:sl apt" "nala:sl apt" ":sl MANAGER:NAME"; do
    set -- $spec
    t0=$(date +%s%N)
    expect_exit 2 "$1 is refused" pkg install "$1"
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ "$ms" -lt 1000 ] && ok || fail "$1 took ${ms} ms"
    expect_contains "$ERR" "$2" "$1 names $2"
    echo "$1: exit $CODE in ${ms} ms"
done
t0=$(date +%s%N)
expect_exit 2 "--manager dpkg" pkg install --manager dpkg sl
expect_contains "$ERR" "dpkg cannot install packages by name" "--manager dpkg is not 'unknown'"
expect_contains "$ERR" "use apt instead" "--manager dpkg suggests apt"
echo "--manager dpkg: exit $CODE in $((($(date +%s%N) - t0) / 1000000)) ms"
# name:arch is apt's: understood with and without the prefix, refused for a manager without qualifiers.
expect_exit 0 "apt:name:arch" --json "${Z[@]}" pkg install --dry-run apt:zs-solo:all
expect_json "d['argv'][-1]=='zs-solo:all' and [p['name'] for p in d['transaction']['install']]==['zs-solo']" "apt:NAME:ARCH"
TIMEOUT=60 expect_exit 0 "name:arch without a manager" --json "${Z[@]}" pkg install --dry-run zs-solo:all
expect_json "d['manager']=='apt' and d['argv'][-1]=='zs-solo:all'" "NAME:ARCH chooses apt"
expect_exit 2 "name:arch with dnf" pkg install --dry-run --manager dnf curl:amd64
expect_contains "$ERR" "dnf does not take NAME:ARCH" "dnf refuses NAME:ARCH"

finish
