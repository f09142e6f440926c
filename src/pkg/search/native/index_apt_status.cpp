// The apt search index in two files: the lists part (every package as the Packages lists alone make it,
// plus each package's versions in an extra section), keyed by the lists' and configuration's stamps, and a
// small side file for dpkg's installed state (the packages dpkg gives a current version, recomputed with
// it), keyed by the status file's and its journal's stamps. A dpkg run rewrites only the side file; a
// search joins the two (PackageIndex::overlaid).
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/index_apt.hpp"
#include "util/fs.hpp"
#include "util/sanitize.hpp"

namespace zsyncctl::pkg {

namespace {

constexpr std::uint64_t k_max_status_text = std::uint64_t(1) << 30; // as read_stanzas allows

// Bounds-checked reader of the encoding AptIndexBuilder::finish(aux) writes.
struct AuxReader {
    std::string_view data;
    std::size_t pos = 0;
    bool ok = true;

    std::uint32_t u32() {
        if (!ok || pos > data.size() || data.size() - pos < 4) {
            ok = false;
            return 0;
        }
        std::uint32_t v = 0;
        std::memcpy(&v, data.data() + pos, 4);
        pos += 4;
        return v;
    }
    std::string_view str() {
        std::uint32_t n = u32();
        if (!ok || data.size() - pos < n) {
            ok = false;
            return {};
        }
        std::string_view s = data.substr(pos, n);
        pos += n;
        return s;
    }
    char byte() {
        if (!ok || pos >= data.size()) {
            ok = false;
            return 0;
        }
        return data[pos++];
    }
};

// The versions section of a lists index: groups in name order, found by their names' prefixes (the table
// at its end, see k_aux_prefixed) and, among equal prefixes, by their names.
class AuxTable {
public:
    explicit AuxTable(std::string_view data) : m_data(data) {
        if (data.size() < 4) {
            m_ok = data.empty();
            return;
        }
        std::uint32_t stored = 0;
        std::memcpy(&stored, data.data() + data.size() - 4, 4);
        if ((stored & k_aux_prefixed) == 0) {
            m_ok = false; // written before the prefixes: built again
            return;
        }
        m_count = stored & ~k_aux_prefixed;
        if (m_count > (data.size() - 4) / 12) {
            m_ok = false;
            m_count = 0;
            return;
        }
        m_offsets = data.size() - 4 - std::size_t(m_count) * 4;
        m_prefixes = m_offsets - std::size_t(m_count) * 8;
    }

    bool ok() const { return m_ok; }

    // Where a walk through the table stands when names are asked in ascending order (dpkg's groups are):
    // every group below `from` is named below the last name asked.
    struct Finger {
        std::size_t from = 0;
        std::string last;
    };

    // The reader at group `name`'s packages (after its name); nullopt when it has none. Asked in ascending
    // order with one `finger`, each search starts where the last one ended and widens in steps of 1, 2,
    // 4, ... before halving. It compares the names' 8-byte prefixes, which lie together in the table, and
    // reads a group's name only when the prefixes are equal: a status change's ~1,000 lookups touched
    // the groups' scattered pages of the mapped index once per probe (perf annotate: three quarters of
    // apt_installed_side's own time on those first touches), and now read the group they find. A name
    // below the last one starts from the top.
    std::optional<AuxReader> find(std::string_view name, Finger& finger) const {
        std::size_t lo = name >= finger.last ? std::min<std::size_t>(finger.from, m_count) : 0;
        std::size_t hi = m_count;
        finger.last.assign(name);
        const std::uint64_t prefix = aux_name_prefix(name);
        bool damaged = false;
        // Whether group `g` is named below `name`.
        auto below = [&](std::size_t g) {
            std::uint64_t p = prefix_at(g);
            if (p != prefix) {
                return p < prefix;
            }
            AuxReader r = at(g);
            std::string_view n = r.str();
            damaged = damaged || !r.ok;
            return n < name;
        };
        for (std::size_t step = 1; lo + step <= m_count; step *= 2) {
            if (!below(lo + step - 1)) {
                hi = lo + step - 1;
                break;
            }
            lo += step; // every group up to lo + step - 1 is named below `name`
        }
        while (lo < hi && !damaged) {
            std::size_t mid = lo + (hi - lo) / 2;
            if (below(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        finger.from = lo;
        if (damaged || lo >= m_count || prefix_at(lo) != prefix) {
            return std::nullopt;
        }
        AuxReader r = at(lo);
        if (r.str() != name || !r.ok) {
            return std::nullopt;
        }
        return r;
    }

private:
    std::uint64_t prefix_at(std::size_t group) const {
        std::uint64_t p = 0;
        std::memcpy(&p, m_data.data() + m_prefixes + group * 8, 8);
        return p;
    }
    AuxReader at(std::size_t group) const {
        std::uint32_t off = 0;
        std::memcpy(&off, m_data.data() + m_offsets + group * 4, 4);
        AuxReader r{m_data.substr(0, m_prefixes), off, off <= m_prefixes};
        return r;
    }

    std::string_view m_data;
    std::uint32_t m_count = 0;
    std::size_t m_prefixes = 0;
    std::size_t m_offsets = 0;
    bool m_ok = true;
};

// Replays group `name`'s list versions into `builder`; false when the section or the index is damaged.
// The replayed text points into `lists` (mapped) and its extra section; the builder keeps its own copy.
bool replay_group(const AuxTable& table, AuxTable::Finger& finger, std::string_view name,
                  AptIndexBuilder& builder, std::vector<std::string_view>& names) {
    auto found = table.find(name, finger);
    if (!found) {
        return true; // only dpkg knows it
    }
    AuxReader& r = *found;
    std::uint32_t packages = r.u32();
    for (std::uint32_t p = 0; r.ok && p < packages; ++p) {
        std::string_view arch = r.str();
        std::uint32_t versions = r.u32();
        for (std::uint32_t v = 0; r.ok && v < versions; ++v) {
            std::string_view version = r.str();
            auto priority = static_cast<std::int32_t>(r.u32());
            auto pin = static_cast<std::int32_t>(r.u32());
            char flags = r.byte();
            std::string_view summary;
            std::string_view long_text;
            // The candidate's text is its record's in the lists index, read only if that record is rebuilt
            // (AptIndexBuilder::use_record_text).
            if ((flags & 2) == 0 && (flags & 1) != 0) {
                summary = r.str();
                long_text = r.str();
            }
            std::uint32_t provides = r.u32();
            names.clear();
            for (std::uint32_t i = 0; r.ok && i < provides; ++i) {
                names.push_back(r.str());
            }
            if (!r.ok) {
                return false;
            }
            builder.add_list_version(name, arch, version, priority, pin, (flags & 1) != 0, summary, long_text,
                                     names, (flags & 2) != 0);
        }
    }
    return r.ok;
}

// The top bit of the side section's count of hidden names: both of its name lists are in name order
// (PackedNames), as apt_installed_side writes them. A side file without it (older) is built again.
constexpr std::uint32_t k_side_lists_sorted = 0x80000000u;

// dpkg's status file (a regular file) read whole, in one buffer the builder keeps, and handed to `builder`
// stanza by stanza in place: the builder refers to its text instead of copying it to its arena (1.2 MB
// here). Read, not mapped: a file truncated under a mapping would kill the process. nullopt when it cannot
// be opened or looks compressed: it is then read like any other file.
std::optional<util::Result<void>> read_dpkg_status(const std::filesystem::path& status,
                                                   const core::CancellationToken& token,
                                                   AptIndexBuilder& builder) {
    util::UniqueFd fd(::open(status.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    struct stat st {};
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
        return std::nullopt;
    }
    auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > k_max_status_text) {
        return util::Result<void>(
            util::fail(util::ErrorKind::parse, status.string() + ": more than 1 GiB of text"));
    }
    // Not zero-filled first: read(2) writes every byte used. A status file of 512 KiB or more gets a buffer
    // of whole 2 MiB blocks on a 2 MiB boundary, which prefault_for_write makes transparent huge pages: in a
    // VM with shadow page tables each 4 KiB page traps on its first touch even when populated (~6 us), so
    // the ~240 pages of a 950 KiB file cost ~1.5 ms, one huge page ~0.1 ms (and up to 2 MiB of RSS).
    constexpr std::size_t k_huge = std::size_t(2) << 20;
    std::shared_ptr<char[]> buffer;
    if (size >= (std::size_t(512) << 10)) {
        std::size_t whole = (static_cast<std::size_t>(size) + k_huge - 1) / k_huge * k_huge;
        buffer = std::shared_ptr<char[]>(static_cast<char*>(std::aligned_alloc(k_huge, whole)), std::free);
        if (buffer) {
            util::prefault_for_write(buffer.get(), whole);
        }
    }
    if (!buffer) {
        buffer = std::shared_ptr<char[]>(new char[size]);
        util::prefault_for_write(buffer.get(), size);
    }
    std::size_t have = 0;
    while (have < size) { // a file that shrank meanwhile is read as far as it goes
        ssize_t n = ::read(fd.get(), buffer.get() + have, size - have);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return util::Result<void>(util::fail(util::errno_error(status.string(), errno)));
        }
        if (n == 0) {
            break;
        }
        have += static_cast<std::size_t>(n);
    }
    std::string_view text(buffer.get(), have);
    if (looks_compressed(status, text.substr(0, 16))) {
        return std::nullopt;
    }
    builder.hold(std::move(buffer));
    // Room for a stanza per 256 bytes: more than dpkg writes (~900 bytes a package here; its smallest
    // stanzas are ~250), so the tables are not regrown, and reserved pages never written cost nothing.
    // Counting the "Package:" lines instead was a scan of the whole file (~60 us here).
    builder.reserve_status(text.size() / 256 + 1);
    bool too_large = false;
    StanzaSplitter splitter([&](std::string_view stanza) {
        if (stanza.size() > StanzaSplitter::k_default_max_stanza) {
            too_large = true;
            return;
        }
        // Only the last stanza, without a blank line after it, is delivered from a copy.
        bool inside =
            stanza.data() >= text.data() && stanza.data() + stanza.size() <= text.data() + text.size();
        builder.add_status_stanza(stanza, inside);
    });
    splitter.feed(text);
    if (token.is_cancelled()) {
        return util::Result<void>(
            util::fail(util::ErrorKind::cancelled, "cancelled while reading " + status.string()));
    }
    if (too_large || splitter.overflowed()) {
        return util::Result<void>(
            util::fail(util::ErrorKind::parse, status.string() + ": a stanza is larger than 4 MiB"));
    }
    splitter.finish();
    return util::Result<void>(util::ok());
}

// dpkg's database into `builder`: the status file, then its journal in order (what dpkg-query reads).
util::Result<void> read_dpkg_database(const util::Root& root, const core::CancellationToken& token,
                                      AptIndexBuilder& builder) {
    std::filesystem::path status = root.resolve("/var/lib/dpkg/status");
    std::error_code ec;
    auto type = std::filesystem::status(status, ec).type();
    if (type != std::filesystem::file_type::not_found) {
        // Reading a FIFO would block until a writer appears; a directory or device is no status.
        if (type != std::filesystem::file_type::regular) {
            return util::fail(util::ErrorKind::io, status.string() + ": not a regular file");
        }
        auto read = read_dpkg_status(status, token, builder);
        if (!read) {
            read = read_stanzas(status, token,
                                [&](std::string_view stanza) { builder.add_status_stanza(stanza); });
        }
        if (!*read) {
            return std::move(*read);
        }
    }
    std::vector<std::filesystem::path> journal;
    for (const auto& entry : std::filesystem::directory_iterator(root.resolve("/var/lib/dpkg/updates"), ec)) {
        std::string n = entry.path().filename().string();
        if (!n.empty() && std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
            entry.is_regular_file(ec)) {
            journal.push_back(entry.path());
        }
    }
    std::sort(journal.begin(), journal.end());
    for (const auto& file : journal) {
        (void)read_stanzas(file, token, [&](std::string_view stanza) { builder.add_status_stanza(stanza); });
    }
    if (token.is_cancelled()) {
        return util::fail(util::ErrorKind::cancelled, "cancelled");
    }
    return util::ok();
}

// Every configured list into `builder`, with its Release file's fields and priority (read here when the
// setup left them to the build); fails when cancelled or when no list could be read.
util::Result<void> read_lists(const util::Root& root, const AptSetup& given,
                              const core::CancellationToken& token, AptIndexBuilder& builder) {
    std::optional<AptSetup> completed;
    if (!given.releases_read) {
        completed = given;
        read_apt_releases(root, *completed);
    }
    const AptSetup& setup = completed ? *completed : given;
    std::optional<util::Error> first_error;
    std::size_t readable = 0;
    for (const auto& list : setup.lists) {
        int priority = list.priority;
        auto read = read_stanzas(list.file, token, [&](std::string_view stanza) {
            builder.add_list_stanza(stanza, priority, &list.release);
        });
        if (read) {
            ++readable;
        } else if (read.error().kind == util::ErrorKind::cancelled) {
            return read;
        } else if (!first_error) {
            first_error = read.error();
        }
    }
    if (readable == 0 && first_error) {
        return util::fail(*first_error);
    }
    return util::ok();
}

} // namespace

std::optional<PackageIndex> apt_installed_side(const PackageIndex& lists, AptIndexBuilder& status,
                                               std::string_view native_arch,
                                               std::vector<SourceStamp> stamps) {
    std::vector<std::string> groups = status.status_groups();
    AuxTable table(lists.extra());
    if (!table.ok()) {
        return std::nullopt;
    }
    std::vector<std::string_view> names;
    AuxTable::Finger finger;
    for (const auto& name : groups) {
        if (!replay_group(table, finger, name, status, names)) {
            return std::nullopt;
        }
    }
    // A record dpkg left as the lists index has it but for its installed state is not rebuilt: the side
    // file names it with its installed version. Every other group's records are hidden in the lists index
    // (the native name, "name:arch") and rebuilt.
    std::vector<std::string> archs = status.architectures();
    auto extra_of = [&](const std::vector<AptIndexBuilder::KeptRecord>& kept) {
        // A name as shown: itself when the sanitizer leaves it alone (nearly always), else a sanitized
        // copy in `made` (a deque: the views into it stay valid as it grows). Views, one set of groups
        // walked in order and no hash set: this section cost a third of finish_side after a status
        // change (0.18 ms, perf probe), most of it allocating a string per name.
        std::deque<std::string> made;
        auto shown = [&](std::string_view name) {
            return util::is_terminal_safe(name)
                       ? name
                       : std::string_view(made.emplace_back(sanitize_index_field(name)));
        };
        // The kept records' groups, in name order (finish_views hands records in name order).
        std::vector<std::string_view> kept_groups;
        kept_groups.reserve(kept.size());
        std::vector<std::pair<std::string_view, std::string_view>> installed; // (name as shown, version)
        installed.reserve(kept.size());
        for (const auto& k : kept) {
            kept_groups.push_back(k.name.substr(0, k.name.find(':')));
            if (!k.installed_version.empty()) {
                installed.emplace_back(shown(k.name), k.installed_version);
            }
        }
        if (!std::is_sorted(kept_groups.begin(), kept_groups.end())) {
            std::sort(kept_groups.begin(), kept_groups.end());
        }
        std::vector<std::string_view> hidden;
        hidden.reserve(groups.size() * archs.size());
        auto next_kept = kept_groups.begin();
        for (const auto& name : groups) { // in name order (status_groups)
            next_kept = std::lower_bound(next_kept, kept_groups.end(), std::string_view(name));
            if (next_kept != kept_groups.end() && *next_kept == name) {
                continue;
            }
            hidden.push_back(shown(name));
            for (const auto& arch : archs) {
                if (arch != native_arch) {
                    hidden.push_back(made.emplace_back(sanitize_index_field(name + ":" + arch)));
                }
            }
        }
        // Both lists are written in name order, the order a search reads them in (PackedNames). They come
        // mostly in that order already (dpkg's groups are), so they are sorted only when they are not: a
        // stable sort of the pairs on every status change cost a tenth of the side file's build.
        auto by_name = [](const auto& x, const auto& y) {
            return x.first < y.first;
        };
        if (!std::is_sorted(installed.begin(), installed.end(), by_name)) {
            std::stable_sort(installed.begin(), installed.end(), by_name);
        }
        if (!std::is_sorted(hidden.begin(), hidden.end())) {
            std::sort(hidden.begin(), hidden.end());
        }
        std::string extra(4, '\0');
        auto count = static_cast<std::uint32_t>(hidden.size()) | k_side_lists_sorted;
        std::memcpy(extra.data(), &count, 4);
        for (std::string_view name : hidden) {
            PackedNames::append(extra, name);
        }
        for (const auto& [name, version] : installed) {
            PackedNames::append(extra, name);
            PackedNames::append(extra, version);
        }
        return extra;
    };
    status.use_record_text(
        [&](std::string_view record, std::string_view& summary, std::string_view& long_text) {
            return lists.record_text(sanitize_index_field(record), summary, long_text);
        });
    return status.finish_side(std::move(stamps), extra_of, true);
}

std::optional<PackageIndex> apt_joined(PackageIndex lists, PackageIndex side) {
    // The side section: the count of hidden names (its top bit: both lists are in name order), the hidden
    // names, then name and installed version of each record kept from the lists index. Read in place: the
    // joined index keeps the side index's bytes.
    std::string_view extra = side.extra();
    std::uint32_t word = 0;
    if (extra.size() < 4) {
        return std::nullopt;
    }
    std::memcpy(&word, extra.data(), 4);
    if ((word & k_side_lists_sorted) == 0) {
        return std::nullopt; // written before the lists were sorted: built again, once
    }
    std::string_view rest = extra.substr(4);
    auto masked = PackedNames::take(rest, word & ~k_side_lists_sorted, 1);
    auto installed = masked ? PackedNames::take(rest, std::string_view::npos, 2) : std::nullopt;
    if (!installed) {
        return std::nullopt;
    }
    return PackageIndex::overlaid(std::move(lists), std::move(side), *masked, *installed);
}

util::Result<PackageIndex> apt_index(const util::Root& root, const std::filesystem::path& cache_file,
                                     const core::CancellationToken& token) {
    return apt_index(root, apt_setup(root), cache_file, token);
}

util::Result<PackageIndex> apt_index(const util::Root& root, const AptSetup& setup,
                                     const std::filesystem::path& cache_file,
                                     const core::CancellationToken& token) {
    if (setup.lists.empty()) {
        return util::fail(util::ErrorKind::not_found,
                          "no apt package lists under " + root.resolve("/var/lib/apt/lists").string(),
                          "run: apt-get update");
    }
    // The stamps split: dpkg's status and journal key the side file, everything else the lists index.
    std::filesystem::path status = root.resolve("/var/lib/dpkg/status");
    std::string journal_dir = root.resolve("/var/lib/dpkg/updates").string();
    std::vector<std::filesystem::path> list_paths;
    std::vector<std::filesystem::path> status_paths;
    for (const auto& p : setup.stamp) {
        std::string s = p.string();
        bool dpkg = p == status || s == journal_dir || s.starts_with(journal_dir + "/");
        (dpkg ? status_paths : list_paths).push_back(p);
    }
    std::vector<SourceStamp> list_stamps = stamp_files(list_paths);
    // dpkg's architectures (the native one is read from the status file) decide which packages the
    // lists index holds: they are part of its key.
    std::string archs = "architectures:" + setup.native_arch;
    for (const auto& a : setup.architectures) {
        archs += ',' + a;
    }
    list_stamps.push_back(SourceStamp{archs, 0, 0});
    std::vector<SourceStamp> status_stamps = stamp_files(status_paths);
    // The side file is valid for the lists index built from the same sources.
    status_stamps.insert(status_stamps.end(), list_stamps.begin(), list_stamps.end());
    std::filesystem::path side_file = cache_file;
    if (!side_file.empty()) {
        side_file += ".status";
    }

    std::optional<PackageIndex> lists;
    if (!cache_file.empty()) {
        if (auto cached = PackageIndex::load(cache_file, list_stamps)) {
            if (AuxTable(cached->extra()).ok()) {
                lists = std::move(*cached);
            }
        }
    }
    if (lists && !side_file.empty()) {
        if (auto side = PackageIndex::load_checked(side_file, status_stamps)) {
            if (auto joined = apt_joined(*lists, std::move(*side))) {
                return std::move(*joined);
            }
        }
    }
    // A damaged lists index is built again from the sources (never misread); if even a fresh one cannot
    // give a package's text back (a name the sanitizer changed), the index is built in one piece.
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!lists || attempt > 0) {
            AptIndexBuilder builder(setup.native_arch, setup.architectures);
            builder.use_preferences(&setup.preferences, setup.status_priority);
            if (auto read = read_lists(root, setup, token, builder); !read) {
                return util::fail(std::move(read).error());
            }
            // Saved as it is written (a failed save leaves it in memory, unsaved): the builder's text and
            // the finished index are never both in memory.
            lists = builder.finish_index(list_stamps, true, cache_file);
            attempt = std::max(attempt, 1);
        }
        // The installed state: dpkg's packages recomputed with their list versions (from the lists index).
        AptIndexBuilder builder(setup.native_arch, setup.architectures);
        builder.use_preferences(&setup.preferences, setup.status_priority);
        if (auto read = read_dpkg_database(root, token, builder); !read) {
            return util::fail(std::move(read).error());
        }
        auto side = apt_installed_side(*lists, builder, setup.native_arch, status_stamps);
        if (!side) {
            continue;
        }
        if (!side_file.empty()) {
            (void)side->save_checked(side_file);
        }
        if (auto joined = apt_joined(std::move(*lists), std::move(*side))) {
            return std::move(*joined);
        }
    }
    AptIndexBuilder builder(setup.native_arch, setup.architectures);
    builder.use_preferences(&setup.preferences, setup.status_priority);
    if (auto read = read_lists(root, setup, token, builder); !read) {
        return util::fail(std::move(read).error());
    }
    if (auto read = read_dpkg_database(root, token, builder); !read) {
        return util::fail(std::move(read).error());
    }
    return builder.finish_index({}, false);
}

} // namespace zsyncctl::pkg
