#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/search/search_index_format.hpp"
#include "pkg/search/search_types.hpp"
#include "util/huge_allocator.hpp"
#include "util/result.hpp"

namespace zsyncctl::pkg {

/// One package as a native reader produced it, before indexing.
struct IndexRecord {
    std::string name;
    std::string version;
    std::string summary;   ///< one-line description shown in results
    std::string long_text; ///< extra text searched but not shown (long description, aliases); may be empty
    bool installed = false;
    std::string installed_version{};     ///< the manager's current version when installed; may be empty
    std::string candidate{};             ///< the manager's candidate version; may be empty
    std::vector<std::string> provides{}; ///< names it provides: a query inside one matches ("provides X")
    std::string kind{};                  ///< SearchHit::kind (Homebrew: "formula" or "cask"); may be empty
};

/// An IndexRecord by reference: the fields point into storage the caller keeps alive while the index is built
/// (a reader that holds its packages' text in one arena hands them over without a copy per field).
struct IndexRecordView {
    std::string_view name;
    std::string_view version;
    std::string_view summary;   ///< IndexRecord::summary
    std::string_view long_text; ///< IndexRecord::long_text
    bool installed = false;
    std::string_view installed_version{};
    std::string_view candidate{};
    std::span<const std::string_view> provides{}; ///< IndexRecord::provides
    std::string_view kind{};
};

/// The record `view` refers to, with its own copy of every field. Never fails.
IndexRecord to_record(const IndexRecordView& view);

/// `text` made safe to store and show: invalid UTF-8 becomes U+FFFD; escape sequences (ESC and C1 CSI/OSC/
/// DCS/APC/PM/SOS with their parameters or strings), other C0/C1 controls, DEL and the bidi controls
/// U+202A-U+202E, U+2066-U+2069 are removed; tabs become spaces; newlines are kept only when
/// `keep_newlines`. Never fails.
std::string sanitize_index_field(std::string_view text, bool keep_newlines = false);

/// Appends `text` case-folded the way apt-cache's REG_ICASE regex folds in a UTF-8 locale (each code point
/// mapped to its upper case, then ASCII lowered), independent of the process locale. Never fails.
void append_folded(std::string& out, std::string_view text);

/// Identity of one source file an index was built from: the index is reused while every stamp holds.
struct SourceStamp {
    std::string path;
    std::int64_t mtime_ns = 0;
    std::uint64_t size = 0;

    bool operator==(const SourceStamp&) const = default;
};

/// Stamps for the given files (a missing file gets size 0 and mtime 0, so its later appearance
/// invalidates the index); never fails.
std::vector<SourceStamp> stamp_files(const std::vector<std::filesystem::path>& files);

/// Appends the bytes of `value` (a number, host order) to `out`, as the index files store their numbers (they
/// are read on the machine that wrote them). Never fails.
template <typename T>
void append_raw(std::string& out, T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out.append(bytes, sizeof(T));
}

/// A list sorted by name, kept in place as entries of `width` strings (width 1: a name; width 2: a name
/// and its value), each string a 32-bit length (host order) and its bytes. apt's side file holds the names
/// it hides and the installed versions it names this way; a search reads them where they are mapped,
/// without a vector or a hash table built per run.
class PackedNames {
public:
    /// Where one walk through a list stands (one per search; the list itself is shared and unchanged).
    struct Cursor {
        std::size_t pos = 0;                      ///< byte offset of the next entry
        std::size_t previous = std::string::npos; ///< byte offset of the entry before it, if any
    };

    PackedNames() = default;

    /// The first `count` entries of `bytes` (count npos: every entry to the end, which must then end on an
    /// entry's end), taken off its front. nullopt when the bytes are not that many whole entries or the names
    /// are not in ascending byte order. O(size): it reads every entry once.
    static std::optional<PackedNames> take(std::string_view& bytes, std::size_t count, int width);

    /// The entry named `key`: its value (width 2) or its name (width 1); nullopt when absent. Keys asked in
    /// ascending order walk the list once in all; a key at or below the previous entry starts the walk over.
    std::optional<std::string_view> find(Cursor& at, std::string_view key) const;

    /// Appends one string of a packed list to `out`: its 32-bit length, then its bytes. Never fails.
    static void append(std::string& out, std::string_view text);

    /// The number of entries.
    std::size_t size() const { return m_count; }

    /// Every entry in order, as views of the list's bytes: its name, and its value (width 2) or its name
    /// again (width 1). Never fails.
    std::vector<std::pair<std::string_view, std::string_view>> entries() const;

private:
    // The string at byte offset `pos` (whole: take() checked every length).
    std::string_view string_at(std::size_t pos) const;
    // The byte offset of the entry after the one at `pos`.
    std::size_t next(std::size_t pos) const;

    std::string_view m_bytes;
    std::size_t m_count = 0;
    int m_width = 1;
};

/// A compact, immutable search index: one contiguous buffer holding the records sorted by name and a
/// lower-cased haystack searched with memmem, written to disk as is. A loaded index maps its file
/// read-only and searches it in place (nothing is copied); load() checks the header and the section sizes
/// only, and every offset read from the records is bounds-checked when it is used, so a damaged file
/// yields fewer results, never an out-of-bounds read. Copies share the bytes. Safe to share between threads.
class PackageIndex {
public:
    PackageIndex() = default;

    /// Builds an index over `records` (sorted by name here), remembering `stamps` and an opaque `extra`
    /// section its reader interprets (see extra()); never fails.
    static PackageIndex build(std::vector<IndexRecord> records, std::vector<SourceStamp> stamps,
                              std::string_view extra = {});

    /// The same index as build() makes of the records `records` refer to (the same bytes); `records` is
    /// reordered. The caller keeps the referenced text alive for the call only.
    static PackageIndex build(std::vector<IndexRecordView>& records, std::vector<SourceStamp> stamps,
                              std::string_view extra = {});

    /// build() of `records` written straight to `file` (a temporary file beside it, then renamed over it)
    /// and searched from its mapping: the same bytes, but the index is never whole in memory beside the
    /// text its records refer to. When the file cannot be written the index is built in memory instead and
    /// nothing is saved. `records` is reordered; the referenced text must live for the call only.
    static PackageIndex build_saved(std::vector<IndexRecordView>& records, std::vector<SourceStamp> stamps,
                                    std::string_view extra, const std::filesystem::path& file);

    /// `base` searched with its records named (as shown) in `masked` hidden, joined in name order with
    /// `overlay`'s records, and the base records named in `installed` (width 2) shown installed at the
    /// version given with the name. Both lists lie in `overlay`'s bytes (its extra() section), which the
    /// joined index keeps. Never fails.
    static PackageIndex overlaid(PackageIndex base, PackageIndex overlay, PackedNames masked,
                                 PackedNames installed);

    /// Maps an index file (read-only); fails with not_found when absent, parse when its header or section
    /// sizes are damaged or of another format version, and invalid_input when its stamps differ from
    /// `expected` (the sources changed). The file must not be truncated in place while the index lives
    /// (save() replaces files by rename, which is safe).
    static util::Result<PackageIndex> load(const std::filesystem::path& file,
                                           const std::vector<SourceStamp>& expected);

    /// Takes an index from the bytes of an index file (`name` is used in messages); fails like load().
    static util::Result<PackageIndex> from_bytes(std::string data, const std::vector<SourceStamp>& expected,
                                                 std::string_view name);

    /// load() of a file save_checked() wrote; fails like load(), and with parse when its checksum does not
    /// match (a write a crash left torn or zero-filled).
    static util::Result<PackageIndex> load_checked(const std::filesystem::path& file,
                                                   const std::vector<SourceStamp>& expected);

    /// A copy of the serialized form, as save() writes it.
    std::string data() const { return std::string(m_bytes); }

    /// Writes the index atomically (fails with the io error of the write).
    util::Result<void> save(const std::filesystem::path& file) const;

    /// Writes the index followed by a checksum of it to a temporary file renamed over `file`, without
    /// fsync: after a crash the file may hold the old index, or bytes that load_checked() refuses, never an
    /// index it reads as valid. For a small file rebuilt on every change of its sources (fails with the io
    /// error of the write).
    util::Result<void> save_checked(const std::filesystem::path& file) const;

    /// Matching packages in name order, at most query.limit (0 = all): the query is a literal substring
    /// (not a regex) of the name, the description or a provided name (then match_reason says "provides
    /// X"), compared case-insensitively beyond ASCII (append_folded). A query with control characters
    /// matches nothing.
    std::vector<SearchHit> search(const SearchQuery& query) const;

    /// search()'s hits kept as references into this index (a copy of it, sharing its bytes, lives as long
    /// as they do) and read one at a time (HitSource): the same hits in the same order, sanitized as a
    /// report's, never all in memory at once. Never fails.
    std::unique_ptr<HitSource> search_lazily(const SearchQuery& query) const;

    /// The opaque section given to build() (empty for none); points into the index's bytes.
    std::string_view extra() const { return m_bytes.substr(std::min(m_at.extra_off, m_bytes.size())); }

    /// The displayed summary and the case-folded long text (as searched; folding it again changes
    /// nothing) of the record named `name`, pointing into the index's bytes; false when there is none.
    /// Bounds-checked like search().
    bool record_text(std::string_view name, std::string_view& summary, std::string_view& folded_long) const;

    /// The haystack bytes a search for `query` reads (of this index; not its overlay's): all of them
    /// unless its block filter rules blocks out. For tests and benchmarks. Never fails.
    std::size_t scan_size(const SearchQuery& query) const;
    /// The haystack's size in bytes.
    std::size_t hay_size() const { return m_at.hay_size; }

    /// Number of records (of the base index, for an overlaid one).
    std::size_t size() const { return m_at.count; }
    /// Size of the serialized form in bytes.
    std::size_t bytes() const { return m_bytes.size(); }

private:
    struct Overlay;
    // One match found in the haystack: its record and, for a match by a provided name, where that name is
    // in the haystack (reason_len 0: none). The hit's text is read from the index only once it is kept.
    struct HitRef {
        std::uint32_t record = 0;
        std::uint32_t reason_at = 0;
        std::uint32_t reason_len = 0;
        bool overlay = false; // overlaid(): the record is the overlay's
    };
    using HitRefs = std::vector<HitRef, util::HugeAllocator<HitRef>>;
    void search_refs(const SearchQuery& query, const std::function<bool(const HitRef&)>& emit) const;
    class Hits;
    // search()'s matches in name order: the base's references, with the overlay's hits (kept in `over`,
    // which their references index) merged in, at most query.limit.
    void find_refs(const SearchQuery& query, HitRefs& refs, std::vector<SearchHit>& over) const;
    // Base reference `ref` into `hit` (its strings reused) as search() gives it, with the overlay's installed
    // version; `installed_at` walks that list.
    void read_ref(const HitRef& ref, PackedNames::Cursor& installed_at, SearchHit& hit) const;
    // Asks the processor for the text of the reads `refs[i]` will be followed by: a ranked broad query
    // reads its records out of their order, and each read otherwise waits for memory.
    void prefetch_ahead(const HitRefs& refs, std::size_t i) const;
    // The first record whose name (as shown) is not below `name` (`after`: above it), by binary search over
    // the sorted records; size() when none. `store` as shown_name's.
    std::size_t first_record_from(std::string_view name, bool after, std::string& store) const;
    // For each entry of `list`, the records named (as shown) by its name, with its value (PackedNames::
    // entries), ordered by record; for a record named twice, the list's first entry first.
    std::vector<std::pair<std::uint32_t, std::string_view>> records_named(const PackedNames& list) const;
    // The displayed summary of `record` (a view of the index's bytes; empty when damaged).
    std::string_view summary_of(std::size_t record) const;
    // The haystack's byte ranges a search for `needle` (as folded) reads, in order, each from a record's
    // start to a record's start or the end: the blocks whose filter holds every 3-byte sequence of the
    // needle, or the whole haystack (no filter, or a needle under 3 bytes).
    std::vector<std::pair<std::size_t, std::size_t>> hay_ranges(std::string_view needle) const;
    // The query as the haystack holds it (folded; an exact query between its record's separators); false:
    // it matches nothing (empty, or with control characters).
    static bool make_needle(const SearchQuery& query, std::string& needle);
    SearchHit hit_from(const HitRef& ref) const;
    void fill_hit(const HitRef& ref, SearchHit& hit) const; // hit_from into a default-constructed hit
    // The record's name as search shows it (sanitized): a view of the index's bytes, or of `store` when the
    // sanitizer changed it.
    std::string_view shown_name(std::size_t record, std::string& store) const;
    // The index in the first `size` bytes of `fd` (a private read-only mapping; the caller keeps `fd`);
    // `checked`: the bytes end with save_checked()'s checksum of them.
    static util::Result<PackageIndex> mapped(int fd, std::size_t size,
                                             const std::vector<SourceStamp>& expected, std::string_view name,
                                             bool checked = false);
    static util::Result<PackageIndex> load_file(const std::filesystem::path& file,
                                                const std::vector<SourceStamp>& expected, bool checked);
    static util::Result<PackageIndex> from_view(std::shared_ptr<const void> storage, std::string_view bytes,
                                                const std::vector<SourceStamp>& expected,
                                                std::string_view name);
    std::uint32_t u32_at(std::size_t offset) const;
    // The six text fields of `record` (views of the index's bytes) and whether they are all printable ASCII;
    // false for a damaged offset.
    bool record_fields(std::size_t record, std::string_view (&field)[index_format::k_text_fields],
                       bool& ascii) const;
    bool hit_at(std::size_t record, SearchHit& hit) const;
    // hit_at's fields of a plain line as views of the index's bytes, or of `store` where the sanitizer
    // changed one; false for a damaged offset.
    bool view_at(std::size_t record, HitView& hit, std::string (&store)[5]) const;
    /// The record whose haystack bytes hold `offset` (the last one starting at or before it). `from`: a
    /// record known to start at or before it (the search is bounded from there), else any (a full search).
    std::size_t record_for_hay_offset(std::size_t offset, std::size_t from = 0) const;

    std::shared_ptr<const void> m_storage; // owns the bytes: a std::string or a file mapping
    std::string_view m_bytes;
    bool m_mapped = false;                    // m_bytes is a private read-only file mapping
    int m_fd = -1;                            // its file, owned by m_storage; -1: none kept
    index_format::Layout m_at;                // where the sections are in m_bytes
    std::shared_ptr<const Overlay> m_overlay; // overlaid(): the joined index and the hidden groups
};

/// The one cache rule of the native readers: the index in `cache_file` when its stamps equal `stamps`,
/// else an index built from `records()` and saved there (a save failure is not an error). An empty
/// `cache_file` disables caching. Fails with records()'s error.
util::Result<PackageIndex>
load_or_build_index(const std::filesystem::path& cache_file, std::vector<SourceStamp> stamps,
                    const std::function<util::Result<std::vector<IndexRecord>>()>& records);

/// The index file for `manager` under the zsyncctl cache dir, keyed by the root so `--root` trees never
/// share an index with the host; fails with not_found when there is no cache dir.
util::Result<std::filesystem::path> index_path(std::string_view manager,
                                               const std::filesystem::path& root_dir);

} // namespace zsyncctl::pkg
