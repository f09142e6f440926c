#!/usr/bin/env bash
# Completion scripts, run in the real shells: bash (with bash-completion) computes candidates for partial
# command lines; zsh loads the script and, with compadd/_describe recorded, completes too; fish loads it
# and answers `complete -C`. Also checks the build's completions/ files equal what the binary prints.
. "$TESTS_DIR/lib.sh"

# Dynamic values come from `zsyncctl __complete KIND`, found on PATH (fish) or as words[0] (bash, zsh).
mkdir -p "$SCRATCH/bin"
ln -s "$ZSYNCCTL" "$SCRATCH/bin/zsyncctl"
export PATH="$SCRATCH/bin:$PATH"

for shell in bash zsh fish; do
    run_z completion "$shell"
    [ "$CODE" -eq 0 ] && ok || fail "completion $shell: exit $CODE"
    printf '%s\n' "$OUT" >"$SCRATCH/zsyncctl.$shell"
done
expect_exit 2 "unknown shell is a usage error" completion tcsh
expect_exit 2 "no shell is a usage error" completion
expect_exit 2 "two different shells" completion bash --shell zsh
expect_exit 0 "--shell works" completion --shell fish
run_z __complete shells
[ "$OUT" = $'bash\nzsh\nfish' ] && ok || fail "__complete shells gave: $OUT"
expect_exit 2 "unknown value source" __complete no-such-kind
expect_contains "$ERR" "known sources" "unknown source lists the known ones"

# The files the build generated are exactly what the binary prints.
for f in "completion_bash:zsyncctl:bash" "completion_zsh:_zsyncctl:zsh" "completion_fish:zsyncctl.fish:fish"; do
    IFS=: read -r _ file shell <<<"$f"
    if cmp -s "$BUILD_ROOT/completions/$file" "$SCRATCH/zsyncctl.$shell"; then ok; else
        fail "build-time completions/$file differs from 'zsyncctl completion $shell'"
    fi
done

# Every subcommand the binary's --help lists (recursively) must be completable.
subcommands_of() { "$ZSYNCCTL" "$@" --help | awk '/^Subcommands:/{s=1;next} s&&/^  [a-z]/{print $1} /^$/{s=0}'; }

# --- bash -------------------------------------------------------------------------------------------
bc=/usr/share/bash-completion/bash_completion
if [ -f "$bc" ]; then
    cat >"$SCRATCH/complete.bash" <<EOS
. $bc
. $SCRATCH/zsyncctl.bash
line=\$1
read -ra COMP_WORDS <<<"\$line"
[[ \$line == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
COMP_LINE=\$line
COMP_POINT=\${#line}
COMPREPLY=()
_zsyncctl zsyncctl "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "\${COMPREPLY[@]}" | sort -u | tr '\n' ' '
EOS
    bash_complete() { timeout 10 bash "$SCRATCH/complete.bash" "$1"; }
    expect_bash() { # LINE WANT...: the candidates must be exactly WANT (sorted)
        local line=$1 got want
        shift
        got=$(bash_complete "$line")
        want=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
        [ "$got" = "$want" ] && ok || fail "bash '$line': got [$got], wanted [$want]"
    }
    top=$(subcommands_of)
    # shellcheck disable=SC2086
    expect_bash "zsyncctl " $top
    expect_bash "zsyncctl --color " auto always never
    expect_bash "zsyncctl --color a" auto always
    expect_bash "zsyncctl --io-backend e" epoll
    expect_bash "zsyncctl completion " bash zsh fish
    expect_bash "zsyncctl completion --shell z" zsh
    expect_bash "zsyncctl --root /tmp --json comp" completion
    expect_bash "zsyncctl --no-c" --no-cache
    for sub in $top; do
        expect_contains "$(bash_complete "zsyncctl ${sub:0:2}")" "$sub" "bash completes '$sub' from its first letters"
        for subsub in $(subcommands_of "$sub"); do
            expect_contains "$(bash_complete "zsyncctl $sub ${subsub:0:2}")" "$subsub" "bash completes '$sub $subsub'"
        done
    done
    # A value only known at run time, asked from `zsyncctl __complete search-managers`.
    expect_contains "$(bash_complete "zsyncctl pkg search x --manager ap")" "apt" "bash completes --manager from __complete"
    expect_contains "$(bash_complete "zsyncctl pkg search x -m pa")" "pacman" "bash completes -m from __complete"
    # Manager ids from the registry, doctor check ids from the doctor catalog.
    expect_contains "$(bash_complete "zsyncctl pkg paths hom")" "homebrew" "bash completes pkg paths MANAGER"
    expect_contains "$(bash_complete "zsyncctl pkg install x --manager zyp")" "zypper" "bash completes install --manager"
    expect_contains "$(bash_complete "zsyncctl doctor cpu.")" "cpu.quota" "bash completes doctor check ids"
    expect_contains "$(bash_complete "zsyncctl doctor pkg.home")" "pkg.homebrew.arch" "bash completes the Homebrew check ids"
    # Options after a subcommand include the global ones.
    expect_contains "$(bash_complete "zsyncctl completion --")" "--shell" "completion's own option"
    expect_contains "$(bash_complete "zsyncctl completion --")" "--json" "global option after a subcommand"
else
    fail "bash-completion is not installed ($bc); apt-get install bash-completion"
fi

# --- zsh --------------------------------------------------------------------------------------------
if command -v zsh >/dev/null; then
    if zsh -n "$SCRATCH/zsyncctl.zsh" 2>"$SCRATCH/zsh.err"; then ok; else fail "zsh -n: $(cat "$SCRATCH/zsh.err")"; fi
    # Outside the completion system compadd/_describe do not exist: record what the function offers.
    # zsh_run LINE [EXE]: completes LINE with words[1] replaced by EXE when given, else as a user's shell
    # does, with `zsyncctl` typed bare and found on PATH.
    zsh_run() {
        PATH="$(dirname "$ZSYNCCTL"):$PATH" timeout 10 zsh -f -c '
            compadd() { while [[ $1 == -* && $1 != -- ]]; do [[ $1 == -[PSJXx] ]] && shift; shift; done
                        [[ $1 == -- ]] && shift; print -l -- "$@"; }
            _describe() { local name=${@[-1]}; print -l -- ${${(P)name}%%:*}; }
            _files() { print -- FILES; }
            compdef() { :; }
            source "$1"
            words=(${(z)2}); [[ $2 == *" " ]] && words+=("")
            [[ -n $3 ]] && words[1]=$3
            CURRENT=${#words}
            _zsyncctl' zsh "$SCRATCH/zsyncctl.zsh" "$1" "${2:-}" 2>&1 | sort -u | tr '\n' ' '
    }
    zsh_complete() { zsh_run "$1" "$ZSYNCCTL"; }
    zsh_complete_on_path() { zsh_run "$1"; }
    expect_contains "$(zsh_complete "zsyncctl ")" "completion" "zsh completes subcommands"
    expect_contains "$(zsh_complete "zsyncctl --color ")" "always" "zsh completes --color values"
    expect_contains "$(zsh_complete "zsyncctl completion ")" "fish" "zsh completes the completion shell"
    expect_contains "$(zsh_complete "zsyncctl pkg --")" "--json" "zsh completes global options"
    expect_contains "$(zsh_complete "zsyncctl pkg search x --manager ")" "pacman" "zsh completes --manager from __complete"
    expect_contains "$(zsh_complete_on_path "zsyncctl pkg search x --manager ")" "pacman" \
        "zsh completes --manager from __complete with zsyncctl found on PATH"
    expect_contains "$(zsh_complete_on_path "zsyncctl doctor iouring.")" "iouring.setup" \
        "zsh completes doctor check ids with zsyncctl found on PATH"
else
    fail "zsh is not installed; apt-get install zsh"
fi

# --- fish -------------------------------------------------------------------------------------------
if command -v fish >/dev/null; then
    if fish --no-execute "$SCRATCH/zsyncctl.fish" 2>"$SCRATCH/fish.err"; then ok; else fail "fish --no-execute: $(cat "$SCRATCH/fish.err")"; fi
    fish_complete() { timeout 10 fish --no-config -c "source $SCRATCH/zsyncctl.fish; complete -C '$1'" 2>&1 | cut -f1 | sort -u | tr '\n' ' '; }
    expect_contains "$(fish_complete "zsyncctl comp")" "completion" "fish completes a subcommand"
    expect_contains "$(fish_complete "zsyncctl --color ")" "never" "fish completes --color values"
    expect_contains "$(fish_complete "zsyncctl completion ")" "zsh" "fish completes the shell argument"
    expect_contains "$(fish_complete "zsyncctl completion --sh")" "--shell" "fish completes a subcommand option"
    expect_contains "$(fish_complete "zsyncctl pkg search x --manager ")" "homebrew" "fish completes --manager from __complete"
else
    fail "fish is not installed; apt-get install fish"
fi

finish
