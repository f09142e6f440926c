#include <doctest/doctest.h>

#include <filesystem>
#include <map>

#include "pkg/search/native/brew_api.hpp"
#include "pkg/search/native/index_pacman.hpp"
#include "pkg/search/parsers/search_parsers.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace zsyncctl;
using namespace zsyncctl::pkg;
namespace fs = std::filesystem;

namespace {
std::string recorded(const std::string& name) {
    auto text = util::read_file(fs::path(ZS_FIXTURES) / "cli" / name);
    REQUIRE(text.ok());
    return *text;
}

ParsedSearch parse(std::string_view id, std::string_view text) {
    SearchParserFn fn = find_search_parser(id);
    REQUIRE(static_cast<bool>(fn));
    return fn(text, {});
}

struct Expect {
    std::string name;
    std::string version;
    std::string description;
    bool installed = false;
};

void check_hits(const ParsedSearch& got, const std::vector<Expect>& want) {
    CHECK_FALSE(got.error.has_value());
    REQUIRE(got.hits.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        CAPTURE(i);
        CHECK(got.hits[i].name == want[i].name);
        CHECK(got.hits[i].version == want[i].version);
        CHECK(got.hits[i].description == want[i].description);
        CHECK(got.hits[i].installed == want[i].installed);
    }
}
} // namespace

TEST_CASE("search parsers read each manager's recorded output") {
    SUBCASE("dnf 4 and dnf 5") {
        check_hits(parse("dnf", recorded("dnf.out")),
                   {{"hello", "", "Prints a familiar, friendly greeting"},
                    {"hello-devel", "", "Development files for hello"},
                    {"perl-Hello-World", "", "Print the Hello World greeting"}});
        check_hits(parse("dnf", recorded("dnf5.out")), {{"hello", "", "Prints a familiar, friendly greeting"},
                                                        {"hello-devel", "", "Development files for hello"}});
    }
    SUBCASE("zypper XML") {
        check_hits(parse("zypper-xml", recorded("zypper-xml.out")),
                   {{"hello", "2.12.1-1.7", "A Friendly Greeter & more", true},
                    {"hello-lang", "2.12.1-1.9", "Translations for package hello \xc3\xa9"}});
    }
    SUBCASE("apk") {
        check_hits(parse("apk", recorded("apk.out")),
                   {{"hello", "2.12.1-r1", "A program that produces a familiar, friendly greeting"},
                    {"hello-doc", "2.12.1-r1",
                     "A program that produces a familiar, friendly greeting (documentation)"},
                    {"py3-hello-world", "0.3-r0", "Hello world in python"}});
    }
    SUBCASE("xbps") {
        check_hits(parse("xbps", recorded("xbps.out")),
                   {{"hello", "2.12.1_1", "GNU Hello program", true},
                    {"hello-rs", "0.2.0_3", "Hello world written in Rust"}});
    }
    SUBCASE("nix") {
        check_hits(parse("nix-json", recorded("nix-json.out")),
                   {{"hello", "2.12.1", "Program that produces a familiar, friendly greeting"},
                    {"hello-wayland", "unstable-2023-04-23", "Hello world Wayland client"},
                    {"python3.11-hello", "1.0", ""}});
    }
    SUBCASE("guix") {
        check_hits(parse("guix", recorded("guix.out")),
                   {{"hello", "2.12.1", "Hello, GNU world: An example GNU package"},
                    {"python-hello", "0.1", "Say hello from Python"}});
    }
    SUBCASE("macports") {
        check_hits(parse("macports", recorded("macports.out")),
                   {{"hello", "2.12.1", "Program which prints \"Hello, world!\""},
                    {"hello-rs", "0.1.0", "Hello world in Rust"}});
    }
    SUBCASE("snap") {
        check_hits(parse("snap", recorded("snap.out")),
                   {{"hello", "2.10", "GNU Hello, the \"hello world\" snap"},
                    {"hello-world", "6.4", "The 'hello-world' of snaps"},
                    {"hello-bluez", "1.0", "BlueZ hello  with two spaces"}});
    }
    SUBCASE("flatpak") {
        check_hits(parse("flatpak", recorded("flatpak.out")),
                   {{"org.gnu.Hello", "2.12.1", "The GNU Hello program"},
                    {"com.example.HelloWayland", "1.0", "Hello world for Wayland"}});
    }
    SUBCASE("chocolatey, scoop, winget") {
        check_hits(parse("choco", recorded("choco.out")),
                   {{"hello", "1.0.2", ""}, {"hello-world", "0.0.1", ""}});
        check_hits(parse("scoop", recorded("scoop.out")),
                   {{"hello", "2.12.1", "bucket main"}, {"hello-world", "1.0", "bucket extras"}});
        check_hits(parse("winget", recorded("winget.out")),
                   {{"Example.HelloApp", "1.2.3", "Hello App"},
                    {"Example.HelloWorld", "0.9.1", "H\xc3\xa9llo W\xc3\xb6rld"},
                    {"Example.HelloToolWithLongName", "2024.1", "Hello Tool With A Long Nam\xe2\x80\xa6"}});
    }
    SUBCASE("npm, cargo, gem") {
        check_hits(parse("npm-json", recorded("npm-json.out")),
                   {{"hello", "0.3.2", "Tiny hello world"}, {"hello-world-npm", "1.1.1", "Hello World NPM"}});
        check_hits(parse("cargo", recorded("cargo.out")), {{"hello", "0.1.0", "A hello world crate"},
                                                           {"hello_world", "0.3.0", "Prints hello world"},
                                                           {"hellors", "1.0.0", ""}});
        check_hits(parse("gem", recorded("gem.out")),
                   {{"hello", "0.0.1", ""}, {"hello-world", "1.2.0", ""}, {"nokogiri-hello", "1.15.5", ""}});
    }
    SUBCASE("pacman -Ss (yay, paru), FreeBSD pkg, mas, conda") {
        check_hits(parse("pacman-ss", recorded("pacman-ss.out")),
                   {{"hello", "2.12.1-2", "GNU Hello, the friendly greeter", true},
                    {"hello-git", "2.12.r1-1", "Hello from git"}});
        check_hits(
            parse("freebsd-pkg", recorded("freebsd-pkg.out")),
            {{"hello", "2.12.1_1", "GNU Hello program"}, {"p5-Hello-World", "0.1", "Perl hello world"}});
        check_hits(parse("mas", recorded("mas.out")),
                   {{"1234567890", "1.2.3", "Hello App"}, {"987654321", "4.0", "Hello World Pro"}});
        check_hits(parse("conda-json", recorded("conda-json.out")), {{"hello", "1.1", ""}});
    }
}

TEST_CASE("search parsers survive truncated, malformed and non-UTF-8 output") {
    std::map<std::string, std::string> samples = {
        {"apk", "apk.out"},
        {"cargo", "cargo.out"},
        {"choco", "choco.out"},
        {"conda-json", "conda-json.out"},
        {"dnf", "dnf.out"},
        {"flatpak", "flatpak.out"},
        {"freebsd-pkg", "freebsd-pkg.out"},
        {"gem", "gem.out"},
        {"guix", "guix.out"},
        {"macports", "macports.out"},
        {"mas", "mas.out"},
        {"nix-json", "nix-json.out"},
        {"npm-json", "npm-json.out"},
        {"pacman-ss", "pacman-ss.out"},
        {"scoop", "scoop.out"},
        {"snap", "snap.out"},
        {"winget", "winget.out"},
        {"xbps", "xbps.out"},
        {"zypper-xml", "zypper-xml.out"},
    };
    CHECK(samples.size() == search_parser_ids().size());
    for (const auto& sample : samples) {
        // Named copies, not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
        const auto id = sample.first;
        const auto file = sample.second;
        CAPTURE(id);
        std::string text = recorded(file);
        std::size_t full = parse(id, text).hits.size();
        SUBCASE("a limit keeps what filter_hits keeps of the full result and counts every match") {
            auto all = parse(id, text);
            CHECK(all.matched == all.hits.size());
            std::vector<SearchQuery> queries = {{"", MatchMode::substring, 0}};
            for (const auto& h : all.hits) {
                queries.push_back({h.name, MatchMode::exact, 0});
            }
            for (const auto& query : queries) {
                for (std::size_t keep = 0; keep <= full + 1; ++keep) {
                    CAPTURE(query.text);
                    CAPTURE(keep);
                    auto got = find_search_parser(id)(text, {query, keep});
                    auto matching = filter_hits(all.hits, query);
                    SearchQuery limited = query;
                    limited.limit = keep;
                    auto want = filter_hits(all.hits, limited);
                    CHECK(got.matched == matching.size());
                    CHECK(got.error == all.error);
                    REQUIRE(got.hits.size() == want.size());
                    for (std::size_t i = 0; i < want.size(); ++i) {
                        CHECK(got.hits[i].name == want[i].name);
                        CHECK(got.hits[i].version == want[i].version);
                        CHECK(got.hits[i].description == want[i].description);
                        CHECK(got.hits[i].installed == want[i].installed);
                    }
                }
            }
        }
        SUBCASE("every truncation parses to at most the full result") {
            for (std::size_t n = 0; n <= text.size(); ++n) {
                auto got = parse(id, std::string_view(text).substr(0, n));
                CHECK(got.hits.size() <= full + 1);
                for (const auto& h : got.hits) {
                    CHECK(util::is_valid_utf8(h.name));
                }
            }
        }
        SUBCASE("invalid UTF-8 bytes are repaired, never passed on") {
            std::string bad = text;
            for (std::size_t i = 3; i < bad.size(); i += 7) {
                if (bad[i] != '\n' && bad[i] != '"' && bad[i] != '\\') {
                    bad[i] = '\xff';
                }
            }
            auto got = parse(id, bad);
            for (const auto& h : got.hits) {
                CHECK(util::is_valid_utf8(h.name));
                CHECK(util::is_valid_utf8(h.version));
                CHECK(util::is_valid_utf8(h.description));
            }
        }
        SUBCASE("garbage is a parse error, not a result") {
            auto got = parse(id, "Segmentation fault (core dumped)\n\x01\x02\xfe garbage line\n");
            CHECK(got.hits.empty());
            CHECK(got.error.has_value());
        }
        SUBCASE("empty output is no result and no error") {
            auto got = parse(id, "");
            CHECK(got.hits.empty());
        }
    }
}

TEST_CASE("truncated JSON keeps the complete entries and reports the cut") {
    std::string npm = recorded("npm-json.out");
    auto got = parse("npm-json", npm.substr(0, npm.find("hello-world-npm") + 5));
    REQUIRE(got.hits.size() == 1);
    CHECK(got.hits[0].name == "hello");
    CHECK(got.error.has_value());
    std::string nix = recorded("nix-json.out");
    auto cut = parse("nix-json", nix.substr(0, nix.find("python311Packages")));
    CHECK(cut.hits.size() == 2);
    CHECK(cut.error.has_value());
}

TEST_CASE("a flooding manager's records past the limit are counted, not stored") {
    std::string flood;
    for (int i = 0; i < 200000; ++i) {
        flood += "name: hello\nversion: 2.12.1\nsynopsis: Hello, GNU world\n\n";
    }
    auto got = find_search_parser("guix")(flood, {{"hello", MatchMode::substring, 0}, 100});
    CHECK(got.hits.size() == 100);
    CHECK(got.hits.capacity() <= 128);
    CHECK(got.matched == 200000);
    CHECK_FALSE(got.error.has_value());
    // A description on the next line belongs to its own record, never to the last one stored.
    std::string ports = "hello @2.12.1 (sysutils)\n    Program which prints\n"
                        "hello-rs @0.1.0 (devel, rust)\n    Hello world in Rust\n";
    auto exact = find_search_parser("macports")(ports, {{"hello-rs", MatchMode::exact, 0}, 0});
    REQUIRE(exact.hits.size() == 1);
    CHECK(exact.hits[0].description == "Hello world in Rust");
    auto first = find_search_parser("macports")(ports, {{}, 1});
    REQUIRE(first.hits.size() == 1);
    CHECK(first.hits[0].description == "Program which prints");
    CHECK(first.matched == 2);
}

TEST_CASE("filter_hits applies --exact and --limit") {
    std::vector<SearchHit> hits = {
        {"hello", "1", "", false}, {"hello-devel", "1", "", false}, {"Hello", "2", "", false}};
    auto exact = filter_hits(hits, {"hello", MatchMode::exact, 0});
    CHECK(exact.size() == 2);
    CHECK(filter_hits(hits, {"hello", MatchMode::substring, 1}).size() == 1);
}

TEST_CASE("parse_brew_api reads Homebrew 6's joint packages document and keeps formula and cask apart") {
    // The payload of api/internal/packages.<bottle_tag>.jws.json (list-outdated-upgrade.md section 4.3).
    std::string payload = R"({"metadata": {"homebrew_version": "6.0.1", "bottle_tag": "x86_64_linux"},
        "formulae": {"bar": {"desc": "Bar formula", "stable_version": "0.4.0", "revision": 5,
                             "version_scheme": 1},
                     "docker": {"desc": "Pack, ship and run any application", "stable_version": "28.1.1"},
                     "ripgrep": {"desc": "Search tool", "stable_version": "14.1.1"}},
        "casks": {"docker": {"desc": "App to build and share containers", "version": "4.42.0",
                             "names": ["Docker Desktop"]},
                  "caffeine": {"version": ":latest", "names": ["Caffeine"]}},
        "formula_aliases": {"rg": "ripgrep"},
        "formula_renames": {"oldbar": "bar"},
        "cask_renames": {"docker-desktop": "docker"}})";
    std::string escaped;
    for (char c : payload) {
        if (c == '"' || c == '\\') {
            escaped += '\\';
        }
        escaped += c == '\n' ? ' ' : c;
    }
    auto parsed = parse_brew_api(R"({"payload": ")" + escaped + R"(", "signatures": []})");
    CHECK(parse_brew_api(payload).ok()); // an unwrapped payload too
    REQUIRE(parsed.ok());
    std::map<std::string, const IndexRecord*> formulae;
    std::map<std::string, const IndexRecord*> casks;
    for (const auto& r : *parsed) {
        REQUIRE((r.kind == "cask" || r.kind == "formula"));
        (r.kind == "cask" ? casks : formulae)[r.name] = &r;
    }
    REQUIRE(formulae.size() == 3);
    REQUIRE(casks.size() == 2);
    CHECK(formulae["bar"]->version == "0.4.0_5"); // stable_version plus the revision
    CHECK(formulae["bar"]->long_text.find("oldbar") != std::string::npos);
    CHECK(formulae["ripgrep"]->long_text.find("rg") != std::string::npos);
    CHECK(formulae["docker"]->version == "28.1.1");
    CHECK(casks["docker"]->version == "4.42.0");
    CHECK(casks["docker"]->long_text.find("Docker Desktop") != std::string::npos);
    CHECK(casks["docker"]->long_text.find("docker-desktop") != std::string::npos);
    CHECK(casks["caffeine"]->version == "latest"); // the Ruby symbol :latest
    // The 5.x documents still parse.
    auto five = parse_brew_api(R"([{"name": "hello", "desc": "x", "versions": {"stable": "2.12"}}])");
    REQUIRE(five.ok());
    REQUIRE(five->size() == 1);
    CHECK((*five)[0].kind == "formula");
    CHECK((*five)[0].summary == "x");
    auto five_cask = parse_brew_api(R"([{"token": "firefox", "desc": "Web browser", "version": "139.0"}])");
    REQUIRE(five_cask.ok());
    REQUIRE(five_cask->size() == 1);
    CHECK((*five_cask)[0].kind == "cask");
    CHECK((*five_cask)[0].summary == "Web browser"); // the kind is a field, not a prefix
}

TEST_CASE("parse_pacman_desc takes provided names and groups as searched text") {
    IndexRecord r = parse_pacman_desc("%NAME%\nvim\n\n%VERSION%\n1:9.1-1\n\n%DESC%\nVi Improved\n\n"
                                      "%GROUPS%\neditors\nbase\n\n%PROVIDES%\nxxd\nlibvim.so=1-64\n"
                                      "vi>=1\n\n%DEPENDS%\nglibc\n\n");
    CHECK(r.name == "vim");
    CHECK(r.version == "1:9.1-1");
    CHECK(r.summary == "Vi Improved");
    CHECK(r.long_text == "editors\nbase\nxxd\nlibvim.so\nvi");
}
