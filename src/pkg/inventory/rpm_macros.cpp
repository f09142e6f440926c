#include "pkg/inventory/rpm_macros.hpp"

#include <pwd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "util/fs.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

constexpr std::string_view k_parametric = "%(parametric)";
constexpr int k_max_depth = 32; // rpm's own limit is 64 levels
constexpr std::size_t k_max_macro_file = 4u << 20;

bool name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool name_char(char c) {
    return name_start(c) || (c >= '0' && c <= '9');
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

// The index just past the `close` that matches the `open` at body[start], or npos when unbalanced.
std::size_t matching(std::string_view body, std::size_t start, char open, char close) {
    int depth = 0;
    for (std::size_t i = start; i < body.size(); ++i) {
        if (body[i] == open) {
            ++depth;
        } else if (body[i] == close && --depth == 0) {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

// `echo ~[/path]`, alone or as `bash -c '…'` / `sh -c "…"`: the only shell commands whose output is known
// without running them (the shell's tilde expansion). The word after ~ may hold only path characters.
std::optional<std::string> tilde_echo(std::string_view command, std::string_view home) {
    command = trim(command);
    for (std::string_view shell : {"/bin/bash -c ", "/bin/sh -c ", "bash -c ", "sh -c "}) {
        if (command.starts_with(shell)) {
            std::string_view quoted = trim(command.substr(shell.size()));
            if (quoted.size() < 2 || (quoted.front() != '\'' && quoted.front() != '"') ||
                quoted.back() != quoted.front()) {
                return std::nullopt;
            }
            command = trim(quoted.substr(1, quoted.size() - 2));
            break;
        }
    }
    if (!command.starts_with("echo ")) {
        return std::nullopt;
    }
    std::string_view word = trim(command.substr(5));
    if (word.empty() || word.front() != '~' || (word.size() > 1 && word[1] != '/')) {
        return std::nullopt;
    }
    bool plain = std::all_of(word.begin() + 1, word.end(), [](char c) {
        return name_char(c) || c == '/' || c == '.' || c == '-' || c == '+';
    });
    if (!plain) {
        return std::nullopt;
    }
    return std::string(home) + std::string(word.substr(1));
}

bool expand(std::string_view body, const RpmMacros& macros, std::string_view home, std::string& out,
            std::string& why, int depth) {
    if (depth > k_max_depth) {
        why = "its macros nest more than " + std::to_string(k_max_depth) + " levels deep";
        return false;
    }
    auto lookup = [&](std::string_view name) -> const std::string* {
        auto it = macros.find(name);
        return it == macros.end() ? nullptr : &it->second;
    };
    auto expand_named = [&](std::string_view name, const std::string& value) {
        if (value == k_parametric) {
            why = "%" + std::string(name) + " is a parametric macro";
            return false;
        }
        return expand(value, macros, home, out, why, depth + 1);
    };
    std::size_t i = 0;
    while (i < body.size()) {
        char c = body[i];
        if (c != '%' || i + 1 == body.size()) {
            out.push_back(c);
            ++i;
            continue;
        }
        char next = body[i + 1];
        if (next == '%') {
            out.push_back('%');
            i += 2;
        } else if (next == '(') {
            std::size_t end = matching(body, i + 1, '(', ')');
            if (end == std::string_view::npos) {
                why = "a %( is not closed";
                return false;
            }
            std::string_view command = body.substr(i + 2, end - i - 3);
            auto echoed = tilde_echo(command, home);
            if (!echoed) {
                why = "it is the output of the shell command `" + std::string(trim(command)) +
                      "`, which zsyncctl does not run";
                return false;
            }
            out += *echoed;
            i = end;
        } else if (next == '{') {
            std::size_t end = matching(body, i + 1, '{', '}');
            if (end == std::string_view::npos) {
                why = "a %{ is not closed";
                return false;
            }
            std::string_view inner = body.substr(i + 2, end - i - 3);
            const std::string_view whole = inner;
            i = end;
            bool negate = inner.starts_with("!?");
            bool conditional = negate || inner.starts_with('?');
            inner.remove_prefix(negate ? 2 : (conditional ? 1 : 0));
            std::size_t colon = inner.find(':');
            std::string_view name = inner.substr(0, colon);
            if (name.empty() || !name_start(name.front()) ||
                !std::all_of(name.begin(), name.end(), name_char) ||
                (!conditional && colon != std::string_view::npos)) {
                why = "it uses %{" + std::string(whole) + "}, which only rpm can expand";
                return false;
            }
            const std::string* value = lookup(name);
            if (!conditional) {
                if (value == nullptr) {
                    why = "%{" + std::string(name) + "} is not defined";
                    return false;
                }
                if (!expand_named(name, *value)) {
                    return false;
                }
            } else if ((value != nullptr) != negate) {
                bool ok = colon != std::string_view::npos
                              ? expand(inner.substr(colon + 1), macros, home, out, why, depth + 1)
                              : (value == nullptr || expand_named(name, *value));
                if (!ok) {
                    return false;
                }
            }
        } else if (name_start(next)) {
            std::size_t end = i + 1;
            while (end < body.size() && name_char(body[end])) {
                ++end;
            }
            std::string_view name = body.substr(i + 1, end - i - 1);
            i = end;
            const std::string* value = lookup(name);
            if (value == nullptr) {
                why = "%" + std::string(name) + " is not defined";
                return false;
            }
            if (!expand_named(name, *value)) {
                return false;
            }
        } else {
            why = "it uses %" + std::string(1, next) + ", which only rpm can expand";
            return false;
        }
    }
    return true;
}

// The files of a directory inside the root whose names start with `prefix`, sorted (glob's order).
std::vector<std::string> glob_in(const util::Root& root, const std::string& dir, std::string_view prefix) {
    std::vector<std::string> out;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(root.resolve(dir), ec), end; !ec && it != end;
         it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.starts_with(prefix)) {
            out.push_back(dir + "/" + name);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

// The home directory rpm's shell would expand ~ to: $HOME, else the passwd entry of the effective user.
std::string tilde_home() {
    if (const char* home = std::getenv("HOME"); home != nullptr) {
        return home;
    }
    if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_dir != nullptr) {
        return pw->pw_dir;
    }
    return {};
}

} // namespace

void parse_rpm_macro_file(std::string_view text, RpmMacros& into) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        // One logical line: a trailing backslash or an open %{ / %( continues it (rpm's rdcl).
        std::string line;
        int braces = 0;
        int parens = 0;
        while (pos < text.size()) {
            std::size_t nl = text.find('\n', pos);
            std::string_view piece =
                text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
            pos = nl == std::string_view::npos ? text.size() : nl + 1;
            for (std::size_t i = 0; i < piece.size(); ++i) {
                if (piece[i] == '%' && i + 1 < piece.size() && (piece[i + 1] == '{' || piece[i + 1] == '(')) {
                    ++(piece[i + 1] == '{' ? braces : parens);
                    ++i;
                } else if (piece[i] == '}' && braces > 0) {
                    --braces;
                } else if (piece[i] == ')' && parens > 0) {
                    --parens;
                }
            }
            bool backslash = !piece.empty() && piece.back() == '\\';
            line += backslash ? piece.substr(0, piece.size() - 1) : piece;
            if (!backslash && braces == 0 && parens == 0) {
                break;
            }
            line.push_back('\n');
        }
        std::string_view rest = trim(line);
        if (rest.size() < 2 || rest.front() != '%' || !name_start(rest[1])) {
            continue;
        }
        std::size_t end = 1;
        while (end < rest.size() && name_char(rest[end])) {
            ++end;
        }
        std::string name(rest.substr(1, end - 1));
        rest.remove_prefix(end);
        if (!rest.empty() && rest.front() == '(') {
            into[name] = std::string(k_parametric);
            continue;
        }
        into[name] = std::string(trim(rest));
    }
}

bool expand_rpm_macro(std::string_view body, const RpmMacros& macros, std::string_view home, std::string& out,
                      std::string& why) {
    out.clear();
    why.clear();
    if (!expand(body, macros, home, out, why, 0)) {
        out.clear();
        return false;
    }
    return true;
}

RpmDbPath resolve_rpm_dbpath(const util::Root& root) {
    RpmDbPath result;
    RpmMacros macros;
    std::string winner;
    auto load = [&](const std::string& text, const std::string& where) {
        RpmMacros file;
        parse_rpm_macro_file(text, file);
        if (file.contains("_dbpath")) {
            winner = where;
        }
        for (auto& [name, body] : file) {
            macros[name] = std::move(body);
        }
    };
    struct utsname uts {};
    std::string target = ::uname(&uts) == 0 ? std::string(uts.machine) + "-linux" : "";
    std::vector<std::string> files{"/usr/lib/rpm/macros"};
    for (auto& f : glob_in(root, "/usr/lib/rpm/macros.d", "macros.")) {
        files.push_back(std::move(f));
    }
    if (!target.empty()) {
        files.push_back("/usr/lib/rpm/platform/" + target + "/macros");
    }
    // The vendor's directory is compiled into rpm (debian, redhat, suse): every /usr/lib/rpm/<dir>/macros.
    for (auto& dir : glob_in(root, "/usr/lib/rpm", "")) {
        if (!dir.ends_with("/platform") && !dir.ends_with("/macros.d") && root.exists(dir + "/macros")) {
            files.push_back(dir + "/macros");
        }
    }
    for (auto& f : glob_in(root, "/etc/rpm", "macros.")) {
        files.push_back(std::move(f));
    }
    files.emplace_back("/etc/rpm/macros");
    if (!target.empty()) {
        files.push_back("/etc/rpm/" + target + "/macros");
    }
    for (const auto& file : files) {
        if (auto text = root.read(file, k_max_macro_file)) {
            load(*text, root.resolve(file).string());
        }
    }
    std::string home = tilde_home();
    if (root.is_host() && !home.empty()) {
        // As root, neither the directory nor the file may be another user's (sudo -E keeps HOME).
        std::string path = home + "/.rpmmacros";
        auto dir = util::open_private_dir(home, util::CreateMissing::no, util::DirOwner::self_or_root);
        util::Result<util::UniqueFd> fd = util::fail(util::ErrorKind::not_found, "");
        if (dir) {
            fd = util::open_trusted_file_at(dir->get(), ".rpmmacros");
        } else {
            fd = util::fail(dir.error());
        }
        if (fd) {
            if (auto text = util::read_fd(fd->release(), path, k_max_macro_file)) {
                load(*text, path);
            }
        } else if (fd.error().kind != util::ErrorKind::not_found && ::access(path.c_str(), F_OK) == 0) {
            result.skipped.push_back(path + " (" + fd.error().message + ")");
        }
    }
    auto body = macros.find("_dbpath");
    if (body == macros.end()) {
        return result;
    }
    result.defined_in = winner;
    std::string out;
    if (expand_rpm_macro(body->second, macros, home, out, result.why)) {
        if (out.size() > 1 && out.back() == '/') {
            out.pop_back();
        }
        if (out.starts_with('/')) {
            result.directory = out;
        } else {
            result.why = "it expands to the relative path " + out;
        }
    }
    return result;
}

std::vector<std::string> rpm_database_directories(const util::Root& root,
                                                  const std::vector<std::string_view>& defaults,
                                                  std::string& why) {
    RpmDbPath dbpath = resolve_rpm_dbpath(root);
    why.clear();
    for (const auto& skipped : dbpath.skipped) {
        why += (why.empty() ? "" : "; ") + ("not read: " + skipped);
    }
    if (!dbpath.directory.empty()) {
        return {dbpath.directory};
    }
    if (!dbpath.defined_in.empty()) {
        why += std::string(why.empty() ? "" : "; ") + "rpm's %_dbpath (" + dbpath.defined_in +
               ") is not known: " + dbpath.why;
    }
    return {defaults.begin(), defaults.end()};
}

} // namespace zsyncctl::pkg
