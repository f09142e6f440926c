#include "pkg/detect/probe.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace zsyncctl::pkg {

namespace {

FileProbe classify(const struct stat& st, std::string host_path) {
    FileProbe probe;
    probe.host_path = std::move(host_path);
    probe.mtime_ns = timespec_ns(st.st_mtim);
    probe.ctime_ns = timespec_ns(st.st_ctim);
    probe.uid = st.st_uid;
    probe.mode = st.st_mode;
    if (S_ISDIR(st.st_mode)) {
        probe.kind = FileProbe::Kind::directory;
    } else if (!S_ISREG(st.st_mode)) {
        probe.kind = FileProbe::Kind::other;
    } else if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0) {
        probe.kind = FileProbe::Kind::executable;
    } else {
        probe.kind = FileProbe::Kind::not_executable;
    }
    return probe;
}

} // namespace

FileProbe probe_path(const util::Root& root, std::string_view logical) {
    FileProbe missing;
    if (logical.empty() || logical.front() != '/') {
        return missing;
    }
    struct stat st {};
    if (root.is_host()) {
        // lstat first: one call for the common cases (nothing there, a plain file or directory), a second
        // only to follow a symlink.
        std::string path(logical);
        if (root.stat_host(path, st, false) != 0) {
            missing.host_path = std::move(path);
            return missing;
        }
        if (!S_ISLNK(st.st_mode)) {
            return classify(st, std::move(path));
        }
        if (root.stat_host(path, st, true) == 0) {
            FileProbe probe = classify(st, std::move(path));
            probe.via_link = true;
            return probe;
        }
        missing.host_path = std::move(path);
        missing.kind = FileProbe::Kind::dangling_symlink;
        missing.via_link = true;
        return missing;
    }
    // The walk follows every link inside the root, so the path it returns has none left below it.
    util::Root::Resolution res = root.walk(logical);
    if (res.complete && ::lstat(res.path.c_str(), &st) == 0) {
        FileProbe probe = classify(st, res.path.string());
        probe.via_link = res.through_link;
        return probe;
    }
    // An empty path: the walk gave up on a link (a loop); name where it was looked for.
    missing.host_path = res.path.empty() ? root.dir().string() + std::string(logical) : res.path.string();
    if (res.through_link) {
        missing.kind = FileProbe::Kind::dangling_symlink;
        missing.via_link = true;
    }
    return missing;
}

std::string distrust_as_root(const FileProbe& probe) {
    auto writable_by_others = [](mode_t mode) {
        return (mode & (S_IWGRP | S_IWOTH)) != 0 && (mode & S_ISVTX) == 0;
    };
    if (probe.uid != 0) {
        return "owned by uid " + std::to_string(probe.uid) +
               ": as root, nothing another user controls is run";
    }
    if (writable_by_others(probe.mode)) {
        return "writable by group or others: as root, nothing another user controls is run";
    }
    char* real = ::realpath(probe.host_path.c_str(), nullptr);
    if (real == nullptr) {
        return "cannot be resolved: " + std::string(std::strerror(errno));
    }
    std::string dir(real);
    std::free(real);
    while (true) {
        auto slash = dir.rfind('/');
        dir = slash == 0 || slash == std::string::npos ? "/" : dir.substr(0, slash);
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0) {
            return dir + ": " + std::strerror(errno);
        }
        if (st.st_uid != 0) {
            return "in " + dir + ", owned by uid " + std::to_string(st.st_uid) +
                   ": as root, nothing another user controls is run";
        }
        if (writable_by_others(st.st_mode)) {
            return "in " + dir +
                   ", writable by group or others: as root, nothing another user controls is run";
        }
        if (dir == "/") {
            return {};
        }
    }
}

std::string_view describe_rejection(FileProbe::Kind kind) {
    switch (kind) {
    case FileProbe::Kind::missing:
        return "missing";
    case FileProbe::Kind::dangling_symlink:
        return "a dangling symlink";
    case FileProbe::Kind::directory:
        return "a directory";
    case FileProbe::Kind::not_executable:
        return "not executable";
    case FileProbe::Kind::other:
        return "not a regular file";
    case FileProbe::Kind::executable:
        return "executable";
    case FileProbe::Kind::untrusted:
        return "not run as root";
    }
    return "missing";
}

std::string parent_of(std::string_view logical) {
    auto slash = logical.rfind('/');
    if (slash == std::string_view::npos || slash == 0) {
        return "/";
    }
    return std::string(logical.substr(0, slash));
}

std::string clean_logical(std::string_view path) {
    std::string out;
    out.reserve(path.size());
    for (char c : path) {
        if (c == '/' && !out.empty() && out.back() == '/') {
            continue;
        }
        out.push_back(c);
    }
    while (out.size() > 1 && out.back() == '/') {
        out.pop_back();
    }
    return out;
}

} // namespace zsyncctl::pkg
