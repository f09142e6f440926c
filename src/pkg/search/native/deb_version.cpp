#include "pkg/search/native/deb_version.hpp"
#include "util/strings.hpp"

#include <cstdint>

namespace zsyncctl::pkg {

namespace {

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// dpkg's character weight in a non-digit run; 0 stands for "end of string".
int order(std::string_view s, std::size_t i) {
    if (i >= s.size()) {
        return 0;
    }
    char c = s[i];
    if (util::is_ascii_digit(c)) {
        return 0;
    }
    if (is_alpha(c)) {
        return static_cast<unsigned char>(c);
    }
    if (c == '~') {
        return -1;
    }
    return static_cast<unsigned char>(c) + 256;
}

int compare_part(std::string_view a, std::string_view b) {
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() || j < b.size()) {
        while ((i < a.size() && !util::is_ascii_digit(a[i])) ||
               (j < b.size() && !util::is_ascii_digit(b[j]))) {
            int ac = order(a, i);
            int bc = order(b, j);
            if (ac != bc) {
                return ac - bc;
            }
            if (i < a.size()) {
                ++i;
            }
            if (j < b.size()) {
                ++j;
            }
        }
        while (i < a.size() && a[i] == '0') {
            ++i;
        }
        while (j < b.size() && b[j] == '0') {
            ++j;
        }
        int first_diff = 0;
        while (i < a.size() && j < b.size() && util::is_ascii_digit(a[i]) && util::is_ascii_digit(b[j])) {
            if (first_diff == 0) {
                first_diff = a[i] - b[j];
            }
            ++i;
            ++j;
        }
        if (i < a.size() && util::is_ascii_digit(a[i])) {
            return 1;
        }
        if (j < b.size() && util::is_ascii_digit(b[j])) {
            return -1;
        }
        if (first_diff != 0) {
            return first_diff;
        }
    }
    return 0;
}

struct Parts {
    std::uint64_t epoch = 0;
    std::string_view upstream;
    std::string_view revision;
};

Parts split_version(std::string_view v) {
    Parts p;
    // dpkg's parseversion: surrounding blanks are ignored.
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.front() == '\n' || v.front() == '\r')) {
        v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\n' || v.back() == '\r')) {
        v.remove_suffix(1);
    }
    std::size_t colon = v.find(':');
    if (colon != std::string_view::npos) {
        std::uint64_t epoch = 0;
        // dpkg reads the epoch with strtol, which takes a leading '+'.
        std::size_t first = (colon > 0 && v[0] == '+') ? 1 : 0;
        bool numeric = colon > first;
        for (std::size_t k = first; k < colon && numeric; ++k) {
            if (!util::is_ascii_digit(v[k]) || epoch > (UINT64_MAX - 9) / 10) {
                numeric = false;
                break;
            }
            epoch = epoch * 10 + static_cast<std::uint64_t>(v[k] - '0');
        }
        if (numeric) {
            p.epoch = epoch;
            v.remove_prefix(colon + 1);
        }
    }
    std::size_t dash = v.rfind('-');
    if (dash != std::string_view::npos) {
        p.upstream = v.substr(0, dash);
        p.revision = v.substr(dash + 1);
    } else {
        p.upstream = v;
    }
    return p;
}

} // namespace

int compare_deb_versions(std::string_view a, std::string_view b) {
    Parts pa = split_version(a);
    Parts pb = split_version(b);
    if (pa.epoch != pb.epoch) {
        return pa.epoch < pb.epoch ? -1 : 1;
    }
    if (int c = compare_part(pa.upstream, pb.upstream); c != 0) {
        return c < 0 ? -1 : 1;
    }
    int c = compare_part(pa.revision, pb.revision);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

} // namespace zsyncctl::pkg
