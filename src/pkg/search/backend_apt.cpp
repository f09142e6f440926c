#include "pkg/search/backend.hpp"
#include "pkg/search/native/index_apt.hpp"

namespace zsyncctl::pkg {

namespace {

// APT: the Packages lists under the root's /var/lib/apt/lists, read on the pool; no process.
class AptBackend final : public SearchBackend {
public:
    explicit AptBackend(BackendEnv env) : m_env(std::move(env)) {}

    util::Result<void> present() const override {
        if (apt_list_files(m_env.root).empty()) {
            return util::fail(util::ErrorKind::not_found,
                              "no package lists under " + m_env.root.resolve("/var/lib/apt/lists").string() +
                                  ": run apt-get update");
        }
        return util::ok();
    }

    core::Future<SearchOutcome> search(const SearchQuery& query, core::CancellationToken token) override {
        return search_native_on_pool(m_env, query, std::move(token), [env = m_env] {
            return apt_index(env.root, index_cache_file(env, "apt"));
        });
    }

private:
    BackendEnv m_env;
};

} // namespace

std::unique_ptr<SearchBackend> make_apt_backend(const BackendEnv& env) {
    return std::make_unique<AptBackend>(env);
}

} // namespace zsyncctl::pkg
