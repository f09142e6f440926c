#include "util/fs.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace zsyncctl::util {

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
    // O_NONBLOCK: opening a FIFO (planted in a --root image) must not wait for a writer forever.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return fail(errno_error(path.string(), errno));
    }
    return read_fd(fd, path.string(), max_bytes);
}

Result<std::string> read_fd(int fd, const std::string& what, std::size_t max_bytes) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISDIR(st.st_mode))) {
        ::close(fd);
        return fail(ErrorKind::io, what + ": not a regular file");
    }
    std::string data;
    char buffer[16384];
    while (true) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int err = errno;
            ::close(fd);
            return fail(errno_error(what, err));
        }
        if (n == 0) {
            break;
        }
        if (data.size() + static_cast<std::size_t>(n) > max_bytes) {
            ::close(fd);
            return fail(ErrorKind::io, what + ": file larger than " + std::to_string(max_bytes) + " bytes");
        }
        data.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return data;
}

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view data) {
    std::error_code ec;
    if (path.has_parent_path()) {
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec) {
            return fail(errno_error(path.parent_path().string(), ec.value()));
        }
    }
    std::random_device rd;
    std::string tmp = path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        return fail(errno_error(tmp, errno));
    }
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return fail(errno_error(tmp, err));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return fail(errno_error(tmp, err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return fail(errno_error(path.string(), err));
    }
    return ok();
}

Result<std::filesystem::path> cache_dir() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/') {
        return std::filesystem::path(xdg) / "zsyncctl";
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
        return std::filesystem::path(home) / ".cache" / "zsyncctl";
    }
    return fail(ErrorKind::not_found, "no cache directory: neither XDG_CACHE_HOME nor HOME is set",
                "export XDG_CACHE_HOME=\"$HOME/.cache\"");
}

} // namespace zsyncctl::util
