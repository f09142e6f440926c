#pragma once

#include <string>
#include <string_view>

#include "pkg/registry/registry.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// The installed version of `where.package` as the root's package database records it (dpkg status, the
/// pacman local db, apk's installed db), read through the root; nothing is executed. Fails with
/// unsupported for VersionDb::none, not_found when the database or the package is missing, and the read
/// error otherwise.
util::Result<std::string> read_db_version(const util::Root& root, const DbVersion& where);

/// A short name of the database for messages ("dpkg status", "pacman local db", "apk db").
std::string_view describe(VersionDb db);

} // namespace zsyncctl::pkg
