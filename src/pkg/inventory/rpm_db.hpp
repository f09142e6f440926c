#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "pkg/inventory/rpm_header.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// The headers of every package in the rpm database (rpmdb.sqlite's Packages table) of the first of
/// `directories` (expanded templates, "{home}/.rpmdb": Debian's %_dbpath) that holds one. The file is read
/// through `root` into memory and opened there by a libsqlite3.so.0 loaded on first use (no lock taken,
/// nothing written into the image, no -shm file created). Rows whose header does not parse are left out and
/// counted in `note`, as are changes still in rpmdb.sqlite-wal. Pseudo-packages without an ARCH
/// (gpg-pubkey) are left out, as dnf leaves them out. Fails with not_found when no directory has a
/// database, unsupported for a Berkeley DB or ndb database or a libsqlite3 without sqlite3_deserialize,
/// parse when the file is not an SQLite database or is damaged (hint: rpm --rebuilddb), cancelled.
util::Result<std::vector<RpmHeader>> read_rpm_database(const util::Root& root,
                                                       const std::vector<std::string_view>& directories,
                                                       RpmFiles files, std::string* note,
                                                       const core::CancellationToken& token = {});

/// The host path of the rpm database file read_rpm_database would read (the first of `directories` that
/// holds one). Fails with not_found naming the directories tried.
util::Result<std::string> rpm_database_file(const util::Root& root,
                                            const std::vector<std::string_view>& directories);

/// `rpm -qa` as pkg list reports it: name, dnf's EPOCH:VERSION-RELEASE, arch, state "installed". Sorted by
/// name, then arch. Fails like read_rpm_database.
util::Result<std::vector<InstalledPackage>> rpm_installed(const util::Root& root,
                                                          const std::vector<std::string_view>& directories,
                                                          std::string* note,
                                                          const core::CancellationToken& token = {});

/// `rpm -qi NAME` natively, one entry per installed architecture: version, summary, size; the candidate
/// is left empty (no repository metadata is read here). Empty when not installed. Fails like
/// read_rpm_database.
util::Result<std::vector<PackageInfo>> rpm_package_info(const util::Root& root,
                                                        const std::vector<std::string_view>& directories,
                                                        std::string_view manager, std::string_view name,
                                                        std::string* note,
                                                        const core::CancellationToken& token = {});

/// `rpm -qf --qf '%{NAME}' PATH` for exact paths: every installed package (by name, as dpkg -S names them)
/// whose file list records one of `paths`, in database order. Fails like read_rpm_database.
util::Result<std::vector<FileOwner>> rpm_file_owners(const util::Root& root,
                                                     const std::vector<std::string_view>& directories,
                                                     const std::vector<std::string>& paths, std::string* note,
                                                     const core::CancellationToken& token = {});

} // namespace zsyncctl::pkg
