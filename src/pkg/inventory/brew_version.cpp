#include "pkg/inventory/brew_version.hpp"

#include <cctype>
#include <string>
#include <vector>

#include "util/digits.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// Homebrew's token classes; composite ones (alpha ... post) carry a number, `rev`.
enum class Kind { null, numeric, string, alpha, beta, pre, rc, patch, post };

struct Token {
    Kind kind = Kind::null;
    std::string text; // the scanned text (string comparison of word tokens)
    std::string num;  // the digits of a numeric token, or of the composite's revision (empty: 0)
};

bool is_alpha(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0;
}

// Case-insensitive "starts with `word` at `i`".
bool word_at(std::string_view s, std::size_t i, std::string_view word) {
    if (s.size() - i < word.size()) {
        return false;
    }
    for (std::size_t k = 0; k < word.size(); ++k) {
        if (std::tolower(static_cast<unsigned char>(s[i + k])) != word[k]) {
            return false;
        }
    }
    return true;
}

std::size_t digits_at(std::string_view s, std::size_t i) {
    std::size_t n = 0;
    while (i + n < s.size() && util::is_ascii_digit(s[i + n])) {
        ++n;
    }
    return n;
}

// Ruby's Integer has no upper bound: digit runs are compared as text of any length.
bool is_zero(std::string_view digits) {
    return digits.find_first_not_of('0') == std::string_view::npos;
}

// The length of the match of Homebrew's SCAN_PATTERN alternatives at `i`, in the union's order (alpha,
// beta, pre, rc, patch, post, numeric, string), and the kind the match is created as (Token.create tries
// alpha, beta, rc, pre, patch, post, numeric, string on the whole match).
std::size_t match_at(std::string_view s, std::size_t i, Kind& kind) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    auto composite = [&](std::string_view word, bool digits_required, Kind k) -> std::size_t {
        if (!word_at(s, i, word)) {
            return 0;
        }
        std::size_t d = digits_at(s, i + word.size());
        if (digits_required && d == 0) {
            return 0;
        }
        kind = k;
        return word.size() + d;
    };
    // alpha[0-9]*|a[0-9]+
    if (std::size_t n = composite("alpha", false, Kind::alpha); n != 0) {
        return n;
    }
    if (std::size_t n = composite("a", true, Kind::alpha); n != 0) {
        return n;
    }
    if (std::size_t n = composite("beta", false, Kind::beta); n != 0) {
        return n;
    }
    if (std::size_t n = composite("b", true, Kind::beta); n != 0) {
        return n;
    }
    if (std::size_t n = composite("pre", false, Kind::pre); n != 0) {
        return n;
    }
    if (std::size_t n = composite("rc", false, Kind::rc); n != 0) {
        return n;
    }
    if (c == 'p') { // p[0-9]*
        kind = Kind::patch;
        return 1 + digits_at(s, i + 1);
    }
    // .post[0-9]+ (the '.' is any character)
    if (i + 1 < s.size() && word_at(s, i + 1, "post")) {
        if (std::size_t d = digits_at(s, i + 5); d != 0) {
            kind = Kind::post;
            return 5 + d;
        }
    }
    if (std::size_t d = digits_at(s, i); d != 0) {
        kind = Kind::numeric;
        return d;
    }
    if (is_alpha(s[i])) {
        std::size_t n = 0;
        while (i + n < s.size() && is_alpha(s[i + n])) {
            ++n;
        }
        kind = Kind::string;
        return n;
    }
    return 0;
}

std::vector<Token> tokens_of(std::string_view s) {
    std::vector<Token> out;
    for (std::size_t i = 0; i < s.size();) {
        Kind kind = Kind::null;
        std::size_t n = match_at(s, i, kind);
        if (n == 0) {
            ++i;
            continue;
        }
        Token t;
        t.kind = kind;
        t.text = std::string(s.substr(i, n));
        if (kind == Kind::numeric) {
            t.num = t.text;
        } else if (kind != Kind::string) {
            // CompositeToken#rev: the first digit run of the token's text.
            std::size_t start = 0;
            while (start < t.text.size() && !util::is_ascii_digit(t.text[start])) {
                ++start;
            }
            t.num = t.text.substr(start, digits_at(t.text, start));
        }
        out.push_back(std::move(t));
        i += n;
    }
    return out;
}

int sign(long long v) {
    return v < 0 ? -1 : (v > 0 ? 1 : 0);
}

int cmp_num(std::string_view a, std::string_view b) {
    return util::compare_digit_strings(a, b);
}

int cmp_text(const std::string& a, const std::string& b) {
    return sign(a.compare(b));
}

bool is_composite(Kind k) {
    return k == Kind::alpha || k == Kind::beta || k == Kind::pre || k == Kind::rc || k == Kind::patch ||
           k == Kind::post;
}

// The rank of a composite kind against another composite kind of a different class, where version.rb
// orders them (alpha < beta < pre < rc < patch, post); patch against post falls through to text order.
int composite_rank(Kind k) {
    switch (k) {
    case Kind::alpha:
        return 0;
    case Kind::beta:
        return 1;
    case Kind::pre:
        return 2;
    case Kind::rc:
        return 3;
    default:
        return 4; // patch, post
    }
}

int compare_tokens(const Token& a, const Token& b);

// NullToken#<=>.
int null_vs(const Token& other) {
    switch (other.kind) {
    case Kind::null:
        return 0;
    case Kind::numeric:
        return is_zero(other.num) ? 0 : -1;
    case Kind::alpha:
    case Kind::beta:
    case Kind::pre:
    case Kind::rc:
        return 1;
    default:
        return -1;
    }
}

int compare_tokens(const Token& a, const Token& b) {
    if (a.kind == Kind::null) {
        return null_vs(b);
    }
    if (b.kind == Kind::null) {
        return -null_vs(a);
    }
    if (a.kind == Kind::numeric) {
        return b.kind == Kind::numeric ? cmp_num(a.num, b.num) : 1;
    }
    if (b.kind == Kind::numeric) {
        return -1;
    }
    // Both are word tokens (StringToken and its composite subclasses).
    if (is_composite(a.kind) && a.kind == b.kind) {
        return cmp_num(a.num, b.num);
    }
    if (is_composite(a.kind) && is_composite(b.kind)) {
        int ra = composite_rank(a.kind);
        int rb = composite_rank(b.kind);
        if (ra != rb) {
            return ra < rb ? -1 : 1;
        }
    }
    return cmp_text(a.text, b.text);
}

bool is_head(std::string_view v) {
    return v == "HEAD" || v.starts_with("HEAD-");
}

} // namespace

int compare_brew_versions(std::string_view a, std::string_view b) {
    if (a == b) {
        return 0;
    }
    if (is_head(a) || is_head(b)) {
        return is_head(a) == is_head(b) ? 0 : (is_head(a) ? 1 : -1);
    }
    std::vector<Token> lt = tokens_of(a);
    std::vector<Token> rt = tokens_of(b);
    const std::size_t max = std::max(lt.size(), rt.size());
    const Token null_token;
    std::size_t l = 0;
    std::size_t r = 0;
    while (l < max) {
        const Token& x = l < lt.size() ? lt[l] : null_token;
        const Token& y = r < rt.size() ? rt[r] : null_token;
        int c = compare_tokens(x, y);
        if (c == 0) {
            ++l;
            ++r;
        } else if (x.kind == Kind::numeric && y.kind != Kind::numeric) {
            if (!is_zero(x.num)) {
                return 1;
            }
            ++l;
        } else if (x.kind != Kind::numeric && y.kind == Kind::numeric) {
            if (!is_zero(y.num)) {
                return -1;
            }
            ++r;
        } else {
            return c;
        }
    }
    return 0;
}

int compare_brew_pkg_versions(std::string_view a, std::string_view b) {
    // PkgVersion.parse: /\A(.+?)(?:_(\d+))?\z/ (the shortest version, then an optional _REVISION).
    auto split = [](std::string_view v, std::string_view& revision) {
        revision = {};
        std::size_t us = v.rfind('_');
        if (us != std::string_view::npos && us > 0 && us + 1 < v.size() &&
            digits_at(v, us + 1) == v.size() - us - 1) {
            revision = v.substr(us + 1);
            return v.substr(0, us);
        }
        return v;
    };
    std::string_view ra;
    std::string_view rb;
    std::string_view va = split(a, ra);
    std::string_view vb = split(b, rb);
    if (int c = compare_brew_versions(va, vb); c != 0) {
        return c;
    }
    return cmp_num(ra, rb);
}

} // namespace zsyncctl::pkg
