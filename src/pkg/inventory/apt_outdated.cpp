#include "pkg/inventory/apt_outdated.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <unordered_map>

#include "pkg/inventory/apt_info_table.hpp"
#include "pkg/inventory/dpkg_db.hpp"
#include "pkg/inventory/package_info.hpp"
#include "pkg/search/native/apt_phasing.hpp"
#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/deb_version.hpp"
#include "pkg/search/native/index_apt.hpp"
#include "pkg/search/search_index.hpp"
#include "util/find.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// What apt's upgrade asks of a version before it keeps a phased update back (apt-pkg/upgrade.cc).
struct PhaseFacts {
    int percentage = 100;       // Phased-Update-Percentage
    std::string source;         // the source package (Source:, else the package)
    std::string source_version; // its version (Source: NAME (VERSION), else the version)
    bool security = false;      // found in a list whose release's suite ends in "-security"
};

struct Candidates {
    const InstalledPackage* installed = nullptr;
    std::vector<std::pair<std::string, int>> versions; // version, priority (its files' best)
    std::vector<int> pins{}; // per version: the first specific pin that matches it, -1 none
    std::unordered_map<std::string, PhaseFacts> phase{}; // per version from a list: the first list's
};

// The phasing facts of a version's stanza from `list`.
PhaseFacts phase_facts(std::string_view stanza, std::string_view name, std::string_view version,
                       const AptList& list) {
    PhaseFacts f;
    f.percentage = phased_update_percentage(deb822_field(stanza, "Phased-Update-Percentage"));
    std::string_view source = deb822_field(stanza, "Source");
    std::size_t paren = source.find('(');
    std::string_view source_name = util::trim(source.substr(0, paren));
    f.source = std::string(source_name.empty() ? name : source_name);
    f.source_version = std::string(version);
    if (paren != std::string_view::npos) {
        std::size_t close = source.find(')', paren);
        std::string_view v = util::trim(source.substr(
            paren + 1, close == std::string_view::npos ? std::string_view::npos : close - paren - 1));
        if (!v.empty()) {
            f.source_version = std::string(v);
        }
    }
    const std::string& suite = list.release.archive;
    f.security = suite.size() >= 9 && suite.compare(suite.size() - 9, 9, "-security") == 0;
    return f;
}

// apt's IsSecurityUpdate: a version between the candidate (at `candidate`, versions sorted newest first)
// and the installed one came from a security suite, so the phased candidate is not kept back.
bool security_between(const Candidates& e, std::size_t candidate) {
    for (std::size_t i = candidate + 1; i < e.versions.size(); ++i) {
        if (e.versions[i].first == e.installed->version) {
            break;
        }
        auto f = e.phase.find(e.versions[i].first);
        if (f != e.phase.end() && f->second.security) {
            return true;
        }
    }
    return false;
}

void add_version(Candidates& c, std::string_view version, int priority, int pin) {
    for (std::size_t i = 0; i < c.versions.size(); ++i) {
        if (c.versions[i].first == version) {
            c.versions[i].second = std::max(c.versions[i].second, priority);
            if (pin >= 0 && (c.pins[i] < 0 || pin < c.pins[i])) {
                c.pins[i] = pin;
            }
            return;
        }
    }
    c.versions.emplace_back(std::string(version), priority);
    c.pins.push_back(pin);
}

} // namespace

util::Result<std::vector<OutdatedPackage>> apt_outdated(const util::Root& root,
                                                        const std::vector<InstalledPackage>& installed,
                                                        std::string* note,
                                                        const core::CancellationToken& token) {
    AptSetup setup = apt_setup(root);
    if (setup.lists.empty()) {
        return util::fail(util::ErrorKind::not_found,
                          "no apt package lists under " + root.resolve("/var/lib/apt/lists").string(),
                          "run: zsyncctl pkg refresh -m apt");
    }
    auto arch_key = [&](std::string_view arch) {
        return arch.empty() || arch == "all" ? setup.native_arch : std::string(arch);
    };
    // Per installed name:arch (arch:all under the native architecture, as apt files it) its versions.
    std::vector<Candidates> entries;
    std::unordered_map<std::string, std::size_t> by_key;
    std::unordered_map<std::string, std::vector<std::size_t>> by_name;
    for (const auto& p : installed) {
        if (!p.present || p.version.empty()) {
            continue;
        }
        std::string key = p.name + ":" + arch_key(p.architecture);
        if (by_key.emplace(key, entries.size()).second) {
            by_name[p.name].push_back(entries.size());
            entries.push_back(Candidates{&p, {}});
            AptReleaseInfo now;
            now.archive = "now"; // dpkg's status file, as apt's pins see it
            now.has_release = true;
            int pin = setup.preferences.specific.empty()
                          ? -1
                          : setup.preferences.specific_pin(p.name, arch_key(p.architecture), p.version, now);
            add_version(entries.back(), p.version, setup.status_priority, pin);
        }
    }
    std::optional<util::Error> first_error;
    std::size_t readable = 0;
    for (const auto& list : setup.lists) {
        int priority = list.priority;
        auto read = read_stanzas(list.file, token, [&](std::string_view stanza) {
            auto found = by_name.find(std::string(deb822_package(stanza)));
            if (found == by_name.end()) {
                return;
            }
            std::string arch = arch_key(deb822_field(stanza, "Architecture"));
            std::string_view version = deb822_field(stanza, "Version");
            for (std::size_t i : found->second) {
                if (arch_key(entries[i].installed->architecture) == arch && !version.empty()) {
                    int pin = setup.preferences.specific.empty()
                                  ? -1
                                  : setup.preferences.specific_pin(found->first, arch, version, list.release);
                    add_version(entries[i], version, priority, pin);
                    entries[i].phase.emplace(std::string(version),
                                             phase_facts(stanza, found->first, version, list));
                }
            }
        });
        if (read) {
            ++readable;
        } else if (read.error().kind == util::ErrorKind::cancelled) {
            return util::fail(std::move(read).error());
        } else if (!first_error) {
            first_error = read.error();
        }
    }
    if (readable == 0 && first_error) {
        return util::fail(*first_error);
    }

    AptPhasing phasing = read_apt_phasing(root, setup.conf_files);
    std::vector<OutdatedPackage> out;
    std::vector<SearchHit> concerned;
    for (auto& e : entries) {
        for (std::size_t i = 0; i < e.versions.size(); ++i) {
            if (e.pins[i] >= 0) { // a specific pin's priority replaces the files' (pkgPolicy::GetPriority)
                e.versions[i].second = setup.preferences.specific[e.pins[i]].priority;
            }
        }
        std::stable_sort(e.versions.begin(), e.versions.end(), [](const auto& a, const auto& b) {
            return compare_deb_versions(a.first, b.first) > 0;
        });
        std::vector<AptPolicyVersion> policy;
        for (const auto& [v, p] : e.versions) {
            policy.push_back({v, p, v == e.installed->version});
        }
        auto at = apt_candidate(policy);
        if (!at || compare_deb_versions(e.versions[*at].first, e.installed->version) <= 0) {
            continue;
        }
        OutdatedPackage o;
        o.name = e.installed->name;
        o.architecture = e.installed->architecture;
        o.installed = e.installed->version;
        o.candidate = e.versions[*at].first;
        o.skip_reason = e.installed->held ? "held" : "";
        if (auto f = e.phase.find(o.candidate);
            o.skip_reason.empty() && f != e.phase.end() && f->second.percentage < 100 &&
            !security_between(e, *at) &&
            apt_phase_excluded(phasing, f->second.source, f->second.source_version, f->second.percentage)) {
            o.skip_reason = "phased"; // apt-get upgrade: "deferred due to phasing"
        }
        SearchHit hit;
        hit.name = o.name;
        concerned.push_back(std::move(hit));
        out.push_back(std::move(o));
    }
    std::sort(out.begin(), out.end(), [](const OutdatedPackage& a, const OutdatedPackage& b) {
        return a.name != b.name ? a.name < b.name : a.architecture < b.architecture;
    });
    if (note != nullptr) {
        *note = apt_pin_note(setup, concerned);
    }
    if (token.is_cancelled()) {
        return util::fail(util::ErrorKind::cancelled, "cancelled");
    }
    return out;
}

namespace {

// A size field in bytes (Size) or KiB (Installed-Size), -1 when absent or not a number.
std::int64_t size_field(std::string_view stanza, std::string_view key, std::int64_t unit) {
    std::string_view text = deb822_field(stanza, key);
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) {
        return -1;
    }
    return value * unit;
}

std::string first_line(std::string_view text) {
    return sanitize_index_field(text.substr(0, text.find('\n')));
}

} // namespace

std::string apt_info_cache_file(const util::Root& root) {
    // "aptinfo", not "apt-info": the search's lists index is apt-HASH.idx, which apt-*.idx would match.
    auto path = index_path("aptinfo", root.dir());
    return path ? path->string() : std::string();
}

util::Result<std::vector<PackageInfo>> apt_package_info(const util::Root& root, std::string_view name,
                                                        const std::string& cache_file, std::string* note,
                                                        const core::CancellationToken& token) {
    auto installed = read_dpkg_database(root, token);
    if (!installed) {
        return util::fail(std::move(installed).error());
    }
    AptSetup setup = apt_setup(root);
    auto arch_key = [&](std::string_view arch) {
        return arch.empty() || arch == "all" ? setup.native_arch : std::string(arch);
    };
    // "name:arch" as apt takes it (and as pkg search shows a foreign-only package): that architecture's
    // entry of the name. A suffix that is no architecture of this system stays part of the name.
    std::string_view only_arch;
    if (std::size_t colon = name.rfind(':'); colon != std::string_view::npos) {
        std::string_view suffix = name.substr(colon + 1);
        if (std::find(setup.architectures.begin(), setup.architectures.end(), suffix) !=
            setup.architectures.end()) {
            only_arch = suffix;
            name = name.substr(0, colon);
        }
    }
    struct Version {
        std::string version;
        int priority = 0; // its files' best, then its pin's (as apt_outdated weighs them)
        int pin = -1;     // the first specific pin that matches it, -1 none
        std::string description;
        std::string repository;
        std::int64_t size = -1;
        std::int64_t installed_size = -1;
    };
    struct Entry {
        PackageInfo info;
        std::vector<Version> versions;
    };
    // One more file holding `v` (in `e`): its best priority and its first pin, as add_version keeps them;
    // the first file's description, repository and sizes stay.
    auto add = [](Entry& e, Version v) {
        for (auto& have : e.versions) {
            if (have.version == v.version) {
                have.priority = std::max(have.priority, v.priority);
                if (v.pin >= 0 && (have.pin < 0 || v.pin < have.pin)) {
                    have.pin = v.pin;
                }
                return;
            }
        }
        e.versions.push_back(std::move(v));
    };
    auto pin_of = [&](std::string_view arch, std::string_view version, const AptReleaseInfo& release) {
        return setup.preferences.specific.empty()
                   ? -1
                   : setup.preferences.specific_pin(name, arch_key(arch), version, release);
    };
    std::vector<Entry> entries;
    auto entry_for = [&](std::string_view arch) -> Entry& {
        for (auto& e : entries) {
            if (arch_key(e.info.architecture) == arch_key(arch)) {
                return e;
            }
        }
        entries.emplace_back();
        entries.back().info.manager = "apt";
        entries.back().info.name = std::string(name);
        entries.back().info.architecture = std::string(arch);
        return entries.back();
    };
    for (const auto& p : *installed) {
        if (p.name == name && p.present) {
            Entry& e = entry_for(p.architecture);
            e.info.installed = p.version;
            e.info.held = p.held;
            e.info.reason = p.reason;
        }
    }
    // The installed version's description and size are dpkg's status stanza's.
    auto status = read_stanzas(root.resolve("/var/lib/dpkg/status"), token, [&](std::string_view stanza) {
        if (deb822_package(stanza) != name) {
            return;
        }
        std::string arch = std::string(deb822_field(stanza, "Architecture"));
        for (auto& e : entries) {
            if (arch_key(e.info.architecture) == arch_key(arch) &&
                deb822_field(stanza, "Version") == e.info.installed) {
                e.info.description = first_line(deb822_field(stanza, "Description"));
                e.info.installed_size = size_field(stanza, "Installed-Size", 1024);
            }
        }
    });
    if (!status && status.error().kind == util::ErrorKind::cancelled) {
        return util::fail(std::move(status).error());
    }
    // The installed version is in dpkg's status file, which apt weighs as a file of its own (priority
    // status_priority, release "now" for pins), whether or not a list has it too.
    AptReleaseInfo now;
    now.archive = "now";
    now.has_release = true;
    for (auto& e : entries) {
        if (!e.info.installed.empty()) {
            add(e,
                {e.info.installed, setup.status_priority, pin_of(e.info.architecture, e.info.installed, now),
                 e.info.description, "", -1, e.info.installed_size});
        }
    }
    // The lists' stanzas of `name`, from the table cached beside the search index (read from the lists
    // when it is missing or they changed).
    auto table = AptInfoTable::load_or_build(setup, cache_file, name, token);
    if (!table && table.error().kind == util::ErrorKind::cancelled) {
        return util::fail(std::move(table).error());
    }
    // Lists that cannot be read leave what dpkg says (the installed side), as apt-cache policy shows it.
    std::vector<AptListVersion> listed;
    if (table) {
        listed = table->versions_of(name);
    } else if (note != nullptr) {
        *note = "the apt lists could not be read (" + table.error().message + "): only dpkg's status was";
    }
    for (const AptListVersion& found : listed) {
        if (found.list >= setup.lists.size()) {
            continue; // a damaged table
        }
        const AptList& list = setup.lists[found.list];
        if (found.version.empty() || std::find(setup.architectures.begin(), setup.architectures.end(),
                                               arch_key(found.architecture)) == setup.architectures.end()) {
            continue;
        }
        Entry& e = entry_for(found.architecture);
        Version v{std::string(found.version),
                  list.priority,
                  pin_of(found.architecture, found.version, list.release),
                  std::string(found.description),
                  list.source.empty() ? list.file.filename().string() : list.source,
                  found.size,
                  found.installed_size};
        // The installed version's entry came from the status file: a list holding it names its
        // repository and download size.
        for (auto& have : e.versions) {
            if (have.version == found.version && have.repository.empty()) {
                have.repository = v.repository;
                have.size = v.size;
            }
        }
        add(e, std::move(v));
    }
    std::vector<PackageInfo> out;
    for (auto& e : entries) {
        for (auto& v : e.versions) {
            if (v.pin >= 0) { // a specific pin's priority replaces the files' (pkgPolicy::GetPriority)
                v.priority = setup.preferences.specific[v.pin].priority;
            }
        }
        std::stable_sort(e.versions.begin(), e.versions.end(), [](const Version& a, const Version& b) {
            return compare_deb_versions(a.version, b.version) > 0;
        });
        std::vector<AptPolicyVersion> policy;
        for (const auto& v : e.versions) {
            policy.push_back({v.version, v.priority, v.version == e.info.installed});
        }
        if (auto at = apt_candidate(policy)) {
            const Version& c = e.versions[*at];
            e.info.candidate = c.version;
            e.info.repository = c.repository;
            e.info.download_size = c.size;
            if (e.info.installed.empty()) {
                e.info.installed_size = c.installed_size;
            }
            if (e.info.description.empty()) {
                e.info.description = c.description;
            }
        }
        out.push_back(std::move(e.info));
    }
    if (!only_arch.empty()) {
        std::erase_if(out, [&](const PackageInfo& i) { return arch_key(i.architecture) != only_arch; });
    }
    std::sort(out.begin(), out.end(),
              [](const PackageInfo& a, const PackageInfo& b) { return a.architecture < b.architecture; });
    if (note != nullptr && note->empty() && !out.empty()) {
        SearchHit hit;
        hit.name = std::string(name);
        *note = apt_pin_note(setup, {hit});
    }
    return out;
}

} // namespace zsyncctl::pkg
