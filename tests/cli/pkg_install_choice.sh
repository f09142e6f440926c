#!/bin/bash
# pkg install/remove without --manager or M:NAME: the names are looked up with the search machinery
# (exact names) over the detected managers, here fake dnf and apk on an otherwise empty PATH and root.
# One manager has them: it is used. Several: exit 2 with the list, or a numbered choice on a terminal
# (a real pseudo-terminal driven by pty_drive.py). None: exit 1.
. "$TESTS_DIR/lib.sh"

BIN="$SCRATCH/bin"
mkdir -p "$BIN" "$SCRATCH/emptyroot"
# The host root (commands are not run under --root), HOME and PATH holding nothing but the fakes.
export HOME="$SCRATCH/home"
mkdir -p "$HOME"
export MARKER="$SCRATCH/marker"
# fake MANAGER PRINTF-FORMAT: searches print one line per name in $FAKE_<MANAGER>_HAS that equals the
# query; dnf's repolist lists one repository; anything else is an install/remove, recorded in $MARKER.
fake() {
    cat >"$BIN/$1" <<SH
#!/bin/sh
case " \$* " in
*" search "*)
    [ -n "\$FAKE_SEARCH_DELAY" ] && [ "$1" = apk ] && sleep "\$FAKE_SEARCH_DELAY"
    for q; do :; done
    for n in \$FAKE_$(echo "$1" | tr a-z A-Z)_HAS; do
        [ "\$n" = "\$q" ] && printf '$2' "\$n"
    done
    exit 0 ;;
*" repolist "*) # dnf's enabled repositories (asked when a search found nothing): one, read-only
    printf 'fake  Fake repository\n'
    exit 0 ;;
*" --assumeno "*) # dnf's simulation: the transaction table, then the refused question
    for q; do :; done
    printf 'Installing:\n %s  noarch  1.0  fake  1 k\n\nOperation aborted.\n' "\$q"
    exit 1 ;;
esac
echo "$1 \$*" >>"$MARKER"
echo "installing \$*"
exit 0
SH
    chmod +x "$BIN/$1"
}
fake dnf '%s.noarch : a package\n'
fake apk '%s-1.0-r0 - a package\n'
# Only the fakes and the few tools the test itself needs are on PATH (a real manager at a well-known
# place is still detected, but has none of the zs-* names).
TOOLS="$SCRATCH/tools"
mkdir -p "$TOOLS"
for t in timeout cat head rm env; do ln -s "$(command -v "$t")" "$TOOLS/$t"; done
ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$TOOLS/python3" # not a pyenv shim
export PATH="$BIN:$TOOLS"
export FAKE_DNF_HAS="zs-one zs-two zs-a zs-b" FAKE_APK_HAS="zs-two zs-a"

# --- exactly one manager has it: used, and said so
TIMEOUT=30 expect_exit 0 "one candidate (dry run)" --json pkg install --dry-run zs-one
expect_json "d['manager']=='dnf' and d['chosen_by']=='search' and d['candidates']==['dnf'] and d['argv'][-1]=='zs-one'" "search chose dnf"
TIMEOUT=30 expect_exit 0 "one candidate (text)" pkg install --yes zs-one
expect_contains "$ERR" "using dnf: the only detected manager that has zs-one" "the choice is said"
# The root is not the host's: the manager operates on it with its root option from the registry.
expect_contains "$(cat "$MARKER")" "dnf -y install zs-one" "dnf installed it"
TIMEOUT=30 expect_exit 2 "one candidate (json) without --yes is refused" --json pkg install zs-one
expect_json "'without confirmation' in d['error'] and d['exit_code']==2" "the refusal is one JSON error object"
TIMEOUT=30 expect_exit 0 "one candidate (json)" --json pkg install --yes zs-one
expect_contains "$(printf '%s' "$OUT" | head -n1)" '"event":"manager"' "JSON says which manager first"
expect_contains "$OUT" '"chosen_by":"search"' "JSON says how it was chosen"
TIMEOUT=30 expect_exit 0 "all names of several: only dnf has both" --json pkg install -n zs-a zs-b
expect_json "d['manager']=='dnf' and d['names']==['zs-a','zs-b']" "multi-name choice"

# --- several managers have it: not on a terminal, exit 2 with the candidates, nothing runs
rm -f "$MARKER"
TIMEOUT=30 expect_exit 2 "several candidates" pkg install zs-two
expect_contains "$ERR" "several package managers have zs-two: dnf, apk" "candidates listed"
expect_contains "$ERR" "--manager" "hint names --manager"
TIMEOUT=30 expect_exit 2 "several candidates (json)" --json pkg install zs-two
expect_json "d['candidates']==['dnf','apk'] and d['names']==['zs-two'] and d['exit_code']==2" "JSON candidates"
TIMEOUT=30 expect_exit 2 "several candidates, --yes does not pick one" pkg install --yes zs-two
[ -e "$MARKER" ] && fail "a manager ran without a choice: $(cat "$MARKER")" || ok

# --- nobody has it: exit 1, a clear message naming what was searched
TIMEOUT=30 expect_exit 1 "no candidate" pkg install zs-none
expect_contains "$ERR" "no detected package manager has zs-none" "not found message"
# The host root: managers at their well-known places (/usr/bin/apt-get, ...) are detected and searched too.
searched=${ERR#*searched: }
searched=${searched%%;*}
case ", $searched, " in *", dnf, "*", apk, "*) ok ;; *) fail "the searched managers are named: got [$searched]" ;; esac
TIMEOUT=30 expect_exit 1 "not all names anywhere" pkg install zs-one zs-none
expect_contains "$ERR" "has all of zs-one zs-none" "multi-name not found"
[ -e "$MARKER" ] && fail "a manager ran: $(cat "$MARKER")" || ok

# --- on a terminal: a numbered list, the user's choice is used (no further confirmation)
DRIVE="$TESTS_DIR/pty_drive.py"
python3 "$DRIVE" "$SCRATCH/tty1" --expect "Choose 1-2" --send '2\r' -- "$ZSYNCCTL" pkg install zs-two
code=$?
[ "$code" -eq 0 ] && ok || fail "terminal choice exited $code: $(cat "$SCRATCH/tty1")"
expect_contains "$(cat "$SCRATCH/tty1")" "1) dnf" "numbered list"
expect_contains "$(cat "$SCRATCH/tty1")" "2) apk" "numbered list, second entry"
expect_contains "$(cat "$MARKER" 2>/dev/null)" "apk --no-progress add zs-two" "the chosen manager ran"
rm -f "$MARKER"
python3 "$DRIVE" "$SCRATCH/tty2" --expect "Choose 1-2" --send 'x\r' --expect "not one of the numbers" --send '\r' -- "$ZSYNCCTL" pkg install zs-two
code=$?
[ "$code" -eq 1 ] && ok || fail "cancelled choice exited $code: $(cat "$SCRATCH/tty2")"
expect_contains "$(cat "$SCRATCH/tty2")" "nothing done" "cancelled choice"
[ -e "$MARKER" ] && fail "a manager ran after the choice was cancelled: $(cat "$MARKER")" || ok

# --- on a terminal the search shows pkg search's per-manager board while it runs: a spinner and
# "searching" for apk (slow here), then each manager's outcome, redrawn in place, before the choice.
FAKE_SEARCH_DELAY=2 python3 "$DRIVE" "$SCRATCH/tty3" --expect "searching" -- "$ZSYNCCTL" --color never pkg install -n zs-one
code=$?
[ "$code" -eq 0 ] && ok || fail "install-by-search on a terminal exited $code: $(cat "$SCRATCH/tty3")"
python3 - "$SCRATCH/tty3" <<'PY' && ok || fail "no search board during install-by-search: $(od -c "$SCRATCH/tty3" | head -40)"
import re, sys
t = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
spin = re.search(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] apk +searching", t)
done_apk = re.search(r"✓ apk +0 results +[0-9.]+s", t)
done_dnf = re.search(r"✓ dnf +1 result +[0-9.]+s", t)
redraw = re.search(r"\x1b\[\d+A", t)
using = t.find("using dnf")
sys.exit(0 if spin and done_apk and done_dnf and redraw and spin.start() < done_apk.start() < using else 1)
PY
# Not on a terminal (stderr is a file): no board, no escape sequences.
TIMEOUT=30 expect_exit 0 "no board off a terminal" pkg install -n zs-one
case "$ERR" in *$'\e'*|*searching*) fail "a board off a terminal: $ERR" ;; *) ok ;; esac

finish
