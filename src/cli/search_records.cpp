#include "cli/search_records.hpp"

#include "cli/json.hpp"
#include "cli/json_writer.hpp"
#include "util/round.hpp"

namespace zsyncctl::cli {

namespace {

nlohmann::json text_or_null(const std::string& text) {
    return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

// The members of one object written in the order given (the caller gives them sorted, as nlohmann keeps
// them), laid out as json_text lays out an object `indent` spaces deep.
class ObjectWriter {
public:
    ObjectWriter(std::string& out, bool pretty, unsigned indent)
        : m_out(out), m_pretty(pretty), m_indent(indent) {}

    void string(std::string_view key, const std::string& value) {
        this->key(key);
        append_json_string(m_out, value);
    }
    void text_or_null(std::string_view key, const std::string& value) {
        this->key(key);
        if (value.empty()) {
            m_out += "null";
        } else {
            append_json_string(m_out, value);
        }
    }
    void boolean(std::string_view key, bool value) {
        this->key(key);
        m_out += value ? "true" : "false";
    }
    void end() {
        if (m_first) {
            m_out += "{}";
            return;
        }
        if (m_pretty) {
            m_out += '\n';
            m_out.append(m_indent, ' ');
        }
        m_out += '}';
    }

private:
    // Keys are ASCII words: written as they are.
    void key(std::string_view key) {
        m_out += m_first ? (m_pretty ? "{\n" : "{") : (m_pretty ? ",\n" : ",");
        m_first = false;
        if (m_pretty) {
            m_out.append(m_indent + 2, ' ');
        }
        m_out += '"';
        m_out += key;
        m_out += m_pretty ? "\": " : "\":";
    }

    std::string& m_out;
    bool m_pretty;
    unsigned m_indent;
    bool m_first = true;
};

} // namespace

void append_search_hit_json(std::string& out, const std::string& manager, const pkg::SearchHit& hit,
                            JsonLayout layout, unsigned indent, bool with_type) {
    // search_hit_json's members in nlohmann's (sorted) order.
    ObjectWriter o(out, layout == JsonLayout::pretty, indent);
    o.text_or_null("candidate", hit.candidate);
    o.string("description", hit.description);
    o.boolean("installed", hit.installed);
    o.text_or_null("installed_version", hit.installed_version);
    o.text_or_null("kind", hit.kind);
    o.string("manager", manager);
    o.text_or_null("match_reason", hit.match_reason);
    o.string("name", hit.name);
    if (with_type) {
        o.string("type", "result");
    }
    o.boolean("upgradable", hit.upgradable());
    o.string("version", hit.version);
    o.end();
}

nlohmann::json search_hit_json(const std::string& manager, const pkg::SearchHit& hit) {
    return {{"manager", manager},
            {"name", hit.name},
            {"version", hit.version},
            {"description", hit.description},
            {"installed", hit.installed},
            {"installed_version", text_or_null(hit.installed_version)},
            {"candidate", text_or_null(hit.candidate)},
            {"upgradable", hit.upgradable()},
            {"match_reason", text_or_null(hit.match_reason)},
            {"kind", text_or_null(hit.kind)}};
}

std::string search_result_line(const std::string& manager, const pkg::SearchHit& hit) {
    std::string line;
    line.reserve(256);
    append_search_hit_json(line, manager, hit, JsonLayout::line, 0, true);
    return line;
}

nlohmann::json search_status_json(const pkg::ManagerReport& r) {
    nlohmann::json j{
        {"type", "status"},   {"manager", r.manager}, {"status", std::string(pkg::to_string(r.status))},
        {"count", r.count()}, {"total", r.total},     {"elapsed_ms", r.elapsed_ms}};
    j["error"] = text_or_null(r.error);
    return j;
}

ExitCode search_exit_code(const std::vector<pkg::ManagerReport>& reports, bool interrupted) {
    if (interrupted) {
        return ExitCode::interrupted;
    }
    if (reports.empty()) {
        return ExitCode::failure;
    }
    std::size_t total = 0;
    std::size_t answered = 0;
    for (const auto& r : reports) {
        total += r.count();
        answered += r.status == pkg::ManagerStatus::ok ? 1 : 0;
    }
    if (total > 0) {
        return ExitCode::success;
    }
    return answered == 0 ? ExitCode::no_answer : ExitCode::failure;
}

util::Result<std::chrono::milliseconds> search_timeout(double seconds) {
    if (!(seconds > 0) || seconds > 86400) {
        return util::fail(util::ErrorKind::invalid_input,
                          "--timeout must be more than 0 and at most 86400 seconds");
    }
    // At least 1 ms: "--timeout 0.0001" must not become a deadline that has passed before anything ran.
    return std::chrono::milliseconds(std::max<std::int64_t>(1, util::round_to_integer(seconds * 1000)));
}

} // namespace zsyncctl::cli
