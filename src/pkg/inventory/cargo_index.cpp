#include "pkg/inventory/cargo_index.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <system_error>

#include <nlohmann/json.hpp>

#include "util/digits.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

namespace fs = std::filesystem;

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int compare_identifier(std::string_view a, std::string_view b) {
    bool na = all_digits(a);
    bool nb = all_digits(b);
    if (na && nb) {
        return util::compare_digit_strings(a, b); // by value, any length
    }
    if (na != nb) {
        return na ? -1 : 1; // numeric identifiers have lower precedence than alphanumeric ones
    }
    return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
}

// The [section] tables of a cargo config file: "source.NAME" -> key -> string value. Only the
// `key = "value"` lines cargo's source replacement uses are read; anything else is ignored.
using TomlTables = std::map<std::string, std::map<std::string, std::string>>;

void read_toml_strings(std::string_view text, TomlTables& tables) {
    std::string section;
    for (auto raw : util::split_lines(text)) {
        auto line = util::trim(raw);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (line.front() == '[') {
            auto close = line.find(']');
            section =
                close == std::string_view::npos ? "" : std::string(util::trim(line.substr(1, close - 1)));
            // [source."crates-io"]: the quotes are not part of the name.
            section.erase(std::remove(section.begin(), section.end(), '"'), section.end());
            continue;
        }
        auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        std::string key(util::trim(line.substr(0, eq)));
        auto value = util::trim(line.substr(eq + 1));
        if (value.size() < 2 || (value.front() != '"' && value.front() != '\'')) {
            continue;
        }
        auto end = value.find(value.front(), 1);
        if (end == std::string_view::npos) {
            continue;
        }
        std::string full = section.empty() ? key : section + "." + key;
        // "source.x.registry" either as [source.x] registry = ... or as a dotted key.
        auto dot = full.rfind('.');
        if (dot != std::string::npos) {
            tables[full.substr(0, dot)][full.substr(dot + 1)] = std::string(value.substr(1, end - 1));
        }
    }
}

// The host of a registry URL ("sparse+https://index.crates.io/" -> "index.crates.io"), as cargo names its
// index directories after it.
std::string url_host(std::string_view url) {
    auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return {};
    }
    auto rest = url.substr(scheme + 3);
    auto at = rest.find('@');
    auto slash = rest.find('/');
    if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash)) {
        rest.remove_prefix(at + 1);
    }
    auto end = rest.find_first_of(":/");
    return util::to_lower(rest.substr(0, end));
}

bool is_crates_io(std::string_view url) {
    return url == "https://github.com/rust-lang/crates.io-index" || url == "https://index.crates.io/" ||
           url == "https://index.crates.io";
}

std::string strip_kind(std::string_view source) {
    for (std::string_view kind : {"registry+", "sparse+"}) {
        if (source.starts_with(kind)) {
            source.remove_prefix(kind.size());
            return std::string(source);
        }
    }
    return std::string(source);
}

} // namespace

util::Result<std::vector<CargoIndexVersion>> parse_cargo_index_cache(std::string_view bytes) {
    if (bytes.size() < 5) {
        return util::fail(util::ErrorKind::parse, "not a cargo index cache file (too short)");
    }
    auto end = bytes.find('\0', 5);
    if (end == std::string_view::npos) {
        return util::fail(util::ErrorKind::parse, "not a cargo index cache file (no index version)");
    }
    std::vector<CargoIndexVersion> out;
    std::size_t at = end + 1;
    while (at < bytes.size()) {
        auto v_end = bytes.find('\0', at);
        auto j_end = v_end == std::string_view::npos ? v_end : bytes.find('\0', v_end + 1);
        if (j_end == std::string_view::npos) {
            return util::fail(util::ErrorKind::parse, "cargo index cache file is cut short");
        }
        auto doc = nlohmann::json::parse(bytes.substr(v_end + 1, j_end - v_end - 1), nullptr, false);
        if (doc.is_object() && doc.contains("vers") && doc["vers"].is_string()) {
            CargoIndexVersion v;
            v.version = doc["vers"].get<std::string>();
            v.yanked = doc.contains("yanked") && doc["yanked"].is_boolean() && doc["yanked"].get<bool>();
            out.push_back(std::move(v));
        }
        at = j_end + 1;
    }
    return out;
}

std::string cargo_index_path(std::string_view name) {
    std::string n = util::to_lower(name);
    switch (n.size()) {
    case 0:
        return {};
    case 1:
        return "1/" + n;
    case 2:
        return "2/" + n;
    case 3:
        return "3/" + n.substr(0, 1) + "/" + n;
    default:
        return n.substr(0, 2) + "/" + n.substr(2, 2) + "/" + n;
    }
}

int compare_semver(std::string_view a, std::string_view b) {
    auto strip_build = [](std::string_view v) {
        return v.substr(0, v.find('+'));
    };
    a = strip_build(a);
    b = strip_build(b);
    auto dash_a = a.find('-');
    auto dash_b = b.find('-');
    auto core_a = util::split(a.substr(0, dash_a), '.');
    auto core_b = util::split(b.substr(0, dash_b), '.');
    for (std::size_t i = 0; i < std::max(core_a.size(), core_b.size()); ++i) {
        std::string_view x = i < core_a.size() ? core_a[i] : "0";
        std::string_view y = i < core_b.size() ? core_b[i] : "0";
        if (int c = compare_identifier(x, y); c != 0) {
            return c;
        }
    }
    bool pre_a = dash_a != std::string_view::npos;
    bool pre_b = dash_b != std::string_view::npos;
    if (!pre_a || !pre_b) {
        return pre_a == pre_b ? 0 : pre_a ? -1 : 1; // a pre-release comes before its release
    }
    auto ids_a = util::split(a.substr(dash_a + 1), '.');
    auto ids_b = util::split(b.substr(dash_b + 1), '.');
    for (std::size_t i = 0; i < std::min(ids_a.size(), ids_b.size()); ++i) {
        if (int c = compare_identifier(ids_a[i], ids_b[i]); c != 0) {
            return c;
        }
    }
    return ids_a.size() == ids_b.size() ? 0 : ids_a.size() < ids_b.size() ? -1 : 1;
}

std::string cargo_install_candidate(const std::vector<CargoIndexVersion>& versions) {
    std::string best;
    for (const auto& v : versions) {
        if (v.yanked || v.version.substr(0, v.version.find('+')).find('-') != std::string::npos) {
            continue;
        }
        if (best.empty() || compare_semver(v.version, best) > 0) {
            best = v.version;
        }
    }
    return best;
}

std::vector<std::string> cargo_index_hosts(const util::Root& root, const std::string& cargo_home,
                                           std::string_view source, std::string* why_not) {
    TomlTables tables;
    for (const char* file : {"/config", "/config.toml"}) {
        if (auto text = root.read(cargo_home + file, 1u << 20)) {
            read_toml_strings(*text, tables);
        }
    }
    std::string url = strip_kind(source);
    // The source's name in [source.NAME]: crates-io for crates.io, else the one whose registry is this URL.
    std::string name;
    if (is_crates_io(url)) {
        name = "crates-io";
    } else {
        for (const auto& [table, keys] : tables) {
            auto r = keys.find("registry");
            if (table.starts_with("source.") && r != keys.end() && strip_kind(r->second) == url) {
                name = table.substr(7);
            }
        }
    }
    for (int hops = 0; !name.empty() && hops < 16; ++hops) {
        auto t = tables.find("source." + name);
        if (t == tables.end()) {
            break;
        }
        if (auto next = t->second.find("replace-with"); next != t->second.end()) {
            name = next->second;
            if (auto target = tables.find("source." + name); target != tables.end()) {
                const auto& keys = target->second;
                if (keys.contains("local-registry") || keys.contains("directory")) {
                    if (why_not != nullptr) {
                        *why_not = "replaced by the " +
                                   std::string(keys.contains("directory") ? "directory" : "local registry") +
                                   " source " + name;
                    }
                    return {};
                }
                if (auto r = keys.find("registry"); r != keys.end()) {
                    url = strip_kind(r->second);
                }
            }
            continue;
        }
        break;
    }
    if (is_crates_io(url)) {
        // The sparse protocol (cargo 1.70's default) caches under index.crates.io, git under github.com.
        return {"index.crates.io", "github.com"};
    }
    // A file:// index has no host: cargo names its directory "-<hash>".
    return url.find("://") == std::string::npos ? std::vector<std::string>{}
                                                : std::vector<std::string>{url_host(url)};
}

util::Result<std::vector<OutdatedPackage>> cargo_outdated(const util::Root& root,
                                                          const std::string& cargo_home,
                                                          const std::vector<CargoInstall>& installs,
                                                          std::string* note,
                                                          const core::CancellationToken& token) {
    const std::string index_dir = cargo_home + "/registry/index";
    std::vector<std::string> dirs;
    std::error_code ec;
    for (fs::directory_iterator it(root.resolve(index_dir), ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
        dirs.push_back(it->path().filename().string());
    }
    std::sort(dirs.begin(), dirs.end());
    std::vector<OutdatedPackage> out;
    std::vector<std::string> uncached;
    for (const auto& c : installs) {
        if (token.is_cancelled()) {
            return util::fail(util::ErrorKind::cancelled, "interrupted");
        }
        OutdatedPackage o;
        o.name = c.name;
        o.installed = c.version;
        if (!c.source.starts_with("registry+") && !c.source.starts_with("sparse+")) {
            // cargo install --git/--path: no registry has a candidate; `cargo install NAME@V` would replace
            // it with the registry's crate of the same name.
            o.skip_reason = c.source.starts_with("git+")    ? "installed from git, not checked"
                            : c.source.starts_with("path+") ? "installed from a path, not checked"
                                                            : "not from a registry, not checked";
            out.push_back(std::move(o));
            continue;
        }
        std::string why_not;
        auto hosts = cargo_index_hosts(root, cargo_home, c.source, &why_not);
        // The newest cache file of the crate among the index directories of those hosts.
        std::string best;
        fs::file_time_type best_time{};
        for (const auto& dir : dirs) {
            auto dash = dir.rfind('-');
            if (dash == std::string::npos ||
                std::find(hosts.begin(), hosts.end(), dir.substr(0, dash)) == hosts.end()) {
                continue;
            }
            std::string file = index_dir + "/" + dir + "/.cache/" + cargo_index_path(c.name);
            auto t = fs::last_write_time(root.resolve(file), ec);
            if (!ec && (best.empty() || t > best_time)) {
                best = file;
                best_time = t;
            }
        }
        std::vector<CargoIndexVersion> versions;
        if (!best.empty()) {
            if (auto bytes = root.read(best, 64u << 20)) {
                if (auto parsed = parse_cargo_index_cache(*bytes)) {
                    versions = std::move(*parsed);
                }
            }
        }
        if (versions.empty()) {
            uncached.push_back(c.name + (why_not.empty() ? "" : " (" + why_not + ")"));
            continue;
        }
        o.candidate = cargo_install_candidate(versions);
        if (o.candidate.empty() || compare_semver(o.candidate, o.installed) <= 0) {
            continue;
        }
        if (c.custom_features) {
            // cargo install NAME@V builds the default features: the ones chosen at install would be lost.
            o.skip_reason = "installed with chosen features";
        }
        out.push_back(std::move(o));
    }
    if (note != nullptr) {
        *note = "candidates from cargo's index cache, as of cargo's last fetch (cargo install or update "
                "refreshes it)";
        if (!uncached.empty()) {
            *note += "; not in the cache, not checked: " + util::join(uncached, ", ");
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

} // namespace zsyncctl::pkg
