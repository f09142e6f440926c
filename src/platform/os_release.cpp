#include "platform/os_release.hpp"

#include <array>

#include "util/strings.hpp"

namespace zsyncctl::platform {

namespace {

// The value part of KEY=value, following the shell-like quoting os-release(5) allows.
std::string unquote(std::string_view raw) {
    raw = util::trim(raw);
    if (raw.size() >= 2 && raw.front() == '\'' && raw.back() == '\'') {
        return std::string(raw.substr(1, raw.size() - 2));
    }
    bool quoted = raw.size() >= 2 && raw.front() == '"' && raw.back() == '"';
    if (quoted) {
        raw = raw.substr(1, raw.size() - 2);
    }
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '\\' && i + 1 < raw.size()) {
            char next = raw[i + 1];
            if (next == '"' || next == '\\' || next == '$' || next == '`' || next == '\'' || !quoted) {
                out.push_back(next);
                ++i;
                continue;
            }
        }
        out.push_back(c);
    }
    return out;
}

constexpr std::array<std::string_view, 8> k_rolling_ids{
    "arch", "manjaro", "endeavouros", "gentoo", "opensuse-tumbleweed", "void", "artix", "cachyos",
};

} // namespace

std::map<std::string, std::string> parse_os_release(std::string_view text) {
    std::map<std::string, std::string> fields;
    for (std::string_view line : util::split_lines(text)) {
        line = util::trim(line);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        auto eq = line.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            continue;
        }
        std::string_view key = util::trim(line.substr(0, eq));
        bool valid_key = true;
        for (char c : key) {
            if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
                valid_key = false;
            }
        }
        if (!valid_key) {
            continue;
        }
        fields[std::string(key)] = util::sanitize_for_display(unquote(line.substr(eq + 1)));
    }
    return fields;
}

Distro distro_from_fields(const std::map<std::string, std::string>& fields, std::string source) {
    auto get = [&](const char* key) {
        auto it = fields.find(key);
        return it == fields.end() ? std::string() : it->second;
    };
    Distro d;
    d.id = util::to_lower(get("ID"));
    if (d.id.empty()) {
        d.id = "linux"; // os-release(5): the default when ID is missing
    }
    const std::string id_like = get("ID_LIKE");
    for (std::string_view like : util::split(id_like, ' ')) {
        if (!util::trim(like).empty()) {
            d.id_like.push_back(util::to_lower(util::trim(like)));
        }
    }
    d.name = get("NAME");
    d.pretty_name = get("PRETTY_NAME");
    d.version_id = get("VERSION_ID");
    d.version_codename = get("VERSION_CODENAME");
    d.build_id = get("BUILD_ID");
    bool known_rolling = false;
    for (std::string_view id : k_rolling_ids) {
        known_rolling = known_rolling || d.id == id;
    }
    d.rolling = known_rolling || d.version_id.empty();
    d.source = std::move(source);
    return d;
}

std::optional<Distro> read_distro(const util::Root& root) {
    for (const char* path : {"/etc/os-release", "/usr/lib/os-release"}) {
        if (auto text = root.read(path, 65536)) {
            return distro_from_fields(parse_os_release(*text), path);
        }
    }
    if (auto text = root.read("/etc/lsb-release", 65536)) {
        auto lsb = parse_os_release(*text);
        std::map<std::string, std::string> fields;
        fields["ID"] = lsb["DISTRIB_ID"];
        fields["VERSION_ID"] = lsb["DISTRIB_RELEASE"];
        fields["VERSION_CODENAME"] = lsb["DISTRIB_CODENAME"];
        fields["PRETTY_NAME"] = lsb["DISTRIB_DESCRIPTION"];
        fields["NAME"] = lsb["DISTRIB_ID"];
        return distro_from_fields(fields, "/etc/lsb-release");
    }
    return std::nullopt;
}

} // namespace zsyncctl::platform
