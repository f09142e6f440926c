#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "net/http_server_internal.hpp"

namespace zsyncctl::net::detail {

namespace {

using Clock = core::EventLoop::Clock;
using namespace std::chrono_literals;

// Unparsed input kept while a request is being handled (pipelined requests); reading pauses above it.
constexpr std::size_t k_pipeline_bytes = 64 * 1024;
constexpr std::chrono::milliseconds k_linger{2000};

bool status_has_body(int status) {
    return status >= 200 && status != 204 && status != 304;
}

void append_number(std::string& out, std::uint64_t value, int base) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, base);
    out.append(buf, end);
}

} // namespace

Connection::~Connection() {
    if (m_phase != Phase::closed) {
        close();
    }
}

void Connection::start() {
    update_interest();
    set_deadline(Deadline::header, m_server.options.header_timeout);
}

void Connection::close() {
    if (m_phase == Phase::closed) {
        return;
    }
    auto self = shared_from_this();
    m_phase = Phase::closed;
    // Cancels the receive and send in flight (their callbacks never run); the loop keeps their buffers.
    m_server.loop.close_io(m_fd);
    m_reading = false;
    m_sending = false;
    if (m_timer_armed) {
        m_server.loop.cancel_timer(m_timer);
        m_timer_armed = false;
    }
    ::close(m_fd);
    m_fd = -1;
    m_server.remove(this);
    if (m_exchange != nullptr) {
        Exchange* ex = m_exchange;
        m_exchange = nullptr;
        m_server.count_aborted();
        ex->conn = nullptr;
        // A writer waiting for the drain is woken too (is_open() is false now), so that it stops and drops
        // what it holds: with sends completing later, a client that leaves is seen only here, and a waiter
        // that was never woken kept its stream (and whatever it captured) alive.
        auto drain = std::move(ex->on_drain);
        auto callback = std::move(ex->on_close);
        if (callback) {
            callback();
        }
        if (drain) {
            drain();
        }
    }
}

void Connection::drain() {
    m_keep_alive = false;
    if ((m_phase == Phase::head && buffered_input() == 0) || m_phase == Phase::lingering) {
        if (m_phase == Phase::head && output_pending()) {
            m_close_after_flush = true; // the last answer is on its way: linger after it
            return;
        }
        close();
    }
}

void Connection::on_recv(std::string_view data, int error) {
    if (m_phase == Phase::closed) {
        return; // close() cancelled the loop's operations; nothing of this connection runs after it
    }
    m_reading = false;
    if (error != 0) {
        close(); // ECONNRESET and friends: the peer is gone
        return;
    }
    if (data.empty()) {
        m_peer_eof = true;
        if (m_phase == Phase::lingering) {
            close();
            return;
        }
    } else if (m_phase != Phase::lingering) {
        if (m_in_pos == m_in.size()) {
            m_in.clear();
            m_in_pos = 0;
        } else if (m_in_pos > 0 && m_in_pos >= m_in.size() / 2) {
            m_in.erase(0, m_in_pos);
            m_in_pos = 0;
        }
        m_in.append(data);
    }
    process();
    if (m_phase == Phase::closed) {
        return;
    }
    flush();
    if (m_phase != Phase::closed) {
        update_interest();
    }
}

void Connection::process() {
    auto self = shared_from_this();
    m_processing = true;
    const HttpLimits& limits = m_server.options.limits;
    // One clock read for the requests parsed in this pass (a pipelined batch shares it).
    Clock::time_point now{};
    auto clock = [&now] {
        if (now == Clock::time_point{}) {
            now = Clock::now();
        }
        return now;
    };
    while (m_phase == Phase::head || m_phase == Phase::body) {
        if (m_phase == Phase::head) {
            if (buffered_input() == 0) {
                break;
            }
            if (m_deadline_kind == Deadline::idle) {
                set_deadline(Deadline::header, m_server.options.header_timeout, clock());
            }
            // Parsed in place into the loop's HeadParse (see ServerState::parse), swapped with m_request
            // below; nothing of `parsed` is used after dispatch(), which may parse for another connection.
            HeadParse& parsed = m_server.parse;
            parse_http_head(std::string_view(m_in).substr(m_in_pos), limits, parsed);
            if (parsed.state == HeadParse::State::need_more) {
                break;
            }
            if (parsed.state == HeadParse::State::error) {
                fail(parsed.error_status, parsed.error_reason);
                break;
            }
            // This loop is the only writer: a relaxed load and store, no locked instruction.
            m_server.requests.store(m_server.requests.load(std::memory_order_relaxed) + 1,
                                    std::memory_order_relaxed);
            m_in_pos += parsed.consumed;
            std::swap(m_request, parsed.request);
            m_framing = parsed.framing;
            m_body_left = parsed.content_length;
            if (m_framing == BodyFraming::chunked) {
                m_chunked = std::make_unique<ChunkedDecoder>(limits);
            }
            if (m_framing == BodyFraming::none) {
                dispatch(clock());
                continue;
            }
            if (m_request.expect_continue) {
                m_out += "HTTP/1.1 100 Continue\r\n\r\n";
            }
            m_phase = Phase::body;
            set_deadline(Deadline::body, m_server.options.idle_timeout);
        }
        std::string_view avail = std::string_view(m_in).substr(m_in_pos);
        if (avail.empty()) {
            break;
        }
        set_deadline(Deadline::body, m_server.options.idle_timeout); // progress
        if (m_framing == BodyFraming::length) {
            std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(m_body_left, avail.size()));
            m_request.body.append(avail.substr(0, take));
            m_in_pos += take;
            m_body_left -= take;
            if (m_body_left == 0) {
                dispatch(clock());
            }
        } else {
            ChunkedDecoder::Step step = m_chunked->feed(avail, m_request.body);
            m_in_pos += step.consumed;
            if (step.error_status != 0) {
                fail(step.error_status, "malformed chunked body");
                break;
            }
            if (step.done) {
                m_chunked.reset();
                dispatch(clock());
            }
        }
    }
    m_processing = false;
    if (m_peer_eof && m_phase != Phase::closed && m_phase != Phase::lingering) {
        if (m_phase == Phase::head && buffered_input() == 0) {
            if (output_pending()) {
                m_close_after_flush = true; // it read everything it asked for: send it, then close
            } else {
                close();
            }
        } else if (!(m_phase == Phase::handling && m_exchange == nullptr)) {
            close(); // a half-sent request, or one in progress whose client left: cancel it
        }
    }
}

void Connection::dispatch(Clock::time_point now) {
    m_phase = Phase::handling;
    m_keep_alive = m_request.keep_alive && !m_server.draining;
    set_deadline(Deadline::none, 0ms);
    auto ex = std::allocate_shared<Exchange>(util::RecyclingAllocator<Exchange>{});
    ex->conn = this;
    ex->loop = &m_server.loop;
    ex->head = m_request.method == "HEAD";
    ex->started = now;
    m_exchange = ex.get();
    HttpResponder responder(std::move(ex));
    try {
        (*m_server.handler)(m_request, std::move(responder));
    } catch (...) {
        if (m_exchange != nullptr && !m_exchange->answered) {
            send_response(*m_exchange, 500, "internal error\n", {{"Content-Type", "text/plain"}});
        } else if (m_exchange != nullptr) {
            close();
        }
    }
}

void Connection::fail(int status, std::string_view reason) {
    m_keep_alive = false;
    m_server.record(status, {});
    std::string body(reason);
    body += '\n';
    append_head(status, {{"Content-Type", "text/plain; charset=utf-8"}}, false);
    m_out.insert(m_out.size() - 2, "Content-Length: " + std::to_string(body.size()) + "\r\n");
    m_out += body;
    m_phase = Phase::handling; // nothing more is parsed
    m_close_after_flush = true;
    if (!m_processing) {
        flush();
    }
}

void Connection::append_head(int status, const std::vector<HttpHeader>& headers, bool keep_alive) {
    if (status == 200) {
        m_out += m_server.head_200(); // the status line and Date in one append
    } else {
        m_out += "HTTP/1.1 ";
        append_number(m_out, static_cast<std::uint64_t>(status), 10);
        m_out += ' ';
        m_out += http_reason(status);
        m_out += "\r\nDate: ";
        m_out += m_server.date();
        m_out += "\r\n";
    }
    for (const auto& h : headers) {
        m_out += h.name;
        m_out += ": ";
        m_out += h.value;
        m_out += "\r\n";
    }
    if (!keep_alive) {
        m_out += "Connection: close\r\n";
    } else if (m_request.version_minor == 0) {
        m_out += "Connection: keep-alive\r\n";
    }
    m_out += "\r\n";
}

void Connection::send_response(Exchange& ex, int status, std::string_view body,
                               const std::vector<HttpHeader>& headers) {
    auto self = shared_from_this();
    ex.answered = true;
    ex.status = status;
    append_head(status, headers, m_keep_alive);
    if (status_has_body(status)) {
        // In place of the head's final CRLF: no temporary string, no insert.
        m_out.resize(m_out.size() - 2);
        m_out += "Content-Length: ";
        append_number(m_out, body.size(), 10);
        m_out += "\r\n\r\n";
        if (!ex.head) {
            m_out.append(body);
        }
    }
    finish_exchange();
}

void Connection::start_stream(Exchange& ex, int status, const std::vector<HttpHeader>& headers) {
    auto self = shared_from_this();
    ex.answered = true;
    ex.streaming = true;
    ex.status = status;
    ex.chunked = m_request.version_minor >= 1;
    if (!ex.chunked) {
        m_keep_alive = false; // HTTP/1.0: the end of the body is the close
    }
    append_head(status, headers, m_keep_alive);
    if (ex.chunked && status_has_body(status)) {
        m_out.insert(m_out.size() - 2, "Transfer-Encoding: chunked\r\n");
    }
    if (!m_processing) {
        flush();
        if (m_phase != Phase::closed) {
            update_interest();
        }
    }
}

bool Connection::write_chunk(Exchange& ex, std::string_view data) {
    auto self = shared_from_this();
    if (!ex.head && !data.empty()) {
        if (ex.chunked) {
            append_number(m_out, data.size(), 16);
            m_out += "\r\n";
            m_out.append(data);
            m_out += "\r\n";
        } else {
            m_out.append(data);
        }
    }
    if (!m_processing) {
        flush();
        if (m_phase == Phase::closed) {
            return false;
        }
        update_interest();
    }
    bool below = m_out.size() + m_sending_bytes < m_server.options.high_water_bytes;
    if (!below) {
        ex.want_drain = true;
    }
    return below;
}

void Connection::end_stream(Exchange& ex) {
    auto self = shared_from_this();
    ex.streaming = false;
    if (ex.chunked && !ex.head) {
        m_out += "0\r\n\r\n";
    }
    finish_exchange();
}

void Connection::exchange_gone(Exchange& ex) {
    // The last responder went away without an answer (or mid-stream): answer 500, or cut the stream.
    auto self = shared_from_this();
    if (!ex.answered) {
        send_response(ex, 500, "the handler gave no answer\n", {{"Content-Type", "text/plain"}});
    } else if (ex.streaming) {
        m_exchange = nullptr;
        close();
    }
}

void Connection::finish_exchange() {
    const Clock::time_point now = Clock::now();
    if (m_exchange != nullptr) {
        m_server.record(m_exchange->status, m_exchange->started, now);
        m_exchange->conn = nullptr;
        m_exchange->on_close = nullptr;
        m_exchange->on_drain = nullptr;
        m_exchange = nullptr;
    }
    m_request.body.clear();
    if (!m_keep_alive) {
        m_close_after_flush = true;
    } else {
        m_phase = Phase::head;
        set_deadline(buffered_input() > 0 ? Deadline::header : Deadline::idle,
                     buffered_input() > 0 ? m_server.options.header_timeout : m_server.options.idle_timeout,
                     now);
    }
    if (!m_processing) {
        process();
        if (m_phase != Phase::closed) {
            flush();
        }
        if (m_phase != Phase::closed) {
            update_interest();
        }
    }
}

void Connection::flush() {
    if (m_sending) {
        return; // on_sent sends what was added meanwhile
    }
    if (m_out.empty()) {
        flushed();
        return;
    }
    // One send in flight at a time; what is answered meanwhile collects in m_out (a fresh buffer with the
    // capacity of the one sent before).
    std::string data = std::move(m_out);
    m_out = std::move(m_spare);
    m_out.clear();
    m_sending = true;
    m_sending_bytes = data.size();
    if (m_phase == Phase::handling && m_deadline_kind == Deadline::none) {
        set_deadline(Deadline::write, m_server.options.idle_timeout); // a stream to a reader that stalls
    }
    auto weak = weak_from_this();
    m_server.loop.send_async(m_fd, std::move(data), [weak](int error, std::string& buffer) {
        if (auto self = weak.lock()) {
            self->on_sent(error, buffer);
        }
    });
}

void Connection::on_sent(int error, std::string& buffer) {
    if (m_phase == Phase::closed) {
        return;
    }
    m_sending = false;
    m_sending_bytes = 0;
    if (error != 0) {
        close(); // EPIPE, ECONNRESET: the peer is gone
        return;
    }
    if (buffer.capacity() > m_spare.capacity()) {
        m_spare = std::move(buffer);
    }
    flush();
    if (m_phase != Phase::closed) {
        update_interest();
    }
}

void Connection::flushed() {
    if (m_deadline_kind == Deadline::write) {
        set_deadline(Deadline::none, 0ms);
    }
    if (m_close_after_flush && m_phase != Phase::lingering) {
        begin_linger();
        return;
    }
    if (m_exchange != nullptr && m_exchange->want_drain) {
        m_exchange->want_drain = false;
        auto callback = std::move(m_exchange->on_drain);
        if (callback) {
            auto self = shared_from_this();
            callback();
        }
    }
}

void Connection::begin_linger() {
    // Close the sending side and read (and drop) what the client still sends for a moment, so that a
    // close with unread input does not turn into a reset that destroys the answer on its way.
    ::shutdown(m_fd, SHUT_WR);
    m_phase = Phase::lingering;
    m_in.clear();
    m_in_pos = 0;
    if (m_peer_eof) {
        close();
        return;
    }
    set_deadline(Deadline::linger, k_linger);
}

void Connection::update_interest() {
    // Reading pauses while too much unparsed input waits (pipelining) and after the peer's end of stream.
    const bool want = m_phase == Phase::lingering || m_phase == Phase::head || m_phase == Phase::body ||
                      (m_phase == Phase::handling && buffered_input() < k_pipeline_bytes);
    if (want && !m_reading && !m_peer_eof) {
        m_reading = true;
        auto weak = weak_from_this();
        m_server.loop.recv_async(m_fd, [weak](std::string_view data, int error) {
            if (auto self = weak.lock()) {
                self->on_recv(data, error);
            }
        });
    }
}

void Connection::set_deadline(Deadline kind, std::chrono::milliseconds after, Clock::time_point now) {
    m_deadline_kind = kind;
    if (kind == Deadline::none) {
        return; // an armed timer finds nothing to do and is not re-armed
    }
    m_deadline = (now == Clock::time_point{} ? Clock::now() : now) + after;
    // Lazy timers: a later deadline only moves m_deadline; the armed timer re-arms itself when it fires.
    if (m_timer_armed && m_timer_at <= m_deadline) {
        return;
    }
    if (m_timer_armed) {
        m_server.loop.cancel_timer(m_timer);
    }
    arm_timer(m_deadline);
}

void Connection::arm_timer(core::EventLoop::Clock::time_point at) {
    auto weak = weak_from_this();
    m_timer = m_server.loop.add_timer(at, [weak] {
        if (auto self = weak.lock()) {
            self->on_timer();
        }
    });
    m_timer_at = at;
    m_timer_armed = true;
}

void Connection::on_timer() {
    m_timer_armed = false;
    if (m_deadline_kind == Deadline::none || m_phase == Phase::closed) {
        return;
    }
    if (Clock::now() < m_deadline) {
        arm_timer(m_deadline);
        return;
    }
    switch (m_deadline_kind) {
    case Deadline::header:
    case Deadline::body:
        if (m_phase == Phase::head || m_phase == Phase::body) {
            fail(408, "request timeout");
            if (m_phase != Phase::closed) {
                update_interest();
            }
            return;
        }
        break;
    case Deadline::idle:
    case Deadline::write:
    case Deadline::linger:
    case Deadline::none:
        break;
    }
    close();
}

} // namespace zsyncctl::net::detail
