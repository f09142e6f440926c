#pragma once

#include <optional>
#include <string>

namespace zsyncctl::platform {

/// Which readiness reactors this OS offers and whether one can really be created. Plain data.
struct ReactorFacts {
    bool epoll = false;   // epoll_create1 succeeded (Linux)
    bool kqueue = false;  // kqueue() succeeded (macOS/BSD)
    bool iocp = false;    // CreateIoCompletionPort succeeded (Windows)
    std::string name;     // the reactor of this OS: "epoll", "kqueue", "iocp"
    int create_errno = 0; // errno of the failed smoke test, 0 on success
    double duration_ms = 0;
};

/// Creates and closes this OS's reactor as a smoke test (no other side effect). Never fails.
ReactorFacts probe_reactor();

} // namespace zsyncctl::platform
