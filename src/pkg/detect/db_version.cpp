#include "pkg/detect/db_version.hpp"

#include <filesystem>

#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

constexpr std::size_t k_max_db = 256u << 20;

// The value of "Key: value" (dpkg) or "K:value" (apk) on `line`, when the line starts with `key`.
std::optional<std::string_view> field(std::string_view line, std::string_view key) {
    if (!line.starts_with(key)) {
        return std::nullopt;
    }
    return util::trim(line.substr(key.size()));
}

// Walks the blank-line separated stanzas of `text`; `visit` gets each stanza's lines and returns true to
// stop.
template <typename Visit>
void each_stanza(std::string_view text, Visit visit) {
    std::vector<std::string_view> stanza;
    for (std::string_view line : util::split_lines(text)) {
        if (util::trim(line).empty()) {
            if (!stanza.empty() && visit(stanza)) {
                return;
            }
            stanza.clear();
            continue;
        }
        stanza.push_back(line);
    }
    if (!stanza.empty()) {
        visit(stanza);
    }
}

util::Result<std::string> from_dpkg_status(const util::Root& root, std::string_view package) {
    auto text = root.read("/var/lib/dpkg/status", k_max_db);
    if (!text) {
        return util::fail(std::move(text).error());
    }
    std::optional<std::string> version;
    each_stanza(*text, [&](const std::vector<std::string_view>& lines) {
        bool named = false;
        bool installed = false;
        std::string_view found;
        for (auto line : lines) {
            if (auto v = field(line, "Package:")) {
                named = *v == package;
            } else if (auto st = field(line, "Status:")) {
                installed = st->ends_with(" installed");
            } else if (auto ver = field(line, "Version:")) {
                found = *ver;
            }
        }
        if (named && installed && !found.empty()) {
            version = std::string(found);
            return true;
        }
        return false;
    });
    if (!version) {
        return util::fail(util::ErrorKind::not_found,
                          std::string(package) + " is not installed per dpkg status");
    }
    return *version;
}

util::Result<std::string> from_pacman_local(const util::Root& root, std::string_view package) {
    // Entries are "<name>-<pkgver>-<pkgrel>"; the desc file says which name and version for sure.
    std::error_code ec;
    std::filesystem::directory_iterator it(root.resolve("/var/lib/pacman/local"), ec);
    if (ec) {
        return util::fail(util::ErrorKind::not_found, "no pacman local db");
    }
    for (const auto& entry : it) {
        std::string name = entry.path().filename().string();
        if (!name.starts_with(std::string(package) + "-")) {
            continue;
        }
        auto desc = root.read("/var/lib/pacman/local/" + name + "/desc", 1u << 20);
        if (!desc) {
            continue;
        }
        std::string_view key;
        std::string_view desc_name;
        std::string_view desc_version;
        for (std::string_view line : util::split_lines(*desc)) {
            if (line.size() > 2 && line.front() == '%' && line.back() == '%') {
                key = line;
            } else if (!line.empty() && key == "%NAME%" && desc_name.empty()) {
                desc_name = line;
            } else if (!line.empty() && key == "%VERSION%" && desc_version.empty()) {
                desc_version = line;
            }
        }
        if (desc_name == package && !desc_version.empty()) {
            return std::string(desc_version);
        }
    }
    return util::fail(util::ErrorKind::not_found, std::string(package) + " is not in the pacman local db");
}

util::Result<std::string> from_apk_installed(const util::Root& root, std::string_view package) {
    auto text = root.read("/lib/apk/db/installed", k_max_db);
    if (!text) {
        return util::fail(std::move(text).error());
    }
    std::optional<std::string> version;
    each_stanza(*text, [&](const std::vector<std::string_view>& lines) {
        bool named = false;
        std::string_view found;
        for (auto line : lines) {
            if (auto v = field(line, "P:")) {
                named = *v == package;
            } else if (auto ver = field(line, "V:")) {
                found = *ver;
            }
        }
        if (named && !found.empty()) {
            version = std::string(found);
            return true;
        }
        return false;
    });
    if (!version) {
        return util::fail(util::ErrorKind::not_found, std::string(package) + " is not in the apk db");
    }
    return *version;
}

} // namespace

std::string_view describe(VersionDb db) {
    switch (db) {
    case VersionDb::none:
        return "no database";
    case VersionDb::dpkg_status:
        return "dpkg status";
    case VersionDb::pacman_local:
        return "pacman local db";
    case VersionDb::apk_installed:
        return "apk db";
    }
    return "no database";
}

util::Result<std::string> read_db_version(const util::Root& root, const DbVersion& where) {
    switch (where.db) {
    case VersionDb::dpkg_status:
        return from_dpkg_status(root, where.package);
    case VersionDb::pacman_local:
        return from_pacman_local(root, where.package);
    case VersionDb::apk_installed:
        return from_apk_installed(root, where.package);
    case VersionDb::none:
        break;
    }
    return util::fail(util::ErrorKind::unsupported, "no package database records its version");
}

} // namespace zsyncctl::pkg
