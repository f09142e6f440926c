#include <mutex>

#include "pkg/search/backend.hpp"
#include "pkg/search/native/index_apt.hpp"

namespace zsyncctl::pkg {

namespace {

// apt's configuration under the root, read once per backend (present(), the index and the pin note all
// use it): reading it meant the sources, Release files, preferences and dpkg's status file each time.
class AptSetupOnce {
public:
    explicit AptSetupOnce(util::Root root) : m_root(std::move(root)) {}
    const AptSetup& get() {
        // The Release files are left to an index build: a warm search needs only the stamps.
        std::call_once(m_once, [this] { m_setup = apt_setup(m_root, AptReleases::when_building); });
        return m_setup;
    }

private:
    util::Root m_root;
    std::once_flag m_once;
    AptSetup m_setup;
};

// APT: the Packages lists of the configured sources under the root's /var/lib/apt/lists and dpkg's
// database, read on the pool; no process.
class AptBackend final : public SearchBackend {
public:
    explicit AptBackend(BackendEnv env)
        : m_env(std::move(env)), m_setup(std::make_shared<AptSetupOnce>(m_env.root)) {}

    util::Result<void> present() const override {
        if (m_setup->get().lists.empty()) {
            return util::fail(util::ErrorKind::not_found,
                              "no package lists under " + m_env.root.resolve("/var/lib/apt/lists").string() +
                                  ": run apt-get update");
        }
        return util::ok();
    }

    core::Future<SearchOutcome> search(const SearchQuery& query, core::CancellationToken token) override {
        // The build checks the token per chunk it reads, so a deadline or Ctrl-C stops a huge list.
        return search_native_on_pool(m_env, query, token,
                                     [env = m_env, setup = m_setup, token] {
                                         return apt_index(env.root, setup->get(),
                                                          index_cache_file(env, "apt"), token);
                                     })
            .then([setup = m_setup](util::Result<SearchOutcome> done) -> util::Result<SearchOutcome> {
                if (done && done->status == ManagerStatus::ok && done->error.empty()) {
                    done->error = apt_pin_note(setup->get(), done->hits);
                }
                return done;
            });
    }

private:
    BackendEnv m_env;
    std::shared_ptr<AptSetupOnce> m_setup;
};

} // namespace

std::unique_ptr<SearchBackend> make_apt_backend(const BackendEnv& env) {
    return std::make_unique<AptBackend>(env);
}

} // namespace zsyncctl::pkg
