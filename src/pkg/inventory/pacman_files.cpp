#include "pkg/inventory/pacman_files.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_set>

#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/index_pacman.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// The "%FILES%" section of a libalpm files entry: paths relative to the root, directories ending in '/'.
// Calls `hit(absolute)` for each one in `wanted` (absolute paths, without a trailing '/').
template <typename Hit>
void match_files(std::string_view text, const std::unordered_set<std::string>& wanted, Hit&& hit) {
    bool in_files = false;
    std::string absolute;
    for (std::string_view line : util::split_lines(text)) {
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.size() > 2 && line.front() == '%' && line.back() == '%') {
            in_files = line == "%FILES%";
            continue;
        }
        if (!in_files || line.empty()) {
            continue;
        }
        if (line.back() == '/') {
            line.remove_suffix(1);
        }
        absolute.assign("/").append(line);
        if (wanted.count(absolute) != 0) {
            hit(absolute);
        }
    }
}

// "zs-app-1.0-1" -> "zs-app": pkgver and pkgrel never contain '-'.
std::string name_of_entry(std::string_view dir) {
    std::size_t rel = dir.rfind('-');
    std::size_t ver =
        rel == std::string_view::npos || rel == 0 ? std::string_view::npos : dir.rfind('-', rel - 1);
    return std::string(ver == std::string_view::npos ? dir : dir.substr(0, ver));
}

std::unordered_set<std::string> wanted_set(const std::vector<std::string>& paths) {
    std::unordered_set<std::string> wanted;
    for (std::string p : paths) {
        while (p.size() > 1 && p.back() == '/') {
            p.pop_back();
        }
        wanted.insert(std::move(p));
    }
    return wanted;
}

} // namespace

util::Result<std::vector<FileOwner>> pacman_file_owners(const util::Root& root,
                                                        const std::vector<std::string>& paths,
                                                        const core::CancellationToken& token) {
    PacmanLayout layout = pacman_layout(root);
    std::error_code ec;
    std::filesystem::directory_iterator it(layout.below("local"), ec);
    if (ec) {
        return util::fail(util::ErrorKind::not_found,
                          "no pacman local database under " + layout.below("local").string());
    }
    std::vector<std::string> dirs;
    for (const auto& entry : it) {
        std::string dir = entry.path().filename().string();
        if (!dir.empty() && dir.front() != '.') {
            dirs.push_back(std::move(dir));
        }
    }
    std::sort(dirs.begin(), dirs.end());
    auto wanted = wanted_set(paths);
    std::vector<FileOwner> out;
    for (const auto& dir : dirs) {
        if (token.is_cancelled()) {
            return util::fail(util::ErrorKind::cancelled, "cancelled");
        }
        auto text = root.read(layout.db_logical + "/local/" + dir + "/files", std::size_t(64) << 20);
        if (!text) {
            continue; // ALPM_DB_VERSION, or an entry without a file list (pacman -Qo skips it too)
        }
        match_files(*text, wanted, [&](const std::string& path) {
            out.push_back({name_of_entry(dir), path, {}});
        });
    }
    return out;
}

util::Result<std::vector<FileOwner>> pacman_file_providers(const util::Root& root,
                                                           const std::vector<std::string>& paths,
                                                           std::string* note,
                                                           const core::CancellationToken& token) {
    PacmanLayout layout = pacman_layout(root);
    std::vector<std::filesystem::path> dbs;
    for (const auto& db : pacman_sync_dbs(layout)) {
        std::filesystem::path files = db;
        files.replace_extension(".files");
        std::error_code ec;
        if (std::filesystem::is_regular_file(files, ec)) {
            dbs.push_back(std::move(files));
        }
    }
    std::vector<FileOwner> out;
    if (dbs.empty()) {
        if (note != nullptr) {
            *note = "no pacman file databases (" + layout.below("sync").string() +
                    "/*.files): run zsyncctl pkg refresh -m pacman (it syncs them, as pacman -Fy) to know "
                    "which packages would ship it";
        }
        return out;
    }
    auto wanted = wanted_set(paths);
    TarLimits limits;
    limits.max_total = std::uint64_t(4) << 30; // core+extra .files inflate to ~1 GB
    limits.keep_going = [&token] {
        return !token.is_cancelled();
    };
    for (const auto& db : dbs) {
        std::string repo = db.stem().string();
        auto walked = for_each_tar_entry(
            db,
            [](std::string_view path) {
                return path.ends_with("/files") && path.find('/') == path.size() - 6;
            },
            [&](std::string_view path, std::string_view contents) {
                std::string name = name_of_entry(path.substr(0, path.size() - 6));
                match_files(contents, wanted, [&](const std::string& p) { out.push_back({name, p, repo}); });
            },
            limits);
        if (!walked && walked.error().kind == util::ErrorKind::cancelled) {
            return util::fail(std::move(walked).error());
        }
        if (!walked && note != nullptr) {
            *note += (note->empty() ? "" : "; ") + walked.error().message;
        }
    }
    return out;
}

} // namespace zsyncctl::pkg
