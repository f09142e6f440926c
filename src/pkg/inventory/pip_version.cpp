#include "pkg/inventory/pip_version.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <tuple>

#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// A PEP 440 version taken apart (packaging.version's grammar).
struct Pep440 {
    bool ok = false;
    std::int64_t epoch = 0;
    std::vector<std::int64_t> release;
    int pre_kind = -1; // 0 a, 1 b, 2 rc; -1 none
    std::int64_t pre = 0;
    std::int64_t post = -1; // -1 none
    std::int64_t dev = -1;  // -1 none
    std::string local;      // normalized (separators '.'), empty when none
};

bool is_sep(char c) {
    return c == '-' || c == '_' || c == '.';
}

class Scanner {
public:
    explicit Scanner(std::string_view text) : m_s(text) {}
    bool done() const { return m_i == m_s.size(); }
    bool digits(std::int64_t& out) {
        std::size_t j = m_i;
        std::int64_t v = 0;
        while (j < m_s.size() && std::isdigit(static_cast<unsigned char>(m_s[j])) != 0) {
            v = v > (INT64_MAX - 9) / 10 ? INT64_MAX : v * 10 + (m_s[j] - '0');
            ++j;
        }
        if (j == m_i) {
            return false;
        }
        m_i = j;
        out = v;
        return true;
    }
    bool literal(std::string_view word) {
        if (m_s.compare(m_i, word.size(), word) == 0) {
            m_i += word.size();
            return true;
        }
        return false;
    }
    bool sep() {
        if (m_i < m_s.size() && is_sep(m_s[m_i])) {
            ++m_i;
            return true;
        }
        return false;
    }
    bool peek(char c) const { return m_i < m_s.size() && m_s[m_i] == c; }
    std::size_t at() const { return m_i; }
    void reset(std::size_t at) { m_i = at; }
    std::string rest() const { return std::string(m_s.substr(m_i)); }

private:
    std::string_view m_s; // the caller's text, which outlives the scanner
    std::size_t m_i = 0;
};

Pep440 parse_pep440(std::string_view text) {
    Pep440 v;
    std::string lower(util::trim(text));
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    Scanner s(lower);
    s.literal("v");
    std::size_t start = s.at();
    std::int64_t n = 0;
    if (s.digits(n) && s.peek('!')) {
        s.literal("!");
        v.epoch = n;
    } else {
        s.reset(start);
    }
    if (!s.digits(n)) {
        return v;
    }
    v.release.push_back(n);
    for (;;) {
        std::size_t at = s.at();
        if (s.literal(".") && s.digits(n)) {
            v.release.push_back(n);
            continue;
        }
        s.reset(at);
        break;
    }
    // Pre-release: [-_.]? (alpha|beta|preview|pre|rc|a|b|c) [-_.]? N?
    std::size_t at = s.at();
    s.sep();
    static constexpr std::pair<std::string_view, int> k_pre[] = {
        {"alpha", 0}, {"beta", 1}, {"preview", 2}, {"pre", 2}, {"rc", 2}, {"a", 0}, {"b", 1}, {"c", 2}};
    bool pre = false;
    for (const auto& [word, kind] : k_pre) {
        if (s.literal(word)) {
            v.pre_kind = kind;
            pre = true;
            break;
        }
    }
    if (pre) {
        std::size_t before = s.at();
        s.sep();
        if (!s.digits(v.pre)) {
            s.reset(before);
            v.pre = 0;
        }
    } else {
        s.reset(at);
    }
    // Post-release: -N, or [-_.]? (post|rev|r) [-_.]? N?
    at = s.at();
    if (s.literal("-") && s.digits(n)) {
        v.post = n;
    } else {
        s.reset(at);
        s.sep();
        if (s.literal("post") || s.literal("rev") || s.literal("r")) {
            std::size_t before = s.at();
            s.sep();
            if (!s.digits(v.post)) {
                s.reset(before);
                v.post = 0;
            }
        } else {
            s.reset(at);
        }
    }
    // Development release: [-_.]? dev [-_.]? N?
    at = s.at();
    s.sep();
    if (s.literal("dev")) {
        std::size_t before = s.at();
        s.sep();
        if (!s.digits(v.dev)) {
            s.reset(before);
            v.dev = 0;
        }
    } else {
        s.reset(at);
    }
    if (s.literal("+")) {
        std::string local = s.rest();
        bool valid = !local.empty() && !is_sep(local.front()) && !is_sep(local.back());
        for (std::size_t i = 0; valid && i < local.size(); ++i) {
            char c = local[i];
            if (is_sep(c)) {
                valid = !is_sep(local[i + 1]);
                local[i] = '.';
            } else {
                valid = std::isalnum(static_cast<unsigned char>(c)) != 0;
            }
        }
        if (!valid) {
            return v;
        }
        v.local = local;
        s.reset(lower.size());
    }
    v.ok = s.done();
    return v;
}

// The release without trailing zeros (1.0.0 == 1).
std::vector<std::int64_t> trimmed(std::vector<std::int64_t> release) {
    while (release.size() > 1 && release.back() == 0) {
        release.pop_back();
    }
    return release;
}

int compare_parsed(const Pep440& a, const Pep440& b, bool with_local) {
    auto key = [](const Pep440& v) {
        // A dev release without a pre or post release sorts before every pre-release of its release.
        int pre_kind = v.pre_kind >= 0 ? v.pre_kind : (v.post < 0 && v.dev >= 0 ? -1 : 3);
        std::int64_t dev = v.dev >= 0 ? v.dev : INT64_MAX;
        return std::make_tuple(v.epoch, trimmed(v.release), pre_kind, v.pre_kind >= 0 ? v.pre : 0, v.post,
                               dev);
    };
    auto ka = key(a);
    auto kb = key(b);
    if (ka != kb) {
        return ka < kb ? -1 : 1;
    }
    if (!with_local || a.local == b.local) {
        return 0;
    }
    return a.local < b.local ? -1 : 1;
}

// True when `version`'s release starts with the release numbers of `prefix` ("==1.4.*").
bool release_starts_with(const Pep440& version, const Pep440& prefix) {
    if (version.epoch != prefix.epoch) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.release.size(); ++i) {
        std::int64_t have = i < version.release.size() ? version.release[i] : 0;
        if (have != prefix.release[i]) {
            return false;
        }
    }
    return true;
}

bool satisfies_one(std::string_view version, std::string_view spec) {
    static constexpr std::string_view k_ops[] = {"===", "~=", "==", "!=", "<=", ">=", "<", ">"};
    std::string_view op;
    for (std::string_view candidate : k_ops) {
        if (spec.starts_with(candidate)) {
            op = candidate;
            break;
        }
    }
    if (op.empty()) {
        return true;
    }
    std::string_view wanted = util::trim(spec.substr(op.size()));
    if (op == "===") {
        return util::trim(version) == wanted;
    }
    Pep440 have = parse_pep440(version);
    bool wildcard = wanted.ends_with(".*");
    Pep440 want = parse_pep440(wildcard ? wanted.substr(0, wanted.size() - 2) : wanted);
    if (!have.ok || !want.ok) {
        return op == "!=" ? util::trim(version) != wanted : util::trim(version) == wanted || op != "==";
    }
    if (op == "==" || op == "!=") {
        bool equal =
            wildcard ? release_starts_with(have, want) : compare_parsed(have, want, !want.local.empty()) == 0;
        return op == "==" ? equal : !equal;
    }
    int c = compare_parsed(have, want, false);
    if (op == "<") {
        return c < 0;
    }
    if (op == "<=") {
        return c <= 0;
    }
    if (op == ">") {
        return c > 0;
    }
    if (op == ">=") {
        return c >= 0;
    }
    // ~=V.N: >= V.N and == V.*
    Pep440 prefix = want;
    if (prefix.release.size() > 1) {
        prefix.release.pop_back();
    }
    return c >= 0 && release_starts_with(have, prefix);
}

// A requirement line's name and specifiers ("Foo[bar] >=1, <2 ; python_version<'3.12'"); false for lines
// that are options or URLs.
bool split_requirement(std::string_view line, std::string& name, std::string& specifiers) {
    std::size_t i = 0;
    while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) != 0 || is_sep(line[i]))) {
        ++i;
    }
    if (i == 0) {
        return false;
    }
    name = canonical_pip_name(line.substr(0, i));
    std::string_view rest = line.substr(i);
    if (auto semi = rest.find(';'); semi != std::string_view::npos) {
        rest = rest.substr(0, semi);
    }
    rest = util::trim(rest);
    if (rest.starts_with('[')) {
        auto close = rest.find(']');
        rest = close == std::string_view::npos ? std::string_view() : util::trim(rest.substr(close + 1));
    }
    if (rest.starts_with('@')) {
        return false; // a URL requirement pins no version pip compares
    }
    if (rest.starts_with('(') && rest.ends_with(')')) {
        rest = rest.substr(1, rest.size() - 2);
    }
    specifiers.clear();
    for (char c : rest) {
        if (c != ' ' && c != '\t') {
            specifiers += c;
        }
    }
    return true;
}

void read_constraints_file(const util::Root& root, const std::string& file, int depth,
                           std::vector<PipConstraint>& out) {
    if (depth > 5) {
        return;
    }
    auto text = root.read(file, 4u << 20);
    if (!text) {
        return;
    }
    for (std::string_view raw : util::split_lines(*text)) {
        std::string_view line = raw;
        for (std::size_t i = 0; i < line.size(); ++i) {
            if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
                line = line.substr(0, i);
                break;
            }
        }
        line = util::trim(line);
        if (line.empty()) {
            continue;
        }
        if (line.starts_with('-')) {
            for (std::string_view option : {"--constraint", "--requirement", "-c", "-r"}) {
                if (line.starts_with(option)) {
                    std::string_view value = line.substr(option.size());
                    while (!value.empty() &&
                           (value.front() == '=' || value.front() == ' ' || value.front() == '\t')) {
                        value.remove_prefix(1);
                    }
                    std::string target(util::trim(value));
                    if (!target.empty() && target.front() != '/') {
                        target = util::path_dir(file) + "/" + target;
                    }
                    if (!target.empty()) {
                        read_constraints_file(root, target, depth + 1, out);
                    }
                    break;
                }
            }
            continue;
        }
        PipConstraint c;
        if (split_requirement(line, c.name, c.specifiers)) {
            c.line = std::string(line);
            c.file = file;
            out.push_back(std::move(c));
        }
    }
}

} // namespace

std::string canonical_pip_name(std::string_view name) {
    std::string out;
    bool in_sep = false;
    for (char c : util::trim(name)) {
        if (is_sep(c)) {
            in_sep = true;
            continue;
        }
        if (in_sep && !out.empty()) {
            out += '-';
        }
        in_sep = false;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string normalize_pep440(std::string_view version) {
    Pep440 v = parse_pep440(version);
    if (!v.ok) {
        return std::string(util::trim(version));
    }
    std::string out;
    if (v.epoch != 0) {
        out = std::to_string(v.epoch) + "!";
    }
    for (std::size_t i = 0; i < v.release.size(); ++i) {
        out += (i == 0 ? "" : ".") + std::to_string(v.release[i]);
    }
    if (v.pre_kind >= 0) {
        static constexpr const char* k_kinds[] = {"a", "b", "rc"};
        out += k_kinds[v.pre_kind] + std::to_string(v.pre);
    }
    if (v.post >= 0) {
        out += ".post" + std::to_string(v.post);
    }
    if (v.dev >= 0) {
        out += ".dev" + std::to_string(v.dev);
    }
    if (!v.local.empty()) {
        out += "+" + v.local;
    }
    return out;
}

int compare_pep440(std::string_view a, std::string_view b) {
    Pep440 pa = parse_pep440(a);
    Pep440 pb = parse_pep440(b);
    if (pa.ok && pb.ok) {
        return compare_parsed(pa, pb, true);
    }
    if (pa.ok != pb.ok) {
        return pa.ok ? 1 : -1; // legacy versions sort before every PEP 440 one (packaging 21)
    }
    return a == b ? 0 : (a < b ? -1 : 1);
}

bool satisfies_pep440(std::string_view version, std::string_view specifiers) {
    std::size_t start = 0;
    while (start <= specifiers.size()) {
        std::size_t comma = specifiers.find(',', start);
        std::string_view one = util::trim(specifiers.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (!one.empty() && !satisfies_one(version, one)) {
            return false;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return true;
}

std::vector<PipConstraint> read_pip_constraints(const util::Root& root, std::string_view env_value) {
    std::vector<PipConstraint> out;
    std::size_t i = 0;
    while (i < env_value.size()) {
        while (i < env_value.size() && std::isspace(static_cast<unsigned char>(env_value[i])) != 0) {
            ++i;
        }
        std::size_t j = i;
        while (j < env_value.size() && std::isspace(static_cast<unsigned char>(env_value[j])) == 0) {
            ++j;
        }
        std::string_view file = env_value.substr(i, j - i);
        if (file.starts_with('/')) {
            read_constraints_file(root, std::string(file), 0, out);
        }
        i = j;
    }
    return out;
}

std::optional<PipConstraint> violated_constraint(const std::vector<PipConstraint>& constraints,
                                                 std::string_view name, std::string_view version) {
    std::string wanted = canonical_pip_name(name);
    for (const PipConstraint& c : constraints) {
        if (c.name == wanted && !c.specifiers.empty() && !satisfies_pep440(version, c.specifiers)) {
            return c;
        }
    }
    return std::nullopt;
}

} // namespace zsyncctl::pkg
