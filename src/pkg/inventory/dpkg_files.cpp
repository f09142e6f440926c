#include "pkg/inventory/dpkg_files.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_set>

#include "util/strings.hpp"

namespace zsyncctl::pkg {

std::vector<std::string> which_candidates(std::string_view query) {
    if (query.find('/') != std::string_view::npos) {
        return {std::string(query)};
    }
    std::vector<std::string> out;
    for (const char* dir : {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
        out.push_back(std::string(dir) + "/" + std::string(query));
    }
    return out;
}

util::Result<std::vector<FileOwner>> dpkg_file_owners(const util::Root& root,
                                                      const std::vector<std::string>& paths) {
    std::error_code ec;
    std::filesystem::directory_iterator it(root.resolve("/var/lib/dpkg/info"), ec);
    if (ec) {
        return util::fail(util::ErrorKind::not_found,
                          "no dpkg database: " + root.resolve("/var/lib/dpkg/info").string() + " is missing");
    }
    std::vector<std::string> lists;
    for (const auto& entry : it) {
        std::string name = entry.path().filename().string();
        if (name.size() > 5 && name.compare(name.size() - 5, 5, ".list") == 0) {
            lists.push_back(std::move(name));
        }
    }
    std::sort(lists.begin(), lists.end());
    std::unordered_set<std::string_view> wanted(paths.begin(), paths.end());
    std::vector<FileOwner> out;
    for (const auto& list : lists) {
        auto text = root.read("/var/lib/dpkg/info/" + list, std::size_t(256) << 20);
        if (!text) {
            continue;
        }
        for (std::string_view line : util::split_lines(*text)) {
            if (wanted.count(line) != 0) {
                out.push_back({list.substr(0, list.size() - 5), std::string(line), {}});
            }
        }
    }
    return out;
}

} // namespace zsyncctl::pkg
