#pragma once

// The handlers behind `zsyncctl serve` (cmd_serve.cpp wires them to paths): the CLI's own documents as
// JSON, the streamed search, /metrics and the page.

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/documents.hpp"
#include "core/event_loop.hpp"
#include "core/runtime.hpp"
#include "core/thread_pool.hpp"
#include "net/http_server.hpp"
#include "util/root.hpp"

namespace zsyncctl::cli {

/// What the handlers share (on every loop of the server: the counters are atomics, searches and pool tasks
/// report through the loop the request arrived on, HttpResponder::loop()): the loop, the runtime whose pool
/// builds the documents and runs the searches, what they look at (root, cache, doctor's request), the
/// server (for its counters) and the work in flight. Built on the main thread before the server starts;
/// afterwards the plain fields are read-only and `server` and the counters belong to the loop thread, except
/// `outstanding`, which the main thread reads to wait for that work at shutdown.
struct ServeShared {
    core::EventLoop* loop = nullptr;
    core::ThreadPool* pool = nullptr;
    core::Runtime* runtime = nullptr;
    util::Root root;
    bool use_cache = true;
    DoctorRequest doctor;
    std::string io_backend;
    std::unique_ptr<net::HttpServer> server;
    /// `server` for the handlers, which may run on any of its loops (serve --threads): set once it is
    /// listening, cleared before it is destroyed.
    std::atomic<net::HttpServer*> live_server{nullptr};
    std::atomic<std::size_t> searches_in_flight{0};
    std::atomic<std::uint64_t> searches_started{0};
    std::atomic<std::uint64_t> searches_cancelled{0};
    std::atomic<std::size_t> searches_waiting{0}; ///< streams waiting for their client to read (backpressure)
    std::atomic<std::size_t> commands_in_flight{0};
    /// Searches (until their last manager process is reaped) and documents (pool tasks) still running: each
    /// reports to a loop of the server.
    std::atomic<int> outstanding{0};
};

/// The Content-Type and Cache-Control of the JSON answers.
const std::vector<net::HttpHeader>& serve_json_headers();

/// {"error": {"kind": KIND, "message": MESSAGE[, "hint": HINT]}} and a newline.
std::string serve_error_json(std::string_view kind, std::string_view message, std::string_view hint = {});

/// Builds one JSON document; may block, may raise CommandError; checks the token where it can stop early.
using DocumentBuilder = std::function<nlohmann::json(const core::CancellationToken&)>;

/// Answers with the document `build` returns (the CLI's own builder, so the schema and the code path are
/// the CLI's), built in process on the runtime's pool; the client leaving cancels its token. 200 with the
/// document, else 500 with an error document.
net::HttpHandler serve_document_endpoint(std::shared_ptr<ServeShared> shared, DocumentBuilder build);

/// Like serve_document_endpoint, for one request whose builder depends on it: answers on `responder`.
void serve_document(const std::shared_ptr<ServeShared>& shared, net::HttpResponder responder,
                    DocumentBuilder build);

/// GET /v1/info?name=NAME[&manager=M[,M...]]: `zsyncctl --json pkg info NAME [-m M]`'s document, built in
/// process by the command's own builder (info_document over run_inventory); the client leaving cancels
/// the reading. 400 with an error document for a missing or impossible name (pkg install's
/// validate_package_name) or an unknown parameter, 404 for a manager the registry does not know.
net::HttpHandler serve_info_endpoint(std::shared_ptr<ServeShared> shared);

/// GET /v1/search?q=&manager=&race=&exact=&limit=&timeout=: `pkg search --json-lines` in process, on the
/// same SearchRun (serve_search.cpp): each manager's records as it finishes, as NDJSON, or as server-sent
/// events (`data: RECORD`, then an `event: done` with the command's exit code) when the client accepts
/// text/event-stream. No thread waits for the search (the run wakes the connection's loop); records are
/// formatted only as fast as the client reads them (backpressure); a client that leaves cancels the search
/// (every manager process it started is killed and reaped). 400 with an error document for a bad query,
/// an unknown manager or parameter.
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
