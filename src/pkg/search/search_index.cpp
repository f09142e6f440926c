#include "pkg/search/search_index.hpp"

#include "util/sanitize.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wctype.h>

#include "util/fs.hpp"

namespace zsyncctl::pkg {

namespace {

constexpr std::string_view k_magic = "ZSIDX004";
constexpr char k_record_start = '\x02';
constexpr char k_name_end = '\x01';
constexpr char k_provides = '\x03';
constexpr std::size_t k_text_fields = 6; // name, version, summary, installed version, candidate, kind

template <typename T>
void put(std::string& out, T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out.append(bytes, sizeof(T));
}

template <typename T>
bool get(std::string_view data, std::size_t& pos, T& value) {
    if (data.size() - pos < sizeof(T) || pos > data.size()) {
        return false;
    }
    std::memcpy(&value, data.data() + pos, sizeof(T));
    pos += sizeof(T);
    return true;
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

std::string_view cstr_at(std::string_view data, std::size_t pos) {
    if (pos >= data.size()) {
        return {};
    }
    std::size_t end = data.find('\0', pos);
    return data.substr(pos, (end == std::string_view::npos ? data.size() : end) - pos);
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
    locale_t loc = utf8_locale();
    for (std::size_t i = 0; i < text.size();) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            // The separators must not occur inside a record's text.
            char ch = static_cast<char>(c);
            out.push_back((ch == k_record_start || ch == k_name_end || ch == k_provides) ? ' ' : lower(ch));
            ++i;
            continue;
        }
        auto [cp, len] = decode_utf8(text, i);
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

PackageIndex PackageIndex::build(std::vector<IndexRecord> records, std::vector<SourceStamp> stamps) {
    std::sort(records.begin(), records.end(),
              [](const IndexRecord& a, const IndexRecord& b) { return a.name < b.name; });
    static_assert(k_text_fields == 6);
    std::string text;
    std::string hay;
    std::vector<std::uint32_t> text_index;
    std::vector<std::uint32_t> hay_index;
    std::string installed;
    text_index.reserve(records.size());
    hay_index.reserve(records.size());
    for (auto& r : records) {
        // The boundary: every field of every native reader is sanitized once, here (and again on load).
        r.name = sanitize_index_field(r.name);
        r.version = sanitize_index_field(r.version);
        r.summary = sanitize_index_field(r.summary);
        r.long_text = sanitize_index_field(r.long_text, true);
        r.installed_version = sanitize_index_field(r.installed_version);
        r.candidate = sanitize_index_field(r.candidate);
        r.kind = sanitize_index_field(r.kind);
        text_index.push_back(static_cast<std::uint32_t>(text.size()));
        for (const std::string* field :
             {&r.name, &r.version, &r.summary, &r.installed_version, &r.candidate, &r.kind}) {
            text.append(*field);
            text.push_back('\0');
        }
        hay_index.push_back(static_cast<std::uint32_t>(hay.size()));
        hay.push_back(k_record_start);
        append_lower(hay, r.name);
        hay.push_back(k_name_end);
        append_lower(hay, r.summary);
        if (!r.long_text.empty()) {
            hay.push_back('\n');
            append_lower(hay, r.long_text);
        }
        for (const auto& p : r.provides) {
            hay.push_back(k_provides);
            append_lower(hay, sanitize_index_field(p));
        }
        installed.push_back(r.installed ? '\1' : '\0');
    }

    PackageIndex index;
    std::string& out = index.m_data;
    out.reserve(64 + text.size() + hay.size() + records.size() * 9);
    out.append(k_magic);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(stamps.size()));
    for (const auto& s : stamps) {
        put<std::uint32_t>(out, static_cast<std::uint32_t>(s.path.size()));
        out.append(s.path);
        put<std::int64_t>(out, s.mtime_ns);
        put<std::uint64_t>(out, s.size);
    }
    put<std::uint64_t>(out, records.size());
    put<std::uint64_t>(out, text.size());
    put<std::uint64_t>(out, hay.size());
    index.m_count = records.size();
    index.m_text_off = out.size();
    out.append(text);
    index.m_hay_off = out.size();
    index.m_hay_size = hay.size();
    out.append(hay);
    index.m_text_index_off = out.size();
    out.append(reinterpret_cast<const char*>(text_index.data()), text_index.size() * sizeof(std::uint32_t));
    index.m_hay_index_off = out.size();
    out.append(reinterpret_cast<const char*>(hay_index.data()), hay_index.size() * sizeof(std::uint32_t));
    index.m_installed_off = out.size();
    out.append(installed);
    return index;
}

util::Result<PackageIndex> PackageIndex::load(const std::filesystem::path& file,
                                              const std::vector<SourceStamp>& expected) {
    // One read into a buffer of the file's size: the index is large (MBs) and read on every search.
    // O_NONBLOCK: a FIFO planted where the index belongs must not block the open; it is then refused.
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return util::fail(util::errno_error(file.string(), errno));
    }
    struct stat st {};
    PackageIndex index;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 || st.st_size > (1 << 30)) {
        ::close(fd);
        return util::fail(util::ErrorKind::io, file.string() + ": unreadable search index");
    }
    index.m_data.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < index.m_data.size()) {
        ssize_t n = ::read(fd, index.m_data.data() + got, index.m_data.size() - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    index.m_data.resize(got);
    return from_bytes(std::move(index.m_data), expected, file.string());
}

util::Result<PackageIndex>
PackageIndex::from_bytes(std::string data, const std::vector<SourceStamp>& expected, std::string_view name) {
    PackageIndex index;
    index.m_data = std::move(data);
    std::string_view d = index.m_data;
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
    std::vector<SourceStamp> stamps;
    for (std::uint32_t i = 0; i < stamp_count; ++i) {
        std::uint32_t len = 0;
        SourceStamp s;
        if (!get(d, pos, len) || d.size() - pos < len) {
            return damaged();
        }
        s.path.assign(d.substr(pos, len));
        pos += len;
        if (!get(d, pos, s.mtime_ns) || !get(d, pos, s.size)) {
            return damaged();
        }
        stamps.push_back(std::move(s));
    }
    if (stamps != expected) {
        return util::fail(util::ErrorKind::invalid_input,
                          std::string(name) + ": sources changed since the index was built");
    }
    std::uint64_t count = 0;
    std::uint64_t text_size = 0;
    std::uint64_t hay_size = 0;
    if (!get(d, pos, count) || !get(d, pos, text_size) || !get(d, pos, hay_size)) {
        return damaged();
    }
    std::uint64_t need = text_size + hay_size + count * 9;
    if (count > (1u << 26) || text_size > d.size() || hay_size > d.size() || d.size() - pos != need) {
        return damaged();
    }
    index.m_count = count;
    index.m_text_off = pos;
    index.m_hay_off = pos + text_size;
    index.m_hay_size = hay_size;
    index.m_text_index_off = index.m_hay_off + hay_size;
    index.m_hay_index_off = index.m_text_index_off + count * 4;
    index.m_installed_off = index.m_hay_index_off + count * 4;
    // Offsets must stay inside their sections and grow, or a damaged file could send search out of bounds.
    std::uint32_t prev_text = 0;
    std::uint32_t prev_hay = 0;
    for (std::size_t i = 0; i < count; ++i) {
        std::uint32_t t = 0;
        std::uint32_t h = 0;
        std::memcpy(&t, d.data() + index.m_text_index_off + i * 4, 4);
        std::memcpy(&h, d.data() + index.m_hay_index_off + i * 4, 4);
        if (t >= text_size || h >= hay_size || t < prev_text || h < prev_hay || (i > 0 && h == prev_hay) ||
            d[index.m_hay_off + h] != k_record_start) {
            return damaged();
        }
        prev_text = t;
        prev_hay = h;
    }
    if (text_size > 0 && d[index.m_text_off + text_size - 1] != '\0') {
        return damaged();
    }
    return index;
}

util::Result<void> PackageIndex::save(const std::filesystem::path& file) const {
    return util::write_file_atomic(file, m_data);
}

SearchHit PackageIndex::hit_at(std::size_t record) const {
    std::string_view d = m_data;
    std::uint32_t t = 0;
    std::memcpy(&t, d.data() + m_text_index_off + record * 4, 4);
    std::string_view text = d.substr(m_text_off, m_hay_off - m_text_off);
    SearchHit hit;
    std::size_t pos = t;
    std::string_view name = cstr_at(text, pos);
    pos += name.size() + 1;
    std::string_view version = cstr_at(text, pos);
    pos += version.size() + 1;
    std::string_view summary = cstr_at(text, pos);
    pos += summary.size() + 1;
    std::string_view installed_version = cstr_at(text, pos);
    pos += installed_version.size() + 1;
    std::string_view candidate = cstr_at(text, pos);
    pos += candidate.size() + 1;
    std::string_view kind = cstr_at(text, pos);
    // The load boundary: a cache file is data like any other and is sanitized again.
    hit.name = sanitize_index_field(name);
    hit.version = sanitize_index_field(version);
    hit.description = sanitize_index_field(summary);
    hit.installed = d[m_installed_off + record] != '\0';
    hit.installed_version = sanitize_index_field(installed_version);
    hit.candidate = sanitize_index_field(candidate);
    hit.kind = sanitize_index_field(kind);
    return hit;
}

std::size_t PackageIndex::record_for_hay_offset(std::size_t offset) const {
    const char* base = m_data.data() + m_hay_index_off;
    std::size_t lo = 0;
    std::size_t hi = m_count;
    while (hi - lo > 1) {
        std::size_t mid = lo + (hi - lo) / 2;
        std::uint32_t v = 0;
        std::memcpy(&v, base + mid * 4, 4);
        if (v <= offset) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

std::vector<SearchHit> PackageIndex::search(const SearchQuery& query) const {
    std::vector<SearchHit> hits;
    if (m_count == 0 || query.text.empty()) {
        return hits;
    }
    std::string needle;
    for (char c : query.text) {
        if (static_cast<unsigned char>(c) < 0x20) {
            return hits;
        }
    }
    if (query.mode == MatchMode::exact) {
        needle.push_back(k_record_start);
        append_lower(needle, query.text);
        needle.push_back(k_name_end);
    } else {
        append_lower(needle, query.text);
    }
    const char* hay = m_data.data() + m_hay_off;
    std::size_t pos = 0;
    while (pos < m_hay_size) {
        const void* found = ::memmem(hay + pos, m_hay_size - pos, needle.data(), needle.size());
        if (found == nullptr) {
            break;
        }
        std::size_t at = static_cast<std::size_t>(static_cast<const char*>(found) - hay);
        std::size_t record = record_for_hay_offset(at);
        std::size_t next = m_hay_size;
        if (record + 1 < m_count) {
            std::uint32_t n = 0;
            std::memcpy(&n, m_data.data() + m_hay_index_off + (record + 1) * 4, 4);
            next = n;
        }
        SearchHit hit = hit_at(record);
        // The first occurrence in a record comes from its name or description when they match at all:
        // an occurrence after the first provides separator is a match by a provided name only.
        std::uint32_t start = 0;
        std::memcpy(&start, m_data.data() + m_hay_index_off + record * 4, 4);
        std::string_view rec(hay + start, next > start ? next - start : 0);
        std::size_t rel = at - start;
        std::size_t first_provides = rec.find(k_provides);
        if (first_provides != std::string_view::npos && rel > first_provides) {
            std::size_t begin = rec.rfind(k_provides, rel) + 1;
            std::size_t end = rec.find(k_provides, rel);
            hit.match_reason =
                "provides " + sanitize_index_field(rec.substr(
                                  begin, (end == std::string_view::npos ? rec.size() : end) - begin));
        }
        hits.push_back(std::move(hit));
        if (query.limit != 0 && hits.size() >= query.limit) {
            break;
        }
        if (record + 1 >= m_count) {
            break;
        }
        pos = next;
    }
    return hits;
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
