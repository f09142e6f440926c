#include "cli/serve_endpoints.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <optional>

#include "cli/context.hpp"
#include "cli/json.hpp"
#include "core/process.hpp"
#include "pkg/search/search.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

using namespace std::chrono_literals;

// Whatever the outcome, the end of a child or of a task on the pool is reported on the loop thread, once.
template <typename T, typename F>
void on_loop(core::EventLoop* loop, core::Future<T> future, F done) {
    future.on_complete([loop, done = std::move(done)](util::Result<T> result) mutable {
        loop->post(
            [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
    });
}

std::optional<bool> flag_value(std::string_view text) {
    if (text.empty() || text == "1" || text == "true" || text == "yes" || text == "on") {
        return true;
    }
    if (text == "0" || text == "false" || text == "no" || text == "off") {
        return false;
    }
    return std::nullopt;
}

struct SearchParams {
    std::string query;
    std::vector<std::string> managers;
    bool exact = false;
    bool race = false;
    std::string limit;
    std::string timeout;
};

// Reads the query string; the error is the 400's message.
util::Result<SearchParams> read_search_params(std::string_view query_string) {
    auto params = net::parse_query(query_string);
    if (!params) {
        return util::fail(std::move(params).error());
    }
    SearchParams out;
    bool have_query = false;
    for (const auto& p : *params) {
        if (p.name == "q") {
            out.query = p.value;
            have_query = true;
        } else if (p.name == "manager") {
            for (std::string_view part : util::split(p.value, ',')) {
                if (!util::trim(part).empty()) {
                    out.managers.emplace_back(util::trim(part));
                }
            }
        } else if (p.name == "exact" || p.name == "race") {
            auto v = flag_value(p.value);
            if (!v) {
                return util::fail(util::ErrorKind::invalid_input,
                                  p.name + " must be 1/0, true/false, yes/no or on/off");
            }
            (p.name == "exact" ? out.exact : out.race) = *v;
        } else if (p.name == "limit" || p.name == "timeout") {
            bool number = !p.value.empty() && p.value.size() <= 6 &&
                          p.value.find_first_not_of(p.name == "limit" ? "0123456789" : "0123456789.") ==
                              std::string::npos;
            if (!number) {
                return util::fail(util::ErrorKind::invalid_input, p.name + " must be a number");
            }
            (p.name == "limit" ? out.limit : out.timeout) = p.value;
        } else {
            return util::fail(util::ErrorKind::invalid_input,
                              "unknown parameter '" + util::sanitize_for_display(p.name) +
                                  "' (known: q, manager, exact, race, limit, timeout)");
        }
    }
    if (!have_query) {
        return util::fail(util::ErrorKind::invalid_input, "the query is missing: /v1/search?q=TEXT");
    }
    return out;
}

// One streamed search: the child, the client's connection and the pause between them.
struct SearchStream {
    std::shared_ptr<ServeShared> shared;
    net::HttpResponder responder;
    bool sse = false;
    bool records = false; // the child printed at least one record
    bool paused = false;  // the child is stopped until the client catches up
    bool client_gone = false;
    std::shared_ptr<core::ProcessControl> control = std::make_shared<core::ProcessControl>();
    core::CancellationToken token;

    explicit SearchStream(std::shared_ptr<ServeShared> s, net::HttpResponder r)
        : shared(std::move(s)), responder(std::move(r)) {}

    void emit(std::string_view record) {
        std::string framed = sse ? "data: " + std::string(record) + "\n\n" : std::string(record) + "\n";
        if (!responder.write(framed) && responder.is_open() && !paused) {
            // Backpressure: the client reads slower than the managers answer. The search waits (its
            // process is stopped) until what is queued has gone out.
            paused = control->signal_leader(SIGSTOP);
            std::weak_ptr<SearchStream> weak = self;
            responder.on_drain([weak] {
                if (auto st = weak.lock(); st && st->paused) {
                    st->paused = false;
                    st->control->signal_leader(SIGCONT);
                }
            });
        }
    }

    std::weak_ptr<SearchStream> self;
};

} // namespace

const std::vector<net::HttpHeader>& serve_json_headers() {
    static const std::vector<net::HttpHeader> headers{{"Content-Type", "application/json"},
                                                      {"Cache-Control", "no-store"}};
    return headers;
}

std::string serve_error_json(std::string_view kind, std::string_view message, std::string_view hint) {
    nlohmann::json e{{"kind", kind}, {"message", message}};
    if (!hint.empty()) {
        e["hint"] = hint;
    }
    return json_text({{"error", e}}, JsonLayout::line) + "\n";
}

net::HttpHandler serve_document_endpoint(std::shared_ptr<ServeShared> shared, DocumentBuilder build) {
    return [shared, build = std::move(build)](const net::HttpRequest&, net::HttpResponder responder) {
        // Not a child of the root token: SIGTERM lets requests in progress finish; the client leaving (or
        // the grace deadline closing the connection) cancels what the builder checks (the inventory).
        core::CancellationToken token;
        responder.on_close([token] { token.cancel(); });
        ++shared->commands_in_flight;
        ++shared->outstanding;
        // The builder blocks (file reads, a manager asked for its paths): it runs on the runtime's pool,
        // never on a loop thread; its answer is sent from the loop the request came in on.
        auto task = [build, token]() -> util::Result<std::string> {
            try {
                return json_text(build(token)) + "\n";
            } catch (const CommandError& e) {
                return util::fail(e.error);
            } catch (const std::exception& e) {
                return util::fail(util::ErrorKind::internal, e.what());
            }
        };
        on_loop(&responder.loop(), shared->runtime->spawn(std::move(task), token),
                [shared, responder](util::Result<std::string> document) mutable {
                    --shared->commands_in_flight;
                    --shared->outstanding;
                    if (!document) {
                        const util::Error& e = document.error();
                        responder.send(500, serve_error_json(util::to_string(e.kind), e.message, e.hint),
                                       serve_json_headers());
                        return;
                    }
                    responder.send(200, *document, serve_json_headers());
                });
    };
}

net::HttpHandler serve_search_endpoint(std::shared_ptr<ServeShared> shared) {
    return [shared](const net::HttpRequest& request, net::HttpResponder responder) {
        auto params = read_search_params(request.query);
        if (!params) {
            responder.send(400, serve_error_json("invalid_input", params.error().message),
                           serve_json_headers());
            return;
        }
        pkg::SearchRequest check;
        check.query.text = params->query;
        check.managers = params->managers;
        if (auto valid = pkg::validate_search_request(check); !valid) {
            responder.send(400, serve_error_json("invalid_input", valid.error().message, valid.error().hint),
                           serve_json_headers());
            return;
        }
        if (request.method == "HEAD") {
            // The headers a GET would get, without running a search for nothing.
            responder.start(200, {{"Content-Type", "application/x-ndjson; charset=utf-8"},
                                  {"Cache-Control", "no-store"}});
            responder.end();
            return;
        }
        std::vector<std::string> argv = shared->base_argv;
        for (const char* word : {"pkg", "search", "--json-lines"}) {
            argv.emplace_back(word);
        }
        for (const auto& m : params->managers) {
            argv.emplace_back("--manager");
            argv.push_back(m);
        }
        if (params->exact) {
            argv.emplace_back("--exact");
        }
        if (params->race) {
            argv.emplace_back("--race");
        }
        double timeout_s = 30;
        if (!params->timeout.empty()) {
            argv.emplace_back("--timeout");
            argv.push_back(params->timeout);
            timeout_s = std::atof(params->timeout.c_str());
        }
        if (!params->limit.empty()) {
            argv.emplace_back("--limit");
            argv.push_back(params->limit);
        }
        argv.emplace_back("--");
        argv.push_back(params->query);

        auto accept = request.header("accept");
        auto st = std::make_shared<SearchStream>(shared, responder);
        st->self = st;
        st->sse = accept && accept->find("text/event-stream") != std::string_view::npos;
        responder.start(200, {{"Content-Type", st->sse ? "text/event-stream; charset=utf-8"
                                                       : "application/x-ndjson; charset=utf-8"},
                              {"Cache-Control", "no-store"}});
        responder.on_close([st] {
            // The client left: resume the search if it was paused, then cancel it (SIGTERM to the child,
            // which stops its managers and waits for them before it exits).
            st->client_gone = true;
            ++st->shared->searches_cancelled;
            if (st->paused) {
                st->paused = false;
                st->control->signal_leader(SIGCONT);
            }
            st->token.cancel();
        });

        core::ProcessSpec spec;
        spec.argv = std::move(argv);
        spec.control = st->control;
        // The search ends itself at its own deadline (plus the 5 s a missing report gets); this is the
        // backstop for a child that does not. Generous: a slow reader keeps the child paused, and the
        // server's idle timeout is what ends a reader that stopped for good.
        spec.timeout =
            std::chrono::milliseconds(static_cast<std::int64_t>(std::min(timeout_s, 86400.0) * 1000)) + 600s;
        spec.capture_limit = 64 * 1024; // stderr's tail, for the error record; stdout is streamed
        spec.on_stdout_line = [st](std::string_view line) {
            if (!line.empty() && line.front() == '{') {
                st->records = true;
                st->emit(line);
            }
        };
        ++shared->searches_in_flight;
        ++shared->searches_started;
        ++shared->outstanding;
        on_loop(&st->responder.loop(), core::spawn_process(st->responder.loop(), std::move(spec), st->token),
                [st](util::Result<core::ProcessResult> result) {
                    --st->shared->searches_in_flight;
                    --st->shared->outstanding;
                    st->paused = false;
                    if (!st->responder.is_open()) {
                        return;
                    }
                    int code =
                        result && result->outcome == core::ProcessOutcome::exited ? result->exit_code : -1;
                    if (!st->records || code < 0 || code == 2) {
                        std::string message = !result ? result.error().message
                                                      : result->describe() + ": " +
                                                            std::string(util::trim(result->stderr_text));
                        st->emit(json_text({{"type", "error"}, {"message", message}}, JsonLayout::line));
                    }
                    if (st->sse) {
                        // EventSource reconnects when a stream ends: the page closes it on this event.
                        st->responder.write(
                            "event: done\ndata: " +
                            json_text({{"type", "done"}, {"exit_code", code}}, JsonLayout::line) + "\n\n");
                    }
                    st->responder.end();
                });
    };
}

net::HttpHandler serve_metrics_endpoint(std::shared_ptr<ServeShared> shared) {
    return [shared](const net::HttpRequest&, net::HttpResponder responder) {
        net::HttpServer* server = shared->live_server.load();
        net::HttpServerStats s = server != nullptr ? server->stats() : net::HttpServerStats{};
        std::string out;
        auto metric = [&out](const char* name, const char* type, const char* help) {
            out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
        };
        auto number = [](double v) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.9g", v);
            return std::string(buf);
        };
        metric("zsyncctl_http_responses_total", "counter", "Complete HTTP responses by status code.");
        for (const auto& [code, count] : s.responses) {
            out += "zsyncctl_http_responses_total{code=\"" + std::to_string(code) + "\"} " +
                   std::to_string(count) + "\n";
        }
        metric("zsyncctl_http_request_duration_seconds", "histogram",
               "Time from a request's head to its complete answer.");
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < s.latency_buckets.size(); ++i) {
            cumulative += s.latency_buckets[i];
            std::string le = i < net::HttpServerStats::k_latency_bounds.size()
                                 ? number(net::HttpServerStats::k_latency_bounds[i])
                                 : std::string("+Inf");
            out += "zsyncctl_http_request_duration_seconds_bucket{le=\"" + le + "\"} " +
                   std::to_string(cumulative) + "\n";
        }
        out += "zsyncctl_http_request_duration_seconds_sum " + number(s.latency_sum_seconds) + "\n";
        out += "zsyncctl_http_request_duration_seconds_count " + std::to_string(s.latency_count) + "\n";
        metric("zsyncctl_http_responses_aborted_total", "counter",
               "Answers cut short because the connection went away.");
        out += "zsyncctl_http_responses_aborted_total " + std::to_string(s.aborted) + "\n";
        metric("zsyncctl_http_connections_accepted_total", "counter", "Connections accepted.");
        out += "zsyncctl_http_connections_accepted_total " + std::to_string(s.connections_accepted) + "\n";
        metric("zsyncctl_http_connections_open", "gauge", "Connections open now.");
        out += "zsyncctl_http_connections_open " +
               std::to_string(server != nullptr ? server->connection_count() : 0) + "\n";
        metric("zsyncctl_http_loop_connections_accepted_total", "counter",
               "Connections accepted by each loop thread (serve --threads).");
        for (std::size_t i = 0; i < s.connections_per_loop.size(); ++i) {
            out += "zsyncctl_http_loop_connections_accepted_total{loop=\"" + std::to_string(i) + "\"} " +
                   std::to_string(s.connections_per_loop[i]) + "\n";
        }
        metric("zsyncctl_loop_backend", "gauge", "The event loop's I/O backend (1 for the one in use).");
        out += "zsyncctl_loop_backend{backend=\"" + shared->io_backend + "\"} 1\n";
        metric("zsyncctl_pool_queue_depth", "gauge", "Tasks queued on the worker pool and not yet started.");
        out +=
            "zsyncctl_pool_queue_depth " + std::to_string(shared->pool ? shared->pool->pending() : 0) + "\n";
        metric("zsyncctl_pool_workers", "gauge", "Worker threads of the pool.");
        out +=
            "zsyncctl_pool_workers " + std::to_string(shared->pool ? shared->pool->worker_count() : 0) + "\n";
        metric("zsyncctl_searches_in_flight", "gauge", "Searches running now.");
        out += "zsyncctl_searches_in_flight " + std::to_string(shared->searches_in_flight.load()) + "\n";
        metric("zsyncctl_searches_total", "counter", "Searches started.");
        out += "zsyncctl_searches_total " + std::to_string(shared->searches_started.load()) + "\n";
        metric("zsyncctl_searches_cancelled_total", "counter", "Searches cancelled by the client leaving.");
        out +=
            "zsyncctl_searches_cancelled_total " + std::to_string(shared->searches_cancelled.load()) + "\n";
        metric("zsyncctl_commands_in_flight", "gauge",
               "Documents (doctor, managers, paths, list, outdated) being built now.");
        out += "zsyncctl_commands_in_flight " + std::to_string(shared->commands_in_flight.load()) + "\n";
        responder.send(
            200, out,
            {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}, {"Cache-Control", "no-store"}});
    };
}

net::HttpHandler serve_page_endpoint() {
    return [](const net::HttpRequest&, net::HttpResponder responder) {
        responder.send(200, serve_page_html(),
                       {{"Content-Type", "text/html; charset=utf-8"},
                        {"Cache-Control", "no-store"},
                        {"Content-Security-Policy",
                         "default-src 'none'; connect-src 'self'; script-src 'unsafe-inline'; "
                         "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"},
                        {"X-Content-Type-Options", "nosniff"}});
    };
}

} // namespace zsyncctl::cli
