#include "pkg/inventory/apk_index.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

#include "pkg/inventory/apk_version.hpp"
#include "pkg/search/native/archive_reader.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

namespace fs = std::filesystem;

// The cached index files, by file name (etc/apk/cache is often a link to var/cache/apk: each name once).
std::vector<std::string> index_files(const util::Root& root) {
    std::vector<std::string> out;
    std::set<std::string> names;
    for (const char* dir : {"/var/cache/apk", "/etc/apk/cache"}) {
        std::error_code ec;
        std::vector<std::string> here;
        for (fs::directory_iterator it(root.resolve(dir), ec); !ec && it != fs::directory_iterator();
             it.increment(ec)) {
            std::string name = it->path().filename().string();
            if (name.starts_with("APKINDEX.") && name.ends_with(".tar.gz")) {
                here.push_back(std::move(name));
            }
        }
        std::sort(here.begin(), here.end());
        for (auto& name : here) {
            if (names.insert(name).second) {
                out.push_back(std::string(dir) + "/" + name);
            }
        }
    }
    return out;
}

} // namespace

util::Result<std::map<std::string, std::string>> read_apk_candidates(const util::Root& root,
                                                                     std::vector<std::string>* files,
                                                                     std::vector<std::string>* damaged,
                                                                     const core::CancellationToken& token) {
    std::map<std::string, std::string> best;
    TarLimits limits;
    limits.max_entry = std::uint64_t(256) << 20;
    limits.keep_going = [&token] {
        return !token.is_cancelled();
    };
    for (const std::string& file : index_files(root)) {
        bool found = false;
        auto walked = for_each_tar_entry(
            root.resolve(file), [](std::string_view path) { return path == "APKINDEX"; },
            [&](std::string_view, std::string_view contents) {
                found = true;
                for (auto& p : parse_apk_installed(contents)) {
                    auto [it, inserted] = best.try_emplace(p.name, p.version);
                    if (!inserted && compare_apk_version(p.version, it->second) > 0) {
                        it->second = p.version;
                    }
                }
            },
            limits);
        if (!walked && walked.error().kind == util::ErrorKind::cancelled) {
            return util::fail(util::ErrorKind::cancelled, "interrupted");
        }
        if (!walked || !found) {
            if (damaged != nullptr) {
                damaged->push_back(file + ": " +
                                   (walked ? std::string("no APKINDEX in it") : walked.error().message));
            }
            continue;
        }
        if (files != nullptr) {
            files->push_back(file);
        }
    }
    return best;
}

std::map<std::string, std::string> apk_world_constraints(std::string_view world) {
    std::map<std::string, std::string> out;
    std::string text(world);
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\n' || c == '\t' || c == '\r'; }, ' ');
    for (auto word : util::split(text, ' ')) {
        if (word.empty() || word.front() == '!') {
            continue;
        }
        auto op = word.find_first_of("=<>~@");
        if (op == std::string_view::npos || op == 0) {
            continue;
        }
        std::string name(word.substr(0, op));
        auto at = word.find('@');
        if (at != std::string_view::npos) {
            out[name] = "pinned " + std::string(word.substr(at));
        } else if (word[op] == '=' && word.find_first_of("<>~", op) == std::string_view::npos) {
            out[name] = "fixed " + std::string(word.substr(op));
        } else {
            out[name] = "constrained " + std::string(word.substr(op));
        }
    }
    return out;
}

util::Result<std::vector<OutdatedPackage>> apk_outdated(const util::Root& root,
                                                        const std::vector<ApkPackage>& installed,
                                                        std::string_view world, std::string* note,
                                                        const core::CancellationToken& token) {
    std::vector<std::string> files;
    std::vector<std::string> damaged;
    auto candidates = read_apk_candidates(root, &files, &damaged, token);
    if (!candidates) {
        return util::fail(candidates.error());
    }
    if (files.empty()) {
        return util::fail(util::ErrorKind::not_found,
                          damaged.empty() ? "no cached apk index (var/cache/apk/APKINDEX.*.tar.gz)"
                                          : "no readable apk index: " + util::join(damaged, "; "),
                          "run zsyncctl pkg refresh -m apk (apk update)");
    }
    auto constraints = apk_world_constraints(world);
    std::vector<OutdatedPackage> out;
    for (const auto& p : installed) {
        auto c = candidates->find(p.name);
        if (c == candidates->end() || compare_apk_version(c->second, p.version) <= 0) {
            continue;
        }
        OutdatedPackage o;
        o.name = p.name;
        o.architecture = p.arch;
        o.installed = p.version;
        o.candidate = c->second;
        if (auto k = constraints.find(p.name); k != constraints.end()) {
            o.skip_reason = k->second;
        }
        out.push_back(std::move(o));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    if (note != nullptr && !damaged.empty()) {
        *note = "not read: " + util::join(damaged, "; ");
    }
    return out;
}

} // namespace zsyncctl::pkg
