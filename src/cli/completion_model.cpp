#include "cli/cli11.hpp"

#include <algorithm>
#include <map>

#include "cli/completion.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

// Option -> value-source kind, filled by registrars through complete_with(). Function-local so that
// start-up runs no static initialiser for it.
std::map<const CLI::Option*, std::string>& dynamic_kinds() {
    static std::map<const CLI::Option*, std::string> kinds;
    return kinds;
}

// IsMember (and CheckedTransformer/Transformer over a map) describe themselves as "{a,b,c}" or
// "{a->x,b->y}": the choices are the keys. Any other validator contributes nothing.
std::vector<std::string> choices_from(std::string description) {
    std::vector<std::string> out;
    if (description.size() < 2 || description.front() != '{' || description.back() != '}') {
        return out;
    }
    std::string inner = description.substr(1, description.size() - 2);
    for (std::string_view item : util::split(inner, ',')) {
        std::string key(util::trim(item.substr(0, item.find("->"))));
        if (!key.empty()) {
            out.push_back(key);
        }
    }
    return out;
}

OptionSpec option_spec(CLI::Option* opt) {
    OptionSpec spec;
    for (const std::string& n : opt->get_lnames()) {
        spec.long_names.push_back(n);
    }
    for (const std::string& n : opt->get_snames()) {
        spec.short_names.push_back(n);
    }
    if (spec.long_names.empty() && spec.short_names.empty() && opt->get_positional()) {
        spec.positional = opt->get_name(true, false);
    }
    spec.description = opt->get_description();
    spec.takes_value = opt->get_items_expected_max() > 0; // flags expect 0 items
    for (int i = 0;; ++i) {
        CLI::Validator* v = nullptr;
        try {
            v = opt->get_validator(i);
        } catch (const CLI::OptionNotFound&) {
            break;
        }
        for (std::string& c : choices_from(v->get_description())) {
            spec.values.push_back(std::move(c));
        }
    }
    spec.dynamic = std::string(completion_kind(opt));
    return spec;
}

bool shares_a_name(const OptionSpec& a, const OptionSpec& b) {
    auto common = [](const std::vector<std::string>& x, const std::vector<std::string>& y) {
        return std::any_of(x.begin(), x.end(),
                           [&](const std::string& n) { return std::find(y.begin(), y.end(), n) != y.end(); });
    };
    return common(a.long_names, b.long_names) || common(a.short_names, b.short_names);
}

// `inherited`: the effective options of the parent; this command's own come first and hide theirs.
CommandSpec walk(CLI::App* app, const std::string& path, const std::vector<OptionSpec>& inherited) {
    CommandSpec spec;
    spec.name = app->get_name();
    spec.path = path;
    spec.description = app->get_description();
    // Options in an empty group are hidden from --help; hide them from completion too.
    for (CLI::Option* opt : app->get_options([](CLI::Option* o) { return !o->get_group().empty(); })) {
        spec.options.push_back(option_spec(opt));
    }
    for (const OptionSpec& own : spec.options) {
        if (own.positional.empty()) {
            spec.effective_options.push_back(own);
        }
    }
    for (const OptionSpec& parent : inherited) {
        bool hidden = std::any_of(spec.effective_options.begin(), spec.effective_options.end(),
                                  [&](const OptionSpec& own) { return shares_a_name(own, parent); });
        if (!hidden) {
            spec.effective_options.push_back(parent);
        }
    }
    for (CLI::App* sub : app->get_subcommands(
             [](CLI::App* a) { return !a->get_name().empty() && !a->get_group().empty(); })) {
        spec.subcommands.push_back(
            walk(sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), spec.effective_options));
    }
    return spec;
}

} // namespace

CLI::Option* complete_with(CLI::Option* option, std::string_view kind) {
    dynamic_kinds()[option] = std::string(kind);
    return option;
}

std::string_view completion_kind(const CLI::Option* option) {
    auto& kinds = dynamic_kinds();
    auto it = kinds.find(option);
    return it == kinds.end() ? std::string_view() : std::string_view(it->second);
}

CommandSpec completion_model(CLI::App& app) {
    return walk(&app, "", {});
}

} // namespace zsyncctl::cli
