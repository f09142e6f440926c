// Homebrew's outdated, info and which against brew's own API cache, and the report for pkg list/outdated/
// info/which (homebrew_inventory); the installed side is brew_cellar.cpp.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "pkg/inventory/brew_cellar.hpp"
#include "pkg/inventory/brew_tap.hpp"
#include "pkg/inventory/brew_version.hpp"
#include "pkg/search/native/brew_api.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

using Json = nlohmann::json;

struct ApiFormula {
    std::string pkg_version; // stable_version plus "_revision" when revision > 0
    int scheme = 0;
    std::string desc;
    std::vector<std::string> executables;
};

struct ApiCask {
    std::string version; // as brew prints it; ":latest" stays "latest" with `latest` set
    bool latest = false;
    bool auto_updates = false;
    std::string desc;
    std::string tap;
};

// What brew's API cache says about the current formulae and casks.
struct BrewApi {
    std::map<std::string, ApiFormula> formulae;
    std::map<std::string, ApiCask> casks;
    std::map<std::string, std::string> formula_renames; // old -> new
    std::map<std::string, std::string> cask_renames;
    std::string executables_txt; // internal/executables.txt beside Homebrew 6's document, when present
};

std::string str(const Json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

long integer(const Json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_number_integer() ? it->get<long>() : 0;
}

// Ruby symbols are ":name" strings in Homebrew 6's API; real strings starting with ':' or '\' are escaped
// with a leading '\'.
std::string unescape(std::string v) {
    if (!v.empty() && (v.front() == ':' || v.front() == '\\')) {
        v.erase(0, 1);
    }
    return v;
}

std::string with_revision(std::string version, long revision) {
    return revision > 0 ? version + "_" + std::to_string(revision) : version;
}

void read_renames(const Json& doc, const char* key, std::map<std::string, std::string>& into) {
    if (auto it = doc.find(key); it != doc.end() && it->is_object()) {
        for (const auto& [from, to] : it->items()) {
            if (to.is_string()) {
                into[from] = to.get<std::string>();
            }
        }
    }
}

// Homebrew 6's joint document: objects keyed by name under "formulae" and "casks".
void read_packages_doc(const Json& doc, BrewApi& api) {
    if (auto f = doc.find("formulae"); f != doc.end() && f->is_object()) {
        for (const auto& [name, e] : f->items()) {
            if (!e.is_object()) {
                continue;
            }
            ApiFormula a;
            a.pkg_version = with_revision(unescape(str(e, "stable_version")), integer(e, "revision"));
            a.scheme = static_cast<int>(integer(e, "version_scheme"));
            a.desc = str(e, "desc");
            if (auto x = e.find("executables"); x != e.end() && x->is_array()) {
                for (const auto& s : *x) {
                    if (s.is_string()) {
                        a.executables.push_back(s.get<std::string>());
                    }
                }
            }
            api.formulae[name] = std::move(a);
        }
    }
    if (auto c = doc.find("casks"); c != doc.end() && c->is_object()) {
        for (const auto& [token, e] : c->items()) {
            if (!e.is_object()) {
                continue;
            }
            ApiCask a;
            std::string raw = str(e, "version");
            a.latest = raw == ":latest";
            a.version = unescape(raw);
            a.auto_updates = e.value("auto_updates", false) == true;
            a.desc = str(e, "desc");
            a.tap = str(e, "tap_string");
            api.casks[token] = std::move(a);
        }
    }
    read_renames(doc, "formula_renames", api.formula_renames);
    read_renames(doc, "cask_renames", api.cask_renames);
}

// 5.x's formula.json / cask.json: arrays of objects.
void read_array_doc(const Json& doc, BrewApi& api) {
    for (const auto& e : doc) {
        if (!e.is_object()) {
            continue;
        }
        if (e.contains("token")) {
            ApiCask a;
            a.version = str(e, "version");
            a.latest = a.version == "latest";
            a.auto_updates = e.value("auto_updates", false) == true;
            a.desc = str(e, "desc");
            a.tap = str(e, "tap");
            api.casks[str(e, "token")] = std::move(a);
            continue;
        }
        ApiFormula a;
        if (auto v = e.find("versions"); v != e.end() && v->is_object()) {
            a.pkg_version = with_revision(str(*v, "stable"), integer(e, "revision"));
        }
        a.scheme = static_cast<int>(integer(e, "version_scheme"));
        a.desc = str(e, "desc");
        api.formulae[str(e, "name")] = std::move(a);
    }
}

util::Result<BrewApi> load_api(const util::Root& root) {
    auto files = brew_cached_api_files(root);
    if (files.empty()) {
        return util::fail(
            util::ErrorKind::not_found,
            "Homebrew's API cache is missing (api/internal/packages.*.jws.json under HOMEBREW_CACHE, "
            "~/.cache/Homebrew or ~/Library/Caches/Homebrew); nothing is downloaded",
            "run brew update");
    }
    BrewApi api;
    for (const auto& file : files) {
        auto text = util::read_file(file, 256u << 20);
        if (!text) {
            return util::fail(text.error());
        }
        Json doc = Json::parse(*text, nullptr, false);
        if (doc.is_object() && doc.contains("payload") && doc["payload"].is_string()) {
            doc = Json::parse(doc["payload"].get<std::string>(), nullptr, false);
        }
        if (doc.is_object() && (doc.contains("formulae") || doc.contains("casks"))) {
            read_packages_doc(doc, api);
            if (auto exe = util::read_file(file.parent_path() / "executables.txt", 64u << 20)) {
                api.executables_txt = std::move(*exe);
            }
        } else if (doc.is_array()) {
            read_array_doc(doc, api);
        } else {
            return util::fail(util::ErrorKind::parse, "not a Homebrew API document: " + file.string(),
                              "run brew update");
        }
    }
    return api;
}

template <typename T>
const T* find_api(const std::map<std::string, T>& entries, const std::map<std::string, std::string>& renames,
                  const std::string& name) {
    if (auto it = entries.find(name); it != entries.end()) {
        return &it->second;
    }
    if (auto r = renames.find(name); r != renames.end()) {
        if (auto it = entries.find(r->second); it != entries.end()) {
            return &it->second;
        }
    }
    return nullptr;
}

bool is_head(const std::string& v) {
    return v == "HEAD" || v.starts_with("HEAD-");
}

// Formula#outdated_kegs without --fetch-HEAD: a keg is current when its pkg_version is not older than the
// API's (same version_scheme), or equal under a lower scheme, and it is linked (or the formula is pinned).
bool formula_outdated(const BrewInstalled& f, const ApiFormula& latest) {
    for (std::size_t i = 0; i < f.versions.size(); ++i) {
        const std::string& keg = f.versions[i];
        const int scheme = i < f.schemes.size() ? f.schemes[i] : 0;
        if (is_head(keg)) {
            continue;
        }
        const int c = compare_brew_pkg_versions(latest.pkg_version, keg);
        if (latest.scheme > scheme && c != 0) {
            continue;
        }
        if (latest.scheme == scheme && c > 0) {
            continue;
        }
        const bool keg_linked = f.linked && keg == f.version;
        if (!keg_linked && !f.pinned) {
            continue;
        }
        return false;
    }
    // Only HEAD kegs: brew does not call them outdated without --fetch-HEAD.
    return std::any_of(f.versions.begin(), f.versions.end(), [](const auto& v) { return !is_head(v); });
}

void add_notes(InventoryReport& report, const BrewPrefix& brew) {
    auto add = [&](const std::string& text) {
        report.note += (report.note.empty() ? "" : "; ") + text;
    };
    if (!brew.damaged.empty()) {
        add("INSTALL_RECEIPT.json is not JSON (reason unknown): " + util::join(brew.damaged, ", "));
    }
    for (const auto& other : brew.others) {
        add("another Homebrew is in " + other + " (set HOMEBREW_PREFIX to read it)");
    }
}

// As root, the prefix of another user is only read (brew refuses root; nothing in it is run): say so.
void note_owner(const util::Root& root, InventoryReport& report, const std::string& prefix) {
    struct ::stat st {};
    if (!root.is_host() || ::geteuid() != 0 || ::stat(prefix.c_str(), &st) != 0 || st.st_uid == 0) {
        return;
    }
    report.note += std::string(report.note.empty() ? "" : "; ") + "read as root from " + prefix +
                   ", owned by uid " + std::to_string(st.st_uid) + " (only read: nothing in it is run)";
}

void list(const BrewPrefix& brew, InventoryReport& report) {
    for (const auto& b : brew.packages) {
        InstalledPackage p;
        p.name = b.name;
        p.version = b.version;
        p.state = b.cask ? "cask" : "formula";
        p.reason = b.reason;
        p.held = b.pinned;
        if (!b.tap.empty() && b.tap != "homebrew/core") {
            p.origin = b.tap; // a tap's formula: where it comes from
        }
        report.packages.push_back(std::move(p));
    }
}

util::Result<void> outdated(const util::Root& root, const BrewPrefix& brew, InventoryReport& report) {
    auto api = load_api(root);
    if (!api) {
        return util::fail(api.error());
    }
    std::vector<std::string> unknown;
    for (const auto& b : brew.packages) {
        OutdatedPackage o;
        o.name = b.name;
        o.installed = b.version;
        if (!b.cask && !b.versions.empty() && std::all_of(b.versions.begin(), b.versions.end(), is_head)) {
            // brew outdated leaves HEAD kegs out unless --fetch-HEAD asks the repository for new commits.
            o.skip_reason = "HEAD, upgrade with --fetch-HEAD";
            report.outdated.push_back(std::move(o));
            continue;
        }
        if (!b.cask && !b.tap.empty() && b.tap != "homebrew/core") {
            // A tap's formula: its version is in the tap's Ruby file (read as text, never run), never in
            // the API; a core formula of the same name is another package.
            const BrewFormulaVersion tap = read_brew_tap_formula(root, brew.prefix, b.tap, b.name);
            const ApiFormula latest{tap.pkg_version(), tap.version_scheme, {}, {}};
            if (latest.pkg_version.empty()) {
                o.skip_reason = "tap formula " + b.tap +
                                (tap.found ? ", version not readable without Ruby" : ", not checked");
                report.outdated.push_back(std::move(o));
            } else if (formula_outdated(b, latest)) {
                o.candidate = latest.pkg_version;
                o.skip_reason = b.pinned ? "pinned" : "";
                report.outdated.push_back(std::move(o));
            }
            continue;
        }
        if (!b.cask) {
            const ApiFormula* latest = find_api(api->formulae, api->formula_renames, b.name);
            if (latest == nullptr || latest->pkg_version.empty()) {
                unknown.push_back(b.name);
                continue;
            }
            if (!formula_outdated(b, *latest)) {
                continue;
            }
            o.candidate = latest->pkg_version;
        } else {
            const ApiCask* latest = find_api(api->casks, api->cask_renames, b.name);
            if (latest == nullptr || latest->version.empty()) {
                unknown.push_back(b.name + " (cask)");
                continue;
            }
            // Cask#outdated_version without --greedy: `version :latest` never, an equal version never, an
            // auto-updating cask only when its app bundle is older (not readable here: shown skipped).
            if (latest->latest || latest->version == b.version) {
                continue;
            }
            o.candidate = latest->version;
            if (latest->auto_updates) {
                o.skip_reason = "auto-updates";
            }
        }
        if (b.pinned) {
            o.skip_reason = "pinned";
        }
        report.outdated.push_back(std::move(o));
    }
    if (!unknown.empty()) {
        report.note += std::string(report.note.empty() ? "" : "; ") + "not in Homebrew's API (a tap's, " +
                       "which brew outdated reads from the tap): " + util::join(unknown, ", ");
    }
    return util::ok();
}

util::Result<void> info(const util::Root& root, const BrewPrefix& brew, const std::string& name,
                        InventoryReport& report) {
    auto api = load_api(root);
    if (!api && api.error().kind != util::ErrorKind::not_found) {
        return util::fail(api.error());
    }
    if (!api) {
        report.note += std::string(report.note.empty() ? "" : "; ") + "no candidate: " + api.error().message;
    }
    for (bool cask : {false, true}) {
        PackageInfo i;
        i.manager = "homebrew";
        i.name = name;
        auto installed = std::find_if(brew.packages.begin(), brew.packages.end(),
                                      [&](const auto& b) { return b.name == name && b.cask == cask; });
        if (installed != brew.packages.end()) {
            i.installed = installed->version;
            i.held = installed->pinned;
            i.reason = installed->reason;
        }
        const bool tapped = installed != brew.packages.end() && !cask && !installed->tap.empty() &&
                            installed->tap != "homebrew/core";
        if (tapped) {
            // A tap's formula: its own file, never the core formula of the same name.
            const BrewFormulaVersion tap = read_brew_tap_formula(root, brew.prefix, installed->tap, name);
            i.candidate = tap.pkg_version();
            i.description = tap.desc;
            i.repository = installed->tap;
        } else if (api && !cask) {
            if (const ApiFormula* f = find_api(api->formulae, api->formula_renames, name)) {
                i.candidate = f->pkg_version;
                i.description = f->desc;
                i.repository = "homebrew/core";
            }
        } else if (api) {
            if (const ApiCask* c = find_api(api->casks, api->cask_renames, name)) {
                i.candidate = c->version;
                i.description = c->desc;
                i.repository = c->tap.empty() ? "homebrew/cask" : c->tap;
            }
        }
        if (cask && i.repository.empty() && !i.installed.empty()) {
            i.repository = "homebrew/cask";
        }
        if (!i.installed.empty() || !i.candidate.empty()) {
            report.info.push_back(std::move(i));
        }
    }
    return util::ok();
}

// The package a link in the prefix's bin/sbin points into: "../Cellar/<name>/<version>/bin/x" or
// "../Caskroom/<token>/<version>/x".
std::string owner_of_link(const std::string& target) {
    for (const char* dir : {"Cellar/", "Caskroom/"}) {
        auto at = target.find(dir);
        if (at != std::string::npos && (at == 0 || target[at - 1] == '/')) {
            std::string rest = target.substr(at + std::string_view(dir).size());
            auto slash = rest.find('/');
            return slash == std::string::npos ? std::string() : rest.substr(0, slash);
        }
    }
    return {};
}

std::string readlink_in(const util::Root& root, const std::string& logical) {
    auto slash = logical.rfind('/');
    if (slash == std::string::npos || slash == 0) {
        return {};
    }
    std::filesystem::path host = root.resolve(logical.substr(0, slash)) / logical.substr(slash + 1);
    char buf[4096];
    ssize_t n = ::readlink(host.c_str(), buf, sizeof buf);
    return n > 0 && static_cast<std::size_t>(n) < sizeof buf ? std::string(buf, static_cast<std::size_t>(n))
                                                             : std::string();
}

util::Result<void> which(const util::Root& root, const BrewPrefix& brew, const std::string& query,
                         InventoryReport& report) {
    std::vector<std::string> paths;
    if (query.find('/') != std::string::npos) {
        paths.push_back(query);
    } else {
        paths = {brew.prefix + "/bin/" + query, brew.prefix + "/sbin/" + query};
    }
    for (const auto& path : paths) {
        std::string name = owner_of_link(readlink_in(root, path));
        if (!name.empty() && std::any_of(brew.packages.begin(), brew.packages.end(),
                                         [&](const auto& b) { return b.name == name; })) {
            report.owners.push_back({name, path, {}});
        }
    }
    if (!report.owners.empty()) {
        return util::ok();
    }
    std::string command = query.substr(query.rfind('/') == std::string::npos ? 0 : query.rfind('/') + 1);
    if (query.find('/') != std::string::npos && !query.starts_with(brew.prefix + "/")) {
        return util::ok(); // a path outside the prefix: nothing of Homebrew's
    }
    auto api = load_api(root);
    if (!api) {
        report.note += std::string(report.note.empty() ? "" : "; ") +
                       "could not look for a formula that provides it: " + api.error().message;
        return util::ok();
    }
    // Homebrew's command-not-found list: "formula:exe1 exe2" lines (internal/executables.txt), else the
    // formulae's own `executables` (5.1.12 and later).
    std::set<std::string> formulae;
    for (auto line : util::split_lines(api->executables_txt)) {
        auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        for (auto exe : util::split(line.substr(colon + 1), ' ')) {
            if (exe == command) {
                formulae.emplace(line.substr(0, colon));
            }
        }
    }
    if (api->executables_txt.empty()) {
        for (const auto& [name, f] : api->formulae) {
            if (std::find(f.executables.begin(), f.executables.end(), command) != f.executables.end()) {
                formulae.insert(name);
            }
        }
    }
    for (const auto& f : formulae) {
        report.providers.push_back({f, brew.prefix + "/bin/" + command, "homebrew/core"});
    }
    return util::ok();
}

} // namespace

void homebrew_inventory(const InventoryRequest& request, InventoryReport& report,
                        const core::CancellationToken& token) {
    auto failed = [&](const util::Error& e) {
        report.status =
            e.kind == util::ErrorKind::cancelled ? InventoryStatus::cancelled : InventoryStatus::error;
        report.error = e.message;
        report.hint = e.hint;
    };
    auto brew = read_brew_prefix(request.root, token);
    if (!brew) {
        failed(brew.error());
        return;
    }
    note_owner(request.root, report, brew->prefix);
    util::Result<void> done = util::ok();
    switch (request.kind) {
    case InventoryKind::list:
        list(*brew, report);
        break;
    case InventoryKind::outdated:
        done = outdated(request.root, *brew, report);
        break;
    case InventoryKind::info:
        done = info(request.root, *brew, request.query, report);
        break;
    case InventoryKind::which:
        done = which(request.root, *brew, request.query, report);
        break;
    }
    if (!done) {
        failed(done.error());
        return;
    }
    add_notes(report, *brew);
}

} // namespace zsyncctl::pkg
