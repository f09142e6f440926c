// pkg which's first step: what the shell would run for a command (PATH order, symbolic links, pyenv shims),
// and the owners npm and pip record for the files on the way.
#include "pkg/inventory/command_path.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

#include <nlohmann/json.hpp>

#include "pkg/inventory/dpkg_files.hpp"
#include "pkg/inventory/pip_dist.hpp"
#include "pkg/inventory/pyenv_shim.hpp"
#include "platform/executable.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

constexpr std::string_view k_standard_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string normal(const std::string& path) {
    std::string out = std::filesystem::path(path).lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') {
        out.pop_back();
    }
    return out;
}

// The target of the symbolic link `logical` (inside the root), or empty when it is none.
std::string readlink_in(const util::Root& root, const std::string& logical) {
    auto slash = logical.rfind('/');
    if (slash == std::string::npos || slash + 1 == logical.size()) {
        return {};
    }
    std::filesystem::path host =
        root.resolve(slash == 0 ? std::string("/") : logical.substr(0, slash)) / logical.substr(slash + 1);
    char buf[4096];
    ssize_t n = ::readlink(host.c_str(), buf, sizeof buf);
    return n > 0 && static_cast<std::size_t>(n) < sizeof buf ? std::string(buf, static_cast<std::size_t>(n))
                                                             : std::string();
}

bool executable_in(const util::Root& root, const std::string& logical) {
    return platform::is_executable_file(root.resolve(logical).string());
}

// Appends `from` and the links it leads through to `steps`, the last one the file with every directory
// link resolved.
void follow_links(const util::Root& root, const std::string& from, std::vector<std::string>& steps) {
    std::string current = from;
    steps.push_back(current);
    for (int hop = 0; hop < 40; ++hop) {
        std::string target = readlink_in(root, current);
        if (target.empty()) {
            break;
        }
        current = normal(
            target.front() == '/' ? target : canonical_in_root(root, util::path_dir(current)) + "/" + target);
        steps.push_back(current);
    }
    std::string real = canonical_in_root(root, current);
    if (real != current) {
        steps.push_back(real);
    }
}

// Every name of `path` the file lists may record: itself, its directory resolved, and the merged-/usr
// twin (/bin/X for /usr/bin/X and back, when /bin is the same directory as /usr/bin).
void add_names(const util::Root& root, const std::string& path, std::vector<std::string>& out) {
    auto add = [&](const std::string& p) {
        if (!p.empty() && std::find(out.begin(), out.end(), p) == out.end()) {
            out.push_back(p);
        }
    };
    add(path);
    std::string dir = util::path_dir(path);
    std::string resolved_dir = canonical_in_root(root, dir);
    std::string base = util::path_base(path);
    add(resolved_dir == "/" ? "/" + base : resolved_dir + "/" + base);
    std::vector<std::string> names(
        out.end() - std::min<std::ptrdiff_t>(2, static_cast<std::ptrdiff_t>(out.size())), out.end());
    for (const std::string& name : names) {
        for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
            const std::string t(top);
            const std::string usr = "/usr" + t;
            if (canonical_in_root(root, t) != usr) {
                continue;
            }
            if (name.starts_with(t + "/")) {
                add(usr + name.substr(t.size()));
            } else if (name.starts_with(usr + "/")) {
                add(t + name.substr(usr.size()));
            }
        }
    }
}

// The "Name:" header of a distribution's METADATA (PKG-INFO for an egg-info), else the directory's stem.
std::string distribution_name(const util::Root& root, const std::string& dir) {
    const bool egg = dir.ends_with(".egg-info");
    if (auto text = root.read(dir + (egg ? "/PKG-INFO" : "/METADATA"), 1u << 20)) {
        for (std::string_view line : util::split_lines(*text)) {
            if (line.empty()) {
                break;
            }
            if (line.starts_with("Name:")) {
                return std::string(util::trim(line.substr(5)));
            }
        }
    }
    std::string base = util::path_base(dir);
    return base.substr(0, base.find('-'));
}

// The paths of a RECORD (CSV: the first field, quoted when it holds a comma) or installed-files.txt.
std::vector<std::string> recorded_paths(std::string_view text, bool csv) {
    std::vector<std::string> out;
    for (std::string_view line : util::split_lines(text)) {
        if (!csv) {
            out.emplace_back(util::trim(line));
            continue;
        }
        if (line.starts_with('"')) {
            std::string field;
            for (std::size_t i = 1; i < line.size(); ++i) {
                if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else if (line[i] == '"') {
                    break;
                } else {
                    field += line[i];
                }
            }
            out.push_back(std::move(field));
        } else {
            out.emplace_back(line.substr(0, line.find(',')));
        }
    }
    return out;
}

// True when entry_points.txt's [console_scripts] or [gui_scripts] names `command`.
bool entry_point_names(std::string_view text, const std::string& command) {
    bool scripts = false;
    for (std::string_view line : util::split_lines(text)) {
        line = util::trim(line);
        if (line.starts_with('[')) {
            scripts = line == "[console_scripts]" || line == "[gui_scripts]";
        } else if (scripts && util::trim(line.substr(0, line.find('='))) == command) {
            return true;
        }
    }
    return false;
}

} // namespace

std::string canonical_in_root(const util::Root& root, const std::string& path) {
    std::error_code ec;
    if (root.is_host()) {
        auto c = std::filesystem::canonical(path, ec);
        return ec ? normal(path) : c.string();
    }
    util::Root::Resolution walked = root.walk(path);
    if (!walked.complete) {
        return normal(path);
    }
    std::string host = walked.path.lexically_normal().string();
    std::string dir = root.dir().lexically_normal().string();
    while (dir.size() > 1 && dir.back() == '/') {
        dir.pop_back();
    }
    if (host == dir) {
        return "/";
    }
    if (host.starts_with(dir + "/")) {
        return normal(host.substr(dir.size()));
    }
    return normal(path);
}

CommandResolution resolve_command(const util::Root& root, std::string_view query) {
    CommandResolution r;
    r.query = std::string(query);
    if (query.empty()) {
        return r;
    }
    if (query.find('/') != std::string_view::npos) {
        std::string path(query);
        if (path.front() != '/') {
            std::error_code ec;
            std::string cwd = root.is_host() ? std::filesystem::current_path(ec).string() : std::string("/");
            path = (ec ? std::string("/") : cwd) + "/" + path;
        }
        path = normal(path);
        r.found = path;
        if (root.exists(path) || !readlink_in(root, path).empty()) {
            follow_links(root, path, r.steps);
        } else {
            r.steps.push_back(path);
        }
    } else {
        const std::string path_list = root.is_host() ? platform::path_env() : std::string(k_standard_path);
        const std::string lists[] = {path_list, std::string(k_standard_path)};
        for (std::size_t i = 0; i < 2 && r.found.empty(); ++i) {
            for (std::string_view entry : util::split(lists[i], ':')) {
                if (entry.empty() || entry.front() != '/') {
                    continue; // the current directory is never searched
                }
                std::string candidate = normal(std::string(entry) + "/" + std::string(query));
                if (executable_in(root, candidate)) {
                    r.found = candidate;
                    r.on_path = i == 0;
                    break;
                }
            }
        }
        if (r.found.empty()) {
            r.paths = which_candidates(query);
            return r;
        }
        follow_links(root, r.found, r.steps);
    }
    // A pyenv shim runs the program of the version pyenv selects: that program is the answer.
    auto shim = resolve_pyenv_shim(root, r.steps.back());
    if (!shim) {
        r.note = util::sanitize_terminal(shim.error().message);
    } else if (*shim) {
        r.shim = util::sanitize_terminal("pyenv " + (*shim)->version + " (from " + (*shim)->origin + ")");
        r.shim_step = r.steps.size();
        follow_links(root, (*shim)->executable, r.steps);
    }
    for (const std::string& step : r.steps) {
        add_names(root, step, r.paths);
    }
    return r;
}

util::Result<std::vector<FileOwner>> npm_file_owners(const util::Root& root, const std::string& prefix,
                                                     const CommandResolution& resolution,
                                                     const core::CancellationToken& token) {
    std::vector<FileOwner> out;
    if (token.is_cancelled()) {
        return util::fail(util::ErrorKind::cancelled, "cancelled");
    }
    std::vector<std::string> steps = resolution.steps;
    std::string bin_dir = normal(prefix) + "/bin/";
    if (resolution.found.empty() && resolution.query.find('/') == std::string::npos) {
        // Not on PATH: npm's own bin directory still tells whether npm installed the command.
        std::string link = bin_dir + resolution.query;
        if (!readlink_in(root, link).empty()) {
            follow_links(root, link, steps);
        }
    }
    std::vector<std::string> modules_dirs = {normal(prefix) + "/lib/node_modules/"};
    std::string real_modules = canonical_in_root(root, normal(prefix) + "/lib/node_modules") + "/";
    if (real_modules != modules_dirs.front()) {
        modules_dirs.push_back(real_modules);
    }
    std::string real_bin = canonical_in_root(root, normal(prefix) + "/bin") + "/";
    std::string link_path;
    for (const std::string& step : steps) {
        if ((step.starts_with(bin_dir) || step.starts_with(real_bin)) && link_path.empty()) {
            link_path = step;
        }
        for (const std::string& modules : modules_dirs) {
            if (!step.starts_with(modules)) {
                continue;
            }
            std::string rest = step.substr(modules.size());
            auto parts = util::split(rest, '/');
            std::size_t take = !parts.empty() && parts[0].starts_with('@') ? 2 : 1;
            if (parts.size() <= take) {
                continue; // the package directory itself is no file of it
            }
            std::string dir_name(parts[0]);
            if (take == 2) {
                dir_name += "/" + std::string(parts[1]);
            }
            if (dir_name.empty() || dir_name.starts_with('.') || dir_name.find("..") != std::string::npos) {
                continue;
            }
            auto text = root.read(modules + dir_name + "/package.json", 4u << 20);
            if (!text) {
                continue;
            }
            nlohmann::json doc = nlohmann::json::parse(*text, nullptr, false);
            if (!doc.is_object() || !doc.contains("version") || !doc["version"].is_string()) {
                continue; // npm ls -g lists no package without a version
            }
            std::string name =
                doc.contains("name") && doc["name"].is_string() ? doc["name"].get<std::string>() : dir_name;
            if (std::none_of(out.begin(), out.end(), [&](const FileOwner& f) { return f.package == name; })) {
                out.push_back({name, link_path.empty() ? step : link_path, {}});
            }
        }
    }
    return out;
}

util::Result<std::vector<FileOwner>> pip_file_owners(const util::Root& root,
                                                     const CommandResolution& resolution,
                                                     const core::CancellationToken& token) {
    std::vector<FileOwner> out;
    std::set<std::string> wanted(resolution.paths.begin(), resolution.paths.end());
    std::set<std::string> bases;
    for (const std::string& step : resolution.steps) {
        bases.insert(util::path_base(step));
    }
    std::set<std::string> sites_done;
    for (const std::string& step : resolution.steps) {
        auto head = root.read(step, 4096);
        if (!head || !head->starts_with("#!") || head->find("python") == std::string::npos) {
            continue;
        }
        auto env = python_environment(root, step);
        if (!env) {
            continue;
        }
        const std::string interpreter_dir = canonical_in_root(root, util::path_dir(env->interpreter));
        for (const std::string& site : env->site_dirs) {
            if (!sites_done.insert(site).second) {
                continue;
            }
            std::error_code ec;
            std::vector<std::string> dists;
            for (std::filesystem::directory_iterator it(root.resolve(site), ec), end; !ec && it != end;
                 it.increment(ec)) {
                std::string name = it->path().filename().string();
                if (name.ends_with(".dist-info") || name.ends_with(".egg-info")) {
                    dists.push_back(name);
                }
            }
            std::sort(dists.begin(), dists.end());
            for (const std::string& dist : dists) {
                if (token.is_cancelled()) {
                    return util::fail(util::ErrorKind::cancelled, "cancelled");
                }
                const std::string dir = site + "/" + dist;
                const bool egg = dist.ends_with(".egg-info");
                auto record = root.read(dir + (egg ? "/installed-files.txt" : "/RECORD"), 64u << 20);
                std::string owned;
                if (record) {
                    const std::string base_dir = egg ? dir : site;
                    for (const std::string& entry : recorded_paths(*record, !egg)) {
                        if (entry.empty() || bases.count(util::path_base(entry)) == 0) {
                            continue;
                        }
                        std::string path = normal(entry.front() == '/' ? entry : base_dir + "/" + entry);
                        std::string real_dir = canonical_in_root(root, util::path_dir(path));
                        std::string real = real_dir + "/" + util::path_base(path);
                        if (wanted.count(path) != 0 || wanted.count(real) != 0) {
                            owned = path;
                            break;
                        }
                    }
                } else if (auto entry_points = root.read(dir + "/entry_points.txt", 1u << 20)) {
                    // No record of its files (a legacy develop install): its scripts are the entry points
                    // in the interpreter's own directory.
                    for (const std::string& step2 : resolution.steps) {
                        if (canonical_in_root(root, util::path_dir(step2)) == interpreter_dir &&
                            entry_point_names(*entry_points, util::path_base(step2))) {
                            owned = step2;
                            break;
                        }
                    }
                }
                if (!owned.empty()) {
                    out.push_back({distribution_name(root, dir), owned, {}});
                }
            }
        }
    }
    return out;
}

} // namespace zsyncctl::pkg
