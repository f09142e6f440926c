// PackageIndex's writer: the records laid out in the index format, either in one buffer (build) or
// straight into the index file through two small buffers (build_saved), so that a cold build never holds
// the finished index beside the text its records point into. Both write the same bytes.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pkg/search/search_index.hpp"
#include "pkg/search/search_index_format.hpp"
#include "util/fs.hpp"

namespace zsyncctl::pkg {

namespace {

using namespace index_format;

// True when `text` needs the sanitizer: a control character (but '\n' when `keep_newlines`), DEL, or any
// byte above ASCII (the sanitizer decides about those). Most fields are plain ASCII and are kept as they
// are, without a copy.
bool needs_sanitizing(std::string_view text, bool keep_newlines) {
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && !(keep_newlines && c == '\n')) || c >= 0x7f) {
            return true;
        }
    }
    return false;
}

// `field` as stored: itself when clean (nearly always), else its sanitized form kept in `store`.
std::string_view clean_field(std::string_view field, std::deque<std::string>& store,
                             bool keep_newlines = false) {
    if (!needs_sanitizing(field, keep_newlines)) {
        return field;
    }
    return store.emplace_back(sanitize_index_field(field, keep_newlines));
}

// The records sorted and sanitized as the index stores them, with the exact size of the text section and
// an upper bound of the haystack's (reserved, never regrown, in a buffer build).
struct Prepared {
    std::deque<std::string> store; // the sanitized forms of the few unclean fields
    std::size_t text_size = 0;
    std::size_t hay_estimate = 0;
};

void prepare(std::vector<IndexRecordView>& records, Prepared& p) {
    // Sorted by the name as shown (sanitized), which is the order an overlaid search merges in.
    for (auto& r : records) {
        r.name = clean_field(r.name, p.store);
    }
    std::stable_sort(records.begin(), records.end(),
                     [](const IndexRecordView& a, const IndexRecordView& b) { return a.name < b.name; });
    static_assert(k_text_fields == 6);
    // The boundary: every field of every native reader is sanitized once, here (and again on load); a
    // clean field (nearly all) is not copied.
    for (auto& r : records) {
        r.version = clean_field(r.version, p.store);
        r.summary = clean_field(r.summary, p.store);
        r.long_text = clean_field(r.long_text, p.store, true);
        r.installed_version = clean_field(r.installed_version, p.store);
        r.candidate = clean_field(r.candidate, p.store);
        r.kind = clean_field(r.kind, p.store);
        p.text_size += r.name.size() + r.version.size() + r.summary.size() + r.installed_version.size() +
                       r.candidate.size() + r.kind.size() + k_text_fields;
        p.hay_estimate += r.name.size() + r.summary.size() + r.long_text.size() + 3;
        for (const auto& pr : r.provides) {
            p.hay_estimate += pr.size() + 1;
        }
    }
}

// Where the index goes. Buffer mode (no file): `main` is the whole index, the text section laid out at its
// exact size and filled in place. File mode: `main` and `text` hold only what is not yet written; the text
// section is written at its offset, everything else (header, haystack, tables) appended behind it.
class IndexOut {
public:
    static constexpr std::size_t k_flush = std::size_t(1) << 20;

    explicit IndexOut(std::string& main, int fd = -1) : m_main(main), m_fd(fd) {}

    // The buffer the main stream is appended to (what `size()` counts beyond the written part).
    std::string& main() { return m_main; }
    // The main stream's length so far, written or not.
    std::uint64_t size() const { return m_flushed + m_main.size(); }
    // The text section starts here and is `text_size` long; the main stream continues behind it.
    void begin_text(std::size_t text_size) {
        m_text_at = size();
        if (m_fd < 0) {
            m_main.resize(m_main.size() + text_size);
            return;
        }
        flush_main(true);
        m_flushed += text_size;
    }
    // One text field and its terminating NUL.
    void put_text(std::string_view field) {
        if (m_fd < 0) {
            if (!field.empty()) { // an empty view may hold no pointer: memcpy's source must not be null
                std::memcpy(m_main.data() + m_text_at, field.data(), field.size());
                m_text_at += field.size();
            }
            m_main[m_text_at++] = '\0';
            return;
        }
        m_text.append(field);
        m_text.push_back('\0');
        if (m_text.size() >= k_flush) {
            flush_text();
        }
    }
    // File mode: writes the main stream's buffer once it is large (`force`: whatever it holds).
    void flush_main(bool force = false) {
        if (m_fd >= 0 && (force || m_main.size() >= k_flush)) {
            write_at(m_flushed, m_main);
            m_flushed += m_main.size();
            m_main.clear();
        }
    }
    // Overwrites bytes already placed at `offset` of the main stream.
    void patch(std::uint64_t offset, std::string_view bytes) {
        if (offset >= m_flushed) {
            std::memcpy(m_main.data() + (offset - m_flushed), bytes.data(), bytes.size());
        } else {
            write_at(offset, bytes);
        }
    }
    // File mode: everything written; 0, or the errno of the first failed write.
    int finish() {
        flush_text();
        flush_main(true);
        return m_error;
    }

private:
    void flush_text() {
        write_at(m_text_at, m_text);
        m_text_at += m_text.size();
        m_text.clear();
    }
    void write_at(std::uint64_t offset, std::string_view data) {
        while (!data.empty() && m_error == 0) {
            ssize_t n = ::pwrite(m_fd, data.data(), data.size(), static_cast<off_t>(offset));
            if (n < 0) {
                m_error = errno == EINTR ? 0 : errno;
                continue;
            }
            if (n == 0) {
                m_error = EIO;
                break;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
            offset += static_cast<std::uint64_t>(n);
        }
    }

    std::string& m_main;
    int m_fd = -1;
    std::uint64_t m_flushed = 0;
    std::string m_text;
    std::uint64_t m_text_at = 0;
    int m_error = 0;
};

// The block filter (index_format: k_filter_*) as write_index builds it: the current block's buckets as one
// bit each (8 KiB, so marking a record's sequences stays in the cache), folded into the bucket-major table
// when the block ends. No filter for a haystack estimated under k_filter_min_hay.
class FilterBuilder {
public:
    explicit FilterBuilder(std::size_t hay_estimate) {
        plan(hay_estimate, m_block_size, m_words);
        if (m_words > 0) {
            m_table.assign((std::size_t(1) << k_filter_bucket_bits) * m_words, 0);
            m_current.assign((std::size_t(1) << k_filter_bucket_bits) / 64, 0);
        }
    }
    // The block size and words per bucket for a haystack of about `hay_estimate` bytes (words 0: none).
    static void plan(std::size_t hay_estimate, std::size_t& block_size, std::size_t& words) {
        block_size = 0;
        words = 0;
        if (hay_estimate < k_filter_min_hay) {
            return;
        }
        block_size = std::size_t(64) << 10;
        while ((hay_estimate + block_size - 1) / block_size > k_filter_max_blocks) {
            block_size *= 2;
        }
        words = ((hay_estimate + block_size - 1) / block_size + 63) / 64;
    }
    // The section's size in bytes for a haystack of about `hay_estimate` bytes (0: none).
    static std::size_t section_size(std::size_t hay_estimate) {
        std::size_t block_size = 0;
        std::size_t words = 0;
        plan(hay_estimate, block_size, words);
        return words == 0 ? 0
                          : k_filter_header +
                                (std::size_t(1) << k_filter_bucket_bits) * words * sizeof(std::uint64_t);
    }
    std::size_t section_size() const {
        return m_words == 0 ? 0 : k_filter_header + m_table.size() * sizeof(std::uint64_t);
    }
    // Marks the 3-byte sequences of one record, whose haystack bytes `record` start at offset `at`. Records
    // come in haystack order.
    void add(std::size_t at, std::string_view record) {
        if (m_words == 0) {
            return;
        }
        const std::size_t block = std::min(at / m_block_size, m_words * 64 - 1);
        if (block != m_block) {
            fold();
            m_block = block;
        }
        const auto* p = reinterpret_cast<const unsigned char*>(record.data());
        for (std::size_t i = 0; i + 2 < record.size(); ++i) {
            const std::uint32_t bucket = filter_bucket(p[i], p[i + 1], p[i + 2]);
            m_current[bucket / 64] |= std::uint64_t(1) << (bucket % 64);
        }
    }
    // Appends the section to `out`.
    void write(std::string& out) {
        if (m_words == 0) {
            return;
        }
        fold();
        append_raw<std::uint32_t>(out, static_cast<std::uint32_t>(m_block_size));
        append_raw<std::uint32_t>(out, static_cast<std::uint32_t>(m_words));
        out.append(reinterpret_cast<const char*>(m_table.data()), m_table.size() * sizeof(std::uint64_t));
    }
    std::size_t block_size() const { return m_block_size; }
    std::size_t words() const { return m_words; }

private:
    // The current block's marks into the table.
    void fold() {
        const std::uint64_t bit = std::uint64_t(1) << (m_block % 64);
        for (std::size_t w = 0; w < m_current.size(); ++w) {
            for (std::uint64_t bits = m_current[w]; bits != 0; bits &= bits - 1) {
                const std::size_t bucket = w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits));
                m_table[bucket * m_words + m_block / 64] |= bit;
            }
            m_current[w] = 0;
        }
    }

    std::size_t m_block_size = 0;
    std::size_t m_words = 0;
    std::size_t m_block = 0;
    std::vector<std::uint64_t> m_table;
    std::vector<std::uint64_t> m_current;
};

// Where write_index put the sections, relative to the start of the index.
Layout write_index(IndexOut& out, const std::vector<IndexRecordView>& records, const Prepared& prep,
                   const std::vector<SourceStamp>& stamps, std::string_view extra) {
    std::string& buf = out.main();
    append_raw<std::uint32_t>(buf, static_cast<std::uint32_t>(stamps.size()));
    for (const auto& s : stamps) {
        append_raw<std::uint32_t>(buf, static_cast<std::uint32_t>(s.path.size()));
        buf.append(s.path);
        append_raw<std::int64_t>(buf, s.mtime_ns);
        append_raw<std::uint64_t>(buf, s.size);
    }
    append_raw<std::uint64_t>(buf, records.size());
    append_raw<std::uint64_t>(buf, prep.text_size);
    std::size_t hay_size_at = out.size();
    append_raw<std::uint64_t>(buf, 0); // the haystack's size, known at the end
    append_raw<std::uint64_t>(buf, extra.size());
    FilterBuilder filter(prep.hay_estimate);
    append_raw<std::uint64_t>(buf, filter.section_size());

    // The text section's size is known exactly: it is laid out first and filled in place, while the
    // haystack is appended right behind it (no second copy of the haystack, which is most of the index).
    Layout at;
    at.text_off = out.size();
    out.begin_text(prep.text_size);
    at.hay_off = out.size();
    std::vector<std::uint32_t> text_index;
    std::vector<std::uint32_t> hay_index;
    std::string installed;
    text_index.reserve(records.size());
    hay_index.reserve(records.size());
    installed.reserve(records.size());
    std::size_t text_at = 0;
    for (const auto& r : records) {
        text_index.push_back(static_cast<std::uint32_t>(text_at));
        for (std::string_view field :
             {r.name, r.version, r.summary, r.installed_version, r.candidate, r.kind}) {
            out.put_text(field);
            text_at += field.size() + 1;
        }
        const std::size_t record_at = out.size() - at.hay_off;
        const std::size_t record_from = buf.size(); // no flush before the record is whole
        hay_index.push_back(static_cast<std::uint32_t>(record_at));
        buf.push_back(k_record_start);
        append_folded(buf, r.name);
        buf.push_back(k_name_end);
        append_folded(buf, r.summary);
        if (!r.long_text.empty()) {
            buf.push_back('\n');
            append_folded(buf, r.long_text);
        }
        for (std::string_view p : r.provides) {
            buf.push_back(k_provides);
            // Provided names are not sanitized by prepare(): rarely unclean, kept only for this record.
            if (needs_sanitizing(p, false)) {
                append_folded(buf, sanitize_index_field(p));
            } else {
                append_folded(buf, p);
            }
        }
        filter.add(record_at, std::string_view(buf).substr(record_from));
        installed.push_back(r.installed ? '\1' : '\0');
        out.flush_main();
    }

    at.count = text_index.size();
    at.hay_size = out.size() - at.hay_off;
    std::uint64_t hay_size = at.hay_size;
    out.patch(hay_size_at, std::string_view(reinterpret_cast<const char*>(&hay_size), sizeof hay_size));
    at.text_index_off = out.size();
    buf.append(reinterpret_cast<const char*>(text_index.data()), text_index.size() * sizeof(std::uint32_t));
    at.hay_index_off = out.size();
    buf.append(reinterpret_cast<const char*>(hay_index.data()), hay_index.size() * sizeof(std::uint32_t));
    at.installed_off = out.size();
    buf.append(installed);
    out.flush_main();
    if (filter.words() > 0) {
        at.filter_off = out.size() + k_filter_header;
        at.filter_block = filter.block_size();
        at.filter_words = filter.words();
        filter.write(buf);
        out.flush_main();
    }
    at.extra_off = out.size();
    // The extra section (apt's versions: often megabytes) in pieces, so a file build never copies it whole.
    while (!extra.empty()) {
        std::size_t n = std::min(extra.size(), IndexOut::k_flush);
        buf.append(extra.substr(0, n));
        extra.remove_prefix(n);
        out.flush_main();
    }
    return at;
}

std::size_t header_size(const std::vector<SourceStamp>& stamps) {
    std::size_t header = k_magic.size() + 4 + 40;
    for (const auto& s : stamps) {
        header += 4 + s.path.size() + 16;
    }
    return header;
}

} // namespace

PackageIndex PackageIndex::build(std::vector<IndexRecordView>& records, std::vector<SourceStamp> stamps,
                                 std::string_view extra) {
    Prepared prep;
    prepare(records, prep);
    // The file is written in one buffer reserved up front (reserved pages cost no memory until written).
    auto storage = std::make_shared<std::string>();
    std::string& out = *storage;
    out.reserve(header_size(stamps) + prep.text_size + prep.hay_estimate + records.size() * 9 +
                FilterBuilder::section_size(prep.hay_estimate) + extra.size() + 64);
    out.append(k_magic);
    IndexOut sink(out);
    Layout at = write_index(sink, records, prep, stamps, extra);
    PackageIndex index;
    index.m_at = at;
    index.m_bytes = out;
    index.m_storage = std::move(storage);
    return index;
}

PackageIndex PackageIndex::build_saved(std::vector<IndexRecordView>& records, std::vector<SourceStamp> stamps,
                                       std::string_view extra, const std::filesystem::path& file) {
    std::error_code ec;
    if (file.has_parent_path()) {
        std::filesystem::create_directories(file.parent_path(), ec);
    }
    std::string tmp = util::temp_path_beside(file);
    util::UniqueFd fd(::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) {
        return build(records, std::move(stamps), extra);
    }
    Prepared prep;
    prepare(records, prep);
    std::string buf;
    buf.reserve(IndexOut::k_flush + (std::size_t(64) << 10));
    buf.append(k_magic);
    IndexOut sink(buf, fd.get());
    Layout at = write_index(sink, records, prep, stamps, extra);
    std::size_t size = at.extra_off + extra.size(); // the filter section lies before the extra one
    // Written, flushed to disk and renamed over the old file (as util::write_file_atomic does), then mapped
    // from the descriptor written (not reopened by name: a concurrent writer's file is not read back).
    if (sink.finish() == 0 && ::fsync(fd.get()) == 0 && ::rename(tmp.c_str(), file.c_str()) == 0) {
        // Our 1 MiB writes at scattered offsets left the file in small page-cache folios; clean now, they
        // are dropped, so that the mapping below reads it back in 2 MiB ones (PackageIndex::mapped).
        (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
        if (auto index = mapped(fd.get(), size, stamps, file.string())) {
            return std::move(*index);
        }
    } else {
        ::unlink(tmp.c_str());
    }
    // The records are as prepare() left them (sorted, clean): build() finds nothing more to change.
    return build(records, std::move(stamps), extra);
}

} // namespace zsyncctl::pkg
