#include "pkg/search/native/apt_pins.hpp"

#include <cctype>
#include <charconv>
#include <fnmatch.h>
#include <regex.h>

#include "pkg/search/native/archive_reader.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// apt's MatchVer: the whole string, or its beginning when the pin ended in '*'; case ignored.
bool match_version(std::string_view have, std::string_view want, bool prefix) {
    if (have.size() < want.size() || (!prefix && have.size() != want.size())) {
        return false;
    }
    return util::iequals(have.substr(0, want.size()), want);
}

// A field of the file must be present and match the pin's expression.
bool field_matches(std::string_view pattern, std::string_view value) {
    return !value.empty() && apt_pin_expression_matches(pattern, value);
}

bool version_field_matches(std::string want, std::string_view have) {
    if (have.empty()) {
        return false;
    }
    bool prefix = !want.empty() && want.back() == '*';
    if (prefix) {
        want.pop_back();
    }
    return match_version(have, want, prefix) || apt_pin_expression_matches(want, have);
}

// pkgVersionMatch::FileMatch for the release and origin types.
bool file_matches(const AptPin& pin, const AptReleaseInfo& f) {
    if (pin.type == AptPin::Type::origin) {
        return pin.data.empty() ? f.site.empty() : field_matches(pin.data, f.site);
    }
    if (pin.type != AptPin::Type::release) {
        return false;
    }
    std::string_view data = util::trim(pin.data);
    if (data == "*") {
        return true;
    }
    if (data.find('=') == std::string_view::npos) {
        if (!data.empty() && std::isdigit(static_cast<unsigned char>(data[0]))) {
            return version_field_matches(std::string(data), f.version);
        }
        return field_matches(data, f.archive) || field_matches(data, f.codename);
    }
    for (std::string_view part : util::split(data, ',')) {
        part = util::trim(part);
        std::size_t eq = part.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        std::string_view key = util::trim(part.substr(0, eq));
        std::string_view value = util::trim(part.substr(eq + 1));
        bool ok = true;
        if (key == "v") {
            ok = version_field_matches(std::string(value), f.version);
        } else if (key == "o") {
            ok = field_matches(value, f.origin);
        } else if (key == "a") {
            ok = field_matches(value, f.archive);
        } else if (key == "n") {
            ok = field_matches(value, f.codename);
        } else if (key == "l") {
            ok = field_matches(value, f.label);
        } else if (key == "c") {
            ok = field_matches(value, f.component);
        } else if (key == "b") {
            ok = field_matches(value, f.arch);
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool is_regex(std::string_view p) {
    return p.size() >= 2 && p.front() == '/' && p.back() == '/';
}

// A "Package:" entry against a package: a name, glob or /regex/, optionally ":arch"-qualified.
bool package_matches(std::string_view entry, std::string_view name, std::string_view arch) {
    if (!is_regex(entry)) {
        if (std::size_t colon = entry.rfind(':'); colon != std::string_view::npos) {
            std::string_view want_arch = entry.substr(colon + 1);
            if (want_arch != "any" && want_arch != arch) {
                return false;
            }
            entry = entry.substr(0, colon);
        }
        if (entry.find_first_of("*?[") == std::string_view::npos) {
            return util::iequals(entry, name); // a plain name: no fnmatch per stanza
        }
    }
    return apt_pin_expression_matches(entry, name);
}

} // namespace

bool apt_pin_expression_matches(std::string_view pattern, std::string_view text) {
    std::string t(text);
    if (is_regex(pattern)) {
        std::string re(pattern.substr(1, pattern.size() - 2));
        regex_t preg;
        if (::regcomp(&preg, re.c_str(), REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
            return false;
        }
        bool hit = ::regexec(&preg, t.c_str(), 0, nullptr, 0) == 0;
        ::regfree(&preg);
        return hit;
    }
    std::string p(pattern);
    return ::fnmatch(p.c_str(), t.c_str(), FNM_CASEFOLD) == 0;
}

int AptPreferences::file_priority(const AptReleaseInfo& file, int default_priority) const {
    for (const auto& pin : general) {
        if (file_matches(pin, file)) {
            return pin.priority;
        }
    }
    return default_priority;
}

int AptPreferences::specific_pin(std::string_view name, std::string_view arch, std::string_view version,
                                 const AptReleaseInfo& file) const {
    for (std::size_t i = 0; i < specific.size(); ++i) {
        const AptPin& pin = specific[i];
        bool named = false;
        for (const auto& p : pin.packages) {
            if (package_matches(p, name, arch)) {
                named = true;
                break;
            }
        }
        if (!named) {
            continue;
        }
        bool matches = false;
        if (pin.type == AptPin::Type::version) {
            matches = version_field_matches(util::trim(pin.data).empty() ? std::string() : pin.data, version);
        } else {
            matches = file_matches(pin, file);
        }
        if (matches) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

void add_apt_preferences(AptPreferences& prefs, std::string_view name, std::string_view text) {
    // apt's preferences parser takes '#' comment lines anywhere; they are dropped before the split.
    std::string clean;
    clean.reserve(text.size());
    for (std::string_view line : util::split_lines(text)) {
        if (!line.empty() && line.front() == '#') {
            continue;
        }
        clean.append(line);
        clean.push_back('\n');
    }
    std::size_t index = 0;
    StanzaSplitter splitter([&](std::string_view stanza) {
        ++index;
        std::string where = std::string(name) + " (stanza " + std::to_string(index) + ")";
        std::string_view packages = util::trim(deb822_field(stanza, "Package"));
        std::string_view pin_text = util::trim(deb822_field(stanza, "Pin"));
        if (packages.empty()) {
            if (!pin_text.empty()) {
                prefs.unapplied.push_back(where + ": no Package field");
                prefs.unapplied_packages.emplace_back("*");
            }
            return;
        }
        if (pin_text.empty()) {
            return;
        }
        std::string_view priority_text = util::trim(deb822_field(stanza, "Pin-Priority"));
        int priority = 0;
        auto [end, ec] =
            std::from_chars(priority_text.data(), priority_text.data() + priority_text.size(), priority);
        (void)end;
        if (ec != std::errc() || priority == 0) {
            return; // apt warns "No priority (or zero) specified for pin" and skips the stanza
        }
        AptPin pin;
        pin.priority = priority;
        pin.source = where;
        std::size_t word_end = pin_text.find_first_of(" \t");
        std::string_view type = pin_text.substr(0, word_end);
        pin.data = word_end == std::string_view::npos ? std::string()
                                                      : std::string(util::trim(pin_text.substr(word_end)));
        bool general = packages == "*";
        if (util::iequals(type, "version") && !general) {
            pin.type = AptPin::Type::version;
        } else if (util::iequals(type, "release")) {
            pin.type = AptPin::Type::release;
        } else if (util::iequals(type, "origin")) {
            pin.type = AptPin::Type::origin;
            if (pin.data.size() >= 2 && pin.data.front() == '"' && pin.data.back() == '"') {
                pin.data = pin.data.substr(1, pin.data.size() - 2);
            }
        } else {
            return; // apt: "Did not understand pin type"
        }
        if (general) {
            prefs.general.push_back(std::move(pin));
            return;
        }
        for (std::string_view word : util::split(packages, ' ')) {
            word = util::trim(word);
            if (word.empty()) {
                continue;
            }
            if (word.rfind("src:", 0) == 0) {
                prefs.unapplied.push_back(where + ": source package pin " + std::string(word));
                prefs.unapplied_packages.emplace_back("*");
                continue;
            }
            pin.packages.emplace_back(word);
        }
        if (!pin.packages.empty()) {
            prefs.specific.push_back(std::move(pin));
        }
    });
    splitter.feed(clean);
    splitter.finish();
}

std::string apt_default_release(std::string_view conf_text) {
    // The common forms: `APT::Default-Release "x";` and `APT { Default-Release "x"; };` (apt.conf's
    // scopes), with // and # comments.
    std::string scope;
    std::string found;
    for (std::string_view line : util::split_lines(conf_text)) {
        line = util::trim(line);
        if (line.empty() || line[0] == '#' || line.rfind("//", 0) == 0) {
            continue;
        }
        if (line.back() == '{') {
            scope = std::string(util::trim(line.substr(0, line.size() - 1)));
            continue;
        }
        if (line[0] == '}') {
            scope.clear();
            continue;
        }
        std::size_t quote = line.find('"');
        if (quote == std::string_view::npos) {
            continue;
        }
        std::string key =
            (scope.empty() ? "" : scope + "::") + std::string(util::trim(line.substr(0, quote)));
        if (util::iequals(key, "APT::Default-Release")) {
            std::size_t close = line.find('"', quote + 1);
            if (close != std::string_view::npos) {
                found = std::string(line.substr(quote + 1, close - quote - 1));
            }
        }
    }
    return found;
}

} // namespace zsyncctl::pkg
