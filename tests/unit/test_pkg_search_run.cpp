// The search orchestration (SearchRun) over backends the test controls: timer-driven fakes with
// timestamps for lock groups, race and deadline, and the production command backend running real
// processes for cancellation and the deadline (their pids must be gone afterwards).
#include <doctest/doctest.h>

#include <cctype>

#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/runtime.hpp"
#include "pkg/search/search.hpp"
#include "search_run_support.hpp"
#include "temp_dir.hpp"
#include "util/sanitize.hpp"

using namespace zsyncctl;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

using test_support::command_backend;
using test_support::make_runtime;
using test_support::process_exists;
using test_support::read_pids;

// When each fake search ran, by manager.
struct Timeline {
    std::mutex mutex;
    std::vector<std::tuple<std::string, Clock::time_point, Clock::time_point>> spans;
    void add(std::string name, Clock::time_point a, Clock::time_point b) {
        std::lock_guard lock(mutex);
        spans.emplace_back(std::move(name), a, b);
    }
};

// A search that answers after `delay` on the runtime's timers (no thread), with `hits` results, or
// completes cancelled as soon as its token is.
class TimedBackend final : public pkg::SearchBackend {
public:
    TimedBackend(core::Runtime& rt, std::string name, std::chrono::milliseconds delay, std::size_t hits,
                 std::shared_ptr<Timeline> timeline = nullptr, std::string absent = {})
        : m_rt(rt), m_name(std::move(name)), m_delay(delay), m_hits(hits), m_timeline(std::move(timeline)),
          m_absent(std::move(absent)) {}

    util::Result<void> present() const override {
        if (!m_absent.empty()) {
            return util::fail(util::ErrorKind::not_found, m_absent);
        }
        return util::ok();
    }

    core::Future<pkg::SearchOutcome> search(const pkg::SearchQuery&, core::CancellationToken token) override {
        struct State {
            std::mutex mutex;
            core::Promise<pkg::SearchOutcome> promise;
            bool done = false;
        };
        auto state = std::make_shared<State>();
        auto future = state->promise.future();
        auto began = Clock::now();
        auto finish = [state, began, name = m_name, timeline = m_timeline](pkg::SearchOutcome outcome) {
            std::lock_guard lock(state->mutex);
            if (state->done) {
                return;
            }
            state->done = true;
            if (timeline) {
                timeline->add(name, began, Clock::now());
            }
            state->promise.set(std::move(outcome));
        };
        pkg::SearchOutcome found{pkg::ManagerStatus::ok, {}, {}};
        for (std::size_t i = 0; i < m_hits; ++i) {
            found.hits.push_back({m_name + "-pkg" + std::to_string(i), "1.0", "a package", false});
        }
        auto timer = m_rt.timers().schedule_after(m_delay, [finish, found] { finish(found); });
        REQUIRE(timer.ok());
        token.on_cancel([finish] {
            finish(pkg::SearchOutcome{pkg::ManagerStatus::cancelled, {}, "cancelled"});
        });
        return future;
    }

private:
    core::Runtime& m_rt;
    std::string m_name;
    std::chrono::milliseconds m_delay;
    std::size_t m_hits;
    std::shared_ptr<Timeline> m_timeline;
    std::string m_absent;
};

// A search that answers at once with the given outcome (hits, error text and status as given).
class FixedBackend final : public pkg::SearchBackend {
public:
    explicit FixedBackend(pkg::SearchOutcome outcome) : m_outcome(std::move(outcome)) {}
    util::Result<void> present() const override { return util::ok(); }
    core::Future<pkg::SearchOutcome> search(const pkg::SearchQuery& query, core::CancellationToken) override {
        seen_limit = query.limit;
        return core::Future<pkg::SearchOutcome>::ready(m_outcome);
    }
    std::size_t seen_limit = 12345;

private:
    pkg::SearchOutcome m_outcome;
};

pkg::SearchHit hit(std::string name, std::string description) {
    pkg::SearchHit h;
    h.name = std::move(name);
    h.version = "1.0";
    h.description = std::move(description);
    return h;
}

// True when `text` holds no ESC, no C0 control, no C1 control (U+0080-U+009F, UTF-8 or raw) and no bidi
// control (U+202A-U+202E, U+2066-U+2069).
bool terminal_safe(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)) {
            return false;
        }
        if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
            return false;
        }
        if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
            static_cast<unsigned char>(text[i + 2]) >= 0xAA &&
            static_cast<unsigned char>(text[i + 2]) <= 0xAE) {
            return false;
        }
        if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x81 &&
            static_cast<unsigned char>(text[i + 2]) >= 0xA6 &&
            static_cast<unsigned char>(text[i + 2]) <= 0xA9) {
            return false;
        }
    }
    return true;
}

// Hostile field values: OSC 52 (clipboard), a title OSC ended by ST, CSI clear screen, 8-bit CSI (C1), a
// right-to-left override and an isolate, raw C1 bytes, a DCS string and a lone ESC at the end.
const std::vector<std::string>& hostile_texts() {
    static const std::vector<std::string> texts{
        "evil\x1b]52;c;cm0gLXJmIH4K\x07name",
        "t\x1b]0;pwned\x1b\\itle",
        "clear\x1b[2J\x1b[Hscreen",
        "c1\xc2\x9b"
        "31mred\xc2\x9d"
        "0;x\xc2\x9c",
        "bidi\xe2\x80\xae"
        "evil\xe2\x81\xa6iso\xe2\x81\xa9",
        "raw\x9b"
        "31m\x85",
        "dcs\x1bPq#0;2;0;0;0\x1b\\end",
        "tab\tnew\nline\rcr\x7f"
        "del\x1b",
    };
    return texts;
}

pkg::PlannedSearch planned(std::string name, std::string group, std::unique_ptr<pkg::SearchBackend> backend) {
    return pkg::PlannedSearch{std::move(name), std::move(group), std::move(backend)};
}

pkg::SearchRequest request(std::chrono::milliseconds timeout, bool race = false) {
    pkg::SearchRequest r;
    r.query.text = "hello";
    r.timeout = timeout;
    r.race = race;
    return r;
}

// Takes every report (each wait bounded) and returns them.
std::vector<pkg::ManagerReport> drain(pkg::SearchRun& run) {
    auto limit = Clock::now() + 20s;
    while (!run.all_returned() && Clock::now() < limit) {
        (void)run.next_finished(500ms);
    }
    REQUIRE(run.all_returned());
    return run.reports();
}

const pkg::ManagerReport& report_of(const std::vector<pkg::ManagerReport>& reports, std::string_view name) {
    auto it = std::find_if(reports.begin(), reports.end(), [&](const auto& r) { return r.manager == name; });
    REQUIRE(it != reports.end());
    return *it;
}

} // namespace

TEST_CASE("SearchRun serialises the managers of one lock group and runs the others alongside") {
    auto rt = make_runtime();
    auto timeline = std::make_shared<Timeline>();
    std::vector<pkg::PlannedSearch> plan;
    plan.push_back(planned("dnf", "rpm", std::make_unique<TimedBackend>(*rt, "dnf", 150ms, 1, timeline)));
    plan.push_back(planned("apk", "", std::make_unique<TimedBackend>(*rt, "apk", 150ms, 1, timeline)));
    plan.push_back(planned("yum", "rpm", std::make_unique<TimedBackend>(*rt, "yum", 150ms, 1, timeline)));
    plan.push_back(
        planned("zypper", "rpm", std::make_unique<TimedBackend>(*rt, "zypper", 150ms, 1, timeline)));
    auto started = Clock::now();
    auto run = pkg::SearchRun::run(std::move(plan), request(10s), *rt);
    auto reports = drain(*run);
    auto took = Clock::now() - started;
    for (const auto& r : reports) {
        CHECK_MESSAGE(r.status == pkg::ManagerStatus::ok, r.manager << ": " << r.error);
    }
    std::vector<std::pair<Clock::time_point, Clock::time_point>> group;
    for (const auto& [name, a, b] : timeline->spans) {
        if (name != "apk") {
            group.emplace_back(a, b);
        }
    }
    REQUIRE(group.size() == 3);
    std::sort(group.begin(), group.end());
    for (std::size_t i = 1; i < group.size(); ++i) {
        CHECK_MESSAGE(group[i].first >= group[i - 1].second, "lock group members overlapped");
    }
    CHECK(took >= 450ms); // three in a row
    CHECK(took < 3s);
    // apk shares no lock: it ran during the first of the group.
    auto apk = std::find_if(timeline->spans.begin(), timeline->spans.end(),
                            [](const auto& s) { return std::get<0>(s) == "apk"; });
    REQUIRE(apk != timeline->spans.end());
    CHECK(std::get<1>(*apk) < group[0].second);
}

TEST_CASE("SearchRun --race: the first manager with results wins and the others are cancelled") {
    auto rt = make_runtime();
    std::vector<pkg::PlannedSearch> plan;
    plan.push_back(planned("slow", "", std::make_unique<TimedBackend>(*rt, "slow", 10s, 3)));
    plan.push_back(planned("empty", "", std::make_unique<TimedBackend>(*rt, "empty", 5ms, 0)));
    plan.push_back(planned("fast", "w", std::make_unique<TimedBackend>(*rt, "fast", 60ms, 2)));
    plan.push_back(planned("queued", "g", std::make_unique<TimedBackend>(*rt, "queued", 10s, 1)));
    plan.push_back(planned("behind", "g", std::make_unique<TimedBackend>(*rt, "behind", 10ms, 1)));
    // The winner's own lock group: the managers after it never start.
    plan.push_back(planned("winner-group", "w", std::make_unique<TimedBackend>(*rt, "winner-group", 10s, 1)));
    auto started = Clock::now();
    auto run = pkg::SearchRun::run(std::move(plan), request(30s, true), *rt);
    auto reports = drain(*run);
    CHECK(Clock::now() - started < 3s);
    CHECK(report_of(reports, "fast").status == pkg::ManagerStatus::ok);
    CHECK(report_of(reports, "fast").hits.size() == 2);
    CHECK(report_of(reports, "empty").status == pkg::ManagerStatus::ok); // answered, found nothing
    for (const char* loser : {"slow", "queued", "behind", "winner-group"}) {
        const auto& r = report_of(reports, loser);
        CHECK_MESSAGE(r.status == pkg::ManagerStatus::cancelled, loser);
        CHECK(r.hits.empty());
        CHECK(r.error == "cancelled: fast answered first");
    }
}

TEST_CASE("SearchRun reports timeout at the deadline, also for a manager waiting for its lock group") {
    auto rt = make_runtime();
    std::vector<pkg::PlannedSearch> plan;
    plan.push_back(planned("hung", "g", std::make_unique<TimedBackend>(*rt, "hung", 10s, 1)));
    plan.push_back(planned("next", "g", std::make_unique<TimedBackend>(*rt, "next", 10ms, 1)));
    plan.push_back(planned("quick", "", std::make_unique<TimedBackend>(*rt, "quick", 10ms, 1)));
    auto started = Clock::now();
    auto run = pkg::SearchRun::run(std::move(plan), request(300ms), *rt);
    auto reports = drain(*run);
    auto took = Clock::now() - started;
    CHECK(took >= 300ms);
    CHECK(took < 3s);
    CHECK(report_of(reports, "hung").status == pkg::ManagerStatus::timeout);
    CHECK(report_of(reports, "hung").error == "timed out after 300 ms");
    CHECK(report_of(reports, "next").status == pkg::ManagerStatus::timeout);
    CHECK(report_of(reports, "next").error.find("waited for its lock group") != std::string::npos);
    CHECK(report_of(reports, "quick").status == pkg::ManagerStatus::ok);
}

TEST_CASE("SearchRun reports a backend without data as skipped with its reason, at once") {
    auto rt = make_runtime();
    std::vector<pkg::PlannedSearch> plan;
    plan.push_back(planned(
        "pacman", "",
        std::make_unique<TimedBackend>(*rt, "pacman", 10ms, 1, nullptr, "no sync database: run pacman -Sy")));
    plan.push_back(planned("apk", "", std::make_unique<TimedBackend>(*rt, "apk", 10ms, 1)));
    auto run = pkg::SearchRun::run(std::move(plan), request(5s), *rt);
    auto first = run->next_finished(5s);
    REQUIRE(first);
    CHECK(*first == 0);
    auto reports = drain(*run);
    CHECK(reports[0].status == pkg::ManagerStatus::skipped);
    CHECK(reports[0].error == "no sync database: run pacman -Sy");
    CHECK(reports[1].status == pkg::ManagerStatus::ok);
}

TEST_CASE("SearchRun cancellation reaches every child process") {
    auto rt = make_runtime();
    test::TempDir dir("search-run");
    auto script = dir.write(
        "bin/scripted", "#!/bin/sh\necho $$ >>\"$0.pids\"\nsleep 30 &\necho $! >>\"$0.pids\"\nwait\n", 0755);
    auto script2 = dir.write(
        "bin2/scripted", "#!/bin/sh\necho $$ >>\"$0.pids\"\nsleep 30 &\necho $! >>\"$0.pids\"\nwait\n", 0755);
    auto deadline = Clock::now() + 60s;

    SUBCASE("cancel()") {
        std::vector<pkg::PlannedSearch> plan;
        plan.push_back(planned("one", "", command_backend(*rt, script, deadline)));
        plan.push_back(planned("two", "", command_backend(*rt, script2, deadline)));
        auto run = pkg::SearchRun::run(std::move(plan), request(60s), *rt);
        auto pids = read_pids(script.string() + ".pids", 2);
        auto pids2 = read_pids(script2.string() + ".pids", 2);
        pids.insert(pids.end(), pids2.begin(), pids2.end());
        REQUIRE(pids.size() == 4);
        for (pid_t p : pids) {
            CHECK(process_exists(p));
        }
        auto started = Clock::now();
        run->cancel();
        auto reports = drain(*run);
        CHECK(run->wait_settled(10s));
        CHECK(Clock::now() - started < 5s);
        for (const auto& r : reports) {
            CHECK(r.status == pkg::ManagerStatus::cancelled);
        }
        for (pid_t p : pids) {
            CHECK_MESSAGE(!process_exists(p), "pid " << p << " survived the cancellation");
        }
    }

    SUBCASE("the deadline") {
        std::vector<pkg::PlannedSearch> plan;
        plan.push_back(planned("one", "", command_backend(*rt, script, Clock::now() + 400ms)));
        auto run = pkg::SearchRun::run(std::move(plan), request(400ms), *rt);
        auto pids = read_pids(script.string() + ".pids", 2);
        REQUIRE(pids.size() == 2);
        auto reports = drain(*run);
        CHECK(reports[0].status == pkg::ManagerStatus::timeout);
        CHECK(run->wait_settled(10s));
        for (pid_t p : pids) {
            CHECK_MESSAGE(!process_exists(p), "pid " << p << " survived the deadline");
        }
    }

    SUBCASE("destroying the run") {
        std::vector<pkg::PlannedSearch> plan;
        plan.push_back(planned("one", "", command_backend(*rt, script, deadline)));
        auto run = pkg::SearchRun::run(std::move(plan), request(60s), *rt);
        auto pids = read_pids(script.string() + ".pids", 2);
        REQUIRE(pids.size() == 2);
        run.reset();
        for (pid_t p : pids) {
            CHECK_MESSAGE(!process_exists(p), "pid " << p << " outlived its SearchRun");
        }
    }
}

TEST_CASE("SearchRun command backend parses a finished command's output") {
    auto rt = make_runtime();
    test::TempDir dir("search-run");
    auto script = dir.write("bin/scripted", "#!/bin/sh\nprintf 'hello-2.12-r0 - A greeter\\n'\n", 0755);
    std::vector<pkg::PlannedSearch> plan;
    plan.push_back(planned("scripted", "", command_backend(*rt, script, Clock::now() + 10s)));
    auto run = pkg::SearchRun::run(std::move(plan), request(10s), *rt);
    auto reports = drain(*run);
    REQUIRE(reports[0].status == pkg::ManagerStatus::ok);
    REQUIRE(reports[0].hits.size() == 1);
    CHECK(reports[0].hits[0].name == "hello");
    CHECK(reports[0].hits[0].version == "2.12-r0");
}

TEST_CASE("plan_search under a root: one detection, native data checked, commands never run") {
    auto rt = make_runtime();
    test::TempDir root("search-root");
    // Executables inside the root that must never run: each would leave a file if it did.
    for (const char* exe : {"pacman", "dnf", "npm", "apt-get"}) {
        root.write(std::string("usr/bin/") + exe, "#!/bin/sh\ntouch \"$0.ran\"\n", 0755);
    }
    pkg::SearchRequest req = request(5s);
    req.root = util::Root(root.path);
    req.use_cache = false;
    auto run = pkg::SearchRun::start(req, *rt);
    REQUIRE(run.ok());
    auto reports = drain(**run);
    std::vector<std::string> names;
    for (const auto& r : reports) {
        names.push_back(r.manager);
        CHECK_MESSAGE(r.status == pkg::ManagerStatus::skipped, r.manager << ": " << pkg::to_string(r.status));
    }
    std::vector<std::string> detected = pkg::default_search_managers(req.root, pkg::UseCache::no);
    CHECK(names == detected);
    CHECK(report_of(reports, "pacman").error.find("run zsyncctl pkg refresh -m pacman") != std::string::npos);
    CHECK(report_of(reports, "apt").error.find("apt-get update") != std::string::npos);
    CHECK(report_of(reports, "dnf").error == "command managers are not run under --root");
    CHECK(report_of(reports, "npm").error == "command managers are not run under --root");
    for (const char* exe : {"pacman", "dnf", "npm", "apt-get"}) {
        CHECK_FALSE(std::filesystem::exists(root.path / "usr/bin" / (std::string(exe) + ".ran")));
    }
}

TEST_CASE("sanitize_terminal removes escape sequences whole and every C0/C1/bidi control") {
    for (const auto& text : hostile_texts()) {
        std::string clean = util::sanitize_terminal(text);
        CHECK_MESSAGE(terminal_safe(clean), "not clean: " << clean);
        CHECK(util::is_terminal_safe(clean));
        CHECK_FALSE(util::is_terminal_safe(text));
    }
    // A whole sequence leaves one '?': the OSC 52 payload and the CSI parameters are gone.
    CHECK(util::sanitize_terminal("evil\x1b]52;c;cm0gLXJmIH4K\x07name") == "evil?name");
    CHECK(util::sanitize_terminal("clear\x1b[2J\x1b[Hscreen") == "clear??screen");
    CHECK(util::sanitize_terminal("t\x1b]0;pwned\x1b\\itle") == "t?itle");
    CHECK(util::sanitize_terminal("a\xc2\x9b"
                                  "31mb") == "a?b");
    CHECK(util::sanitize_terminal("tab\tnew\nline") == "tab new line");
    // An unterminated OSC swallows the rest: nothing after it can be a command to the terminal.
    CHECK(util::sanitize_terminal("x\x1b]52;c;AAAA") == "x?");
    // Ordinary text, UTF-8 included, is unchanged.
    CHECK(util::sanitize_terminal("Grüße, 日本語 – ok") == "Grüße, 日本語 – ok");
    CHECK(util::sanitize_terminal("bad\xff") == "bad\xef\xbf\xbd");
}

TEST_CASE("SearchRun makes every field of every result and every error terminal-safe") {
    auto rt = make_runtime();
    pkg::SearchOutcome found{pkg::ManagerStatus::ok, {}, {}};
    for (const auto& text : hostile_texts()) {
        pkg::SearchHit h;
        h.name = "hello" + text;
        h.version = text;
        h.description = text;
        found.hits.push_back(h);
    }
    found.error = "partial output: " + hostile_texts()[0];
    std::vector<pkg::PlannedSearch> plan;
    plan.push_back(planned("hostile", "", std::make_unique<FixedBackend>(found)));
    plan.push_back(planned("failing", "",
                           std::make_unique<FixedBackend>(pkg::SearchOutcome{
                               pkg::ManagerStatus::error, {}, "exit 1: " + hostile_texts()[3]})));
    auto run = pkg::SearchRun::run(std::move(plan), request(5s), *rt);
    auto reports = drain(*run);
    REQUIRE(reports[0].hits.size() == hostile_texts().size());
    for (const auto& h : reports[0].hits) {
        CHECK_MESSAGE(terminal_safe(h.name), h.name);
        CHECK_MESSAGE(terminal_safe(h.version), h.version);
        CHECK_MESSAGE(terminal_safe(h.description), h.description);
    }
    CHECK(terminal_safe(reports[0].error));
    CHECK(terminal_safe(reports[1].error));
}

TEST_CASE("rank_hits: exact name, name prefix, name substring, provides, description") {
    std::vector<pkg::SearchHit> hits{
        hit("grhino", "hello in the description"), // description
        hit("libhello-dev", "x"),                  // substring
        hit("mail-server", "y"),                   // matched elsewhere (provides)
        hit("hello-traditional", "z"),             // prefix, longer
        hit("hello:i386", "foreign"),              // exact (apt name:arch)
        hit("Hello", "the exact one, other case"), // exact
        hit("hellox", "prefix, short"),            // prefix, shorter
    };
    pkg::SearchQuery q;
    q.text = "hello";
    pkg::rank_hits(q, hits);
    std::vector<std::string> names;
    for (const auto& h : hits) {
        names.push_back(h.name);
    }
    CHECK(names == std::vector<std::string>{"hello:i386", "Hello", "hellox", "hello-traditional",
                                            "libhello-dev", "mail-server", "grhino"});
}

TEST_CASE("rank_hits on generated hits orders them as a stable sort by rank and name length would") {
    // Up to 5,000 hits, names of lengths up to 300 (past a byte of the sort key) and every
    // rank, against the rule spelled out: rank, then name length for ranks 1 and 2, then the given order.
    std::uint32_t seed = 7;
    auto next = [&] {
        seed = seed * 1103515245u + 12345u;
        return static_cast<std::size_t>((seed >> 16) & 0x7fff);
    };
    const std::vector<std::string> parts = {"hello", "x", "HeLLo", "-", "lib", "h", "ello"};
    for (std::size_t count : {0u, 1u, 7u, 511u, 512u, 5000u}) {
        std::vector<pkg::SearchHit> hits;
        for (std::size_t i = 0; i < count; ++i) {
            std::string name;
            std::size_t length = next() % (next() % 10 == 0 ? 300 : 20);
            while (name.size() < length) {
                name += parts[next() % parts.size()];
            }
            hits.push_back(
                hit(name + std::to_string(i % 3 == 0 ? i : 0), next() % 2 == 0 ? "says hello" : "no"));
        }
        pkg::SearchQuery q;
        q.text = "hello";
        auto rank = [&](const pkg::SearchHit& h) {
            std::string lower_name;
            for (char c : h.name.substr(0, h.name.find(':'))) {
                lower_name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            std::size_t at = lower_name.find("hello");
            if (at == std::string::npos) {
                return h.description.find("hello") != std::string::npos ? 4 : 3;
            }
            return at != 0 ? 2 : lower_name.size() == 5 ? 0 : 1;
        };
        std::vector<pkg::SearchHit> expected = hits;
        std::stable_sort(expected.begin(), expected.end(), [&](const auto& a, const auto& b) {
            int ra = rank(a);
            int rb = rank(b);
            if (ra != rb) {
                return ra < rb;
            }
            return (ra == 1 || ra == 2) && a.name.size() < b.name.size();
        });
        pkg::rank_hits(q, hits);
        std::vector<std::string> got;
        std::vector<std::string> want;
        for (std::size_t i = 0; i < hits.size(); ++i) {
            got.push_back(hits[i].name);
            want.push_back(expected[i].name);
        }
        CAPTURE(count);
        CHECK(got == want);
    }
}

TEST_CASE("SearchRun --limit keeps the best-ranked results and reports how many there were") {
    auto rt = make_runtime();
    pkg::SearchOutcome found{pkg::ManagerStatus::ok, {}, {}};
    // In name order, as a native index returns them: the exact match comes last.
    for (const char* name : {"a-hello-thing", "grhino", "hello", "hello-dev", "othello"}) {
        found.hits.push_back(hit(name, std::string(name) == "grhino" ? "says hello" : "x"));
    }
    auto backend = std::make_unique<FixedBackend>(found);
    FixedBackend* seen = backend.get();
    std::vector<pkg::PlannedSearch> plan;
    plan.push_back(planned("apt", "", std::move(backend)));
    auto req = request(5s);
    req.query.limit = 2;
    auto run = pkg::SearchRun::run(std::move(plan), req, *rt);
    auto reports = drain(*run);
    CHECK(seen->seen_limit == 0); // the backend returns everything; the limit applies after ranking
    REQUIRE(reports[0].hits.size() == 2);
    CHECK(reports[0].hits[0].name == "hello");
    CHECK(reports[0].hits[1].name == "hello-dev");
    CHECK(reports[0].total == 5);
}

TEST_CASE("SearchRun marks --race losers as expected, and a lone manager never waited for a lock group") {
    auto rt = make_runtime();
    {
        // "fast" wins after 500 ms, long after "broken" failed on its own: a manager whose search had not
        // yet run when the race was won is reported cancelled, a loser, and with a 10 ms winner that
        // happened to "broken" in CI's ASan step on a loaded machine (each search runs as a runtime task).
        std::vector<pkg::PlannedSearch> plan;
        plan.push_back(planned("broken", "",
                               std::make_unique<FixedBackend>(
                                   pkg::SearchOutcome{pkg::ManagerStatus::error, {}, "exit code 1"})));
        plan.push_back(planned("fast", "", std::make_unique<TimedBackend>(*rt, "fast", 500ms, 1)));
        plan.push_back(planned("slow", "", std::make_unique<TimedBackend>(*rt, "slow", 10s, 1)));
        auto run = pkg::SearchRun::run(std::move(plan), request(30s, true), *rt);
        auto reports = drain(*run);
        CHECK_FALSE(report_of(reports, "fast").lost_race);
        CHECK(report_of(reports, "slow").lost_race);
        CHECK_FALSE(report_of(reports, "broken").lost_race); // a real failure stays one
    }
    {
        std::vector<pkg::PlannedSearch> plan;
        plan.push_back(planned("apt", "apt-lock", std::make_unique<TimedBackend>(*rt, "apt", 10s, 1)));
        auto run = pkg::SearchRun::run(std::move(plan), request(0ms), *rt);
        auto reports = drain(*run);
        CHECK(reports[0].status == pkg::ManagerStatus::timeout);
        CHECK(reports[0].error.find("lock group") == std::string::npos);
    }
}

TEST_CASE("SearchRun command backend: offline and no repositories are statuses, not 0 results") {
    auto rt = make_runtime();
    test::TempDir dir("search-run");
    struct Case {
        const char* script;
        pkg::ManagerStatus status;
        const char* says;
    };
    const Case cases[] = {
        // gem: exit 0 on a DNS failure
        {"#!/bin/sh\necho 'ERROR:  Could not find a valid gem (Gem::RemoteFetcher::UnknownHostError)' >&2\n"
         "echo '    getaddrinfo: Temporary failure in name resolution (https://rubygems.org/)' >&2\nexit 0\n",
         pkg::ManagerStatus::offline, "UnknownHostError"},
        {"#!/bin/sh\necho 'Error: There are no enabled repositories in \"/etc/yum.repos.d\".' >&2\nexit 1\n",
         pkg::ManagerStatus::no_repositories, "no enabled repositories"},
        {"#!/bin/sh\necho 'No repositories defined. Use the zypper addrepo command.'\nexit 6\n",
         pkg::ManagerStatus::no_repositories, "No repositories defined"},
        // the real zypper 1.14 with --xmlout and no repository (exit 104): the message's text, not its tags
        {"#!/bin/sh\necho \"<?xml version='1.0'?>\"\necho '<stream>'\n"
         "echo '<message type=\"info\">Loading repository data...</message>'\n"
         "echo '<message type=\"warning\">No repositories defined. Operating only with the installed "
         "resolvables. Nothing can be installed &amp; &lt;ok&gt;.</message>'\n"
         "echo '<message type=\"info\">No matching items found.</message>'\necho '</stream>'\nexit 104\n",
         pkg::ManagerStatus::no_repositories,
         "No repositories defined. Operating only with the installed "
         "resolvables. Nothing can be installed & <ok>."},
        // npm: the error code and its reason, not the log file's location
        {"#!/bin/sh\necho 'npm error code E404' >&2\necho 'npm error 404 Not Found - GET "
         "https://r.example/x' >&2\n"
         "echo 'npm error A complete log of this run can be found in: /root/.npm/_logs/x.log' >&2\nexit 1\n",
         pkg::ManagerStatus::error, "E404 404 Not Found - GET https://r.example/x"},
        {"#!/bin/sh\nexit 0\n", pkg::ManagerStatus::ok, ""},
    };
    for (const auto& c : cases) {
        auto script = dir.write("bin/scripted", c.script, 0755);
        std::vector<pkg::PlannedSearch> plan;
        plan.push_back(planned("scripted", "", command_backend(*rt, script, Clock::now() + 10s)));
        auto run = pkg::SearchRun::run(std::move(plan), request(10s), *rt);
        auto reports = drain(*run);
        CHECK_MESSAGE(reports[0].status == c.status, c.script, " gave ", pkg::to_string(reports[0].status));
        CHECK_MESSAGE(reports[0].error.find(c.says) != std::string::npos, reports[0].error);
        CHECK(reports[0].error.find("_logs") == std::string::npos);
    }
}

TEST_CASE("SearchRun command backend keeps the output of a manager that exited but left a daemon") {
    auto rt = make_runtime();
    test::TempDir dir("search-run");
    // The daemon is in a session of its own and holds stdout for 30 s; the manager itself exits at once.
    auto script = dir.write("bin/scripted",
                            "#!/bin/sh\nprintf 'hello-2.12-r0 - A greeter\\n'\nsetsid sleep 30 &\n"
                            "echo $! >\"$0.pids\"\nexit 0\n",
                            0755);
    std::vector<pkg::PlannedSearch> plan;
    plan.push_back(planned("scripted", "", command_backend(*rt, script, Clock::now() + 20s)));
    auto started = Clock::now();
    auto run = pkg::SearchRun::run(std::move(plan), request(20s), *rt);
    auto reports = drain(*run);
    CHECK(Clock::now() - started < 5s);
    CHECK(reports[0].status == pkg::ManagerStatus::ok);
    REQUIRE(reports[0].hits.size() == 1);
    CHECK(reports[0].hits[0].name == "hello");
    for (pid_t p : read_pids(script.string() + ".pids", 1)) {
        ::kill(p, SIGKILL);
    }
}
