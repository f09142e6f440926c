#include <array>
#include <set>
#include <string>

#include "cli/completion.hpp"

// The three generators share one plan: tables (subcommands, options, fixed values and value-source kinds
// per command path) emitted from the model, plus a small fixed walker per shell that finds the command
// path of the words typed so far. So the scripts only ever know what the parser knows.

namespace zsyncctl::cli {

namespace {

constexpr std::array<std::string_view, 3> k_shells{"bash", "zsh", "fish"};

// A single-quoted word for bash and zsh.
std::string sh_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    out += "'";
    return out;
}

// A single-quoted word for fish, which escapes ' and \ inside single quotes with a backslash.
std::string fish_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += "'";
    return out;
}

// First line of a description, tabs and newlines flattened (they separate fields in completion output).
std::string one_line(std::string_view text) {
    std::string out(text.substr(0, text.find('\n')));
    for (char& c : out) {
        if (c == '\t') {
            c = ' ';
        }
    }
    return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const std::string& s : items) {
        if (!out.empty()) {
            out += sep;
        }
        out += s;
    }
    return out;
}

std::vector<std::string> flag_names(const OptionSpec& o) {
    std::vector<std::string> out;
    for (const std::string& n : o.long_names) {
        out.push_back("--" + n);
    }
    for (const std::string& n : o.short_names) {
        out.push_back("-" + n);
    }
    return out;
}

void each_command(const CommandSpec& c, const auto& visit) {
    visit(c);
    for (const CommandSpec& s : c.subcommands) {
        each_command(s, visit);
    }
}

// Every option name that consumes the next word, over the whole tree (the walkers skip that word).
std::string takes_value_names(const CommandSpec& model) {
    std::set<std::string> names;
    each_command(model, [&](const CommandSpec& c) {
        for (const OptionSpec& o : c.options) {
            if (o.takes_value && o.positional.empty()) {
                for (std::string& n : flag_names(o)) {
                    names.insert(std::move(n));
                }
            }
        }
    });
    std::string out = " ";
    for (const std::string& n : names) {
        out += n + " ";
    }
    return out;
}

// Tables for bash/zsh associative arrays. Keys are "k" + command path (bash forbids an empty key).
struct Tables {
    std::vector<std::pair<std::string, std::string>> subs, sub_descs, opts, opt_descs, vals, dyn, pos;
};

Tables tables(const CommandSpec& model) {
    Tables t;
    each_command(model, [&](const CommandSpec& c) {
        std::vector<std::string> names, descs, options, option_descs;
        for (const CommandSpec& s : c.subcommands) {
            names.push_back(s.name);
            descs.push_back(s.name + ":" + one_line(s.description));
        }
        t.subs.emplace_back("k" + c.path, join(names, " "));
        t.sub_descs.emplace_back("k" + c.path, join(descs, "\n"));
        std::vector<std::string> positional_values;
        for (const OptionSpec& o : c.options) {
            if (!o.positional.empty()) {
                if (!o.dynamic.empty()) {
                    t.pos.emplace_back("k" + c.path, "@" + o.dynamic);
                } else if (!o.values.empty()) {
                    t.pos.emplace_back("k" + c.path, join(o.values, " "));
                }
                continue;
            }
            for (const std::string& n : flag_names(o)) {
                options.push_back(n);
                option_descs.push_back(n + ":" + one_line(o.description));
                if (!o.dynamic.empty()) {
                    t.dyn.emplace_back("k" + c.path + "|" + n, o.dynamic);
                } else if (!o.values.empty()) {
                    t.vals.emplace_back("k" + c.path + "|" + n, join(o.values, " "));
                }
            }
        }
        t.opts.emplace_back("k" + c.path, join(options, " "));
        t.opt_descs.emplace_back("k" + c.path, join(option_descs, "\n"));
    });
    return t;
}

std::string assoc(std::string_view name, const std::vector<std::pair<std::string, std::string>>& rows,
                  bool zsh) {
    std::string out = "    local -A " + std::string(name) + "\n    " + std::string(name) + "=(";
    for (const auto& [k, v] : rows) {
        if (zsh) {
            out += "\n        " + sh_quote(k) + " " + sh_quote(v);
        } else {
            out += "\n        [" + sh_quote(k) + "]=" + sh_quote(v);
        }
    }
    out += "\n    )\n";
    return out;
}

std::string bash_script(const CommandSpec& model) {
    Tables t = tables(model);
    std::string s;
    s += "# bash completion for zsyncctl. Generated by `zsyncctl completion bash` from the parser; do not "
         "edit.\n";
    s += "_zsyncctl() {\n";
    s += R"SH(    local cur prev words cword split
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -s || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        if [[ $prev == = && $cword -ge 2 ]]; then prev=${COMP_WORDS[COMP_CWORD - 2]}; fi
    fi
)SH";
    s += assoc("subs", t.subs, false);
    s += assoc("opts", t.opts, false);
    s += assoc("vals", t.vals, false);
    s += assoc("dyn", t.dyn, false);
    s += assoc("pos", t.pos, false);
    s += "    local takes=" + sh_quote(takes_value_names(model)) + "\n";
    s += R"SH(    local path='' i w p list
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        case $w in
        --*=*) ;;
        -*) if [[ $takes == *" $w "* ]]; then ((i++)); fi ;;
        *) if [[ " ${subs[k$path]} " == *" $w "* ]]; then path=${path:+$path }$w; fi ;;
        esac
    done
    if [[ $takes == *" $prev "* ]]; then
        # The value of an option: its choices, found on this command or the nearest ancestor.
        p=$path
        while :; do
            if [[ -n ${dyn["k$p|$prev"]+x} ]]; then
                list=$("${words[0]}" __complete "${dyn["k$p|$prev"]}" 2>/dev/null)
                COMPREPLY=($(compgen -W "$list" -- "$cur"))
                return
            fi
            if [[ -n ${vals["k$p|$prev"]+x} ]]; then
                COMPREPLY=($(compgen -W "${vals["k$p|$prev"]}" -- "$cur"))
                return
            fi
            [[ -z $p ]] && break
            if [[ $p == *" "* ]]; then p=${p% *}; else p=''; fi
        done
        COMPREPLY=($(compgen -f -- "$cur"))
        return
    fi
    if [[ $cur == -* ]]; then
        # Options of this command and of every ancestor (the root's are global).
        list=${opts[k$path]}
        p=$path
        while [[ -n $p ]]; do
            if [[ $p == *" "* ]]; then p=${p% *}; else p=''; fi
            list+=" ${opts[k$p]}"
        done
        COMPREPLY=($(compgen -W "$list" -- "$cur"))
        return
    fi
    list=${subs[k$path]}
    if [[ -n ${pos[k$path]+x} ]]; then
        if [[ ${pos[k$path]} == @* ]]; then
            list+=" $("${words[0]}" __complete "${pos[k$path]#@}" 2>/dev/null)"
        else
            list+=" ${pos[k$path]}"
        fi
    fi
    COMPREPLY=($(compgen -W "$list" -- "$cur"))
}
complete -F _zsyncctl zsyncctl
)SH";
    return s;
}

std::string zsh_script(const CommandSpec& model) {
    Tables t = tables(model);
    std::string s;
    s += "#compdef zsyncctl\n";
    s += "# zsh completion for zsyncctl. Generated by `zsyncctl completion zsh` from the parser; do not "
         "edit.\n";
    s += "_zsyncctl() {\n";
    s += assoc("subs", t.subs, true);
    s += assoc("subdescs", t.sub_descs, true);
    s += assoc("optdescs", t.opt_descs, true);
    s += assoc("vals", t.vals, true);
    s += assoc("dyn", t.dyn, true);
    s += assoc("pos", t.pos, true);
    s += "    local takes=" + sh_quote(takes_value_names(model)) + "\n";
    s += R"SH(    local path='' i w p cur=${words[CURRENT]} prev=${words[CURRENT-1]} pre=''
    local -a list described
    for (( i = 2; i < CURRENT; i++ )); do
        w=${words[i]}
        case $w in
        --*=*) ;;
        -*) if [[ $takes == *" $w "* ]]; then (( i++ )); fi ;;
        *) if [[ " ${subs[k$path]} " == *" $w "* ]]; then path=${path:+$path }$w; fi ;;
        esac
    done
    if [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        pre="$prev="
    fi
    if [[ $takes == *" $prev "* ]]; then
        p=$path
        while :; do
            if (( ${+dyn[k$p|$prev]} )); then
                list=(${(f)"$(${words[1]} __complete ${dyn[k$p|$prev]} 2>/dev/null)"})
                compadd -P "$pre" -- $list
                return
            fi
            if (( ${+vals[k$p|$prev]} )); then
                compadd -P "$pre" -- ${=vals[k$p|$prev]}
                return
            fi
            [[ -z $p ]] && break
            if [[ $p == *' '* ]]; then p=${p% *}; else p=''; fi
        done
        _files
        return
    fi
    if [[ $cur == -* ]]; then
        described=(${(f)optdescs[k$path]})
        p=$path
        while [[ -n $p ]]; do
            if [[ $p == *' '* ]]; then p=${p% *}; else p=''; fi
            described+=(${(f)optdescs[k$p]})
        done
        _describe -t options 'option' described
        return
    fi
    described=(${(f)subdescs[k$path]})
    if (( ${+pos[k$path]} )); then
        if [[ ${pos[k$path]} == @* ]]; then
            list=(${(f)"$(${words[1]} __complete ${pos[k$path]#@} 2>/dev/null)"})
        else
            list=(${=pos[k$path]})
        fi
        compadd -- $list
    fi
    (( ${#described} )) && _describe -t commands 'command' described
    return 0
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _zsyncctl "$@"
else
    compdef _zsyncctl zsyncctl
fi
)SH";
    return s;
}

std::string fish_script(const CommandSpec& model) {
    std::string s;
    s += "# fish completion for zsyncctl. Generated by `zsyncctl completion fish` from the parser; do not "
         "edit.\n";
    // The walker: prints the command path of the tokens before the cursor.
    s += "function __zsyncctl_subcommands --argument-names path\n    switch $path\n";
    each_command(model, [&](const CommandSpec& c) {
        if (c.subcommands.empty()) {
            return;
        }
        std::vector<std::string> names;
        for (const CommandSpec& sub : c.subcommands) {
            names.push_back(fish_quote(sub.name));
        }
        s += "        case " + fish_quote(c.path) + "\n            printf '%s\\n' " + join(names, " ") + "\n";
    });
    s += "    end\nend\n";
    s += "function __zsyncctl_path\n";
    s += "    set -l takes " + fish_quote(takes_value_names(model)) + "\n";
    s += R"SH(    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l path ''
    set -l skip 0
    for w in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $w
            case '--*=*'
            case '-*'
                if string match -q -- "* $w *" $takes
                    set skip 1
                end
            case '*'
                if contains -- $w (__zsyncctl_subcommands $path)
                    if test -z "$path"
                        set path $w
                    else
                        set path "$path $w"
                    end
                end
        end
    end
    echo $path
end
function __zsyncctl_at
    test (__zsyncctl_path) = "$argv"
end
function __zsyncctl_under
    set -l path (__zsyncctl_path)
    test "$path" = "$argv"; or string match -q -- "$argv *" $path
end
complete -c zsyncctl -f
)SH";
    each_command(model, [&](const CommandSpec& c) {
        std::string at = "-n " + fish_quote("__zsyncctl_at " + sh_quote(c.path));
        std::string under =
            c.path.empty() ? std::string() : "-n " + fish_quote("__zsyncctl_under " + sh_quote(c.path));
        for (const CommandSpec& sub : c.subcommands) {
            s += "complete -c zsyncctl " + at + " -a " + fish_quote(sub.name) + " -d " +
                 fish_quote(one_line(sub.description)) + "\n";
        }
        for (const OptionSpec& o : c.options) {
            if (!o.positional.empty()) {
                if (!o.dynamic.empty()) {
                    s += "complete -c zsyncctl " + at + " -a " +
                         fish_quote("(zsyncctl __complete " + o.dynamic + " 2>/dev/null)") + "\n";
                } else if (!o.values.empty()) {
                    s += "complete -c zsyncctl " + at + " -a " + fish_quote(join(o.values, " ")) + "\n";
                }
                continue;
            }
            std::string line = "complete -c zsyncctl";
            if (!under.empty()) {
                line += " " + under;
            }
            for (const std::string& n : o.long_names) {
                line += " -l " + fish_quote(n);
            }
            for (const std::string& n : o.short_names) {
                line += " -s " + fish_quote(n);
            }
            if (o.takes_value) {
                if (!o.dynamic.empty()) {
                    line += " -x -a " + fish_quote("(zsyncctl __complete " + o.dynamic + " 2>/dev/null)");
                } else if (!o.values.empty()) {
                    line += " -x -a " + fish_quote(join(o.values, " "));
                } else {
                    line += " -r -F";
                }
            }
            line += " -d " + fish_quote(one_line(o.description));
            s += line + "\n";
        }
    });
    return s;
}

} // namespace

std::span<const std::string_view> completion_shells() {
    return k_shells;
}

std::string completion_script(const CommandSpec& model, std::string_view shell) {
    if (shell == "bash") {
        return bash_script(model);
    }
    if (shell == "zsh") {
        return zsh_script(model);
    }
    if (shell == "fish") {
        return fish_script(model);
    }
    return {};
}

} // namespace zsyncctl::cli
