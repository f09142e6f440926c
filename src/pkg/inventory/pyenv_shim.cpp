#include "pkg/inventory/pyenv_shim.hpp"

#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "platform/executable.hpp"
#include "util/fs.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// The shim's `export PYENV_ROOT="..."` value when it execs pyenv's libexec, else nullopt (no pyenv shim).
std::optional<std::string> shim_pyenv_root(std::string_view text) {
    std::string pyenv_root;
    bool execs_pyenv = false;
    for (std::string_view line : util::split_lines(text)) {
        line = util::trim(line);
        if (line.starts_with("export PYENV_ROOT=\"") && line.ends_with('"') && line.size() > 20) {
            pyenv_root = std::string(line.substr(19, line.size() - 20));
        } else if (line.starts_with("exec \"") &&
                   line.find("/libexec/pyenv\" exec \"$program\"") != line.npos) {
            execs_pyenv = true;
        }
    }
    if (!execs_pyenv) {
        return std::nullopt;
    }
    return pyenv_root;
}

// pyenv-version-file-read: the first word of each line, skipping blank lines, comments and words that
// could leave the versions directory ("..", anything with a slash).
std::vector<std::string> version_words(std::string_view text) {
    std::vector<std::string> out;
    for (std::string_view line : util::split_lines(text)) {
        line = util::trim(line);
        std::string_view word = line.substr(0, line.find_first_of(" \t"));
        if (word.empty() || word.front() == '#' || word == ".." || word.find('/') != word.npos) {
            continue;
        }
        out.emplace_back(word);
    }
    return out;
}

bool executable_in(const util::Root& root, const std::string& logical) {
    return platform::is_executable_file(root.resolve(logical).string());
}

util::Failure untrusted(const std::string& path) {
    return util::fail(util::ErrorKind::permission_denied,
                      util::sanitize_terminal(path) +
                          " is controlled by another user (not root's, or writable by others): not followed "
                          "as root",
                      "run zsyncctl as that user, or select the Python version with PYENV_VERSION");
}

} // namespace

bool root_may_follow(const util::Root& root, const std::string& path) {
    if (!root.is_host() || ::geteuid() != 0) {
        return true;
    }
    // A symlink on the way is fine when root owns it and its directory (only root could have made it) and
    // its target passes on its own.
    std::string so_far;
    const std::string parent = util::path_dir(path);
    for (std::string_view part : util::split(parent, '/')) {
        if (part.empty()) {
            continue;
        }
        so_far += "/" + std::string(part);
        struct stat st {};
        if (::lstat(so_far.c_str(), &st) != 0 || st.st_uid != 0) {
            return false;
        }
        if (S_ISDIR(st.st_mode) && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
            return false;
        }
        std::error_code ec;
        if (S_ISLNK(st.st_mode) && !util::root_may_use(std::filesystem::canonical(so_far, ec))) {
            return false;
        }
    }
    std::error_code ec;
    auto canonical = std::filesystem::canonical(path, ec);
    struct stat st {};
    return !ec && util::root_may_use(canonical) && ::lstat(path.c_str(), &st) == 0 && st.st_uid == 0;
}

util::Result<std::optional<ShimTarget>> resolve_pyenv_shim(const util::Root& root,
                                                           const std::string& executable) {
    auto text = root.read(executable, 64u << 10);
    if (!text || !text->starts_with("#!")) {
        return std::optional<ShimTarget>();
    }
    auto baked = shim_pyenv_root(*text);
    if (!baked) {
        return std::optional<ShimTarget>();
    }
    if (!root_may_follow(root, executable)) {
        return untrusted(executable);
    }
    // The shim exports the PYENV_ROOT `pyenv rehash` wrote into it; older shims leave the environment's.
    std::string pyenv_root = *baked;
    if (pyenv_root.empty()) {
        pyenv_root = root.host_env("PYENV_ROOT");
    }
    if (pyenv_root.empty()) {
        auto home = root.home();
        pyenv_root = home ? home->string() + "/.pyenv" : std::string();
    }
    if (pyenv_root.empty() || pyenv_root.front() != '/') {
        return util::fail(util::ErrorKind::not_found,
                          executable + " is a pyenv shim, but PYENV_ROOT is unknown", "set PYENV_ROOT");
    }
    ShimTarget target;
    std::vector<std::string> versions;
    if (std::string env = root.host_env("PYENV_VERSION"); !env.empty()) {
        for (std::string_view v : util::split(env, ':')) {
            if (!v.empty()) {
                versions.emplace_back(v);
            }
        }
        target.origin = "PYENV_VERSION";
    }
    auto read_version_file = [&](const std::string& file) -> util::Result<bool> {
        if (!root_may_follow(root, file)) {
            return untrusted(file);
        }
        target.origin = file;
        versions = version_words(root.read(file, 64u << 10).value_or(std::string()));
        return true;
    };
    if (versions.empty() && root.is_host()) {
        std::error_code ec;
        std::string dir = std::filesystem::current_path(ec).string();
        while (!ec && !dir.empty() && target.origin.empty()) {
            std::string file = (dir == "/" ? "" : dir) + "/.python-version";
            struct stat st {};
            if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
                if (auto read = read_version_file(file); !read) {
                    return util::fail(read.error());
                }
            }
            if (dir == "/") {
                break;
            }
            dir = util::path_dir(dir);
        }
    }
    if (target.origin.empty() && root.exists(pyenv_root + "/version")) {
        if (auto read = read_version_file(pyenv_root + "/version"); !read) {
            return util::fail(read.error());
        }
    }
    if (target.origin.empty()) {
        target.origin = "no version file";
    }
    if (versions.empty()) {
        versions.emplace_back("system");
    }
    const std::string program = util::path_base(executable);
    const std::string shims = util::path_dir(executable);
    for (const std::string& wanted : versions) {
        std::string found;
        if (wanted == "system") {
            // pyenv-which: the program on PATH once the shims directory is taken out of it.
            const std::string path_list = platform::path_env();
            for (std::string_view entry : util::split(path_list, ':')) {
                std::string dir(entry);
                while (dir.size() > 1 && dir.back() == '/') {
                    dir.pop_back();
                }
                if (dir.empty() || dir.front() != '/' || dir == shims || dir == pyenv_root + "/shims") {
                    continue;
                }
                if (executable_in(root, dir + "/" + program)) {
                    found = dir + "/" + program;
                    break;
                }
            }
        } else {
            std::string version = wanted;
            if (!root.exists(pyenv_root + "/versions/" + version) && version.starts_with("python-")) {
                version = version.substr(7); // pyenv-version-name accepts "python-3.11"
            }
            if (!root.exists(pyenv_root + "/versions/" + version)) {
                // pyenv-version-name: any selected version that is not installed fails the shim.
                return util::fail(
                    util::ErrorKind::not_found,
                    util::sanitize_terminal("pyenv: version '" + wanted + "' is not installed (set by " +
                                            target.origin + ")"),
                    "pyenv install " + util::sanitize_terminal(wanted) + ", or select another version");
            }
            std::string candidate = pyenv_root + "/versions/" + version + "/bin/" + program;
            if (executable_in(root, candidate)) {
                found = candidate;
            }
        }
        if (found.empty()) {
            continue;
        }
        if (!root_may_follow(root, found)) {
            return untrusted(found);
        }
        target.executable = found;
        target.version = wanted;
        return std::optional<ShimTarget>(std::move(target));
    }
    return util::fail(
        util::ErrorKind::not_found,
        util::sanitize_terminal("pyenv: " + program + " is in none of the selected versions (" +
                                util::join(versions, ":") + ", from " + target.origin + ")"),
        "install it in that version, or select another: pyenv local / pyenv global / PYENV_VERSION");
}

} // namespace zsyncctl::pkg
