#include "pkg/search/search_index.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.hpp"

namespace zsyncctl::pkg {

namespace {

constexpr std::string_view k_magic = "ZSIDX002";
constexpr char k_record_start = '\x02';
constexpr char k_name_end = '\x01';

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

void append_lower(std::string& out, std::string_view text) {
    for (char c : text) {
        // The separators must not occur inside a record's text.
        out.push_back((c == k_record_start || c == k_name_end) ? ' ' : lower(c));
    }
}

std::string_view cstr_at(std::string_view data, std::size_t pos) {
    if (pos >= data.size()) {
        return {};
    }
    std::size_t end = data.find('\0', pos);
    return data.substr(pos, (end == std::string_view::npos ? data.size() : end) - pos);
}

} // namespace

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
    std::string text;
    std::string hay;
    std::vector<std::uint32_t> text_index;
    std::vector<std::uint32_t> hay_index;
    std::string installed;
    text_index.reserve(records.size());
    hay_index.reserve(records.size());
    for (const auto& r : records) {
        text_index.push_back(static_cast<std::uint32_t>(text.size()));
        for (const std::string* field : {&r.name, &r.version, &r.summary}) {
            for (char c : *field) {
                text.push_back(c == '\0' ? ' ' : c);
            }
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
    hit.name.assign(name);
    hit.version.assign(version);
    hit.description.assign(summary);
    hit.installed = d[m_installed_off + record] != '\0';
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
        hits.push_back(hit_at(record));
        if (query.limit != 0 && hits.size() >= query.limit) {
            break;
        }
        if (record + 1 >= m_count) {
            break;
        }
        std::uint32_t next = 0;
        std::memcpy(&next, m_data.data() + m_hay_index_off + (record + 1) * 4, 4);
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
