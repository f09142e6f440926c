#include "pkg/search/native/archive_reader.hpp"

// Types and constants only: libarchive is dlopen()ed on first use (load_archive_api), so commands that
// read no archive never pay for it and its dependencies (libxml2, ICU, a shared libstdc++).
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "util/dynlib.hpp"
#include "util/error.hpp"
#include "util/find.hpp"

namespace zsyncctl::pkg {

namespace {

// The libarchive entry points used here, resolved with dlsym. Immutable after loading; any thread.
struct ArchiveApi {
    decltype(&::archive_read_new) read_new;
    decltype(&::archive_read_free) read_free;
    decltype(&::archive_read_support_filter_all) support_filter_all;
    decltype(&::archive_read_support_format_tar) support_format_tar;
    decltype(&::archive_read_support_format_gnutar) support_format_gnutar;
    decltype(&::archive_read_support_format_raw) support_format_raw;
    decltype(&::archive_read_open_fd) open_fd;
    decltype(&::archive_read_next_header) next_header;
    decltype(&::archive_read_data) read_data;
    decltype(&::archive_errno) errno_of;
    decltype(&::archive_error_string) error_string;
    decltype(&::archive_entry_filetype) entry_filetype;
    decltype(&::archive_entry_pathname) entry_pathname;
};

// The soname of libarchive 3.x on every distribution; found through the system's loader paths only.
constexpr const char* k_libarchive = "libarchive.so.13";

using util::resolve_symbol;

util::Result<ArchiveApi> load(const char* library) {
    // RTLD_LOCAL keeps libarchive's symbols (and its dependencies') out of the global namespace.
    void* handle = ::dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = ::dlerror();
        return util::fail(util::ErrorKind::not_found,
                          std::string("cannot load libarchive (") + library +
                              "): " + (why != nullptr ? why : "unknown error"),
                          "install it: apt-get install libarchive13 (dnf install libarchive, pacman -S "
                          "libarchive)");
    }
    ArchiveApi api{};
    std::string missing;
    bool all =
        resolve_symbol(handle, "archive_read_new", api.read_new, missing) &&
        resolve_symbol(handle, "archive_read_free", api.read_free, missing) &&
        resolve_symbol(handle, "archive_read_support_filter_all", api.support_filter_all, missing) &&
        resolve_symbol(handle, "archive_read_support_format_tar", api.support_format_tar, missing) &&
        resolve_symbol(handle, "archive_read_support_format_gnutar", api.support_format_gnutar, missing) &&
        resolve_symbol(handle, "archive_read_support_format_raw", api.support_format_raw, missing) &&
        resolve_symbol(handle, "archive_read_open_fd", api.open_fd, missing) &&
        resolve_symbol(handle, "archive_read_next_header", api.next_header, missing) &&
        resolve_symbol(handle, "archive_read_data", api.read_data, missing) &&
        resolve_symbol(handle, "archive_errno", api.errno_of, missing) &&
        resolve_symbol(handle, "archive_error_string", api.error_string, missing) &&
        resolve_symbol(handle, "archive_entry_filetype", api.entry_filetype, missing) &&
        resolve_symbol(handle, "archive_entry_pathname", api.entry_pathname, missing);
    if (!all) {
        ::dlclose(handle);
        return util::fail(util::ErrorKind::unsupported,
                          std::string("libarchive (") + library + ") lacks the function " + missing,
                          "install a current libarchive: apt-get install libarchive13");
    }
    return api; // stays loaded for the life of the process
}

// Loads libarchive once per process (thread-safe); a failure is remembered and returned again.
util::Result<const ArchiveApi*> archive_api() {
    static std::once_flag once;
    static util::Result<ArchiveApi> loaded = util::fail(util::ErrorKind::internal, "libarchive not loaded");
    std::call_once(once, [] { loaded = load(k_libarchive); });
    if (!loaded) {
        return util::fail(loaded.error());
    }
    return &*loaded;
}

// Frees the archive, then closes the descriptor it read (libarchive leaves an fd it was given open).
struct ArchiveDeleter {
    const ArchiveApi* api;
    int fd = -1;
    void operator()(archive* a) const {
        api->read_free(a);
        if (fd >= 0) {
            ::close(fd);
        }
    }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

util::Failure archive_failure(const ArchiveApi& api, archive* a, const std::filesystem::path& path) {
    int err = api.errno_of(a);
    const char* text = api.error_string(a);
    std::string detail = text ? text : "unreadable archive";
    if (err == ENOENT || err == EACCES || err == EPERM) {
        return util::fail(util::errno_error(path.string(), err));
    }
    return util::fail(util::ErrorKind::io, path.string() + ": " + detail);
}

// Opens `path` for reading without following it into anything but a regular file: O_NONBLOCK, so a FIFO
// planted in a database's place cannot block the open (libarchive's own open did, for ever), then fstat;
// a FIFO, device, socket or directory is refused. The caller owns the descriptor.
util::Result<int> open_regular(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        return util::fail(util::errno_error(path.string(), errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return util::fail(util::ErrorKind::io, path.string() + ": not a regular file, not read");
    }
    return fd;
}

util::Result<ArchivePtr> open_archive(const std::filesystem::path& path, bool tar) {
    auto loaded = archive_api();
    if (!loaded) {
        return util::fail(std::move(loaded).error());
    }
    const ArchiveApi& api = **loaded;
    auto fd = open_regular(path);
    if (!fd) {
        return util::fail(std::move(fd).error());
    }
    ArchivePtr a(api.read_new(), ArchiveDeleter{&api, *fd});
    if (!a) {
        ::close(*fd);
        return util::fail(util::ErrorKind::internal, "libarchive: out of memory");
    }
    api.support_filter_all(a.get());
    if (tar) {
        api.support_format_tar(a.get());
        api.support_format_gnutar(a.get());
    } else {
        api.support_format_raw(a.get());
    }
    if (api.open_fd(a.get(), *fd, 1 << 16) != ARCHIVE_OK) {
        return archive_failure(api, a.get(), path);
    }
    return a;
}

} // namespace

bool looks_compressed(const std::filesystem::path& path, std::string_view head) {
    static constexpr std::string_view k_suffixes[] = {".gz", ".Z",   ".bz2", ".xz", ".lzma",
                                                      ".lz", ".zst", ".lz4", ".lzo"};
    const std::string name = path.filename().string();
    for (std::string_view suffix : k_suffixes) {
        if (name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            return true;
        }
    }
    static constexpr std::string_view k_magic[] = {std::string_view("\x1f\x8b", 2),
                                                   std::string_view("\x1f\x9d", 2),
                                                   std::string_view("BZh", 3),
                                                   std::string_view("\xfd"
                                                                    "7zXZ\x00",
                                                                    6),
                                                   std::string_view("\x5d\x00\x00", 3),
                                                   std::string_view("LZIP", 4),
                                                   std::string_view("\x28\xb5\x2f\xfd", 4),
                                                   std::string_view("\x04\x22\x4d\x18", 4),
                                                   std::string_view("\x02\x21\x4c\x18", 4),
                                                   std::string_view("\x89LZO", 4)};
    for (std::string_view magic : k_magic) {
        if (head.substr(0, magic.size()) == magic) {
            return true;
        }
    }
    return false;
}

namespace {

// One read(2) into `buffer`, again after EINTR.
ssize_t read_some(int fd, std::string& buffer) {
    ssize_t n = 0;
    do {
        n = ::read(fd, buffer.data(), buffer.size());
    } while (n < 0 && errno == EINTR);
    return n;
}

// Streams a plain (uncompressed) file to `sink` in 256 KiB chunks and returns the result; an error for
// anything but a regular file; nullopt when it looks compressed (or cannot be opened: libarchive then
// says why, as before).
std::optional<util::Result<void>> read_if_plain(const std::filesystem::path& path,
                                                const std::function<bool(std::string_view chunk)>& sink) {
    auto opened = open_regular(path);
    if (!opened) {
        if (opened.error().kind == util::ErrorKind::io) {
            return util::Result<void>(util::fail(std::move(opened).error()));
        }
        return std::nullopt; // cannot be opened: open_archive says why
    }
    int fd = *opened;
    std::string buffer(1 << 18, '\0');
    ssize_t n = read_some(fd, buffer);
    if (n < 0 || looks_compressed(path, std::string_view(buffer.data(), static_cast<std::size_t>(n)))) {
        ::close(fd);
        return std::nullopt;
    }
    while (n > 0) {
        if (!sink(std::string_view(buffer.data(), static_cast<std::size_t>(n)))) {
            ::close(fd);
            return util::Result<void>(util::ok());
        }
        n = read_some(fd, buffer);
    }
    int error = n < 0 ? errno : 0;
    ::close(fd);
    if (error != 0) {
        return util::Result<void>(util::fail(util::errno_error(path.string(), error)));
    }
    return util::Result<void>(util::ok());
}

} // namespace

util::Result<void> read_decompressed(const std::filesystem::path& path,
                                     const std::function<bool(std::string_view chunk)>& sink) {
    // libarchive refuses a zero-byte file ("Unrecognized archive format"); dpkg and apt read it as empty.
    std::error_code size_ec;
    if (std::filesystem::is_regular_file(path, size_ec) && std::filesystem::file_size(path, size_ec) == 0 &&
        !size_ec) {
        return util::ok();
    }
    // A file that is plain text (dpkg's status, an uncompressed Packages list) is read as it is: loading
    // libarchive for it would load libxml2 and ICU too (3-4 ms of `pkg list -m apt`'s 12).
    if (auto plain = read_if_plain(path, sink)) {
        return std::move(*plain);
    }
    auto opened = open_archive(path, false);
    if (!opened) {
        return util::fail(std::move(opened).error());
    }
    const ArchiveApi& api = *opened->get_deleter().api;
    archive* a = opened->get();
    archive_entry* header = nullptr;
    int rc = api.next_header(a, &header);
    if (rc == ARCHIVE_EOF) {
        return util::ok(); // an empty file
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        return archive_failure(api, a, path);
    }
    std::string buffer(1 << 18, '\0');
    while (true) {
        la_ssize_t n = api.read_data(a, buffer.data(), buffer.size());
        if (n == 0) {
            return util::ok();
        }
        if (n < 0) {
            return archive_failure(api, a, path);
        }
        if (!sink(std::string_view(buffer.data(), static_cast<std::size_t>(n)))) {
            return util::ok();
        }
    }
}

util::Result<void> for_each_tar_entry(const std::filesystem::path& path,
                                      const std::function<bool(std::string_view entry_path)>& wanted,
                                      const std::function<void(std::string_view, std::string_view)>& entry,
                                      const TarLimits& limits) {
    auto opened = open_archive(path, true);
    if (!opened) {
        return util::fail(std::move(opened).error());
    }
    const ArchiveApi& api = *opened->get_deleter().api;
    archive* a = opened->get();
    auto cancelled = [&] {
        return util::fail(util::ErrorKind::cancelled, "cancelled while reading " + path.string());
    };
    std::uint64_t total = 0;
    std::string contents;
    char buf[1 << 14];
    while (true) {
        if (limits.keep_going && !limits.keep_going()) {
            return cancelled();
        }
        archive_entry* header = nullptr;
        int rc = api.next_header(a, &header);
        if (rc == ARCHIVE_EOF) {
            return util::ok();
        }
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            return archive_failure(api, a, path);
        }
        if (api.entry_filetype(header) != AE_IFREG) {
            continue;
        }
        const char* name = api.entry_pathname(header);
        std::string saved_path(name ? name : "");
        // A skipped entry is read too (not left to libarchive's skip on the next header), so that its
        // bytes count towards the total and the walk can stop inside it.
        const bool keep = wanted(saved_path);
        contents.clear();
        while (true) {
            la_ssize_t n = api.read_data(a, buf, sizeof buf);
            if (n == 0) {
                break;
            }
            if (n < 0) {
                return archive_failure(api, a, path);
            }
            total += static_cast<std::uint64_t>(n);
            if (total > limits.max_total) {
                return util::fail(util::ErrorKind::io, path.string() + ": more than " +
                                                           std::to_string(limits.max_total >> 20) +
                                                           " MiB decompressed; not a package database");
            }
            if (limits.keep_going && !limits.keep_going()) {
                return cancelled();
            }
            if (!keep) {
                continue;
            }
            contents.append(buf, static_cast<std::size_t>(n));
            if (contents.size() > limits.max_entry) {
                return util::fail(util::ErrorKind::io,
                                  path.string() + ": entry " + saved_path + " is too large");
            }
        }
        if (keep) {
            entry(saved_path, contents);
        }
    }
}

void StanzaSplitter::feed(std::string_view chunk) {
    if (m_overflowed || chunk.empty()) {
        return;
    }
    // The stream is the carried partial stanza followed by `chunk`; stanzas that lie inside the chunk are
    // delivered from it directly (no copy), only the partial stanza at its end is carried.
    auto deliver = [this](std::string_view stanza) {
        if (stanza.find_first_not_of('\n') != std::string_view::npos) {
            m_on_stanza(stanza);
        }
    };
    std::size_t start = 0; // in chunk
    if (m_carry.empty()) {
        // Between stanzas: the rest of a run of blank lines that the last chunk ended inside (or the
        // stream's first newlines) starts no stanza.
        while (start < chunk.size() && chunk[start] == '\n') {
            ++start;
        }
    } else {
        std::size_t end = 0; // bytes of chunk that belong to the carried stanza (its '\n' included)
        if (m_carry.back() == '\n' && chunk.front() == '\n') {
            end = 0; // the blank line straddles: the carry ends with its first '\n'
        } else if (std::size_t sep = util::find_bytes(chunk, "\n\n"); sep != std::string_view::npos) {
            end = sep + 1;
        } else {
            m_carry.append(chunk);
            if (m_carry.size() > m_max_stanza) {
                m_overflowed = true;
                m_carry.clear();
                m_carry.shrink_to_fit();
            }
            return;
        }
        m_carry.append(chunk.data(), end);
        deliver(m_carry);
        m_carry.clear();
        start = end + 1;
        while (start < chunk.size() && chunk[start] == '\n') {
            ++start;
        }
    }
    while (start < chunk.size()) {
        // Not string_view::find: it calls memchr once per line (1.2 M calls for bookworm's 50 MB of
        // Packages), util::find_bytes tests 16 positions at a time for the blank line itself.
        std::size_t sep = util::find_bytes(chunk.substr(start), "\n\n");
        if (sep == std::string_view::npos) {
            break;
        }
        sep += start;
        deliver(chunk.substr(start, sep + 1 - start));
        start = sep + 2;
        while (start < chunk.size() && chunk[start] == '\n') {
            ++start;
        }
    }
    if (chunk.size() - start > m_max_stanza) {
        m_overflowed = true;
        m_carry.clear();
        m_carry.shrink_to_fit();
        return;
    }
    m_carry.assign(chunk.data() + start, chunk.size() - start);
}

void StanzaSplitter::finish() {
    if (!m_overflowed && m_carry.find_first_not_of("\n \t") != std::string::npos) {
        m_on_stanza(m_carry);
    }
    m_carry.clear();
}

namespace {
bool key_equals(std::string_view line_key, std::string_view key) {
    if (line_key.size() != key.size()) {
        return false;
    }
    for (std::size_t i = 0; i < key.size(); ++i) {
        char a = line_key[i];
        char b = key[i];
        if (a >= 'A' && a <= 'Z') {
            a = static_cast<char>(a - 'A' + 'a');
        }
        if (b >= 'A' && b <= 'Z') {
            b = static_cast<char>(b - 'A' + 'a');
        }
        if (a != b) {
            return false;
        }
    }
    return true;
}
} // namespace

namespace {

// Calls on_field(key, first, eol) for every line of `stanza` that starts a field: its key, its value's first
// line without the blanks around it, and where the line ends. Continuation lines hold no key and are
// passed over without looking for a colon (a Release file's hash lists are thousands of them).
template <typename OnField>
void each_field_line(std::string_view stanza, OnField&& on_field) {
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
        std::string_view first = line.substr(colon + 1);
        while (!first.empty() && (first.front() == ' ' || first.front() == '\t')) {
            first.remove_prefix(1);
        }
        while (!first.empty() && (first.back() == ' ' || first.back() == '\r')) {
            first.remove_suffix(1);
        }
        on_field(line.substr(0, colon), first, eol);
    }
}

} // namespace

std::string_view deb822_field(std::string_view stanza, std::string_view key, std::string* scratch) {
    // A field given twice in one stanza: the last one counts, as in apt's pkgTagSection (a stanza whose
    // blank line is missing has two Package fields; apt-cache lists the second package only).
    bool found = false;
    std::string_view first;
    std::size_t found_eol = 0;
    each_field_line(stanza, [&](std::string_view line_key, std::string_view value, std::size_t eol) {
        if (key_equals(line_key, key)) {
            found = true;
            first = value;
            found_eol = eol;
        }
    });
    if (!found) {
        return {};
    }
    // Continuation lines follow only for multi-line fields; return a view when there are none.
    std::size_t next = found_eol + 1;
    if (next >= stanza.size() || (stanza[next] != ' ' && stanza[next] != '\t') || scratch == nullptr) {
        return first;
    }
    scratch->assign(first);
    while (next < stanza.size() && (stanza[next] == ' ' || stanza[next] == '\t')) {
        std::size_t end = stanza.find('\n', next);
        if (end == std::string_view::npos) {
            end = stanza.size();
        }
        std::string_view cont = stanza.substr(next + 1, end - next - 1);
        scratch->push_back('\n');
        scratch->append(cont == "." ? std::string_view() : cont);
        next = end + 1;
    }
    return *scratch;
}

std::string_view deb822_package(std::string_view stanza) {
    static constexpr std::string_view k_prefix = "Package:";
    // The fast path when the stanza starts with its only Package field; a second one (a missing blank
    // line) is read as apt reads it: the last one counts. The search for it tests 16 positions at a time.
    if (stanza.starts_with(k_prefix) && util::find_bytes(stanza, "\nPackage:") == std::string_view::npos) {
        std::string_view v = stanza.substr(k_prefix.size(), stanza.find('\n') - k_prefix.size());
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

void deb822_first_lines(std::string_view stanza, std::span<const std::string_view> keys,
                        std::span<std::string_view> values) {
    for (auto& v : values) {
        v = {};
    }
    each_field_line(stanza, [&](std::string_view line_key, std::string_view value, std::size_t /*eol*/) {
        for (std::size_t k = 0; k < keys.size() && k < values.size(); ++k) {
            if (key_equals(line_key, keys[k])) {
                values[k] = value;
            }
        }
    });
}

} // namespace zsyncctl::pkg
