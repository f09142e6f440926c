// An index written straight to its file (PackageIndex::build_saved, the cold apt build's path) must hold the
// very bytes of the one built in memory, and search alike; when the file cannot be written the index is
// still built, in memory, and nothing is left behind.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/index_apt.hpp"
#include "pkg/search/search_index.hpp"
#include "search_run_support.hpp"
#include "temp_dir.hpp"

using namespace zsyncctl;
using namespace zsyncctl::pkg;

namespace {

using test_support::describe;
using zsyncctl::test::TempDir;

// Packages text large enough that every buffer of the file writer is flushed several times (text section,
// haystack, and the versions section through the second list's older versions): n stanzas of ~1 KB with
// long descriptions, Provides, foreign and "all" architectures, and names and texts the sanitizer changes.
std::string packages_text(int n, int version_base) {
    std::mt19937 rnd(7);
    const char* words[] = {"library", "tool", "data",   "python",     "module", "support",
                           "runtime", "Über", "ﬁle",    "IĞDIR",      "net",    "plugin",
                           "shell",   "zstd", "client", "\x1b[31mred"};
    std::string out;
    for (int i = 0; i < n; ++i) {
        auto word = [&] {
            return std::string(words[rnd() % std::size(words)]);
        };
        std::string name = (i % 3 == 0 ? "lib" : "pkg") + std::to_string((i * 7919) % n);
        if (i % 97 == 0) {
            name += "\xc3"; // invalid UTF-8: stored and sorted as sanitized
        }
        out += "Package: " + name + "\nVersion: " + std::to_string(version_base + i % 5) + ".0-1\n";
        out += std::string("Architecture: ") + (i % 11 == 0 ? "i386" : i % 4 == 0 ? "all" : "amd64") + "\n";
        if (i % 5 == 0) {
            out += "Provides: virtual-" + word() + ", " + name + "-api (= 1), ctl\x07name\n";
        }
        out += "Description: " + word() + " " + word() + " for " + name;
        for (int w = 0; w < 16; ++w) { // long summaries: the text section crosses a flush too
            out += " " + word();
        }
        out += "\n";
        for (int line = 0; line < 8; ++line) {
            out += " " + word() + " " + word() + " " + word() + " " + word() + " " + word() + " " + word() +
                   " " + word() + " " + word() + " " + word() + "\n";
            if (line == 3) {
                out += " .\n";
            }
        }
        out += "Section: misc\n\n";
    }
    return out;
}

AptIndexBuilder builder_of(const std::string& first, const std::string& second) {
    AptIndexBuilder b("amd64", {"amd64", "i386"});
    StanzaSplitter one([&](std::string_view st) { b.add_list_stanza(st, 500); });
    one.feed(first);
    one.finish();
    StanzaSplitter two([&](std::string_view st) { b.add_list_stanza(st, 100); });
    two.feed(second);
    two.finish();
    return b;
}

std::string read_all(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

} // namespace

TEST_CASE("an index written to its file holds the bytes of the index built in memory") {
    std::string first = packages_text(9000, 1);
    std::string second = packages_text(3000, 3);
    std::vector<SourceStamp> stamps{{"/var/lib/apt/lists/a_Packages", 11, 22}, {"architectures:amd64", 0, 0}};
    PackageIndex in_memory = builder_of(first, second).finish_index(stamps, true);
    REQUIRE(in_memory.size() > 8000);
    REQUIRE(in_memory.bytes() - in_memory.extra().size() > (std::size_t(4) << 20));
    REQUIRE(in_memory.extra().size() > (std::size_t(1) << 20)); // the versions section crosses a flush

    TempDir dir;
    auto file = dir.path / "search" / "apt-x.idx"; // its directory is created
    PackageIndex saved = builder_of(first, second).finish_index(stamps, true, file);
    CHECK(saved.bytes() == in_memory.bytes());
    CHECK(saved.data() == in_memory.data());
    CHECK(read_all(file) == in_memory.data());
    // Nothing but the index is left in the directory (the temporary file was renamed).
    CHECK(std::distance(std::filesystem::directory_iterator(file.parent_path()),
                        std::filesystem::directory_iterator()) == 1);

    auto loaded = PackageIndex::load(file, stamps);
    REQUIRE(loaded);
    for (std::string q : {"zstd", "über", "lib1", "virtual-tool", "ctl", "IĞDIR", "red", "pkg59"}) {
        SearchQuery query{q, MatchMode::substring, 0};
        std::string want = describe(in_memory.search(query));
        CHECK(describe(saved.search(query)) == want);
        CHECK(describe(loaded->search(query)) == want);
    }
    CHECK(saved.extra() == in_memory.extra());

    // Written again over an existing file: replaced whole.
    PackageIndex again = builder_of(second, first).finish_index(stamps, true, file);
    PackageIndex again_memory = builder_of(second, first).finish_index(stamps, true);
    CHECK(read_all(file) == again_memory.data());
    CHECK(again.data() == again_memory.data());
}

TEST_CASE("an index whose file cannot be written is built in memory, unsaved") {
    std::string first = packages_text(500, 1);
    std::vector<SourceStamp> stamps{{"/x_Packages", 1, 2}};
    PackageIndex in_memory = builder_of(first, "").finish_index(stamps, true);

    TempDir dir;
    std::ofstream(dir.path / "plain") << "not a directory";
    auto file = dir.path / "plain" / "apt-x.idx";
    PackageIndex built = builder_of(first, "").finish_index(stamps, true, file);
    CHECK(built.data() == in_memory.data());
    CHECK_FALSE(std::filesystem::exists(file));
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path),
                        std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("a loaded index reads its haystack in windows of whole records and finds what the mapping holds") {
    // Records around the 256 KiB window: many small ones, one of ~340 KiB (a window takes it whole), and
    // matches in every record, in exact and substring mode, with and without a limit. The oracle is the
    // same index searched in memory (one window over the whole haystack).
    std::vector<IndexRecord> records;
    for (int i = 0; i < 6000; ++i) {
        IndexRecord r;
        r.name = "pkg" + std::to_string(i);
        r.version = "1.0";
        r.summary = "tool number " + std::to_string(i) + (i % 17 == 0 ? " zstd" : "");
        r.long_text = std::string(40 + i % 90, 'x') + " edge";
        if (i % 250 == 0) {
            r.provides = {"virtual-" + std::to_string(i)};
        }
        records.push_back(std::move(r));
    }
    IndexRecord huge;
    huge.name = "pkg3000huge";
    huge.version = "2.0";
    huge.summary = "a very long description";
    for (int i = 0; i < 20000; ++i) {
        huge.long_text += "line " + std::to_string(i) + " of text ";
    }
    huge.long_text += "zstd at the end";
    records.push_back(std::move(huge));
    std::vector<SourceStamp> stamps{{"/x", 1, 2}};
    PackageIndex in_memory = PackageIndex::build(records, stamps);
    TempDir dir;
    auto file = dir.path / "w.idx";
    REQUIRE(in_memory.save(file));
    auto loaded = PackageIndex::load(file, stamps);
    REQUIRE(loaded);
    REQUIRE(loaded->bytes() > (std::size_t(1) << 20)); // several windows, one record of ~340 KiB
    for (MatchMode mode : {MatchMode::substring, MatchMode::exact}) {
        for (std::string q : {"zstd", "edge", "pkg3000huge", "pkg5999", "virtual-", "of text", "nothing"}) {
            for (std::size_t limit : {std::size_t(0), std::size_t(3)}) {
                SearchQuery query{q, mode, limit};
                INFO(q << " mode " << static_cast<int>(mode) << " limit " << limit);
                auto want = in_memory.search(query);
                CHECK(describe(loaded->search(query)) == describe(want));
                if (q == "edge" && mode == MatchMode::substring && limit == 0) {
                    CHECK(want.size() == 6000);
                }
            }
        }
    }
}

TEST_CASE("the block filter reads only blocks that can match and loses no match against a plain scan") {
    // ~2.8 MiB of haystack (the filter starts at 1 MiB). As in real descriptions, most 3-letter sequences
    // are common and a few are rare: the common words use the letters a-m only, and one record in 40 also
    // has a rare word of the letters n-z. Needles are cut from records (each has a match) or random
    // (most have none), 3 to 8 letters, in substring mode. The oracle is each record's own text searched
    // with std::string::find, no index involved; and for nine in ten of the needles of rare letters that
    // are in at most two records, the filter must have skipped most of the haystack, or it is not used.
    std::mt19937 rnd(20261204);
    auto random_word = [&](std::size_t min, std::size_t max, char first) {
        std::string w(min + rnd() % (max - min + 1), 'a');
        for (char& c : w) {
            c = static_cast<char>(first + rnd() % 13);
        }
        return w;
    };
    std::vector<IndexRecord> records;
    std::vector<std::string> texts; // name, summary, long text and provides of each record, as searched
    for (int i = 0; i < 12000; ++i) {
        IndexRecord r;
        r.name = "p" + std::to_string(i) + random_word(3, 8, 'a');
        r.version = "1";
        r.summary = random_word(3, 9, 'a') + " " + random_word(3, 9, 'a') + " " + random_word(3, 9, 'a');
        if (i % 40 == 0) {
            r.summary += " " + random_word(5, 8, 'n');
        }
        for (int w = 0; w < 30; ++w) {
            r.long_text += random_word(2, 10, 'a') + " ";
        }
        if (i % 7 == 0) {
            r.provides = {random_word(4, 10, 'a')};
        }
        std::string text = r.name + "\n" + r.summary + "\n" + r.long_text;
        for (const auto& p : r.provides) {
            text += "\n" + p;
        }
        texts.push_back(std::move(text));
        records.push_back(std::move(r));
    }
    std::vector<SourceStamp> stamps{{"/x", 1, 2}};
    PackageIndex in_memory = PackageIndex::build(records, stamps);
    REQUIRE(in_memory.hay_size() > (std::size_t(5) << 19)); // 2.5 MiB: ~40 blocks
    TempDir dir;
    auto file = dir.path / "f.idx";
    REQUIRE(in_memory.save(file));
    auto loaded = PackageIndex::load(file, stamps);
    REQUIRE(loaded);
    std::vector<std::string> needles;
    for (int i = 0; i < 150; ++i) {
        const std::string& t = texts[rnd() % texts.size()];
        std::size_t len = 3 + rnd() % 6;
        std::size_t at = rnd() % (t.size() - len);
        std::string cut = t.substr(at, len);
        if (cut.find_first_of("\n ") == std::string::npos) {
            needles.push_back(cut);
        }
        needles.push_back(random_word(3, 6, i % 2 == 0 ? 'a' : 'n'));
    }
    int checked = 0;
    int narrow = 0;
    int narrow_skipped = 0;
    for (const std::string& needle : needles) {
        INFO(needle);
        std::set<std::string> want;
        for (std::size_t i = 0; i < texts.size(); ++i) {
            if (texts[i].find(needle) != std::string::npos) {
                want.insert(records[i].name);
            }
        }
        SearchQuery query{needle, MatchMode::substring, 0};
        for (const PackageIndex* index : {&in_memory, &*loaded}) {
            std::set<std::string> got;
            for (const auto& hit : index->search(query)) {
                got.insert(hit.name);
            }
            CHECK(got == want);
            ++checked;
        }
        if (want.size() <= 2 && needle.find_first_of("abcdefghijklm0123456789") == std::string::npos) {
            // A needle in at most two records is in at most two blocks of ~45, plus the blocks of a common
            // sequence that shares a bucket with one of its own (a few needles in a hundred).
            narrow_skipped += loaded->scan_size(query) < loaded->hay_size() / 4 ? 1 : 0;
            ++narrow;
        }
    }
    CHECK(checked >= 300);
    CHECK(narrow >= 50);
    CHECK(narrow_skipped * 10 >= narrow * 9);
    // A needle shorter than the sequences reads everything.
    CHECK(loaded->scan_size({"ab", MatchMode::substring, 0}) == loaded->hay_size());

    // The filter section ends the file here (no extra section): u32 block size, u32 words (1 for ~45
    // blocks), 2^16 buckets of one word. A header that does not describe it is a damaged index.
    std::string bytes = read_all(file);
    const std::size_t section = 8 + (std::size_t(1) << 16) * 8;
    REQUIRE(bytes.size() > section);
    std::uint32_t block = 0;
    std::uint32_t words = 0;
    std::memcpy(&block, bytes.data() + bytes.size() - section, 4);
    std::memcpy(&words, bytes.data() + bytes.size() - section + 4, 4);
    CHECK(block == 64 * 1024);
    CHECK(words == 1);
    for (auto [at, value] : {std::pair<std::size_t, std::uint32_t>{0, 0}, {4, 0}, {4, 2}, {4, 65}}) {
        std::string bad = bytes;
        std::memcpy(bad.data() + bad.size() - section + at, &value, 4);
        auto damaged = PackageIndex::from_bytes(bad, stamps, "bad");
        CHECK_FALSE(damaged.ok());
    }
}
