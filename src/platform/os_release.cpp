#include "platform/os_release.hpp"

#include <array>

#include "util/strings.hpp"

namespace zsyncctl::platform {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

bool valid_key(std::string_view key) {
    if (key.empty()) {
        return false;
    }
    for (char c : key) {
        if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    return true;
}

constexpr std::array<std::string_view, 8> k_rolling_ids{
    "arch", "manjaro", "endeavouros", "gentoo", "opensuse-tumbleweed", "void", "artix", "cachyos",
};

} // namespace

std::map<std::string, std::string> parse_os_release(std::string_view text) {
    // systemd's env-file grammar (parse_env_file): '#'/';' comments, unquoted values with backslash
    // escapes and trailing blanks dropped unless escaped, '...' literal, "..." with \" \\ \` \$ escapes,
    // quoted values across lines, backslash-newline continuing a value line.
    enum class St {
        pre_key,
        key,
        pre_value,
        value,
        value_escape,
        single,
        dquote,
        dquote_escape,
        comment,
        comment_escape
    };
    std::map<std::string, std::string> fields;
    St st = St::pre_key;
    std::string key;
    std::string value;
    std::size_t keep = 0; // value bytes that trailing-blank trimming must not remove (escaped or quoted)
    auto push = [&] {
        std::size_t end = value.size();
        while (end > keep && is_blank(value[end - 1])) {
            --end;
        }
        value.resize(end);
        std::string_view k = util::trim(key);
        if (valid_key(k)) {
            fields[std::string(k)] = util::sanitize_for_display(value);
        }
        key.clear();
        value.clear();
        keep = 0;
    };
    for (char c : text) {
        switch (st) {
        case St::pre_key:
            if (c == '#' || c == ';') {
                st = St::comment;
            } else if (!is_blank(c) && c != '\n') {
                st = St::key;
                key.assign(1, c);
            }
            break;
        case St::key:
            if (c == '\n') {
                st = St::pre_key; // a line without '='
                key.clear();
            } else if (c == '=') {
                st = St::pre_value;
            } else {
                key.push_back(c);
            }
            break;
        case St::pre_value:
        case St::value:
            if (st == St::pre_value && is_blank(c)) {
                break;
            }
            if (c == '\n') {
                push();
                st = St::pre_key;
            } else if (c == '\'') {
                st = St::single;
            } else if (c == '"') {
                st = St::dquote;
            } else if (c == '\\') {
                st = St::value_escape;
            } else {
                value.push_back(c);
                st = St::value;
            }
            break;
        case St::value_escape:
            st = St::value;
            if (c != '\n') { // backslash-newline continues the line
                value.push_back(c);
                keep = value.size();
            }
            break;
        case St::single:
            if (c == '\'') {
                st = St::value;
                keep = value.size();
            } else {
                value.push_back(c);
            }
            break;
        case St::dquote:
            if (c == '"') {
                st = St::value;
                keep = value.size();
            } else if (c == '\\') {
                st = St::dquote_escape;
            } else {
                value.push_back(c);
            }
            break;
        case St::dquote_escape:
            st = St::dquote;
            if (c == '"' || c == '\\' || c == '`' || c == '$') {
                value.push_back(c);
            } else if (c != '\n') {
                value.push_back('\\');
                value.push_back(c);
            }
            break;
        case St::comment:
            if (c == '\\') {
                st = St::comment_escape;
            } else if (c == '\n') {
                st = St::pre_key;
            }
            break;
        case St::comment_escape:
            // systemd >= 254 (and the shell): a comment's trailing backslash does not continue it.
            st = c == '\n' ? St::pre_key : St::comment;
            break;
        }
    }
    if (st == St::pre_value || st == St::value || st == St::value_escape || st == St::single ||
        st == St::dquote || st == St::dquote_escape) {
        push(); // the last line without a newline, or an unterminated quote (systemd keeps it too)
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
