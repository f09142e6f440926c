#include "pkg/install/run_files.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <utility>
#include <vector>

namespace zsyncctl::pkg {

namespace {

std::string utc_second() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

bool safe_component(std::string_view name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
           name.find('\0') == std::string_view::npos;
}

} // namespace

std::string lock_group_name(std::string_view group, const std::filesystem::path& root_dir) {
    std::string dir = root_dir.lexically_normal().string();
    while (dir.size() > 1 && dir.back() == '/') {
        dir.pop_back();
    }
    if (dir.empty() || dir == "/") {
        return std::string(group);
    }
    // FNV-1a (64 bit): the same name from every build, unlike std::hash.
    std::uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : dir) {
        h = (h ^ c) * 1099511628211ULL;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return std::string(group) + "@" + hex;
}

LockDir lock_dir() {
    std::vector<std::filesystem::path> candidates;
    const uid_t euid = ::geteuid();
    if (euid == 0) {
        candidates = {"/run/lock/zsyncctl", "/run/zsyncctl"};
    } else {
        if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && runtime[0] == '/') {
            candidates.push_back(std::filesystem::path(runtime) / "zsyncctl");
        }
        candidates.push_back("/run/lock/zsyncctl-" + std::to_string(euid));
        candidates.push_back("/tmp/zsyncctl-" + std::to_string(euid));
    }
    LockDir out;
    std::string refused;
    for (const auto& candidate : candidates) {
        auto dir = util::open_private_dir(candidate, util::CreateMissing::yes);
        if (dir) {
            out.path = candidate;
            if (!refused.empty()) {
                out.warning = refused + "; locking in " + candidate.string();
            }
            return out;
        }
        refused += (refused.empty() ? "" : "; ") + std::string("lock directory ") + dir.error().message;
    }
    out.warning = refused + "; other zsyncctl runs are not kept out";
    return out;
}

util::Result<LockGroupGuard> LockGroupGuard::acquire(const std::filesystem::path& dir, std::string_view group,
                                                     const core::CancellationToken& interrupt,
                                                     const std::function<void()>& on_wait) {
    if (!safe_component(group)) {
        return util::fail(util::ErrorKind::internal, "bad lock group name '" + std::string(group) + "'");
    }
    auto dir_fd = util::open_private_dir(dir, util::CreateMissing::yes);
    if (!dir_fd) {
        return util::fail(std::move(dir_fd).error());
    }
    std::string name = std::string(group) + ".lock";
    auto file = util::open_owned_file_at(dir_fd->get(), name);
    if (!file) {
        util::Error error = std::move(file).error();
        error.message = (dir / name).string() + ": " + error.message;
        return util::fail(std::move(error));
    }
    LockGroupGuard guard;
    guard.m_fd = std::move(*file);
    bool waited = false;
    while (::flock(guard.m_fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            return util::fail(util::errno_error("cannot lock " + (dir / name).string(), errno));
        }
        if (!waited && on_wait) {
            on_wait();
        }
        waited = true;
        // flock has no wake-up to wait on: the lock is tried again every 200 ms, the token checked between.
        if (interrupt.is_cancelled()) {
            return util::fail(util::ErrorKind::interrupted,
                              "interrupted while waiting for the " + std::string(group) + " lock");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        if (interrupt.is_cancelled()) {
            return util::fail(util::ErrorKind::interrupted,
                              "interrupted while waiting for the " + std::string(group) + " lock");
        }
    }
    return guard;
}

RunLog RunLog::open(std::string_view operation, std::string_view manager, RunLogLimits limits) {
    auto dir = util::cache_dir();
    if (!dir) {
        RunLog log;
        log.m_limits = limits;
        log.m_error = "no log: " + dir.error().message;
        return log;
    }
    return open_in(*dir / "logs", operation, manager, limits);
}

RunLog RunLog::open_in(const std::filesystem::path& dir, std::string_view operation, std::string_view manager,
                       RunLogLimits limits) {
    RunLog log;
    log.m_limits = limits;
    if (!safe_component(operation) || !safe_component(manager)) {
        log.m_error = "no log: bad name";
        return log;
    }
    auto dir_fd = util::open_private_dir(dir, util::CreateMissing::yes);
    if (!dir_fd) {
        log.m_error = "no log: " + dir_fd.error().message;
        return log;
    }
    std::string name = std::string(operation) + "-" + std::string(manager) + "-" + utc_second() + "-" +
                       std::to_string(::getpid()) + "-" + util::random_token().substr(0, 8) + ".log";
    auto file = util::create_file_at(dir_fd->get(), name, 0600);
    if (!file) {
        log.m_error = "no log: " + (dir / name).string() + ": " + file.error().message;
        return log;
    }
    log.m_fd = std::move(*file);
    log.m_path = (dir / name).string();
    util::prune_files_at(dir_fd->get(), "", ".log", limits.keep, limits.max_age_seconds,
                         static_cast<long long>(std::time(nullptr)), name);
    return log;
}

void RunLog::line(std::string_view text) {
    if (!enabled() || m_capped) {
        return;
    }
    std::string out(text);
    out += '\n';
    if (m_written + out.size() > m_limits.max_bytes) {
        out = "[log truncated: it reached " + std::to_string(m_limits.max_bytes) + " bytes]\n";
        m_capped = true;
    }
    if (auto written = util::write_all(m_fd.get(), out, "write"); !written) {
        m_error = "the log " + m_path + " could not be written: " + written.error().message;
        return;
    }
    m_written += out.size();
}

} // namespace zsyncctl::pkg
