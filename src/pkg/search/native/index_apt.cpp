#include "pkg/search/native/index_apt.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <optional>
#include <span>

#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/deb_version.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

constexpr std::uint64_t k_max_file_text = std::uint64_t(1) << 30;

// The fields of one stanza the apt reader needs, found in one pass over its lines.
struct StanzaFields {
    std::string_view package;
    std::string_view version;
    std::string_view architecture;
    std::string_view status;
    std::string_view provides_first;
    std::string_view description_first;
    std::string_view description_en_first;
    std::size_t provides_cont = 0; // offset of the line after the field line (continuations follow)
    std::size_t description_cont = 0;
    std::size_t description_en_cont = 0;
    bool has_description = false;
};

std::string_view trim_value(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
        v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) {
        v.remove_suffix(1);
    }
    return v;
}

bool key_is(std::string_view key, std::string_view want) {
    if (key.size() != want.size()) {
        return false;
    }
    for (std::size_t i = 0; i < key.size(); ++i) {
        char a = key[i];
        if (a >= 'A' && a <= 'Z') {
            a = static_cast<char>(a - 'A' + 'a');
        }
        char b = want[i];
        if (b >= 'A' && b <= 'Z') {
            b = static_cast<char>(b - 'A' + 'a');
        }
        if (a != b) {
            return false;
        }
    }
    return true;
}

StanzaFields scan_fields(std::string_view stanza) {
    StanzaFields f;
    std::size_t pos = 0;
    while (pos < stanza.size()) {
        std::size_t eol = stanza.find('\n', pos);
        if (eol == std::string_view::npos) {
            eol = stanza.size();
        }
        std::string_view line = stanza.substr(pos, eol - pos);
        pos = eol + 1;
        if (line.empty() || line[0] == ' ' || line[0] == '\t') {
            continue;
        }
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        std::string_view key = line.substr(0, colon);
        std::string_view value = trim_value(line.substr(colon + 1));
        switch (key.size()) {
        case 7:
            if (key_is(key, "Package")) {
                f.package = value;
            } else if (key_is(key, "Version")) {
                f.version = value;
            }
            break;
        case 6:
            if (key_is(key, "Status")) {
                f.status = value;
            }
            break;
        case 8:
            if (key_is(key, "Provides")) {
                f.provides_first = value;
                f.provides_cont = pos;
            }
            break;
        case 11:
            if (key_is(key, "Description")) {
                f.description_first = value;
                f.description_cont = pos;
                f.has_description = true;
            }
            break;
        case 12:
            if (key_is(key, "Architecture")) {
                f.architecture = value;
            }
            break;
        case 14:
            if (key_is(key, "Description-en")) {
                f.description_en_first = value;
                f.description_en_cont = pos;
                f.has_description = true;
            }
            break;
        default:
            break;
        }
    }
    return f;
}

// The continuation lines of a field starting at `pos`, as deb822_field joins them (" ." is a blank line).
std::string continuation(std::string_view stanza, std::size_t pos) {
    std::string out;
    // One allocation of the exact bound: the continuation lines' bytes.
    std::size_t last = pos;
    while (last < stanza.size() && (stanza[last] == ' ' || stanza[last] == '\t')) {
        std::size_t end = stanza.find('\n', last);
        last = end == std::string_view::npos ? stanza.size() : end + 1;
    }
    if (last > pos) {
        out.reserve(last - pos);
    }
    while (pos < stanza.size() && (stanza[pos] == ' ' || stanza[pos] == '\t')) {
        std::size_t end = stanza.find('\n', pos);
        if (end == std::string_view::npos) {
            end = stanza.size();
        }
        std::string_view cont = stanza.substr(pos + 1, end - pos - 1);
        if (!out.empty()) {
            out.push_back('\n');
        }
        out.append(trim_value(cont) == "." ? std::string_view() : cont);
        pos = end + 1;
    }
    return out;
}

// "a (= 1), b:any, c" -> {"a", "b", "c"}.
std::vector<std::string> provided_names(std::string_view first, std::string_view stanza, std::size_t cont) {
    std::string all(first);
    std::string more = continuation(stanza, cont);
    if (!more.empty()) {
        all += ' ';
        all += more;
    }
    std::vector<std::string> out;
    for (std::string_view part : util::split(all, ',')) {
        part = trim_value(part);
        std::size_t end = part.find_first_of(" \t\n(:");
        part = part.substr(0, end);
        if (!part.empty()) {
            out.emplace_back(part);
        }
    }
    return out;
}

// dpkg's "Status: want flag state": the third word.
std::string_view status_state(std::string_view status) {
    auto w = util::split(util::trim(status), ' ');
    return w.size() == 3 ? w[2] : std::string_view();
}

} // namespace

bool dpkg_state_has_current_version(std::string_view state) {
    return state == "installed" || state == "unpacked" || state == "half-configured" ||
           state == "half-installed" || state == "triggers-awaited" || state == "triggers-pending";
}

AptIndexBuilder::AptIndexBuilder(std::string native_arch, std::vector<std::string> architectures)
    : m_native(std::move(native_arch)), m_archs(std::move(architectures)) {
    if (std::find(m_archs.begin(), m_archs.end(), m_native) == m_archs.end()) {
        m_archs.insert(m_archs.begin(), m_native);
    }
}

std::string AptIndexBuilder::arch_key(std::string_view arch) const {
    // "all" packages belong to the native architecture, as apt files them; a stanza without one too.
    if (arch.empty() || arch == "all") {
        return m_native;
    }
    if (std::find(m_archs.begin(), m_archs.end(), arch) == m_archs.end()) {
        return {};
    }
    return std::string(arch);
}

AptIndexBuilder::Package& AptIndexBuilder::package(std::string_view name, const std::string& arch) {
    std::string key(name);
    key += ':';
    key += arch;
    auto [it, inserted] = m_by_key.try_emplace(std::move(key), m_packages.size());
    if (inserted) {
        m_packages.push_back(Package{std::string(name), arch, {}});
    }
    return m_packages[it->second];
}

void AptIndexBuilder::add_version(Package& pkg, Version v) {
    for (auto& have : pkg.versions) {
        if (have.version == v.version) {
            have.priority = std::max(have.priority, v.priority);
            if (v.pin >= 0 && (have.pin < 0 || v.pin < have.pin)) {
                have.pin = v.pin; // the first pin (in apt's reading order) that matches the version
            }
            have.current = have.current || v.current;
            if (!have.has_description && v.has_description) {
                have.has_description = true;
                have.summary = std::move(v.summary);
                have.long_text = std::move(v.long_text);
            }
            for (auto& p : v.provides) {
                if (std::find(have.provides.begin(), have.provides.end(), p) == have.provides.end()) {
                    have.provides.push_back(std::move(p));
                }
            }
            return;
        }
    }
    pkg.versions.push_back(std::move(v));
}

namespace {
// Fills the description and provides of a version from a stanza.
template <typename Version>
void fill_version(Version& v, std::string_view stanza, const StanzaFields& f) {
    v.version.assign(f.version);
    v.has_description = f.has_description;
    bool use_en = f.description_first.empty() && f.description_cont == 0;
    v.summary.assign(use_en ? f.description_en_first : f.description_first);
    v.long_text = continuation(stanza, use_en ? f.description_en_cont : f.description_cont);
    if (!f.provides_first.empty() || f.provides_cont != 0) {
        v.provides = provided_names(f.provides_first, stanza, f.provides_cont);
    }
}
} // namespace

void AptIndexBuilder::use_preferences(const AptPreferences* prefs, int status_priority) {
    m_prefs = prefs;
    m_status_priority = status_priority;
}

namespace {
// A package is keyed by its name as shown (sanitized), so two raw names shown alike are one package, in the
// index built in one piece and in the one joined from the side file alike. `store` keeps a changed name.
std::string_view shown_name(std::string_view name, std::string& store) {
    for (char ch : name) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7f) {
            store = sanitize_index_field(name);
            return store;
        }
    }
    return name;
}
} // namespace

void AptIndexBuilder::add_list_stanza(std::string_view stanza, int priority, const AptReleaseInfo* release) {
    StanzaFields f = scan_fields(stanza);
    std::string shown;
    f.package = shown_name(f.package, shown);
    if (f.package.empty() || f.version.empty()) {
        return;
    }
    std::string arch = arch_key(f.architecture);
    if (arch.empty()) {
        return;
    }
    Version v;
    fill_version(v, stanza, f);
    v.priority = priority;
    if (m_prefs != nullptr && !m_prefs->specific.empty()) {
        static const AptReleaseInfo k_no_release;
        v.pin =
            m_prefs->specific_pin(f.package, arch, f.version, release != nullptr ? *release : k_no_release);
    }
    add_version(package(f.package, arch), std::move(v));
}

void AptIndexBuilder::add_status_stanza(std::string_view stanza) {
    StanzaFields f = scan_fields(stanza);
    std::string shown;
    f.package = shown_name(f.package, shown);
    if (f.package.empty()) {
        return;
    }
    std::string arch = arch_key(f.architecture);
    if (arch.empty()) {
        return;
    }
    std::string key = std::string(f.package) + ":" + arch;
    StatusEntry entry;
    entry.current = dpkg_state_has_current_version(status_state(f.status)) && !f.version.empty();
    fill_version(entry.version, stanza, f);
    entry.version.priority = m_status_priority;
    entry.version.current = entry.current;
    if (m_prefs != nullptr && !m_prefs->specific.empty()) {
        AptReleaseInfo now;
        now.archive = "now"; // dpkg's status file, as apt names it
        now.has_release = true;
        entry.version.pin = m_prefs->specific_pin(f.package, arch, f.version, now);
    }
    m_status_names[key] = std::string(f.package);
    m_status[key] = std::move(entry);
}

namespace {
// The side-file section's encoding (read back in index_apt_status.cpp): little-endian u32 and
// length-prefixed strings.
void put_u32(std::string& out, std::uint32_t v) {
    char b[4];
    std::memcpy(b, &v, 4);
    out.append(b, 4);
}
void put_str(std::string& out, std::string_view s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out.append(s);
}
} // namespace

void AptIndexBuilder::add_list_version(std::string_view name, std::string_view arch, std::string version,
                                       int priority, int pin, bool has_description, std::string summary,
                                       std::string long_text, std::vector<std::string> provides) {
    Version v;
    v.version = std::move(version);
    v.priority = priority;
    v.pin = pin;
    v.has_description = has_description;
    v.summary = std::move(summary);
    v.long_text = std::move(long_text);
    v.provides = std::move(provides);
    add_version(package(name, std::string(arch)), std::move(v));
}

std::vector<std::string> AptIndexBuilder::status_groups() const {
    std::vector<std::string> groups;
    for (const auto& [key, entry] : m_status) {
        if (entry.current) {
            auto it = m_status_names.find(key);
            if (it != m_status_names.end() &&
                (groups.empty() || groups.back() != it->second)) { // keys sort by name first
                groups.push_back(it->second);
            }
        }
    }
    std::sort(groups.begin(), groups.end());
    groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
    return groups;
}

std::vector<IndexRecord> AptIndexBuilder::finish(std::string* aux) {
    // dpkg's last word on each package: a current version joins the package's versions at the status
    // file's priority; a version that is not current is never a candidate.
    for (auto& [key, entry] : m_status) {
        if (!entry.current) {
            continue;
        }
        std::string arch = key.substr(key.rfind(':') + 1);
        add_version(package(m_status_names[key], arch), std::move(entry.version));
    }
    m_status.clear();
    decltype(m_by_key)().swap(m_by_key); // no more lookups: its nodes and buckets are freed now

    struct Chosen {
        Version* candidate = nullptr;
        const Version* current = nullptr;
    };
    auto choose = [this](Package& pkg) {
        std::stable_sort(pkg.versions.begin(), pkg.versions.end(), [](const Version& a, const Version& b) {
            return compare_deb_versions(a.version, b.version) > 0;
        });
        Chosen c;
        std::vector<AptPolicyVersion> policy;
        policy.reserve(pkg.versions.size());
        for (const auto& v : pkg.versions) {
            if (v.current) {
                c.current = &v;
            }
            int priority = v.pin >= 0 && m_prefs != nullptr ? m_prefs->specific[v.pin].priority : v.priority;
            policy.push_back({v.version, priority, v.current});
        }
        if (auto at = apt_candidate(policy)) {
            c.candidate = &pkg.versions[*at];
        }
        return c;
    };

    // One record per name: the native package when it has versions, else the first foreign one (in
    // APT::Architectures order) as "name:arch".
    // The packages are grouped by sorting their positions by name (no map of names: no allocation per
    // package), which also hands the records to PackageIndex::build in name order.
    std::vector<std::size_t> order(m_packages.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return m_packages[a].name < m_packages[b].name; });
    std::vector<IndexRecord> records;
    records.reserve(order.size());
    std::vector<std::uint32_t> group_offsets;
    for (std::size_t group = 0; group < order.size();) {
        std::size_t group_end = group + 1;
        while (group_end < order.size() &&
               m_packages[order[group_end]].name == m_packages[order[group]].name) {
            ++group_end;
        }
        std::span<const std::size_t> members(order.data() + group, group_end - group);
        const std::string& name = m_packages[order[group]].name;
        group = group_end;
        Package* preferred = nullptr;
        for (const auto& arch : m_archs) {
            for (std::size_t i : members) {
                if (m_packages[i].arch == arch && !m_packages[i].versions.empty()) {
                    preferred = &m_packages[i];
                    break;
                }
            }
            if (preferred != nullptr) {
                break;
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
            put_str(*aux, name);
            put_u32(*aux, static_cast<std::uint32_t>(members.size()));
            for (std::size_t i : members) {
                const Package& pkg = m_packages[i];
                put_str(*aux, pkg.arch);
                put_u32(*aux, static_cast<std::uint32_t>(pkg.versions.size()));
                for (const auto& v : pkg.versions) {
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
                    for (const auto& p : v.provides) {
                        put_str(*aux, p);
                    }
                }
            }
        }
        if (!listed) {
            continue;
        }
        IndexRecord r;
        r.name = preferred->arch == m_native ? name : name + ":" + preferred->arch;
        r.version = c.candidate->version;
        r.candidate = c.candidate->version;
        // Moved, not copied: the candidate's text is read once more only here (peak memory, cold CPU).
        r.summary = std::move(c.candidate->summary);
        r.long_text = std::move(c.candidate->long_text);
        if (c.current != nullptr) {
            r.installed = true;
            r.installed_version = c.current->version;
        }
        // apt lists a package when a name it provides in any version matches.
        for (const auto& v : preferred->versions) {
            for (const auto& p : v.provides) {
                if (p != name && std::find(r.provides.begin(), r.provides.end(), p) == r.provides.end()) {
                    r.provides.push_back(p);
                }
            }
        }
        records.push_back(std::move(r));
        for (std::size_t i : members) {
            std::vector<Version>().swap(m_packages[i].versions); // released as the records grow
        }
    }
    m_packages.clear();
    if (aux != nullptr) {
        // The group table at the end: offsets, then their count.
        for (std::uint32_t off : group_offsets) {
            put_u32(*aux, off);
        }
        put_u32(*aux, static_cast<std::uint32_t>(group_offsets.size()));
    }
    return records;
}

std::unordered_set<std::string> parse_dpkg_status(std::string_view text) {
    std::unordered_set<std::string> names;
    StanzaSplitter splitter([&](std::string_view stanza) {
        StanzaFields f = scan_fields(stanza);
        if (!f.package.empty() && !f.version.empty() &&
            dpkg_state_has_current_version(status_state(f.status))) {
            std::string shown;
            names.emplace(shown_name(f.package, shown));
        }
    });
    splitter.feed(text);
    splitter.finish();
    return names;
}

std::vector<IndexRecord> parse_apt_packages(std::string_view packages, std::string_view status,
                                            std::string_view arch) {
    AptIndexBuilder builder(std::string(arch), {std::string(arch)});
    StanzaSplitter list([&](std::string_view stanza) { builder.add_list_stanza(stanza, 500); });
    list.feed(packages);
    list.finish();
    StanzaSplitter st([&](std::string_view stanza) { builder.add_status_stanza(stanza); });
    st.feed(status);
    st.finish();
    return builder.finish();
}

std::optional<std::size_t> apt_candidate(const std::vector<AptPolicyVersion>& newest_first) {
    // apt's pkgPolicy::GetCandidateVer: newest first, a strictly higher priority wins; the current version
    // is taken when nothing newer was, and past it only a priority above 999 (a downgrade) wins.
    std::optional<std::size_t> candidate;
    int max = 0;
    for (std::size_t i = 0; i < newest_first.size(); ++i) {
        const auto& v = newest_first[i];
        if (v.priority > max) {
            candidate = i;
            max = v.priority;
        }
        if (v.current && max < 1000) {
            if (!candidate && v.priority >= 0) { // a current version pinned below 0 is no candidate
                candidate = i;
            }
            max = 999; // and older versions still need a downgrade's priority
        }
    }
    return candidate;
}

util::Result<void> read_stanzas(const std::filesystem::path& file, const core::CancellationToken& token,
                                const std::function<void(std::string_view)>& add) {
    StanzaSplitter splitter(add);
    std::uint64_t total = 0;
    std::optional<util::Error> stop;
    auto read = read_decompressed(file, [&](std::string_view chunk) {
        if (token.is_cancelled()) {
            stop = util::make_error(util::ErrorKind::cancelled, "cancelled while reading " + file.string());
            return false;
        }
        total += chunk.size();
        if (total > k_max_file_text) {
            stop = util::make_error(util::ErrorKind::parse, file.string() + ": more than 1 GiB of text");
            return false;
        }
        splitter.feed(chunk);
        if (splitter.overflowed()) {
            stop =
                util::make_error(util::ErrorKind::parse, file.string() + ": a stanza is larger than 4 MiB");
            return false;
        }
        return true;
    });
    if (!read) {
        return read;
    }
    if (stop) {
        return util::fail(*stop);
    }
    splitter.finish();
    return util::ok();
}

} // namespace zsyncctl::pkg
