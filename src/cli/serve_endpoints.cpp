#include "cli/serve_endpoints.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <optional>

#include "cli/cmd_pkg_list_report.hpp"
#include "cli/context.hpp"
#include "cli/json.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/inventory/inventory.hpp"
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

void serve_document(const std::shared_ptr<ServeShared>& shared, net::HttpResponder responder,
                    DocumentBuilder build) {
    // Not a child of the root token: SIGTERM lets requests in progress finish; the client leaving (or the
    // grace deadline closing the connection) cancels what the builder checks (the inventory).
    core::CancellationToken token;
    responder.on_close([token] { token.cancel(); });
    ++shared->commands_in_flight;
    ++shared->outstanding;
    // The builder blocks (file reads, a manager asked for its paths): it runs on the runtime's pool, never
    // on a loop thread; its answer is sent from the loop the request came in on.
    auto task = [build = std::move(build), token]() -> util::Result<std::string> {
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
}

net::HttpHandler serve_document_endpoint(std::shared_ptr<ServeShared> shared, DocumentBuilder build) {
    return [shared, build = std::move(build)](const net::HttpRequest&, net::HttpResponder responder) {
        serve_document(shared, std::move(responder), build);
    };
}

net::HttpHandler serve_info_endpoint(std::shared_ptr<ServeShared> shared) {
    return [shared](const net::HttpRequest& request, net::HttpResponder responder) {
        auto bad = [&responder](int status, std::string_view kind, const util::Error& e) {
            responder.send(status, serve_error_json(kind, e.message, e.hint), serve_json_headers());
        };
        auto params = net::parse_query(request.query);
        if (!params) {
            bad(400, "invalid_input", params.error());
            return;
        }
        pkg::InventoryRequest inventory;
        inventory.kind = pkg::InventoryKind::info;
        bool have_name = false;
        for (const auto& p : *params) {
            if (p.name == "name") {
                inventory.query = p.value;
                have_name = true;
            } else if (p.name == "manager") {
                for (std::string_view part : util::split(p.value, ',')) {
                    if (!util::trim(part).empty()) {
                        inventory.managers.emplace_back(util::trim(part));
                    }
                }
            } else {
                bad(400, "invalid_input",
                    util::make_error(util::ErrorKind::invalid_input, "unknown parameter '" +
                                                                         util::sanitize_for_display(p.name) +
                                                                         "' (known: name, manager)"));
                return;
            }
        }
        if (!have_name) {
            bad(400, "invalid_input",
                util::make_error(util::ErrorKind::invalid_input, "the name is missing: /v1/info?name=NAME"));
            return;
        }
        if (auto name = pkg::validate_package_name(inventory.query); !name) {
            bad(400, "invalid_input", name.error());
            return;
        }
        // A manager the registry does not know is a resource that is not there.
        if (auto valid = pkg::validate_inventory_request(inventory); !valid) {
            bad(404, "not_found", valid.error());
            return;
        }
        inventory.root = shared->root;
        inventory.use_cache = shared->use_cache;
        inventory.runtime = shared->runtime;
        serve_document(shared, std::move(responder), [inventory](const core::CancellationToken& token) {
            auto reports = pkg::run_inventory(inventory, token);
            if (!reports) {
                raise(std::move(reports).error());
            }
            return info_document(*reports, inventory.query);
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
        metric("zsyncctl_searches_waiting_reader", "gauge",
               "Searches whose results wait for their client to read what was sent (backpressure).");
        out += "zsyncctl_searches_waiting_reader " + std::to_string(shared->searches_waiting.load()) + "\n";
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
