#!/usr/bin/env bash
# The manual page renders without warnings and documents every subcommand the built binary has
# (discovered by walking --help), every global option, and the environment variables the code reads.
. "$TESTS_DIR/lib.sh"

page="$SOURCE_ROOT/man/zsyncctl.1"
[ -f "$page" ] || { fail "man/zsyncctl.1 is missing"; finish; }
command -v groff >/dev/null || skip "groff is not installed (apt-get install groff-base)"

if groff -man -ww -z "$page" 2>"$SCRATCH/groff.err" && [ ! -s "$SCRATCH/groff.err" ]; then ok; else
    fail "groff -man -ww -z warns: $(head -5 "$SCRATCH/groff.err")"
fi
text=$(groff -man -Tutf8 -P-cbou "$page" 2>/dev/null)
for section in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" ENVIRONMENT FILES EXAMPLES; do
    expect_contains "$text" "$section" "section $section"
done

subcommands_of() { "$ZSYNCCTL" "$@" --help | awk '/^Subcommands:/{s=1;next} s&&/^  [a-z]/{print $1} /^$/{s=0}'; }
options_of() { "$ZSYNCCTL" "$@" --help | grep -oE '^ +(-[A-Za-z],)?--[a-z][a-z-]*' | grep -oE -- '--[a-z-]+'; }
count=0
for sub in $(subcommands_of); do
    count=$((count + 1))
    # A command's own heading in COMMANDS, e.g. "doctor" or "pkg search".
    grep -qE "^\.SS $sub( |$)" "$page" && ok || fail "man page has no '.SS $sub' section"
    for opt in $(options_of "$sub"); do
        expect_contains "$text" "$opt" "man page documents '$sub $opt'"
    done
    for subsub in $(subcommands_of "$sub"); do
        grep -qE "^\.SS $sub $subsub( |$)" "$page" && ok || fail "man page has no '.SS $sub $subsub' section"
        for opt in $(options_of "$sub" "$subsub"); do
            expect_contains "$text" "$opt" "man page documents '$sub $subsub $opt'"
        done
    done
done
[ "$count" -ge 2 ] && ok || fail "found only $count subcommands in --help"
for opt in $(options_of); do
    expect_contains "$text" "$opt" "man page documents global option $opt"
done
# Environment variables the sources read.
for var in $(grep -rhoE 'getenv\("[A-Z_]+"\)' "$SOURCE_ROOT/src" | grep -oE '[A-Z_]+' | grep -vx -e TERM | sort -u); do
    expect_contains "$text" "$var" "ENVIRONMENT documents $var"
done
finish
