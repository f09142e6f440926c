#include "cli/json_writer.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace zsyncctl::cli {

namespace {

// The length of the well-formed UTF-8 sequence starting at s[i] (Unicode's table 3-7: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0. nlohmann's decoder accepts exactly these.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto at = [&](std::size_t k) {
        return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
    };
    auto cont = [&](std::size_t k) {
        return (at(k) & 0xC0u) == 0x80u;
    };
    unsigned b0 = at(0);
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        return cont(1) ? 2 : 0;
    }
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        unsigned b1 = at(1);
        bool ok1 = b0 == 0xE0   ? (b1 >= 0xA0 && b1 <= 0xBF)
                   : b0 == 0xED ? (b1 >= 0x80 && b1 <= 0x9F)
                                : cont(1);
        return ok1 && cont(2) ? 3 : 0;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        unsigned b1 = at(1);
        bool ok1 = b0 == 0xF0   ? (b1 >= 0x90 && b1 <= 0xBF)
                   : b0 == 0xF4 ? (b1 >= 0x80 && b1 <= 0x8F)
                                : cont(1);
        return ok1 && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

// A string with its quotes, escaped as nlohmann escapes with ensure_ascii off. A string that is not
// well-formed UTF-8 is handed to nlohmann itself: how its replacement consumes bad bytes is its own.
// Bytes written as they are: printable ASCII except '"' and '\\'.
constexpr std::array<bool, 256> k_plain_bytes = [] {
    std::array<bool, 256> plain{};
    for (unsigned b = 0x20; b < 0x80; ++b) {
        plain[b] = b != '"' && b != '\\';
    }
    return plain;
}();

// The length of the run of plain bytes starting at s[i].
std::size_t plain_run(std::string_view s, std::size_t i) {
    std::size_t run = i;
    while (run < s.size() && k_plain_bytes[static_cast<unsigned char>(s[run])]) {
        ++run;
    }
    return run - i;
}

void append_string(std::string& out, std::string_view s) {
    static constexpr char k_hex[] = "0123456789abcdef";
    // Most keys and values need no escape at all: the quotes and the bytes in one go.
    if (plain_run(s, 0) == s.size()) {
        std::size_t at = out.size();
        out.resize(at + s.size() + 2);
        char* p = out.data() + at;
        *p = '"';
        if (!s.empty()) {
            std::memcpy(p + 1, s.data(), s.size());
        }
        p[s.size() + 1] = '"';
        return;
    }
    std::size_t start = out.size();
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        // A run of bytes that are written as they are, appended at once.
        std::size_t run = i + plain_run(s, i);
        if (run > i) {
            out.append(s, i, run - i);
            i = run;
            continue;
        }
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            std::size_t n = utf8_sequence(s, i);
            if (n == 0) {
                out.resize(start);
                out += nlohmann::json(std::string(s))
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
                return;
            }
            out.append(s, i, n);
            i += n;
            continue;
        }
        switch (c) {
        case '\b':
            out += "\\b";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\r':
            out += "\\r";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        default:
            if (c <= 0x1F) {
                out += "\\u00";
                out += k_hex[c >> 4];
                out += k_hex[c & 0xF];
            } else {
                out += static_cast<char>(c);
            }
        }
        ++i;
    }
    out += '"';
}

template <typename Number>
void append_integer(std::string& out, Number value) {
    char buffer[24];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
}

// What nlohmann's serializer does for a double: null when not finite, else its Grisu2 to_chars.
void append_double(std::string& out, double number) {
    if (!std::isfinite(number)) {
        out += "null";
        return;
    }
    std::array<char, 64> buffer{};
    char* end = nlohmann::detail::to_chars(buffer.data(), buffer.data() + buffer.size(), number);
    out.append(buffer.data(), end);
}

void append_value(std::string& out, const nlohmann::json& value, bool pretty, unsigned indent) {
    using Type = nlohmann::json::value_t;
    switch (value.type()) {
    case Type::object: {
        const auto& object = value.get_ref<const nlohmann::json::object_t&>();
        if (object.empty()) {
            out += "{}";
            return;
        }
        out += pretty ? "{\n" : "{";
        bool first = true;
        for (const auto& [key, member] : object) {
            if (!first) {
                out += pretty ? ",\n" : ",";
            }
            first = false;
            if (pretty) {
                out.append(indent + 2, ' ');
            }
            append_string(out, key);
            out += pretty ? ": " : ":";
            append_value(out, member, pretty, indent + 2);
        }
        if (pretty) {
            out += '\n';
            out.append(indent, ' ');
        }
        out += '}';
        return;
    }
    case Type::array: {
        const auto& array = value.get_ref<const nlohmann::json::array_t&>();
        if (array.empty()) {
            out += "[]";
            return;
        }
        out += pretty ? "[\n" : "[";
        bool first = true;
        for (const nlohmann::json& element : array) {
            if (!first) {
                out += pretty ? ",\n" : ",";
            }
            first = false;
            if (pretty) {
                out.append(indent + 2, ' ');
            }
            append_value(out, element, pretty, indent + 2);
        }
        if (pretty) {
            out += '\n';
            out.append(indent, ' ');
        }
        out += ']';
        return;
    }
    case Type::string:
        append_string(out, value.get_ref<const std::string&>());
        return;
    case Type::boolean:
        out += value.get<bool>() ? "true" : "false";
        return;
    case Type::number_integer:
        append_integer(out, value.get<std::int64_t>());
        return;
    case Type::number_unsigned:
        append_integer(out, value.get<std::uint64_t>());
        return;
    case Type::null:
        out += "null";
        return;
    case Type::number_float:
        append_double(out, value.get<double>());
        return;
    case Type::binary: // never in our documents: nlohmann's own form
    case Type::discarded:
        break;
    }
    out += value.dump(pretty ? 2 : -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

void append_json_text(std::string& out, const nlohmann::json& value, JsonLayout layout, unsigned indent) {
    append_value(out, value, layout == JsonLayout::pretty, indent);
}

std::string json_text(const nlohmann::json& value, JsonLayout layout) {
    return fast_json_text(value, layout);
}

std::string fast_json_text(const nlohmann::json& value, JsonLayout layout) {
    std::string out;
    out.reserve(256);
    append_json_text(out, value, layout);
    return out;
}

void append_json_string(std::string& out, std::string_view text) {
    append_string(out, text);
}

JsonWriter::JsonWriter(std::string& out, JsonLayout layout)
    : m_out(out), m_pretty(layout == JsonLayout::pretty) {}

// Separator, newline and indentation before a value or a key, as nlohmann's dump lays them out.
void JsonWriter::before_value() {
    if (m_after_key) {
        m_after_key = false;
        return;
    }
    if (m_has_element.empty()) {
        return;
    }
    if (m_has_element.back()) {
        m_out += ',';
    }
    m_has_element.back() = true;
    if (m_pretty) {
        newline_indent();
    }
}

// A newline and two spaces per open container, appended at once.
void JsonWriter::newline_indent() {
    static constexpr std::string_view k_spaces =
        "\n                                                                ";
    std::size_t width = 1 + 2 * m_has_element.size();
    if (width <= k_spaces.size()) {
        m_out.append(k_spaces.data(), width);
    } else {
        m_out += '\n';
        m_out.append(width - 1, ' ');
    }
}

void JsonWriter::begin_object() {
    before_value();
    m_out += '{';
    m_has_element.push_back(false);
}

void JsonWriter::end_object() {
    close('}');
}

void JsonWriter::close(char bracket) {
    bool any = m_has_element.back();
    m_has_element.pop_back();
    if (any && m_pretty) {
        newline_indent();
    }
    m_out += bracket;
}

void JsonWriter::begin_array() {
    before_value();
    m_out += '[';
    m_has_element.push_back(false);
}

void JsonWriter::end_array() {
    close(']');
}

void JsonWriter::key(std::string_view name) {
    before_value();
    append_string(m_out, name);
    m_out += m_pretty ? ": " : ":";
    m_after_key = true;
}

void JsonWriter::value(std::string_view text) {
    before_value();
    append_string(m_out, text);
}

void JsonWriter::value(bool flag) {
    before_value();
    m_out += flag ? "true" : "false";
}

void JsonWriter::value(std::int64_t number) {
    before_value();
    append_integer(m_out, number);
}

void JsonWriter::value(std::uint64_t number) {
    before_value();
    append_integer(m_out, number);
}

void JsonWriter::value(double number) {
    before_value();
    append_double(m_out, number);
}

void JsonWriter::null() {
    before_value();
    m_out += "null";
}

void JsonWriter::value(const std::vector<std::string>& list) {
    begin_array();
    for (const std::string& item : list) {
        value(std::string_view(item));
    }
    end_array();
}

void JsonWriter::string_or_null(std::string_view text) {
    if (text.empty()) {
        null();
    } else {
        value(text);
    }
}

} // namespace zsyncctl::cli
