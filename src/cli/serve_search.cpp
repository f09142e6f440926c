// GET /v1/search: `pkg search --json-lines` in process. The search is the CLI's SearchRun, started on the
// pool (detection and planning read files) and then driven from the loop the request came in on: the run
// wakes the loop when a manager finishes (SearchRun::set_waker), the loop takes the report (poll) and writes
// its records as the client reads them, and the run tells the loop when its last process was reaped
// (on_settled). No thread waits for a search.

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "cli/json.hpp"
#include "cli/search_installed.hpp"
#include "cli/search_records.hpp"
#include "cli/serve_endpoints.hpp"
#include "pkg/search/search.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

std::optional<bool> flag_value(std::string_view text) {
    if (text.empty() || text == "1" || text == "true" || text == "yes" || text == "on") {
        return true;
    }
    if (text == "0" || text == "false" || text == "no" || text == "off") {
        return false;
    }
    return std::nullopt;
}

// The query string as the search request `pkg search` would make of the same options; the error is the
// 400's message.
util::Result<pkg::SearchRequest> read_search_request(std::string_view query_string) {
    auto params = net::parse_query(query_string);
    if (!params) {
        return util::fail(std::move(params).error());
    }
    pkg::SearchRequest out;
    // The hits are written as the client reads them: a native index's are read one at a time (HitSource),
    // never all in memory for every search in flight.
    out.query.lazy_hits = true;
    bool have_query = false;
    for (const auto& p : *params) {
        if (p.name == "q") {
            out.query.text = p.value;
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
            if (p.name == "exact") {
                out.query.mode = *v ? pkg::MatchMode::exact : pkg::MatchMode::substring;
            } else {
                out.race = *v;
            }
        } else if (p.name == "limit" || p.name == "timeout") {
            bool number = !p.value.empty() && p.value.size() <= 6 &&
                          p.value.find_first_not_of(p.name == "limit" ? "0123456789" : "0123456789.") ==
                              std::string::npos;
            if (!number) {
                return util::fail(util::ErrorKind::invalid_input, p.name + " must be a number");
            }
            if (p.name == "limit") {
                out.query.limit = static_cast<std::size_t>(std::strtoul(p.value.c_str(), nullptr, 10));
            } else {
                auto timeout = search_timeout(std::strtod(p.value.c_str(), nullptr));
                if (!timeout) {
                    return util::fail(util::ErrorKind::invalid_input,
                                      "timeout must be more than 0 and at most 86400 seconds");
                }
                out.timeout = *timeout;
            }
        } else {
            return util::fail(util::ErrorKind::invalid_input,
                              "unknown parameter '" + util::sanitize_for_display(p.name) +
                                  "' (known: q, manager, exact, race, limit, timeout)");
        }
    }
    if (!have_query) {
        return util::fail(util::ErrorKind::invalid_input, "the query is missing: /v1/search?q=TEXT");
    }
    if (auto valid = pkg::validate_search_request(out); !valid) {
        return util::fail(valid.error());
    }
    return out;
}

// Records are written in batches of about this size; the connection's high-water mark says when to wait.
constexpr std::size_t k_batch_bytes = 64 * 1024;

// One streamed search, owned by the loop thread of its connection (every member is used there only). The
// run keeps the stream alive until it has settled (its on_settled callback holds it), so the run is never
// destroyed with work in flight; a stream waiting for its reader is held by the responder's drain callback.
struct SearchStream : std::enable_shared_from_this<SearchStream> {
    std::shared_ptr<ServeShared> shared;
    net::HttpResponder responder;
    core::EventLoop* loop;
    core::CancellationToken token; // the run's parent: the client leaving cancels it
    bool sse = false;
    std::unique_ptr<pkg::SearchRun> run;
    std::deque<std::size_t> ready; // reports taken from the run, records not all written yet
    std::size_t next_hit = 0;      // of ready.front()
    pkg::SearchHit scratch;        // a lazily read hit (ManagerReport::lazy), reused from hit to hit
    bool waiting = false;          // for the client to read what is queued (backpressure)
    bool answered = false;         // the response is complete
    bool counted = true;           // still counted in flight / outstanding

    SearchStream(std::shared_ptr<ServeShared> s, net::HttpResponder r)
        : shared(std::move(s)), responder(std::move(r)), loop(&responder.loop()) {}

    std::string frame(std::string_view record) const {
        return sse ? "data: " + std::string(record) + "\n\n" : std::string(record) + "\n";
    }

    // The run was planned on the pool: hook it to this loop, or answer at once when there is nothing to run.
    void started(util::Result<std::unique_ptr<pkg::SearchRun>> made) {
        if (!made) {
            fail_answer(made.error().message);
            uncount();
            return;
        }
        run = std::move(*made);
        if (run->reports().empty()) {
            fail_answer("no package manager to search was found");
            run.reset(); // nothing ran: destroying it does not wait
            uncount();
            return;
        }
        std::weak_ptr<SearchStream> weak = weak_from_this();
        core::EventLoop* l = loop;
        run->set_waker([weak, l] {
            (void)l->post([weak] {
                if (auto st = weak.lock()) {
                    st->pump();
                }
            });
        });
        // Holds the stream (and so the run) until the run's last work ended and the loop has let go of it.
        run->on_settled([self = shared_from_this(), l] { (void)l->post([self] { self->settled(); }); });
        pump();
    }

    // Writes what the run has finished, as fast as the client reads it.
    void pump() {
        if (!run || answered || waiting || !responder.is_open()) {
            return;
        }
        while (auto index = run->poll()) {
            ready.push_back(*index);
        }
        std::string batch;
        while (!ready.empty()) {
            const pkg::ManagerReport& r = run->reports()[ready.front()];
            while (next_hit < r.count() && batch.size() < k_batch_bytes) {
                batch += frame(search_result_line(r.manager, r.hit(next_hit++, scratch)));
            }
            if (next_hit == r.count()) {
                batch += frame(json_text(search_status_json(r), JsonLayout::line));
                ready.pop_front();
                next_hit = 0;
            }
            if (batch.size() >= k_batch_bytes || ready.empty()) {
                bool more = responder.write(batch);
                batch.clear();
                if (!more) {
                    wait_for_reader();
                    return;
                }
            }
        }
        if (run->all_returned()) {
            finish();
        }
    }

    // Backpressure: nothing more is formatted until what is queued has gone out.
    void wait_for_reader() {
        waiting = true;
        ++shared->searches_waiting;
        // Holds the stream: once the run has settled nothing else does, and a responder dropped unanswered
        // would cut the stream with a 500. The server calls (and drops) it when the output drained or when
        // the connection went away.
        responder.on_drain([self = shared_from_this()] {
            if (self->waiting) {
                self->waiting = false;
                --self->shared->searches_waiting;
                self->pump();
            }
        });
    }

    void finish() {
        answered = true;
        if (sse) {
            // EventSource reconnects when a stream ends: the page closes it on this event.
            int code = to_int(search_exit_code(run->reports(), false));
            responder.write("event: done\ndata: " +
                            json_text({{"type", "done"}, {"exit_code", code}}, JsonLayout::line) + "\n\n");
        }
        responder.end();
    }

    void fail_answer(const std::string& message) {
        answered = true;
        responder.write(frame(json_text({{"type", "error"}, {"message", message}}, JsonLayout::line)));
        if (sse) {
            responder.write(
                "event: done\ndata: " +
                json_text({{"type", "done"}, {"exit_code", to_int(ExitCode::failure)}}, JsonLayout::line) +
                "\n\n");
        }
        responder.end();
    }

    // The client left before the answer was complete: stop every manager (their processes are killed and
    // reaped by the run; on_settled says when).
    void client_left() {
        if (answered) {
            return;
        }
        answered = true;
        ++shared->searches_cancelled;
        if (waiting) {
            waiting = false;
            --shared->searches_waiting;
        }
        token.cancel();
    }

    // Every process of the run was reaped; its reports may still be on their way to the client (the run
    // goes with the stream, and settled, its destructor does not wait).
    void settled() { uncount(); }

    void uncount() {
        if (counted) {
            counted = false;
            --shared->searches_in_flight;
            --shared->outstanding;
        }
    }
};

} // namespace

net::HttpHandler serve_search_endpoint(std::shared_ptr<ServeShared> shared) {
    return [shared](const net::HttpRequest& request, net::HttpResponder responder) {
        auto search = read_search_request(request.query);
        if (!search) {
            responder.send(400,
                           serve_error_json("invalid_input", search.error().message, search.error().hint),
                           serve_json_headers());
            return;
        }
        auto accept = request.header("accept");
        bool sse = accept && accept->find("text/event-stream") != std::string_view::npos;
        responder.start(200, {{"Content-Type", sse ? "text/event-stream; charset=utf-8"
                                                   : "application/x-ndjson; charset=utf-8"},
                              {"Cache-Control", "no-store"}});
        if (request.method == "HEAD") {
            responder.end(); // the headers a GET would get, without running a search for nothing
            return;
        }
        auto st = std::make_shared<SearchStream>(shared, responder);
        st->sse = sse;
        // Not a child of the root token: SIGTERM lets a search in progress finish within the grace.
        search->parent = st->token;
        search->root = shared->root;
        search->installed_count = installed_counter(search->root);
        search->use_cache = shared->use_cache;
        std::weak_ptr<SearchStream> weak = st;
        responder.on_close([weak] {
            if (auto s = weak.lock()) {
                s->client_left();
            }
        });
        ++shared->searches_in_flight;
        ++shared->searches_started;
        ++shared->outstanding;
        // Detection and the backends' setup read files: on the pool, once; the search itself then runs on
        // the runtime (native readers on the pool, commands as processes on the loop) with no thread
        // waiting for it. The stream is held until the run is handed over.
        core::Runtime* runtime = shared->runtime;
        auto planned = runtime->spawn([runtime, request = std::move(*search)]() mutable {
            return pkg::SearchRun::start(std::move(request), *runtime);
        });
        planned.on_complete([st](util::Result<std::unique_ptr<pkg::SearchRun>> made) mutable {
            core::EventLoop* l = st->loop;
            (void)l->post([st, made = std::move(made)]() mutable { st->started(std::move(made)); });
        });
    };
}

} // namespace zsyncctl::cli
