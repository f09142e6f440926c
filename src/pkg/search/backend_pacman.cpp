#include "pkg/search/backend.hpp"
#include "pkg/search/native/index_pacman.hpp"

namespace zsyncctl::pkg {

namespace {

// pacman: the sync databases under the DBPath of the root's pacman.conf, read on the pool; no process.
class PacmanBackend final : public SearchBackend {
public:
    explicit PacmanBackend(BackendEnv env) : m_env(std::move(env)) {}

    util::Result<void> present() const override {
        PacmanLayout layout = pacman_layout(m_env.root);
        if (pacman_sync_dbs(layout).empty()) {
            return util::fail(util::ErrorKind::not_found, "no sync database under " +
                                                              (layout.db_path / "sync").string() +
                                                              ": run pacman -Sy");
        }
        return util::ok();
    }

    core::Future<SearchOutcome> search(const SearchQuery& query, core::CancellationToken token) override {
        return search_native_on_pool(m_env, query, std::move(token), [env = m_env] {
            return pacman_index(env.root, index_cache_file(env, "pacman"));
        });
    }

private:
    BackendEnv m_env;
};

} // namespace

std::unique_ptr<SearchBackend> make_pacman_backend(const BackendEnv& env) {
    return std::make_unique<PacmanBackend>(env);
}

} // namespace zsyncctl::pkg
