#include "cli/json_writer.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
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
void append_string(std::string& out, const std::string& s) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::size_t start = out.size();
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        // A run of bytes that are written as they are, appended at once.
        std::size_t run = i;
        while (run < s.size()) {
            auto b = static_cast<unsigned char>(s[run]);
            if (b < 0x20 || b >= 0x80 || b == '"' || b == '\\') {
                break;
            }
            ++run;
        }
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
                out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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
    case Type::number_float: {
        // What nlohmann's serializer does for a double: null when not finite, else its Grisu2 to_chars.
        double number = value.get<double>();
        if (!std::isfinite(number)) {
            out += "null";
            return;
        }
        std::array<char, 64> buffer{};
        char* end = nlohmann::detail::to_chars(buffer.data(), buffer.data() + buffer.size(), number);
        out.append(buffer.data(), end);
        return;
    }
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

void append_json_string(std::string& out, const std::string& text) {
    append_string(out, text);
}

std::string fast_json_text(const nlohmann::json& value, JsonLayout layout) {
    std::string out;
    out.reserve(256);
    append_json_text(out, value, layout);
    return out;
}

} // namespace zsyncctl::cli
