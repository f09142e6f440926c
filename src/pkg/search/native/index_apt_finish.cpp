// The end of AptIndexBuilder: each package's candidate chosen, its records handed to the index by reference
// and, for the side file, every package's versions written to the index's extra section.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <span>

#include "pkg/search/native/deb_version.hpp"
#include "pkg/search/native/index_apt.hpp"

namespace zsyncctl::pkg {

namespace {
// The side-file section's encoding (read back in index_apt_status.cpp): little-endian u32 and
// length-prefixed strings.
void put_u32(std::string& out, std::uint32_t v) {
    char b[4];
    std::memcpy(b, &v, 4);
    out.append(b, 4);
}
void put_str(std::string& out, std::string_view s) {
    PackedNames::append(out, s); // the same string encoding as the side file's name lists
}
} // namespace

std::uint64_t aux_name_prefix(std::string_view name) {
    std::uint64_t prefix = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        prefix = (prefix << 8) | (i < name.size() ? static_cast<unsigned char>(name[i]) : 0u);
    }
    return prefix;
}

std::vector<IndexRecordView> AptIndexBuilder::finish_views(std::string* aux,
                                                           std::vector<std::string_view>& provides,
                                                           std::vector<KeptRecord>* kept) {
    // dpkg's last word on each package: a current version joins the package's versions at the status
    // file's priority; a version that is not current is never a candidate.
    settle_status();
    for (StatusEntry& entry : m_status) {
        if (!entry.current) {
            continue;
        }
        Package& pkg = package(keep(entry.name()), arch_index(entry.arch()));
        Version& v = entry.version;
        if (v.long_raw) {
            // Its text is used unless the same version, described, is in a list (add_version keeps that).
            bool described = false;
            for (std::uint32_t i = pkg.first; i != k_none && !described; i = m_versions[i].next) {
                described = m_versions[i].version == v.version && m_versions[i].has_description;
            }
            if (!described) {
                v.long_text = continuation(v.long_text, 0);
            }
            v.long_raw = false;
        }
        add_version(pkg, std::move(v));
    }
    m_status.clear();
    std::vector<std::uint32_t>().swap(m_slots); // no more lookups

    // The bounds of the side section and of the records' provided names: reserved, never regrown
    // (reserved pages that are never written cost no memory).
    std::size_t all_provides = 0;
    std::size_t aux_bound = 8;
    for (const auto& pkg : m_packages) {
        aux_bound += 28 + 2 * pkg.name.size() + m_arch_names[pkg.arch].size();
    }
    for (const auto& v : m_versions) {
        all_provides += v.provides.size();
        aux_bound += 29 + v.version.size() + v.summary.size() + v.long_text.size();
        for (auto p : v.provides) {
            aux_bound += 4 + p.size();
        }
    }
    provides.clear();
    provides.reserve(all_provides);
    if (aux != nullptr) {
        aux->reserve(aux->size() + aux_bound);
    }

    std::vector<std::uint32_t> sorted; // the preferred package's versions, newest first
    std::vector<AptPolicyVersion> policy;
    struct Chosen {
        const Version* candidate = nullptr;
        const Version* current = nullptr;
    };
    auto choose = [&](Package& pkg) {
        sorted.clear();
        for (std::uint32_t i = pkg.first; i != k_none; i = m_versions[i].next) {
            sorted.push_back(i);
        }
        auto newer = [&](std::uint32_t a, std::uint32_t b) {
            return compare_deb_versions(m_versions[a].version, m_versions[b].version) > 0;
        };
        if (sorted.size() <= 8) {
            // A package has a few versions: an insertion sort, stable too, without the buffer
            // std::stable_sort allocates on every call (once per package: a tenth of finish_views, perf).
            for (std::size_t i = 1; i < sorted.size(); ++i) {
                for (std::size_t j = i; j > 0 && newer(sorted[j], sorted[j - 1]); --j) {
                    std::swap(sorted[j], sorted[j - 1]);
                }
            }
        } else {
            std::stable_sort(sorted.begin(), sorted.end(), newer);
        }
        // Relinked in that order (the side section lists them so).
        for (std::size_t i = 0; i < sorted.size(); ++i) {
            m_versions[sorted[i]].next = i + 1 < sorted.size() ? sorted[i + 1] : k_none;
        }
        pkg.first = sorted.front();
        pkg.last = sorted.back();
        Chosen c;
        policy.clear();
        for (std::uint32_t i : sorted) {
            const Version& v = m_versions[i];
            if (v.current) {
                c.current = &v;
            }
            int priority = v.pin >= 0 && m_prefs != nullptr ? m_prefs->specific[v.pin].priority : v.priority;
            policy.push_back({v.version, priority, v.current});
        }
        if (auto at = apt_candidate(policy)) {
            c.candidate = &m_versions[sorted[*at]];
        }
        return c;
    };

    // One record per name: the native package when it has versions, else the first foreign one (in
    // APT::Architectures order) as "name:arch".
    // The packages are grouped by sorting their positions by name (no map of names: no allocation per
    // package), which also hands the records to PackageIndex::build in name order.
    // The order is total ((name, arch) is unique), so the result does not depend on how it is reached: a
    // refresh after a dpkg status change re-reads the lists' packages from the side section already in
    // it, and only what dpkg's status adds comes after them. The sorted run is kept, the rest sorted and
    // merged in: O(n) comparisons instead of O(n log n) for the refresh (its sort was 12 M of 45 M
    // instructions of `pkg search zstd` after a status change), and one list file's run for a cold build.
    std::vector<std::uint32_t> order(m_packages.size());
    std::iota(order.begin(), order.end(), std::uint32_t(0));
    auto by_name = [&](std::uint32_t a, std::uint32_t b) {
        int c = m_packages[a].name.compare(m_packages[b].name);
        return c != 0 ? c < 0 : m_packages[a].arch < m_packages[b].arch;
    };
    auto sorted_end = std::is_sorted_until(order.begin(), order.end(), by_name);
    std::sort(sorted_end, order.end(), by_name);
    std::inplace_merge(order.begin(), sorted_end, order.end(), by_name);
    std::vector<IndexRecordView> records;
    records.reserve(order.size());
    std::vector<std::uint32_t> group_offsets;
    std::vector<std::uint64_t> group_prefixes;
    std::vector<std::string_view> list_names;
    for (std::size_t group = 0; group < order.size();) {
        std::size_t group_end = group + 1;
        while (group_end < order.size() &&
               m_packages[order[group_end]].name == m_packages[order[group]].name) {
            ++group_end;
        }
        std::span<const std::uint32_t> members(order.data() + group, group_end - group);
        std::string_view name = m_packages[order[group]].name;
        group = group_end;
        Package* preferred = nullptr;
        for (std::uint32_t arch = 0; arch < m_archs.size() && preferred == nullptr; ++arch) {
            for (std::uint32_t i : members) {
                if (m_packages[i].arch == arch && m_packages[i].first != k_none) {
                    preferred = &m_packages[i];
                    break;
                }
            }
        }
        Chosen c;
        if (preferred != nullptr) {
            c = choose(*preferred);
        }
        // apt-cache search lists neither a package without candidate nor one without text.
        bool listed = c.candidate != nullptr && c.candidate->has_description;
        if (aux != nullptr) {
            // Group: name, packages; package: arch, versions; version: string, priority, pin, flags (1 has
            // a description, 2 its text is its record's), [summary, long text], provides.
            group_offsets.push_back(static_cast<std::uint32_t>(aux->size()));
            group_prefixes.push_back(aux_name_prefix(name));
            put_str(*aux, name);
            put_u32(*aux, static_cast<std::uint32_t>(members.size()));
            for (std::uint32_t i : members) {
                const Package& pkg = m_packages[i];
                put_str(*aux, m_arch_names[pkg.arch]);
                std::uint32_t count = 0;
                for (std::uint32_t at = pkg.first; at != k_none; at = m_versions[at].next) {
                    ++count;
                }
                put_u32(*aux, count);
                for (std::uint32_t at = pkg.first; at != k_none; at = m_versions[at].next) {
                    const Version& v = m_versions[at];
                    bool in_record = listed && &v == c.candidate;
                    put_str(*aux, v.version);
                    put_u32(*aux, static_cast<std::uint32_t>(v.priority));
                    put_u32(*aux, static_cast<std::uint32_t>(v.pin));
                    aux->push_back(static_cast<char>((v.has_description ? 1 : 0) | (in_record ? 2 : 0)));
                    if (v.has_description && !in_record) {
                        put_str(*aux, v.summary);
                        put_str(*aux, v.long_text);
                    }
                    put_u32(*aux, static_cast<std::uint32_t>(v.provides.size()));
                    for (auto p : v.provides) {
                        put_str(*aux, p);
                    }
                }
            }
        }
        if (!listed) {
            continue;
        }
        IndexRecordView r;
        if (preferred->arch == m_native_at) {
            r.name = name;
        } else {
            std::string_view arch = m_arch_names[preferred->arch];
            char* at = take(name.size() + 1 + arch.size());
            std::memcpy(at, name.data(), name.size());
            at[name.size()] = ':';
            std::memcpy(at + name.size() + 1, arch.data(), arch.size());
            r.name = std::string_view(at, name.size() + 1 + arch.size());
        }
        r.version = c.candidate->version;
        r.candidate = c.candidate->version;
        r.summary = c.candidate->summary;
        r.long_text = c.candidate->long_text;
        if (c.current != nullptr) {
            r.installed = true;
            r.installed_version = c.current->version;
        }
        // apt lists a package when a name it provides in any version matches.
        std::size_t first = provides.size();
        for (std::uint32_t at = preferred->first; at != k_none; at = m_versions[at].next) {
            append_unique(provides, first, m_versions[at].provides, name);
        }
        r.provides = std::span<const std::string_view>(provides.data() + first, provides.size() - first);
        if (kept != nullptr && c.candidate->in_record) {
            // The same candidate and text as the lists index's record; the same names too when dpkg added
            // none: the names the lists alone gave, gathered as the lists build did.
            bool grown = false; // a name dpkg's entry added (to a list version, or by a version of its own)
            for (std::uint32_t at = preferred->first; at != k_none && !grown; at = m_versions[at].next) {
                grown = m_versions[at].provides.size() != m_versions[at].list_provides;
            }
            list_names.clear();
            for (std::uint32_t at = preferred->first; at != k_none && grown; at = m_versions[at].next) {
                const Version& v = m_versions[at];
                append_unique(list_names, 0,
                              std::span<const std::string_view>(v.provides.data(), v.list_provides), name);
            }
            if (!grown ||
                std::equal(list_names.begin(), list_names.end(), r.provides.begin(), r.provides.end())) {
                provides.resize(first);
                kept->push_back({r.name, r.installed ? r.installed_version : std::string_view()});
                continue;
            }
        }
        if (c.candidate->in_record && m_record_text && !m_record_text(r.name, r.summary, r.long_text)) {
            m_text_missing = true;
        }
        records.push_back(r);
    }
    if (aux != nullptr) {
        // The group table at the end: name prefixes, offsets, then their count (k_aux_prefixed).
        for (std::uint64_t prefix : group_prefixes) {
            char b[8];
            std::memcpy(b, &prefix, 8);
            aux->append(b, 8);
        }
        for (std::uint32_t off : group_offsets) {
            put_u32(*aux, off);
        }
        put_u32(*aux, static_cast<std::uint32_t>(group_offsets.size()) | k_aux_prefixed);
    }
    return records;
}

std::vector<IndexRecord> AptIndexBuilder::finish(std::string* aux) {
    std::vector<std::string_view> provides;
    std::vector<IndexRecordView> views = finish_views(aux, provides);
    std::vector<IndexRecord> records;
    records.reserve(views.size());
    for (const auto& v : views) {
        records.push_back(to_record(v));
    }
    return records;
}

std::optional<PackageIndex>
AptIndexBuilder::finish_side(std::vector<SourceStamp> stamps,
                             const std::function<std::string(const std::vector<KeptRecord>&)>& extra_of,
                             bool keep_unchanged) {
    std::vector<std::string_view> provides;
    std::vector<KeptRecord> kept;
    std::vector<IndexRecordView> views = finish_views(nullptr, provides, keep_unchanged ? &kept : nullptr);
    if (m_text_missing) {
        return std::nullopt;
    }
    return PackageIndex::build(views, std::move(stamps), extra_of(kept));
}

PackageIndex AptIndexBuilder::finish_index(std::vector<SourceStamp> stamps, bool with_aux,
                                           const std::filesystem::path& save_to) {
    std::vector<std::string_view> provides;
    std::string aux;
    std::vector<IndexRecordView> views = finish_views(with_aux ? &aux : nullptr, provides);
    // The views point into the arena only: the package and version tables go before the index is written.
    std::vector<Version>().swap(m_versions);
    std::vector<Package>().swap(m_packages);
    if (!save_to.empty()) {
        return PackageIndex::build_saved(views, std::move(stamps), aux, save_to);
    }
    return PackageIndex::build(views, std::move(stamps), aux);
}

} // namespace zsyncctl::pkg
