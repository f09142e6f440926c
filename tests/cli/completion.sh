#!/usr/bin/env bash
# Completion scripts, run in the real shells the way a user's shell runs them, with `zsyncctl` typed bare
# and found on PATH: bash (bash-completion's _init_completion, the line split into words as readline
# splits it), zsh (an interactive zsh with compinit on a real pseudo-terminal, pressing TAB) and fish
# (`complete -C`). Also checks the build's completions/ files equal what the binary prints.
. "$TESTS_DIR/lib.sh"

# Dynamic values come from `zsyncctl __complete KIND WORD`, run as typed (here: found on PATH) in every shell.
mkdir -p "$SCRATCH/bin"
ln -s "$ZSYNCCTL" "$SCRATCH/bin/zsyncctl"
export PATH="$SCRATCH/bin:$PATH"

# A root with apt (package lists naming ripgrep, ripmime and curl) and npm: what detection finds there is
# what `pkg paths <TAB>` and the MANAGER: prefixes offer. Nothing in it is ever run (each would leave a file).
R="$SCRATCH/root"
mkdir -p "$R/usr/bin" "$R/var/lib/dpkg" "$R/var/lib/apt/lists"
for exe in apt-get apt dpkg npm; do
    printf '#!/bin/sh\ntouch "%s/root-ran-%s"\n' "$SCRATCH" "$exe" >"$R/usr/bin/$exe"
    chmod +x "$R/usr/bin/$exe"
done
printf 'Package: curl\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n\n' >"$R/var/lib/dpkg/status"
for p in ripgrep ripmime curl; do
    printf 'Package: %s\nVersion: 1.0-1\nArchitecture: amd64\nDescription: the %s package\n\n' "$p" "$p"
done >"$R/var/lib/apt/lists/local_._Packages"
detected_in_root=$(ZSYNCCTL_ROOT=$R "$ZSYNCCTL" --json pkg managers | python3 -c 'import json,sys; print(" ".join(sorted({m["name"] for m in json.load(sys.stdin)})))')
expect_contains " $detected_in_root " " apt " "apt detected in the test root"
expect_contains " $detected_in_root " " npm " "npm detected in the test root"
# The registry ids `pkg install --manager` accepts, asked from the binary itself (its usage error lists them).
accepted=$("$ZSYNCCTL" pkg install -n --manager no-such-manager x 2>&1 | sed -n 's/.*managers that can install: //p' | tr -d ',')
[ -n "$accepted" ] && ok || fail "could not read the managers --manager accepts"
accepted_remove=$("$ZSYNCCTL" pkg remove -n --manager no-such-manager x 2>&1 | sed -n 's/.*managers that can remove: //p' | tr -d ',')
registry=$("$ZSYNCCTL" --json pkg managers --all | python3 -c 'import json,sys; print(" ".join(m["name"] for m in json.load(sys.stdin)))')
rejected=""
for m in $registry; do
    case " $accepted " in *" $m "*) ;; *) rejected+="$m " ;; esac
done
expect_contains " $rejected " " dpkg " "dpkg is one of the ids --manager rejects"
# The MANAGER: prefixes `pkg install <TAB>` offers in the root: the detected managers that can install.
prefixes=""
for m in $detected_in_root; do
    case " $accepted " in *" $m "*) prefixes+="$m: " ;; esac
done
expect_contains " $prefixes " " apt: " "apt: is a prefix to offer"

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
    # The line is split into COMP_WORDS as readline does: blanks separate words and a run of
    # COMP_WORDBREAKS characters (= and : among them) is a word of its own.
    cat >"$SCRATCH/complete.bash" <<EOS
. $bc
. $SCRATCH/zsyncctl.bash
line=\$1
COMP_WORDS=()
word=''
for ((k = 0; k < \${#line}; k++)); do
    c=\${line:k:1}
    if [[ \$c == ' ' ]]; then
        [[ -n \$word ]] && COMP_WORDS+=("\$word")
        word=''
    elif [[ \$c == [=:] ]]; then
        if [[ -n \$word && \$word != *[=:] ]]; then COMP_WORDS+=("\$word"); word=''; fi
        word+=\$c
    else
        if [[ \$word == *[=:] ]]; then COMP_WORDS+=("\$word"); word=''; fi
        word+=\$c
    fi
done
COMP_WORDS+=("\$word")
COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
COMP_LINE=\$line
COMP_POINT=\${#line}
COMPREPLY=()
_zsyncctl zsyncctl "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "\${COMPREPLY[@]}" | sort | tr '\n' ' '
EOS
    bash_complete() { timeout 10 bash "$SCRATCH/complete.bash" "$1"; }
    expect_bash() { # LINE WANT...: the candidates must be exactly WANT (sorted, each once)
        local line=$1 got want
        shift
        got=$(bash_complete "$line")
        want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
        [ "$got" = "$want" ] && ok || fail "bash '$line': got [$got], wanted [$want]"
    }
    no_duplicates() { # LINE: no candidate is offered twice
        local dup
        dup=$(bash_complete "$1" | tr ' ' '\n' | grep -v '^$' | sort | uniq -d | tr '\n' ' ')
        [ -z "$dup" ] && ok || fail "bash '$1' offers more than once: $dup"
    }
    top=$(subcommands_of)
    # shellcheck disable=SC2086
    expect_bash "zsyncctl " $top
    expect_bash "zsyncctl --color " auto always never
    expect_bash "zsyncctl --color a" auto always
    expect_bash "zsyncctl --color=a" auto always
    expect_bash "zsyncctl --io-backend e" epoll
    expect_bash "zsyncctl completion " bash zsh fish
    expect_bash "zsyncctl completion --shell z" zsh
    expect_bash "zsyncctl --root /tmp --json comp" completion
    expect_bash "zsyncctl --no-c" --no-cache
    for sub in $top; do
        expect_contains "$(bash_complete "zsyncctl ${sub:0:2}")" "$sub" "bash completes '$sub' from its first letters"
        no_duplicates "zsyncctl $sub --"
        for subsub in $(subcommands_of "$sub"); do
            expect_contains "$(bash_complete "zsyncctl $sub ${subsub:0:2}")" "$subsub" "bash completes '$sub $subsub'"
            no_duplicates "zsyncctl $sub $subsub --"
        done
    done
    [ "$(bash_complete "zsyncctl pkg search --" | grep -o -- '--help' | wc -l)" -eq 1 ] && ok ||
        fail "bash 'pkg search --' offers --help more than once"
    # The values of --shell, not file names.
    expect_bash "zsyncctl pkg paths cargo --shell " bash zsh fish
    expect_bash "zsyncctl pkg paths --shell=f" fish
    # A value only known at run time, asked from `zsyncctl __complete search-managers`.
    expect_contains "$(bash_complete "zsyncctl pkg search x --manager ap")" "apt" "bash completes --manager from __complete"
    expect_contains "$(bash_complete "zsyncctl pkg search x -m pa")" "pacman" "bash completes -m from __complete"
    # install --manager: exactly the ids --manager accepts.
    # shellcheck disable=SC2086
    expect_bash "zsyncctl pkg install x --manager " $accepted
    # shellcheck disable=SC2086
    expect_bash "zsyncctl pkg remove -m " $accepted_remove
    # pkg paths: the managers detected (in the root), not the registry.
    export ZSYNCCTL_ROOT=$R
    # shellcheck disable=SC2086
    expect_bash "zsyncctl pkg paths " $detected_in_root
    # shellcheck disable=SC2086
    expect_bash "zsyncctl pkg paths -m " $detected_in_root
    # pkg install: MANAGER: prefixes of the detected managers, then names from apt's index.
    # shellcheck disable=SC2086
    expect_bash "zsyncctl pkg install " $prefixes
    expect_bash "zsyncctl pkg install ap" apt:
    expect_bash "zsyncctl pkg install apt:rip" ripgrep ripmime
    expect_bash "zsyncctl pkg install curl apt:cu" curl
    expect_bash "zsyncctl pkg install apt:zzz"
    unset ZSYNCCTL_ROOT
    # Doctor check ids from the doctor catalog.
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
    # An interactive zsh on a real pseudo-terminal: compinit finds _zsyncctl on $fpath, zsyncctl is on PATH.
    # zsh_tab LINE EXPECT: types LINE and TAB, waits for EXPECT, erases the line (Ctrl-U) and exits; ZSH_SEEN
    # is what the terminal showed from the prompt on, escapes removed.
    mkdir -p "$SCRATCH/zdot" "$SCRATCH/zfunc"
    cp "$SCRATCH/zsyncctl.zsh" "$SCRATCH/zfunc/_zsyncctl"
    cat >"$SCRATCH/zdot/.zshrc" <<EOS
fpath=($SCRATCH/zfunc \$fpath)
autoload -Uz compinit
compinit -u -d $SCRATCH/zcompdump
PS1='ZREADY> '
LISTMAX=10000
unsetopt beep
bindkey -e
EOS
    zsh_tab() {
        local line=$1 want=$2
        if ! PTY_DEADLINE=60 ZDOTDIR="$SCRATCH/zdot" HOME="$SCRATCH/zdot" python3 "$TESTS_DIR/pty_drive.py" \
            "$SCRATCH/zsh.out" --resize 60x200 --expect 'ZREADY> ' --send "$line\t" --expect "$want" \
            --send '\x15exit 0\r' -- zsh -i >/dev/null 2>"$SCRATCH/zsh.err"; then
            fail "zsh '$line<TAB>': '$want' did not appear: $(tail -c 600 "$SCRATCH/zsh.err")"
            ZSH_SEEN=''
            return 1
        fi
        ok
        ZSH_SEEN=$(python3 -c '
import re, sys
t = open(sys.argv[1], "rb").read().decode(errors="replace")
t = t.split("ZREADY> ", 1)[1].rsplit("exit 0", 1)[0]
t = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[>=]|\r|\x07", " ", t)
print(t[len(sys.argv[2]):] if t.startswith(sys.argv[2]) else t)' "$SCRATCH/zsh.out" "$line")
    }
    zsh_lacks() { # WORD DESCRIPTION: WORD is not among the candidates shown after the last zsh_tab
        case " $(printf '%s' "$ZSH_SEEN" | tr -s ' \n' '  ') " in *" $1 "*) fail "$2: zsh offered '$1': $ZSH_SEEN" ;; *) ok ;; esac
    }
    zsh_tab "zsyncctl compl" "etion"
    zsh_tab "zsyncctl --color " "always"
    zsh_tab "zsyncctl pkg paths cargo --shell " "fish"
    expect_contains "$ZSH_SEEN" "zsh" "zsh offers the --shell values"
    zsh_lacks "zsyncctl.zsh" "--shell values, not file names"
    zsh_tab "zsyncctl pkg search x --manager pac" "pacman"
    zsh_tab "zsyncctl doctor iouring." "iouring.setup"
    zsh_tab "zsyncctl pkg search --" "--exact"
    [ "$(printf '%s' "$ZSH_SEEN" | grep -o -- '--help' | wc -l)" -eq 1 ] && ok ||
        fail "zsh 'pkg search --' offers --help more than once: $ZSH_SEEN"
    zsh_tab "zsyncctl pkg install x --manager " "apt"
    for m in $rejected; do
        zsh_lacks "$m" "install --manager offers only ids --manager accepts"
    done
    export ZSYNCCTL_ROOT=$R
    zsh_tab "zsyncctl pkg paths " "npm"
    expect_contains "$ZSH_SEEN" "apt" "zsh pkg paths offers apt (detected)"
    zsh_lacks "cargo" "pkg paths offers only detected managers"
    zsh_lacks "pacman" "pkg paths offers only detected managers"
    zsh_tab "zsyncctl pkg install " "npm:"
    expect_contains "$ZSH_SEEN" "apt:" "zsh pkg install offers the apt: prefix"
    zsh_tab "zsyncctl pkg install apt:rip" "apt:ripmime"
    expect_contains "$ZSH_SEEN" "apt:ripgrep" "zsh completes package names from apt's index"
    zsh_tab "zsyncctl pkg install apt:cu" "rl"
    unset ZSYNCCTL_ROOT
else
    fail "zsh is not installed; apt-get install zsh"
fi

# --- fish -------------------------------------------------------------------------------------------
if command -v fish >/dev/null; then
    if fish --no-execute "$SCRATCH/zsyncctl.fish" 2>"$SCRATCH/fish.err"; then ok; else fail "fish --no-execute: $(cat "$SCRATCH/fish.err")"; fi
    fish_complete() { timeout 10 fish --no-config -c "source $SCRATCH/zsyncctl.fish; complete -C '$1'" 2>&1 | cut -f1 | sort | tr '\n' ' '; }
    expect_fish() { # LINE WANT...: the candidates must be exactly WANT (sorted, each once)
        local line=$1 got want
        shift
        got=$(fish_complete "$line")
        want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
        [ "$got" = "$want" ] && ok || fail "fish '$line': got [$got], wanted [$want]"
    }
    expect_contains "$(fish_complete "zsyncctl comp")" "completion" "fish completes a subcommand"
    expect_contains "$(fish_complete "zsyncctl --color ")" "never" "fish completes --color values"
    expect_contains "$(fish_complete "zsyncctl completion ")" "zsh" "fish completes the shell argument"
    expect_contains "$(fish_complete "zsyncctl completion --sh")" "--shell" "fish completes a subcommand option"
    expect_contains "$(fish_complete "zsyncctl pkg search x --manager ")" "homebrew" "fish completes --manager from __complete"
    [ "$(fish_complete "zsyncctl pkg search --" | grep -o -- '--help' | wc -l)" -eq 1 ] && ok ||
        fail "fish 'pkg search --' offers --help more than once"
    [ "$(fish_complete "zsyncctl doctor --" | grep -o -- '--help' | wc -l)" -eq 1 ] && ok ||
        fail "fish 'doctor --' offers --help more than once"
    expect_fish "zsyncctl pkg paths cargo --shell " bash fish zsh
    # shellcheck disable=SC2086
    expect_fish "zsyncctl pkg install x --manager " $accepted
    export ZSYNCCTL_ROOT=$R
    # shellcheck disable=SC2086
    expect_fish "zsyncctl pkg paths " $detected_in_root
    # shellcheck disable=SC2086
    expect_fish "zsyncctl pkg paths --manager " $detected_in_root
    # shellcheck disable=SC2086
    expect_fish "zsyncctl pkg install " $prefixes
    expect_fish "zsyncctl pkg install apt:rip" apt:ripgrep apt:ripmime
    unset ZSYNCCTL_ROOT
else
    fail "fish is not installed; apt-get install fish"
fi

ls "$SCRATCH"/root-ran-* >/dev/null 2>&1 && fail "completion ran an executable inside the root" || ok
finish
