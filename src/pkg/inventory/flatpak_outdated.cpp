#include "pkg/inventory/flatpak_outdated.hpp"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "core/process.hpp"
#include "pkg/inventory/manager_command.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// The first line of flatpak's complaint, without its "error: " prefix.
std::string first_error_line(std::string_view text) {
    for (std::string_view line : util::split_lines(text)) {
        line = util::trim(line);
        if (line.starts_with("error: ")) {
            line.remove_prefix(7);
        }
        if (!line.empty()) {
            return std::string(line.substr(0, 300));
        }
    }
    return "no message";
}

// The argv of the outdated check of one remote of one installation.
std::vector<std::string> remote_ls_argv(const Manager& manager, const std::string& executable,
                                        const FlatpakInstallation& inst, const FlatpakRemote& remote) {
    std::vector<std::string> argv{executable};
    for (std::string_view word : manager.inventory.outdated_argv) {
        if (word == "{installation}") {
            argv.emplace_back(inst.facts->option);
        } else if (word == manager.inventory.cached_option && remote.url.starts_with("file:")) {
            continue; // flatpak reads a local remote's summary directly and never caches it
        } else {
            argv.emplace_back(word);
        }
    }
    argv.push_back(remote.name);
    return argv;
}

} // namespace

std::string flatpak_version_text(std::string_view version, std::string_view commit) {
    std::string short_commit(commit.substr(0, 12));
    return version.empty() ? short_commit : std::string(version) + " (" + short_commit + ")";
}

std::vector<FlatpakUpdate> parse_flatpak_remote_ls(std::string_view text) {
    std::vector<FlatpakUpdate> out;
    for (std::string_view line : util::split_lines(text)) {
        auto cols = util::split(line, '\t');
        if (cols.size() < 2 || util::split(cols[0], '/').size() != 4) {
            continue;
        }
        FlatpakUpdate u;
        u.ref = std::string(util::trim(cols[0]));
        u.commit = std::string(util::trim(cols[1]));
        u.version = cols.size() > 2 ? std::string(util::trim(cols[2])) : std::string();
        u.download_size = cols.size() > 3 ? std::string(util::trim(cols[3])) : std::string();
        out.push_back(std::move(u));
    }
    return out;
}

std::vector<std::string> flatpak_unchecked_refs(const std::vector<FlatpakInstallation>& installations,
                                                const std::vector<FlatpakRef>& refs) {
    std::vector<std::string> out;
    for (const FlatpakRef& r : refs) {
        const FlatpakRemote* remote = nullptr;
        for (const auto& inst : installations) {
            for (const auto& candidate : inst.config.remotes) {
                if (inst.dir == r.dir && candidate.name == r.deploy.origin) {
                    remote = &candidate;
                }
            }
        }
        if (remote == nullptr || remote->disabled) {
            out.push_back(r.ref() + " (" + r.installation + "): remote " + r.deploy.origin +
                          (remote == nullptr ? " is not configured" : " is disabled"));
        }
    }
    return out;
}

util::Result<std::vector<OutdatedPackage>>
flatpak_outdated(const Manager& manager, const std::string& executable,
                 const std::vector<FlatpakInstallation>& installations, const std::vector<FlatpakRef>& refs,
                 const core::CancellationToken& token) {
    std::vector<OutdatedPackage> out;
    for (const auto& inst : installations) {
        for (const auto& remote : inst.config.remotes) {
            bool used = std::any_of(refs.begin(), refs.end(), [&](const FlatpakRef& r) {
                return r.dir == inst.dir && r.deploy.origin == remote.name;
            });
            if (!used || remote.disabled) {
                continue;
            }
            core::ProcessSpec spec;
            spec.argv = remote_ls_argv(manager, executable, inst, remote);
            spec.set_env("LC_ALL", "C");
            spec.timeout = std::chrono::minutes(2);
            auto ran = run_manager_command(std::move(spec), "flatpak remote-ls", token);
            if (!ran) {
                return util::fail(std::move(ran).error());
            }
            if (!ran->success()) {
                std::string why = first_error_line(ran->stderr_text);
                std::string where =
                    "remote " + remote.name + " of the " + std::string(inst.facts->name) + " installation: ";
                if (why.find("No cached summary") != std::string::npos) {
                    return util::fail(util::ErrorKind::not_found, where + why,
                                      "run zsyncctl pkg refresh -m flatpak");
                }
                return util::fail(util::ErrorKind::command_failed, where + why);
            }
            for (const FlatpakUpdate& u : parse_flatpak_remote_ls(ran->stdout_text)) {
                for (const FlatpakRef& r : refs) {
                    if (r.dir != inst.dir || r.ref() != u.ref || r.deploy.origin != remote.name ||
                        r.deploy.commit.starts_with(u.commit)) {
                        continue;
                    }
                    OutdatedPackage o;
                    o.name = r.id;
                    o.architecture = r.arch;
                    o.installed = flatpak_version_text(r.deploy.appdata_version, r.deploy.commit);
                    o.candidate = flatpak_version_text(u.version, u.commit);
                    o.skip_reason = r.masked ? "masked" : "";
                    o.installation = std::string(inst.facts->name);
                    out.push_back(std::move(o));
                }
            }
        }
    }
    std::sort(out.begin(), out.end(), [](const OutdatedPackage& a, const OutdatedPackage& b) {
        return std::tie(a.name, a.architecture, a.installation) <
               std::tie(b.name, b.architecture, b.installation);
    });
    return out;
}

std::vector<PackageInfo> flatpak_package_info(const std::vector<FlatpakRef>& refs,
                                              const std::vector<OutdatedPackage>& outdated,
                                              bool candidates_known, std::string_view name) {
    std::vector<PackageInfo> out;
    for (const FlatpakRef& r : refs) {
        if (r.id != name) {
            continue;
        }
        PackageInfo info;
        info.manager = "flatpak";
        info.name = r.id;
        info.architecture = r.arch;
        info.installed = flatpak_version_text(r.deploy.appdata_version, r.deploy.commit);
        if (candidates_known) {
            info.candidate = info.installed;
            for (const auto& o : outdated) {
                if (o.name == r.id && o.architecture == r.arch) {
                    info.candidate = o.candidate;
                }
            }
        }
        info.description = r.deploy.appdata_summary;
        info.repository = r.deploy.origin + " (" + r.installation + ", " + r.ref() + ")";
        info.installed_size = static_cast<std::int64_t>(r.deploy.installed_size);
        info.held = r.masked;
        out.push_back(std::move(info));
    }
    return out;
}

std::vector<FileOwner> flatpak_file_owners(const util::Root& root,
                                           const std::vector<FlatpakInstallation>& installations,
                                           std::string_view query) {
    std::vector<FileOwner> out;
    std::string_view command =
        query.substr(query.rfind('/') == std::string_view::npos ? 0 : query.rfind('/') + 1);
    if (command.empty() || command == "." || command == "..") {
        return out;
    }
    for (const auto& inst : installations) {
        std::string path = inst.dir + "/exports/bin/" + std::string(command);
        if ((query.find('/') == std::string_view::npos || query == path) && root.exists(path)) {
            out.push_back({std::string(command), path, {}});
        }
    }
    return out;
}

} // namespace zsyncctl::pkg
