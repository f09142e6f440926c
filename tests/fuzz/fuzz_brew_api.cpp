// libFuzzer target: Homebrew's API documents (formula.json, cask.json) and their signed JWS envelope.
// The input is parsed as is, then (unless it is a JSON object, e.g. an envelope already) wrapped in an
// envelope {"payload": INPUT, "signatures": []}: the envelope must give exactly what the bare input gives.
#include <nlohmann/json.hpp>

#include "fuzz_split.hpp"
#include "pkg/search/native/brew_api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zsyncctl;
    using fuzz::check;
    std::string_view input = fuzz::as_text(data, size);
    auto bare = pkg::parse_brew_api(input);
    if (bare) {
        for (const auto& r : *bare) {
            check(!r.name.empty());
        }
    }
    // An envelope is unwrapped once, as brew writes it; only bare documents are wrapped here.
    if (nlohmann::json::accept(input) && nlohmann::json::parse(input).is_object()) {
        return 0;
    }
    nlohmann::json envelope = {{"payload", std::string(input)}, {"signatures", nlohmann::json::array()}};
    std::string wrapped;
    try {
        wrapped = envelope.dump();
    } catch (const nlohmann::json::exception&) {
        return 0; // not UTF-8: cannot be a JSON string, so there is no envelope to compare
    }
    auto unwrapped = pkg::parse_brew_api(wrapped);
    check(static_cast<bool>(unwrapped) == static_cast<bool>(bare));
    if (bare && unwrapped) {
        check(unwrapped->size() == bare->size());
        for (std::size_t i = 0; i < bare->size(); ++i) {
            check((*bare)[i].name == (*unwrapped)[i].name && (*bare)[i].version == (*unwrapped)[i].version);
        }
    }
    return 0;
}
