#include "net/curl_api.hpp"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

namespace zsyncctl::net {

namespace {

constexpr const char* k_default_library = "libcurl.so.4";
constexpr unsigned k_min_version = 0x073e00; // 7.62: CURLU, CURLINFO_*_T, CURLOPT_MAXFILESIZE_LARGE et al.

struct Loaded {
    util::Result<const CurlApi*> result = util::fail(util::ErrorKind::internal, "libcurl not loaded yet");
    CurlApi api{};
};

Loaded& loaded() {
    static Loaded state;
    return state;
}
std::once_flag g_once;
std::atomic<bool> g_loaded_ok{false};

template <typename Fn>
bool resolve(void* handle, const char* name, Fn& slot, std::string& missing) {
    void* symbol = ::dlsym(handle, name);
    if (symbol == nullptr) {
        missing = name;
        return false;
    }
    slot = reinterpret_cast<Fn>(symbol);
    return true;
}

util::Result<void> load(const std::string& library, CurlApi& api) {
    // RTLD_LOCAL keeps libcurl's symbols (and its TLS library's) out of the global namespace.
    void* handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = ::dlerror();
        return util::fail(util::ErrorKind::not_found,
                          "cannot load libcurl (" + library +
                              "): " + (why != nullptr ? why : "unknown error"),
                          "install it: apt-get install libcurl4 (dnf install libcurl, pacman -S curl)");
    }
    std::string missing;
    bool all = resolve(handle, "curl_global_init", api.global_init, missing) &&
               resolve(handle, "curl_version_info", api.version_info, missing) &&
               resolve(handle, "curl_easy_init", api.easy_init, missing) &&
               resolve(handle, "curl_easy_cleanup", api.easy_cleanup, missing) &&
               resolve(handle, "curl_easy_setopt", api.easy_setopt, missing) &&
               resolve(handle, "curl_easy_getinfo", api.easy_getinfo, missing) &&
               resolve(handle, "curl_easy_perform", api.easy_perform, missing) &&
               resolve(handle, "curl_easy_strerror", api.easy_strerror, missing) &&
               resolve(handle, "curl_multi_init", api.multi_init, missing) &&
               resolve(handle, "curl_multi_cleanup", api.multi_cleanup, missing) &&
               resolve(handle, "curl_multi_setopt", api.multi_setopt, missing) &&
               resolve(handle, "curl_multi_add_handle", api.multi_add_handle, missing) &&
               resolve(handle, "curl_multi_remove_handle", api.multi_remove_handle, missing) &&
               resolve(handle, "curl_multi_socket_action", api.multi_socket_action, missing) &&
               resolve(handle, "curl_multi_info_read", api.multi_info_read, missing) &&
               resolve(handle, "curl_multi_strerror", api.multi_strerror, missing) &&
               resolve(handle, "curl_slist_append", api.slist_append, missing) &&
               resolve(handle, "curl_slist_free_all", api.slist_free_all, missing);
    if (!all) {
        ::dlclose(handle);
        return util::fail(util::ErrorKind::unsupported,
                          "libcurl (" + library + ") lacks the function " + missing,
                          "install a current libcurl: apt-get install libcurl4");
    }
    const curl_version_info_data* info = api.version_info(CURLVERSION_NOW);
    if (info == nullptr || info->version_num < k_min_version) {
        ::dlclose(handle);
        return util::fail(util::ErrorKind::unsupported,
                          "libcurl (" + library + ") is too old: " +
                              (info != nullptr && info->version != nullptr ? info->version : "unknown") +
                              ", zsyncctl needs 7.62 or newer",
                          "install a current libcurl: apt-get install libcurl4");
    }
    // Called once, before any other thread can use curl: curl_global_init is not thread-safe in old
    // versions. The library stays loaded for the life of the process (no dlclose: handles may outlive us).
    if (CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
        return util::fail(util::ErrorKind::internal,
                          std::string("curl_global_init failed: ") + api.easy_strerror(rc));
    }
    api.library = library;
    api.version = info->version != nullptr ? info->version : "";
    return util::ok();
}

} // namespace

util::Result<const CurlApi*> load_curl() {
    Loaded& state = loaded();
    std::call_once(g_once, [&] {
        const char* env = std::getenv("ZSYNCCTL_LIBCURL");
        std::string library = (env != nullptr && env[0] != '\0') ? env : k_default_library;
        if (auto loaded_ok = load(library, state.api); loaded_ok) {
            state.result = &state.api;
        } else {
            state.result = util::fail(std::move(loaded_ok).error());
        }
        g_loaded_ok.store(state.result.ok(), std::memory_order_release);
    });
    return state.result;
}

util::Result<CurlApi> load_curl_library(const std::string& library) {
    CurlApi api{};
    if (auto loaded_ok = load(library, api); !loaded_ok) {
        return util::fail(std::move(loaded_ok).error());
    }
    return api;
}

bool curl_loaded() {
    return g_loaded_ok.load(std::memory_order_acquire);
}

} // namespace zsyncctl::net
