#!/usr/bin/env bash
# The CLI shell: --help/--version/every subcommand's --help must return promptly, every time (the seed's
# runtime hung after --help); usage errors are one line and exit 2.
. "$(dirname "$0")/lib.sh"

# Subcommand paths ("doctor", "pkg search", ...) discovered from the binary's own help.
list_subcommands() {
    local prefix=$1
    # shellcheck disable=SC2086
    "$ZSYNCCTL" $prefix --help 2>/dev/null | awk '/^Subcommands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{on=0}'
}
paths=()
queue=("")
while [ "${#queue[@]}" -gt 0 ]; do
    cur=${queue[0]}
    queue=("${queue[@]:1}")
    for sub in $(list_subcommands "$cur"); do
        p="${cur:+$cur }$sub"
        paths+=("$p")
        queue+=("$p")
    done
done
[ "${#paths[@]}" -ge 1 ] && ok || fail "no subcommands found in --help"

ROUNDS=${ROUNDS:-25}
for round in $(seq "$ROUNDS"); do
    TIMEOUT=2 expect_exit 0 "--help round $round" --help
    TIMEOUT=2 expect_exit 0 "--version round $round" --version
    for p in "${paths[@]}"; do
        # shellcheck disable=SC2086
        TIMEOUT=2 expect_exit 0 "$p --help round $round" $p --help
    done
done

run_z --version
expect_contains "$OUT" "zsyncctl " "--version names the program"
expect_contains "$OUT" "io_uring:" "--version says whether io_uring is compiled in"
expect_contains "$OUT" "compiler:" "--version names the compiler"
expect_contains "$OUT" "build type:" "--version names the build type"

run_z --json version
expect_json "d['version'] and 'io_uring' in d and 'git_revision' in d" "version --json"

# Usage errors: one error line plus a hint, exit 2.
expect_exit 2 "unknown option" --no-such-option
expect_contains "$ERR" "zsyncctl: error:" "usage error format"
[ "$(printf '%s\n' "$ERR" | grep -c '^zsyncctl: error:')" -eq 1 ] && ok || fail "exactly one error line: $ERR"
expect_contains "$ERR" "hint:" "usage error hint"
expect_exit 2 "unknown subcommand" no-such-command
expect_exit 2 "bad --color value" --color purple version
expect_exit 2 "bad --io-backend value" --io-backend kqueue version

# Ctrl-D at a confirmation (with or without an answer typed first): "nothing done" on a line of its own.
# Nothing runs: the question comes after apt's own simulation (apt-get -s), before any real run or sudo.
# It needs a package apt can resolve and that is not installed (sl, from the host's lists).
command -v apt-get >/dev/null || skip_confirm=1
apt-cache show sl >/dev/null 2>&1 || skip_confirm=1
[ "$(dpkg-query -W -f '${db:Status-Status}' sl 2>/dev/null)" = installed ] && skip_confirm=1
for keys in '\x04' 'n\x04\x04'; do
    [ -n "${skip_confirm:-}" ] && break
    PTY_DEADLINE=30 python3 "$TESTS_DIR/pty_drive.py" "$SCRATCH/confirm.out" --expect '[Y/n] ' --send "$keys" \
        -- "$ZSYNCCTL" pkg install apt:sl >/dev/null 2>&1
    code=$?
    [ "$code" -eq 1 ] && ok || fail "Ctrl-D ($keys) at the confirmation: exit $code"
    grep -qE $'^nothing done\r?$' "$SCRATCH/confirm.out" && ok ||
        fail "Ctrl-D ($keys): 'nothing done' is not on its own line: $(cat -v "$SCRATCH/confirm.out")"
done

# Colour: never with NO_COLOR or a pipe; always when forced.
run_z --help
case "$OUT" in *$'\033['*) fail "colour escape in piped output" ;; *) ok ;; esac

finish
