#include "net/curl_api.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "util/dynlib.hpp"

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

using util::resolve_symbol;

// With `checked`, a library named by path is opened first and must be a regular file owned by root or
// euid that nobody else may write; it is then loaded through /proc/self/fd, so the file checked is the
// file loaded (a symlink swapped in between changes nothing). A bare soname is found by the loader in
// the system's directories.
util::Result<void> load(const std::string& library, CurlApi& api, LibraryTrust trust) {
    std::string open_as = library;
    int checked_fd = -1;
    if (trust == LibraryTrust::owner_checked && library.find('/') != std::string::npos) {
        checked_fd = ::open(library.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (checked_fd < 0) {
            return util::fail(util::ErrorKind::not_found,
                              "cannot load libcurl (" + library + "): " + std::strerror(errno),
                              "install it: apt-get install libcurl4 (dnf install libcurl, pacman -S curl)");
        }
        struct stat st {};
        if (::fstat(checked_fd, &st) != 0 || !S_ISREG(st.st_mode) ||
            (st.st_uid != 0 && st.st_uid != ::geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
            ::close(checked_fd);
            return util::fail(util::ErrorKind::permission_denied,
                              "refusing to load " + library +
                                  " (ZSYNCCTL_LIBCURL): it must be a regular file owned by root or by uid " +
                                  std::to_string(::geteuid()) + " that group and others cannot write",
                              "unset ZSYNCCTL_LIBCURL");
        }
        open_as = "/proc/self/fd/" + std::to_string(checked_fd);
    }
    // RTLD_LOCAL keeps libcurl's symbols (and its TLS library's) out of the global namespace.
    void* handle = ::dlopen(open_as.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (checked_fd >= 0) {
        ::close(checked_fd); // the mapping keeps the library; the descriptor is not needed any more
    }
    if (handle == nullptr) {
        const char* why = ::dlerror();
        return util::fail(util::ErrorKind::not_found,
                          "cannot load libcurl (" + library +
                              "): " + (why != nullptr ? why : "unknown error"),
                          "install it: apt-get install libcurl4 (dnf install libcurl, pacman -S curl)");
    }
    std::string missing;
    bool all = resolve_symbol(handle, "curl_global_init", api.global_init, missing) &&
               resolve_symbol(handle, "curl_version_info", api.version_info, missing) &&
               resolve_symbol(handle, "curl_easy_init", api.easy_init, missing) &&
               resolve_symbol(handle, "curl_easy_cleanup", api.easy_cleanup, missing) &&
               resolve_symbol(handle, "curl_easy_setopt", api.easy_setopt, missing) &&
               resolve_symbol(handle, "curl_easy_getinfo", api.easy_getinfo, missing) &&
               resolve_symbol(handle, "curl_easy_perform", api.easy_perform, missing) &&
               resolve_symbol(handle, "curl_easy_strerror", api.easy_strerror, missing) &&
               resolve_symbol(handle, "curl_multi_init", api.multi_init, missing) &&
               resolve_symbol(handle, "curl_multi_cleanup", api.multi_cleanup, missing) &&
               resolve_symbol(handle, "curl_multi_setopt", api.multi_setopt, missing) &&
               resolve_symbol(handle, "curl_multi_add_handle", api.multi_add_handle, missing) &&
               resolve_symbol(handle, "curl_multi_remove_handle", api.multi_remove_handle, missing) &&
               resolve_symbol(handle, "curl_multi_socket_action", api.multi_socket_action, missing) &&
               resolve_symbol(handle, "curl_multi_info_read", api.multi_info_read, missing) &&
               resolve_symbol(handle, "curl_multi_strerror", api.multi_strerror, missing) &&
               resolve_symbol(handle, "curl_slist_append", api.slist_append, missing) &&
               resolve_symbol(handle, "curl_slist_free_all", api.slist_free_all, missing);
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
        auto trust = env != nullptr && env[0] != '\0' ? LibraryTrust::owner_checked : LibraryTrust::any;
        if (auto loaded_ok = load(library, state.api, trust); loaded_ok) {
            state.result = &state.api;
        } else {
            state.result = util::fail(std::move(loaded_ok).error());
        }
        g_loaded_ok.store(state.result.ok(), std::memory_order_release);
    });
    return state.result;
}

util::Result<CurlApi> load_curl_library(const std::string& library, LibraryTrust trust) {
    CurlApi api{};
    if (auto loaded_ok = load(library, api, trust); !loaded_ok) {
        return util::fail(std::move(loaded_ok).error());
    }
    return api;
}

bool curl_loaded() {
    return g_loaded_ok.load(std::memory_order_acquire);
}

} // namespace zsyncctl::net
