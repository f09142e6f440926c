#include "pkg/inventory/pip_dist.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/process.hpp"
#include "pkg/inventory/manager_command.hpp"
#include "pkg/inventory/pip_index.hpp"
#include "pkg/inventory/pip_version.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

using Json = nlohmann::json;

// "X.Y" of an interpreter file name ("python3.11" -> "3.11"), or empty.
std::string version_in_name(const std::string& name) {
    if (!name.starts_with("python")) {
        return {};
    }
    std::string rest = name.substr(6);
    auto dot = rest.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 >= rest.size()) {
        return {};
    }
    std::size_t end = dot + 1;
    while (end < rest.size() && std::isdigit(static_cast<unsigned char>(rest[end])) != 0) {
        ++end;
    }
    bool digits = std::all_of(rest.begin(), rest.begin() + static_cast<long>(dot),
                              [](unsigned char c) { return std::isdigit(c) != 0; });
    return digits && end > dot + 1 ? rest.substr(0, end) : std::string();
}

// Follows `path`'s symlinks (logical, inside the root, at most 16) looking for a "pythonX.Y" name.
std::string interpreter_version(const util::Root& root, std::string path) {
    for (int hop = 0; hop < 16; ++hop) {
        std::string found = version_in_name(util::path_base(path));
        if (!found.empty()) {
            return found;
        }
        std::error_code ec;
        auto target =
            std::filesystem::read_symlink(root.resolve(util::path_dir(path)) / util::path_base(path), ec);
        if (ec) {
            return {};
        }
        std::string t = target.string();
        path = t.starts_with('/') ? t : util::path_dir(path) + "/" + t;
    }
    return {};
}

// The "KEY = value" settings of a pyvenv.cfg.
std::string cfg_value(const std::string& text, std::string_view key) {
    for (std::string_view line : util::split_lines(text)) {
        auto eq = line.find('=');
        if (eq != std::string_view::npos && util::trim(line.substr(0, eq)) == key) {
            return std::string(util::trim(line.substr(eq + 1)));
        }
    }
    return {};
}

// Adds `dir` when it exists and is not already listed (lib64 is often a link to lib: same inode).
void add_site(const util::Root& root, const std::string& dir, std::vector<std::string>& out) {
    if (!root.is_directory(dir)) {
        return;
    }
    std::error_code ec;
    for (const auto& known : out) {
        if (known == dir || std::filesystem::equivalent(root.resolve(known), root.resolve(dir), ec)) {
            return;
        }
    }
    out.push_back(dir);
}

// A non-venv prefix's site directories: upstream's site-packages and Debian's dist-packages.
void add_prefix_sites(const util::Root& root, const std::string& prefix, const std::string& version,
                      std::vector<std::string>& out) {
    std::string p = prefix == "/" ? "" : prefix;
    for (const char* lib : {"lib", "lib64"}) {
        add_site(root, p + "/" + lib + "/python" + version + "/site-packages", out);
    }
    add_site(root, p + "/local/lib/python" + version + "/dist-packages", out);
    add_site(root, p + "/lib/python3/dist-packages", out);
    add_site(root, p + "/lib/python" + version + "/dist-packages", out);
}

// The user site (~/.local/lib/pythonX.Y/site-packages, PYTHONUSERBASE), unless Python disables it.
void add_user_site(const util::Root& root, const std::string& version, std::vector<std::string>& out) {
    if (!root.host_env("PYTHONNOUSERSITE").empty() || (root.is_host() && ::getuid() != ::geteuid())) {
        return;
    }
    std::string base = root.host_env("PYTHONUSERBASE");
    if (base.empty()) {
        auto home = std::getenv("HOME");
        if (home == nullptr || !root.is_host()) {
            return;
        }
        base = std::string(home) + "/.local";
    }
    add_site(root, base + "/lib/python" + version + "/site-packages", out);
}

// The RFC 822 headers of a metadata file (up to the first blank line).
struct Metadata {
    std::string name;
    std::string version;
    std::string summary;
};

Metadata parse_metadata(std::string_view text) {
    Metadata m;
    for (std::string_view line : util::split_lines(text)) {
        if (util::trim(line).empty()) {
            break;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos || line.front() == ' ' || line.front() == '\t') {
            continue;
        }
        std::string_view key = line.substr(0, colon);
        std::string value(util::trim(line.substr(colon + 1)));
        if (key == "Name" && m.name.empty()) {
            m.name = value;
        } else if (key == "Version" && m.version.empty()) {
            m.version = value;
        } else if (key == "Summary" && m.summary.empty()) {
            m.summary = value;
        }
    }
    return m;
}

// One distribution found in a site directory.
struct Dist {
    Metadata metadata;
    InstallReason reason = InstallReason::unknown;
};

// The distributions of one site directory, in directory order (sorted by entry name).
std::vector<Dist> dists_in(const util::Root& root, const std::string& dir) {
    std::vector<std::string> entries;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(root.resolve(dir), ec), end; !ec && it != end;
         it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.ends_with(".dist-info") || name.ends_with(".egg-info")) {
            entries.push_back(std::move(name));
        }
    }
    std::sort(entries.begin(), entries.end());
    std::vector<Dist> out;
    for (const std::string& entry : entries) {
        std::string path = dir + "/" + entry;
        bool dist_info = entry.ends_with(".dist-info");
        util::Result<std::string> text = dist_info                 ? root.read(path + "/METADATA", 4u << 20)
                                         : root.is_directory(path) ? root.read(path + "/PKG-INFO", 4u << 20)
                                                                   : root.read(path, 4u << 20);
        if (!text) {
            continue;
        }
        Dist d;
        d.metadata = parse_metadata(*text);
        if (d.metadata.name.empty()) {
            continue;
        }
        if (dist_info) {
            auto installer = root.read(path + "/INSTALLER", 4096);
            if (installer && util::trim(*installer) == "pip") {
                d.reason = root.exists(path + "/REQUESTED") ? InstallReason::explicit_install
                                                            : InstallReason::dependency;
            }
        }
        out.push_back(std::move(d));
    }
    return out;
}

std::string one_line(std::string_view text, std::size_t limit = 300) {
    std::string out(util::trim(text));
    std::replace(out.begin(), out.end(), '\n', ' ');
    if (out.size() > limit) {
        out = out.substr(0, limit) + "...";
    }
    return out;
}

} // namespace

util::Result<PythonEnvironment> python_environment(const util::Root& root, const std::string& executable) {
    auto head = root.read(executable, 64u << 10);
    if (!head) {
        return util::fail(head.error());
    }
    auto lines = util::split_lines(*head);
    std::string interpreter;
    if (!lines.empty() && lines.front().starts_with("#!")) {
        std::string first(util::trim(lines.front().substr(2)));
        std::string program = first.substr(0, first.find(' '));
        if (util::path_base(program).starts_with("python")) {
            interpreter = program;
        } else if (program == "/bin/sh" && lines.size() > 1 && lines[1].starts_with("'''exec' ")) {
            // pip's launcher for interpreter paths longer than a kernel's #! line: '''exec' PYTHON "$0" "$@"
            std::string rest(lines[1].substr(9));
            interpreter = rest.substr(0, rest.find(' '));
        } else if (util::path_base(program) == "env" && first.find(" python") != std::string::npos) {
            std::string name(util::trim(first.substr(first.find(" python") + 1)));
            interpreter = util::path_dir(executable) + "/" + name.substr(0, name.find(' '));
        }
    }
    if (interpreter.empty() || interpreter.front() != '/') {
        return util::fail(util::ErrorKind::not_found,
                          executable + " names no Python interpreter on its first line (a shim?)",
                          "put the Python environment's bin directory first on PATH (or activate the venv)");
    }
    PythonEnvironment env;
    env.interpreter = interpreter;
    std::string bin = util::path_dir(interpreter);
    std::string prefix = util::path_dir(bin);
    std::string cfg_path;
    for (const std::string& candidate : {bin + "/pyvenv.cfg", prefix + "/pyvenv.cfg"}) {
        if (root.exists(candidate)) {
            cfg_path = candidate;
            break;
        }
    }
    std::string cfg =
        cfg_path.empty() ? std::string() : root.read(cfg_path, 64u << 10).value_or(std::string());
    env.venv = !cfg_path.empty();
    env.version = interpreter_version(root, interpreter);
    if (env.version.empty() && env.venv) {
        std::string full = cfg_value(cfg, "version");
        if (full.empty()) {
            full = cfg_value(cfg, "version_info");
        }
        auto parts = util::split(full, '.');
        if (parts.size() >= 2) {
            env.version = std::string(parts[0]) + "." + std::string(parts[1]);
        }
    }
    if (env.version.empty()) {
        return util::fail(util::ErrorKind::not_found, "cannot tell the Python version of " + interpreter);
    }
    for (std::string_view entry : util::split(root.host_env("PYTHONPATH"), ':')) {
        if (!entry.empty() && entry.front() == '/') {
            add_site(root, std::string(entry), env.site_dirs);
        }
    }
    if (env.venv) {
        std::string venv = util::path_dir(cfg_path);
        bool system_site = util::to_lower(cfg_value(cfg, "include-system-site-packages")) == "true";
        if (system_site) {
            add_user_site(root, env.version, env.site_dirs);
        }
        for (const char* lib : {"lib", "lib64"}) {
            add_site(root, venv + "/" + lib + "/python" + env.version + "/site-packages", env.site_dirs);
        }
        std::string home = cfg_value(cfg, "home");
        if (system_site && !home.empty() && home.front() == '/') {
            add_prefix_sites(root, util::path_dir(home), env.version, env.site_dirs);
        }
    } else {
        add_user_site(root, env.version, env.site_dirs);
        add_prefix_sites(root, prefix, env.version, env.site_dirs);
    }
    return env;
}

util::Result<std::vector<InstalledPackage>>
read_pip_site(const util::Root& root, const PythonEnvironment& env, const core::CancellationToken& token) {
    static const std::set<std::string> k_skipped = {"python", "wsgiref", "argparse"}; // pip's stdlib_pkgs
    std::set<std::string> seen;
    std::vector<InstalledPackage> out;
    for (const std::string& dir : env.site_dirs) {
        if (token.is_cancelled()) {
            return util::fail(util::ErrorKind::cancelled, "cancelled");
        }
        for (Dist& d : dists_in(root, dir)) {
            std::string canonical = canonical_pip_name(d.metadata.name);
            if (k_skipped.count(canonical) != 0 || !seen.insert(canonical).second) {
                continue;
            }
            InstalledPackage p;
            p.name = std::move(d.metadata.name);
            p.version = normalize_pep440(d.metadata.version);
            p.state = "installed";
            p.reason = d.reason;
            out.push_back(std::move(p));
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return canonical_pip_name(a.name) < canonical_pip_name(b.name);
    });
    return out;
}

util::Result<std::vector<OutdatedPackage>> parse_pip_outdated(const std::string& json) {
    Json doc = Json::parse(json, nullptr, false);
    if (!doc.is_array()) {
        return util::fail(util::ErrorKind::parse, "pip list --outdated --format=json printed no JSON list");
    }
    std::vector<OutdatedPackage> out;
    for (const auto& entry : doc) {
        if (!entry.is_object() || !entry.value("name", Json()).is_string()) {
            return util::fail(util::ErrorKind::parse, "pip list --outdated: an entry without a name");
        }
        OutdatedPackage o;
        o.name = entry.value("name", std::string());
        o.installed = entry.value("version", std::string());
        o.candidate = entry.value("latest_version", std::string());
        out.push_back(std::move(o));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return canonical_pip_name(a.name) < canonical_pip_name(b.name);
    });
    return out;
}

std::string pip_index_failure(std::string_view log) {
    static constexpr std::string_view k_marker = "Could not fetch URL ";
    for (std::string_view line : util::split_lines(log)) {
        auto at = line.find(k_marker);
        if (at == std::string_view::npos) {
            continue;
        }
        std::string_view rest = line.substr(at + k_marker.size());
        auto colon = rest.find(": ");
        if (colon == std::string_view::npos) {
            continue;
        }
        std::string_view reason = rest.substr(colon + 2);
        bool client_error = reason.size() > 4 && reason[0] == '4' &&
                            std::isdigit(static_cast<unsigned char>(reason[1])) != 0 &&
                            std::isdigit(static_cast<unsigned char>(reason[2])) != 0 && reason[3] == ' ';
        if (client_error) {
            continue; // the project is not on that index: an answer, not a failure
        }
        // "connection error: HTTPConnectionPool(...): Max retries exceeded ... (Caused by ...)" is long.
        auto cut = reason.find(": HTTP");
        std::string why(reason.substr(0, cut));
        if (auto refused = reason.find("Connection refused"); refused != std::string_view::npos) {
            why += " (connection refused)";
        } else if (reason.find("timed out") != std::string_view::npos) {
            why += " (timed out)";
        }
        return one_line(std::string(rest.substr(0, colon)) + ": " + why, 240);
    }
    return {};
}

util::Result<std::vector<OutdatedPackage>> pip_outdated(const util::Root& root, const std::string& executable,
                                                        std::string* note,
                                                        const core::CancellationToken& token) {
    if (std::string host = unresolvable_pip_index(executable, token); !host.empty()) {
        return util::fail(util::ErrorKind::network, "pip could not read its index: cannot resolve " + host,
                          "check the index pip is configured with (pip config list) and the network");
    }
    core::ProcessSpec spec;
    // The debug log (--log) is the only place pip says an index page could not be fetched.
    spec.argv = {executable,   "list",  "--outdated", "--format=json", "--disable-pip-version-check",
                 "--no-input", "--log", "/dev/stderr"};
    spec.set_env("LC_ALL", "C");
    spec.set_env("PIP_RETRIES", "0");
    spec.set_env("PIP_TIMEOUT", "10");
    spec.timeout = std::chrono::minutes(5);
    spec.capture_limit = 32u << 20;
    auto ran = run_manager_command(std::move(spec), "pip list --outdated", token);
    if (!ran) {
        return util::fail(std::move(ran).error());
    }
    if (std::string failed = pip_index_failure(ran->stderr_text); !failed.empty()) {
        return util::fail(util::ErrorKind::network, "pip could not read its index: " + failed,
                          "check the index pip is configured with (pip config list)");
    }
    if (!ran->success()) {
        std::string last;
        for (std::string_view line : util::split_lines(ran->stderr_text)) {
            if (line.find("ERROR:") != std::string_view::npos) {
                last = std::string(line.substr(line.find("ERROR:")));
            }
        }
        return util::fail(util::ErrorKind::command_failed, "pip list --outdated " + ran->describe() +
                                                               (last.empty() ? "" : ": " + one_line(last)));
    }
    auto parsed = parse_pip_outdated(ran->stdout_text);
    if (!parsed) {
        return parsed;
    }
    auto constraints = read_pip_constraints(root, root.host_env("PIP_CONSTRAINT"));
    std::vector<std::string> pinned;
    for (OutdatedPackage& o : *parsed) {
        if (auto c = violated_constraint(constraints, o.name, o.candidate)) {
            o.skip_reason = "pinned";
            pinned.push_back(util::sanitize_terminal(o.name + " (" + c->line + " in " + c->file + ")"));
        }
    }
    if (note != nullptr && !pinned.empty()) {
        *note = "pinned by PIP_CONSTRAINT: " + util::join(pinned, ", ");
    }
    return parsed;
}

util::Result<std::vector<PackageInfo>> pip_package_info(const util::Root& root, const PythonEnvironment& env,
                                                        const std::string& executable, std::string_view name,
                                                        const core::CancellationToken& token) {
    std::string wanted = canonical_pip_name(name);
    std::vector<PackageInfo> out;
    for (const std::string& dir : env.site_dirs) {
        if (token.is_cancelled()) {
            return util::fail(util::ErrorKind::cancelled, "cancelled");
        }
        for (Dist& d : dists_in(root, dir)) {
            if (canonical_pip_name(d.metadata.name) != wanted) {
                continue;
            }
            PackageInfo info;
            info.manager = "pip";
            info.name = d.metadata.name;
            info.installed = normalize_pep440(d.metadata.version);
            info.description = d.metadata.summary;
            info.reason = d.reason;
            out.push_back(std::move(info));
            break;
        }
        if (!out.empty()) {
            break;
        }
    }
    if (out.empty() || !root.is_host()) {
        return out;
    }
    auto outdated = pip_outdated(root, executable, nullptr, token);
    if (outdated) {
        out.front().candidate = out.front().installed;
        for (const OutdatedPackage& o : *outdated) {
            if (canonical_pip_name(o.name) == wanted) {
                out.front().candidate = o.candidate;
                out.front().held = !o.skip_reason.empty();
            }
        }
    } else if (outdated.error().kind == util::ErrorKind::cancelled) {
        return util::fail(outdated.error());
    }
    return out;
}

} // namespace zsyncctl::pkg
