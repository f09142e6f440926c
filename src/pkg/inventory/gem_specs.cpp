#include "pkg/inventory/gem_specs.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>
#include <unistd.h>
#include <variant>

#include "core/process.hpp"
#include "pkg/inventory/manager_command.hpp"
#include "pkg/search/host_check.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

bool is_alnum(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// RubyGems' version pattern without the prerelease "-" form: digits, then "." parts of letters/digits.
bool is_gem_version(std::string_view text) {
    if (text.empty() || !util::is_ascii_digit(text.front())) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '.') {
            if (i + 1 >= text.size() || text[i + 1] == '.') {
                return false;
            }
        } else if (!is_alnum(c)) {
            return false;
        }
    }
    return true;
}

// Gem::Version's segments: numbers and letter runs ("1.0.a1" -> 1, 0, "a", 1).
using Segment = std::variant<long long, std::string>;

std::vector<Segment> segments(std::string_view version) {
    std::vector<Segment> out;
    std::size_t i = 0;
    while (i < version.size()) {
        if (util::is_ascii_digit(version[i])) {
            long long n = 0;
            while (i < version.size() && util::is_ascii_digit(version[i])) {
                n = n > 100000000000000LL ? n : n * 10 + (version[i] - '0');
                ++i;
            }
            out.emplace_back(n);
        } else if (std::isalpha(static_cast<unsigned char>(version[i])) != 0) {
            std::size_t j = i;
            while (j < version.size() && std::isalpha(static_cast<unsigned char>(version[j])) != 0) {
                ++j;
            }
            out.emplace_back(std::string(version.substr(i, j - i)));
            i = j;
        } else {
            ++i;
        }
    }
    // Trailing zeros do not count (1.0 == 1), the way Gem::Version#canonical_segments drops them.
    while (out.size() > 1 && std::holds_alternative<long long>(out.back()) &&
           std::get<long long>(out.back()) == 0) {
        out.pop_back();
    }
    return out;
}

// The directories of Gem.path named by the environment, or nothing when gem must be asked.
std::vector<std::string> path_from_env() {
    const char* path = std::getenv("GEM_PATH");
    const char* home = std::getenv("GEM_HOME");
    if (path == nullptr || home == nullptr || *home == '\0' || std::string_view(path).ends_with(':')) {
        return {};
    }
    std::vector<std::string> out;
    for (std::string_view entry : util::split(path, ':')) {
        if (!entry.empty()) {
            out.emplace_back(entry);
        }
    }
    out.emplace_back(home);
    return out;
}

// "3.1.0" for an interpreter named ruby3.1 (after its symlinks), or empty.
std::string ruby_version_of(const util::Root& root, std::string path) {
    for (int hop = 0; hop < 16; ++hop) {
        std::string name = util::path_base(path);
        if (name.starts_with("ruby") && name.size() > 4 && util::is_ascii_digit(name[4])) {
            std::string digits = name.substr(4); // split's views point into it: it must outlive them
            auto parts = util::split(digits, '.');
            if (parts.size() >= 2) {
                return std::string(parts[0]) + "." + std::string(parts[1]) + ".0";
            }
        }
        std::error_code ec;
        auto target = std::filesystem::read_symlink(root.resolve(util::path_dir(path)) / name, ec);
        if (ec) {
            return {};
        }
        std::string t = target.string();
        path = t.starts_with('/') ? t : util::path_dir(path) + "/" + t;
    }
    return {};
}

// <prefix>/lib/ruby/gems/X.Y.0/specifications/default for the interpreter of the gem script.
std::string default_specs_dir(const util::Root& root, const std::string& executable) {
    auto head = root.read(executable, 4096);
    if (!head || !head->starts_with("#!")) {
        return {};
    }
    std::string first(util::trim(util::split_lines(*head).front().substr(2)));
    std::string program = first.substr(0, first.find(' '));
    if (util::path_base(program) == "env") {
        program = util::path_dir(executable) + "/ruby";
    }
    if (!util::path_base(program).starts_with("ruby")) {
        return {};
    }
    std::string gems = util::path_dir(util::path_dir(program)) + "/lib/ruby/gems";
    std::string version = ruby_version_of(root, program);
    if (!version.empty()) {
        std::string dir = gems + "/" + version + "/specifications/default";
        return root.exists(dir) ? dir : std::string();
    }
    std::vector<std::string> found;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(root.resolve(gems), ec), end; !ec && it != end;
         it.increment(ec)) {
        std::string dir = gems + "/" + it->path().filename().string() + "/specifications/default";
        if (root.exists(dir)) {
            found.push_back(dir);
        }
    }
    return found.size() == 1 ? found.front() : std::string();
}

// One gemspec file of a directory.
struct SpecFile {
    std::string name;
    std::string version;
    std::string platform;
    std::string path;
    bool is_default = false;
};

std::vector<SpecFile> spec_files(const util::Root& root, const std::string& dir, bool is_default) {
    std::vector<std::string> files;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(root.resolve(dir), ec), end; !ec && it != end;
         it.increment(ec)) {
        std::string file = it->path().filename().string();
        if (file.ends_with(".gemspec")) {
            files.push_back(std::move(file));
        }
    }
    std::sort(files.begin(), files.end());
    std::vector<SpecFile> out;
    for (const std::string& file : files) {
        SpecFile s;
        if (split_gemspec_name(file, s.name, s.version, s.platform)) {
            s.path = dir + "/" + file;
            s.is_default = is_default;
            out.push_back(std::move(s));
        }
    }
    return out;
}

// Every spec file RubyGems loads, defaults first, a full name once.
std::vector<SpecFile> all_specs(const util::Root& root, const GemDirs& dirs) {
    std::vector<SpecFile> all;
    if (!dirs.default_specs.empty()) {
        all = spec_files(root, dirs.default_specs, true);
    }
    for (const std::string& dir : dirs.gem_path) {
        auto more = spec_files(root, dir + "/specifications", false);
        all.insert(all.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
    std::set<std::string> seen;
    std::vector<SpecFile> out;
    for (SpecFile& s : all) {
        if (seen.insert(s.name + "-" + s.version + (s.platform.empty() ? "" : "-" + s.platform)).second) {
            out.push_back(std::move(s));
        }
    }
    return out;
}

// The string literal of the gemspec's `s.summary = "..."` line (RubyGems writes one per spec), or empty.
std::string summary_of(const std::string& text) {
    for (std::string_view line : util::split_lines(text)) {
        auto at = line.find(".summary = \"");
        if (at == std::string_view::npos) {
            continue;
        }
        std::string out;
        for (std::size_t i = at + 12; i < line.size() && line[i] != '"'; ++i) {
            if (line[i] == '\\' && i + 1 < line.size()) {
                ++i;
            }
            out += line[i];
        }
        return out;
    }
    return {};
}

std::string one_line(std::string_view text, std::size_t limit = 300) {
    std::string out(util::trim(text));
    std::replace(out.begin(), out.end(), '\n', ' ');
    return out.size() > limit ? out.substr(0, limit) + "..." : out;
}

// The hosts of gem's sources: the ":sources:" list of the gemrc files gem reads (GEMRC, else ~/.gemrc, and
// /etc/gemrc), rubygems.org when none names any.
std::vector<std::string> source_hosts() {
    std::vector<std::string> files = {"/etc/gemrc"};
    const char* gemrc = std::getenv("GEMRC");
    const char* home = std::getenv("HOME");
    if (gemrc != nullptr && *gemrc != '\0') {
        for (std::string_view f : util::split(gemrc, ':')) {
            files.emplace_back(f);
        }
    } else if (home != nullptr) {
        files.push_back(std::string(home) + "/.gemrc");
    }
    std::vector<std::string> hosts;
    for (const std::string& file : files) {
        auto text = util::Root().read(file, 1u << 20);
        if (!text) {
            continue;
        }
        bool in_sources = false;
        for (std::string_view line : util::split_lines(*text)) {
            if (!line.empty() && line.front() != ' ' && line.front() != '-') {
                in_sources = util::trim(line).starts_with(":sources:");
                continue;
            }
            std::string_view item = util::trim(line);
            if (!in_sources || !item.starts_with("- ")) {
                continue;
            }
            std::string_view url = util::trim(item.substr(2));
            auto scheme = url.find("://");
            if (scheme == std::string_view::npos) {
                continue;
            }
            std::string_view rest = url.substr(scheme + 3);
            rest = rest.substr(0, rest.find_first_of("/:"));
            if (auto at = rest.rfind('@'); at != std::string_view::npos) {
                rest = rest.substr(at + 1);
            }
            if (!rest.empty()) {
                hosts.emplace_back(rest);
            }
        }
    }
    if (hosts.empty()) {
        hosts.emplace_back("rubygems.org");
    }
    return hosts;
}

// The first source host that does not resolve within 1.5 s (getent ahosts), or empty: gem outdated asks
// the source once per installed gem and would fail each time after its own resolver wait.
std::string unresolvable_source(const core::CancellationToken& token) {
    std::string getent = resolve_checker();
    if (getent.empty()) {
        return {};
    }
    for (const std::string& host : source_hosts()) {
        HostLookup lookup = read_resolve_check(core::run_process(resolve_check(getent, host), token));
        if (lookup == HostLookup::unresolvable || lookup == HostLookup::timed_out) {
            return host;
        }
    }
    return {};
}

} // namespace

bool split_gemspec_name(std::string_view file, std::string& name, std::string& version,
                        std::string& platform) {
    if (file.ends_with(".gemspec")) {
        file.remove_suffix(8);
    }
    for (std::size_t dash = file.find('-'); dash != std::string_view::npos; dash = file.find('-', dash + 1)) {
        if (dash == 0) {
            continue;
        }
        std::string_view rest = file.substr(dash + 1);
        std::size_t end = rest.find('-');
        std::string_view candidate = rest.substr(0, end);
        std::string_view after = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        if (!is_gem_version(candidate) || (!after.empty() && util::is_ascii_digit(after.front())) ||
            (end != std::string_view::npos && after.empty())) {
            continue;
        }
        name = std::string(file.substr(0, dash));
        version = std::string(candidate);
        platform = std::string(after);
        return true;
    }
    return false;
}

int compare_gem_versions(std::string_view a, std::string_view b) {
    auto sa = segments(a);
    auto sb = segments(b);
    for (std::size_t i = 0; i < std::max(sa.size(), sb.size()); ++i) {
        Segment x = i < sa.size() ? sa[i] : Segment(0LL);
        Segment y = i < sb.size() ? sb[i] : Segment(0LL);
        if (x == y) {
            continue;
        }
        bool xs = std::holds_alternative<std::string>(x);
        bool ys = std::holds_alternative<std::string>(y);
        if (xs != ys) {
            return xs ? -1 : 1; // a prerelease letter sorts before any number
        }
        return x < y ? -1 : 1;
    }
    return 0;
}

util::Result<GemDirs> gem_dirs(const util::Root& root, const std::string& executable,
                               const core::CancellationToken& token) {
    GemDirs dirs;
    dirs.default_specs = default_specs_dir(root, executable);
    dirs.gem_path = path_from_env();
    if (!dirs.gem_path.empty()) {
        std::vector<std::string> unique;
        for (auto& dir : dirs.gem_path) {
            if (std::find(unique.begin(), unique.end(), dir) == unique.end()) {
                unique.push_back(dir);
            }
        }
        dirs.gem_path = std::move(unique);
        return dirs;
    }
    if (!root.is_host()) {
        return util::fail(util::ErrorKind::unsupported,
                          "RubyGems' path is only known by asking gem, which is not done under --root",
                          "set GEM_HOME and GEM_PATH to the image's gem directories");
    }
    core::ProcessSpec spec;
    spec.argv = {executable, "environment", "gempath"};
    spec.set_env("LC_ALL", "C");
    spec.timeout = std::chrono::seconds(30);
    auto ran = core::run_process(std::move(spec), token);
    if (!ran) {
        return util::fail(ran.error());
    }
    if (ran->outcome == core::ProcessOutcome::cancelled) {
        return util::fail(util::ErrorKind::cancelled, "cancelled");
    }
    if (!ran->success()) {
        return util::fail(util::ErrorKind::command_failed,
                          "gem environment gempath " + ran->describe() + ": " + one_line(ran->stderr_text));
    }
    for (std::string_view entry : util::split(util::trim(ran->stdout_text), ':')) {
        if (!entry.empty() && entry.front() == '/' &&
            std::find(dirs.gem_path.begin(), dirs.gem_path.end(), entry) == dirs.gem_path.end()) {
            dirs.gem_path.emplace_back(entry);
        }
    }
    dirs.asked_gem = true;
    return dirs;
}

util::Result<std::vector<InstalledPackage>> read_gem_specs(const util::Root& root, const GemDirs& dirs,
                                                           const core::CancellationToken& token) {
    if (token.is_cancelled()) {
        return util::fail(util::ErrorKind::cancelled, "cancelled");
    }
    std::vector<InstalledPackage> out;
    for (SpecFile& s : all_specs(root, dirs)) {
        InstalledPackage p;
        p.name = std::move(s.name);
        p.version = std::move(s.version);
        p.architecture = std::move(s.platform);
        p.state = s.is_default ? "default" : "installed";
        out.push_back(std::move(p));
    }
    std::sort(out.begin(), out.end(), [](const InstalledPackage& a, const InstalledPackage& b) {
        if (a.name != b.name) {
            return a.name < b.name;
        }
        int c = compare_gem_versions(a.version, b.version);
        return c != 0 ? c > 0 : a.architecture < b.architecture;
    });
    return out;
}

std::vector<OutdatedPackage> parse_gem_outdated(std::string_view text) {
    std::vector<OutdatedPackage> out;
    for (std::string_view line : util::split_lines(text)) {
        line = util::trim(line);
        auto open = line.find(" (");
        auto less = line.find(" < ");
        if (open == std::string_view::npos || less == std::string_view::npos || less < open ||
            !line.ends_with(')')) {
            continue;
        }
        OutdatedPackage o;
        o.name = std::string(line.substr(0, open));
        o.installed = std::string(line.substr(open + 2, less - open - 2));
        o.candidate = std::string(line.substr(less + 3, line.size() - less - 4));
        out.push_back(std::move(o));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

std::string gem_source_failure(std::string_view debug_log) {
    static constexpr std::string_view k_marker = "Gem::RemoteFetcher::FetchError' at ";
    for (std::string_view line : util::split_lines(debug_log)) {
        auto at = line.find(k_marker);
        if (at == std::string_view::npos) {
            continue;
        }
        std::string_view rest = line.substr(at + k_marker.size());
        auto dash = rest.find(" - ");
        return one_line(dash == std::string_view::npos ? rest : rest.substr(dash + 3), 240);
    }
    return {};
}

util::Result<std::vector<OutdatedPackage>> gem_outdated(const std::string& executable,
                                                        const core::CancellationToken& token) {
    if (std::string host = unresolvable_source(token); !host.empty()) {
        return util::fail(util::ErrorKind::network, "gem could not read its source: cannot resolve " + host,
                          "check gem's sources (gem sources --list) and the network");
    }
    core::ProcessSpec spec;
    // --debug is the only place gem says a source could not be read (outdated drops the error).
    spec.argv = {executable, "outdated", "--debug"};
    spec.set_env("LC_ALL", "C");
    spec.timeout = std::chrono::minutes(5);
    spec.capture_limit = 16u << 20;
    auto ran = run_manager_command(std::move(spec), "gem outdated", token);
    if (!ran) {
        return util::fail(std::move(ran).error());
    }
    if (std::string failed = gem_source_failure(ran->stderr_text); !failed.empty()) {
        return util::fail(util::ErrorKind::network, "gem could not read its source: " + failed,
                          "check gem's sources (gem sources --list)");
    }
    if (!ran->success()) {
        std::string last;
        for (std::string_view line : util::split_lines(ran->stderr_text)) {
            if (line.starts_with("ERROR:")) {
                last = std::string(line);
            }
        }
        return util::fail(util::ErrorKind::command_failed,
                          "gem outdated " + ran->describe() + (last.empty() ? "" : ": " + one_line(last)));
    }
    return parse_gem_outdated(ran->stdout_text);
}

util::Result<std::vector<PackageInfo>> gem_package_info(const util::Root& root, const GemDirs& dirs,
                                                        const std::string& executable, std::string_view name,
                                                        const core::CancellationToken& token) {
    const SpecFile* newest = nullptr;
    auto specs = all_specs(root, dirs);
    for (const SpecFile& s : specs) {
        if (s.name == name && (newest == nullptr || compare_gem_versions(s.version, newest->version) > 0)) {
            newest = &s;
        }
    }
    std::vector<PackageInfo> out;
    if (newest == nullptr) {
        return out;
    }
    PackageInfo info;
    info.manager = "gem";
    info.name = newest->name;
    info.architecture = newest->platform;
    info.installed = newest->version;
    info.description = summary_of(root.read(newest->path, 1u << 20).value_or(std::string()));
    if (root.is_host()) {
        auto outdated = gem_outdated(executable, token);
        if (outdated) {
            info.candidate = info.installed;
            for (const OutdatedPackage& o : *outdated) {
                if (o.name == info.name) {
                    info.candidate = o.candidate;
                }
            }
        } else if (outdated.error().kind == util::ErrorKind::cancelled) {
            return util::fail(outdated.error());
        }
    }
    out.push_back(std::move(info));
    return out;
}

} // namespace zsyncctl::pkg
