#!/usr/bin/env bash
# The man page against the program: it renders with `groff -ww -man -Tutf8` without a warning, and every
# option of every command's --help (global ones in GLOBAL OPTIONS, a command's own in its section of
# COMMANDS) is in it with the same metavar. Every --help names the global options and every section of
# zsyncctl(1) it points to exists; the doctor glyphs the man page documents are the ones doctor prints.
. "$TESTS_DIR/lib.sh"

page="$SOURCE_ROOT/man/zsyncctl.1"
command -v groff >/dev/null || skip "groff is not installed (apt-get install groff)"

if groff -ww -man -Tutf8 "$page" >"$SCRATCH/page.txt" 2>"$SCRATCH/groff.err" && [ ! -s "$SCRATCH/groff.err" ]; then ok; else
    fail "groff -ww -man -Tutf8 warns: $(head -5 "$SCRATCH/groff.err")"
fi
groff -man -Tutf8 -P-cbou "$page" 2>/dev/null >"$SCRATCH/man.txt"

# section TITLE: the rendered text of a .SH (TITLE in capitals) or of a command's .SS ("pkg search"),
# with every run of blanks and line breaks made one space (filling breaks lines anywhere).
section() {
    python3 - "$SCRATCH/man.txt" "$1" <<'PY'
import re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
title = sys.argv[2]
out, on = [], False
for line in lines:
    if title.isupper():
        if re.match(r"^[A-Z]", line):
            on = line.strip() == title
            continue
    else:
        if re.match(r"^[A-Z]", line):
            on = False
        m = re.match(r"^   (\S.*)$", line)
        if m:
            words = m.group(1).split()
            # "pkg search QUERY" is the section of "pkg search", not of "pkg"; a lower-case word after the
            # title is a subcommand ("bash|zsh|fish" or "[MANAGER]" are not).
            on = " ".join(words[: len(title.split())]) == title and (
                len(words) == len(title.split()) or not re.match(r"^[a-z][a-z-]*$", words[len(title.split())]))
            continue
    if on:
        out.append(line)
print(re.sub(r"\s+", " ", " ".join(out)))
PY
}

# Command paths from the binary's own help, breadth first ("" is the program).
subcommands_of() { "$ZSYNCCTL" $1 --help | awk '/^Subcommands:/{s=1;next} s&&/^  [a-z]/{print $1} /^$/{s=0}'; }
paths=("")
queue=("")
while [ "${#queue[@]}" -gt 0 ]; do
    cur=${queue[0]}
    queue=("${queue[@]:1}")
    for sub in $(subcommands_of "$cur"); do
        paths+=("${cur:+$cur }$sub")
        queue+=("${cur:+$cur }$sub")
    done
done
[ "${#paths[@]}" -ge 8 ] && ok || fail "found only ${#paths[@]} commands in --help"

# options_of PATH: "NAME<TAB>METAVAR" for each option in the Options: block of its --help (the first long
# name, or the short one; METAVAR empty for a flag).
options_of() {
    # shellcheck disable=SC2086
    "$ZSYNCCTL" $1 --help | awk '/^Options:/{s=1;next} /^[A-Z][a-z]*:/{s=0} s' | python3 -c '
import re, sys
for line in sys.stdin:
    m = re.match(r"^  (-[A-Za-z0-9](?:,--[a-z][a-z0-9-]*)?|--[a-z][a-z0-9-]*)(?: ((?:[A-Z]|auto|bash)[^ ]*(?: \(default [^)]*\))?))?(?:\s{2,}|$)", line)
    if not m:
        continue
    names = m.group(1).split(",")
    name = next((n for n in names if n.startswith("--")), names[0])
    meta = (m.group(2) or "").split(" (")[0]
    print(name + "\t" + meta)'
}

globals=$(section "GLOBAL OPTIONS")
global_names=()
while IFS=$'\t' read -r name meta; do
    global_names+=("$name")
    expect_contains "$globals" "$name${meta:+ $meta}" "GLOBAL OPTIONS documents '$name${meta:+ $meta}'"
done < <(options_of "")
[ "${#global_names[@]}" -ge 7 ] && ok || fail "found only ${#global_names[@]} global options"

for p in "${paths[@]:1}"; do
    text=$(section "$p")
    [ -n "$text" ] && ok || fail "the man page has no section for '$p'"
    while IFS=$'\t' read -r name meta; do
        [ "$name" = "--help" ] && continue
        expect_contains "$text" "$name${meta:+ $meta}" "man page section '$p' documents '$name${meta:+ $meta}'"
    done < <(options_of "$p")
    # shellcheck disable=SC2086
    help=$("$ZSYNCCTL" $p --help)
    for g in "${global_names[@]}"; do
        case $g in --help | --version) continue ;; esac
        expect_contains "$help" "$g" "'$p --help' names the global option $g"
    done
done

# `zsyncctl pkg` alone prints the group's help, without --help on the command line (a command line that
# names one command builds only its part of the tree, and the footer only where help can be printed).
run_z pkg
for g in "${global_names[@]}"; do
    case $g in --help | --version) continue ;; esac
    expect_contains "$OUT" "$g" "'zsyncctl pkg' (the group's help) names the global option $g"
done

# Every "zsyncctl(1), SECTION" a --help points to exists.
for p in "${paths[@]}"; do
    # shellcheck disable=SC2086
    for ref in $("$ZSYNCCTL" $p --help | grep -oE 'zsyncctl\(1\), [A-Z][A-Z ]*[A-Z]' | sed 's/.*, //' | tr ' ' '_'); do
        title=${ref//_/ }
        grep -qx "$title" "$SCRATCH/man.txt" && ok || fail "'$p --help' points to section $title, which zsyncctl(1) lacks"
    done
done

# The JSON formats keep their quotes when rendered.
json=$(section "JSON FORMATS")
expect_contains "$json" '{"query": ..., "results": [...], "managers": [...]}' "pkg search JSON shape rendered with quotes"
expect_contains "$json" '{"schema_version": 1, "managers": [...]}' "pkg paths JSON shape rendered with quotes"

# The doctor glyphs the man page lists are the ones doctor prints: each line of `doctor` starts with one.
doc=$(section "doctor")
for glyph in '[✓]' '[i]' '[!]' '[✗]' '[-]'; do
    expect_contains "$doc" "$glyph" "doctor section documents the $glyph glyph"
    grep -qF "\"$glyph\"" "$SOURCE_ROOT/src/cli/cmd_doctor.cpp" && ok || fail "doctor does not print $glyph"
done
case $doc in *'[×]'*) fail "doctor section shows [×], which doctor never prints" ;; *) ok ;; esac
run_z doctor
for mark in $(printf '%s\n' "$OUT" | grep -oE '^\[[^]]+\]' | sort -u); do
    expect_contains "$doc" "$mark" "doctor printed $mark: the man page documents it"
done

# Wording that must agree with --help.
expect_contains "$(section "pkg search")" "results per manager (0: all)" "--limit: per manager, as in --help"
expect_contains "$("$ZSYNCCTL" pkg search --help)" "per manager (0: all)" "--limit in --help"
expect_contains "$doc" "5 s deadline" "doctor --versions deadline in the man page"
expect_contains "$("$ZSYNCCTL" doctor --help)" "5 s deadline" "doctor --versions deadline in --help"

finish
