#include "pkg/inventory/apt_contents.hpp"

#include <algorithm>
#include <filesystem>
#include <tuple>
#include <unordered_set>

#include "pkg/search/native/archive_reader.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// One Contents line: "PATH<whitespace>sec/pkg1,sec/pkg2" (the path may itself contain spaces, so the
// package list is the last field).
void match_line(std::string_view line, const std::unordered_set<std::string_view>& wanted,
                const std::string& repository, std::vector<FileOwner>& out) {
    std::size_t split = line.find_last_of(" \t");
    if (split == std::string_view::npos || split == 0) {
        return;
    }
    std::string_view path = util::trim(line.substr(0, split));
    if (path.starts_with("./")) {
        path.remove_prefix(2);
    }
    std::string absolute = "/" + std::string(path);
    if (wanted.count(absolute) == 0) {
        return;
    }
    for (std::string_view qualified : util::split(line.substr(split + 1), ',')) {
        qualified = util::trim(qualified);
        std::string_view name =
            qualified.substr(qualified.rfind('/') == std::string_view::npos ? 0 : qualified.rfind('/') + 1);
        if (!name.empty()) {
            out.push_back({std::string(name), absolute, repository});
        }
    }
}

} // namespace

util::Result<std::vector<FileOwner>> apt_contents_providers(const util::Root& root,
                                                            const std::vector<std::string>& paths,
                                                            std::string* note,
                                                            const core::CancellationToken& token) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(root.resolve("/var/lib/apt/lists"), ec), end;
         !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        std::size_t at = name.find("_Contents-");
        if (at != std::string::npos && name.find("udeb", at) == std::string::npos &&
            it->is_regular_file(ec)) {
            files.push_back(it->path());
        }
    }
    std::sort(files.begin(), files.end());
    std::vector<FileOwner> out;
    if (files.empty()) {
        if (note != nullptr) {
            *note =
                "no Contents indexes in /var/lib/apt/lists (apt-file update downloads them) to tell which "
                "package would ship it";
        }
        return out;
    }
    std::unordered_set<std::string_view> wanted(paths.begin(), paths.end());
    for (const auto& file : files) {
        std::string name = file.filename().string();
        std::string repository = name.substr(0, name.find("_Contents-"));
        std::string carry;
        bool cancelled = false;
        auto read = read_decompressed(file, [&](std::string_view chunk) {
            if (token.is_cancelled()) {
                cancelled = true;
                return false;
            }
            carry.append(chunk);
            std::size_t start = 0;
            for (std::size_t nl; (nl = carry.find('\n', start)) != std::string::npos; start = nl + 1) {
                match_line(std::string_view(carry).substr(start, nl - start), wanted, repository, out);
            }
            carry.erase(0, start);
            return carry.size() < (std::size_t(1) << 20); // a 1 MiB line is no Contents file
        });
        if (cancelled) {
            return util::fail(util::ErrorKind::cancelled, "cancelled");
        }
        if (!read && note != nullptr) {
            *note += (note->empty() ? "" : "; ") + read.error().message;
        }
        match_line(carry, wanted, repository, out);
    }
    std::sort(out.begin(), out.end(), [](const FileOwner& a, const FileOwner& b) {
        return std::tie(a.package, a.path, a.repository) < std::tie(b.package, b.path, b.repository);
    });
    out.erase(std::unique(out.begin(), out.end(),
                          [](const FileOwner& a, const FileOwner& b) {
                              return a.package == b.package && a.path == b.path &&
                                     a.repository == b.repository;
                          }),
              out.end());
    return out;
}

} // namespace zsyncctl::pkg
