// A tap's formula version without Ruby: the formula file's DSL lines read as text, and Homebrew's
// Version.parse of a url for formulae that declare no version (Library/Homebrew/version.rb's parser list).
#include "pkg/inventory/brew_tap.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <vector>

#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// "bin" -> "[bB][iI][nN]": Ruby's (?i:...) for ECMAScript regexes, which have no inline flags.
std::string ci(std::string_view word) {
    std::string out;
    for (char c : word) {
        if (std::isalpha(static_cast<unsigned char>(c)) != 0) {
            out += '[';
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            out += ']';
        } else {
            out += c;
        }
    }
    return out;
}

// What a parser looks at: the file name's stem (StemParser) or the whole url (UrlParser).
enum class On { stem, url };

struct Parser {
    On on;
    std::regex regex;
    bool underscores_to_dots = false; // boost_1_39_0 -> 1.39.0
};

const std::vector<Parser>& parsers() {
    static const std::vector<Parser> list = [] {
        const std::string nwod = R"((?:\d+(?:\.\d+)*))";    // NUMERIC_WITH_OPTIONAL_DOTS
        const std::string nwd = R"((?:\d+(?:\.\d+)+))";     // NUMERIC_WITH_DOTS
        const std::string mop = R"((?:\d+(?:\.\d+){1,2}))"; // MINOR_OR_PATCH
        const std::string content = "(?:[._-](?:" + ci("bin") + "|" + ci("dist") + "|" + ci("stable") + "|" +
                                    ci("src") + "|" + ci("source") + "s?|" + ci("final") + "|" + ci("full") +
                                    "))";
        const std::string pre = R"((?:[._-]?(?:)" + ci("alpha") + "|" + ci("beta") + "|" + ci("pre") + "|" +
                                ci("rc") + R"()\.?\d{0,2}))";
        auto p = [](On on, const std::string& re, bool tr = false) {
            return Parser{on, std::regex(re, std::regex::ECMAScript | std::regex::optimize), tr};
        };
        return std::vector<Parser>{
            p(On::stem, R"((?:^|[._-]?)v?(\d{4}-\d{2}-\d{2}))"),
            p(On::url, R"(github\.com/.+/(?:zip|tar)ball/(?:v|\w+-)?((?:\d+[._-])+\d*)$)"),
            p(On::url, R"([_-]([Rr]\d+[AaBb]\d*(?:-\d+)?))"),
            p(On::stem, R"(((?:\d+_)+\d+)$)", true),
            p(On::stem, "[_-](" + nwd + R"(-(?:p|P|rc|RC)?\d+))" + content + "?$"),
            p(On::stem, "^v?(" + nwd + "(?:-" + nwod + ")+)"),
            p(On::url, "[-v](" + nwod + ")$"),
            p(On::stem, R"(-(\d+-\d+))"),
            p(On::stem, "-(" + nwod + ")$"),
            p(On::stem, "-(" + nwod + R"((.post\d+)?)$)"),
            p(On::stem, "-(" + nwod + R"((?:[abc]|rc|RC)\d*)$)"),
            p(On::stem, "-(" + nwod + R"(-(?:alpha|beta|rc)\d*)$)"),
            p(On::stem, "-(" + mop + ")-w(?:in)?(?:32|64)$"),
            p(On::stem, R"(\.()" + mop + R"()\+opam$)"),
            p(On::stem, "[_-](" + mop + R"((?:-\d+)?)[._-](?:i[36]86|x86|x64(?:[_-](?:32|64))?)$)"),
            p(On::stem, "[-.vV]?(" + nwd + pre + ")"),
            p(On::stem, "(" + nwod + ")$"),
            p(On::stem, "[-vV](" + nwd + "[abc]?)" + content + "$"),
            p(On::stem, "-(" + nwd + ")-"),
            // NUMERIC_WITH_OPTIONAL_DOTS as in today's version_spec.rb (example_1.orig.tar.gz is 1).
            p(On::stem, "_(" + nwod + R"([abc]?)\.orig$)"),
            p(On::stem, R"(-v?(\d[^-]+))"),
            p(On::stem, R"(_v?(\d[^_]+))"),
            p(On::url, R"(/(?:[rvV]_?)?(\d+\.\d+(?:\.\d+){0,2}))"),
            p(On::stem, R"(\.v(\d+[a-z]?))"),
            p(On::url, "[-.vV]?(" + nwd + pre + "?)"),
        };
    }();
    return list;
}

// CGI.unescape: %XX decoded, '+' a space.
std::string unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) != 0 &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2])) != 0) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i] == '+' ? ' ' : s[i];
        }
    }
    return out;
}

std::string_view basename(std::string_view path) {
    while (path.size() > 1 && path.back() == '/') {
        path.remove_suffix(1);
    }
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Homebrew's Pathname#extname: an archive's double extension, none when the name ends in a version
// (\b\d+\.\d+[^.]*\z, unless .7z), else File.extname.
std::string_view extname(std::string_view base) {
    static const std::regex archive(R"((\.(tar|cpio|pax)\.(gz|bz2|lz|xz|zst|Z))$)");
    static const std::regex versioned(R"(\b\d+\.\d+[^.]*$)");
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(base.begin(), base.end(), m, archive)) {
        return base.substr(static_cast<std::size_t>(m.position(1)));
    }
    if (std::regex_search(base.begin(), base.end(), versioned) && !base.ends_with(".7z")) {
        return {};
    }
    auto dot = base.rfind('.');
    return dot == std::string_view::npos || dot == 0 ? std::string_view{} : base.substr(dot);
}

// StemParser.process_spec: a SourceForge ".../download" url is named by the directory before it; a name
// ending in a non-letter extension (foo-1.2.3) is kept whole; else the stem.
std::string stem_of(std::string_view spec) {
    static const std::regex sourceforge(R"((?:sourceforge\.net|sf\.net)/.*/download$)");
    static const std::regex no_extension(R"(\.[^a-zA-Z]+$)");
    std::string_view path = spec;
    if (std::regex_search(spec.begin(), spec.end(), sourceforge)) {
        path = spec.substr(0, spec.rfind('/'));
    } else if (std::regex_search(spec.begin(), spec.end(), no_extension)) {
        return std::string(basename(spec));
    }
    std::string_view base = basename(path);
    std::string_view ext = extname(base);
    if (!ext.empty() && ext.size() < base.size()) {
        base.remove_suffix(ext.size());
    }
    return std::string(base);
}

// A Ruby string literal at the start of `text` ("..." or '...'), unescaped; empty when there is none or it
// interpolates.
std::string string_literal(std::string_view text) {
    if (text.empty() || (text.front() != '"' && text.front() != '\'')) {
        return {};
    }
    const char quote = text.front();
    std::string out;
    for (std::size_t i = 1; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
            out += text[++i];
        } else if (text[i] == quote) {
            return quote == '"' && out.find("#{") != std::string::npos ? std::string() : out;
        } else {
            out += text[i];
        }
    }
    return {};
}

// "url "x", tag: "v1"" -> the value of a `key:` argument (a string literal), or empty.
std::string keyword_argument(std::string_view args, std::string_view key) {
    std::string needle = std::string(key) + ":";
    for (auto at = args.find(needle); at != std::string_view::npos; at = args.find(needle, at + 1)) {
        if (at > 0 && (std::isalnum(static_cast<unsigned char>(args[at - 1])) != 0 || args[at - 1] == '_')) {
            continue;
        }
        return string_literal(util::trim(args.substr(at + needle.size())));
    }
    return {};
}

// A line's first word and the rest ("url", "\"https://...\", tag: ...").
std::pair<std::string_view, std::string_view> statement(std::string_view line) {
    auto end = line.find_first_of(" \t(");
    if (end == std::string_view::npos) {
        return {line, {}};
    }
    return {line.substr(0, end), util::trim(line.substr(end + (line[end] == '(' ? 1 : 0)))};
}

bool opens_block(std::string_view line, std::string_view word) {
    static const char* const keywords[] = {"def",   "if",    "unless", "case",  "while",
                                           "until", "begin", "class",  "module"};
    for (const char* k : keywords) {
        if (word == k) {
            return true;
        }
    }
    // `... do` or `... do |x|` at the end of the line (a one-line `{ }` block does not count).
    auto bar = line.find('|');
    std::string_view head =
        util::trim(bar != std::string_view::npos && line.back() == '|' ? line.substr(0, bar) : line);
    return head == "do" || head.ends_with(" do");
}

bool plain_name(std::string_view s) {
    if (s.empty() || s == "." || s == "..") {
        return false;
    }
    for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_' && c != '.' &&
            c != '+' && c != '@') {
            return false;
        }
    }
    return true;
}

// Where a block of the class body leaves the lines inside it, on the platform read.
enum class BlockKind {
    other,     // def, resource, head, patch, ...: never read
    stable,    // `stable do`
    taken,     // on_linux on Linux, on_arm on arm, an `if` branch whose condition holds here
    not_taken, // the other platform's block, a branch that does not run here
    unknown,   // an `if` whose condition only Ruby could evaluate
};

struct OpenBlock {
    BlockKind kind = BlockKind::other;
    bool is_if = false;       // an if/unless, whose else/elsif switch the branch
    bool any_taken = false;   // an earlier branch of this if was taken
    bool any_unknown = false; // an earlier branch of this if was unknown
};

// The conditions formulae branch on per platform ("Hardware::CPU.intel? && Hardware::CPU.is_64_bit?",
// "OS.linux?"), joined by and/&&, each maybe negated with !; anything else (or/||, a method of the
// formula) is unknown.
BlockKind condition_on(std::string_view condition, BrewPlatform platform) {
    condition = util::trim(condition);
    if (condition.ends_with(" then")) {
        condition = util::trim(condition.substr(0, condition.size() - 5));
    }
    if (condition.find(" or ") != std::string_view::npos || condition.find("||") != std::string_view::npos) {
        return BlockKind::unknown;
    }
    std::string text(condition);
    for (std::string_view op : {" and ", "&&"}) {
        for (auto at = text.find(op); at != std::string::npos; at = text.find(op)) {
            text.replace(at, op.size(), "\n");
        }
    }
    bool holds = true;
    for (std::string_view term : util::split_lines(text)) {
        term = util::trim(term);
        bool negate = term.starts_with('!');
        if (negate) {
            term = util::trim(term.substr(1));
        }
        bool value = false;
        if (term == "Hardware::CPU.intel?" || term == "Hardware::CPU.type == :intel") {
            value = !platform.arm;
        } else if (term == "Hardware::CPU.arm?" || term == "Hardware::CPU.type == :arm") {
            value = platform.arm;
        } else if (term == "Hardware::CPU.is_64_bit?") {
            value = true;
        } else if (term == "Hardware::CPU.is_32_bit?") {
            value = false;
        } else if (term == "OS.linux?") {
            value = platform.linux;
        } else if (term == "OS.mac?") {
            value = !platform.linux;
        } else {
            return BlockKind::unknown;
        }
        holds = holds && (value != negate);
    }
    return holds ? BlockKind::taken : BlockKind::not_taken;
}

} // namespace

std::string BrewFormulaVersion::pkg_version() const {
    if (version.empty()) {
        return {};
    }
    return revision > 0 ? version + "_" + std::to_string(revision) : version;
}

std::string brew_version_from_url(std::string_view url) {
    // libstdc++'s regex matcher recurses per character: a hostile formula's huge url could exhaust the
    // stack. Real urls are far shorter; a longer one stays unknown.
    if (url.size() > 1024) {
        return {};
    }
    const std::string spec = unescape(url);
    const std::string stem = stem_of(spec);
    for (const Parser& p : parsers()) {
        const std::string& text = p.on == On::stem ? stem : spec;
        std::smatch m;
        if (!std::regex_search(text, m, p.regex) || !m[1].matched || m[1].length() == 0) {
            continue;
        }
        std::string v = m[1].str();
        if (p.underscores_to_dots) {
            for (char& c : v) {
                c = c == '_' ? '.' : c;
            }
        }
        if (!util::trim(v).empty()) {
            return v;
        }
    }
    return {};
}

BrewPlatform BrewPlatform::host() {
    BrewPlatform platform;
#ifdef __APPLE__
    platform.linux = false;
#endif
    struct utsname uts {};
    if (::uname(&uts) == 0) {
        std::string_view machine(uts.machine);
        platform.arm = machine.starts_with("aarch64") || machine.starts_with("arm");
    }
    return platform;
}

BrewFormulaVersion parse_brew_formula(std::string_view ruby, BrewPlatform platform) {
    BrewFormulaVersion out;
    out.found = true;
    std::string url_version;    // from the top level's url
    std::string stable_version; // from a stable block (it wins over the top level)
    std::string explicit_version;
    std::string stable_explicit;
    std::vector<OpenBlock> blocks; // the blocks open inside the class body
    bool in_class = false;
    std::string heredoc; // the terminator of the heredoc being skipped (its lines are text, not code)
    std::string joined;  // a statement continued over lines ending in ',' (url "...",\n tag: "v1")
    for (auto raw : util::split_lines(ruby)) {
        std::string_view line = util::trim(raw);
        if (heredoc.empty() && !line.empty() && line.front() != '#' &&
            (line.back() == ',' || !joined.empty())) {
            joined += joined.empty() ? "" : " ";
            joined += line;
            if (line.back() == ',') {
                continue;
            }
            line = joined;
        }
        if (!heredoc.empty()) {
            if (line == heredoc) {
                heredoc.clear();
            }
            continue;
        }
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (auto at = line.find("<<"); at != std::string_view::npos) {
            auto word = line.substr(at + 2);
            if (!word.empty() && (word.front() == '~' || word.front() == '-')) {
                word.remove_prefix(1);
            }
            std::size_t len = 0;
            while (len < word.size() &&
                   (std::isupper(static_cast<unsigned char>(word[len])) != 0 || word[len] == '_')) {
                ++len;
            }
            heredoc = std::string(word.substr(0, len));
        }
        std::string statement_text(line); // `line` may view `joined`, which the next line reuses
        joined.clear();
        line = statement_text;
        auto [word, rest] = statement(line);
        if (!in_class) {
            in_class = word == "class" && line.find("< Formula") != std::string_view::npos;
            continue;
        }
        // Whether the lines here are read on this platform: every open block is `stable do`, a platform
        // block of this platform (on_linux, on_intel, ...) or a branch of an `if` taken here.
        const bool counts = std::all_of(blocks.begin(), blocks.end(), [](const OpenBlock& b) {
            return b.kind == BlockKind::stable || b.kind == BlockKind::taken;
        });
        if (word == "end") {
            if (blocks.empty()) {
                in_class = false;
            } else {
                blocks.pop_back();
            }
            continue;
        }
        if ((word == "else" || word == "elsif") && !blocks.empty() && blocks.back().is_if) {
            OpenBlock& b = blocks.back();
            if (b.kind == BlockKind::taken) {
                b.any_taken = true;
            } else if (b.kind == BlockKind::unknown) {
                b.any_unknown = true;
            }
            BlockKind next = word == "else" ? BlockKind::taken : condition_on(rest, platform);
            b.kind = b.any_taken ? BlockKind::not_taken : b.any_unknown ? BlockKind::unknown : next;
            continue;
        }
        if (opens_block(line, word)) {
            OpenBlock b;
            b.is_if = word == "if" || word == "unless";
            if (!counts) {
                b.kind = BlockKind::other;
            } else if (word == "stable" && blocks.empty()) {
                b.kind = BlockKind::stable;
            } else if (word == "on_linux" || word == "on_macos") {
                b.kind = (word == "on_linux") == platform.linux ? BlockKind::taken : BlockKind::not_taken;
            } else if (word == "on_arm" || word == "on_intel") {
                b.kind = (word == "on_arm") == platform.arm ? BlockKind::taken : BlockKind::not_taken;
            } else if (b.is_if) {
                b.kind = condition_on(rest, platform);
                if (word == "unless" && b.kind != BlockKind::unknown) {
                    b.kind = b.kind == BlockKind::taken ? BlockKind::not_taken : BlockKind::taken;
                }
            }
            blocks.push_back(b);
            continue;
        }
        if (!counts) {
            continue;
        }
        const bool in_stable = !blocks.empty() && blocks.front().kind == BlockKind::stable;
        std::string& from_url = in_stable ? stable_version : url_version;
        std::string& declared = in_stable ? stable_explicit : explicit_version;
        if (word == "url") {
            std::string tag = keyword_argument(rest, "tag");
            std::string url = string_literal(rest);
            from_url = !tag.empty()  ? brew_version_from_url(tag)
                       : url.empty() ? std::string()
                                     : brew_version_from_url(url);
        } else if (word == "version") {
            declared = string_literal(rest);
        } else if (word == "desc" && blocks.empty()) {
            out.desc = string_literal(rest);
        } else if ((word == "revision" || word == "version_scheme") && !rest.empty() &&
                   util::is_ascii_digit(rest.front())) {
            int n = 0;
            for (std::size_t i = 0; i < rest.size() && util::is_ascii_digit(rest[i]) && n < 100000; ++i) {
                n = n * 10 + (rest[i] - '0');
            }
            (word == "revision" ? out.revision : out.version_scheme) = n;
        }
    }
    out.version = !stable_explicit.empty()    ? stable_explicit
                  : !stable_version.empty()   ? stable_version
                  : !explicit_version.empty() ? explicit_version
                                              : url_version;
    return out;
}

BrewFormulaVersion read_brew_tap_formula(const util::Root& root, const std::string& prefix,
                                         std::string_view tap, std::string_view name) {
    auto slash = tap.find('/');
    if (slash == std::string_view::npos || !plain_name(tap.substr(0, slash)) ||
        !plain_name(tap.substr(slash + 1)) || !plain_name(name)) {
        return {};
    }
    const std::string user(tap.substr(0, slash));
    std::string repo(tap.substr(slash + 1));
    if (!repo.starts_with("homebrew-")) {
        repo = "homebrew-" + repo;
    }
    const std::string n(name);
    for (const std::string& repository : {prefix + "/Homebrew", prefix}) {
        const std::string tap_dir = repository + "/Library/Taps/" + user + "/" + repo;
        if (!root.exists(tap_dir)) {
            continue;
        }
        // Tap#formula_dir: the first of Formula/ and HomebrewFormula/ that exists, else the tap itself.
        std::string dir = tap_dir;
        for (const char* sub : {"/Formula", "/HomebrewFormula"}) {
            if (root.exists(tap_dir + sub)) {
                dir = tap_dir + sub;
                break;
            }
        }
        std::vector<std::string> files = {dir + "/" + n + ".rb",
                                          dir + "/" + n.substr(0, 1) + "/" + n + ".rb"};
        if (n.starts_with("lib")) {
            files.push_back(dir + "/lib/" + n + ".rb");
        }
        for (const auto& file : files) {
            if (auto text = root.read(file, 4u << 20)) {
                return parse_brew_formula(*text, BrewPlatform::host());
            }
        }
        return {};
    }
    return {};
}

} // namespace zsyncctl::pkg
