#include "pkg/search.hpp"

#include <algorithm>
#include <map>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pkg/brew_api.hpp"
#include "pkg/index_apt.hpp"
#include "pkg/index_pacman.hpp"
#include "pkg/search_backends.hpp"
#include "pkg/search_exec.hpp"
#include "pkg/search_parsers.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// A manager flooding its output (64 MB of matching lines is over a million results) must not turn into
// gigabytes of results and JSON: keep this many per manager and say the output was cut.
constexpr std::size_t k_max_command_hits = 100000;

std::string last_line(std::string_view text) {
    auto lines = util::split_lines(text);
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        if (!util::trim(*it).empty()) {
            return util::sanitize_for_display(util::trim(*it));
        }
    }
    return {};
}

std::string find_executable(const SearchBackend& backend) {
    for (std::string_view exe : backend.executables) {
        std::string path = find_on_path(exe);
        if (!path.empty()) {
            return path;
        }
    }
    return {};
}

bool native_data_present(const SearchBackend& backend, const util::Root& root) {
    switch (backend.method) {
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

} // namespace

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
        if (find_search_backend(m) == nullptr) {
            std::vector<std::string> known;
            for (const auto& b : search_backends()) {
                known.emplace_back(b.manager);
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
    for (const auto& b : search_backends()) {
        bool present = b.method == SearchMethod::command || b.method == SearchMethod::unsupported
                           ? !find_executable(b).empty()
                           : native_data_present(b, root);
        if (present) {
            found.emplace_back(b.manager);
        }
    }
    return found;
}

util::Result<std::unique_ptr<SearchRun>> SearchRun::start(SearchRequest request) {
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
    run->m_cancel_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (run->m_cancel_fd < 0) {
        return util::fail(util::errno_error("eventfd", errno));
    }
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
        const SearchBackend* b = find_search_backend(run->m_reports[i].manager);
        if (b != nullptr && !b->lock_group.empty()) {
            groups[std::string(b->lock_group)].push_back(i);
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
    if (m_cancel_fd >= 0) {
        ::close(m_cancel_fd);
    }
}

std::int64_t SearchRun::elapsed_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - m_started)
        .count();
}

void SearchRun::cancel() {
    if (!m_cancelled.exchange(true)) {
        std::uint64_t one = 1;
        (void)!::write(m_cancel_fd, &one, sizeof one);
    }
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
    auto stamp = [&] {
        report.elapsed_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began)
                .count();
    };
    auto cancelled_reason = [&] {
        std::lock_guard lock(m_mutex);
        return m_winner ? "cancelled: " + m_reports[*m_winner].manager + " answered first"
                        : std::string("cancelled");
    };
    if (m_cancelled.load()) {
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
    const SearchBackend* backend = find_search_backend(report.manager);
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
    switch (backend->method) {
    case SearchMethod::native_apt:
        from_index(apt_index(m_request.root, cache_file_for(m_request, "apt")));
        break;
    case SearchMethod::native_pacman:
        from_index(pacman_index(m_request.root, cache_file_for(m_request, "pacman")));
        break;
    case SearchMethod::native_homebrew:
        from_index(homebrew_index(m_request.root, cache_file_for(m_request, "homebrew"), m_cancelled));
        break;
    case SearchMethod::unsupported:
        report.status = ManagerStatus::skipped;
        report.error = "unsupported: " + std::string(backend->reason);
        break;
    case SearchMethod::command: {
        std::string exe = find_executable(*backend);
        if (exe.empty()) {
            report.status = ManagerStatus::skipped;
            report.error = "not installed (no " + std::string(backend->executables.front()) + " on PATH)";
            break;
        }
        CommandSpec spec;
        for (std::string_view arg : backend->argv) {
            spec.argv.emplace_back(arg == "{exe}" ? exe : arg == "{query}" ? query.text : std::string(arg));
        }
        spec.env_overrides = {"LC_ALL=C", "LANG=C", "LANGUAGE=", "NO_COLOR=1", "TERM=dumb"};
        for (std::string_view e : backend->env) {
            spec.env_overrides.emplace_back(e);
        }
        spec.deadline = m_deadline;
        spec.cancel_fd = m_cancel_fd;
        auto outcome = run_command(spec);
        if (!outcome) {
            report.status = ManagerStatus::error;
            report.error = outcome.error().message;
            break;
        }
        if (outcome->end == CommandOutcome::End::timed_out) {
            report.status = ManagerStatus::timeout;
            report.error = "timed out after " + std::to_string(m_request.timeout.count()) + " ms";
            break;
        }
        if (outcome->end == CommandOutcome::End::cancelled) {
            report.status = ManagerStatus::cancelled;
            report.error = cancelled_reason();
            break;
        }
        ParsedSearch parsed = find_search_parser(backend->parser)(outcome->out);
        report.hits = filter_hits(std::move(parsed.hits), query);
        bool no_match_code =
            std::find(backend->no_match_exit_codes.begin(), backend->no_match_exit_codes.end(),
                      outcome->exit_code) != backend->no_match_exit_codes.end();
        if (outcome->exit_code != 0 && report.hits.empty() && !no_match_code) {
            report.status = ManagerStatus::error;
            std::string why = last_line(outcome->err);
            if (why.empty()) {
                why = last_line(outcome->out);
            }
            report.error =
                (outcome->term_signal != 0 ? "killed by signal " + std::to_string(outcome->term_signal)
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
        break;
    }
    }
    if (report.status == ManagerStatus::ok && query.limit != 0 && report.hits.size() > query.limit) {
        report.hits.resize(query.limit);
    }
    stamp();
}

} // namespace zsyncctl::pkg
