#include <cerrno>
#include <chrono>
#include <sys/epoll.h>
#include <unistd.h>

#include "platform/reactor.hpp"

namespace zsyncctl::platform {

ReactorFacts probe_reactor() {
    ReactorFacts facts;
    facts.name = "epoll";
    auto start = std::chrono::steady_clock::now();
    int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) {
        facts.create_errno = errno;
    } else {
        facts.epoll = true;
        ::close(fd);
    }
    facts.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return facts;
}

} // namespace zsyncctl::platform
