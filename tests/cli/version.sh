#!/usr/bin/env bash
# --version and `version`: the same facts, text ending in exactly one newline, JSON with --json whichever
# order the flags come in.
. "$(dirname "$0")/lib.sh"

for args in "--version" "-V" "version"; do
    # shellcheck disable=SC2086 # one or two words on purpose
    "$ZSYNCCTL" $args >"$SCRATCH/out" 2>"$SCRATCH/err"
    code=$?
    [ "$code" = 0 ] && ok || fail "$args: exit $code"
    head -n 1 "$SCRATCH/out" | grep -q '^zsyncctl [0-9]' && ok || fail "$args: first line: $(head -n 1 "$SCRATCH/out")"
    # The last byte is a newline and the one before it is not: no blank line at the end.
    tail -c 2 "$SCRATCH/out" | od -An -c | grep -q '\\n *\\n' && fail "$args: ends with a blank line" || ok
    [ "$(tail -c 1 "$SCRATCH/out" | od -An -c | tr -d ' ')" = '\n' ] && ok || fail "$args: no final newline"
done
for args in "--json --version" "--version --json" "--json version" "version --json"; do
    # shellcheck disable=SC2086
    run_z $args
    [ "$CODE" = 0 ] && ok || fail "$args: exit $CODE"
    expect_json 'set(d) == {"version", "git_revision", "compiler", "build_type", "io_uring"}' "$args prints JSON"
done

finish
