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

std::string_view trim_value(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
        v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) {
        v.remove_suffix(1);
    }
    return v;
}

// True when `line` starts with the field name `key` (lower case: letters and '-') and its ':', as deb822
// compares names: ignoring the case of letters.
bool field_is(std::string_view line, std::string_view key) {
    if (line.size() <= key.size() || line[key.size()] != ':') {
        return false;
    }
    for (std::size_t i = 0; i < key.size(); ++i) {
        char c = line[i];
        char want = key[i];
        if (c != want && !(want >= 'a' && want <= 'z' && c == want - 'a' + 'A')) {
            return false;
        }
    }
    return true;
}

} // namespace

// The fields of one stanza the apt reader needs, found in one pass over its lines (the last of a field
// given twice counts, as in apt).
struct AptStanza {
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
    std::size_t provides_end = 0; // the end of the field's continuation lines (continuation_end's)
    std::size_t description_end = 0;
    std::size_t description_en_end = 0;
    bool has_description = false;

    explicit AptStanza(std::string_view stanza) {
        const char* base = stanza.data();
        std::size_t pos = 0;
        std::size_t* open = nullptr; // the end of the field whose continuation lines may follow
        while (pos < stanza.size()) {
            const void* nl = std::memchr(base + pos, '\n', stanza.size() - pos);
            std::size_t eol =
                nl == nullptr ? stanza.size() : static_cast<std::size_t>(static_cast<const char*>(nl) - base);
            std::string_view line(base + pos, eol - pos);
            pos = eol + 1;
            if (line.empty()) {
                open = nullptr;
                continue;
            }
            if (line[0] == ' ' || line[0] == '\t') {
                if (open != nullptr) {
                    *open = std::min(pos, stanza.size());
                }
                continue;
            }
            open = nullptr;
            // Dispatched on the first letter: the other fields' lines cost one comparison.
            switch (line[0] | 0x20) {
            case 'p':
                if (field_is(line, "package")) {
                    package = trim_value(line.substr(8));
                } else if (field_is(line, "provides")) {
                    provides_first = trim_value(line.substr(9));
                    provides_cont = pos;
                    provides_end = pos;
                    open = &provides_end;
                }
                break;
            case 'v':
                if (field_is(line, "version")) {
                    version = trim_value(line.substr(8));
                }
                break;
            case 's':
                if (field_is(line, "status")) {
                    status = trim_value(line.substr(7));
                }
                break;
            case 'a':
                if (field_is(line, "architecture")) {
                    architecture = trim_value(line.substr(13));
                }
                break;
            case 'd':
                if (field_is(line, "description")) {
                    description_first = trim_value(line.substr(12));
                    description_cont = pos;
                    description_end = pos;
                    open = &description_end;
                    has_description = true;
                } else if (field_is(line, "description-en")) {
                    description_en_first = trim_value(line.substr(15));
                    description_en_cont = pos;
                    description_en_end = pos;
                    open = &description_en_end;
                    has_description = true;
                }
                break;
            default:
                break;
            }
        }
    }
};

namespace {

// The end of the continuation lines of a field starting at `pos`.
std::size_t continuation_end(std::string_view stanza, std::size_t pos) {
    while (pos < stanza.size() && (stanza[pos] == ' ' || stanza[pos] == '\t')) {
        const void* nl = std::memchr(stanza.data() + pos, '\n', stanza.size() - pos);
        pos = nl == nullptr ? stanza.size()
                            : static_cast<std::size_t>(static_cast<const char*>(nl) - stanza.data()) + 1;
    }
    return pos;
}

// The continuation lines of a field from `pos` to `end`, as deb822_field joins them (" ." is a blank line),
// written to `out` (at least end - pos bytes); returns the bytes written.
std::size_t join_continuation(std::string_view stanza, std::size_t pos, std::size_t end, char* out) {
    std::size_t n = 0;
    while (pos < end) {
        const void* nl = std::memchr(stanza.data() + pos, '\n', end - pos);
        std::size_t eol =
            nl == nullptr ? end : static_cast<std::size_t>(static_cast<const char*>(nl) - stanza.data());
        std::string_view cont = stanza.substr(pos + 1, eol - pos - 1);
        if (n != 0) {
            out[n++] = '\n';
        }
        if (trim_value(cont) != ".") {
            std::memcpy(out + n, cont.data(), cont.size());
            n += cont.size();
        }
        pos = eol + 1;
    }
    return n;
}

// dpkg's "Status: want flag state": the third of exactly three words split on single spaces.
std::string_view status_state(std::string_view status) {
    status = util::trim(status);
    std::size_t first = status.find(' ');
    std::size_t second = first == std::string_view::npos ? first : status.find(' ', first + 1);
    if (second == std::string_view::npos || status.find(' ', second + 1) != std::string_view::npos) {
        return {};
    }
    return status.substr(second + 1);
}

constexpr std::size_t k_chunk = std::size_t(1) << 20;

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
    m_native_at =
        static_cast<std::uint32_t>(std::find(m_archs.begin(), m_archs.end(), m_native) - m_archs.begin());
    m_arch_names = m_archs;
}

char* AptIndexBuilder::take(std::size_t size) {
    if (size > m_left) {
        // A text larger than a quarter chunk gets a chunk of its own; the current one stays current.
        if (size > k_chunk / 4) {
            m_chunks.push_back(std::make_unique_for_overwrite<char[]>(size));
            return m_chunks.back().get();
        }
        m_chunks.push_back(std::make_unique_for_overwrite<char[]>(k_chunk));
        m_at = m_chunks.back().get();
        m_left = k_chunk;
    }
    char* at = m_at;
    m_at += size;
    m_left -= size;
    return at;
}

void AptIndexBuilder::give_back(std::size_t unused) {
    // Only the last take() from the current chunk (a text of its own chunk keeps its slack).
    if (m_at != nullptr && unused <= static_cast<std::size_t>(m_at - m_chunks.back().get())) {
        m_at -= unused;
        m_left += unused;
    }
}

std::string_view AptIndexBuilder::keep(std::string_view text) {
    if (text.empty()) {
        return {};
    }

    char* at = take(text.size());
    std::memcpy(at, text.data(), text.size());
    return {at, text.size()};
}

std::string_view AptIndexBuilder::continuation(std::string_view stanza, std::size_t pos, std::size_t end) {
    if (end == std::string_view::npos) {
        end = continuation_end(stanza, pos);
    }
    if (end <= pos) {
        return {};
    }
    bool own_chunk = end - pos > m_left && end - pos > k_chunk / 4;
    char* at = take(end - pos);
    std::size_t n = join_continuation(stanza, pos, end, at);
    if (!own_chunk) {
        give_back(end - pos - n);
    }
    return {at, n};
}

int AptIndexBuilder::arch_key(std::string_view arch) const {
    // "all" packages belong to the native architecture, as apt files them; a stanza without one too.
    if (arch.empty() || arch == "all") {
        return static_cast<int>(m_native_at);
    }
    auto it = std::find(m_archs.begin(), m_archs.end(), arch);
    return it == m_archs.end() ? -1 : static_cast<int>(it - m_archs.begin());
}

std::uint32_t AptIndexBuilder::arch_index(std::string_view arch) {
    auto it = std::find(m_arch_names.begin(), m_arch_names.end(), arch);
    if (it != m_arch_names.end()) {
        return static_cast<std::uint32_t>(it - m_arch_names.begin());
    }
    m_arch_names.emplace_back(arch);
    return static_cast<std::uint32_t>(m_arch_names.size() - 1);
}

AptIndexBuilder::Package& AptIndexBuilder::package(std::string_view name, std::uint32_t arch) {
    auto hash = [](std::string_view n, std::uint32_t a) {
        return std::hash<std::string_view>{}(n) ^ (std::size_t(a) * 0x9e3779b97f4a7c15ULL);
    };
    if ((m_packages.size() + 1) * 2 > m_slots.size()) {
        // Grown to keep the table at most half full; every package is placed again.
        std::vector<std::uint32_t> slots(std::max<std::size_t>(1024, m_slots.size() * 2), 0);
        std::size_t mask = slots.size() - 1;
        for (std::size_t i = 0; i < m_packages.size(); ++i) {
            std::size_t at = hash(m_packages[i].name, m_packages[i].arch) & mask;
            while (slots[at] != 0) {
                at = (at + 1) & mask;
            }
            slots[at] = static_cast<std::uint32_t>(i + 1);
        }
        m_slots.swap(slots);
    }
    std::size_t mask = m_slots.size() - 1;
    std::size_t at = hash(name, arch) & mask;
    while (m_slots[at] != 0) {
        Package& have = m_packages[m_slots[at] - 1];
        if (have.arch == arch && have.name == name) {
            return have;
        }
        at = (at + 1) & mask;
    }
    m_slots[at] = static_cast<std::uint32_t>(m_packages.size() + 1);
    m_packages.push_back(Package{keep(name), arch});
    return m_packages.back();
}

void AptIndexBuilder::add_version(Package& pkg, Version v) {
    for (std::uint32_t i = pkg.first; i != k_none; i = m_versions[i].next) {
        Version& have = m_versions[i];
        if (have.version == v.version) {
            have.priority = std::max(have.priority, v.priority);
            if (v.pin >= 0 && (have.pin < 0 || v.pin < have.pin)) {
                have.pin = v.pin; // the first pin (in apt's reading order) that matches the version
            }
            have.current = have.current || v.current;
            if (!have.has_description && v.has_description) {
                have.has_description = true;
                have.summary = v.summary;
                have.long_text = v.long_text;
            }
            if (have.provides != v.provides) { // the same version in two files mostly provides the same
                append_unique(have.provides, 0, v.provides, {});
            }
            return;
        }
    }
    auto at = static_cast<std::uint32_t>(m_versions.size());
    v.next = k_none;
    m_versions.push_back(std::move(v));
    if (pkg.last == k_none) {
        pkg.first = at;
    } else {
        m_versions[pkg.last].next = at;
    }
    pkg.last = at;
}

void AptIndexBuilder::append_unique(std::vector<std::string_view>& into, std::size_t from,
                                    std::span<const std::string_view> names, std::string_view skip) {
    // A package may provide over a thousand names (librust-winapi-dev: 1603): past a few, a set of the names
    // already there keeps this linear instead of quadratic.
    std::size_t have = into.size() - from;
    // The versions of a package mostly provide the same names in the same order: then nothing is added,
    // found in one pass without a set (perl's 62 names and libruby3.1's 82, in three versions each, built
    // six sets per status change: a sixth of finish_views, perf).
    std::size_t same = 0;
    for (auto n : names) {
        if (n == skip) {
            continue;
        }
        if (same == have || into[from + same] != n) {
            same = std::string_view::npos;
            break;
        }
        ++same;
    }
    if (same == have) {
        return;
    }
    if ((have + names.size()) * names.size() <= 512) {
        for (auto n : names) {
            if (n != skip &&
                std::find(into.begin() + static_cast<std::ptrdiff_t>(from), into.end(), n) == into.end()) {
                into.push_back(n);
            }
        }
        return;
    }
    std::unordered_set<std::string_view> seen(into.begin() + static_cast<std::ptrdiff_t>(from), into.end());
    seen.reserve(have + names.size());
    for (auto n : names) {
        if (n != skip && seen.insert(n).second) {
            into.push_back(n);
        }
    }
}

void AptIndexBuilder::fill_version(Version& v, std::string_view stanza, const AptStanza& f,
                                   bool stable_status) {
    // A stable stanza's text is referred to where it is (see hold()); any other is copied to the arena.
    auto kept = [&](std::string_view text) {
        return stable_status ? text : keep(text);
    };
    v.version = kept(f.version);
    v.has_description = f.has_description;
    bool use_en = f.description_first.empty() && f.description_cont == 0;
    v.summary = kept(use_en ? f.description_en_first : f.description_first);
    std::size_t cont = use_en ? f.description_en_cont : f.description_cont;
    std::size_t end = use_en ? f.description_en_end : f.description_end;
    if (cont != 0 && stable_status) {
        // Most installed versions are also in a list, whose text wins: the lines are joined only if this
        // version's text is used (finish_views).
        v.long_text = end > cont ? stanza.substr(cont, end - cont) : std::string_view();
        v.long_raw = !v.long_text.empty();
    } else {
        v.long_text = cont == 0 ? std::string_view() : continuation(stanza, cont, end);
    }
    if (!f.provides_first.empty() || f.provides_cont != 0) {
        // "a (= 1), b:any, c" -> {"a", "b", "c"}.
        m_scratch.assign(f.provides_first);
        std::size_t end = f.provides_end;
        if (f.provides_cont != 0 && end > f.provides_cont) {
            std::size_t at = m_scratch.size();
            m_scratch.resize(at + 1 + end - f.provides_cont);
            std::size_t n = join_continuation(stanza, f.provides_cont, end, m_scratch.data() + at + 1);
            m_scratch.resize(n == 0 ? at : at + 1 + n);
            if (n != 0) {
                m_scratch[at] = ' ';
            }
        }
        for (std::string_view part : util::split(m_scratch, ',')) {
            part = trim_value(part);
            part = part.substr(0, part.find_first_of(" \t\n(:"));
            if (!part.empty()) {
                v.provides.push_back(keep(part));
            }
        }
    }
}

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
    AptStanza f(stanza);
    std::string shown;
    f.package = shown_name(f.package, shown);
    if (f.package.empty() || f.version.empty()) {
        return;
    }
    int arch = arch_key(f.architecture);
    if (arch < 0) {
        return;
    }
    Version v;
    fill_version(v, stanza, f);
    v.priority = priority;
    if (m_prefs != nullptr && !m_prefs->specific.empty()) {
        static const AptReleaseInfo k_no_release;
        v.pin = m_prefs->specific_pin(f.package, m_archs[static_cast<std::size_t>(arch)], f.version,
                                      release != nullptr ? *release : k_no_release);
    }
    add_version(package(f.package, static_cast<std::uint32_t>(arch)), std::move(v));
}

void AptIndexBuilder::add_status_stanza(std::string_view stanza, bool stable) {
    AptStanza f(stanza);
    std::string shown;
    f.package = shown_name(f.package, shown);
    if (f.package.empty()) {
        return;
    }
    int arch_at = arch_key(f.architecture);
    if (arch_at < 0) {
        return;
    }
    const std::string& arch = m_archs[static_cast<std::size_t>(arch_at)];
    StatusEntry& entry = m_status.emplace_back();
    m_status_settled = false;
    entry.key.reserve(f.package.size() + 1 + arch.size());
    entry.key.append(f.package).append(1, ':').append(arch);
    entry.name_size = static_cast<std::uint32_t>(f.package.size());
    entry.current = dpkg_state_has_current_version(status_state(f.status)) && !f.version.empty();
    fill_version(entry.version, stanza, f, stable);
    entry.version.priority = m_status_priority;
    entry.version.current = entry.current;
    if (m_prefs != nullptr && !m_prefs->specific.empty()) {
        AptReleaseInfo now;
        now.archive = "now"; // dpkg's status file, as apt names it
        now.has_release = true;
        entry.version.pin = m_prefs->specific_pin(f.package, arch, f.version, now);
    }
}

void AptIndexBuilder::reserve_status(std::size_t stanzas) {
    // Growing these one doubling at a time copied them four or five times: after a dpkg status change, a
    // fifth of the search's page faults (perf, this machine's 1,052 packages).
    m_status.reserve(m_status.size() + stanzas);
    m_versions.reserve(m_versions.size() + 4 * stanzas);
    m_packages.reserve(m_packages.size() + 2 * stanzas);
}

void AptIndexBuilder::settle_status() {
    if (m_status_settled) {
        return;
    }
    // By name, then architecture: the order dpkg writes its status file in, so that file's entries are
    // usually sorted already and only checked (a stable sort of the ~130-byte entries by key, whose order
    // differs at "apt:" against "apt-utils:", was most of status_groups' 0.2 ms after a status change).
    // Stable: of the stanzas of one key, the last in the file stays last, and it is the one kept.
    auto by_name = [](const StatusEntry& a, const StatusEntry& b) {
        int c = a.name().compare(b.name());
        return c != 0 ? c < 0 : a.arch() < b.arch();
    };
    if (!std::is_sorted(m_status.begin(), m_status.end(), by_name)) {
        std::stable_sort(m_status.begin(), m_status.end(), by_name);
    }
    std::size_t kept = 0;
    for (std::size_t i = 0; i < m_status.size(); ++i) {
        if (i + 1 < m_status.size() && m_status[i + 1].key == m_status[i].key) {
            continue; // a later stanza of the same package replaces this one
        }
        if (kept != i) {
            m_status[kept] = std::move(m_status[i]);
        }
        ++kept;
    }
    m_status.resize(kept);
    m_status_settled = true;
}

void AptIndexBuilder::add_list_version(std::string_view name, std::string_view arch, std::string_view version,
                                       int priority, int pin, bool has_description, std::string_view summary,
                                       std::string_view long_text, std::span<const std::string_view> provides,
                                       bool in_record) {
    Version v;
    v.version = keep(version);
    v.priority = priority;
    v.pin = pin;
    v.has_description = has_description;
    v.summary = keep(summary);
    v.long_text = keep(long_text);
    v.provides.reserve(provides.size());
    for (auto p : provides) {
        v.provides.push_back(keep(p));
    }
    v.in_record = in_record;
    v.list_provides = static_cast<std::uint32_t>(v.provides.size());
    add_version(package(name, arch_index(arch)), std::move(v));
}

std::vector<std::string> AptIndexBuilder::status_groups() {
    settle_status();
    std::vector<std::string> groups;
    groups.reserve(m_status.size());
    for (const StatusEntry& entry : m_status) {
        if (entry.current && (groups.empty() || groups.back() != entry.name())) {
            groups.emplace_back(entry.name()); // in name order: settled entries are
        }
    }
    return groups;
}

std::unordered_set<std::string> parse_dpkg_status(std::string_view text) {
    std::unordered_set<std::string> names;
    StanzaSplitter splitter([&](std::string_view stanza) {
        AptStanza f(stanza);
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
