#include "core/process_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "core/process_internal.hpp"

namespace zsyncctl::core {

namespace {

struct ProcEntry {
    pid_t ppid = 0;
    char state = '?';
};

/// Parent and state of `pid` from /proc/PID/stat ("pid (comm) S ppid ..."; comm may hold spaces and
/// parentheses, so the fields after the last ')' are read).
std::optional<ProcEntry> read_stat(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!in || !std::getline(in, line)) {
        return std::nullopt;
    }
    auto close = line.rfind(')');
    if (close == std::string::npos || close + 4 > line.size()) {
        return std::nullopt;
    }
    ProcEntry entry;
    entry.state = line[close + 2];
    entry.ppid = static_cast<pid_t>(std::strtol(line.c_str() + close + 4, nullptr, 10));
    return entry;
}

/// Every process in /proc with its parent and state.
std::map<pid_t, ProcEntry> snapshot() {
    std::map<pid_t, ProcEntry> out;
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr) {
        return out;
    }
    while (dirent* e = ::readdir(dir)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || end == e->d_name || *end != '\0') {
            continue;
        }
        if (auto entry = read_stat(static_cast<pid_t>(pid))) {
            out.emplace(static_cast<pid_t>(pid), *entry);
        }
    }
    ::closedir(dir);
    return out;
}

} // namespace

bool become_subreaper() {
    return ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
}

std::vector<pid_t> descendants_of(pid_t ancestor) {
    std::multimap<pid_t, pid_t> children;
    std::set<pid_t> zombies;
    for (const auto& [pid, entry] : snapshot()) {
        children.emplace(entry.ppid, pid);
        if (entry.state == 'Z' || entry.state == 'X') {
            zombies.insert(pid);
        }
    }
    std::vector<pid_t> out;
    std::vector<pid_t> queue{ancestor};
    std::set<pid_t> seen{ancestor};
    for (std::size_t i = 0; i < queue.size(); ++i) {
        auto [first, last] = children.equal_range(queue[i]);
        for (auto it = first; it != last; ++it) {
            if (!seen.insert(it->second).second) {
                continue;
            }
            queue.push_back(it->second);
            if (zombies.count(it->second) == 0) {
                out.push_back(it->second);
            }
        }
    }
    return out;
}

std::size_t reap_adopted_children() {
    std::size_t reaped = 0;
    pid_t self = ::getpid();
    for (const auto& [pid, entry] : snapshot()) {
        if (entry.ppid != self || (entry.state != 'Z' && entry.state != 'X') ||
            process_detail::is_spawned_child(pid)) {
            continue;
        }
        int status = 0;
        pid_t r = 0;
        do {
            r = ::waitpid(pid, &status, WNOHANG);
        } while (r < 0 && errno == EINTR);
        if (r == pid) {
            ++reaped;
        }
    }
    return reaped;
}

std::string process_name(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    if (!in || !std::getline(in, name)) {
        return {};
    }
    return name;
}

std::optional<pid_t> lock_holder(int fd) {
    struct flock query {};
    query.l_type = F_WRLCK;
    query.l_whence = SEEK_SET;
    query.l_start = 0;
    query.l_len = 0;
    if (::fcntl(fd, F_GETLK, &query) != 0 || query.l_type == F_UNLCK || query.l_pid <= 0) {
        return std::nullopt;
    }
    return query.l_pid;
}

std::optional<pid_t> flock_holder(dev_t dev, ino_t ino) {
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:56789 0 EOF": the device as hex major:minor, the inode decimal.
    std::ifstream in("/proc/locks");
    char wanted[64];
    std::snprintf(wanted, sizeof wanted, "%02x:%02x:%llu", ::major(dev), ::minor(dev),
                  static_cast<unsigned long long>(ino));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string number, kind, mode, access, pid, file;
        if (!(words >> number >> kind) || kind != "FLOCK" || !(words >> mode >> access >> pid >> file)) {
            continue; // another kind of lock, or a waiter ("1: -> FLOCK ...")
        }
        if (file == wanted) {
            long value = std::strtol(pid.c_str(), nullptr, 10);
            if (value > 0) {
                return static_cast<pid_t>(value);
            }
        }
    }
    return std::nullopt;
}

std::vector<pid_t> processes_with_file_open(dev_t dev, ino_t ino) {
    std::vector<pid_t> out;
    for (const auto& [pid, entry] : snapshot()) {
        std::string fds = "/proc/" + std::to_string(pid) + "/fd";
        DIR* dir = ::opendir(fds.c_str());
        if (dir == nullptr) {
            continue;
        }
        while (dirent* e = ::readdir(dir)) {
            struct stat st {};
            if (e->d_name[0] != '.' && ::stat((fds + "/" + e->d_name).c_str(), &st) == 0 &&
                st.st_dev == dev && st.st_ino == ino) {
                out.push_back(pid);
                break;
            }
        }
        ::closedir(dir);
    }
    return out;
}

} // namespace zsyncctl::core
