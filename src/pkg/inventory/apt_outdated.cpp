#include "pkg/inventory/apt_outdated.hpp"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "pkg/inventory/dpkg_db.hpp"
#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/deb_version.hpp"
#include "pkg/search/native/index_apt.hpp"

namespace zsyncctl::pkg {

namespace {

struct Candidates {
    const InstalledPackage* installed = nullptr;
    std::vector<std::pair<std::string, int>> versions; // version, priority
};

void add_version(Candidates& c, std::string_view version, int priority) {
    for (auto& [v, p] : c.versions) {
        if (v == version) {
            p = std::max(p, priority);
            return;
        }
    }
    c.versions.emplace_back(std::string(version), priority);
}

// The first line of a stanza is "Package: name" in every list apt-get update writes; anything else is
// looked up by a field scan.
std::string_view package_name(std::string_view stanza) {
    static constexpr std::string_view k_prefix = "Package:";
    // The fast path when the stanza starts with its only Package field; a second one (a missing blank
    // line) is read as apt reads it: the last one counts (deb822_field).
    if (stanza.substr(0, k_prefix.size()) == k_prefix &&
        stanza.find("\nPackage:") == std::string_view::npos) {
        std::size_t eol = stanza.find('\n');
        std::string_view v =
            stanza.substr(k_prefix.size(), eol == std::string_view::npos ? eol : eol - k_prefix.size());
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
            v.remove_prefix(1);
        }
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) {
            v.remove_suffix(1);
        }
        return v;
    }
    return deb822_field(stanza, "Package");
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
                          "run: apt-get update");
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
            add_version(entries.back(), p.version, 100); // the status file's priority
        }
    }
    std::optional<util::Error> first_error;
    std::size_t readable = 0;
    for (const auto& list : setup.lists) {
        int priority = list.priority;
        auto read = read_stanzas(list.file, token, [&](std::string_view stanza) {
            auto found = by_name.find(std::string(package_name(stanza)));
            if (found == by_name.end()) {
                return;
            }
            std::string arch = arch_key(deb822_field(stanza, "Architecture"));
            std::string_view version = deb822_field(stanza, "Version");
            for (std::size_t i : found->second) {
                if (arch_key(entries[i].installed->architecture) == arch && !version.empty()) {
                    add_version(entries[i], version, priority);
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

    std::vector<OutdatedPackage> out;
    std::vector<SearchHit> concerned;
    for (auto& e : entries) {
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

} // namespace zsyncctl::pkg
