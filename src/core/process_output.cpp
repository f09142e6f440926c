#include "core/process_internal.hpp"

namespace zsyncctl::core::process_detail {

void OutputStream::consume(std::string_view data, std::size_t capture_limit) {
    if (capture_limit > 0) {
        captured.append(data);
        // Trim in batches so keeping the tail stays linear in the output size.
        if (captured.size() > 2 * capture_limit) {
            std::size_t excess = captured.size() - capture_limit;
            captured.erase(0, excess);
            dropped += excess;
        }
    } else {
        dropped += data.size();
    }
    if (on_raw) {
        on_raw(data);
    }
    if (!on_line) {
        return;
    }
    // A terminal ends its lines with "\r\n"; the '\r' is the terminal's, not the child's.
    auto deliver = [this](std::string_view line) {
        if (terminal && !line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        on_line(line);
    };
    std::size_t start = 0;
    while (start < data.size()) {
        std::size_t nl = data.find('\n', start);
        if (nl == std::string_view::npos) {
            partial.append(data.substr(start));
            if (partial.size() >= k_max_line) {
                on_line(partial);
                partial.clear();
            }
            return;
        }
        if (partial.empty()) {
            deliver(data.substr(start, nl - start));
        } else {
            partial.append(data.substr(start, nl - start));
            deliver(partial);
            partial.clear();
        }
        start = nl + 1;
    }
}

void OutputStream::flush_partial() {
    if (on_line && !partial.empty()) {
        on_line(partial); // the last line had no '\n'
        partial.clear();
    }
}

} // namespace zsyncctl::core::process_detail
