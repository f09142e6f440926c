#include "pkg/search/search_index.hpp"

#include "util/find.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <functional>
#include <locale.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wctype.h>

#include "pkg/search/search_index_format.hpp"
#include "util/fs.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace zsyncctl::pkg {

namespace {

using namespace index_format;

template <typename T>
bool get(std::string_view data, std::size_t& pos, T& value) {
    if (data.size() - pos < sizeof(T) || pos > data.size()) {
        return false;
    }
    std::memcpy(&value, data.data() + pos, sizeof(T));
    pos += sizeof(T);
    return true;
}

// save_checked()'s checksum: 8 bytes at a time through a multiply-xorshift mix (not cryptographic: it
// tells a torn or zero-filled write from the bytes written, not a forgery).
std::uint64_t checksum(std::string_view d) {
    std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ d.size();
    std::size_t i = 0;
    for (; i + 8 <= d.size(); i += 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, d.data() + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    std::uint64_t w = 0;
    std::memcpy(&w, d.data() + i, d.size() - i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 29);
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

using util::decode_utf8;

// glibc's C.UTF-8 character tables, whatever the process locale is (nullptr: ASCII folding only).
locale_t utf8_locale() {
    static locale_t loc = [] {
        locale_t l = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
        if (l == static_cast<locale_t>(nullptr)) {
            l = ::newlocale(LC_CTYPE_MASK, "C.utf8", static_cast<locale_t>(nullptr));
        }
        return l;
    }();
    return loc;
}

// The first `n` NUL-terminated text fields from `pos` of `text` (a record's fields, in order) into `out`.
// A damaged index reads as little as it can: a field without its NUL runs to the end of `text`, the
// fields after it are empty, and so is every field of a `pos` past the end. True when the bytes of all `n`
// are printable ASCII (0x20-0x7E), which is terminal-safe as it is. One pass of 16-byte blocks finds every
// field's end and checks its bytes at once: a memchr per field and an is_terminal_safe per field were a fifth
// of a broad search's instructions.
template <std::size_t n>
bool split_fields(std::string_view text, std::size_t pos, std::string_view (&out)[n]) {
    const char* base = text.data();
    const std::size_t end = text.size();
    std::size_t f = 0;
    std::size_t start = pos;
    std::size_t i = pos;
    bool ascii = true;
    auto close = [&](std::size_t at) {
        out[f++] = std::string_view(base + start, at - start);
        start = at + 1;
    };
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    const __m128i below_space = _mm_set1_epi8(0x1F);
    const __m128i del = _mm_set1_epi8(0x7F);
    for (; f < n && i + 16 <= end; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + i));
        const auto nul = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
        // Signed compares: bytes 0x80-0xFF are negative, so they fail "greater than 0x1F".
        const auto printable = static_cast<unsigned>(
            _mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(v, below_space), _mm_cmplt_epi8(v, del))));
        unsigned lanes = 0xFFFF; // the lanes of this block inside the fields asked for
        for (unsigned ends = nul; ends != 0 && f < n; ends &= ends - 1) {
            const auto bit = static_cast<unsigned>(__builtin_ctz(ends));
            close(i + bit);
            if (f == n) {
                lanes = (2u << bit) - 1;
            }
        }
        if (((printable | nul) & lanes) != lanes) {
            ascii = false;
        }
    }
#endif
    for (; f < n && i < end; ++i) {
        const auto c = static_cast<unsigned char>(base[i]);
        if (c == 0) {
            close(i);
        } else if (c < 0x20 || c >= 0x7F) {
            ascii = false;
        }
    }
    if (f < n) {
        out[f++] = start < end ? std::string_view(base + start, end - start) : std::string_view();
        while (f < n) {
            out[f++] = std::string_view();
        }
    }
    return ascii;
}

// Appends `text` folded; the separators (control characters) never reach the haystack.
void append_lower(std::string& out, std::string_view text) {
    append_folded(out, text);
}

} // namespace

std::string sanitize_index_field(std::string_view text, bool keep_newlines) {
    // The one sanitizer, in its stored-data form: what it removes leaves nothing behind.
    return util::sanitize_terminal(text, {.mark_removed = false, .keep_newlines = keep_newlines});
}

void append_folded(std::string& out, std::string_view text) {
    // The locale's tables are loaded at the first character past ASCII: an ASCII query never loads them
    // (newlocale opens and maps four files, ~0.1 ms of every search here).
    locale_t loc = static_cast<locale_t>(nullptr);
    bool loaded = false;
    for (std::size_t i = 0; i < text.size();) {
        // A run of ASCII (nearly all of a Debian description) is appended at once, then lowered in place.
        std::size_t run = i;
        while (run < text.size() && static_cast<unsigned char>(text[run]) < 0x80) {
            ++run;
        }
        if (run > i) {
            std::size_t at = out.size();
            out.append(text.data() + i, run - i);
            for (char* p = out.data() + at; p != out.data() + out.size(); ++p) {
                // The separators must not occur inside a record's text.
                char ch = *p;
                *p = (ch == k_record_start || ch == k_name_end || ch == k_provides) ? ' ' : lower(ch);
            }
            i = run;
            continue;
        }
        unsigned char c = static_cast<unsigned char>(text[i]);
        auto [cp, len] = decode_utf8(text, i);
        if (!loaded) {
            loc = utf8_locale();
            loaded = true;
        }
        if (len == 0 || loc == static_cast<locale_t>(nullptr)) {
            out.push_back(static_cast<char>(c));
            ++i;
            continue;
        }
        auto upper = static_cast<char32_t>(::towupper_l(static_cast<wint_t>(cp), loc));
        if (upper < 0x80) {
            out.push_back(lower(static_cast<char>(upper)));
        } else {
            util::append_utf8(out, upper);
        }
        i += len;
    }
}

IndexRecord to_record(const IndexRecordView& view) {
    IndexRecord r;
    r.name = view.name;
    r.version = view.version;
    r.summary = view.summary;
    r.long_text = view.long_text;
    r.installed = view.installed;
    r.installed_version = view.installed_version;
    r.candidate = view.candidate;
    r.provides.assign(view.provides.begin(), view.provides.end());
    r.kind = view.kind;
    return r;
}

std::vector<SourceStamp> stamp_files(const std::vector<std::filesystem::path>& files) {
    std::vector<SourceStamp> stamps;
    stamps.reserve(files.size());
    for (const auto& file : files) {
        SourceStamp stamp;
        stamp.path = file.string();
        struct stat st {};
        if (::stat(file.c_str(), &st) == 0) {
            stamp.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
            stamp.size = static_cast<std::uint64_t>(st.st_size);
        }
        stamps.push_back(std::move(stamp));
    }
    return stamps;
}

PackageIndex PackageIndex::build(std::vector<IndexRecord> records, std::vector<SourceStamp> stamps,
                                 std::string_view extra) {
    std::size_t provides = 0;
    for (const auto& r : records) {
        provides += r.provides.size();
    }
    std::vector<std::string_view> names;
    names.reserve(provides); // never reallocated: the spans below stay valid
    std::vector<IndexRecordView> views;
    views.reserve(records.size());
    for (const auto& r : records) {
        std::size_t first = names.size();
        names.insert(names.end(), r.provides.begin(), r.provides.end());
        views.push_back({r.name, r.version, r.summary, r.long_text, r.installed, r.installed_version,
                         r.candidate,
                         std::span<const std::string_view>(names.data() + first, r.provides.size()), r.kind});
    }
    return build(views, std::move(stamps), extra);
}

namespace {
// A read-only file mapping, unmapped with its last owner.
struct Mapping {
    void* address = nullptr;
    std::size_t size = 0;
    int fd = -1; // the file, for PackageIndex::search_refs's reads of the haystack; -1 when not kept
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    Mapping(void* a, std::size_t n, int f) : address(a), size(n), fd(f) {}
    ~Mapping() {
        if (address != nullptr) {
            ::munmap(address, size);
        }
        if (fd >= 0) {
            ::close(fd);
        }
    }
};
} // namespace

util::Result<PackageIndex> PackageIndex::load(const std::filesystem::path& file,
                                              const std::vector<SourceStamp>& expected) {
    return load_file(file, expected, false);
}

util::Result<PackageIndex> PackageIndex::load_checked(const std::filesystem::path& file,
                                                      const std::vector<SourceStamp>& expected) {
    return load_file(file, expected, true);
}

util::Result<PackageIndex> PackageIndex::load_file(const std::filesystem::path& file,
                                                   const std::vector<SourceStamp>& expected, bool checked) {
    // Mapped, not read: a warm search touches the haystack and the records it hits, nothing else.
    // O_NONBLOCK: a FIFO planted where the index belongs must not block the open; it is then refused.
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return util::fail(util::errno_error(file.string(), errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 || st.st_size > (1 << 30)) {
        ::close(fd);
        return util::fail(util::ErrorKind::io, file.string() + ": unreadable search index");
    }
    auto size = static_cast<std::size_t>(st.st_size);
    if (size < k_magic.size()) {
        ::close(fd);
        return util::fail(util::ErrorKind::parse, file.string() + ": damaged search index");
    }
    auto index = mapped(fd, size, expected, file.string(), checked);
    ::close(fd);
    return index;
}

util::Result<PackageIndex> PackageIndex::mapped(int fd, std::size_t size,
                                                const std::vector<SourceStamp>& expected,
                                                std::string_view name, bool checked) {
    void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (address == MAP_FAILED) {
        return util::fail(util::errno_error(std::string(name), errno));
    }
#ifdef MADV_HUGEPAGE
    // Pages this mapping reads into the page cache come in 2 MiB folios (ext4 with large folios, as in this
    // machine's Linux 6.18), and a 2 MiB folio is mapped with one page-table entry: touching all 18.5 MB of
    // an apt index took 1.0-2.8 ms so, 8.9-17 ms in 4 KiB pages (each first touch of a page ~3 us under this
    // VM's paging). The build evicts the small folios its writes left (build_saved). Elsewhere the advice
    // does nothing.
    if (size >= (std::size_t(2) << 20)) {
        (void)::madvise(address, size, MADV_HUGEPAGE);
    }
#endif
    auto mapping = std::make_shared<const Mapping>(address, size, ::fcntl(fd, F_DUPFD_CLOEXEC, 3));
    std::string_view bytes(static_cast<const char*>(address), size);
    if (checked) {
        std::uint64_t sum = 0;
        if (size < sizeof(sum)) {
            return util::fail(util::ErrorKind::parse, std::string(name) + ": damaged search index");
        }
        std::memcpy(&sum, bytes.data() + size - sizeof(sum), sizeof(sum));
        bytes.remove_suffix(sizeof(sum));
        if (checksum(bytes) != sum) {
            return util::fail(util::ErrorKind::parse,
                              std::string(name) + ": damaged search index (checksum)");
        }
    }
    int kept_fd = mapping->fd;
    auto index = from_view(std::move(mapping), bytes, expected, name);
    if (index) {
        index->m_mapped = true;
        index->m_fd = kept_fd;
    }
    return index;
}

util::Result<PackageIndex>
PackageIndex::from_bytes(std::string data, const std::vector<SourceStamp>& expected, std::string_view name) {
    auto storage = std::make_shared<const std::string>(std::move(data));
    std::string_view bytes = *storage;
    return from_view(std::move(storage), bytes, expected, name);
}

util::Result<PackageIndex> PackageIndex::from_view(std::shared_ptr<const void> storage, std::string_view d,
                                                   const std::vector<SourceStamp>& expected,
                                                   std::string_view name) {
    auto damaged = [&] {
        return util::fail(util::ErrorKind::parse, std::string(name) + ": damaged search index");
    };
    if (d.substr(0, k_magic.size()) != k_magic) {
        return damaged();
    }
    std::size_t pos = k_magic.size();
    std::uint32_t stamp_count = 0;
    if (!get(d, pos, stamp_count) || stamp_count > 100000) {
        return damaged();
    }
    // The stamps are compared in place, one by one: no copy of the header either.
    bool same = stamp_count == expected.size();
    for (std::uint32_t i = 0; i < stamp_count; ++i) {
        std::uint32_t len = 0;
        std::int64_t mtime_ns = 0;
        std::uint64_t file_size = 0;
        if (!get(d, pos, len) || d.size() - pos < len) {
            return damaged();
        }
        std::string_view path = d.substr(pos, len);
        pos += len;
        if (!get(d, pos, mtime_ns) || !get(d, pos, file_size)) {
            return damaged();
        }
        same = same && path == expected[i].path && mtime_ns == expected[i].mtime_ns &&
               file_size == expected[i].size;
    }
    if (!same) {
        return util::fail(util::ErrorKind::invalid_input,
                          std::string(name) + ": sources changed since the index was built");
    }
    std::uint64_t count = 0;
    std::uint64_t text_size = 0;
    std::uint64_t hay_size = 0;
    std::uint64_t extra_size = 0;
    std::uint64_t filter_size = 0;
    if (!get(d, pos, count) || !get(d, pos, text_size) || !get(d, pos, hay_size) ||
        !get(d, pos, extra_size) || !get(d, pos, filter_size)) {
        return damaged();
    }
    if (count > (1u << 26) || text_size > d.size() || hay_size > d.size() || extra_size > d.size() ||
        filter_size > d.size() ||
        d.size() - pos != text_size + hay_size + count * 9 + filter_size + extra_size) {
        return damaged();
    }
    // Only the section sizes are checked here (O(1)); the offsets inside the sections are checked where
    // they are read (hit_at, search), so a damaged record costs a missing result, never a bad read.
    if (text_size > 0 && d[pos + text_size - 1] != '\0') {
        return damaged();
    }
    PackageIndex index;
    index.m_storage = std::move(storage);
    index.m_bytes = d;
    index.m_at.count = count;
    index.m_at.text_off = pos;
    index.m_at.hay_off = pos + text_size;
    index.m_at.hay_size = hay_size;
    index.m_at.text_index_off = index.m_at.hay_off + hay_size;
    index.m_at.hay_index_off = index.m_at.text_index_off + count * 4;
    index.m_at.installed_off = index.m_at.hay_index_off + count * 4;
    index.m_at.extra_off = index.m_at.installed_off + count + filter_size;
    if (filter_size > 0) {
        // The block filter: its sizes must describe the section exactly, and its blocks must cover the
        // haystack (a block beyond its bits would never be read: a missing result, not a damaged one).
        std::size_t at = index.m_at.installed_off + count;
        std::uint32_t block = 0;
        std::uint32_t words = 0;
        if (!get(d, at, block) || !get(d, at, words) || block == 0 || words == 0 || words > 64 ||
            filter_size != k_filter_header + (std::uint64_t(1) << k_filter_bucket_bits) * words * 8) {
            return damaged();
        }
        index.m_at.filter_off = at;
        index.m_at.filter_block = block;
        index.m_at.filter_words = words;
    }
    return index;
}

util::Result<void> PackageIndex::save(const std::filesystem::path& file) const {
    return util::write_file_atomic(file, m_bytes);
}

util::Result<void> PackageIndex::save_checked(const std::filesystem::path& file) const {
    std::error_code ec;
    if (file.has_parent_path()) {
        std::filesystem::create_directories(file.parent_path(), ec);
    }
    std::string tmp = util::temp_path_beside(file);
    util::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) {
        return util::fail(util::errno_error(tmp, errno));
    }
    std::uint64_t sum = checksum(m_bytes);
    char trailer[sizeof(sum)];
    std::memcpy(trailer, &sum, sizeof(sum));
    for (std::string_view part : {m_bytes, std::string_view(trailer, sizeof(trailer))}) {
        if (auto written = util::write_all(fd.get(), part, tmp); !written) {
            ::unlink(tmp.c_str());
            return written;
        }
    }
    // No fsync (it cost more than the rest of a status-change search): the checksum stands for it. The old
    // file goes first: renamed over it, ext4 (auto_da_alloc) would flush the new one's data as fsync does;
    // meanwhile a reader finds no file and builds its own.
    (void)::unlink(file.c_str());
    if (::close(fd.release()) != 0 || ::rename(tmp.c_str(), file.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return util::fail(util::errno_error(file.string(), err));
    }
    return util::ok();
}

std::uint32_t PackageIndex::u32_at(std::size_t offset) const {
    std::uint32_t v = 0;
    std::memcpy(&v, m_bytes.data() + offset, 4);
    return v;
}

bool PackageIndex::record_fields(std::size_t record, std::string_view (&field)[k_text_fields],
                                 bool& ascii) const {
    std::string_view text = m_bytes.substr(m_at.text_off, m_at.hay_off - m_at.text_off);
    std::size_t pos = u32_at(m_at.text_index_off + record * 4);
    if (pos >= text.size()) {
        return false; // a damaged offset
    }
    ascii = split_fields(text, pos, field);
    return true;
}

bool PackageIndex::hit_at(std::size_t record, SearchHit& hit) const {
    std::string_view field[k_text_fields];
    bool ascii = false;
    if (!record_fields(record, field, ascii)) {
        return false;
    }
    const auto [name, version, summary, installed_version, candidate, kind] = field;
    // The load boundary: a cache file is data like any other and is sanitized again. An empty field (most
    // records have no installed version and no kind) needs no sanitizer, nor a record of printable ASCII.
    auto set = [ascii](std::string& field, std::string_view text) {
        if (text.empty()) {
            field.clear(); // most records have no installed version and no kind
        } else if (ascii || util::is_terminal_safe(text)) {
            // Into the string's own storage when it has room; clear and append, not assign, whose general
            // replace (overlap checks) was 5 % of a broad search's instructions.
            field.clear();
            field.append(text);
        } else {
            field = sanitize_index_field(text);
        }
    };
    set(hit.name, name);
    set(hit.version, version);
    set(hit.description, summary);
    hit.installed = m_bytes[m_at.installed_off + record] != '\0';
    set(hit.installed_version, installed_version);
    set(hit.candidate, candidate);
    set(hit.kind, kind);
    return true;
}

bool PackageIndex::view_at(std::size_t record, HitView& hit, std::string (&store)[5]) const {
    std::string_view field[k_text_fields];
    bool ascii = false;
    if (!record_fields(record, field, ascii)) {
        return false;
    }
    // Sanitized as hit_at sanitizes, into `store` when the sanitizer changes a field.
    auto shown = [ascii](std::string_view text, std::string& store) {
        if (ascii || text.empty() || util::is_terminal_safe(text)) {
            return text;
        }
        store = sanitize_index_field(text);
        return std::string_view(store);
    };
    hit.name = shown(field[0], store[0]);
    hit.version = shown(field[1], store[1]);
    hit.description = shown(field[2], store[2]);
    hit.kind = shown(field[5], store[3]);
    hit.installed = m_bytes[m_at.installed_off + record] != '\0';
    hit.installed_version = shown(field[3], store[4]);
    return true;
}

std::size_t PackageIndex::record_for_hay_offset(std::size_t offset, std::size_t from) const {
    const char* base = m_bytes.data() + m_at.hay_index_off;
    auto start_of = [&](std::size_t record) {
        std::uint32_t v = 0;
        std::memcpy(&v, base + record * 4, 4);
        return v;
    };
    std::size_t lo = 0;
    std::size_t hi = m_at.count;
    // The scan's matches come in haystack order, each at or after the record of the one before: from
    // there, steps of 1, 2, 4, ... records bound the answer before the binary search, so a dense result
    // ("lib": 31k hits in 64k records) costs a step or two per hit instead of 16 halvings of the table.
    if (from < m_at.count && start_of(from) <= offset) {
        lo = from;
        for (std::size_t step = 1;; step *= 2) {
            if (step >= m_at.count - lo) {
                break;
            }
            if (start_of(lo + step) > offset) {
                hi = lo + step;
                break;
            }
            lo += step;
        }
    }
    while (hi - lo > 1) {
        std::size_t mid = lo + (hi - lo) / 2;
        if (start_of(mid) <= offset) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

bool PackageIndex::make_needle(const SearchQuery& query, std::string& needle) {
    if (query.text.empty()) {
        return false;
    }
    for (char c : query.text) {
        if (static_cast<unsigned char>(c) < 0x20) {
            return false;
        }
    }
    if (query.mode == MatchMode::exact) {
        needle.push_back(k_record_start);
        append_lower(needle, query.text);
        needle.push_back(k_name_end);
    } else {
        append_lower(needle, query.text);
    }
    return true;
}

std::size_t PackageIndex::scan_size(const SearchQuery& query) const {
    std::string needle;
    if (m_at.count == 0 || !make_needle(query, needle)) {
        return 0;
    }
    std::size_t total = 0;
    for (const auto& [from, to] : hay_ranges(needle)) {
        total += to - from;
    }
    return total;
}

std::vector<std::pair<std::size_t, std::size_t>> PackageIndex::hay_ranges(std::string_view needle) const {
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    const std::size_t words = m_at.filter_words;
    if (words == 0 || needle.size() < 3) {
        ranges.emplace_back(0, m_at.hay_size);
        return ranges;
    }
    // The blocks that hold every 3-byte sequence of the needle: the AND of their buckets.
    std::vector<std::uint64_t> blocks(words, ~std::uint64_t(0));
    const auto* n = reinterpret_cast<const unsigned char*>(needle.data());
    for (std::size_t i = 0; i + 2 < needle.size(); ++i) {
        const char* bucket = m_bytes.data() + m_at.filter_off +
                             std::size_t(index_format::filter_bucket(n[i], n[i + 1], n[i + 2])) * words * 8;
        for (std::size_t w = 0; w < words; ++w) {
            std::uint64_t v = 0;
            std::memcpy(&v, bucket + w * 8, 8);
            blocks[w] &= v;
        }
    }
    // A block's bytes run from its first record's start to the next block's (the last block: to the end).
    std::size_t hint = 0;
    auto first_start_from = [&](std::size_t offset) {
        if (offset >= m_at.hay_size) {
            return m_at.hay_size;
        }
        std::size_t record = record_for_hay_offset(offset, hint);
        hint = record;
        std::size_t start = u32_at(m_at.hay_index_off + record * 4);
        if (start < offset) {
            start = record + 1 < m_at.count ? u32_at(m_at.hay_index_off + (record + 1) * 4) : m_at.hay_size;
        }
        return std::min(start, m_at.hay_size);
    };
    const std::size_t block = m_at.filter_block;
    const std::size_t last = words * 64 - 1;
    for (std::size_t b = 0; b <= last && b * block < m_at.hay_size; ++b) {
        if (((blocks[b / 64] >> (b % 64)) & 1) == 0) {
            continue;
        }
        std::size_t begin = first_start_from(b * block);
        const std::size_t end = b == last ? m_at.hay_size : first_start_from((b + 1) * block);
        if (!ranges.empty()) {
            begin = std::max(begin, ranges.back().second); // damaged offsets never make ranges overlap
        }
        if (begin >= end) {
            continue;
        }
        if (!ranges.empty() && ranges.back().second == begin) {
            ranges.back().second = end;
        } else {
            ranges.emplace_back(begin, end);
        }
    }
    return ranges;
}

void PackageIndex::search_refs(const SearchQuery& query,
                               const std::function<bool(const HitRef&)>& emit) const {
    if (m_at.count == 0) {
        return;
    }
    std::string needle;
    if (!make_needle(query, needle)) {
        return;
    }
    const char* hay = m_bytes.data() + m_at.hay_off;
    std::size_t text_size = m_at.hay_off - m_at.text_off;
    // Scans `window`, the haystack's bytes from `window_off` on, made of whole records (a match never spans
    // two: each starts with k_record_start, which a needle holds only as its first byte). False: stop.
    std::size_t previous = 0; // the record of the last match: the next one is at or after it
    auto scan = [&](std::string_view window, std::size_t window_off) {
        std::size_t pos = 0;
        while (pos < window.size()) {
            std::size_t found = util::find_bytes(window.substr(pos), needle);
            if (found == std::string_view::npos) {
                return true;
            }
            std::size_t at = window_off + pos + found;
            std::size_t record = record_for_hay_offset(at, previous);
            previous = record;
            std::size_t start = u32_at(m_at.hay_index_off + record * 4);
            std::size_t next =
                record + 1 < m_at.count ? u32_at(m_at.hay_index_off + (record + 1) * 4) : m_at.hay_size;
            // The record's bounds as the file states them: a damaged index (offsets out of order or out of
            // the haystack or the window) ends the search with what was found.
            if (start > at || next <= at || next > m_at.hay_size || start < window_off ||
                next - window_off > window.size() || window[start - window_off] != k_record_start) {
                return false;
            }
            // A damaged text offset: the record is skipped (hit_from could not read it).
            if (u32_at(m_at.text_index_off + record * 4) < text_size) {
                HitRef ref;
                ref.record = static_cast<std::uint32_t>(record);
                // The first occurrence in a record comes from its name or description when they match at
                // all: an occurrence after the first provides separator is a match by a provided name only.
                std::string_view rec = window.substr(start - window_off, next - start);
                std::size_t rel = at - start;
                std::size_t first_provides = rec.find(k_provides);
                if (first_provides != std::string_view::npos && rel > first_provides) {
                    std::size_t begin = rec.rfind(k_provides, rel) + 1;
                    std::size_t end = rec.find(k_provides, rel);
                    ref.reason_at = static_cast<std::uint32_t>(start + begin);
                    ref.reason_len = static_cast<std::uint32_t>(
                        (end == std::string_view::npos ? rec.size() : end) - begin);
                }
                if (!emit(ref)) {
                    return false;
                }
            }
            pos = next - window_off;
        }
        return true;
    };
    const auto ranges = hay_ranges(needle);
    if (!m_mapped || m_fd < 0) {
        for (const auto& [from, to] : ranges) {
            if (!scan(std::string_view(hay + from, to - from), from)) {
                return;
            }
        }
        return;
    }
    // A mapped index reads its haystack with pread into one buffer, ~64 KiB at a time cut at record
    // starts, instead of through the mapping: touching 10 MB of mapped pages cost each warm search a page
    // fault per 64 KiB and, in a VM with shadow page tables, a trap per 4 KiB page (bench/README.md: the
    // scan took most of a warm search there), while the copy costs ~0.1 ms per MB. The records hit are
    // still read through the mapping; the resident memory of a search stays the buffer.
    static constexpr std::size_t k_window = std::size_t(64) << 10;
    std::string buffer;
    buffer.reserve(2 * k_window); // windows end at record starts, a little past k_window: no regrowth
    for (const auto& [from, to] : ranges) {
        std::size_t begin = from;
        while (begin < to) {
            std::size_t end = to;
            // Cut a window at a record start past k_window only when what remains is more than half a
            // window longer: a block of the filter (64 KiB and a record) is then one read, not two.
            if (end - begin > k_window + k_window / 2) {
                std::size_t record = record_for_hay_offset(begin + k_window, previous);
                end = u32_at(m_at.hay_index_off + record * 4);
                if (end <= begin || end > to) {
                    // One record longer than a window (or damaged offsets): the window takes it whole.
                    end = record + 1 < m_at.count ? u32_at(m_at.hay_index_off + (record + 1) * 4) : to;
                    end = end <= begin || end > to ? to : end;
                }
            }
            buffer.resize(end - begin);
            std::size_t have = 0;
            while (have < buffer.size()) {
                ssize_t n = ::pread(m_fd, buffer.data() + have, buffer.size() - have,
                                    static_cast<off_t>(m_at.hay_off + begin + have));
                if (n < 0 && errno == EINTR) {
                    continue;
                }
                if (n <= 0) {
                    break;
                }
                have += static_cast<std::size_t>(n);
            }
            if (have < buffer.size()) {
                // The file cannot be read (it was truncated in place, which load() rules out): the
                // mapping's bytes, as before.
                (void)scan(std::string_view(hay + begin, to - begin), begin);
                return;
            }
            if (!scan(buffer, begin)) {
                return;
            }
            begin = end;
        }
    }
}

void PackageIndex::fill_hit(const HitRef& ref, SearchHit& hit) const {
    if (!hit_at(ref.record, hit)) {
        hit = SearchHit{}; // a damaged offset: an empty hit, also when `hit` held another one
    }
    if (ref.reason_len != 0) {
        hit.match_reason = "provides " + sanitize_index_field(std::string_view(
                                             m_bytes.data() + m_at.hay_off + ref.reason_at, ref.reason_len));
    } else {
        hit.match_reason.clear();
    }
}

std::string_view PackageIndex::summary_of(std::size_t record) const {
    std::string_view text = m_bytes.substr(m_at.text_off, m_at.hay_off - m_at.text_off);
    std::size_t pos = u32_at(m_at.text_index_off + record * 4);
    if (pos >= text.size()) {
        return {};
    }
    std::string_view field[3]; // the name, the version, the summary
    (void)split_fields(text, pos, field);
    return field[2];
}

SearchHit PackageIndex::hit_from(const HitRef& ref) const {
    SearchHit hit;
    fill_hit(ref, hit);
    return hit;
}

std::string_view PackageIndex::shown_name(std::size_t record, std::string& store) const {
    std::string_view text = m_bytes.substr(m_at.text_off, m_at.hay_off - m_at.text_off);
    std::string_view name[1];
    if (split_fields(text, u32_at(m_at.text_index_off + record * 4), name) ||
        util::is_terminal_safe(name[0])) {
        return name[0]; // as stored (nearly always): no copy
    }
    store = sanitize_index_field(name[0]);
    return store;
}

util::Result<std::filesystem::path> index_path(std::string_view manager,
                                               const std::filesystem::path& root_dir) {
    auto dir = util::cache_dir();
    if (!dir) {
        return util::fail(std::move(dir).error());
    }
    std::size_t h = std::hash<std::string>{}(std::filesystem::absolute(root_dir).lexically_normal().string());
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016zx", h);
    return *dir / "search" / (std::string(manager) + "-" + hex + ".idx");
}

util::Result<PackageIndex>
load_or_build_index(const std::filesystem::path& cache_file, std::vector<SourceStamp> stamps,
                    const std::function<util::Result<std::vector<IndexRecord>>()>& records) {
    if (!cache_file.empty()) {
        if (auto cached = PackageIndex::load(cache_file, stamps)) {
            return cached;
        }
    }
    auto built = records();
    if (!built) {
        return util::fail(std::move(built).error());
    }
    PackageIndex index = PackageIndex::build(std::move(*built), std::move(stamps));
    if (!cache_file.empty()) {
        (void)index.save(cache_file);
    }
    return index;
}

} // namespace zsyncctl::pkg
