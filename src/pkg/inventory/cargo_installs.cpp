#include "pkg/inventory/cargo_installs.hpp"

#include <algorithm>
#include <cstdlib>
#include <initializer_list>

#include <nlohmann/json.hpp>

#include "pkg/inventory/cargo_index.hpp"
#include "pkg/inventory/command_path.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// The strings of a TOML basic string array's text ("[\"a\", \"b\"]"), as cargo writes .crates.toml.
std::vector<std::string> toml_strings(std::string_view text) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '"') {
            continue;
        }
        std::string s;
        for (++i; i < text.size() && text[i] != '"'; ++i) {
            if (text[i] == '\\' && i + 1 < text.size()) {
                ++i;
            }
            s += text[i];
        }
        out.push_back(std::move(s));
    }
    return out;
}

// .crates.toml: a [v1] table of "PACKAGE ID" = ["bin", ...] lines.
util::Result<std::vector<CargoInstall>> parse_crates_toml(std::string_view text) {
    std::vector<CargoInstall> out;
    bool in_v1 = false;
    for (auto raw : util::split_lines(text)) {
        auto line = util::trim(raw);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (line.front() == '[' && line.find('=') == std::string_view::npos) {
            in_v1 = line == "[v1]";
            continue;
        }
        if (!in_v1) {
            continue;
        }
        // The key is a quoted string that may contain '=' (none do in a package id, but be exact): the
        // first quoted string, then '='.
        auto parts = toml_strings(line.substr(0, line.find("\" =") + 1));
        auto eq = line.find("\" =");
        if (parts.size() != 1 || eq == std::string_view::npos) {
            return util::fail(util::ErrorKind::parse,
                              "not a .crates.toml line: " + std::string(line.substr(0, 80)));
        }
        CargoInstall c;
        if (!parse_cargo_package_id(parts.front(), c)) {
            return util::fail(util::ErrorKind::parse, "not a cargo package id: " + parts.front());
        }
        c.bins = toml_strings(line.substr(eq + 3));
        out.push_back(std::move(c));
    }
    return out;
}

util::Result<std::vector<CargoInstall>> parse_crates2_json(const std::string& text) {
    auto doc = nlohmann::json::parse(text, nullptr, false);
    auto installs = doc.is_object() ? doc.find("installs") : doc.end();
    if (!doc.is_object() || installs == doc.end() || !installs->is_object()) {
        return util::fail(util::ErrorKind::parse, ".crates2.json has no \"installs\" object");
    }
    std::vector<CargoInstall> out;
    for (const auto& [id, entry] : installs->items()) {
        CargoInstall c;
        if (!parse_cargo_package_id(id, c)) {
            return util::fail(util::ErrorKind::parse, "not a cargo package id: " + id);
        }
        if (auto bins = entry.is_object() ? entry.find("bins") : entry.end();
            entry.is_object() && bins != entry.end() && bins->is_array()) {
            for (const auto& b : *bins) {
                if (b.is_string()) {
                    c.bins.push_back(b.get<std::string>());
                }
            }
        }
        if (entry.is_object()) {
            auto features = entry.find("features");
            const nlohmann::json& fields = entry; // a lambda may not capture a structured binding (C++17)
            auto flag = [&fields](const char* key) {
                auto f = fields.find(key);
                return f != fields.end() && f->is_boolean() && f->get<bool>();
            };
            c.custom_features = (features != entry.end() && features->is_array() && !features->empty()) ||
                                flag("all_features") || flag("no_default_features");
        }
        out.push_back(std::move(c));
    }
    return out;
}

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::string(v) : std::string();
}

// The first of `vars` that holds an absolute path (trailing slashes cut), else ~/.cargo: the home of the
// root's user on the host, else $HOME's.
std::string cargo_dir(const util::Root& root, std::initializer_list<const char*> vars) {
    for (const char* var : vars) {
        if (std::string v = env(var); !v.empty() && v.front() == '/') {
            while (v.size() > 1 && v.back() == '/') {
                v.pop_back();
            }
            return v;
        }
    }
    if (auto home = root.home(); home && root.is_host()) {
        return home->string() + "/.cargo";
    }
    std::string home = env("HOME");
    return home.empty() ? std::string() : home + "/.cargo";
}

// cargo install's root without --root: CARGO_INSTALL_ROOT, then CARGO_HOME, then ~/.cargo (install.root in
// a config file is not read: say so when nothing is found).
std::string install_root(const util::Root& root) {
    return cargo_dir(root, {"CARGO_INSTALL_ROOT", "CARGO_HOME"});
}

// $CARGO_HOME, else ~/.cargo: where cargo keeps its registry caches (the install root may be elsewhere).
std::string cargo_home(const util::Root& root) {
    return cargo_dir(root, {"CARGO_HOME"});
}

} // namespace

bool parse_cargo_package_id(std::string_view id, CargoInstall& out) {
    // "NAME VERSION (SOURCE)"; the source holds no " (" but may hold spaces in a path.
    auto sp = id.find(' ');
    if (sp == std::string_view::npos || sp == 0) {
        return false;
    }
    auto open = id.find(" (", sp + 1);
    if (open == std::string_view::npos || id.back() != ')' || open == sp + 1) {
        return false;
    }
    out.name = std::string(id.substr(0, sp));
    out.version = std::string(id.substr(sp + 1, open - sp - 1));
    out.source = std::string(id.substr(open + 2, id.size() - open - 3));
    return out.version.find(' ') == std::string::npos && !out.source.empty();
}

util::Result<std::vector<CargoInstall>> read_cargo_installs(const util::Root& root,
                                                            const std::string& install_root) {
    util::Result<std::vector<CargoInstall>> parsed = util::fail(util::ErrorKind::not_found, "");
    if (auto json = root.read(install_root + "/.crates2.json", 64u << 20)) {
        parsed = parse_crates2_json(*json);
    } else if (auto toml = root.read(install_root + "/.crates.toml", 64u << 20)) {
        parsed = parse_crates_toml(*toml);
    } else {
        return util::fail(util::ErrorKind::not_found, "no .crates2.json or .crates.toml in " + install_root +
                                                          ": nothing is installed with cargo");
    }
    if (!parsed) {
        return util::fail(parsed.error().kind, install_root + ": " + parsed.error().message);
    }
    std::sort(parsed->begin(), parsed->end(), [](const auto& a, const auto& b) {
        return a.name != b.name ? a.name < b.name : a.version < b.version;
    });
    return parsed;
}

void cargo_inventory(const InventoryRequest& request, InventoryReport& report,
                     const core::CancellationToken& token) {
    const std::string dir = install_root(request.root);
    if (dir.empty()) {
        report.status = InventoryStatus::error;
        report.error = "cargo's install root is unknown";
        report.hint = "set CARGO_HOME (or CARGO_INSTALL_ROOT)";
        return;
    }
    if (token.is_cancelled()) {
        report.status = InventoryStatus::cancelled;
        return;
    }
    auto installs = read_cargo_installs(request.root, dir);
    if (!installs && installs.error().kind == util::ErrorKind::not_found) {
        report.note = installs.error().message; // like pacman's missing local db: nothing installed
        return;
    }
    if (!installs) {
        report.status = InventoryStatus::error;
        report.error = installs.error().message;
        return;
    }
    switch (request.kind) {
    case InventoryKind::list:
        for (const auto& c : *installs) {
            InstalledPackage p;
            p.name = c.name;
            p.version = c.version;
            p.state = "installed";
            p.reason = InstallReason::explicit_install; // cargo install installs what was asked for
            report.packages.push_back(std::move(p));
        }
        break;
    case InventoryKind::info:
        for (const auto& c : *installs) {
            if (c.name == request.query) {
                PackageInfo i;
                i.manager = "cargo";
                i.name = c.name;
                i.installed = c.version;
                i.repository = c.source;
                i.description = "binaries: " + util::join(c.bins, ", ");
                i.reason = InstallReason::explicit_install;
                report.info.push_back(std::move(i));
            }
        }
        break;
    case InventoryKind::which: {
        // What PATH runs, under each of its names, when it is a binary cargo installed into <root>/bin; a
        // command found nowhere is still looked for there.
        std::vector<std::string> bin_dirs = {dir + "/bin/"};
        if (std::string real = canonical_in_root(request.root, dir + "/bin") + "/";
            real != bin_dirs.front()) {
            bin_dirs.push_back(real);
        }
        std::vector<std::string> paths = request.which.paths;
        if (request.which.found.empty() && request.query.find('/') == std::string::npos) {
            paths.push_back(bin_dirs.front() + request.query);
        }
        for (const std::string& path : paths) {
            for (const std::string& bin_dir : bin_dirs) {
                if (!path.starts_with(bin_dir) || path.find('/', bin_dir.size()) != std::string::npos) {
                    continue;
                }
                const std::string command = path.substr(bin_dir.size());
                for (const auto& c : *installs) {
                    bool listed = std::find(c.bins.begin(), c.bins.end(), command) != c.bins.end();
                    bool known = std::any_of(report.owners.begin(), report.owners.end(),
                                             [&](const FileOwner& f) { return f.package == c.name; });
                    if (listed && !known) {
                        report.owners.push_back({c.name, bin_dirs.front() + command, {}});
                    }
                }
            }
        }
        break;
    }
    case InventoryKind::outdated: {
        auto outdated =
            cargo_outdated(request.root, cargo_home(request.root), *installs, &report.note, token);
        if (!outdated) {
            report.status = InventoryStatus::cancelled;
            report.error = outdated.error().message;
            break;
        }
        report.outdated = std::move(*outdated);
        break;
    }
    }
}

} // namespace zsyncctl::pkg
