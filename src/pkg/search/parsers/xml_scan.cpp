#include "pkg/search/parsers/xml_scan.hpp"
#include "util/strings.hpp"

#include <cstdint>

namespace zsyncctl::pkg::parsers {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void append_utf8(std::string& out, std::uint32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

} // namespace

std::string decode_xml_entities(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '&') {
            out.push_back(text[i]);
            continue;
        }
        std::size_t semi = text.find(';', i);
        if (semi == std::string_view::npos || semi - i > 10) {
            out.push_back('&');
            continue;
        }
        std::string_view entity = text.substr(i + 1, semi - i - 1);
        if (entity == "amp") {
            out.push_back('&');
        } else if (entity == "lt") {
            out.push_back('<');
        } else if (entity == "gt") {
            out.push_back('>');
        } else if (entity == "quot") {
            out.push_back('"');
        } else if (entity == "apos") {
            out.push_back('\'');
        } else if (entity.size() > 1 && entity[0] == '#') {
            bool hex = entity[1] == 'x' || entity[1] == 'X';
            std::uint64_t value = 0;
            bool okay = entity.size() > (hex ? 2u : 1u);
            for (char c : entity.substr(hex ? 2 : 1)) {
                int d = util::is_ascii_digit(c) ? c - '0' : -1;
                if (hex && d < 0) {
                    d = (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
                }
                if (d < 0 || value > 0x10FFFF) {
                    okay = false;
                    break;
                }
                value = value * (hex ? 16u : 10u) + static_cast<std::uint64_t>(d);
            }
            if (okay && value > 0 && value <= 0x10FFFF) {
                append_utf8(out, static_cast<std::uint32_t>(value));
            } else {
                out.append(text.substr(i, semi - i + 1));
            }
        } else {
            out.append(text.substr(i, semi - i + 1));
        }
        i = semi;
    }
    return out;
}

std::string xml_attribute(std::string_view element, std::string_view attr) {
    std::size_t pos = 0;
    while (pos < element.size()) {
        std::size_t at = element.find(attr, pos);
        if (at == std::string_view::npos) {
            return {};
        }
        std::size_t eq = at + attr.size();
        bool word_start = at > 0 && is_space(element[at - 1]);
        if (word_start && eq + 1 < element.size() && element[eq] == '=' &&
            (element[eq + 1] == '"' || element[eq + 1] == '\'')) {
            char quote = element[eq + 1];
            std::size_t end = element.find(quote, eq + 2);
            if (end == std::string_view::npos) {
                return {};
            }
            return decode_xml_entities(element.substr(eq + 2, end - eq - 2));
        }
        pos = at + 1;
    }
    return {};
}

XmlTag next_xml_tag(std::string_view doc, std::size_t pos) {
    while (pos < doc.size()) {
        std::size_t lt = doc.find('<', pos);
        if (lt == std::string_view::npos || lt + 1 >= doc.size()) {
            return {};
        }
        char first = doc[lt + 1];
        if (first == '!' || first == '?') {
            std::string_view closer = doc.substr(lt).starts_with("<!--") ? "-->" : ">";
            std::size_t end = doc.find(closer, lt + 2);
            if (end == std::string_view::npos) {
                return {};
            }
            pos = end + closer.size();
            continue;
        }
        std::size_t gt = doc.find('>', lt);
        if (gt == std::string_view::npos) {
            return {};
        }
        XmlTag tag;
        tag.begin = lt;
        tag.end = gt + 1;
        std::size_t at = lt + 1;
        if (doc[at] == '/') {
            tag.closing = true;
            ++at;
        }
        std::size_t name_end = at;
        while (name_end < gt && !is_space(doc[name_end]) && doc[name_end] != '/') {
            ++name_end;
        }
        tag.name = doc.substr(at, name_end - at);
        tag.attributes = doc.substr(name_end, gt - name_end);
        tag.self_closing = !tag.closing && gt > lt && doc[gt - 1] == '/';
        if (tag.name.empty()) {
            pos = gt + 1;
            continue;
        }
        return tag;
    }
    return {};
}

std::string xml_element_text(std::string_view doc, const XmlTag& open) {
    if (open.self_closing || open.closing || open.name.empty()) {
        return {};
    }
    std::string closer = "</" + std::string(open.name);
    std::size_t end = doc.find(closer, open.end);
    if (end == std::string_view::npos) {
        return {};
    }
    return decode_xml_entities(doc.substr(open.end, end - open.end));
}

} // namespace zsyncctl::pkg::parsers
