#include "pkg/inventory/dnf_outdated.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>
#include <tuple>

#include "core/process.hpp"
#include "pkg/install/version_locks.hpp"
#include "pkg/inventory/manager_command.hpp"
#include "pkg/search/search_index.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

bool starts_blank(std::string_view line) {
    return !line.empty() && (line.front() == ' ' || line.front() == '\t');
}

std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t at = 0;
    while (at < line.size()) {
        while (at < line.size() && (line[at] == ' ' || line[at] == '\t' || line[at] == '\r')) {
            ++at;
        }
        std::size_t end = at;
        while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r') {
            ++end;
        }
        if (end > at) {
            out.push_back(line.substr(at, end - at));
        }
        at = end;
    }
    return out;
}

// argv[0] (the registry's executable), the root's dnf options (registry root_args, "{root}" expanded), then
// `rest`.
std::vector<std::string> dnf_argv(const Manager& manager, const util::Root& root,
                                  std::initializer_list<std::string_view> rest) {
    std::vector<std::string> argv{std::string(manager.executables.front())};
    if (!root.is_host()) {
        std::string dir = root.dir().string();
        for (std::string_view a : manager.install.root_args) {
            std::string arg;
            std::size_t at = 0;
            for (std::size_t found = a.find("{root}"); found != std::string_view::npos;
                 found = a.find("{root}", at)) {
                arg.append(a.substr(at, found - at)).append(dir);
                at = found + 6;
            }
            argv.push_back(arg.append(a.substr(at)));
        }
        for (std::string& arg : root_lock_args(manager.install, root)) {
            argv.push_back(std::move(arg));
        }
    }
    for (std::string_view r : rest) {
        argv.emplace_back(r);
    }
    return argv;
}

std::string stderr_tail(const core::ProcessResult& ran) {
    // dnf warns on every run of a root without a release package; that is no reason for anything.
    std::string tail;
    for (std::string_view line : util::split_lines(ran.stderr_text)) {
        line = util::trim(line);
        if (!line.empty() && !line.starts_with("Unable to detect release version")) {
            tail = std::string(line);
        }
    }
    return tail.size() > 300 ? tail.substr(0, 300) + "..." : tail;
}

// Runs a read-only dnf query; an exit code other than 0 answers when the registry's table says so.
util::Result<core::ProcessResult> query(const Manager& manager, std::vector<std::string> argv,
                                        const core::CancellationToken& token) {
    core::ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.set_env("LC_ALL", "C");
    spec.timeout = std::chrono::minutes(5);
    std::vector<std::string> shown = spec.argv;
    auto ran = run_manager_command(std::move(spec), shown.front(), token);
    if (!ran) {
        return util::fail(std::move(ran).error());
    }
    bool answered = ran->success() || (ran->outcome == core::ProcessOutcome::exited &&
                                       non_failure_exit(manager, shown, ran->exit_code) != nullptr);
    if (answered) {
        return std::move(*ran);
    }
    std::string tail = stderr_tail(*ran);
    if (tail.find("There are no enabled repositories") != std::string::npos) {
        // Nothing to compare with is an answer (nothing is outdated), not a failure; the caller says so.
        return util::fail(util::ErrorKind::unsupported, "dnf has no enabled repositories");
    }
    if (tail.find("Cache-only enabled but no cache") != std::string::npos) {
        return util::fail(util::ErrorKind::not_found, "dnf has no metadata cache: " + tail,
                          "run: zsyncctl pkg refresh -m dnf");
    }
    return util::fail(util::ErrorKind::command_failed,
                      shown.front() + " " + ran->describe() + (tail.empty() ? "" : ": " + tail));
}

struct RpmInstalled {
    std::string name;
    std::string version; // [epoch:]version-release, as dnf prints it
    std::string architecture;
    std::int64_t size = -1;
    std::string summary;
};

// `rpm -q` of `names` on the root: what is installed of them (a name not installed prints no row).
util::Result<std::vector<RpmInstalled>> rpm_installed(const util::Root& root,
                                                      const std::vector<std::string>& names,
                                                      const core::CancellationToken& token) {
    std::vector<RpmInstalled> out;
    if (names.empty()) {
        return out;
    }
    std::vector<std::string> argv{"rpm"};
    if (!root.is_host()) {
        argv.insert(argv.end(), {"--root", root.dir().string()});
    }
    argv.insert(
        argv.end(),
        {"-q", "--qf",
         "@@\t%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SIZE}\t%{SUMMARY}\n"});
    argv.emplace_back("--"); // a name is never an option
    argv.insert(argv.end(), names.begin(), names.end());
    core::ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.set_env("LC_ALL", "C");
    spec.timeout = std::chrono::minutes(1);
    auto ran = core::run_process(std::move(spec), token);
    if (!ran) {
        return util::fail(ran.error());
    }
    if (ran->outcome == core::ProcessOutcome::cancelled) {
        return util::fail(util::ErrorKind::cancelled, "cancelled");
    }
    // rpm -q exits with the number of names that are not installed: the rows are the answer.
    if (ran->outcome != core::ProcessOutcome::exited) {
        return util::fail(util::ErrorKind::command_failed, "rpm -q " + ran->describe());
    }
    for (std::string_view line : util::split_lines(ran->stdout_text)) {
        auto f = util::split(line, '\t');
        if (f.size() < 6 || f[0] != "@@") {
            continue;
        }
        RpmInstalled p{std::string(f[1]), std::string(f[2]), std::string(f[3]), -1, std::string(f[5])};
        std::int64_t size = 0;
        auto [end, ec] = std::from_chars(f[4].data(), f[4].data() + f[4].size(), size);
        if (ec == std::errc() && end == f[4].data() + f[4].size()) {
            p.size = size;
        }
        out.push_back(std::move(p));
    }
    return out;
}

std::string key(std::string_view name, std::string_view arch) {
    return std::string(name) + "." + std::string(arch);
}

} // namespace

std::vector<DnfUpdate> parse_dnf_check_update(std::string_view text) {
    std::vector<DnfUpdate> out;
    std::vector<std::string_view> record;
    auto flush = [&] {
        if (record.size() == 3) { // name.arch, evr, repository: anything else is a message
            std::string_view name_arch = record[0];
            std::size_t dot = name_arch.rfind('.');
            if (dot != std::string_view::npos && dot > 0 && dot + 1 < name_arch.size()) {
                out.push_back({std::string(name_arch.substr(0, dot)), std::string(name_arch.substr(dot + 1)),
                               std::string(record[1]), std::string(record[2])});
            }
        }
        record.clear();
    };
    for (std::string_view line : util::split_lines(text)) {
        if (util::trim(line).empty()) {
            flush();
            continue;
        }
        if (util::trim(line).starts_with("Obsoleting Packages")) {
            break; // pairs of an obsoleting package and what it obsoletes: no upgrade rows
        }
        if (!starts_blank(line)) {
            flush();
        }
        for (std::string_view w : words(line)) {
            record.push_back(w);
        }
    }
    flush();
    return out;
}

util::Result<std::vector<OutdatedPackage>> dnf_outdated(const Manager& manager, const util::Root& root,
                                                        const std::vector<InstalledPackage>* installed,
                                                        std::string* note,
                                                        const core::CancellationToken& token) {
    auto taken =
        query(manager, dnf_argv(manager, root, {"-C", "-q", "--color=never", "check-update"}), token);
    if (!taken && taken.error().kind == util::ErrorKind::unsupported) {
        if (note != nullptr) {
            *note = taken.error().message;
        }
        return std::vector<OutdatedPackage>{};
    }
    if (!taken) {
        return util::fail(std::move(taken).error());
    }
    // Everything newer, excludes and version locks off: what they hide is what upgrade skips. One after the
    // other: two dnf at once on a root without an rpm database yet fail with "rpmdb open failed".
    auto all = query(manager,
                     dnf_argv(manager, root,
                              {"-C", "-q", "--color=never", "--disableexcludes=all",
                               "--disableplugin=versionlock", "check-update"}),
                     token);
    if (!all) {
        return util::fail(std::move(all).error());
    }
    std::vector<DnfUpdate> upgrades = parse_dnf_check_update(taken->stdout_text);
    std::set<std::string> taken_keys;
    for (const auto& u : upgrades) {
        taken_keys.insert(key(u.name, u.architecture));
    }
    std::vector<std::pair<DnfUpdate, bool>> rows; // the row, skipped
    for (auto& u : upgrades) {
        rows.emplace_back(std::move(u), false);
    }
    for (auto& u : parse_dnf_check_update(all->stdout_text)) {
        if (taken_keys.count(key(u.name, u.architecture)) == 0) {
            rows.emplace_back(std::move(u), true);
        }
    }
    std::vector<RpmInstalled> versions;
    if (installed != nullptr) {
        for (const auto& p : *installed) {
            versions.push_back({p.name, p.version, p.architecture, -1, {}});
        }
    } else {
        std::vector<std::string> names;
        for (const auto& [u, skipped] : rows) {
            names.push_back(u.name);
        }
        auto queried = rpm_installed(root, names, token);
        if (!queried) {
            return util::fail(std::move(queried).error());
        }
        versions = std::move(*queried);
    }
    std::vector<std::string> locked = root_locked_names(manager.install, root);
    std::vector<OutdatedPackage> out;
    for (const auto& [u, skipped] : rows) {
        OutdatedPackage o;
        o.name = u.name;
        o.architecture = u.architecture;
        o.candidate = u.version;
        bool is_locked = std::binary_search(locked.begin(), locked.end(), u.name);
        o.skip_reason = !skipped ? "" : is_locked ? "locked" : "excluded";
        // The installed package of the same architecture, else of any (noarch and arch-specific builds
        // replace each other).
        const RpmInstalled* current = nullptr;
        for (const auto& v : versions) {
            if (v.name == u.name && (current == nullptr || v.architecture == u.architecture)) {
                current = &v;
            }
        }
        o.installed = current == nullptr ? std::string() : current->version;
        out.push_back(std::move(o));
    }
    std::sort(out.begin(), out.end(), [](const OutdatedPackage& a, const OutdatedPackage& b) {
        return a.name != b.name ? a.name < b.name : a.architecture < b.architecture;
    });
    if (token.is_cancelled()) {
        return util::fail(util::ErrorKind::cancelled, "cancelled");
    }
    return out;
}

util::Result<std::vector<PackageInfo>> dnf_package_info(const Manager& manager, const util::Root& root,
                                                        std::string_view name,
                                                        const core::CancellationToken& token) {
    auto installed = rpm_installed(root, {std::string(name)}, token);
    if (!installed) {
        return util::fail(std::move(installed).error());
    }
    static constexpr std::string_view k_format =
        "@@\t%{name}\t%{evr}\t%{arch}\t%{reponame}\t%{downloadsize}\t%{installsize}\t%{summary}";
    std::string bare(name);
    auto candidates =
        query(manager,
              installed->empty() ? dnf_argv(manager, root,
                                            {"-C", "-q", "--color=never", "repoquery", "--latest-limit=1",
                                             "--qf", k_format, "--", bare})
                                 : dnf_argv(manager, root,
                                            {"-C", "-q", "--color=never", "repoquery", "--upgrades",
                                             "--latest-limit=1", "--qf", k_format, "--", bare}),
              token);
    if (!candidates && candidates.error().kind != util::ErrorKind::unsupported) {
        return util::fail(std::move(candidates).error());
    }
    std::string listed = candidates ? std::move(candidates->stdout_text) : std::string(); // no repository
    std::vector<PackageInfo> out;
    auto entry_for = [&](std::string_view arch) -> PackageInfo& {
        for (auto& i : out) {
            if (i.architecture == arch) {
                return i;
            }
        }
        PackageInfo i;
        i.manager = std::string(manager.id);
        i.name = bare;
        i.architecture = std::string(arch);
        out.push_back(std::move(i));
        return out.back();
    };
    for (const auto& p : *installed) {
        PackageInfo& i = entry_for(p.architecture);
        i.installed = p.version;
        i.candidate = p.version; // no upgrade: the installed version stays the candidate
        i.installed_size = p.size;
        i.description = sanitize_index_field(p.summary);
    }
    auto number = [](std::string_view text) {
        std::int64_t value = -1;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        return ec == std::errc() && end == text.data() + text.size() ? value : std::int64_t{-1};
    };
    for (std::string_view line : util::split_lines(listed)) {
        auto f = util::split(line, '\t');
        if (f.size() < 8 || f[0] != "@@" || f[1] != name) {
            continue;
        }
        PackageInfo& i = entry_for(f[3]);
        i.candidate = std::string(f[2]);
        i.repository = std::string(f[4]);
        i.download_size = number(f[5]);
        if (i.installed.empty()) {
            i.installed_size = number(f[6]);
        }
        if (i.description.empty()) {
            i.description = sanitize_index_field(f[7]);
        }
    }
    std::sort(out.begin(), out.end(),
              [](const PackageInfo& a, const PackageInfo& b) { return a.architecture < b.architecture; });
    return out;
}

util::Result<std::vector<FileOwner>> dnf_file_providers(const Manager& manager, const util::Root& root,
                                                        const std::vector<std::string>& paths,
                                                        std::string* note,
                                                        const core::CancellationToken& token) {
    std::vector<FileOwner> out;
    std::string wanted;
    for (const std::string& path : paths) {
        if (path.find(',') != std::string::npos) {
            continue; // --whatprovides splits its value at commas
        }
        wanted += (wanted.empty() ? "" : ",") + path;
    }
    if (wanted.empty()) {
        return out;
    }
    // One query for every candidate path; each package's file list tells which of them it ships.
    auto ran = query(manager,
                     dnf_argv(manager, root,
                              {"-C", "-q", "--color=never", "repoquery", "--available", "--qf",
                               "@@\t%{name}\t%{repoid}\n%{files}", "--whatprovides", wanted}),
                     token);
    if (!ran && ran.error().kind == util::ErrorKind::unsupported) {
        if (note != nullptr) {
            *note = ran.error().message;
        }
        return out;
    }
    if (!ran) {
        return util::fail(std::move(ran).error());
    }
    std::set<std::string_view> candidates(paths.begin(), paths.end());
    std::string package;
    std::string repository;
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (std::string_view line : util::split_lines(ran->stdout_text)) {
        if (line.starts_with("@@\t")) {
            auto f = util::split(line, '\t');
            package = f.size() >= 3 ? std::string(f[1]) : std::string();
            repository = f.size() >= 3 ? std::string(f[2]) : std::string();
            continue;
        }
        if (!package.empty() && repository != "@System" && candidates.count(line) != 0 &&
            seen.emplace(package, std::string(line), repository).second) {
            out.push_back({package, std::string(line), repository});
        }
    }
    std::sort(out.begin(), out.end(), [](const FileOwner& a, const FileOwner& b) {
        return std::tie(a.package, a.repository, a.path) < std::tie(b.package, b.repository, b.path);
    });
    return out;
}

} // namespace zsyncctl::pkg
