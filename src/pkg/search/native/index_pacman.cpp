#include "pkg/search/native/index_pacman.hpp"

#include <algorithm>
#include <unordered_map>

#include "pkg/search/native/archive_reader.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

std::filesystem::path PacmanLayout::below(std::string_view relative) const {
    return root.resolve(db_logical + "/" + std::string(relative));
}

PacmanLayout pacman_layout(const util::Root& root) {
    PacmanLayout layout;
    layout.root = root;
    layout.config = root.resolve("/etc/pacman.conf");
    std::string db_path = "/var/lib/pacman/";
    auto text = root.read("/etc/pacman.conf", 1u << 20);
    if (text) {
        layout.config_read = true;
        std::string section;
        for (std::string_view raw : util::split_lines(*text)) {
            std::string_view line = util::trim(raw);
            if (line.empty() || line.front() == '#') {
                continue;
            }
            if (line.front() == '[' && line.back() == ']') {
                section.assign(line.substr(1, line.size() - 2));
                if (section != "options" && !section.empty()) {
                    layout.repos.push_back(section);
                }
                continue;
            }
            std::size_t eq = line.find('=');
            std::string_view key = util::trim(line.substr(0, eq));
            if (section == "options" && eq != std::string_view::npos) {
                if (key == "DBPath") {
                    db_path.assign(util::trim(line.substr(eq + 1)));
                } else if (key == "Include") {
                    layout.options_include = true;
                }
            }
        }
    }
    // A relative DBPath means nothing to pacman; read it from "/" so it still names a place in the root.
    if (db_path.empty() || db_path.front() != '/') {
        db_path.insert(db_path.begin(), '/');
    }
    while (db_path.size() > 1 && db_path.back() == '/') {
        db_path.pop_back();
    }
    layout.db_logical = db_path;
    layout.db_path = root.resolve(db_path);
    return layout;
}

IndexRecord parse_pacman_desc(std::string_view desc) {
    IndexRecord record;
    std::string_view key;
    bool first_value = true;
    for (std::string_view raw : util::split_lines(desc)) {
        std::string_view line = raw;
        if (line.size() > 2 && line.front() == '%' && line.back() == '%') {
            key = line;
            first_value = true;
            continue;
        }
        if (line.empty()) {
            key = {};
            continue;
        }
        if (key == "%PROVIDES%" || key == "%GROUPS%") {
            // pacman -Ss also matches provided names (without their version) and groups: searched, not
            // shown.
            std::string_view value =
                line.substr(0, key == "%PROVIDES%" ? line.find_first_of("=<>") : line.npos);
            if (!record.long_text.empty()) {
                record.long_text.push_back('\n');
            }
            record.long_text.append(value);
            continue;
        }
        if (!first_value) {
            continue; // other multi-valued fields: only the first value matters here
        }
        first_value = false;
        if (key == "%NAME%") {
            record.name.assign(line);
        } else if (key == "%VERSION%") {
            record.version.assign(line);
        } else if (key == "%DESC%") {
            record.summary.assign(line);
        }
    }
    return record;
}

std::unordered_set<std::string> pacman_installed_names(const PacmanLayout& layout) {
    std::unordered_set<std::string> names;
    std::error_code ec;
    std::filesystem::directory_iterator it(layout.below("local"), ec);
    if (ec) {
        return names;
    }
    for (const auto& entry : it) {
        // Each entry is read by its name inside the root: a symlinked entry cannot lead out of it.
        std::string logical = layout.db_logical + "/local/" + entry.path().filename().string() + "/desc";
        auto desc = layout.root.read(logical, 1u << 20);
        if (!desc) {
            continue;
        }
        IndexRecord record = parse_pacman_desc(*desc);
        if (!record.name.empty()) {
            names.insert(std::move(record.name));
        }
    }
    return names;
}

std::vector<std::filesystem::path> pacman_sync_dbs(const PacmanLayout& layout) {
    std::vector<std::filesystem::path> dbs;
    std::error_code ec;
    // Every database is resolved by name inside the root (a symlinked one is followed there, not out).
    for (const auto& repo : layout.repos) {
        std::filesystem::path db = layout.below("sync/" + repo + ".db");
        if (std::filesystem::is_regular_file(db, ec)) {
            dbs.push_back(db);
        }
    }
    std::vector<std::filesystem::path> others;
    std::filesystem::directory_iterator it(layout.below("sync"), ec);
    if (!ec) {
        for (const auto& entry : it) {
            if (entry.path().extension() != ".db") {
                continue;
            }
            std::filesystem::path db = layout.below("sync/" + entry.path().filename().string());
            if (std::filesystem::is_regular_file(db, ec) &&
                std::find(dbs.begin(), dbs.end(), db) == dbs.end() &&
                std::find(others.begin(), others.end(), db) == others.end()) {
                others.push_back(db);
            }
        }
    }
    std::sort(others.begin(), others.end());
    dbs.insert(dbs.end(), others.begin(), others.end());
    return dbs;
}

util::Result<std::vector<IndexRecord>> read_pacman_records(const std::vector<std::filesystem::path>& dbs,
                                                           const std::unordered_set<std::string>& installed,
                                                           const core::CancellationToken& token) {
    TarLimits limits;
    limits.keep_going = [&token] {
        return !token.is_cancelled();
    };
    std::vector<IndexRecord> records;
    std::unordered_set<std::string> seen;
    std::optional<util::Error> first_error;
    std::size_t readable = 0;
    for (const auto& db : dbs) {
        auto walked = for_each_tar_entry(
            db,
            [](std::string_view path) { return path.size() > 5 && path.substr(path.size() - 5) == "/desc"; },
            [&](std::string_view, std::string_view contents) {
                IndexRecord record = parse_pacman_desc(contents);
                if (record.name.empty() || !seen.insert(record.name).second) {
                    return;
                }
                record.installed = installed.count(record.name) != 0;
                records.push_back(std::move(record));
            },
            limits);
        if (walked) {
            ++readable;
        } else if (walked.error().kind == util::ErrorKind::cancelled) {
            return util::fail(std::move(walked).error());
        } else if (!first_error) {
            first_error = walked.error();
        }
    }
    if (readable == 0 && first_error) {
        return util::fail(*first_error);
    }
    return records;
}

util::Result<PackageIndex> pacman_index(const util::Root& root, const std::filesystem::path& cache_file,
                                        const core::CancellationToken& token) {
    PacmanLayout layout = pacman_layout(root);
    std::vector<std::filesystem::path> dbs = pacman_sync_dbs(layout);
    if (dbs.empty()) {
        return util::fail(util::ErrorKind::not_found,
                          "no pacman sync database under " + layout.below("sync").string(),
                          "run: zsyncctl pkg refresh -m pacman");
    }
    std::vector<std::filesystem::path> sources = dbs;
    sources.push_back(layout.below("local"));
    sources.push_back(layout.config);
    return load_or_build_index(cache_file, stamp_files(sources), [&] {
        return read_pacman_records(dbs, pacman_installed_names(layout), token);
    });
}

} // namespace zsyncctl::pkg
