#include "pkg/search/backend.hpp"
#include "pkg/search/native/index_apt.hpp"

namespace zsyncctl::pkg {

namespace {

// APT: the Packages lists of the configured sources under the root's /var/lib/apt/lists and dpkg's
// database, read on the pool; no process.
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
        // The build checks the token per chunk it reads, so a deadline or Ctrl-C stops a huge list.
        return search_native_on_pool(
                   m_env, query, token,
                   [env = m_env, token] { return apt_index(env.root, index_cache_file(env, "apt"), token); })
            .then([root = m_env.root](util::Result<SearchOutcome> done) -> util::Result<SearchOutcome> {
                if (done && done->status == ManagerStatus::ok && done->error.empty()) {
                    done->error = apt_pin_note(apt_setup(root), done->hits);
                }
                return done;
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
