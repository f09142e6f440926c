#include "pkg/search/backend.hpp"

#include "core/errors.hpp"

namespace zsyncctl::pkg {

namespace {

// A manager without a search facility: always reported skipped with the registry's reason.
class UnsupportedBackend final : public SearchBackend {
public:
    explicit UnsupportedBackend(std::string reason) : m_reason(std::move(reason)) {}
    util::Result<void> present() const override {
        return util::fail(util::ErrorKind::unsupported, "unsupported: " + m_reason);
    }
    core::Future<SearchOutcome> search(const SearchQuery&, core::CancellationToken) override {
        return core::Future<SearchOutcome>::ready(SearchOutcome{ManagerStatus::skipped, {}, m_reason});
    }

private:
    std::string m_reason;
};

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
    case ManagerStatus::offline:
        return "offline";
    case ManagerStatus::no_repositories:
        return "no_repositories";
    }
    return "error";
}

std::unique_ptr<SearchBackend> make_search_backend(const Manager& manager, const DetectedManager* detected,
                                                   const BackendEnv& env) {
    switch (manager.search.method) {
    case SearchMethod::native_apt:
        return make_apt_backend(env);
    case SearchMethod::native_pacman:
        return make_pacman_backend(env);
    case SearchMethod::native_homebrew:
        return make_homebrew_backend(env);
    case SearchMethod::command:
        return make_command_backend(manager, detected, env);
    case SearchMethod::none:
        return std::make_unique<UnsupportedBackend>("zsyncctl does not search " + std::string(manager.id));
    case SearchMethod::unsupported:
        break;
    }
    return std::make_unique<UnsupportedBackend>(std::string(manager.search.reason));
}

std::filesystem::path index_cache_file(const BackendEnv& env, std::string_view manager) {
    if (!env.use_cache) {
        return {};
    }
    auto path = index_path(manager, env.root.dir());
    return path ? *path : std::filesystem::path();
}

SearchOutcome search_index_outcome(util::Result<PackageIndex> index, const SearchQuery& query) {
    SearchOutcome outcome;
    if (!index) {
        outcome.status = index.error().kind == util::ErrorKind::not_found   ? ManagerStatus::skipped
                         : index.error().kind == util::ErrorKind::cancelled ? ManagerStatus::cancelled
                                                                            : ManagerStatus::error;
        outcome.error = index.error().message;
        return outcome;
    }
    if (query.lazy_hits) {
        outcome.lazy = index->search_lazily(query);
    } else {
        outcome.hits = index->search(query);
    }
    outcome.status = ManagerStatus::ok;
    return outcome;
}

core::Future<SearchOutcome> search_native_on_pool(const BackendEnv& env, const SearchQuery& query,
                                                  core::CancellationToken token,
                                                  std::function<util::Result<PackageIndex>()> build) {
    return env.runtime
        ->spawn([query, build = std::move(build)] { return search_index_outcome(build(), query); }, token)
        .then([](util::Result<SearchOutcome> done) -> util::Result<SearchOutcome> {
            if (done) {
                return done;
            }
            // Refused before it started: cancelled (--race, Ctrl-C), or the pool is gone.
            if (core::runtime_errc(done.error()) == core::RuntimeErrc::CancellationRequested) {
                return SearchOutcome{ManagerStatus::cancelled, {}, "cancelled"};
            }
            return util::fail(std::move(done).error());
        });
}

} // namespace zsyncctl::pkg
