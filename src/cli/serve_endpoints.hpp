#pragma once

// The handlers behind `zsyncctl serve` (cmd_serve.cpp wires them to paths): the CLI's own documents as
// JSON, the streamed search, /metrics and the page.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_loop.hpp"
#include "core/thread_pool.hpp"
#include "net/http_server.hpp"

namespace zsyncctl::cli {

/// What the handlers share (on every loop of the server: the counters are atomics, children are read
/// through the loop the request arrived on, HttpResponder::loop()): the loop, the argv prefix that runs this
/// binary with the server's global options, the server (for its counters) and the work in flight. Built on
/// the main thread before the server starts; afterwards the plain fields are read-only and `server` and the
/// counters belong to the loop thread, except `children`, which the main thread reads to wait for them at
/// shutdown.
struct ServeShared {
    core::EventLoop* loop = nullptr;
    core::ThreadPool* pool = nullptr;
    /// "/proc/self/exe --color never [--root DIR] [--no-cache] --io-backend B".
    std::vector<std::string> base_argv;
    std::string io_backend;
    std::unique_ptr<net::HttpServer> server;
    /// `server` for the handlers, which may run on any of its loops (serve --threads): set once it is
    /// listening, cleared before it is destroyed.
    std::atomic<net::HttpServer*> live_server{nullptr};
    std::atomic<std::size_t> searches_in_flight{0};
    std::atomic<std::uint64_t> searches_started{0};
    std::atomic<std::uint64_t> searches_cancelled{0};
    std::atomic<std::size_t> commands_in_flight{0};
    /// Children (commands and searches) still running.
    std::atomic<int> children{0};
};

/// The Content-Type and Cache-Control of the JSON answers.
const std::vector<net::HttpHeader>& serve_json_headers();

/// {"error": {"kind": KIND, "message": MESSAGE[, "hint": HINT]}} and a newline.
std::string serve_error_json(std::string_view kind, std::string_view message, std::string_view hint = {});

/// Answers with this binary's `zsyncctl --json COMMAND...` document (run as a child, so the schema, the
/// options and the code path are the CLI's); the client leaving stops the child. 200 with the document
/// when the command exits with one of `document_codes` (doctor's 1 "found problems", pkg outdated's 100
/// "some outdated", 3 "a manager could not be read" carry a document too), else 500 with an error document.
net::HttpHandler serve_command_endpoint(std::shared_ptr<ServeShared> shared, std::vector<std::string> command,
                                        std::vector<int> document_codes = {0, 1});

/// GET /v1/search?q=&manager=&race=&exact=&limit=&timeout=: runs `zsyncctl pkg search --json-lines` and
/// streams its records as they arrive, as NDJSON, or as server-sent events (`data: RECORD`, then an
/// `event: done` with the exit code) when the client accepts text/event-stream. A slow reader pauses the
/// search (backpressure), a client that leaves cancels it (no manager process is left). 400 with an
/// error document for a bad query, an unknown manager or parameter.
net::HttpHandler serve_search_endpoint(std::shared_ptr<ServeShared> shared);

/// GET /metrics in the Prometheus text format: responses by status, the latency histogram, connections,
/// the loop backend, the pool's queue depth and workers, searches and commands in flight.
net::HttpHandler serve_metrics_endpoint(std::shared_ptr<ServeShared> shared);

/// GET /: the self-contained page (doctor report, streamed search with the per-manager board), with a
/// Content-Security-Policy that allows nothing from elsewhere.
net::HttpHandler serve_page_endpoint();

/// The page's HTML, embedded at build time from serve_page.html.
std::string_view serve_page_html();

} // namespace zsyncctl::cli
