#pragma once
// A scanner for the flat XML that managers print (zypper --xmlout): start tags, their attributes and the
// text of simple elements. Not a validating parser; malformed input gives fewer elements, never a crash.

#include <cstddef>
#include <string>
#include <string_view>

namespace zsyncctl::pkg::parsers {

/// One tag of a document: its name, the attribute text after the name, and where it ends.
struct XmlTag {
    std::string_view name;       ///< "solvable" ("" when no tag was found)
    std::string_view attributes; ///< the text between the name and '>' ('/' of a self-closing tag included)
    bool closing = false;        ///< "</name>"
    bool self_closing = false;   ///< "<name .../>"
    std::size_t begin = 0;       ///< offset of '<'
    std::size_t end = 0;         ///< offset just past '>'
};

/// The next start or end tag at or after `pos` (comments, declarations and processing instructions are
/// skipped); name empty when there is none or the tag is cut off. Never fails.
XmlTag next_xml_tag(std::string_view doc, std::size_t pos);

/// `text` with the five named entities and numeric character references decoded (UTF-8); unknown or
/// malformed references stay as they are. Never fails.
std::string decode_xml_entities(std::string_view text);

/// The decoded value of attribute `name` in a tag's attribute text (or a whole element's text), empty when
/// it is absent. Never fails.
std::string xml_attribute(std::string_view element, std::string_view name);

/// The decoded text between `open` (a start tag of doc) and its matching end tag (same name, no nesting of
/// that name), empty for a self-closing tag or when the end tag is missing. Never fails.
std::string xml_element_text(std::string_view doc, const XmlTag& open);

} // namespace zsyncctl::pkg::parsers
