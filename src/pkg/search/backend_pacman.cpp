#include "pkg/search/backend.hpp"
#include "pkg/search/native/index_pacman.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// pacman: the sync databases under the DBPath of the root's pacman.conf, read on the pool; no process.
class PacmanBackend final : public SearchBackend {
public:
    explicit PacmanBackend(BackendEnv env) : m_env(std::move(env)) {}

    util::Result<void> present() const override {
        PacmanLayout layout = pacman_layout(m_env.root);
        if (pacman_sync_dbs(layout).empty() && !layout.no_repositories()) {
            return util::fail(util::ErrorKind::not_found, "no sync database under " +
                                                              (layout.db_path / "sync").string() +
                                                              ": run zsyncctl pkg refresh -m pacman");
        }
        return util::ok();
    }

    core::Future<SearchOutcome> search(const SearchQuery& query, core::CancellationToken token) override {
        // pacman.conf configures no repository (Debian's pacman ships it so): pacman -Ss searches nothing.
        PacmanLayout layout = pacman_layout(m_env.root);
        if (pacman_sync_dbs(layout).empty() && layout.no_repositories()) {
            return core::Future<SearchOutcome>::ready(SearchOutcome{
                ManagerStatus::no_repositories, {}, "/etc/pacman.conf configures no repository"});
        }
        // The build checks the token per 16 KiB it decompresses, so a deadline or Ctrl-C stops a huge db.
        return search_native_on_pool(m_env, query, token, [env = m_env, token] {
            // "pacman-v2": indexes cached before provides and groups were searched are not reused.
            return pacman_index(env.root, index_cache_file(env, "pacman-v2"), token);
        });
    }

    std::string describe(const SearchQuery&) const override {
        std::vector<std::string> dbs;
        for (const auto& db : pacman_sync_dbs(pacman_layout(m_env.root))) {
            dbs.push_back(db.string());
        }
        return "native reader of " + util::join(dbs, " ");
    }

private:
    BackendEnv m_env;
};

} // namespace

std::unique_ptr<SearchBackend> make_pacman_backend(const BackendEnv& env) {
    return std::make_unique<PacmanBackend>(env);
}

} // namespace zsyncctl::pkg
