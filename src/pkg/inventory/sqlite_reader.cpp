#include "pkg/inventory/sqlite_reader.hpp"

#include <dlfcn.h>

#include <mutex>

#include "util/dynlib.hpp"

namespace zsyncctl::pkg {

namespace {

// SQLite's C API is stable since 3.0; these few declarations stand for sqlite3.h, so building needs no
// SQLite headers, and running needs the library only when an rpm database is read.
struct sqlite3;
struct sqlite3_stmt;
constexpr int k_ok = 0;
constexpr int k_row = 100;
constexpr int k_done = 101;
constexpr int k_open_readwrite = 0x2;
constexpr int k_open_create = 0x4;
constexpr int k_open_memory = 0x80;
constexpr unsigned k_deserialize_readonly = 4;

// The entry points used here, resolved with dlsym. Immutable after loading; any thread.
struct SqliteApi {
    int (*open_v2)(const char*, sqlite3**, int, const char*);
    int (*close_v2)(sqlite3*);
    int (*deserialize)(sqlite3*, const char*, unsigned char*, std::int64_t, std::int64_t, unsigned);
    int (*prepare_v2)(sqlite3*, const char*, int, sqlite3_stmt**, const char**);
    int (*step)(sqlite3_stmt*);
    const void* (*column_blob)(sqlite3_stmt*, int);
    int (*column_bytes)(sqlite3_stmt*, int);
    int (*finalize)(sqlite3_stmt*);
    const char* (*errmsg)(sqlite3*);
};

constexpr const char* k_library = "libsqlite3.so.0";

util::Result<SqliteApi> load() {
    // RTLD_LOCAL keeps SQLite's symbols out of the global namespace.
    void* handle = ::dlopen(k_library, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = ::dlerror();
        return util::fail(util::ErrorKind::not_found,
                          std::string("cannot load SQLite (") + k_library +
                              "): " + (why != nullptr ? why : "unknown error"),
                          "install it: apt-get install libsqlite3-0 (dnf install sqlite-libs, zypper install "
                          "libsqlite3-0)");
    }
    SqliteApi api{};
    std::string missing;
    using util::resolve_symbol;
    bool all = resolve_symbol(handle, "sqlite3_open_v2", api.open_v2, missing) &&
               resolve_symbol(handle, "sqlite3_close_v2", api.close_v2, missing) &&
               resolve_symbol(handle, "sqlite3_deserialize", api.deserialize, missing) &&
               resolve_symbol(handle, "sqlite3_prepare_v2", api.prepare_v2, missing) &&
               resolve_symbol(handle, "sqlite3_step", api.step, missing) &&
               resolve_symbol(handle, "sqlite3_column_blob", api.column_blob, missing) &&
               resolve_symbol(handle, "sqlite3_column_bytes", api.column_bytes, missing) &&
               resolve_symbol(handle, "sqlite3_finalize", api.finalize, missing) &&
               resolve_symbol(handle, "sqlite3_errmsg", api.errmsg, missing);
    if (!all) {
        ::dlclose(handle);
        return util::fail(util::ErrorKind::unsupported,
                          std::string("SQLite (") + k_library + ") lacks the function " + missing,
                          "install SQLite 3.36 or newer");
    }
    return api; // stays loaded for the life of the process
}

util::Result<const SqliteApi*> sqlite_api() {
    static std::once_flag once;
    static util::Result<SqliteApi> loaded = util::fail(util::ErrorKind::internal, "SQLite not loaded");
    std::call_once(once, [] { loaded = load(); });
    if (!loaded) {
        return util::fail(loaded.error());
    }
    return &*loaded;
}

} // namespace

util::Result<void> sqlite_query_blobs(std::string& bytes, const char* sql,
                                      const std::function<bool(std::string_view column0)>& row) {
    static constexpr std::string_view k_magic("SQLite format 3\0", 16);
    if (bytes.size() < 100 || std::string_view(bytes).substr(0, 16) != k_magic) {
        return util::fail(util::ErrorKind::parse, "not an SQLite database");
    }
    auto loaded = sqlite_api();
    if (!loaded) {
        return util::fail(std::move(loaded).error());
    }
    const SqliteApi& api = **loaded;
    // Bytes 18 and 19 are the write and read format versions: 2 means WAL, which an in-memory copy cannot
    // have (SQLite would look for a -wal beside it and fail). 1 reads the main file as it is.
    if (bytes[18] == 2 && bytes[19] == 2) {
        bytes[18] = 1;
        bytes[19] = 1;
    }
    sqlite3* db = nullptr;
    int rc = api.open_v2(":memory:", &db, k_open_readwrite | k_open_create | k_open_memory, nullptr);
    struct Closer {
        const SqliteApi& api;
        sqlite3* db;
        ~Closer() { api.close_v2(db); }
    } closer{api, db};
    if (rc != k_ok) {
        return util::fail(util::ErrorKind::internal, "SQLite cannot open an in-memory database");
    }
    rc = api.deserialize(db, "main", reinterpret_cast<unsigned char*>(bytes.data()),
                         static_cast<std::int64_t>(bytes.size()), static_cast<std::int64_t>(bytes.size()),
                         k_deserialize_readonly);
    if (rc != k_ok) {
        return util::fail(util::ErrorKind::parse, std::string("SQLite: ") + api.errmsg(db));
    }
    sqlite3_stmt* stmt = nullptr;
    if (api.prepare_v2(db, sql, -1, &stmt, nullptr) != k_ok) {
        return util::fail(util::ErrorKind::parse, std::string("SQLite: ") + api.errmsg(db));
    }
    struct Finalizer {
        const SqliteApi& api;
        sqlite3_stmt* stmt;
        ~Finalizer() { api.finalize(stmt); }
    } finalizer{api, stmt};
    while ((rc = api.step(stmt)) == k_row) {
        const void* data = api.column_blob(stmt, 0);
        int size = api.column_bytes(stmt, 0);
        std::string_view column = data != nullptr && size > 0
                                      ? std::string_view(static_cast<const char*>(data), std::size_t(size))
                                      : std::string_view();
        if (!row(column)) {
            return util::ok();
        }
    }
    if (rc != k_done) {
        return util::fail(util::ErrorKind::parse, std::string("SQLite: ") + api.errmsg(db));
    }
    return util::ok();
}

namespace {

std::uint32_t be32(std::string_view b, std::size_t at) {
    return (std::uint32_t(std::uint8_t(b[at])) << 24) | (std::uint32_t(std::uint8_t(b[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(b[at + 2])) << 8) | std::uint32_t(std::uint8_t(b[at + 3]));
}

// SQLite's WAL checksum (wal.c walChecksumBytes): pairs of 32-bit words in the byte order the magic names.
void wal_checksum(std::string_view b, bool big_endian, std::uint32_t& s0, std::uint32_t& s1) {
    for (std::size_t i = 0; i + 8 <= b.size(); i += 8) {
        std::uint32_t x0 = be32(b, i);
        std::uint32_t x1 = be32(b, i + 4);
        if (!big_endian) {
            x0 = __builtin_bswap32(x0);
            x1 = __builtin_bswap32(x1);
        }
        s0 += x0 + s1;
        s1 += x1 + s0;
    }
}

} // namespace

std::size_t sqlite_apply_wal(std::string& db, std::string_view wal) {
    constexpr std::size_t k_header = 32;
    constexpr std::size_t k_frame_header = 24;
    if (wal.size() < k_header || db.size() < 100) {
        return 0;
    }
    std::uint32_t magic = be32(wal, 0);
    if ((magic & ~1u) != 0x377f0682u) {
        return 0;
    }
    bool big_endian = (magic & 1u) != 0;
    std::uint32_t page_size = be32(wal, 8);
    std::uint32_t db_page_size = (std::uint32_t(std::uint8_t(db[16])) << 8) | std::uint8_t(db[17]);
    if (db_page_size == 1) {
        db_page_size = 65536;
    }
    if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0 ||
        page_size != db_page_size) {
        return 0;
    }
    std::uint32_t s0 = 0;
    std::uint32_t s1 = 0;
    wal_checksum(wal.substr(0, 24), big_endian, s0, s1);
    if (s0 != be32(wal, 24) || s1 != be32(wal, 28)) {
        return 0;
    }
    const std::uint32_t salt1 = be32(wal, 16);
    const std::uint32_t salt2 = be32(wal, 20);
    // First pass: the frames SQLite's recovery accepts, and the last commit among them.
    std::size_t last_commit = 0; // frames up to and including the last commit frame
    std::uint32_t commit_pages = 0;
    std::size_t frames = 0;
    for (std::size_t at = k_header; at + k_frame_header + page_size <= wal.size();
         at += k_frame_header + page_size) {
        std::string_view frame = wal.substr(at, k_frame_header + page_size);
        if (be32(frame, 8) != salt1 || be32(frame, 12) != salt2 || be32(frame, 0) == 0) {
            break;
        }
        wal_checksum(frame.substr(0, 8), big_endian, s0, s1);
        wal_checksum(frame.substr(k_frame_header), big_endian, s0, s1);
        if (s0 != be32(frame, 16) || s1 != be32(frame, 20)) {
            break;
        }
        // A page past 1 GiB is no database this reader holds in memory: the log is not applied.
        if (std::uint64_t(be32(frame, 0)) * page_size > (std::uint64_t(1) << 30) ||
            std::uint64_t(be32(frame, 4)) * page_size > (std::uint64_t(1) << 30)) {
            return 0;
        }
        ++frames;
        if (be32(frame, 4) != 0) {
            last_commit = frames;
            commit_pages = be32(frame, 4);
        }
    }
    if (last_commit == 0) {
        return 0;
    }
    for (std::size_t f = 0; f < last_commit; ++f) {
        std::size_t at = k_header + f * (k_frame_header + page_size);
        std::size_t offset = std::size_t(be32(wal, at) - 1) * page_size;
        if (db.size() < offset + page_size) {
            db.resize(offset + page_size, '\0');
        }
        db.replace(offset, page_size, wal.substr(at + k_frame_header, page_size));
    }
    db.resize(std::size_t(commit_pages) * page_size, '\0');
    return last_commit;
}

} // namespace zsyncctl::pkg
