#include "util/root.hpp"

#include <cstdlib>

#include "util/fs.hpp"

namespace zsyncctl::util {

Root::Root(std::filesystem::path dir) {
    if (dir.empty() || dir == "/") {
        return;
    }
    std::error_code ec;
    auto absolute = std::filesystem::absolute(dir, ec);
    m_dir = (ec ? dir : absolute).lexically_normal();
    if (m_dir.has_filename() == false && m_dir.has_parent_path()) {
        m_dir = m_dir.parent_path(); // drop the trailing slash
    }
    if (m_dir == "/") {
        m_dir.clear();
    }
}

Root Root::from_option_or_env(const std::optional<std::string>& option) {
    if (option && !option->empty()) {
        return Root(*option);
    }
    if (const char* env = std::getenv("ZSYNCCTL_ROOT"); env != nullptr && env[0] != '\0') {
        return Root(env);
    }
    return Root();
}

std::filesystem::path Root::resolve(std::string_view absolute) const {
    if (is_host() || absolute.empty() || absolute.front() != '/') {
        return std::filesystem::path(absolute);
    }
    std::string joined = m_dir.string();
    joined += absolute;
    return std::filesystem::path(std::move(joined));
}

Result<std::string> Root::read(std::string_view absolute, std::size_t max_bytes) const {
    return read_file(resolve(absolute), max_bytes);
}

bool Root::exists(std::string_view absolute) const {
    std::error_code ec;
    return std::filesystem::exists(resolve(absolute), ec);
}

std::optional<std::filesystem::path> Root::home() const {
    const char* home = std::getenv("HOME");
    if (home == nullptr || home[0] == '\0') {
        return std::nullopt;
    }
    return resolve(home);
}

} // namespace zsyncctl::util
