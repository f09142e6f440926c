// A tiny hello server on the runtime's HTTP layer: the convenience API's documentation, and the server
// that bench runs measure against peers (/work/shared/bench/http-peers.sh, EXTRA_* hooks).
//
//   http_hello [ADDRESS] [auto|io_uring|epoll] [THREADS]     default 127.0.0.1:8080, auto, 1
//
// THREADS > 1 serves on that many loops (HttpServerOptions::threads: one SO_REUSEPORT listener per loop,
// the extra loops on threads the server owns); the handler below is stateless, so any loop may run it.
// Every request gets "Hello, world!". SIGINT/SIGTERM stop it gracefully: no new connections, requests in
// progress finish (5 s at most), then it exits 0.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/event_loop.hpp"
#include "net/http_server.hpp"

using namespace zsyncctl;

int main(int argc, char** argv) {
    std::string address = argc > 1 ? argv[1] : "127.0.0.1:8080";
    core::IoBackend backend = core::IoBackend::automatic;
    if (argc > 2) {
        std::string b = argv[2];
        backend = b == "epoll"      ? core::IoBackend::epoll
                  : b == "io_uring" ? core::IoBackend::io_uring
                                    : core::IoBackend::automatic;
    }
    net::HttpServerOptions options;
    if (argc > 3) {
        long threads = std::strtol(argv[3], nullptr, 10);
        if (threads < 1 || threads > 256) {
            std::fprintf(stderr, "http_hello: THREADS must be 1 to 256\n");
            return 2;
        }
        options.threads = static_cast<std::size_t>(threads);
    }
    // Signals arrive as readable data on a signalfd the loop watches. Blocked before the server starts its
    // loop threads, which inherit the mask (else SIGTERM kills the process from one of them).
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    auto loop = core::EventLoop::create(backend);
    if (!loop) {
        std::fprintf(stderr, "http_hello: %s\n", loop.error().message.c_str());
        return 1;
    }
    auto server = net::HttpServer::listen(
        **loop, address,
        [](const net::HttpRequest&, net::HttpResponder res) {
            res.send(200, "Hello, world!\n", {{"Content-Type", "text/plain"}});
        },
        options);
    if (!server) {
        std::fprintf(stderr, "http_hello: %s\n", server.error().message.c_str());
        return 2;
    }

    int sfd = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);
    core::EventLoop& l = **loop;
    auto watched = l.watch_fd(sfd, core::EventLoop::k_readable, [&](std::uint32_t) {
        signalfd_siginfo info{};
        [[maybe_unused]] ssize_t n = ::read(sfd, &info, sizeof info);
        (*server)->shutdown(std::chrono::seconds(5), [&l] { l.stop(); });
    });
    if (!watched) {
        return 1;
    }

    std::printf("http_hello: serving on http://%s (%s, %zu loop threads)\n", (*server)->address().c_str(),
                std::string(core::to_string(l.backend())).c_str(), (*server)->loop_count());
    std::fflush(stdout);
    auto ran = l.run();
    // How the kernel's SO_REUSEPORT hash spread the connections over the loops (for the bench's notes).
    net::HttpServerStats stats = (*server)->stats();
    std::fprintf(stderr, "http_hello: connections per loop:");
    for (std::uint64_t n : stats.connections_per_loop) {
        std::fprintf(stderr, " %llu", static_cast<unsigned long long>(n));
    }
    std::fprintf(stderr, "\n");
    l.unwatch_fd(*watched);
    server->reset();
    ::close(sfd);
    return ran ? 0 : 1;
}
