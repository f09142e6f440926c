#!/usr/bin/env bash
# The everyday surface as a user meets it: every exit status zsyncctl(1) documents is triggered and is the
# one the program gives; --json is honoured or refused (exit 2), never ignored; `pkg search --race` says
# the managers it did not need once, quietly; `-v pkg search` shows the commands and their timings.
. "$(dirname "$0")/lib.sh"

FIX="$SOURCE_ROOT/tests/fixtures/search"
BIN="$SCRATCH/bin"
mkdir -p "$BIN" "$SCRATCH/home"
export PATH="$BIN:/usr/bin:/bin" HOME="$SCRATCH/home"
export https_proxy=http://127.0.0.1:9 # the fakes answer offline: no registry-host DNS check

# fake NAME FILE [SLEEP] [EXIT]: a manager that prints a recorded real-format output.
fake() {
    cat >"$BIN/$1" <<SH
#!/bin/sh
sleep ${3:-0}
cat "$2"
exit ${4:-0}
SH
    chmod +x "$BIN/$1"
}
fake apk "$FIX/cli/apk.out"
fake dnf "$FIX/cli/dnf.out" 30
fake xbps-query /dev/null         # finds nothing
fake flatpak /dev/null 0 5        # fails

man_text=$(MANWIDTH=200 groff -man -Tutf8 -P-cbou "$SOURCE_ROOT/man/zsyncctl.1" 2>/dev/null)
# The EXIT STATUS section's codes.
documented=$(printf '%s\n' "$man_text" | sed -n '/^EXIT STATUS/,/^ENVIRONMENT/p' | grep -oE '^ {7}[0-9]+(, [0-9]+)*( |$)' | tr -d ' ' | tr ',' '\n' | sort -n)
[ -n "$documented" ] && ok || fail "no codes found in EXIT STATUS"

# triggered CODE: records that CODE was produced by a real run below.
declare -A seen=()
check_exit() { # WANT WHAT ARGS...
    local want=$1 what=$2
    shift 2
    run_z "$@"
    [ "$CODE" = "$want" ] && ok || fail "$what: exit $CODE, wanted $want (${ERR:0:300})"
    [ "$CODE" = "$want" ] && seen[$want]=1
}
check_exit 0 "success" version
check_exit 1 "a failed download" fetch file:///nonexistent/zsyncctl-test
check_exit 1 "a search that found nothing" pkg search zzz-not-there -m xbps
check_exit 2 "usage error" nosuchcommand
check_exit 2 "bad input: not a URL" fetch notaurl
check_exit 2 "bad input: ftp://" fetch ftp://example.invalid/x
check_exit 2 "bad input: a device for -o" fetch -o /dev/null file:///etc/hostname
check_exit 2 "bad input: empty query" pkg search ""
check_exit 2 "bad input: unknown check" doctor no.such.check
check_exit 2 "bad input: missing --root" --root "$SCRATCH/missing" doctor
ZSYNCCTL_OS=bogusos check_exit 2 "bad input: ZSYNCCTL_OS" pkg managers
ZSYNCCTL_ARCH=bogus check_exit 2 "bad input: ZSYNCCTL_ARCH" doctor
check_exit 2 "bad input: non-loopback serve" serve --listen 192.0.2.1:80
check_exit 3 "no manager could search" pkg search hello -m flatpak
# pkg outdated: 0 when nothing is, 100 when something is (the fixture root with a newer zs-alpha published).
check_exit 0 "nothing outdated" --root "$FIX/apt/root" pkg outdated -m apt
cp -r "$FIX/apt/root" "$SCRATCH/outdated-root"
printf '\n\nPackage: zs-alpha\nVersion: 2.0-1\nArchitecture: all\nDescription: alpha, newer\n' \
    >>"$SCRATCH/outdated-root/var/lib/apt/lists/example_bookworm_plain_Packages"
check_exit 100 "something outdated" --root "$SCRATCH/outdated-root" pkg outdated -m apt

# Signals: 128 + the signal's number, while a (fake) manager runs.
for pair in INT:130 TERM:143 HUP:129 QUIT:131; do
    sig=${pair%%:*}
    want=${pair##*:}
    timeout -k 2 20 "$ZSYNCCTL" --no-cache pkg search hello -m dnf >/dev/null 2>"$SCRATCH/sig.err" &
    zpid=$!
    for _ in $(seq 50); do pgrep -f "$BIN/dnf" >/dev/null && break; sleep 0.1; done
    kill -"$sig" "$zpid" 2>/dev/null
    wait "$zpid"
    code=$?
    [ "$code" = "$want" ] && ok || fail "SIG$sig: exit $code, wanted $want ($(head -c 300 "$SCRATCH/sig.err"))"
    [ "$code" = "$want" ] && seen[$want]=1
done
# The reader of stdout leaves.
timeout -k 2 20 "$ZSYNCCTL" --no-cache pkg search hello -m dnf -m apk --json-lines 2>/dev/null | head -1 >/dev/null
code=${PIPESTATUS[0]}
[ "$code" = 141 ] && ok || fail "| head -1: exit $code, wanted 141"
[ "$code" = 141 ] && seen[141]=1

for c in $documented; do
    [ -n "${seen[$c]:-}" ] && ok || fail "exit status $c is documented in zsyncctl(1) but no run here gave it"
done
# Each --help's exit-status line names only documented codes.
for cmd in "" "pkg search" "pkg install" "pkg upgrade" "pkg refresh" "pkg info" "fetch" "doctor" "pkg paths" "serve"; do
    # shellcheck disable=SC2086
    line=$("$ZSYNCCTL" $cmd --help | sed -n '/^Exit status:/,/^[A-Z][a-z]* [a-z]/p' | tr '\n' ' ')
    for c in $(printf '%s' "$line" | grep -oE '\b[0-9]{1,3}\b' | sort -u); do
        printf '%s\n' "$documented" | grep -qx "$c" && ok || fail "'$cmd --help' names exit status $c, which EXIT STATUS lacks"
    done
done

# --json is honoured or refused with exit 2, never ignored; the man page says which.
check_exit 2 "--json completion" --json completion bash
expect_contains "$ERR" "--json does not apply" "completion says why"
check_exit 2 "--json pkg paths --shell" --json pkg paths --shell bash
check_exit 2 "--json fetch -o -" --json fetch -o - file:///etc/hostname
check_exit 0 "--json fetch without -o" --json fetch file:///etc/hostname
expect_json "d['bytes'] == $(stat -c %s /etc/hostname) and d['output'] is None" "fetch --json prints the result, not the body"
check_exit 0 "--json --version" --json --version
expect_json "'version' in d" "--json --version is JSON"
intro=$(printf '%s\n' "$man_text" | sed -n '/^DESCRIPTION/,/^GLOBAL OPTIONS/p' | tr -s ' \n' ' ')
expect_contains "$intro" "pkg paths --shell, which print shell code, and fetch -o - (the body on standard output) refuse it (exit 2)" "man page: which commands refuse --json"

# --race: the managers not needed are one quiet line, not a failure each.
run_z pkg search hello -m apk -m dnf --race --timeout 20
[ "$CODE" = 0 ] && ok || fail "race: exit $CODE ($ERR)"
expect_contains "$ERR" "not needed, apk answered first: dnf" "race: the loser in one line"
case $ERR in *cancel*) fail "race: a loser reported as cancelled: $ERR" ;; *) ok ;; esac
if [ -x "$TESTS_DIR/pty_drive.py" ]; then
    PTY_DEADLINE=30 "$TESTS_DIR/pty_drive.py" "$SCRATCH/race.txt" -- \
        env PATH="$PATH" HOME="$HOME" https_proxy="$https_proxy" "$ZSYNCCTL" --color always pkg search hello -m apk -m dnf --race --timeout 20 >/dev/null 2>&1
    tty=$(cat "$SCRATCH/race.txt")
    case $tty in *✗*) fail "race on a terminal: a loser marked ✗: $tty" ;; *) ok ;; esac
    expect_contains "$tty" "not needed" "race on a terminal: the loser is 'not needed'"
fi
# A lone manager never waited for a lock group: no "timed out after 0 ms".
run_z pkg search hello -m apk --race
case $ERR in *"after 0 ms"*) fail "lone manager: $ERR" ;; *) ok ;; esac

# The same with the real apt (its native reader over the host's lists), alone in its lock group.
if command -v apt-get >/dev/null; then
    TIMEOUT=60 run_z pkg search zsync -m apt --race
    case $ERR in *"timed out"* | *"after 0 ms"*) fail "lone apt with --race: $ERR" ;; *) ok ;; esac
fi

# -v: the command each manager ran and how long it took.
run_z -v pkg search hello -m apk
expect_contains "$ERR" "apk: $BIN/apk" "-v shows the command run"
printf '%s\n' "$ERR" | grep -qE '^apk: .*\[ok, 3 results, [0-9.]+ ?s\]' && ok || fail "-v shows status, count and time: $ERR"

finish
