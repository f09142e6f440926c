#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zsyncctl::pkg::parsers {

/// How a manager's JSON search output lists its records.
enum class JsonRecordLayout {
    array_of_objects, ///< [{...}, {...}] (npm search --json)
    object_of_objects ///< {"key": {...}, ...} (nix search --json), keys strictly ascending
};

/// One record: its key (object_of_objects), and per requested field its value as json_string reads it
/// (a string as is, a number as dumped, anything else empty) and whether the field was there at all.
struct JsonRecord {
    std::string key;
    std::vector<std::string> values;
    std::vector<bool> present;
};

/// Streams `doc` record by record into `emit` (records that are not objects are skipped), building no
/// document tree. Returns false, after emitting some records perhaps, when the document is not valid
/// JSON of that layout or is something the tree-based reading would read differently (keys of an
/// object_of_objects out of order or repeated): the caller then discards what it got and reads the tree.
bool read_json_records(std::string_view doc, JsonRecordLayout layout,
                       std::span<const std::string_view> fields,
                       const std::function<void(const JsonRecord&)>& emit);

} // namespace zsyncctl::pkg::parsers
