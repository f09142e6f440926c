#include "pkg/search/backend.hpp"
#include "pkg/search/native/brew_api.hpp"

namespace zsyncctl::pkg {

namespace {

// Homebrew: its JSON API documents (brew's own cache in the root, else downloaded on the loop), indexed
// on the pool; brew itself is never run.
class HomebrewBackend final : public SearchBackend {
public:
    explicit HomebrewBackend(BackendEnv env) : m_env(std::move(env)) {}

    // The API can always be downloaded, so Homebrew's data is never absent; detection decides whether it
    // is searched by default.
    util::Result<void> present() const override { return util::ok(); }

    core::Future<SearchOutcome> search(const SearchQuery& query, core::CancellationToken token) override {
        std::vector<std::filesystem::path> cached = brew_cached_api_files(m_env.root);
        if (!cached.empty()) {
            return index_on_pool(query, token, std::move(cached));
        }
        // No blocking wait on a pool thread: the download completes on the loop and the pool, then the
        // index is built on the pool.
        BackendEnv env = m_env;
        core::Promise<SearchOutcome> promise;
        core::Future<SearchOutcome> result = promise.future();
        fetch_brew_api_async(*m_env.runtime, token)
            .on_complete([env, query, token, p = std::move(promise)](
                             util::Result<std::vector<std::filesystem::path>> files) mutable {
                if (!files) {
                    p.set(search_index_outcome(util::fail(std::move(files).error()), query));
                    return;
                }
                HomebrewBackend(env)
                    .index_on_pool(query, token, std::move(*files))
                    .on_complete([p = std::move(p)](util::Result<SearchOutcome> done) mutable {
                        p.set(std::move(done));
                    });
            });
        return result;
    }

private:
    core::Future<SearchOutcome> index_on_pool(const SearchQuery& query, const core::CancellationToken& token,
                                              std::vector<std::filesystem::path> files) {
        return search_native_on_pool(m_env, query, token, [env = m_env, files = std::move(files)] {
            return homebrew_index_from(env.root, index_cache_file(env, "homebrew-v2"), files);
        });
    }

    BackendEnv m_env;
};

} // namespace

std::unique_ptr<SearchBackend> make_homebrew_backend(const BackendEnv& env) {
    return std::make_unique<HomebrewBackend>(env);
}

} // namespace zsyncctl::pkg
