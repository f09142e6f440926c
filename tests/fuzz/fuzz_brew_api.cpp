// libFuzzer target: Homebrew's API documents (formula.json, cask.json) and their signed JWS envelope.
// The input is parsed as is, then wrapped in an envelope {"payload": INPUT, "signatures": []}: the
// envelope must give exactly what the bare document gives.
#include <nlohmann/json.hpp>

#include "fuzz_split.hpp"
#include "pkg/brew_api.hpp"

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
    nlohmann::json envelope = {{"payload", std::string(input)}, {"signatures", nlohmann::json::array()}};
    std::string wrapped;
    try {
        wrapped = envelope.dump();
    } catch (const nlohmann::json::exception&) {
        return 0; // not UTF-8: cannot be a JSON string, so there is no envelope to compare
    }
    auto unwrapped = pkg::parse_brew_api(wrapped);
    check(unwrapped.has_value() == bare.has_value());
    if (bare && unwrapped) {
        check(unwrapped->size() == bare->size());
        for (std::size_t i = 0; i < bare->size(); ++i) {
            check((*bare)[i].name == (*unwrapped)[i].name && (*bare)[i].version == (*unwrapped)[i].version);
        }
    }
    return 0;
}
