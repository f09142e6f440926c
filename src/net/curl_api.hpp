#pragma once

// Types and constants only: libcurl itself is never linked, it is dlopen()ed by load_curl().
#define CURL_DISABLE_TYPECHECK 1
// CURLOPT_PROTOCOLS (bitmask) is deprecated since 7.85 in favour of a string, but it is the only form that
// works on every libcurl we accept (7.62+), and it still works in 8.x.
#define CURL_DISABLE_DEPRECATION 1
#include <curl/curl.h>

#include <string>

#include "util/result.hpp"

namespace zsyncctl::net {

/// The libcurl entry points zsyncctl uses, resolved with dlsym from a dlopen()ed libcurl.so.4.
/// Loading costs ~10 ms of dynamic linking, so only commands that fetch call load_curl().
/// The table is immutable after loading and may be read from any thread.
struct CurlApi {
    CURLcode (*global_init)(long flags);
    curl_version_info_data* (*version_info)(CURLversion age);
    CURL* (*easy_init)();
    void (*easy_cleanup)(CURL* easy);
    CURLcode (*easy_setopt)(CURL* easy, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL* easy, CURLINFO info, ...);
    CURLcode (*easy_perform)(CURL* easy);
    const char* (*easy_strerror)(CURLcode code);
    CURLM* (*multi_init)();
    CURLMcode (*multi_cleanup)(CURLM* multi);
    CURLMcode (*multi_setopt)(CURLM* multi, CURLMoption option, ...);
    CURLMcode (*multi_add_handle)(CURLM* multi, CURL* easy);
    CURLMcode (*multi_remove_handle)(CURLM* multi, CURL* easy);
    CURLMcode (*multi_socket_action)(CURLM* multi, curl_socket_t fd, int ev_bitmask, int* running);
    CURLMsg* (*multi_info_read)(CURLM* multi, int* msgs_in_queue);
    const char* (*multi_strerror)(CURLMcode code);
    curl_slist* (*slist_append)(curl_slist* list, const char* text);
    void (*slist_free_all)(curl_slist* list);

    /// The path or soname it was loaded from.
    std::string library;
    /// libcurl's version string, e.g. "7.88.1".
    std::string version;
};

/// Whether a library named by path is checked before it is loaded.
enum class LibraryTrust {
    any,           // the caller chose the path (tests, diagnostics)
    owner_checked, // named by the environment: a regular file owned by root or euid, not writable by others
};

/// Loads libcurl once per process (thread-safe) and returns its function table. The library is
/// $ZSYNCCTL_LIBCURL when set (owner_checked: refused with permission_denied when another user could
/// have written it), else "libcurl.so.4". Fails with not_found when the library cannot be
/// loaded (hint: how to install it) and unsupported when it lacks a function or is older than 7.62.
/// A failure is remembered: later calls return the same error without retrying.
util::Result<const CurlApi*> load_curl();

/// Loads the library at `library` (a path or soname) without caching, for diagnostics and tests; fails
/// like load_curl() (with `trust` for a path). Each success keeps one more reference to the library for
/// the life of the process.
util::Result<CurlApi> load_curl_library(const std::string& library, LibraryTrust trust = LibraryTrust::any);

/// True when load_curl() already succeeded in this process (never loads anything itself).
bool curl_loaded();

} // namespace zsyncctl::net
