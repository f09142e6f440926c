#include "pkg/inventory/rpm_db.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <unordered_set>

#include "pkg/detect/detect.hpp"
#include "pkg/inventory/sqlite_reader.hpp"

namespace zsyncctl::pkg {

namespace {

// rpmdb.sqlite of a large desktop is 100-200 MB; past this the file is not an rpm database we read.
constexpr std::size_t k_max_db_bytes = std::size_t(1) << 30;

struct Located {
    std::string dir; // inside the root
    std::string file;
};

// The first directory that holds an rpm database, of any backend.
util::Result<Located> locate(const util::Root& root, const std::vector<std::string_view>& directories) {
    DetectContext context = DetectContext::current(root);
    std::vector<std::string> tried;
    for (std::string_view templ : directories) {
        auto dir = expand_template(templ, context);
        if (!dir) {
            continue;
        }
        tried.push_back(root.resolve(*dir).string());
        for (const char* file : {"rpmdb.sqlite", "Packages.db", "Packages"}) {
            if (root.exists(*dir + "/" + file)) {
                return Located{*dir, file};
            }
        }
    }
    std::string where;
    for (const auto& t : tried) {
        where += (where.empty() ? "" : ", ") + t;
    }
    return util::fail(util::ErrorKind::not_found, "no rpm database in " + where);
}

// The size of a file inside the root, -1 when it cannot be opened.
long long wal_size(const util::Root& root, const std::string& path) {
    auto fd = root.open_file(path, O_RDONLY | O_NONBLOCK);
    if (!fd) {
        return -1;
    }
    struct stat st {};
    long long size = ::fstat(*fd, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<long long>(st.st_size) : -1;
    ::close(*fd);
    return size;
}

// Calls `visit` with each package header of the database, in hnum order (read_rpm_database's rules).
util::Result<void> for_each_rpm_header(const util::Root& root,
                                       const std::vector<std::string_view>& directories, RpmFiles files,
                                       std::string* note, const core::CancellationToken& token,
                                       const std::function<void(RpmHeader&&)>& visit) {
    auto located = locate(root, directories);
    if (!located) {
        return util::fail(std::move(located).error());
    }
    std::string path = located->dir + "/" + located->file;
    if (located->file != "rpmdb.sqlite") {
        return util::fail(util::ErrorKind::unsupported,
                          root.resolve(path).string() + " is an rpm database in the " +
                              (located->file == "Packages.db" ? "ndb" : "Berkeley DB") +
                              " format, which zsyncctl does not read (it reads rpmdb.sqlite, rpm 4.16+)");
    }
    auto bytes = root.read(path, k_max_db_bytes);
    if (!bytes) {
        return util::fail(std::move(bytes).error());
    }
    std::size_t damaged = 0;
    std::size_t rows = 0;
    bool cancelled = false;
    auto queried =
        sqlite_query_blobs(*bytes, "SELECT blob FROM Packages ORDER BY hnum", [&](std::string_view blob) {
            if ((++rows & 255) == 0 && token.is_cancelled()) {
                cancelled = true;
                return false;
            }
            auto header = parse_rpm_header(blob, files);
            if (!header) {
                ++damaged;
            } else if (!header->arch.empty()) {
                visit(std::move(*header));
            }
            return true;
        });
    if (cancelled || token.is_cancelled()) {
        return util::fail(util::ErrorKind::cancelled, "cancelled");
    }
    if (!queried) {
        // A damaged file is parse (rpm --rebuilddb repairs it); a missing or too old libsqlite3 is
        // unsupported, never not_found, which callers read as "no database: nothing installed".
        bool damaged_file = queried.error().kind == util::ErrorKind::parse;
        return util::fail(damaged_file ? util::ErrorKind::parse : util::ErrorKind::unsupported,
                          "cannot read the rpm database " + root.resolve(path).string() + ": " +
                              queried.error().message,
                          damaged_file ? "rpm --rebuilddb" : queried.error().hint);
    }
    if (note != nullptr) {
        std::vector<std::string> notes;
        if (damaged > 0) {
            notes.push_back(std::to_string(damaged) + " damaged package header" + (damaged == 1 ? "" : "s") +
                            " left out");
        }
        if (wal_size(root, path + "-wal") > 0) {
            notes.push_back(
                "rpmdb.sqlite-wal holds changes not yet in the database (a transaction is running "
                "or was interrupted); they are not shown");
        }
        for (const auto& n : notes) {
            *note += (note->empty() ? "" : "; ") + n;
        }
    }
    return util::ok();
}

} // namespace

util::Result<std::string> rpm_database_file(const util::Root& root,
                                            const std::vector<std::string_view>& directories) {
    auto located = locate(root, directories);
    if (!located) {
        return util::fail(std::move(located).error());
    }
    return root.resolve(located->dir + "/" + located->file).string();
}

util::Result<std::vector<RpmHeader>> read_rpm_database(const util::Root& root,
                                                       const std::vector<std::string_view>& directories,
                                                       RpmFiles files, std::string* note,
                                                       const core::CancellationToken& token) {
    std::vector<RpmHeader> out;
    auto read = for_each_rpm_header(root, directories, files, note, token,
                                    [&](RpmHeader&& h) { out.push_back(std::move(h)); });
    if (!read) {
        return util::fail(std::move(read).error());
    }
    return out;
}

util::Result<std::vector<InstalledPackage>> rpm_installed(const util::Root& root,
                                                          const std::vector<std::string_view>& directories,
                                                          std::string* note,
                                                          const core::CancellationToken& token) {
    auto headers = read_rpm_database(root, directories, RpmFiles::skip, note, token);
    if (!headers) {
        return util::fail(std::move(headers).error());
    }
    std::vector<InstalledPackage> out;
    out.reserve(headers->size());
    for (const auto& h : *headers) {
        InstalledPackage p;
        p.name = h.name;
        p.version = rpm_evr(h);
        p.architecture = h.arch;
        p.state = "installed";
        out.push_back(std::move(p));
    }
    std::sort(out.begin(), out.end(), [](const InstalledPackage& a, const InstalledPackage& b) {
        return a.name != b.name ? a.name < b.name : a.architecture < b.architecture;
    });
    return out;
}

util::Result<std::vector<PackageInfo>> rpm_package_info(const util::Root& root,
                                                        const std::vector<std::string_view>& directories,
                                                        std::string_view manager, std::string_view name,
                                                        std::string* note,
                                                        const core::CancellationToken& token) {
    auto headers = read_rpm_database(root, directories, RpmFiles::skip, note, token);
    if (!headers) {
        return util::fail(std::move(headers).error());
    }
    std::vector<PackageInfo> out;
    for (const auto& h : *headers) {
        if (h.name != name) {
            continue;
        }
        PackageInfo info;
        info.manager = std::string(manager);
        info.name = h.name;
        info.architecture = h.arch;
        info.installed = rpm_evr(h);
        info.description = h.summary;
        info.installed_size = h.size;
        out.push_back(std::move(info));
    }
    std::sort(out.begin(), out.end(),
              [](const PackageInfo& a, const PackageInfo& b) { return a.architecture < b.architecture; });
    return out;
}

util::Result<std::vector<FileOwner>> rpm_file_owners(const util::Root& root,
                                                     const std::vector<std::string_view>& directories,
                                                     const std::vector<std::string>& paths, std::string* note,
                                                     const core::CancellationToken& token) {
    // One header's file list at a time: a whole system's lists are never held at once.
    std::unordered_set<std::string_view> wanted(paths.begin(), paths.end());
    std::vector<FileOwner> out;
    auto read = for_each_rpm_header(root, directories, RpmFiles::read, note, token, [&](RpmHeader&& h) {
        for (const auto& f : h.files) {
            if (wanted.count(f) != 0) {
                out.push_back({h.name, f, {}});
            }
        }
    });
    if (!read) {
        return util::fail(std::move(read).error());
    }
    return out;
}

} // namespace zsyncctl::pkg
