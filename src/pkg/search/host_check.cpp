#include "pkg/search/host_check.hpp"

#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace zsyncctl::pkg {

namespace {

bool behind_proxy() {
    for (const char* name :
         {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) {
        const char* value = std::getenv(name);
        if (value != nullptr && value[0] != '\0') {
            return true;
        }
    }
    return false;
}

} // namespace

std::string resolve_checker() {
    if (behind_proxy()) {
        return {};
    }
    for (const char* path : {"/usr/bin/getent", "/bin/getent"}) {
        struct stat st {};
        if (::stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 && (st.st_mode & 022) == 0 &&
            ::access(path, X_OK) == 0) {
            return path;
        }
    }
    return {};
}

core::ProcessSpec resolve_check(const std::string& getent, std::string_view host) {
    core::ProcessSpec check;
    check.argv = {getent, "ahosts", std::string(host)};
    check.set_env("LC_ALL", "C");
    check.timeout = k_resolve_limit;
    check.kill_grace = std::chrono::milliseconds(100);
    check.capture_limit = 4096;
    return check;
}

HostLookup read_resolve_check(const util::Result<core::ProcessResult>& ran) {
    if (!ran) {
        return HostLookup::unknown;
    }
    switch (ran->outcome) {
    case core::ProcessOutcome::cancelled:
        return HostLookup::cancelled;
    case core::ProcessOutcome::timed_out:
        return HostLookup::timed_out;
    case core::ProcessOutcome::exited:
        return ran->exit_code == 0   ? HostLookup::resolved
               : ran->exit_code == 2 ? HostLookup::unresolvable
                                     : HostLookup::unknown;
    default:
        return HostLookup::unknown;
    }
}

} // namespace zsyncctl::pkg
