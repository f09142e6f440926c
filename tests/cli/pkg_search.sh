#!/usr/bin/env bash
# `zsyncctl pkg search` end to end with fake managers on PATH that print recorded real-format output
# (tests/fixtures/search/cli), plus malformed/truncated/non-UTF-8 output, a race, a timeout and lock groups.
# The managers are found by detection (the host root, PATH below; ZSYNCCTL_OS for other systems' ones),
# and under --root search covers exactly what `pkg managers` detects, running no command at all.
. "$(dirname "$0")/lib.sh"

FIX="$SOURCE_ROOT/tests/fixtures/search"
BIN="$SCRATCH/bin"
mkdir -p "$BIN"
export PATH="$BIN:/usr/bin:/bin"
export HOME="$SCRATCH/home"
# The fakes below answer without a network: a proxy setting turns off the registry-host check that would
# report the network-only ones (npm, cargo, gem, conda, nix) offline on a machine without DNS.
export https_proxy=http://127.0.0.1:9
mkdir -p "$HOME"

# fake NAME FIXTURE [EXIT]: an executable that checks LC_ALL=C, logs its argv, prints the fixture.
fake() {
    cat >"$BIN/$1" <<SH
#!/bin/sh
echo "\$LC_ALL \$*" >>"$SCRATCH/$1.argv"
cat "$FIX/cli/$2"
exit ${3:-0}
SH
    chmod +x "$BIN/$1"
}
fake dnf dnf.out
fake zypper zypper-xml.out
fake apk apk.out
fake xbps-query xbps.out
fake nix nix-json.out
# nix is detected by nix-env and searched with the nix beside it: without this nix-env, a host's
# /usr/bin/nix-env was detected and the host's real nix searched (offline here), not the fake.
fake nix-env nix-json.out
fake guix guix.out
fake port macports.out
fake snap snap.out
fake flatpak flatpak.out
fake choco choco.out
fake scoop scoop.out
fake winget winget.out
fake cargo cargo.out
fake gem gem.out
fake yay pacman-ss.out
fake pkg freebsd-pkg.out
fake mas mas.out
fake conda conda-json.out
fake pip3 apk.out

all="dnf,zypper,apk,xbps,nix,guix,snap,flatpak,cargo,gem,yay,conda"
expect_exit 0 "every CLI backend" --json pkg search hello --manager "$all"
expect_json 'all(m["status"] == "ok" for m in d["managers"])' "every manager ok"
expect_json 'len(d["managers"]) == 12' "one report per manager"
expect_json 'any({"manager": "zypper", "name": "hello", "version": "2.12.1-1.7", "description": "A Friendly Greeter & more", "installed": True}.items() <= r.items() for r in d["results"])' "zypper XML result"
# Other systems' managers are detected (and searched) only when detection runs for that system.
ZSYNCCTL_OS=windows expect_exit 0 "Windows CLI backends" --json pkg search hello --manager chocolatey,scoop,winget
expect_json 'all(m["status"] == "ok" for m in d["managers"]) and len(d["managers"]) == 3' "Windows managers ok"
expect_json 'any(r["manager"] == "winget" and r["name"] == "Example.HelloWorld" for r in d["results"])' "winget result"
ZSYNCCTL_OS=macos expect_exit 0 "macOS CLI backends" --json pkg search hello --manager macports,mas
expect_json 'all(m["status"] == "ok" for m in d["managers"]) and len(d["managers"]) == 2' "macOS managers ok"
ZSYNCCTL_OS=freebsd expect_exit 0 "FreeBSD CLI backend" --json pkg search hello --manager pkg
expect_json 'd["managers"][0]["status"] == "ok" and d["managers"][0]["count"] > 0' "FreeBSD pkg ok"
expect_exit 3 "a manager of another system (nothing could search)" --json pkg search hello --manager mas
expect_json 'd["managers"][0]["status"] == "skipped" and "not detected" in d["managers"][0]["error"]' "mas on Linux: skipped, not detected"
expect_json 'sorted(d.keys()) == ["managers", "query", "results"] and d["query"] == "hello"' "document shape"
expect_json 'all(sorted(m.keys()) == ["count","elapsed_ms","error","name","status","total"] for m in d["managers"])' "manager shape"
# --json is printed a result at a time (never the whole document in memory) with the bytes of the whole
# document laid out at once: Python's own layout of the same value (2 spaces, sorted keys) is the oracle.
expect_exit 0 "every CLI backend, layout" --json pkg search hello --manager "$all"
if printf '%s' "$OUT" | python3 -c "import json,sys; t=sys.stdin.read(); sys.exit(0 if t == json.dumps(json.loads(t), indent=2, sort_keys=True, ensure_ascii=False) and len(json.loads(t)['results']) > 10 else 1)"; then
    ok
else
    fail "--json streamed: layout differs from the whole document's"
fi
expect_exit 3 "no result, layout" --json pkg search hello --manager mas
if printf '%s' "$OUT" | python3 -c "import json,sys; t=sys.stdin.read(); sys.exit(0 if t == json.dumps(json.loads(t), indent=2, sort_keys=True, ensure_ascii=False) and json.loads(t)['results'] == [] else 1)"; then
    ok
else
    fail "--json with no results: layout differs"
fi
expect_contains "$(cat "$SCRATCH/dnf.argv")" "C --quiet --assumeno search hello" "dnf runs with LC_ALL=C and non-interactive flags"
expect_contains "$(cat "$SCRATCH/zypper.argv")" "--non-interactive" "zypper non-interactive"

# --exact narrows what the manager's own search returned; --limit caps per manager.
expect_exit 0 "exact" --json pkg search hello --manager dnf,apk --exact
expect_json 'sorted(r["name"] for r in d["results"]) == ["hello", "hello"]' "exact names only"
expect_exit 0 "limit" --json pkg search hello --manager cargo --limit 1
expect_json 'len(d["results"]) == 1' "limit 1"

# Plain lines when not on a terminal, failures in the footer on stderr.
expect_exit 0 "plain output" pkg search hello --manager cargo,pip
expect_contains "$OUT" "cargo hello 0.1.0 - A hello world crate" "plain line"
expect_contains "$ERR" "pip: skipped (unsupported: PyPI has no search API" "pip is unsupported, not faked"

# JSON lines: one object per result.
expect_exit 0 "json lines" pkg search hello --manager cargo,gem --json-lines
n=$(printf '%s\n' "$OUT" | python3 -c 'import json,sys; print(sum(1 for l in sys.stdin if json.loads(l)["manager"] in ("cargo","gem") and json.loads(l)["type"] == "result"))')
[ "$n" = 6 ] && ok || fail "json-lines: wanted 6 objects, got $n: $OUT"
# ... and one status record per manager, after its results.
printf '%s\n' "$OUT" | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin]
st = [l for l in lines if l["type"] == "status"]
assert sorted((s["manager"], s["status"], s["count"]) for s in st) == [("cargo", "ok", 3), ("gem", "ok", 3)], st
for s in st:
    i = lines.index(s)
    assert all(l["type"] == "result" for l in lines[:i] if l["manager"] == s["manager"])
' && ok || fail "json-lines status records: $OUT"

# Malformed, truncated and non-UTF-8 output: per-manager errors or partial results, never a crash.
python3 -c 'import sys; t=open(sys.argv[1]).read(); sys.stdout.write(t[:t.index("hello-world-npm")+5])' "$FIX/cli/npm-json.out" >"$SCRATCH/npm-trunc.out"
printf 'hello = "1.0"  # caf\xff\xfe desc\n' >"$SCRATCH/cargo-bad.out"
cat >"$BIN/npm" <<SH
#!/bin/sh
cat "$SCRATCH/npm-trunc.out"
SH
cat >"$BIN/gem" <<SH
#!/bin/sh
printf 'Segmentation fault\n\001\002 garbage\n'
exit 3
SH
cat >"$BIN/cargo" <<SH
#!/bin/sh
cat "$SCRATCH/cargo-bad.out"
SH
printf '<?xml version="1.0"?>\n<stream>\n<solvable-list>\n<solvable status="not-installed" name="hello" summary="x" kind="package" edition="1"/>\n<solvable status="inst' >"$SCRATCH/zy.out"
cat >"$BIN/zypper" <<SH
#!/bin/sh
cat "$SCRATCH/zy.out"
SH
chmod +x "$BIN/npm" "$BIN/gem" "$BIN/cargo" "$BIN/zypper"
expect_exit 0 "damaged outputs" --json pkg search hello --manager npm,gem,cargo,zypper,apk
expect_json '[m for m in d["managers"] if m["name"] == "npm"][0]["status"] == "ok" and "partial" in [m for m in d["managers"] if m["name"] == "npm"][0]["error"]' "truncated npm JSON: partial"
expect_json '[m for m in d["managers"] if m["name"] == "gem"][0]["status"] == "error" and "exit code 3" in [m for m in d["managers"] if m["name"] == "gem"][0]["error"]' "gem failure reported"
expect_json '[r for r in d["results"] if r["manager"] == "cargo"][0]["description"] == "caf\ufffd\ufffd desc"' "non-UTF-8 repaired"
expect_json '[m for m in d["managers"] if m["name"] == "zypper"][0]["count"] == 1' "truncated zypper XML keeps the complete solvable"
expect_json '[m for m in d["managers"] if m["name"] == "apk"][0]["status"] == "ok"' "others unaffected"
# rustup's cargo shim without a toolchain (recorded on this machine): the reason is its error line, not the
# last frame of the backtrace it prints after it.
cat >"$BIN/cargo" <<'SH'
#!/bin/sh
printf '%s\n' "error: rustup could not choose a version of cargo to run, because one wasn't specified explicitly, and no default is configured." \
    "help: run 'rustup default stable' to download the latest stable release of Rust and set it as your default toolchain." \
    "" "Stack backtrace:" "   0: anyhow::error::<impl core::convert::From<E> for anyhow::Error>::from" "  12: <unknown>" >&2
exit 1
SH
chmod +x "$BIN/cargo"
expect_exit 3 "rustup shim without a toolchain" --json pkg search hello --manager cargo
expect_json 'd["managers"][0]["status"] == "error" and "rustup default stable" in d["managers"][0]["error"]' "cargo: the reason, not a backtrace frame"

# Timeout: a hung manager is reported as timeout at the deadline and the search still returns.
cat >"$BIN/guix" <<SH
#!/bin/sh
echo \$\$ >"$SCRATCH/guix.pid"
sleep 60
SH
chmod +x "$BIN/guix"
start=$(date +%s%N)
expect_exit 0 "timeout" --json pkg search hello --manager guix,apk --timeout 1
took=$(( ($(date +%s%N) - start) / 1000000 ))
expect_json '[m for m in d["managers"] if m["name"] == "guix"][0]["status"] == "timeout"' "hung manager is timeout"
expect_json '[m for m in d["managers"] if m["name"] == "apk"][0]["count"] == 3' "other manager still answered"
[ "$took" -lt 4000 ] && ok || fail "timeout search took ${took} ms"
pid=$(cat "$SCRATCH/guix.pid")
if kill -0 "$pid" 2>/dev/null; then fail "timed-out manager $pid still running"; else ok; fi

# Race: the fast manager wins, the slow one is cancelled and its processes are gone (no orphan/zombie).
cat >"$BIN/nix" <<SH
#!/bin/sh
echo \$\$ >"$SCRATCH/nix.pid"
sleep 60 &
echo \$! >"$SCRATCH/nix-child.pid"
wait
SH
chmod +x "$BIN/nix"
start=$(date +%s%N)
expect_exit 0 "race" --json pkg search hello --manager nix,apk --race --timeout 20
took=$(( ($(date +%s%N) - start) / 1000000 ))
expect_json '[m for m in d["managers"] if m["name"] == "apk"][0]["status"] == "ok"' "fast manager wins"
expect_json '[m for m in d["managers"] if m["name"] == "nix"][0]["status"] == "cancelled"' "slow manager cancelled"
expect_json 'all(r["manager"] == "apk" for r in d["results"])' "only the winner's results"
[ "$took" -lt 5000 ] && ok || fail "race took ${took} ms"
for f in nix.pid nix-child.pid; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$SCRATCH/$f" ] && break; sleep 0.1; done
    p=$(cat "$SCRATCH/$f" 2>/dev/null)
    if [ -n "$p" ] && [ -e "/proc/$p" ]; then fail "race loser process $p ($f) still exists: $(cat /proc/$p/status 2>/dev/null | head -3)"; else ok; fi
done

# Lock groups: dnf and yum share the rpm database lock and never overlap.
for m in dnf yum; do
    cat >"$BIN/$m" <<SH
#!/bin/sh
echo "start \$(date +%s%N)" >>"$SCRATCH/lock.log"
sleep 0.3
cat "$FIX/cli/dnf.out"
echo "end \$(date +%s%N)" >>"$SCRATCH/lock.log"
SH
    chmod +x "$BIN/$m"
done
rm -f "$SCRATCH/lock.log"
expect_exit 0 "lock group" --json pkg search hello --manager dnf,yum,apk
python3 - "$SCRATCH/lock.log" <<'PY' && ok || fail "dnf and yum overlapped: $(cat "$SCRATCH/lock.log")"
import sys
ev = [l.split() for l in open(sys.argv[1])]
assert [e[0] for e in ev] == ["start", "end", "start", "end"], ev
PY

# On a terminal: live lines per manager, then a table grouped by manager with the installed mark.
if command -v script >/dev/null; then
    tty_out=$(timeout -k 2 10 script -qec "$ZSYNCCTL pkg search hello --manager xbps,apk,pip --color never" /dev/null 2>&1)
    tty_code=$?
    [ "$tty_code" = 0 ] && ok || fail "tty search exit $tty_code"
    expect_contains "$tty_out" "xbps (2)" "tty table groups by manager"
    expect_contains "$tty_out" "3 results" "tty live line shows the count"
    expect_contains "$tty_out" "✓ hello" "tty table shows the installed mark"
    expect_contains "$tty_out" "pip: skipped" "tty footer"
fi

# Piped, the plain lines carry no escape bytes; --color always paints them as the terminal's table does
# (name bold, installed mark green), for a pager with -R.
expect_exit 0 "piped search" pkg search hello --manager xbps
case "$OUT" in
*$'\e'*) fail "piped search printed escape bytes: $OUT" ;;
*) expect_contains "$OUT" "xbps hello 2.12.1_1 [installed] - GNU Hello program" "piped plain line" ;;
esac
expect_exit 0 "piped search, --color always" --color always pkg search hello --manager xbps
expect_contains "$OUT" $'xbps \e[1mhello\e[0m 2.12.1_1 \e[32m[installed]\e[0m - GNU Hello' "--color always piped"
NO_COLOR=1 expect_exit 0 "piped search, NO_COLOR and --color always" --color always pkg search hello --manager xbps
expect_contains "$OUT" $'\e[1mhello' "--color always wins over NO_COLOR"

# Usage errors exit 2.
expect_exit 2 "empty query" pkg search ""
# A query starting with '-' after --: searched by the native readers; never handed to a command manager.
expect_exit 3 "dash query" --json pkg search --manager dnf,apk -- -rf
expect_json 'all(m["status"] == "skipped" and "as an option" in m["error"] for m in d["managers"])' "dash query: command managers skipped, not run"
# Without '--', and with options written after it: exit 2 and a hint whose command works as given.
for words in "pkg search --manager dnf,apk -rf" "pkg search -- -rf --manager dnf,apk" "--json pkg search --exact -rf"; do
    # shellcheck disable=SC2086 # words on purpose
    expect_exit 2 "dash query without --: $words" $words
    hint=$(printf '%s\n' "$ERR" | sed -n "s/^hint: .*options before it: zsyncctl //p")
    [ -n "$hint" ] && ok || fail "no '--' hint for: $words ($ERR)"
    eval "set -- $hint"
    run_z "$@"
    [ "$CODE" != 2 ] && ok || fail "the hinted command '$hint' is refused too: $ERR"
done
# A typo'd option after a real query is a typo, not a dash query.
expect_exit 2 "unknown option" pkg search hello -x
case "$ERR" in *"goes after '--'"*) fail "typo'd option got the dash-query hint: $ERR" ;; *) ok ;; esac
# A command that takes no query or name has no dash query: an unknown option gets the usage hint, which
# names the command's own help.
for words in "pkg managers --bogus" "version -x"; do
    # shellcheck disable=SC2086 # words on purpose
    expect_exit 2 "unknown option of a command without operands: $words" $words
    case "$ERR" in *"goes after '--'"*) fail "'$words' got the dash-query hint: $ERR" ;; *"zsyncctl ${words% *} --help"*) ok ;; *) fail "'$words': no usage hint: $ERR" ;; esac
done
expect_exit 2 "unknown manager" pkg search hello --manager nosuch
expect_contains "$ERR" "unknown manager 'nosuch'" "an unknown manager is named"
# A manager zsyncctl lists but cannot search is not "unknown".
expect_exit 2 "a manager without a search" pkg search hello --manager pnpm
expect_contains "$ERR" "pnpm has no package search" "pnpm is known, not searchable"
expect_exit 2 "bad timeout" pkg search hello --timeout 0
expect_contains "$ERR" "more than 0 and at most 86400 seconds" "--timeout 0 says what is allowed"
# Nothing found exits 1.
printf '' >"$SCRATCH/empty.out"
cat >"$BIN/choco" <<SH
#!/bin/sh
exit 0
SH
chmod +x "$BIN/choco"
ZSYNCCTL_OS=windows expect_exit 1 "nothing found" pkg search hello --manager chocolatey
expect_contains "$ERR" "no package matches" "nothing found message"

# ---- One detection. Every stub on PATH records that it ran; under --root none may run.
managers_of() { python3 -c 'import json,sys; d=json.load(sys.stdin); d=d["managers"] if isinstance(d, dict) else d; print(" ".join(sorted(m["name"] for m in d)))'; }
for f in "$BIN"/*; do
    printf '#!/bin/sh\necho "$(basename "$0") $*" >>"%s/host-ran.log"\nexit 0\n' "$SCRATCH" >"$f"
done
rm -f "$SCRATCH/host-ran.log"
# An empty root: nothing detected, nothing searched.
E="$SCRATCH/emptyroot"
mkdir -p "$E"
expect_exit 0 "empty root: managers" --no-cache --root "$E" --json pkg managers
expect_json 'd == []' "empty root: no manager detected"
expect_exit 1 "empty root: search" --no-cache --root "$E" --json pkg search zzzz
expect_json 'd["managers"] == [] and d["results"] == []' "empty root: no manager searched"
# A root with pacman (no sync database), apt (no lists), dnf and npm: all four appear in the search report,
# skipped with their reasons, and none of the root's executables runs (each would leave a file).
F="$SCRATCH/fakeroot"
mkdir -p "$F/usr/bin" "$F/var/lib/pacman/local" "$F/var/lib/dpkg"
for exe in pacman apt-get dnf npm; do
    printf '#!/bin/sh\ntouch "%s/root-ran-%s"\n' "$SCRATCH" "$exe" >"$F/usr/bin/$exe"
    chmod +x "$F/usr/bin/$exe"
done
expect_exit 0 "fake root: managers" --no-cache --root "$F" --json pkg managers
detected=$(printf '%s' "$OUT" | managers_of)
expect_contains " $detected " " pacman " "pacman detected in the fake root"
expect_exit 3 "fake root: search (nothing could search)" --no-cache --root "$F" --json pkg search zzzz
searched=$(printf '%s' "$OUT" | managers_of)
[ -n "$detected" ] && [ "$searched" = "$detected" ] && ok || fail "search covers [$searched], detection found [$detected]"
expect_json '[m for m in d["managers"] if m["name"] == "pacman"][0]["status"] == "skipped"' "pacman without sync db: skipped"
expect_json '"run zsyncctl pkg refresh -m pacman" in [m for m in d["managers"] if m["name"] == "pacman"][0]["error"]' "pacman: the reason says what to run"
expect_json '"apt-get update" in [m for m in d["managers"] if m["name"] == "apt"][0]["error"]' "apt without lists: the reason"
expect_json 'all(m["status"] == "skipped" and m["error"] == "command managers are not run under --root" for m in d["managers"] if m["name"] in ("dnf", "npm"))' "command managers skipped under --root"
# The same with the detection cache, and with managers named explicitly.
expect_exit 3 "fake root: search (cached detection)" --root "$F" --json pkg search zzzz
expect_exit 3 "fake root: named managers" --root "$F" --json pkg search zzzz --manager dnf,apk
expect_json 'all(m["status"] == "skipped" for m in d["managers"])' "named command managers skipped under --root"
# A Linux root holding only /opt/homebrew/bin/brew: detection finds no Homebrew, so search does not either.
H="$SCRATCH/brewroot"
mkdir -p "$H/opt/homebrew/bin"
printf '#!/bin/sh\ntouch "%s/root-ran-brew"\n' "$SCRATCH" >"$H/opt/homebrew/bin/brew"
chmod +x "$H/opt/homebrew/bin/brew"
expect_exit 0 "brew root: managers" --no-cache --root "$H" --json pkg managers
detected=$(printf '%s' "$OUT" | managers_of)
expect_exit 1 "brew root: search" --no-cache --root "$H" --json pkg search zzzz
searched=$(printf '%s' "$OUT" | managers_of)
[ "$searched" = "$detected" ] && ok || fail "brew root: search covers [$searched], detection found [$detected]"
case " $searched " in *" homebrew "*) fail "Homebrew searched in a root where detection finds none" ;; *) ok ;; esac
if [ -e "$SCRATCH/host-ran.log" ]; then fail "a host manager ran under --root: $(cat "$SCRATCH/host-ran.log")"; else ok; fi
ran=$(ls "$SCRATCH" | grep '^root-ran-' || true)
[ -z "$ran" ] && ok || fail "executables inside the root ran: $ran"
# On the host root the same stubs are detected and run.
TIMEOUT=30 expect_exit 1 "host root: default search runs the detected stubs" --json pkg search zzzz --timeout 10
# (the stub prints nothing, also for the enabled-repositories check an empty search makes: no repositories)
expect_json 'any(m["name"] == "dnf" and m["status"] == "no_repositories" for m in d["managers"])' "dnf detected on PATH and searched"
grep -q '^dnf .*search zzzz' "$SCRATCH/host-ran.log" && grep -q '^dnf .*repolist --enabled' "$SCRATCH/host-ran.log" && ok ||
    fail "dnf's search and its repository check did not run: $(cat "$SCRATCH/host-ran.log" 2>/dev/null)"
expect_contains "$(cat "$SCRATCH/host-ran.log" 2>/dev/null)" "dnf" "the detected dnf ran"

finish
