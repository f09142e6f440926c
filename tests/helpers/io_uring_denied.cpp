// Runs the io_uring probe and loop selection with io_uring_setup denied by a seccomp filter (EPERM, as
// Docker's default profile and kernel.io_uring_disabled=2 do), then checks the fallback and the error.
// The filter also answers epoll_pwait2 with ENOSYS, as a kernel before 5.11 does: the epoll loop's timers
// must then still fire (it falls back to epoll_wait).
// Exit 0: behaved; 1: wrong behaviour (printed); 77: seccomp is not available here.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

#include "core/errors.hpp"
#include "core/event_loop.hpp"
#include "core/process.hpp"
#include "core/runtime.hpp"
#include "platform/io_uring_probe.hpp"

using namespace zsyncctl;

namespace {

bool deny_io_uring_setup() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_epoll_pwait2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{};
    prog.len = static_cast<unsigned short>(sizeof filter / sizeof filter[0]);
    prog.filter = filter;
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
           prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

int failures = 0;
void expect(bool ok, const std::string& what) {
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", what.c_str());
        ++failures;
    }
}

} // namespace

int main() {
    if (!deny_io_uring_setup()) {
        std::puts("skip: cannot install a seccomp filter here");
        return 77;
    }
    platform::IoUringProbe probe = platform::probe_io_uring();
    expect(!probe.usable, "the probe must report io_uring unusable");
    if (probe.ran) {
        expect(probe.error_number == EPERM, "errno must be EPERM, got " + std::to_string(probe.error_number));
        expect(probe.reason.find("EPERM") != std::string::npos, "reason names EPERM: " + probe.reason);
    }

    auto automatic = core::EventLoop::create(core::IoBackend::automatic);
    expect(automatic.ok() && (*automatic)->backend() == core::IoBackend::epoll,
           "automatic falls back to epoll");
    if (automatic.ok()) {
        expect((*automatic)->fallback_reason().find(probe.reason) != std::string::npos,
               "fallback reason kept: " + (*automatic)->fallback_reason());
    }

    auto forced = core::EventLoop::create(core::IoBackend::io_uring);
    expect(!forced.ok(), "forcing io_uring fails");
    if (!forced.ok()) {
        expect(core::runtime_errc(forced.error()) == core::RuntimeErrc::IoUringNotAvailable,
               "error is IoUringNotAvailable: " + forced.error().message);
        expect(forced.error().message.find(probe.reason) != std::string::npos, "error carries the reason");
    }

    // Through a runtime: the forced loop fails, and so does a subprocess on it; automatic still works.
    core::Config config;
    config.execution_model = core::ExecutionModel::blocking;
    config.io_backend = core::IoBackend::io_uring;
    auto rt = core::Runtime::create(config);
    expect(rt.ok(), "runtime created");
    if (rt.ok()) {
        core::ProcessSpec spec;
        spec.argv = {"true"};
        auto r = core::spawn_process(**rt, std::move(spec)).wait();
        expect(!r.ok() && core::runtime_errc(r.error()) == core::RuntimeErrc::IoUringNotAvailable,
               "spawn_process on a forced io_uring runtime fails with IoUringNotAvailable");
    }
    config.io_backend = core::IoBackend::automatic;
    auto rt2 = core::Runtime::create(config);
    if (rt2.ok()) {
        core::ProcessSpec spec;
        spec.argv = {"echo", "fallback works"};
        auto r = core::spawn_process(**rt2, std::move(spec)).wait();
        expect(r.ok() && r->stdout_text == "fallback works\n", "automatic runtime runs a child on epoll");
    }
    // Timers on an epoll loop without epoll_pwait2: fire in order, none early.
    if (auto loop = core::EventLoop::create(core::IoBackend::epoll)) {
        auto start = core::EventLoop::Clock::now();
        std::string order;
        bool early = false;
        for (int ms : {3, 1, 2}) {
            auto due = start + std::chrono::milliseconds(ms);
            (*loop)->add_timer(due, [&order, &early, ms, due, &loop] {
                early = early || core::EventLoop::Clock::now() < due;
                order += std::to_string(ms);
                if (order.size() == 3) {
                    (*loop)->stop();
                }
            });
        }
        auto ran = (*loop)->run();
        expect(ran.ok() && order == "123" && !early,
               "epoll timers without epoll_pwait2 fire in order: " + order);
    } else {
        expect(false, "epoll loop created without epoll_pwait2");
    }
    if (failures == 0) {
        std::puts("ok: io_uring denied by seccomp -> epoll fallback and IoUringNotAvailable");
    }
    return failures == 0 ? 0 : 1;
}
