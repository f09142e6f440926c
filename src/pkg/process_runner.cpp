#include "pkg/process_runner.hpp"

#include <cerrno>
#include <cstdlib>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/strings.hpp"

extern char** environ;

namespace zsyncctl::pkg {

namespace {

bool is_executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

} // namespace

util::Result<std::string> find_executable(std::string_view name, std::string_view path_env) {
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
    for (std::string_view dir : util::split(path_env, ':')) {
        if (dir.empty()) {
            continue;
        }
        std::string candidate(dir);
        candidate += '/';
        candidate += name;
        if (is_executable_file(candidate)) {
            return candidate;
        }
    }
    return util::fail(util::ErrorKind::not_found, "'" + std::string(name) + "' was not found on PATH");
}

util::Result<int> run_interactive(const std::vector<std::string>& argv) {
    if (argv.empty()) {
        return util::fail(util::ErrorKind::internal, "run_interactive: empty argv");
    }
    const char* path_env = std::getenv("PATH");
    auto exe = find_executable(argv.front(), path_env ? path_env : "/usr/bin:/bin");
    if (!exe) {
        return util::fail(std::move(exe).error());
    }
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (std::string& s : copy) {
        args.push_back(s.data());
    }
    args.push_back(nullptr);
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, exe->c_str(), nullptr, nullptr, args.data(), environ);
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
