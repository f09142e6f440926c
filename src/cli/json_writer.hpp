#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "cli/json.hpp"

namespace zsyncctl::cli {

/// json_text(value, layout)'s bytes (nlohmann's dump with U+FFFD for bytes that are not UTF-8), written
/// without nlohmann's serializer, which was a quarter of `doctor --json`'s instructions. Never fails.
std::string fast_json_text(const nlohmann::json& value, JsonLayout layout = JsonLayout::pretty);

/// Appends fast_json_text(value, layout) to `out`, as if `value` stood `indent` spaces deep in a pretty
/// document. Never fails.
void append_json_text(std::string& out, const nlohmann::json& value, JsonLayout layout, unsigned indent = 0);

/// Appends `text` as a JSON string (quotes, escapes) with json_text's bytes. Never fails.
void append_json_string(std::string& out, std::string_view text);

/// Writes a JSON document straight into a string, with the bytes json_text would give for the same
/// nlohmann value, without building one. Keys are written as given: to match json_text (whose objects
/// are std::map), the caller writes each object's keys in byte order, each once. Not thread-safe.
class JsonWriter {
public:
    /// A writer appending to `out` in `layout`. `out` must outlive the writer.
    explicit JsonWriter(std::string& out, JsonLayout layout = JsonLayout::pretty);

    /// Opens an object (a value, or a member after key()).
    void begin_object();
    /// Closes the innermost object; `{}` when it got no member.
    void end_object();
    /// Opens an array.
    void begin_array();
    /// Closes the innermost array; `[]` when it got no element.
    void end_array();
    /// Starts the member `name` of the innermost object; its value comes next.
    void key(std::string_view name);

    /// A string value.
    void value(std::string_view text);
    /// A string value (not a boolean).
    void value(const char* text) { value(std::string_view(text)); }
    /// A string value.
    void value(const std::string& text) { value(std::string_view(text)); }
    /// true or false.
    void value(bool flag);
    /// An integer, as nlohmann prints it.
    void value(std::int64_t number);
    /// An unsigned integer, as nlohmann prints it.
    void value(std::uint64_t number);
    /// A double, as nlohmann prints it (null when not finite).
    void value(double number);
    /// Any other integer type, widened.
    template <typename Int>
    requires(std::is_integral_v<Int> && !std::is_same_v<Int, bool>) void value(Int number) {
        if constexpr (std::is_signed_v<Int>) {
            value(static_cast<std::int64_t>(number));
        } else {
            value(static_cast<std::uint64_t>(number));
        }
    }
    /// null.
    void null();
    /// The value, or null when empty.
    template <typename T>
    void value(const std::optional<T>& maybe) {
        if (maybe) {
            value(*maybe);
        } else {
            null();
        }
    }
    /// An array of strings.
    void value(const std::vector<std::string>& list);
    /// A string, or null when it is empty.
    void string_or_null(std::string_view text);

    /// key(name) then value(v).
    template <typename T>
    void member(std::string_view name, const T& v) {
        key(name);
        value(v);
    }

private:
    void before_value();
    void close(char bracket);
    /// Appends a newline and the indentation of the current depth (pretty layout).
    void newline_indent();

    std::string& m_out;
    bool m_pretty;
    // One entry per open container: whether it has an element yet.
    std::vector<bool> m_has_element;
    bool m_after_key = false;
};

} // namespace zsyncctl::cli
