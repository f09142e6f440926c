#include "pkg/inventory/pacman_db.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fnmatch.h>
#include <unordered_map>

#include "pkg/inventory/package_info.hpp"
#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/index_pacman.hpp"
#include "util/digits.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

bool is_alnum(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool is_alpha(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0;
}

// libalpm's rpmvercmp (lib/libalpm/version.c), on views instead of NUL-terminated copies.
int rpmvercmp(std::string_view a, std::string_view b) {
    if (a == b) {
        return 0;
    }
    std::size_t one = 0;
    std::size_t two = 0;
    std::size_t ptr1 = 0;
    std::size_t ptr2 = 0;
    while (one < a.size() && two < b.size()) {
        while (one < a.size() && !is_alnum(a[one])) {
            ++one;
        }
        while (two < b.size() && !is_alnum(b[two])) {
            ++two;
        }
        if (one >= a.size() || two >= b.size()) {
            break;
        }
        // Separator runs of different lengths: the longer one is newer.
        if (one - ptr1 != two - ptr2) {
            return one - ptr1 < two - ptr2 ? -1 : 1;
        }
        ptr1 = one;
        ptr2 = two;
        bool isnum = util::is_ascii_digit(a[ptr1]);
        if (isnum) {
            while (ptr1 < a.size() && util::is_ascii_digit(a[ptr1])) {
                ++ptr1;
            }
            while (ptr2 < b.size() && util::is_ascii_digit(b[ptr2])) {
                ++ptr2;
            }
        } else {
            while (ptr1 < a.size() && is_alpha(a[ptr1])) {
                ++ptr1;
            }
            while (ptr2 < b.size() && is_alpha(b[ptr2])) {
                ++ptr2;
            }
        }
        if (two == ptr2) {
            return isnum ? 1 : -1; // a numeric run is newer than an alpha one
        }
        std::string_view s1 = a.substr(one, ptr1 - one);
        std::string_view s2 = b.substr(two, ptr2 - two);
        // Digit runs by value (leading zeros dropped, the longer run the larger), letters as strcmp.
        int rc = isnum ? util::compare_digit_strings(s1, s2) : s1.compare(s2);
        if (rc != 0) {
            return rc < 0 ? -1 : 1;
        }
        one = ptr1;
        two = ptr2;
    }
    bool end1 = one >= a.size();
    bool end2 = two >= b.size();
    if (end1 && end2) {
        return 0;
    }
    // A remaining alpha string never beats an empty one ("1.0a" < "1.0"); anything else left is newer.
    if ((end1 && !is_alpha(b[two])) || (!end1 && is_alpha(a[one]))) {
        return -1;
    }
    return 1;
}

struct Evr {
    std::string_view epoch;
    std::string_view version;
    std::string_view release;
    bool has_release = false;
};

Evr parse_evr(std::string_view evr) {
    Evr out;
    std::size_t s = 0;
    while (s < evr.size() && util::is_ascii_digit(evr[s])) {
        ++s;
    }
    std::size_t dash = evr.rfind('-');
    if (dash != std::string_view::npos && dash < s) {
        dash = std::string_view::npos;
    }
    std::size_t end = dash == std::string_view::npos ? evr.size() : dash;
    if (s < evr.size() && evr[s] == ':') {
        out.epoch = s == 0 ? std::string_view("0") : evr.substr(0, s);
        out.version = evr.substr(s + 1, end > s + 1 ? end - s - 1 : 0);
    } else {
        out.epoch = "0";
        out.version = evr.substr(0, end);
    }
    if (dash != std::string_view::npos) {
        out.release = evr.substr(dash + 1);
        out.has_release = true;
    }
    return out;
}

// The sections of a libalpm desc file: "%KEY%" then value lines up to a blank line.
std::unordered_map<std::string, std::vector<std::string>> desc_sections(std::string_view text) {
    std::unordered_map<std::string, std::vector<std::string>> out;
    std::vector<std::string>* current = nullptr;
    for (std::string_view line : util::split_lines(text)) {
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.size() > 2 && line.front() == '%' && line.back() == '%') {
            current = &out[std::string(line.substr(1, line.size() - 2))];
        } else if (line.empty()) {
            current = nullptr;
        } else if (current != nullptr) {
            current->emplace_back(line);
        }
    }
    return out;
}

struct IgnoreRules {
    std::vector<std::string> packages;
    std::vector<std::string> groups;
};

// IgnorePkg and IgnoreGroup of pacman.conf's [options] (repeatable, space-separated).
IgnoreRules ignore_rules(const PacmanLayout& layout) {
    IgnoreRules rules;
    auto text = layout.root.read("/etc/pacman.conf");
    if (!text) {
        return rules;
    }
    bool options = false;
    for (std::string_view line : util::split_lines(*text)) {
        line = util::trim(line.substr(0, line.find('#')));
        if (line.empty()) {
            continue;
        }
        if (line.front() == '[') {
            options = line == "[options]";
            continue;
        }
        std::size_t eq = line.find('=');
        if (!options || eq == std::string_view::npos) {
            continue;
        }
        std::string_view key = util::trim(line.substr(0, eq));
        std::vector<std::string>* into = key == "IgnorePkg"     ? &rules.packages
                                         : key == "IgnoreGroup" ? &rules.groups
                                                                : nullptr;
        if (into == nullptr) {
            continue;
        }
        for (std::string_view w : util::split(util::trim(line.substr(eq + 1)), ' ')) {
            if (!util::trim(w).empty()) {
                into->emplace_back(util::trim(w));
            }
        }
    }
    return rules;
}

} // namespace

int compare_alpm_versions(std::string_view a, std::string_view b) {
    if (a == b) {
        return 0;
    }
    Evr x = parse_evr(a);
    Evr y = parse_evr(b);
    int ret = rpmvercmp(x.epoch, y.epoch);
    if (ret == 0) {
        ret = rpmvercmp(x.version, y.version);
        if (ret == 0 && x.has_release && y.has_release) {
            ret = rpmvercmp(x.release, y.release);
        }
    }
    return ret;
}

bool alpm_pattern_match(const std::vector<std::string>& patterns, std::string_view name) {
    std::string n(name);
    for (const auto& pattern : patterns) {
        bool inverted = !pattern.empty() && pattern.front() == '!';
        std::string p = inverted ? pattern.substr(1) : pattern;
        if (::fnmatch(p.c_str(), n.c_str(), 0) == 0) {
            return !inverted;
        }
    }
    return false;
}

util::Result<std::vector<InstalledPackage>> read_pacman_local(const util::Root& root) {
    PacmanLayout layout = pacman_layout(root);
    std::string local = layout.db_logical + "/local";
    std::error_code ec;
    std::filesystem::directory_iterator it(layout.below("local"), ec);
    if (ec) {
        return util::fail(util::ErrorKind::not_found,
                          "no pacman local database under " + layout.below("local").string());
    }
    IgnoreRules rules = ignore_rules(layout);
    std::vector<InstalledPackage> out;
    for (const auto& entry : it) {
        std::string dir = entry.path().filename().string();
        if (dir.empty() || dir.front() == '.') {
            continue;
        }
        auto text = root.read(local + "/" + dir + "/desc");
        if (!text) {
            continue; // ALPM_DB_VERSION and other files; a damaged entry pacman also skips
        }
        auto sections = desc_sections(*text);
        auto first = [&](const char* key) {
            auto f = sections.find(key);
            return f == sections.end() || f->second.empty() ? std::string() : f->second.front();
        };
        InstalledPackage p;
        p.name = first("NAME");
        p.version = first("VERSION");
        if (p.name.empty() || p.version.empty()) {
            continue;
        }
        p.architecture = first("ARCH");
        p.state = "installed";
        p.reason = first("REASON") == "1" ? InstallReason::dependency : InstallReason::explicit_install;
        bool ignored = alpm_pattern_match(rules.packages, p.name);
        for (const auto& g : sections["GROUPS"]) {
            ignored = ignored || alpm_pattern_match(rules.groups, g);
        }
        p.held = ignored;
        out.push_back(std::move(p));
    }
    std::sort(out.begin(), out.end(),
              [](const InstalledPackage& a, const InstalledPackage& b) { return a.name < b.name; });
    return out;
}

util::Result<std::vector<OutdatedPackage>>
pacman_outdated(const util::Root& root, const std::vector<InstalledPackage>& installed, std::string* note) {
    PacmanLayout layout = pacman_layout(root);
    std::vector<std::filesystem::path> dbs = pacman_sync_dbs(layout);
    // Without a sync database there is nothing to compare with, which is an answer in two cases: a
    // pacman.conf with no repository (Debian's pacman package ships one; pacman -Sy and -Qu refuse with
    // "no usable package repositories configured", as dnf with no enabled repository) and nothing
    // installed. Otherwise the databases were never synced: a refresh is the fix.
    if (dbs.empty() && (layout.no_repositories() || installed.empty())) {
        if (note) {
            *note = layout.no_repositories()
                        ? "/etc/pacman.conf configures no repository, so nothing can be outdated (pacman "
                          "-Qu refuses: no usable package repositories configured)"
                        : "nothing is installed with pacman: nothing is outdated";
        }
        return std::vector<OutdatedPackage>{};
    }
    if (dbs.empty()) {
        return util::fail(util::ErrorKind::not_found,
                          "no pacman sync database under " + layout.below("sync").string(),
                          "run: zsyncctl pkg refresh -m pacman");
    }
    auto records = read_pacman_records(dbs, {});
    if (!records) {
        return util::fail(std::move(records).error());
    }
    std::unordered_map<std::string, const IndexRecord*> sync;
    for (const auto& r : *records) {
        sync.emplace(r.name, &r); // read_pacman_records keeps the first repository's package
    }
    std::vector<OutdatedPackage> out;
    for (const auto& p : installed) {
        auto found = sync.find(p.name);
        if (found == sync.end() || compare_alpm_versions(found->second->version, p.version) <= 0) {
            continue;
        }
        out.push_back(
            {p.name, p.architecture, p.version, found->second->version, p.held ? "ignored" : "", {}});
    }
    return out;
}

namespace {

std::int64_t desc_size(const std::unordered_map<std::string, std::vector<std::string>>& sections,
                       const char* key) {
    auto f = sections.find(key);
    if (f == sections.end() || f->second.empty()) {
        return -1;
    }
    const std::string& text = f->second.front();
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec != std::errc() || end != text.data() + text.size() || value < 0 ? -1 : value;
}

std::string desc_first(const std::unordered_map<std::string, std::vector<std::string>>& sections,
                       const char* key) {
    auto f = sections.find(key);
    return f == sections.end() || f->second.empty() ? std::string() : sanitize_index_field(f->second.front());
}

} // namespace

util::Result<std::vector<PackageInfo>> pacman_package_info(const util::Root& root, std::string_view name,
                                                           const core::CancellationToken& token) {
    PacmanLayout layout = pacman_layout(root);
    PackageInfo info;
    info.manager = "pacman";
    info.name = std::string(name);
    bool known = false;
    auto local = read_pacman_local(root);
    if (local) {
        for (const auto& p : *local) {
            if (p.name != name) {
                continue;
            }
            auto text = root.read(layout.db_logical + "/local/" + p.name + "-" + p.version + "/desc");
            if (text) {
                auto sections = desc_sections(*text);
                info.description = desc_first(sections, "DESC");
                info.installed_size = desc_size(sections, "SIZE");
            }
            info.installed = p.version;
            info.architecture = p.architecture;
            info.held = p.held;
            info.reason = p.reason;
            known = true;
        }
    }
    TarLimits limits;
    limits.keep_going = [&token] {
        return !token.is_cancelled();
    };
    std::string prefix = std::string(name) + "-";
    for (const auto& db : pacman_sync_dbs(layout)) {
        bool found = false;
        auto walked = for_each_tar_entry(
            db,
            [&](std::string_view path) {
                return !found && path.starts_with(prefix) && path.ends_with("/desc") &&
                       path.find('/') == path.size() - 5;
            },
            [&](std::string_view, std::string_view contents) {
                auto sections = desc_sections(contents);
                if (desc_first(sections, "NAME") != name) {
                    return; // "zs-app-extra-1.0-1/desc" also starts with "zs-app-"
                }
                found = true;
                info.candidate = desc_first(sections, "VERSION");
                info.repository = db.stem().string();
                info.download_size = desc_size(sections, "CSIZE");
                if (info.installed.empty()) {
                    info.installed_size = desc_size(sections, "ISIZE");
                    info.architecture = desc_first(sections, "ARCH");
                }
                if (info.description.empty()) {
                    info.description = desc_first(sections, "DESC");
                }
            },
            limits);
        if (!walked && walked.error().kind == util::ErrorKind::cancelled) {
            return util::fail(std::move(walked).error());
        }
        if (found) {
            known = true;
            break;
        }
    }
    if (!info.installed.empty() && !info.candidate.empty() &&
        compare_alpm_versions(info.candidate, info.installed) < 0) {
        info.candidate = info.installed; // pacman keeps a newer local version (-Su: "local is newer")
    }
    std::vector<PackageInfo> out;
    if (known) {
        out.push_back(std::move(info));
    }
    return out;
}

} // namespace zsyncctl::pkg
