#pragma once

#include <string>
#include <string_view>

namespace zsyncctl::util {

/// The one sanitizer for text that reaches a terminal from outside (package fields, managers' output and
/// error messages): a copy that is one line of printable text. Escape sequences (CSI, OSC such as OSC 52,
/// DCS/SOS/PM/APC strings, two-byte ESC forms) and their 8-bit C1 forms are removed whole and leave one
/// '?'; other C0/C1 controls and DEL become '?', tab/CR/LF and U+2028/U+2029 a space; the bidi
/// embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) become '?'; invalid UTF-8 becomes
/// U+FFFD. Never fails; text that needs none of this is returned unchanged.
/// `options` changes two things for stored data (the native search indexes): removed sequences and
/// controls leave nothing instead of '?', and newlines can be kept (multi-line descriptions).
struct SanitizeOptions {
    bool mark_removed = true;
    bool keep_newlines = false;
};
std::string sanitize_terminal(std::string_view text, SanitizeOptions options = {});

/// True when sanitize_terminal would return `text` unchanged. Never fails.
bool is_terminal_safe(std::string_view text);

} // namespace zsyncctl::util
