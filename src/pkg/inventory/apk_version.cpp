#include "pkg/inventory/apk_version.hpp"

#include <string>
#include <vector>

#include "util/digits.hpp"

namespace zsyncctl::pkg {

namespace {

// Token kinds in the order apk ranks them where two versions differ in kind at the same place: the one
// whose next token comes earlier in this list has more components, so it is newer (but see suffixes).
// `invalid` (the rest of a version outside the grammar) ranks first, as in apk.
enum class Kind { invalid, digit, letter, suffix, suffix_number, hash, revision, end };

struct Token {
    Kind kind;
    std::string text; ///< digits, the letter, the hash
    int rank = 0;     ///< a suffix's place: alpha -4 .. rc -1, cvs 0 .. p 4
    bool first = false;
};

bool digit(char c) {
    return c >= '0' && c <= '9';
}
bool lower(char c) {
    return c >= 'a' && c <= 'z';
}

std::string_view take_digits(std::string_view& s) {
    std::size_t n = 0;
    while (n < s.size() && digit(s[n])) {
        ++n;
    }
    auto out = s.substr(0, n);
    s.remove_prefix(n);
    return out;
}

// The tokens of a version, END last; where it leaves the grammar, an INVALID token ends it instead (apk
// compares the tokens before that point, so "23_foo" is still newer than "4_beta").
std::vector<Token> tokenize(std::string_view s) {
    static constexpr std::string_view k_suffixes[] = {"alpha", "beta", "pre", "rc", "cvs",
                                                      "svn",   "git",  "hg",  "p"};
    std::vector<Token> out;
    auto invalid = [](std::vector<Token>& tokens) {
        tokens.push_back({Kind::invalid, {}});
        return tokens;
    };
    auto first = take_digits(s);
    if (first.empty()) {
        return invalid(out);
    }
    out.push_back({Kind::digit, std::string(first), 0, true});
    while (!s.empty() && s.front() == '.') {
        s.remove_prefix(1);
        auto d = take_digits(s);
        if (d.empty()) {
            return invalid(out);
        }
        out.push_back({Kind::digit, std::string(d)});
    }
    if (!s.empty() && lower(s.front())) {
        out.push_back({Kind::letter, std::string(1, s.front())});
        s.remove_prefix(1);
    }
    while (!s.empty() && s.front() == '_') {
        s.remove_prefix(1);
        int rank = 0;
        bool found = false;
        for (std::size_t i = 0; i < std::size(k_suffixes); ++i) {
            if (s.starts_with(k_suffixes[i])) {
                rank = static_cast<int>(i) - 4;
                s.remove_prefix(k_suffixes[i].size());
                found = true;
                break;
            }
        }
        if (!found) {
            return invalid(out);
        }
        out.push_back({Kind::suffix, {}, rank});
        if (auto n = take_digits(s); !n.empty()) {
            out.push_back({Kind::suffix_number, std::string(n)});
        }
    }
    if (!s.empty() && s.front() == '~') {
        s.remove_prefix(1);
        std::size_t n = 0;
        while (n < s.size() && (digit(s[n]) || (s[n] >= 'a' && s[n] <= 'f'))) {
            ++n;
        }
        if (n == 0) {
            return invalid(out);
        }
        out.push_back({Kind::hash, std::string(s.substr(0, n))});
        s.remove_prefix(n);
    }
    if (s.starts_with("-r")) {
        s.remove_prefix(2);
        auto r = take_digits(s);
        if (r.empty()) {
            return invalid(out);
        }
        out.push_back({Kind::revision, std::string(r)});
    }
    if (!s.empty()) {
        return invalid(out);
    }
    out.push_back({Kind::end, {}});
    return out;
}

int sign(int v) {
    return v < 0 ? -1 : v > 0 ? 1 : 0;
}

int compare_same_kind(const Token& a, const Token& b) {
    switch (a.kind) {
    case Kind::digit:
        // After a '.', a leading zero makes the component a decimal fraction: "1.02" < "1.1".
        if (!a.first && (a.text.front() == '0' || b.text.front() == '0')) {
            return sign(a.text.compare(b.text));
        }
        return util::compare_digit_strings(a.text, b.text);
    case Kind::suffix_number:
    case Kind::revision:
        return util::compare_digit_strings(a.text, b.text);
    case Kind::suffix:
        return sign(a.rank - b.rank);
    case Kind::letter:
    case Kind::hash:
        return sign(a.text.compare(b.text));
    case Kind::invalid:
    case Kind::end:
        return 0;
    }
    return 0;
}

} // namespace

int compare_apk_version(std::string_view a, std::string_view b) {
    const std::vector<Token> ta = tokenize(a);
    const std::vector<Token> tb = tokenize(b);
    for (std::size_t i = 0; i < ta.size() && i < tb.size(); ++i) {
        const Token& x = ta[i];
        const Token& y = tb[i];
        if (x.kind == Kind::invalid && y.kind == Kind::invalid) {
            return 0; // both leave the grammar at the same place: apk calls them equal
        }
        if (x.kind == y.kind) {
            if (int c = compare_same_kind(x, y); c != 0) {
                return c;
            }
            continue;
        }
        // One has a component where the other has another kind (or has ended): a pre-release suffix makes
        // its version older, otherwise the version with the earlier kind has more and is newer.
        if (x.kind == Kind::suffix && x.rank < 0) {
            return -1;
        }
        if (y.kind == Kind::suffix && y.rank < 0) {
            return 1;
        }
        return x.kind < y.kind ? 1 : -1;
    }
    return 0;
}

} // namespace zsyncctl::pkg
