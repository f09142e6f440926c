#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <unistd.h>
#include <utility>

#include "core/process.hpp"
#include "pkg/search/backend.hpp"
#include "pkg/search/host_check.hpp"
#include "pkg/search/parsers/search_parsers.hpp"
#include "pkg/search/repo_config.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// A manager flooding its output (64 MB of matching lines is over a million results) must not turn into
// gigabytes of results and JSON: keep this many per manager and say the output was cut.
constexpr std::size_t k_max_command_hits = 100000;
// Standard output kept for the parser (the head; the rest is read and dropped) and standard error kept for
// the error message (the tail, where the reason is).
constexpr std::size_t k_max_command_output = 64U << 20;
constexpr std::size_t k_max_command_errors = 1U << 20;
constexpr std::chrono::milliseconds k_kill_grace{300};
// How long resolving a network-only manager's registry host may take before the manager is reported
// offline without being run.
// How long the enabled-repositories check after an empty search may take (dnf repolist: ~1 s).
constexpr std::chrono::milliseconds k_repositories_check_limit{5000};
// How long the output is still read once the manager exited while something it started (a daemon in a
// session of its own) holds the pipe: long enough for buffered output, short enough that the results
// are not held, and a cancellation is not ignored, for long (the process layer stops listening to the
// token once the child is reaped).
constexpr std::chrono::milliseconds k_drain_after_exit{300};

// Lower-case signs with which managers say they could not reach their registry (resolver, curl, Ruby,
// Node, Rust and Python wordings), and that they have no repository to search.
constexpr std::string_view k_offline_signs[] = {
    "temporary failure in name resolution",
    "could not resolve host",
    "couldn't resolve host",
    "name or service not known",
    "no address associated with hostname",
    "failed to lookup address",
    "getaddrinfo",
    "enotfound",
    "eai_again",
    "unknownhosterror",
    "network is unreachable",
    "no route to host",
    "connection failed",
    "connect to server",   // curl (cargo, nix): "Could not connect to server", "Couldn't connect to server"
    "timeout was reached", // curl, after a connect timeout
};
constexpr std::string_view k_no_repository_signs[] = {
    "no repositories defined",   "no enabled repositories",    "there are no enabled repos",
    "no repositories available", "no repositories configured",
};

// Lines a manager prints after its real error that say nothing about it (npm's log location).
bool is_noise_line(std::string_view line) {
    std::string lower = util::to_lower(line);
    return lower.find("complete log of this run") != std::string::npos ||
           lower.find("/_logs/") != std::string::npos;
}

// The text of a line of XML output (zypper --xmlout's `<message type="warning">No repositories
// defined...</message>`): tags dropped, the five predefined entities decoded. Other lines as they are.
std::string without_markup(std::string_view line) {
    if (line.empty() || line.front() != '<') {
        return std::string(line);
    }
    std::string text;
    bool in_tag = false;
    for (char c : line) {
        if (c == '<') {
            in_tag = true;
        } else if (c == '>') {
            in_tag = false;
        } else if (!in_tag) {
            text += c;
        }
    }
    static constexpr std::pair<std::string_view, std::string_view> k_entities[] = {
        {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
    for (const auto& [entity, plain] : k_entities) {
        for (auto at = text.find(entity); at != std::string::npos;
             at = text.find(entity, at + plain.size())) {
            text.replace(at, entity.size(), plain);
        }
    }
    return text;
}

// The line of `text` that carries one of `signs` (trimmed, sanitized); empty when none does.
template <std::size_t N>
std::string line_with(std::string_view text, const std::string_view (&signs)[N]) {
    for (std::string_view line : util::split_lines(text)) {
        std::string lower = util::to_lower(line);
        for (std::string_view sign : signs) {
            if (lower.find(sign) != std::string::npos) {
                return util::sanitize_terminal(util::trim(without_markup(util::trim(line))));
            }
        }
    }
    return {};
}

// "npm error code E404" / "npm ERR! code E404": the code word after "code ".
std::string error_code_of(std::string_view line) {
    std::string lower = util::to_lower(line);
    auto at = lower.find(" code ");
    if (at == std::string::npos || (lower.find("npm err") != 0 && lower.find("npm error") != 0)) {
        return {};
    }
    return std::string(util::trim(line.substr(at + 6)));
}

// Strips npm's "npm ERR! " / "npm error " prefix.
std::string_view without_npm_prefix(std::string_view line) {
    for (std::string_view prefix : {std::string_view("npm ERR! "), std::string_view("npm error ")}) {
        if (line.substr(0, prefix.size()) == prefix) {
            return util::trim(line.substr(prefix.size()));
        }
    }
    return line;
}
// Group members reaped after a manager was stopped; more than this many is not a package manager.
constexpr int k_max_group_reaps = 4096;

// The line that says why a manager failed: an error code line and the line after it ("E404 404 Not Found
// - GET ..."), else the last line that is not noise such as a log file's location. A Rust backtrace
// ("Stack backtrace:" and its frames, as rustup prints after "error: ...") is not the reason.
std::string last_line(std::string_view text) {
    if (std::size_t trace = text.find("\nStack backtrace:"); trace != std::string_view::npos) {
        text = text.substr(0, trace);
    }
    auto lines = util::split_lines(text);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string code = error_code_of(lines[i]);
        if (!code.empty()) {
            std::string why = code;
            if (i + 1 < lines.size() && !is_noise_line(lines[i + 1])) {
                why += " " + std::string(without_npm_prefix(util::trim(lines[i + 1])));
            }
            return util::sanitize_terminal(why);
        }
    }
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        if (!util::trim(*it).empty() && !is_noise_line(*it)) {
            return util::sanitize_terminal(util::trim(*it));
        }
    }
    return {};
}

std::string_view base_name(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_executable_file(const std::filesystem::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Kills what is left of process group `pgid` (a manager's children that outlived it) and reaps the
// members reparented to us as their subreaper (a container's init often reaps nothing). Blocking: runs on
// the pool; SIGKILL ends every member, so each wait returns promptly.
void reap_group(pid_t pgid) {
    ::kill(-pgid, SIGKILL);
    for (int reaped = 0; reaped < k_max_group_reaps; ++reaped) {
        int status = 0;
        pid_t r = ::waitpid(-pgid, &status, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return; // ECHILD: none left
        }
    }
}

// A manager's own search command, run with core::spawn_process on the runtime's loop (LC_ALL=C, its own
// process group) and parsed on the pool. It runs the executable detection found, never one looked up
// again, and never under a root other than the host's: nothing inside a --root tree is executed, and a
// host manager would answer for the host, not for the tree.
class CommandBackend final : public SearchBackend {
public:
    CommandBackend(const Manager& manager, const DetectedManager* detected, BackendEnv env)
        : m_manager(manager), m_env(std::move(env)) {
        if (detected != nullptr) {
            m_executable = search_executable(*detected);
        }
        m_detected = detected != nullptr;
        m_reads_own_config = !manager.search.repository_config.empty() && m_env.root.is_host() &&
                             is_well_known(manager, m_executable);
    }

    util::Result<void> present() const override {
        if (!m_env.root.is_host()) {
            return util::fail(util::ErrorKind::unsupported, "command managers are not run under --root");
        }
        const auto& names = executables();
        if (!m_detected) {
            return util::fail(util::ErrorKind::not_found,
                              "not detected (no " + std::string(names.front()) + " found)");
        }
        if (m_executable.empty()) {
            return util::fail(util::ErrorKind::not_found, "no " + std::string(names.front()) +
                                                              " next to the detected " +
                                                              std::string(m_manager.id) + " executable");
        }
        return util::ok();
    }

    core::Future<SearchOutcome> search(const SearchQuery& query, core::CancellationToken token) override {
        if (!query.text.empty() && query.text.front() == '-') {
            return core::Future<SearchOutcome>::ready(SearchOutcome{
                ManagerStatus::skipped,
                {},
                "a query starting with '-' would reach " + std::string(m_manager.id) + " as an option"});
        }
        if (!m_reads_own_config) {
            return start(&m_manager, m_executable, m_env, query, std::move(token), std::nullopt);
        }
        // The manager's repository configuration, read on the pool: no enabled repository and nothing
        // installed (which the manager would search too) is the answer without running it; otherwise what
        // was read replaces its repository listing after an empty search.
        core::Promise<SearchOutcome> promise;
        core::Future<SearchOutcome> result = promise.future();
        m_env.runtime
            ->spawn([manager = &m_manager, env = m_env]() {
                KnownRepositories known{read_repository_config(manager->search.repository_config, env.root),
                                        {}};
                if (known.reading.presence == RepositoryPresence::none && env.installed_count &&
                    manager->search.repository_config.search_reads_installed) {
                    known.installed = env.installed_count(*manager);
                }
                return known;
            })
            .on_complete([manager = &m_manager, executable = m_executable, env = m_env, query, token,
                          p = std::move(promise)](util::Result<KnownRepositories> known) mutable {
                bool none = known && known->reading.presence == RepositoryPresence::none;
                if (none && !manager->search.repository_config.search_reads_installed) {
                    p.set(SearchOutcome{ManagerStatus::no_repositories,
                                        {},
                                        no_repository_message(known->reading) + " (" +
                                            std::string(manager->id) + " not run)"});
                    return;
                }
                if (none && known->installed && *known->installed == 0) {
                    p.set(SearchOutcome{ManagerStatus::no_repositories,
                                        {},
                                        no_repository_message(known->reading) + " and nothing installed (" +
                                            std::string(manager->id) + " not run)"});
                    return;
                }
                std::optional<RepositoryReading> reading;
                if (known) {
                    reading = std::move(known->reading);
                }
                start(manager, executable, env, query, std::move(token), std::move(reading))
                    .on_complete([p = std::move(p)](util::Result<SearchOutcome> done) mutable {
                        p.set(std::move(done));
                    });
            });
        return result;
    }

    std::string describe(const SearchQuery& query) const override {
        std::vector<std::string> words;
        for (std::string_view arg : m_manager.search.argv) {
            std::string word = arg == "{exe}"     ? m_executable
                               : arg == "{query}" ? query.text
                                                  : std::string(arg);
            bool plain = !word.empty() && word.find_first_of(" '\"\\$`*?[]{}()<>|&;#~!") == std::string::npos;
            words.push_back(plain ? word : util::quote_posix(word));
        }
        return util::join(words, " ");
    }

private:
    // What the repository configuration said, and when it named none, how many packages the manager has
    // installed (nullopt: not known).
    struct KnownRepositories {
        RepositoryReading reading;
        std::optional<std::size_t> installed;
    };

    // "no enabled repository in /etc/dnf/dnf.conf, /etc/yum.repos.d (2 disabled)".
    static std::string no_repository_message(const RepositoryReading& reading) {
        return "no enabled repository in " +
               (reading.where.empty() ? std::string("its configuration") : reading.where) +
               (reading.disabled == 0 ? std::string()
                                      : " (" + std::to_string(reading.disabled) + " disabled)");
    }

    // True when `executable` is the file at one of the manager's well-known locations: a copy elsewhere on
    // PATH may be a wrapper that passes its own configuration (--config, --setopt=reposdir), which only it
    // knows, so it is asked.
    static bool is_well_known(const Manager& manager, const std::string& executable) {
        struct stat found {};
        if (executable.empty() || ::stat(executable.c_str(), &found) != 0) {
            return false;
        }
        for (std::string_view place : manager.well_known) {
            struct stat known {};
            if (::stat(std::string(place).c_str(), &known) == 0 && known.st_dev == found.st_dev &&
                known.st_ino == found.st_ino) {
                return true;
            }
        }
        return false;
    }

    // The search proper: the registry-host check of a network-only manager, then its command.
    static core::Future<SearchOutcome> start(const Manager* manager, const std::string& executable,
                                             const BackendEnv& env, const SearchQuery& query,
                                             core::CancellationToken token,
                                             std::optional<RepositoryReading> reading) {
        std::string host(manager->search.registry_host);
        std::string getent = host.empty() ? std::string() : resolve_checker();
        if (getent.empty()) {
            return run_command(manager, executable, env, query, std::move(token), std::move(reading));
        }
        // A network-only manager on a machine that cannot resolve its registry would only fail after its
        // own timeouts (cargo ~11 s): resolve the host first, bounded, with getent on the loop (no pool
        // thread blocks in the resolver, and the check is killed at its limit like any child).
        core::Promise<SearchOutcome> promise;
        core::Future<SearchOutcome> result = promise.future();
        core::spawn_process(*env.runtime, resolve_check(getent, host), token)
            .on_complete([manager, executable, env, query, token, host,
                          p = std::move(promise)](util::Result<core::ProcessResult> resolved) mutable {
                switch (read_resolve_check(resolved)) {
                case HostLookup::cancelled:
                    p.set(SearchOutcome{ManagerStatus::cancelled, {}, "cancelled"});
                    return;
                case HostLookup::timed_out:
                    p.set(SearchOutcome{ManagerStatus::offline,
                                        {},
                                        "resolving " + host + " (its registry) took over " +
                                            std::to_string(k_resolve_limit.count()) + " ms"});
                    return;
                case HostLookup::unresolvable:
                    p.set(SearchOutcome{
                        ManagerStatus::offline, {}, "cannot resolve " + host + " (its registry)"});
                    return;
                case HostLookup::resolved:
                case HostLookup::unknown:
                    break;
                }
                // Resolved, or the check itself could not run: the manager decides.
                run_command(manager, executable, env, query, std::move(token), std::nullopt)
                    .on_complete([p = std::move(p)](util::Result<SearchOutcome> done) mutable {
                        p.set(std::move(done));
                    });
            });
        return result;
    }

    // Runs the manager's search command and parses its output on the pool.
    static core::Future<SearchOutcome> run_command(const Manager* manager, const std::string& executable,
                                                   const BackendEnv& env, const SearchQuery& query,
                                                   core::CancellationToken token,
                                                   std::optional<RepositoryReading> reading) {
        core::ProcessSpec spec;
        for (std::string_view arg : manager->search.argv) {
            spec.argv.emplace_back(arg == "{exe}"     ? executable
                                   : arg == "{query}" ? query.text
                                                      : std::string(arg));
        }
        spec.set_env("LC_ALL", "C").set_env("LANG", "C").set_env("LANGUAGE", "").set_env("NO_COLOR", "1");
        spec.set_env("TERM", "dumb");
        for (std::string_view e : manager->search.env) {
            auto eq = e.find('=');
            spec.set_env(std::string(e.substr(0, eq)),
                         eq == std::string_view::npos ? "" : std::string(e.substr(eq + 1)));
        }
        // The search deadline (core::with_deadline) ends the command through `token`; the grace is short
        // because a search holds no state worth a clean exit.
        spec.kill_grace = k_kill_grace;
        // A child that outlives the manager and keeps its output open (a daemonized helper) is not waited
        // for: the output is read briefly after the manager exited, then kept and parsed (finish).
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(env.deadline -
                                                                          std::chrono::steady_clock::now());
        spec.drain_after_exit = std::clamp(left, std::chrono::milliseconds(0), k_drain_after_exit);
        spec.capture_limit = k_max_command_errors; // stderr's tail; stdout is kept below, head first
        auto out = std::make_shared<std::string>();
        spec.on_stdout_line = [out](std::string_view line) {
            if (out->size() < k_max_command_output) {
                // Grown by doubling up to the limit, never past it (a doubling from 60 MB would reserve
                // 120 MB, all of it touched where malloc fills new blocks).
                std::size_t need = out->size() + line.size() + 1;
                if (need > out->capacity()) {
                    out->reserve(std::max(need, std::min(2 * out->capacity(), k_max_command_output)));
                }
                out->append(line);
                out->push_back('\n');
            }
        };
        // Grandchildren orphaned by a stopped manager are reparented to us instead of init, so reap_group
        // can reap them (init in containers often does not).
        ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        core::Runtime* runtime = env.runtime;
        core::Promise<SearchOutcome> promise;
        core::Future<SearchOutcome> result = promise.future();
        core::spawn_process(*runtime, std::move(spec), token)
            .on_complete([runtime, manager, executable, query, out, token, reading = std::move(reading),
                          p = std::move(promise)](util::Result<core::ProcessResult> ended) mutable {
                // Parsing up to 64 MB and reaping do not belong on the loop thread.
                runtime
                    ->spawn([manager, query, out, ended = std::move(ended)]() mutable {
                        return finish(*manager, query, *out, std::move(ended));
                    })
                    .on_complete([runtime, manager, executable, token, reading = std::move(reading),
                                  p = std::move(p)](util::Result<SearchOutcome> done) mutable {
                        if (!done || done->status != ManagerStatus::ok || !done->hits.empty()) {
                            p.set(std::move(done));
                            return;
                        }
                        // Its configuration was read: it tells what the listing would.
                        if (reading && reading->presence != RepositoryPresence::unknown) {
                            if (reading->presence == RepositoryPresence::none) {
                                p.set(SearchOutcome{
                                    ManagerStatus::no_repositories, {}, no_repository_message(*reading)});
                            } else {
                                p.set(std::move(done));
                            }
                            return;
                        }
                        if (manager->search.repositories_argv.empty()) {
                            p.set(std::move(done));
                            return;
                        }
                        confirm_repositories(*runtime, *manager, executable, std::move(*done), token)
                            .on_complete([p = std::move(p)](util::Result<SearchOutcome> checked) mutable {
                                p.set(std::move(checked));
                            });
                    });
            });
        return result;
    }

    // "0 results" only from a manager that has a repository to search: its repositories_argv lists them,
    // and empty output (exit 0) turns the outcome into no_repositories. A check that fails, times out or
    // prints anything leaves the outcome as it was.
    static core::Future<SearchOutcome> confirm_repositories(core::Runtime& runtime, const Manager& manager,
                                                            const std::string& executable,
                                                            SearchOutcome found,
                                                            core::CancellationToken token) {
        core::ProcessSpec check;
        for (std::string_view arg : manager.search.repositories_argv) {
            check.argv.emplace_back(arg == "{exe}" ? executable : std::string(arg));
        }
        check.set_env("LC_ALL", "C").set_env("LANG", "C").set_env("LANGUAGE", "").set_env("NO_COLOR", "1");
        check.kill_grace = k_kill_grace;
        check.timeout = k_repositories_check_limit;
        check.capture_limit = 4096;
        auto listed = std::make_shared<bool>(false);
        check.on_stdout_line = [listed](std::string_view line) {
            if (!util::trim(line).empty()) {
                *listed = true;
            }
        };
        core::Promise<SearchOutcome> promise;
        core::Future<SearchOutcome> result = promise.future();
        std::string shown = util::join(check.argv, " ");
        core::spawn_process(runtime, std::move(check), std::move(token))
            .on_complete([found = std::move(found), listed, shown = std::move(shown),
                          p = std::move(promise)](util::Result<core::ProcessResult> ran) mutable {
                if (ran && ran->outcome == core::ProcessOutcome::exited && ran->exit_code == 0 && !*listed) {
                    p.set(SearchOutcome{
                        ManagerStatus::no_repositories, {}, shown + " lists no enabled repository"});
                    return;
                }
                p.set(std::move(found));
            });
        return result;
    }

    const std::vector<std::string_view>& executables() const {
        return m_manager.search.executables.empty() ? m_manager.executables : m_manager.search.executables;
    }

    // The executable the search runs: the detected one when it is a search executable, else a search
    // executable in the same directory (xbps is detected by xbps-install and searched with xbps-query).
    std::string search_executable(const DetectedManager& detected) const {
        if (detected.executable.empty()) {
            return {};
        }
        const auto& names = executables();
        if (std::find(names.begin(), names.end(), base_name(detected.executable)) != names.end()) {
            return m_env.root.resolve(detected.executable).string();
        }
        std::string dir(detected.executable.substr(0, detected.executable.rfind('/') + 1));
        for (std::string_view name : names) {
            auto candidate = m_env.root.resolve(dir + std::string(name));
            if (is_executable_file(candidate)) {
                return candidate.string();
            }
        }
        return {};
    }

    static SearchOutcome finish(const Manager& manager, const SearchQuery& query, const std::string& out,
                                util::Result<core::ProcessResult> ended) {
        SearchOutcome outcome;
        if (!ended) {
            outcome.status = ended.error().kind == util::ErrorKind::cancelled ? ManagerStatus::cancelled
                                                                              : ManagerStatus::error;
            outcome.error = ended.error().message;
            return outcome;
        }
        bool stopped = ended->outcome == core::ProcessOutcome::timed_out ||
                       ended->outcome == core::ProcessOutcome::cancelled || ended->output_cut_off;
        if (stopped) {
            reap_group(ended->pid);
        }
        if (ended->outcome == core::ProcessOutcome::cancelled) {
            outcome.status = ManagerStatus::cancelled;
            outcome.error = "cancelled";
            return outcome;
        }
        if (ended->outcome == core::ProcessOutcome::timed_out) {
            outcome.status = ManagerStatus::timeout;
            outcome.error = "its output stayed open past the deadline";
            return outcome;
        }
        // Exited, perhaps leaving something that holds its output (output_cut_off): what it wrote is
        // its answer.
        // The parser keeps what filter_hits would, up to the cap, and only counts the rest: a manager
        // flooding its output costs the cap's memory, not a record per line.
        ParseLimit limit{query,
                         query.limit == 0 ? k_max_command_hits : std::min(query.limit, k_max_command_hits)};
        ParsedSearch parsed = find_search_parser(manager.search.parser)(out, limit);
        std::size_t matched = query.limit == 0 ? parsed.matched : std::min(parsed.matched, query.limit);
        outcome.hits = std::move(parsed.hits);
        if (outcome.hits.empty()) {
            // "0 results" only when the manager could search: not offline, not without repositories
            // (gem and others exit 0 when the registry cannot be reached).
            std::string why = line_with(ended->stderr_text, k_no_repository_signs);
            if (why.empty()) {
                why = line_with(out, k_no_repository_signs);
            }
            if (!why.empty()) {
                return SearchOutcome{ManagerStatus::no_repositories, {}, why};
            }
            why = line_with(ended->stderr_text, k_offline_signs);
            if (why.empty()) {
                why = line_with(out, k_offline_signs);
            }
            if (!why.empty()) {
                return SearchOutcome{ManagerStatus::offline, {}, why};
            }
        }
        const auto& no_match = manager.search.no_match_exit_codes;
        bool no_match_code = std::find(no_match.begin(), no_match.end(), ended->exit_code) != no_match.end();
        if (!ended->success() && outcome.hits.empty() && !no_match_code) {
            outcome.status = ManagerStatus::error;
            std::string why = last_line(ended->stderr_text);
            if (why.empty()) {
                why = last_line(out);
            }
            outcome.error = (ended->signal != 0 ? "killed by signal " + std::to_string(ended->signal)
                                                : "exit code " + std::to_string(ended->exit_code)) +
                            (why.empty() ? "" : ": " + why);
        } else if (parsed.error && outcome.hits.empty()) {
            outcome.status = ManagerStatus::error;
            outcome.error = "parse error: " + *parsed.error;
        } else {
            outcome.status = ManagerStatus::ok;
            if (parsed.error) {
                outcome.error = "partial output: " + *parsed.error;
            } else if (matched > k_max_command_hits) {
                outcome.error = "partial output: " + std::to_string(matched) + " results, kept the first " +
                                std::to_string(k_max_command_hits);
            }
        }
        return outcome;
    }

    const Manager& m_manager;
    BackendEnv m_env;
    std::string m_executable;
    bool m_detected = false;
    bool m_reads_own_config = false;
};

} // namespace

std::unique_ptr<SearchBackend> make_command_backend(const Manager& manager, const DetectedManager* detected,
                                                    const BackendEnv& env) {
    return std::make_unique<CommandBackend>(manager, detected, env);
}

} // namespace zsyncctl::pkg
