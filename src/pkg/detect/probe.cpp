#include "pkg/detect/probe.hpp"

#include <cerrno>
#include <deque>
#include <sys/stat.h>
#include <unistd.h>

namespace zsyncctl::pkg {

namespace {

constexpr int k_max_links = 40;

std::int64_t to_ns(const struct timespec& ts) {
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

FileProbe classify(const struct stat& st, std::string host_path) {
    FileProbe probe;
    probe.host_path = std::move(host_path);
    probe.mtime_ns = to_ns(st.st_mtim);
    probe.ctime_ns = to_ns(st.st_ctim);
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

std::deque<std::string> components(std::string_view path) {
    std::deque<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        if (end > start) {
            parts.emplace_back(path.substr(start, end - start));
        }
        start = end + 1;
    }
    return parts;
}

// Resolves `logical` inside a non-host root. Returns the host path of the final object, with
// `followed_link` telling whether any symlink was involved; nullopt-like empty string when a component
// is missing (then `missing_after_link` says whether a symlink led there).
struct Resolution {
    std::string host_path;
    bool complete = false;
    bool through_link = false;
};

Resolution resolve_in_root(const std::string& root_dir, std::string_view logical) {
    Resolution res;
    std::deque<std::string> todo = components(logical);
    std::string current; // logical, "" means "/"
    int links = 0;
    while (!todo.empty()) {
        std::string part = std::move(todo.front());
        todo.pop_front();
        if (part == ".") {
            continue;
        }
        if (part == "..") {
            auto slash = current.rfind('/');
            current = slash == std::string::npos ? std::string() : current.substr(0, slash);
            continue;
        }
        std::string candidate = current + "/" + part;
        std::string host = root_dir + candidate;
        struct stat st {};
        if (::lstat(host.c_str(), &st) != 0) {
            res.host_path = host;
            for (const auto& rest : todo) {
                res.host_path += "/" + rest;
            }
            return res;
        }
        if (S_ISLNK(st.st_mode)) {
            res.through_link = true;
            if (++links > k_max_links) {
                res.host_path = host;
                return res;
            }
            char buffer[4096];
            ssize_t n = ::readlink(host.c_str(), buffer, sizeof buffer);
            if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buffer) {
                res.host_path = host;
                return res;
            }
            std::string_view target(buffer, static_cast<std::size_t>(n));
            auto target_parts = components(target);
            for (auto it = target_parts.rbegin(); it != target_parts.rend(); ++it) {
                todo.push_front(*it);
            }
            if (target.front() == '/') {
                current.clear();
            }
            continue;
        }
        current = std::move(candidate);
    }
    res.host_path = root_dir + (current.empty() ? "/" : current);
    res.complete = true;
    return res;
}

} // namespace

FileProbe probe_path(const util::Root& root, std::string_view logical) {
    FileProbe missing;
    if (logical.empty() || logical.front() != '/') {
        return missing;
    }
    struct stat st {};
    if (root.is_host()) {
        std::string path(logical);
        if (::stat(path.c_str(), &st) == 0) {
            return classify(st, std::move(path));
        }
        missing.host_path = path;
        if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
            missing.kind = FileProbe::Kind::dangling_symlink;
        }
        return missing;
    }
    Resolution res = resolve_in_root(root.dir().string(), logical);
    if (res.complete && ::stat(res.host_path.c_str(), &st) == 0) {
        return classify(st, std::move(res.host_path));
    }
    missing.host_path = std::move(res.host_path);
    if (res.through_link) {
        missing.kind = FileProbe::Kind::dangling_symlink;
    }
    return missing;
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
    }
    return "missing";
}

std::string stamp_host_path(const std::string& host_path) {
    struct stat st {};
    if (::stat(host_path.c_str(), &st) != 0 && ::lstat(host_path.c_str(), &st) != 0) {
        return "absent";
    }
    return "m" + std::to_string(to_ns(st.st_mtim)) + "c" + std::to_string(to_ns(st.st_ctim));
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
