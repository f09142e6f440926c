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

} // namespace zsyncctl::pkg
