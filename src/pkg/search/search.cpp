#include "pkg/search/search.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <map>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "core/process.hpp"
#include "pkg/search/native/brew_api.hpp"
#include "pkg/search/native/index_apt.hpp"
#include "pkg/search/native/index_pacman.hpp"
#include "pkg/search/parsers/search_parsers.hpp"
#include "platform/executable.hpp"
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

std::string last_line(std::string_view text) {
    auto lines = util::split_lines(text);
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        if (!util::trim(*it).empty()) {
            return util::sanitize_for_display(util::trim(*it));
        }
    }
    return {};
}

// The absolute path of `name` on $PATH (see platform::find_executable), or empty.
std::string find_on_path(std::string_view name) {
    auto found = platform::find_executable(name, platform::path_env());
    return found ? *found : std::string();
}

std::string find_executable(const Manager& manager) {
    for (std::string_view exe : search_executables(manager)) {
        std::string path = find_on_path(exe);
        if (!path.empty()) {
            return path;
        }
    }
    return {};
}

bool native_data_present(const Manager& manager, const util::Root& root) {
    switch (manager.search.method) {
    case SearchMethod::native_apt:
        return !apt_list_files(root).empty();
    case SearchMethod::native_pacman:
        return !pacman_sync_dbs(pacman_layout(root)).empty();
    case SearchMethod::native_homebrew: {
        if (!brew_cached_api_files(root).empty() || !find_on_path("brew").empty()) {
            return true;
        }
        for (const char* prefix :
             {"/opt/homebrew/bin/brew", "/usr/local/bin/brew", "/home/linuxbrew/.linuxbrew/bin/brew"}) {
            if (root.exists(prefix)) {
                return true;
            }
        }
        return false;
    }
    default:
        return false;
    }
}

std::filesystem::path cache_file_for(const SearchRequest& request, std::string_view manager) {
    if (!request.use_cache) {
        return {};
    }
    auto path = index_path(manager, request.root.dir());
    return path ? *path : std::filesystem::path();
}

// Kills what is left of process group `pgid` (a manager's children that outlived it) and reaps the members
// reparented to us as their subreaper, for up to a second: a container's init often reaps nothing.
void reap_group(pid_t pgid) {
    ::kill(-pgid, SIGKILL);
    for (int waited = 0; waited < 1000; waited += 5) {
        int status = 0;
        pid_t r = ::waitpid(-pgid, &status, WNOHANG);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return; // ECHILD: none left
        }
        if (r == 0) {
            ::kill(-pgid, SIGKILL);
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
}

} // namespace

std::vector<const Manager*> search_managers() {
    std::vector<const Manager*> out;
    for (const Manager& m : registry()) {
        if (m.search.method != SearchMethod::none) {
            out.push_back(&m);
        }
    }
    return out;
}

const std::vector<std::string_view>& search_executables(const Manager& manager) {
    return manager.search.executables.empty() ? manager.executables : manager.search.executables;
}

std::string_view to_string(ManagerStatus status) {
    switch (status) {
    case ManagerStatus::running:
        return "running";
    case ManagerStatus::ok:
        return "ok";
    case ManagerStatus::error:
        return "error";
    case ManagerStatus::timeout:
        return "timeout";
    case ManagerStatus::cancelled:
        return "cancelled";
    case ManagerStatus::skipped:
        return "skipped";
    }
    return "error";
}

util::Result<void> validate_search_request(const SearchRequest& request) {
    const std::string& q = request.query.text;
    if (util::trim(q).empty()) {
        return util::fail(util::ErrorKind::invalid_input, "the search query is empty",
                          "give a package name or a word");
    }
    if (q.front() == '-') {
        return util::fail(util::ErrorKind::invalid_input,
                          "the query '" + util::sanitize_for_display(q) + "' starts with '-'",
                          "put it after --: zsyncctl pkg search -- " + util::sanitize_for_display(q));
    }
    for (char c : q) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return util::fail(util::ErrorKind::invalid_input, "the query contains control characters");
        }
    }
    for (const auto& m : request.managers) {
        const Manager* manager = find_manager(m);
        if (manager == nullptr || manager->search.method == SearchMethod::none) {
            std::vector<std::string> known;
            for (const Manager* b : search_managers()) {
                known.emplace_back(b->id);
            }
            return util::fail(util::ErrorKind::invalid_input,
                              "unknown manager '" + util::sanitize_for_display(m) + "'",
                              "known managers: " + util::join(known, ", "));
        }
    }
    return util::ok();
}

std::vector<std::string> detect_search_managers(const util::Root& root) {
    std::vector<std::string> found;
    for (const Manager* m : search_managers()) {
        bool present =
            m->search.method == SearchMethod::command || m->search.method == SearchMethod::unsupported
                ? !find_executable(*m).empty()
                : native_data_present(*m, root);
        if (present) {
            found.emplace_back(m->id);
        }
    }
    return found;
}

util::Result<std::unique_ptr<SearchRun>> SearchRun::start(SearchRequest request, core::Runtime& runtime) {
    if (auto valid = validate_search_request(request); !valid) {
        return util::fail(valid.error());
    }
    std::unique_ptr<SearchRun> run(new SearchRun());
    if (request.managers.empty()) {
        request.managers = detect_search_managers(request.root);
    }
    // A manager named twice runs once.
    std::vector<std::string> unique;
    for (auto& m : request.managers) {
        if (std::find(unique.begin(), unique.end(), m) == unique.end()) {
            unique.push_back(m);
        }
    }
    request.managers = std::move(unique);
    run->m_request = std::move(request);
    run->m_runtime = &runtime;
    run->m_token = runtime.token().child();
    run->m_started = std::chrono::steady_clock::now();
    run->m_deadline = run->m_started + run->m_request.timeout;
    for (const auto& m : run->m_request.managers) {
        ManagerReport report;
        report.manager = m;
        run->m_reports.push_back(std::move(report));
    }
    std::map<std::string, std::vector<std::size_t>> groups;
    std::vector<std::vector<std::size_t>> work;
    for (std::size_t i = 0; i < run->m_reports.size(); ++i) {
        const Manager* m = find_manager(run->m_reports[i].manager);
        if (m != nullptr && !m->search.lock_group.empty()) {
            groups[std::string(m->search.lock_group)].push_back(i);
        } else {
            work.push_back({i});
        }
    }
    for (auto& [name, indices] : groups) {
        work.push_back(std::move(indices));
    }
    for (auto& indices : work) {
        run->m_threads.emplace_back([r = run.get(), indices = std::move(indices)] { r->worker(indices); });
    }
    return run;
}

SearchRun::~SearchRun() {
    cancel();
    for (auto& t : m_threads) {
        if (t.joinable()) {
            t.join();
        }
    }
}

std::int64_t SearchRun::elapsed_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - m_started)
        .count();
}

void SearchRun::cancel() {
    m_token.cancel();
}

std::string SearchRun::cancelled_reason() {
    std::lock_guard lock(m_mutex);
    return m_winner ? "cancelled: " + m_reports[*m_winner].manager + " answered first"
                    : std::string("cancelled");
}

std::optional<std::size_t> SearchRun::next_finished(std::chrono::milliseconds wait) {
    std::unique_lock lock(m_mutex);
    if (!m_cv.wait_for(lock, wait, [this] { return !m_done.empty(); })) {
        return std::nullopt;
    }
    std::size_t index = m_done.front();
    m_done.pop_front();
    ++m_returned;
    return index;
}

void SearchRun::worker(std::vector<std::size_t> indices) {
    for (std::size_t index : indices) {
        run_one(index);
        finish(index);
    }
}

void SearchRun::finish(std::size_t index) {
    ManagerReport& report = m_reports[index];
    bool declare_winner = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_request.race) {
            if (m_winner && *m_winner != index && report.status == ManagerStatus::ok) {
                report.status = ManagerStatus::cancelled; // finished too late: the race was already won
                report.hits.clear();
                report.error = "cancelled: " + m_reports[*m_winner].manager + " answered first";
            } else if (!m_winner && report.status == ManagerStatus::ok && !report.hits.empty()) {
                m_winner = index;
                declare_winner = true;
            }
        }
        m_done.push_back(index);
    }
    m_cv.notify_all();
    if (declare_winner) {
        cancel();
    }
}

void SearchRun::run_one(std::size_t index) {
    ManagerReport& report = m_reports[index];
    auto began = std::chrono::steady_clock::now();
    if (m_token.is_cancelled()) {
        report.status = ManagerStatus::cancelled;
        report.error = cancelled_reason();
        return;
    }
    if (std::chrono::steady_clock::now() >= m_deadline) {
        report.status = ManagerStatus::timeout;
        report.error = "timed out after " + std::to_string(m_request.timeout.count()) +
                       " ms (waited for its lock group)";
        return;
    }
    const Manager& manager = *find_manager(report.manager);
    const SearchQuery& query = m_request.query;
    auto from_index = [&](util::Result<PackageIndex> index) {
        if (!index) {
            report.status = index.error().kind == util::ErrorKind::not_found   ? ManagerStatus::skipped
                            : index.error().kind == util::ErrorKind::cancelled ? ManagerStatus::cancelled
                                                                               : ManagerStatus::error;
            report.error = index.error().message;
            return;
        }
        report.hits = index->search(query);
        report.status = ManagerStatus::ok;
    };
    switch (manager.search.method) {
    case SearchMethod::none:
        break; // validate_search_request refused it
    case SearchMethod::native_apt:
        from_index(apt_index(m_request.root, cache_file_for(m_request, "apt")));
        break;
    case SearchMethod::native_pacman:
        from_index(pacman_index(m_request.root, cache_file_for(m_request, "pacman")));
        break;
    case SearchMethod::native_homebrew:
        from_index(
            homebrew_index(m_request.root, cache_file_for(m_request, "homebrew"), *m_runtime, m_token));
        break;
    case SearchMethod::unsupported:
        report.status = ManagerStatus::skipped;
        report.error = "unsupported: " + std::string(manager.search.reason);
        break;
    case SearchMethod::command:
        run_command(manager, report);
        break;
    }
    if (report.status == ManagerStatus::ok && query.limit != 0 && report.hits.size() > query.limit) {
        report.hits.resize(query.limit);
    }
    report.elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began)
            .count();
}

void SearchRun::run_command(const Manager& manager, ManagerReport& report) {
    const SearchQuery& query = m_request.query;
    std::string exe = find_executable(manager);
    if (exe.empty()) {
        report.status = ManagerStatus::skipped;
        report.error = "not installed (no " + std::string(search_executables(manager).front()) + " on PATH)";
        return;
    }
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(m_deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
        report.status = ManagerStatus::timeout;
        report.error = "timed out after " + std::to_string(m_request.timeout.count()) + " ms";
        return;
    }
    core::ProcessSpec spec;
    for (std::string_view arg : manager.search.argv) {
        spec.argv.emplace_back(arg == "{exe}" ? exe : arg == "{query}" ? query.text : std::string(arg));
    }
    spec.set_env("LC_ALL", "C").set_env("LANG", "C").set_env("LANGUAGE", "").set_env("NO_COLOR", "1");
    spec.set_env("TERM", "dumb");
    for (std::string_view e : manager.search.env) {
        auto eq = e.find('=');
        spec.set_env(std::string(e.substr(0, eq)),
                     eq == std::string_view::npos ? "" : std::string(e.substr(eq + 1)));
    }
    spec.timeout = left;
    spec.kill_grace = k_kill_grace;
    // A child that outlives the manager and keeps its output open (a daemonized helper) is waited for
    // until the deadline like the manager itself, then its group is killed.
    spec.drain_after_exit = left;
    spec.capture_limit = k_max_command_errors; // stderr's tail; stdout is kept below, head first
    auto out = std::make_shared<std::string>();
    spec.on_stdout_line = [out](std::string_view line) {
        if (out->size() < k_max_command_output) {
            out->append(line);
            out->push_back('\n');
        }
    };
    // Grandchildren orphaned by a killed manager are reparented to us instead of init, so reap_group can
    // reap them (init in containers often does not).
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    auto outcome = core::spawn_process(*m_runtime, std::move(spec), m_token).wait();
    if (!outcome) {
        report.status = outcome.error().kind == util::ErrorKind::cancelled ? ManagerStatus::cancelled
                                                                           : ManagerStatus::error;
        report.error =
            report.status == ManagerStatus::cancelled ? cancelled_reason() : outcome.error().message;
        return;
    }
    bool ended_by_us = outcome->outcome == core::ProcessOutcome::timed_out ||
                       outcome->outcome == core::ProcessOutcome::cancelled || outcome->output_cut_off;
    if (ended_by_us) {
        reap_group(outcome->pid);
    }
    if (outcome->outcome == core::ProcessOutcome::cancelled) {
        report.status = ManagerStatus::cancelled;
        report.error = cancelled_reason();
        return;
    }
    if (ended_by_us) {
        report.status = ManagerStatus::timeout;
        report.error = "timed out after " + std::to_string(m_request.timeout.count()) + " ms";
        return;
    }
    ParsedSearch parsed = find_search_parser(manager.search.parser)(*out);
    report.hits = filter_hits(std::move(parsed.hits), query);
    const auto& no_match = manager.search.no_match_exit_codes;
    bool no_match_code = std::find(no_match.begin(), no_match.end(), outcome->exit_code) != no_match.end();
    if (!outcome->success() && report.hits.empty() && !no_match_code) {
        report.status = ManagerStatus::error;
        std::string why = last_line(outcome->stderr_text);
        if (why.empty()) {
            why = last_line(*out);
        }
        report.error = (outcome->signal != 0 ? "killed by signal " + std::to_string(outcome->signal)
                                             : "exit code " + std::to_string(outcome->exit_code)) +
                       (why.empty() ? "" : ": " + why);
    } else if (parsed.error && report.hits.empty()) {
        report.status = ManagerStatus::error;
        report.error = "parse error: " + *parsed.error;
    } else {
        report.status = ManagerStatus::ok;
        if (parsed.error) {
            report.error = "partial output: " + *parsed.error;
        } else if (report.hits.size() > k_max_command_hits) {
            report.error = "partial output: " + std::to_string(report.hits.size()) +
                           " results, kept the first " + std::to_string(k_max_command_hits);
        }
        if (report.hits.size() > k_max_command_hits) {
            report.hits.resize(k_max_command_hits);
        }
    }
}

} // namespace zsyncctl::pkg
