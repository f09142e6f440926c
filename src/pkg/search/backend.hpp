#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cancellation.hpp"
#include "core/future.hpp"
#include "core/runtime.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/registry/registry.hpp"
#include "pkg/search/search_index.hpp"
#include "pkg/search/search_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// How one manager's search ended. `offline`: it could not reach its registry (a name it could not
/// resolve, no network); `no_repositories`: it has no repository configured or enabled to search.
enum class ManagerStatus { running, ok, error, timeout, cancelled, skipped, offline, no_repositories };

/// Stable lowercase name ("ok", "timeout", ...); never fails.
std::string_view to_string(ManagerStatus status);

/// What one backend's search produced: its results when ok, else the reason in `error` (for ok, a note
/// such as "partial output: ..." when non-empty).
struct SearchOutcome {
    ManagerStatus status = ManagerStatus::error;
    std::vector<SearchHit> hits;
    std::string error;
    /// Instead of `hits` (then empty), when the query allowed it (SearchQuery::lazy_hits): the hits kept
    /// where the backend found them, read one at a time. In name order, not yet ranked or cut.
    std::shared_ptr<HitSource> lazy{};
};

/// One way of searching one manager's packages: a native reader of its databases or its own search
/// command. The orchestration (SearchRun) asks present() first and search() only when it succeeds.
/// Thread: present() on the thread that plans the search; search() may be called from any thread, once.
class SearchBackend {
public:
    virtual ~SearchBackend() = default;

    /// Whether this manager can be searched here: ok, or a failure whose message is the reason it is
    /// reported `skipped` ("no sync database under ...: run pacman -Sy", "not run under --root").
    virtual util::Result<void> present() const = 0;

    /// Starts the search and returns its outcome's future. It observes `token`: once cancelled it stops
    /// (a native reader between files, a command by its process group being stopped) and completes with
    /// status cancelled. The future fails only when the runtime drops the work (RuntimeShutdown).
    virtual core::Future<SearchOutcome> search(const SearchQuery& query, core::CancellationToken token) = 0;

    /// What search() runs, for `-v`: the command line of a command backend, the data a native reader
    /// reads. Never fails; may be empty.
    virtual std::string describe(const SearchQuery& query) const {
        (void)query;
        return {};
    }
};

/// What the production backends need besides their manager: the runtime they run on, the root they read,
/// whether native indexes are cached, and the search deadline (a command's output is not waited for
/// past it).
struct BackendEnv {
    core::Runtime* runtime = nullptr;
    util::Root root;
    bool use_cache = true;
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    /// How many packages a manager has installed in `root` (read natively by the caller's inventory), or
    /// nullopt when not known; unset: never known. A command manager with no enabled repository and
    /// nothing installed is not run (it would search its installed packages too). Called on the pool.
    std::function<std::optional<std::size_t>(const Manager&)> installed_count;
};

/// The backend for `manager` (its search method). `detected` is what detection found for it, or nullptr
/// when it was not detected (a manager named with --manager): a command backend then reports it absent,
/// a native reader still looks for its data. Never fails; an unsupported manager gets a backend whose
/// present() gives the reason.
std::unique_ptr<SearchBackend> make_search_backend(const Manager& manager, const DetectedManager* detected,
                                                   const BackendEnv& env);

/// One backend per native method and one for commands; make_search_backend chooses among them.
std::unique_ptr<SearchBackend> make_apt_backend(const BackendEnv& env);
std::unique_ptr<SearchBackend> make_pacman_backend(const BackendEnv& env);
std::unique_ptr<SearchBackend> make_homebrew_backend(const BackendEnv& env);
std::unique_ptr<SearchBackend> make_command_backend(const Manager& manager, const DetectedManager* detected,
                                                    const BackendEnv& env);

/// The index file under the zsyncctl cache for `manager` in `env`'s root, or empty (no caching: disabled
/// or no cache dir). Never fails.
std::filesystem::path index_cache_file(const BackendEnv& env, std::string_view manager);

/// The outcome of searching a native index that `index` produced: ok with the hits, skipped when the data
/// is absent (not_found), cancelled, or error with the message. Never fails.
SearchOutcome search_index_outcome(util::Result<PackageIndex> index, const SearchQuery& query);

/// A native search on `env`'s pool: runs `build()` for the index unless `token` is already cancelled, then
/// searches it. The future fails only when the runtime drops the task.
core::Future<SearchOutcome> search_native_on_pool(const BackendEnv& env, const SearchQuery& query,
                                                  core::CancellationToken token,
                                                  std::function<util::Result<PackageIndex>()> build);

} // namespace zsyncctl::pkg
