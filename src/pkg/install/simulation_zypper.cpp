#include "pkg/install/simulation_zypper.hpp"

#include <string>

#include "pkg/search/parsers/xml_scan.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

using parsers::next_xml_tag;
using parsers::xml_attribute;
using parsers::xml_element_text;
using parsers::XmlTag;

// The list a <to-…> section fills, or nullptr for one that changes nothing shown (to-change-vendor ...).
std::vector<TransactionPackage>* section_list(std::string_view name, Transaction& t) {
    if (name == "to-install" || name == "to-reinstall") {
        return &t.install;
    }
    if (name == "to-upgrade" || name == "to-downgrade") {
        return &t.upgrade;
    }
    if (name == "to-remove") {
        return &t.remove;
    }
    return nullptr;
}

// An info or warning line that says why nothing changes (zypper's Summary and install/remove messages).
bool explains_nothing(std::string_view text) {
    return text.starts_with("Nothing to do") || text.find("is already installed") != std::string_view::npos ||
           text.find("is not installed") != std::string_view::npos ||
           text.find("not found") != std::string_view::npos;
}

void keep_lines(std::string_view text, std::vector<std::string>& out) {
    for (std::string_view line : util::split_lines(text)) {
        std::string_view t = util::trim(line);
        if (!t.empty()) {
            out.emplace_back(t);
        }
    }
}

} // namespace

void parse_zypper_xml_simulation(std::string_view out, SimulationResult& result) {
    std::vector<TransactionPackage>* section = nullptr;
    bool in_prompt = false;
    bool in_file_conflicts = false; // its notes are about the check, not the transaction
    std::size_t pos = 0;
    for (XmlTag tag = next_xml_tag(out, pos); !tag.name.empty(); tag = next_xml_tag(out, pos)) {
        pos = tag.end;
        if (tag.name.starts_with("to-")) {
            section = tag.closing || tag.self_closing ? nullptr : section_list(tag.name, result.transaction);
            continue;
        }
        if (tag.closing) {
            in_prompt = in_prompt && tag.name != "prompt";
            in_file_conflicts = in_file_conflicts && tag.name != "fileconflict-summary";
            continue;
        }
        if (tag.name == "fileconflict-summary") {
            in_file_conflicts = !tag.self_closing;
            continue;
        }
        if (tag.name == "solvable" && section != nullptr) {
            std::string type = xml_attribute(tag.attributes, "type");
            if (!type.empty() && type != "package") {
                continue;
            }
            TransactionPackage p;
            p.name = xml_attribute(tag.attributes, "name");
            p.version = xml_attribute(tag.attributes, "edition");
            p.old_version = xml_attribute(tag.attributes, "edition-old");
            if (section == &result.transaction.remove) {
                p.old_version = std::move(p.version);
                p.version.clear();
            }
            if (!p.name.empty()) {
                section->push_back(std::move(p));
            }
        } else if (tag.name == "prompt") {
            in_prompt = !tag.self_closing;
        } else if (tag.name == "description" && in_prompt) {
            // A solver problem ("Problem: conflicting requests", its solutions): zypper's answer is cancel.
            keep_lines(xml_element_text(out, tag), result.messages);
        } else if (tag.name == "message" && !in_file_conflicts) {
            std::string type = xml_attribute(tag.attributes, "type");
            std::string text(util::trim(xml_element_text(out, tag)));
            if (type == "error" || (!text.empty() && explains_nothing(text))) {
                keep_lines(text, result.messages);
            }
        }
    }
}

} // namespace zsyncctl::pkg
