#include "platform/executable.hpp"

#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace zsyncctl::platform {

bool is_executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string path_env() {
    const char* value = std::getenv("PATH");
    return value != nullptr ? std::string(value) : std::string(k_default_path);
}

util::Result<std::string> find_executable(std::string_view name, std::string_view path_list) {
    if (name.empty()) {
        return util::fail(util::ErrorKind::not_found, "empty executable name");
    }
    if (name.find('/') != std::string_view::npos) {
        std::string path(name);
        if (is_executable_file(path)) {
            return path;
        }
        return util::fail(util::ErrorKind::not_found, "'" + path + "' is not an executable file");
    }
    std::size_t start = 0;
    while (start <= path_list.size()) {
        std::size_t end = path_list.find(':', start);
        if (end == std::string_view::npos) {
            end = path_list.size();
        }
        std::string_view dir = path_list.substr(start, end - start);
        start = end + 1;
        if (dir.empty() || dir.front() != '/') {
            continue;
        }
        std::string candidate(dir);
        if (candidate.back() != '/') {
            candidate += '/';
        }
        candidate += name;
        if (is_executable_file(candidate)) {
            return candidate;
        }
    }
    // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict for "'" + std::string(...) + ...
    std::string message = "'";
    message.append(name).append("' was not found on PATH");
    return util::fail(util::ErrorKind::not_found, std::move(message),
                      "install it, or put its directory on PATH");
}

} // namespace zsyncctl::platform
