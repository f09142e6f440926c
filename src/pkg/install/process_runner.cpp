#include "pkg/install/process_runner.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/executable.hpp"

extern char** environ;

namespace zsyncctl::pkg {

util::Result<int> run_interactive(const std::vector<std::string>& argv) {
    if (argv.empty()) {
        return util::fail(util::ErrorKind::internal, "run_interactive: empty argv");
    }
    auto exe = platform::find_executable(argv.front(), platform::path_env());
    if (!exe) {
        return util::fail(std::move(exe).error());
    }
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (std::string& s : copy) {
        args.push_back(s.data());
    }
    args.push_back(nullptr);
    // The child gets the default dispositions of the signals we ignore or catch (SIGPIPE is ignored while
    // the signal monitor runs, and an ignored signal would survive the exec).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, exe->c_str(), nullptr, &attr, args.data(), environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        return util::fail(util::errno_error("cannot run '" + *exe + "'", rc));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return util::fail(util::errno_error("waitpid", errno));
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace zsyncctl::pkg
