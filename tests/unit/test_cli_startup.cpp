// The two start-up cuts of the CLI checked against what they replace: fast_json_text against nlohmann's own
// serializer, and parsing with only the commands a line names against parsing with the whole tree; and the
// search records written without nlohmann (append_search_hit_json) against the nlohmann records they replace.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "../fuzz/fuzz_split.hpp"
#include "cli/app.hpp"
#include "cli/json_writer.hpp"
#include "cli/search_records.hpp"

using namespace zsyncctl;

namespace {

std::string nlohmann_text(const nlohmann::json& value, cli::JsonLayout layout) {
    return value.dump(layout == cli::JsonLayout::pretty ? 2 : -1, ' ', false,
                      nlohmann::json::error_handler_t::replace);
}

void check_same(const nlohmann::json& value) {
    CHECK(cli::fast_json_text(value) == nlohmann_text(value, cli::JsonLayout::pretty));
    CHECK(cli::fast_json_text(value, cli::JsonLayout::line) == nlohmann_text(value, cli::JsonLayout::line));
}

// Random bytes biased towards what a serializer gets wrong: controls, quotes, UTF-8 lead and continuation
// bytes, the edges of the overlong/surrogate/out-of-range ranges.
std::string random_bytes(std::mt19937& rng) {
    static constexpr unsigned char k_interesting[] = {
        0x00, 0x01, 0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x1F, 0x20, '"',  '\\', '/',  0x7F, 0x80, 0x8F, 0x90,
        0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 'a',  'z'};
    std::uniform_int_distribution<int> length(0, 12);
    std::uniform_int_distribution<int> pick(0, static_cast<int>(sizeof k_interesting) - 1);
    std::uniform_int_distribution<int> any(0, 255);
    std::string s;
    for (int n = length(rng); n > 0; --n) {
        s += static_cast<char>(n % 3 == 0 ? any(rng) : k_interesting[pick(rng)]);
    }
    return s;
}

} // namespace

TEST_CASE("fast_json_text writes nlohmann's bytes") {
    SUBCASE("scalars, empty and nested containers, every layout") {
        check_same(nullptr);
        check_same(true);
        check_same(false);
        check_same(0);
        check_same(-9223372036854775807LL - 1);
        check_same(18446744073709551615ULL);
        check_same(0.1);
        check_same(1e100);
        check_same(-0.0);
        check_same(std::nan(""));
        check_same(nlohmann::json::object());
        check_same(nlohmann::json::array());
        check_same({{"a", {1, 2, {{"b", nlohmann::json::array()}, {"c", nlohmann::json::object()}}}},
                    {"d", {{"e", {{"f", "g"}}}}},
                    {"", nullptr}});
        check_same(nlohmann::json::array({nlohmann::json::array({nlohmann::json::array()}), 1.5, "x"}));
    }
    SUBCASE("strings: escapes, UTF-8 kept, bad bytes replaced as nlohmann replaces them") {
        check_same("plain");
        check_same(std::string("nul \0 bell \a del \x7f", 19));
        check_same("quote \" backslash \\ slash / tab \t cr \r lf \n ff \f bs \b");
        check_same("née 日本 \xF0\x9F\x98\x80");
        check_same("cut \xC3");
        check_same("overlong \xC0\xAF \xE0\x80\xAF surrogate \xED\xA0\x80 big \xF4\x90\x80\x80");
        check_same(nlohmann::json{{"k\xFFy \x01", "v\xC3\x28"}});
        std::mt19937 rng(16);
        for (int i = 0; i < 20000; ++i) {
            std::string s = random_bytes(rng);
            nlohmann::json doc = {{s, s}, {"list", {s, 1}}};
            INFO(
                "bytes: " << nlohmann::json(s).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
            check_same(doc);
        }
    }
}

TEST_CASE("search records written directly are nlohmann's bytes") {
    // What `pkg search --json` printed per result before: the nlohmann object, dumped, indented by 4 as an
    // element of the document's "results"; and the --json-lines record with "type" added.
    auto nested = [](const nlohmann::json& value) {
        std::string out = "    ";
        for (char c : nlohmann_text(value, cli::JsonLayout::pretty)) {
            out.push_back(c);
            if (c == '\n') {
                out += "    ";
            }
        }
        return out;
    };
    auto check_hit = [&](const std::string& manager, const pkg::SearchHit& hit) {
        nlohmann::json old = cli::search_hit_json(manager, hit);
        std::string pretty = "    ";
        cli::append_search_hit_json(pretty, manager, hit, cli::JsonLayout::pretty, 4);
        CHECK(pretty == nested(old));
        old["type"] = "result";
        CHECK(cli::search_result_line(manager, hit) == nlohmann_text(old, cli::JsonLayout::line));
    };
    check_hit("apt", {"zstd", "1.5.4", "fast lossless compression", true, "1.5.2", "1.5.4", "", ""});
    check_hit("", {});
    check_hit("brew", {"docker", "4.42.0", "", false, "", "", "provides docker", "cask"});
    std::mt19937 rng(18);
    std::bernoulli_distribution coin;
    for (int i = 0; i < 20000; ++i) {
        pkg::SearchHit hit{random_bytes(rng), random_bytes(rng), random_bytes(rng), coin(rng)};
        for (std::string* field : {&hit.installed_version, &hit.candidate, &hit.match_reason, &hit.kind}) {
            *field = coin(rng) ? random_bytes(rng) : std::string();
        }
        check_hit(random_bytes(rng), hit);
    }
}

TEST_CASE("parsing with the commands a line names ends as with the whole tree") {
    auto same = [](const std::vector<std::string>& args) {
        cli::CommandLineCheck needed = cli::check_command_line_with(args, cli::CommandTree::needed);
        cli::CommandLineCheck full = cli::check_command_line_with(args, cli::CommandTree::full);
        std::string line;
        for (const std::string& arg : args) {
            line += " [" + arg + "]";
        }
        INFO("args:" << line);
        CHECK(needed.code == full.code);
        CHECK(needed.message == full.message);
    };
    using Args = std::vector<std::string>;
    SUBCASE("lines written by hand") {
        for (const Args& args : {Args{},
                                 Args{"doctor"},
                                 Args{"--json", "doctor", "--check", "x"},
                                 Args{"doctor", "--bogus"},
                                 Args{"doctor", "extra"},
                                 Args{"doctor", "pkg"},
                                 Args{"doctor", "pkg", "managers"},
                                 Args{"--root", "/x", "pkg", "managers"},
                                 Args{"--root=/x", "-vq", "pkg", "--json", "managers"},
                                 Args{"pkg"},
                                 Args{"pkg", "nope"},
                                 Args{"pkg", "managers", "search"},
                                 Args{"pkg", "managers", "-x"},
                                 Args{"pkg", "search"},
                                 Args{"pkg", "search", "-foo"},
                                 Args{"pkg", "search", "--", "-foo"},
                                 Args{"pkg", "search", "-m", "apt", "--", "-foo", "--json"},
                                 Args{"pkg", "install"},
                                 Args{"pkg", "install", "-m", "apt", "curl"},
                                 Args{"pkg", "upgrade", "-m", "gem", "x"},
                                 Args{"--color", "purple", "doctor"},
                                 Args{"--color"},
                                 Args{"--io-backend", "x", "doctor"},
                                 Args{"version", "--json"},
                                 Args{"serve", "--port", "x"},
                                 Args{"fetch"},
                                 Args{"__complete", "managers"},
                                 Args{"completion", "fish"},
                                 Args{"completion"},
                                 Args{"--version", "doctor"},
                                 Args{"-V", "--json"},
                                 Args{"--", "doctor"},
                                 Args{"-vv", "doctor"},
                                 Args{"-x", "doctor"},
                                 Args{"pkg", "-v", "which", "/bin/sh"},
                                 Args{"pkg", "list", "doctor"},
                                 Args{"pkg", "--root", "/", "outdated", "-m"},
                                 Args{"doctor", "--help"}}) {
            same(args);
        }
    }
    SUBCASE("the cli_args fuzz corpus") {
        int files = 0;
        for (const auto& entry : std::filesystem::directory_iterator(ZS_CLI_ARGS_CORPUS)) {
            std::ifstream in(entry.path(), std::ios::binary);
            std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            Args args;
            for (std::string_view field : fuzz::split_fields(bytes, 16)) {
                args.emplace_back(field);
            }
            same(args);
            ++files;
        }
        CHECK(files > 100);
    }
}
