#include "pkg/inventory/inventory.hpp"

#include <algorithm>
#include <chrono>

#include "core/concurrent_for.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/inventory/apk_db.hpp"
#include "pkg/inventory/apt_contents.hpp"
#include "pkg/inventory/apt_outdated.hpp"
#include "pkg/inventory/brew_cellar.hpp"
#include "pkg/inventory/cargo_installs.hpp"
#include "pkg/inventory/dnf_outdated.hpp"
#include "pkg/inventory/dpkg_db.hpp"
#include "pkg/inventory/dpkg_files.hpp"
#include "pkg/inventory/flatpak_outdated.hpp"
#include "pkg/inventory/gem_specs.hpp"
#include "pkg/inventory/npm_global.hpp"
#include "pkg/inventory/package_info.hpp"
#include "pkg/inventory/pacman_db.hpp"
#include "pkg/inventory/pacman_files.hpp"
#include "pkg/inventory/pip_dist.hpp"
#include "pkg/inventory/pyenv_shim.hpp"
#include "pkg/inventory/rpm_db.hpp"
#include "pkg/inventory/rpm_macros.hpp"
#include "pkg/inventory/rpm_reason.hpp"
#include "pkg/inventory/zypper_outdated.hpp"
#include "pkg/registry/registry.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

void fail_report(InventoryReport& report, const util::Error& error) {
    report.status =
        error.kind == util::ErrorKind::cancelled ? InventoryStatus::cancelled : InventoryStatus::error;
    report.error = error.message;
    report.hint = error.hint;
}

// pkg info's answer, or why there is none.
void keep_info(InventoryReport& report, util::Result<std::vector<PackageInfo>> info) {
    if (!info) {
        fail_report(report, info.error());
        return;
    }
    report.info = std::move(*info);
}

// Moves a reader's answer into `into`, or its error into the report.
template <typename T>
void keep(InventoryReport& report, util::Result<T> result, T& into) {
    if (!result) {
        fail_report(report, result.error());
        return;
    }
    into = std::move(*result);
}

// The manager's own outdated check runs the host's manager with the host's configuration: nothing of an
// image; true (and the report says so) under --root.
bool skipped_under_root(const InventoryRequest& request, InventoryReport& report, const char* manager) {
    if (request.root.is_host()) {
        return false;
    }
    report.status = InventoryStatus::skipped;
    report.error = std::string(manager) + " outdated runs " + manager + ", which is not done under --root";
    return true;
}

void read_dpkg(const InventoryRequest& request, InventoryReport& report,
               const core::CancellationToken& token) {
    if (request.kind == InventoryKind::info) {
        keep_info(report, apt_package_info(request.root, request.query,
                                           request.use_cache ? apt_info_cache_file(request.root) : "",
                                           &report.note, token));
        return;
    }
    if (request.kind == InventoryKind::which) {
        auto owners = dpkg_file_owners(request.root, request.which.paths);
        if (!owners) {
            fail_report(report, owners.error());
            return;
        }
        report.owners = std::move(*owners);
        if (report.owners.empty()) {
            auto providers =
                apt_contents_providers(request.root, which_candidates(request.query), &report.note, token);
            providers ? void(report.providers = std::move(*providers))
                      : fail_report(report, providers.error());
        }
        return;
    }
    auto installed = read_dpkg_database(request.root, token);
    if (!installed) {
        fail_report(report, installed.error());
        return;
    }
    if (request.kind == InventoryKind::list) {
        report.packages = std::move(*installed);
        return;
    }
    keep(report, apt_outdated(request.root, *installed, &report.note, token), report.outdated);
}

void read_pacman(const InventoryRequest& request, InventoryReport& report,
                 const core::CancellationToken& token) {
    if (request.kind == InventoryKind::info) {
        keep_info(report, pacman_package_info(request.root, request.query, token));
        return;
    }
    if (request.kind == InventoryKind::which) {
        auto paths = which_candidates(request.query);
        auto owners = pacman_file_owners(request.root, request.which.paths, token);
        if (!owners && owners.error().kind != util::ErrorKind::not_found) {
            fail_report(report, owners.error());
            return;
        }
        if (owners && !owners->empty()) {
            report.owners = std::move(*owners);
            return;
        }
        auto providers = pacman_file_providers(request.root, paths, &report.note, token);
        providers ? void(report.providers = std::move(*providers)) : fail_report(report, providers.error());
        return;
    }
    auto installed = read_pacman_local(request.root);
    if (!installed && installed.error().kind == util::ErrorKind::not_found) {
        // pacman creates its local database with the first install: none means nothing is installed with
        // it (pacman -Q lists nothing), not a failure; and nothing installed is nothing outdated.
        report.note = installed.error().message + ": nothing is installed with pacman";
        return;
    }
    if (!installed) {
        fail_report(report, installed.error());
        return;
    }
    if (request.kind == InventoryKind::list) {
        report.packages = std::move(*installed);
        return;
    }
    keep(report, pacman_outdated(request.root, *installed, &report.note), report.outdated);
}

// npm's global packages: the prefix and executable as detection resolves them (`pkg paths npm`,
// NPM_CONFIG_PREFIX first); list natively, outdated by npm itself (the registry is on no disk).
void read_npm(const InventoryRequest& request, InventoryReport& report,
              const core::CancellationToken& token) {
    if (request.kind == InventoryKind::info) {
        report.status = InventoryStatus::unsupported;
        report.error = "pkg info does not read npm's packages yet";
        return;
    }
    Detection detection = detect_managers(DetectContext::current(request.root),
                                          request.use_cache ? UseCache::yes : UseCache::no);
    auto found = detection.find("npm");
    if (found.empty() || found.front()->prefix.empty()) {
        report.status = InventoryStatus::error;
        report.error = found.empty() ? "npm was not found" : "npm's global prefix is unknown";
        report.hint = "set NPM_CONFIG_PREFIX to npm's global prefix";
        return;
    }
    const DetectedManager& npm = *found.front();
    if (request.kind == InventoryKind::which) {
        keep(report, npm_file_owners(request.root, npm.prefix, request.which, token), report.owners);
        return;
    }
    if (request.kind == InventoryKind::list) {
        keep(report, read_npm_global(request.root, npm.prefix, token), report.packages);
        return;
    }
    if (skipped_under_root(request, report, "npm")) {
        return;
    }
    keep(report, npm_outdated(*npm.manager, npm.executable, npm.prefix, token), report.outdated);
}

// dnf, yum, zypper: the shared rpm database, read natively for list, which and installed info. Outdated and
// info's candidates need the repositories' metadata, which only the manager reads (zypper's solv caches,
// dnf's solver): by the manager's own commands where the registry's method says how. No database means
// nothing is installed with rpm (like pacman's missing local db), not a failure.
void read_rpm(const InventoryRequest& request, const Manager& manager, InventoryReport& report,
              const core::CancellationToken& token) {
    std::string dbpath_note;
    const std::vector<std::string> dir_names =
        request.kind == InventoryKind::outdated
            ? std::vector<std::string>{}
            : rpm_database_directories(request.root, manager.inventory.databases, dbpath_note);
    const std::vector<std::string_view> dirs(dir_names.begin(), dir_names.end());
    const InventoryMethod method = manager.inventory.method;
    auto keep_or_nothing = [&](auto result, auto& into) {
        if (result) {
            into = std::move(*result);
        } else if (result.error().kind == util::ErrorKind::not_found) {
            report.note = result.error().message + ": nothing is installed with rpm";
        } else {
            fail_report(report, result.error());
        }
    };
    if (request.kind == InventoryKind::outdated) {
        util::Result<std::vector<OutdatedPackage>> outdated = util::fail(util::ErrorKind::unsupported, "");
        if (method == InventoryMethod::zypper_xml) {
            outdated = zypper_outdated(manager, request.root, &report.note, token);
        } else if (method == InventoryMethod::rpm_dnf) {
            outdated = dnf_outdated(manager, request.root, nullptr, &report.note, token);
        } else {
            report.status = InventoryStatus::unsupported;
            report.error =
                "pkg outdated does not read " + std::string(manager.display_name) + "'s repositories yet";
            return;
        }
        if (!outdated) {
            fail_report(report, outdated.error());
            if (method == InventoryMethod::zypper_xml &&
                outdated.error().kind == util::ErrorKind::not_found) {
                report.hint = "install zypper, or leave it out: --manager";
            }
            return;
        }
        report.outdated = std::move(*outdated);
        return;
    }
    if (request.kind == InventoryKind::info) {
        // The manager's own answer has the candidate; without it (no configuration, no cache, not
        // installed on this machine) the installed side still comes from the database, and the note says
        // why the candidate is missing.
        std::string candidate_error = "candidate versions are not read yet";
        if (method == InventoryMethod::zypper_xml || method == InventoryMethod::rpm_dnf) {
            auto info = method == InventoryMethod::zypper_xml
                            ? zypper_package_info(manager, request.root, request.query, token)
                            : dnf_package_info(manager, request.root, request.query, token);
            if (info && !info->empty()) {
                report.info = std::move(*info);
                apply_rpm_reasons(request.root, manager, report.packages, report.info, report.note);
                return;
            }
            if (!info) {
                if (info.error().kind == util::ErrorKind::cancelled) {
                    fail_report(report, info.error());
                    return;
                }
                candidate_error = "no candidate: " + info.error().message;
            }
        }
        keep_or_nothing(rpm_package_info(request.root, dirs, manager.id, request.query, &report.note, token),
                        report.info);
        if (!report.info.empty()) {
            report.note += std::string(report.note.empty() ? "" : "; ") + candidate_error;
        }
    } else if (request.kind == InventoryKind::which) {
        auto paths = which_candidates(request.query);
        keep_or_nothing(rpm_file_owners(request.root, dirs, request.which.paths, &report.note, token),
                        report.owners);
        if (report.owners.empty() && report.status == InventoryStatus::ok &&
            method == InventoryMethod::rpm_dnf) {
            // The installed side is the answer; what dnf could install is extra: dnf failing (no
            // configuration in the image, no cache) is a note, not a failed which.
            std::string note;
            auto providers = dnf_file_providers(manager, request.root, paths, &note, token);
            if (providers) {
                report.providers = std::move(*providers);
            } else if (providers.error().kind == util::ErrorKind::cancelled) {
                fail_report(report, providers.error());
            } else {
                note = "not asked where it could be installed from: " + providers.error().message;
            }
            report.note += std::string(report.note.empty() || note.empty() ? "" : "; ") + note;
        }
    } else {
        keep_or_nothing(rpm_installed(request.root, dirs, &report.note, token), report.packages);
    }
    if (!dbpath_note.empty()) {
        // The defaults were read, or a ~/.rpmmacros was not: name the database that was read.
        auto file = rpm_database_file(request.root, dirs);
        report.note += std::string(report.note.empty() ? "" : "; ") + dbpath_note +
                       (file ? "; read " + *file : std::string());
    }
    apply_rpm_reasons(request.root, manager, report.packages, report.info, report.note);
}

// The detected executable of `id` (`pkg paths ID`), or an error in `report`.
const DetectedManager* detected_or_fail(const InventoryRequest& request, InventoryReport& report,
                                        const char* id, Detection& detection) {
    detection = detect_managers(DetectContext::current(request.root),
                                request.use_cache ? UseCache::yes : UseCache::no);
    auto found = detection.find(id);
    if (found.empty() || found.front()->executable.empty()) {
        report.status = InventoryStatus::error;
        report.error = std::string(id) + " was not found";
        return nullptr;
    }
    return found.front();
}

// pip: the site directories of the interpreter the detected pip runs (its "#!" line); list and info
// natively, outdated by pip itself (the index is on no disk), constraints files applied.
void read_pip(const InventoryRequest& request, InventoryReport& report,
              const core::CancellationToken& token) {
    if (request.kind == InventoryKind::which) {
        // The Python environment is the one the resolved script's "#!" line names, whichever pip that is.
        keep(report, pip_file_owners(request.root, request.which, token), report.owners);
        return;
    }
    Detection detection;
    const DetectedManager* pip = detected_or_fail(request, report, "pip", detection);
    if (pip == nullptr) {
        return;
    }
    // A pyenv shim runs `pyenv exec pip`: the pip of the version pyenv selects, found as pyenv finds it.
    std::string executable = pip->executable;
    auto shim = resolve_pyenv_shim(request.root, executable);
    if (!shim) {
        fail_report(report, shim.error());
        return;
    }
    if (*shim) {
        executable = (*shim)->executable;
        report.note = util::sanitize_terminal("pyenv " + (*shim)->version + " (" + (*shim)->origin +
                                              "): " + executable);
    }
    auto env = python_environment(request.root, executable);
    if (env && *shim && !root_may_follow(request.root, env->interpreter)) {
        env = util::fail(util::ErrorKind::permission_denied,
                         util::sanitize_terminal(env->interpreter) +
                             " is controlled by another user: not run as root");
    }
    if (!env) {
        fail_report(report, env.error());
        return;
    }
    if (request.kind == InventoryKind::info) {
        keep_info(report, pip_package_info(request.root, *env, executable, request.query, token));
        return;
    }
    if (request.kind == InventoryKind::list) {
        keep(report, read_pip_site(request.root, *env, token), report.packages);
        return;
    }
    if (skipped_under_root(request, report, "pip")) {
        return;
    }
    std::string note;
    keep(report, pip_outdated(request.root, executable, &note, token), report.outdated);
    report.note += std::string(report.note.empty() || note.empty() ? "" : "; ") + note;
}

// RubyGems: the gemspecs of Gem.path and the default gems natively; outdated by `gem outdated`.
void read_gem(const InventoryRequest& request, InventoryReport& report,
              const core::CancellationToken& token) {
    if (request.kind == InventoryKind::which) {
        report.status = InventoryStatus::unsupported;
        report.error = "pkg which does not read RubyGems' packages yet";
        return;
    }
    Detection detection;
    const DetectedManager* gem = detected_or_fail(request, report, "gem", detection);
    if (gem == nullptr) {
        return;
    }
    auto dirs = gem_dirs(request.root, gem->executable, token);
    if (!dirs) {
        fail_report(report, dirs.error());
        return;
    }
    if (request.kind == InventoryKind::info) {
        keep_info(report, gem_package_info(request.root, *dirs, gem->executable, request.query, token));
        return;
    }
    if (request.kind == InventoryKind::list) {
        keep(report, read_gem_specs(request.root, *dirs, token), report.packages);
        return;
    }
    if (skipped_under_root(request, report, "gem")) {
        return;
    }
    keep(report, gem_outdated(gem->executable, token), report.outdated);
}

// flatpak: every installation's deployed refs natively (deploy files, repo/config masks); outdated by
// flatpak remote-ls against each remote's cached summary, never a refresh.
void read_flatpak(const InventoryRequest& request, const Manager& manager, InventoryReport& report,
                  const core::CancellationToken& token) {
    const std::string id(manager.id);
    auto installations = flatpak_installations(request.root, manager.inventory.installations);
    std::vector<std::string> damaged;
    if (request.kind == InventoryKind::which) {
        if (request.which.found.empty() || request.which.query.find('/') != std::string::npos) {
            report.owners = flatpak_file_owners(request.root, installations, request.query);
            return;
        }
        for (const std::string& path : request.which.paths) { // what PATH runs, under each of its names
            for (FileOwner& f : flatpak_file_owners(request.root, installations, path)) {
                report.owners.push_back(std::move(f));
            }
        }
        return;
    }
    auto refs = read_flatpak_refs(request.root, installations, &damaged);
    report.note = util::join(damaged, "; ");
    if (request.kind == InventoryKind::list) {
        for (const FlatpakRef& r : refs) {
            InstalledPackage p;
            p.name = r.id;
            p.version = r.deploy.appdata_version;
            p.architecture = r.arch;
            p.state = r.kind + " " + r.installation;
            p.held = r.masked;
            p.branch = r.branch;
            p.origin = r.deploy.origin;
            p.commit = r.deploy.commit;
            report.packages.push_back(std::move(p));
        }
        return;
    }
    std::vector<OutdatedPackage> outdated;
    bool known = false;
    if (!request.root.is_host()) {
        report.note += std::string(report.note.empty() ? "" : "; ") +
                       "candidates are not read under --root (flatpak is not run there)";
    } else if (!refs.empty()) {
        Detection detection;
        const DetectedManager* flatpak = detected_or_fail(request, report, id.c_str(), detection);
        if (flatpak == nullptr) {
            return;
        }
        auto found = flatpak_outdated(manager, flatpak->executable, installations, refs, token);
        if (found) {
            outdated = std::move(*found);
            known = true;
            if (auto unchecked = flatpak_unchecked_refs(installations, refs); !unchecked.empty()) {
                report.note += std::string(report.note.empty() ? "" : "; ") +
                               "not checked: " + util::join(unchecked, "; ");
            }
        } else if (request.kind == InventoryKind::outdated ||
                   found.error().kind == util::ErrorKind::cancelled) {
            fail_report(report, found.error());
            return;
        } else {
            report.note +=
                std::string(report.note.empty() ? "" : "; ") + "no candidate: " + found.error().message;
        }
    } else {
        known = true;
    }
    if (request.kind == InventoryKind::info) {
        report.info = flatpak_package_info(refs, outdated, known, request.query);
        return;
    }
    if (skipped_under_root(request, report, id.c_str())) {
        return;
    }
    report.outdated = std::move(outdated);
}

// Sanitizes every field that came from a database: nothing a package wrote reaches a terminal or a
// JSON consumer as a control sequence.
void sanitize(InventoryReport& report) {
    for (auto& p : report.packages) {
        p.name = util::sanitize_terminal(p.name);
        p.version = util::sanitize_terminal(p.version);
        p.architecture = util::sanitize_terminal(p.architecture);
        p.state = util::sanitize_terminal(p.state);
        for (std::string* field : {&p.branch, &p.origin, &p.commit}) {
            *field = util::sanitize_terminal(*field);
        }
    }
    for (auto& o : report.outdated) {
        o.name = util::sanitize_terminal(o.name);
        o.architecture = util::sanitize_terminal(o.architecture);
        o.installed = util::sanitize_terminal(o.installed);
        o.candidate = util::sanitize_terminal(o.candidate);
    }
    for (auto* files : {&report.owners, &report.providers}) {
        for (auto& f : *files) {
            f.package = util::sanitize_terminal(f.package);
            f.path = util::sanitize_terminal(f.path);
            f.repository = util::sanitize_terminal(f.repository);
        }
    }
    for (auto& i : report.info) {
        for (std::string* field :
             {&i.name, &i.architecture, &i.installed, &i.candidate, &i.description, &i.repository}) {
            *field = util::sanitize_terminal(*field);
        }
    }
    report.error = util::sanitize_terminal(report.error);
}

// Why a manager without an inventory reader was not read: a low-level tool whose database a manager zsyncctl
// reads also holds (dpkg under apt, rpm under dnf: one lock, one database) names that manager; any other is
// not read by zsyncctl yet.
void explain_unread(const Manager& manager, InventoryReport& report) {
    for (const Manager& other : registry()) {
        if (&other != &manager && other.inventory.method != InventoryMethod::none &&
            install_lock_group(other) == install_lock_group(manager)) {
            report.error = "read through " + std::string(other.display_name) + ", from the same database";
            report.hint = "use --manager " + std::string(other.id);
            return;
        }
    }
    report.error = "zsyncctl cannot read " + std::string(manager.display_name) + "'s packages yet";
}

} // namespace

util::Result<void> validate_inventory_request(const InventoryRequest& request) {
    if (request.kind == InventoryKind::info) {
        if (auto name = validate_package_name(request.query); !name) {
            return name;
        }
    }
    if (request.kind == InventoryKind::which && request.query.empty()) {
        return util::fail(util::ErrorKind::invalid_input, "the command or file name is empty",
                          "give a command (ls) or a path (/usr/bin/ls)");
    }
    for (const auto& m : request.managers) {
        if (find_manager(m) == nullptr) {
            std::vector<std::string> known;
            for (auto id : manager_ids()) {
                known.emplace_back(id);
            }
            return util::fail(util::ErrorKind::invalid_input,
                              "unknown manager '" + util::sanitize_terminal(m) + "'",
                              "known managers: " + util::join(known, ", "));
        }
    }
    return util::ok();
}

util::Result<std::vector<InventoryReport>> run_inventory(const InventoryRequest& given,
                                                         const core::CancellationToken& token) {
    if (auto valid = validate_inventory_request(given); !valid) {
        return util::fail(valid.error());
    }
    InventoryRequest resolved;
    if (given.kind == InventoryKind::which && given.which.steps.empty() && given.which.paths.empty()) {
        resolved = given;
        resolved.which = resolve_command(given.root, given.query);
    }
    const InventoryRequest& request = resolved.which.query.empty() ? given : resolved;
    std::vector<std::string> ids;
    if (request.managers.empty()) {
        Detection detection = detect_managers(DetectContext::current(request.root),
                                              request.use_cache ? UseCache::yes : UseCache::no);
        for (const auto& d : detection.managers) {
            ids.emplace_back(d.manager->id);
        }
    } else {
        ids = request.managers;
    }
    std::vector<std::string> unique;
    for (const auto& id : ids) {
        if (std::find(unique.begin(), unique.end(), id) == unique.end()) {
            unique.push_back(id);
        }
    }
    // One manager's reading: its databases only, so every manager can read at once (see below).
    auto read_one = [&](const std::string& id) {
        InventoryReport report;
        report.manager = id;
        auto started = std::chrono::steady_clock::now();
        const Manager& manager = *find_manager(id);
        if (token.is_cancelled()) {
            report.status = InventoryStatus::cancelled;
        } else if (manager.inventory.method == InventoryMethod::native_dpkg) {
            read_dpkg(request, report, token);
        } else if (manager.inventory.method == InventoryMethod::native_pacman) {
            read_pacman(request, report, token);
        } else if (manager.inventory.method == InventoryMethod::native_npm) {
            read_npm(request, report, token);
        } else if (manager.inventory.method == InventoryMethod::native_rpm ||
                   manager.inventory.method == InventoryMethod::zypper_xml ||
                   manager.inventory.method == InventoryMethod::rpm_dnf) {
            read_rpm(request, manager, report, token);
        } else if (manager.inventory.method == InventoryMethod::native_pip) {
            read_pip(request, report, token);
        } else if (manager.inventory.method == InventoryMethod::native_gem) {
            read_gem(request, report, token);
        } else if (manager.inventory.method == InventoryMethod::native_flatpak) {
            read_flatpak(request, manager, report, token);
        } else if (manager.inventory.method == InventoryMethod::native_homebrew) {
            homebrew_inventory(request, report, token);
        } else if (manager.inventory.method == InventoryMethod::native_cargo) {
            cargo_inventory(request, report, token);
        } else if (manager.inventory.method == InventoryMethod::native_apk) {
            apk_inventory(request, report, token);
        } else {
            report.status = InventoryStatus::unsupported;
            explain_unread(manager, report);
        }
        sanitize(report);
        report.elapsed_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                .count();
        return report;
    };
    // Every manager at once on the runtime's pool (the caller helps), each report in its manager's slot:
    // the order is the one above, and the slowest manager sets the time, not the sum of all of them.
    std::vector<InventoryReport> reports(unique.size());
    if (request.runtime != nullptr) {
        core::concurrent_for(*request.runtime, unique.size(),
                             [&](std::size_t i) { reports[i] = read_one(unique[i]); });
    } else {
        for (std::size_t i = 0; i < unique.size(); ++i) {
            reports[i] = read_one(unique[i]);
        }
    }
    return reports;
}

} // namespace zsyncctl::pkg
