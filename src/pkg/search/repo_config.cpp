#include "pkg/search/repo_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// A repository file larger than this is not a configuration anyone wrote: unknown.
constexpr std::size_t k_max_config_file = 4U << 20;

// The path a template names, or empty when it names none ("{env:NAME}" with NAME unset or empty, "{home}/…"
// with HOME unset). Other templates are taken literally: the registry's repository facts use only these
// forms.
std::string expand(std::string_view path) {
    constexpr std::string_view env_open = "{env:";
    constexpr std::string_view home_open = "{home}/";
    if (path.starts_with(home_open)) {
        const char* home = std::getenv("HOME");
        return home == nullptr || home[0] == '\0' ? std::string()
                                                  : std::string(home) + "/" + std::string(path.substr(7));
    }
    if (path.substr(0, env_open.size()) == env_open && path.back() == '}') {
        std::string name(path.substr(env_open.size(), path.size() - env_open.size() - 1));
        const char* value = std::getenv(name.c_str());
        return value == nullptr ? std::string() : std::string(value);
    }
    return std::string(path);
}

// The value of a boolean option as libdnf and libzypp read it; nullopt when it is neither.
std::optional<bool> boolean_of(std::string_view value) {
    std::string lower = util::to_lower(util::trim(value));
    if (lower == "1" || lower == "yes" || lower == "true" || lower == "on") {
        return true;
    }
    if (lower == "0" || lower == "no" || lower == "false" || lower == "off") {
        return false;
    }
    return std::nullopt;
}

// One INI file's sections: each section's name and its enabled key's last value (empty: not set), and the
// main section's directories key when set.
struct IniReading {
    std::vector<std::pair<std::string, std::string>> sections; // name, enabled value
    std::optional<std::string> dirs;
    bool unknown_key = false;
};

IniReading read_ini(std::string_view text, const RepositoryConfig& config) {
    IniReading out;
    std::string section;
    bool in_section = false;
    std::string_view last_key;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = text.find('\n', start);
        std::string_view raw = text.substr(start, end == std::string_view::npos ? text.npos : end - start);
        start = end == std::string_view::npos ? text.size() : end + 1;
        std::string_view line = util::trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') {
            continue;
        }
        if (raw.front() == ' ' || raw.front() == '\t') {
            // A continuation of the previous value (a multi-line baseurl): a continued enabled or
            // directories key is not something to guess about.
            if (!last_key.empty() && (last_key == config.enabled_key || last_key == config.dirs_key)) {
                out.unknown_key = true;
            }
            continue;
        }
        if (line.front() == '[') {
            auto close = line.find(']');
            section = std::string(util::trim(line.substr(1, close == line.npos ? line.npos : close - 1)));
            in_section = true;
            out.sections.emplace_back(section, std::string());
            last_key = {};
            continue;
        }
        auto eq = line.find('=');
        if (eq == std::string_view::npos || !in_section) {
            last_key = {};
            continue;
        }
        std::string_view key = util::trim(line.substr(0, eq));
        std::string_view value = util::trim(line.substr(eq + 1));
        last_key = key == config.enabled_key ? config.enabled_key
                   : key == config.dirs_key  ? config.dirs_key
                                             : std::string_view("other");
        if (section == config.main_section) {
            if (key == config.dirs_key) {
                out.dirs = std::string(value);
            }
            if (std::find(config.unknown_keys.begin(), config.unknown_keys.end(), key) !=
                config.unknown_keys.end()) {
                out.unknown_key = true;
            }
        }
        if (!config.enabled_key.empty() && key == config.enabled_key) {
            out.sections.back().second = std::string(value.empty() ? std::string_view(" ") : value);
        }
        if (!config.disabled_key.empty() && key == config.disabled_key) {
            // GKeyFile's booleans only; anything else is kept as is, which enabled_of does not understand.
            out.sections.back().second = value == "true" || value == "1"    ? "0"
                                         : value == "false" || value == "0" ? "1"
                                                                            : "?" + std::string(value);
        }
    }
    return out;
}

// What one section's enabled value says: enabled, disabled, or nullopt (not a boolean).
std::optional<bool> enabled_of(const std::string& value) {
    return value.empty() ? std::optional<bool>(true) : boolean_of(value);
}

class Reader {
public:
    Reader(const RepositoryConfig& config, const util::Root& root) : m_config(config), m_root(root) {}

    RepositoryReading run() {
        if (m_config.empty()) {
            return unknown("no repository facts");
        }
        for (std::string_view dropin : m_config.dropin_dirs) {
            if (dir_has_entries(std::string(dropin))) {
                return unknown(std::string(dropin) + " holds configuration drop-ins");
            }
            if (m_out.presence == RepositoryPresence::unknown && !m_out.why_unknown.empty()) {
                return m_out;
            }
        }
        // Each file read names its directories, else the defaults hold for it: the union over the files
        // (yum's and dnf's, $ZYPP_CONF's and zypp.conf's) is never less than what the manager reads.
        std::vector<std::string> dirs;
        bool defaults = true; // no file was read: the defaults hold
        auto add_dir = [&dirs](std::string_view dir) {
            if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
                dirs.emplace_back(dir);
            }
        };
        for (std::string_view file : m_config.config_files) {
            std::string path = expand(file);
            if (path.empty()) {
                continue;
            }
            auto text = m_root.read(path, k_max_config_file);
            if (!text) {
                if (text.error().kind == util::ErrorKind::not_found) {
                    continue;
                }
                return unknown(path + ": " + text.error().message);
            }
            add_where(path);
            defaults = false;
            IniReading ini = read_ini(*text, m_config);
            if (ini.unknown_key) {
                return unknown(path + " sets a key not followed here, or continues one over several lines");
            }
            if (!ini.dirs) {
                for (std::string_view dir : m_config.dirs) {
                    add_dir(dir);
                }
            } else {
                std::replace(ini.dirs->begin(), ini.dirs->end(), '\t', ' ');
                for (std::string_view dir : util::split(*ini.dirs, ',')) {
                    for (std::string_view word : util::split(dir, ' ')) {
                        word = util::trim(word);
                        if (word.empty()) {
                            continue;
                        }
                        if (word.front() != '/' || word.find('$') != std::string_view::npos) {
                            return unknown(path + " names the repository directory '" + std::string(word) +
                                           "'");
                        }
                        add_dir(word);
                    }
                }
            }
            if (m_config.config_sections_are_repositories && !count(ini, path, true)) {
                return m_out;
            }
        }
        if (!read_installations()) {
            return m_out;
        }
        if (defaults) {
            for (std::string_view dir : m_config.dirs) {
                add_dir(dir);
            }
        }
        for (const std::string& dir : dirs) {
            add_where(dir);
            for (const std::string& file : repo_files(dir)) {
                auto text = m_root.read(file, k_max_config_file);
                if (!text) {
                    return unknown(file + ": " + text.error().message);
                }
                IniReading ini = read_ini(*text, m_config);
                if (ini.unknown_key) {
                    return unknown(file + " continues a value over several lines");
                }
                if (!count(ini, file, false)) {
                    return m_out;
                }
            }
            if (!m_out.why_unknown.empty()) {
                return m_out;
            }
        }
        m_out.presence = m_enabled > 0 ? RepositoryPresence::some : RepositoryPresence::none;
        return m_out;
    }

private:
    RepositoryReading unknown(std::string why) {
        m_out.presence = RepositoryPresence::unknown;
        m_out.why_unknown = std::move(why);
        return m_out;
    }

    // The installation_file of each installation (the first of its templates that expands); a missing file
    // defines nothing. False (and unknown) when something is not understood.
    bool read_installations() {
        for (const auto& templates : m_config.installations) {
            std::string dir;
            for (std::string_view t : templates) {
                if (dir = expand(t); !dir.empty()) {
                    break;
                }
            }
            if (dir.empty()) {
                continue;
            }
            for (std::string_view dropin : m_config.installation_dropins) {
                if (dir_has_entries(dir + "/" + std::string(dropin))) {
                    unknown(dir + "/" + std::string(dropin) + " holds configuration drop-ins");
                    return false;
                }
                if (!m_out.why_unknown.empty()) {
                    return false;
                }
            }
            std::string path = dir + "/" + std::string(m_config.installation_file);
            auto text = m_root.read(path, k_max_config_file);
            add_where(path);
            if (!text) {
                if (text.error().kind == util::ErrorKind::not_found) {
                    continue;
                }
                unknown(path + ": " + text.error().message);
                return false;
            }
            IniReading ini = read_ini(*text, m_config);
            if (ini.unknown_key) {
                unknown(path + " sets a key not followed here, or continues one over several lines");
                return false;
            }
            if (!count(ini, path, true)) {
                return false;
            }
        }
        return true;
    }

    void add_where(const std::string& path) { m_out.where += (m_out.where.empty() ? "" : ", ") + path; }

    // Counts the repository sections of one file; false (and unknown) when an enabled value is not
    // understood. In a main configuration file, the main section is not a repository.
    bool count(const IniReading& ini, const std::string& path, bool main_file) {
        for (const auto& [name, enabled] : ini.sections) {
            if ((main_file && name == m_config.main_section) || !name.starts_with(m_config.section_prefix)) {
                continue;
            }
            std::optional<bool> on = enabled_of(enabled);
            if (!on) {
                unknown(
                    path + ": [" + name + "] " +
                    std::string(m_config.enabled_key.empty() ? m_config.disabled_key : m_config.enabled_key) +
                    "=" + std::string(util::trim(enabled)));
                return false;
            }
            (*on ? m_enabled : m_out.disabled) += 1;
        }
        return true;
    }

    // The repository files of `dir` inside the root (sorted); a missing directory has none, one that
    // cannot be listed makes the reading unknown.
    std::vector<std::string> repo_files(const std::string& dir) {
        std::vector<std::string> files;
        std::error_code ec;
        std::filesystem::directory_iterator it(m_root.resolve(dir), ec);
        if (ec) {
            if (ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory) {
                unknown(dir + ": " + ec.message());
            }
            return files;
        }
        for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
            std::string name = it->path().filename().string();
            if (name.empty() || name.front() == '.' || name.size() <= m_config.file_suffix.size() ||
                name.compare(name.size() - m_config.file_suffix.size(), name.npos, m_config.file_suffix) !=
                    0) {
                continue;
            }
            files.push_back(dir + "/" + name);
        }
        if (ec) {
            unknown(dir + ": " + ec.message());
            files.clear();
        }
        std::sort(files.begin(), files.end());
        return files;
    }

    // True when `dir` (inside the root) has an entry; a directory that cannot be listed makes the
    // reading unknown.
    bool dir_has_entries(const std::string& dir) {
        std::error_code ec;
        std::filesystem::directory_iterator it(m_root.resolve(dir), ec);
        if (ec) {
            if (ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory) {
                unknown(dir + ": " + ec.message());
            }
            return false;
        }
        for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
            if (!it->path().filename().string().starts_with(".")) {
                return true;
            }
        }
        return false;
    }

    const RepositoryConfig& m_config;
    const util::Root& m_root;
    RepositoryReading m_out;
    std::size_t m_enabled = 0;
};

} // namespace

RepositoryReading read_repository_config(const RepositoryConfig& config, const util::Root& root) {
    return Reader(config, root).run();
}

} // namespace zsyncctl::pkg
