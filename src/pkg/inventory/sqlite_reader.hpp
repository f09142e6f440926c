#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace zsyncctl::pkg {

/// Runs `sql` (one statement) over an SQLite database file's bytes held in memory, read-only, and calls
/// `row(column0)` with the first column of each result row as bytes; `row` returns false to stop.
/// libsqlite3.so.0 is dlopen()ed on first use (once per process, thread-safe; a failure is remembered), so
/// commands that read no SQLite file never load it. A WAL-mode file is read as its main file (the caller
/// decides what a non-empty -wal means). `bytes` is modified (the WAL flag) and must stay alive for the call.
/// Fails with not_found when libsqlite3 cannot be loaded (hint: how to install it), unsupported when it
/// lacks sqlite3_deserialize, parse with SQLite's message when the bytes are no database or are damaged.
util::Result<void> sqlite_query_blobs(std::string& bytes, const char* sql,
                                      const std::function<bool(std::string_view column0)>& row);

/// Applies the committed frames of an SQLite write-ahead log (`wal`, the bytes of NAME-wal) to the main
/// file's bytes `db`, as SQLite's own recovery reads them: frames whose salts and running checksum are
/// valid, up to the last commit frame; the database then has that commit's size. A log that is empty, of
/// another page size or whose header is not valid changes nothing. Returns the number of frames applied.
std::size_t sqlite_apply_wal(std::string& db, std::string_view wal);

} // namespace zsyncctl::pkg
