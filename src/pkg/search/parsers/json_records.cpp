// A streaming reader of the JSON documents search managers print as a list of records (npm's array of
// objects, nix's object of objects): nlohmann's SAX events, no document tree, so the memory of a parse is
// one record at a time whatever the output's size. Anything it does not follow exactly as the tree-based
// parsers would read it stops it (the caller then parses the tree as before).
#include "pkg/search/parsers/json_records.hpp"

#include <nlohmann/json.hpp>

namespace zsyncctl::pkg::parsers {

namespace {

class RecordSax {
public:
    RecordSax(JsonRecordLayout layout, std::span<const std::string_view> fields,
              const std::function<void(const JsonRecord&)>& emit)
        : m_layout(layout), m_fields(fields), m_emit(emit) {
        m_record.values.resize(fields.size());
        m_record.present.resize(fields.size());
    }

    bool stopped() const { return m_stopped; }

    bool null() { return scalar(std::string()); }
    bool boolean(bool) { return scalar(std::string()); }
    bool number_integer(nlohmann::json::number_integer_t v) { return scalar(nlohmann::json(v).dump()); }
    bool number_unsigned(nlohmann::json::number_unsigned_t v) { return scalar(nlohmann::json(v).dump()); }
    bool number_float(nlohmann::json::number_float_t v, const std::string&) {
        return scalar(nlohmann::json(v).dump());
    }
    bool string(std::string& v) { return scalar(std::move(v)); }
    bool binary(nlohmann::json::binary_t&) { return stop(); }

    bool start_object(std::size_t) { return open(true); }
    bool start_array(std::size_t) { return open(false); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(std::string& k) {
        if (m_depth == 1) {
            // nix's tree is a std::map: its keys in sorted order, a repeated key once (the last value).
            // A document whose keys are not strictly ascending is left to the tree.
            if (m_have_key && !(m_record.key < k)) {
                return stop();
            }
            m_have_key = true;
            m_record.key = std::move(k);
        } else if (m_depth == 2) {
            m_field = -1;
            for (std::size_t i = 0; i < m_fields.size(); ++i) {
                if (m_fields[i] == k) {
                    m_field = static_cast<int>(i);
                }
            }
        }
        return true;
    }

    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return stop(); }

private:
    bool stop() {
        m_stopped = true;
        return false;
    }

    // A value at depth 2 sets its field (the last one wins, as in the tree); strings and numbers as
    // json_string reads them, anything else as empty.
    bool scalar(std::string value) {
        if (m_depth == 0) {
            return stop(); // a bare scalar document
        }
        if (m_depth == 2 && m_field >= 0) {
            m_record.values[static_cast<std::size_t>(m_field)] = std::move(value);
            m_record.present[static_cast<std::size_t>(m_field)] = true;
            m_field = -1;
        }
        return true;
    }

    bool open(bool object) {
        if (m_depth == 0) {
            bool wanted = m_layout == JsonRecordLayout::array_of_objects ? !object : object;
            if (!wanted) {
                return stop();
            }
        } else if (m_depth == 1) {
            m_in_record = object;
            if (object) {
                std::fill(m_record.values.begin(), m_record.values.end(), std::string());
                std::fill(m_record.present.begin(), m_record.present.end(), false);
            }
        } else if (m_depth == 2 && m_field >= 0) {
            // A container where a field's string was expected reads as empty (json_string).
            m_record.values[static_cast<std::size_t>(m_field)].clear();
            m_record.present[static_cast<std::size_t>(m_field)] = true;
            m_field = -1;
        }
        ++m_depth;
        return true;
    }

    bool close() {
        --m_depth;
        if (m_depth == 1 && m_in_record) {
            m_in_record = false;
            m_emit(m_record);
        }
        m_field = -1;
        return true;
    }

    JsonRecordLayout m_layout;
    std::span<const std::string_view> m_fields;
    const std::function<void(const JsonRecord&)>& m_emit;
    JsonRecord m_record;
    int m_depth = 0;
    int m_field = -1;
    bool m_in_record = false;
    bool m_have_key = false;
    bool m_stopped = false;
};

} // namespace

bool read_json_records(std::string_view doc, JsonRecordLayout layout,
                       std::span<const std::string_view> fields,
                       const std::function<void(const JsonRecord&)>& emit) {
    RecordSax sax(layout, fields, emit);
    bool ok = nlohmann::json::sax_parse(doc, &sax, nlohmann::json::input_format_t::json, true);
    return ok && !sax.stopped();
}

} // namespace zsyncctl::pkg::parsers
