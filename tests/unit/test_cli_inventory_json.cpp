// `pkg list/outdated/which --json` print their document a piece at a time (stream_inventory_document);
// its bytes must be json_text(inventory_document(...))'s, the tree serve answers with, for every kind, for
// no report, empty ones, thousands of entries (several 64 KiB blocks) and hostile text in every field.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "cli/cmd_pkg_list_report.hpp"
#include "cli/json.hpp"
#include "random_text.hpp"

using namespace zsyncctl;

namespace {

std::vector<pkg::InventoryReport> generated_reports(std::mt19937& rng, std::size_t managers,
                                                    std::size_t per_manager) {
    auto text = [&] {
        return test_support::hostile_text(rng);
    };
    std::vector<pkg::InventoryReport> reports;
    for (std::size_t m = 0; m < managers; ++m) {
        pkg::InventoryReport r;
        r.manager = m % 3 == 0 ? "apt" : text();
        r.status = m % 4 == 3 ? pkg::InventoryStatus::error : pkg::InventoryStatus::ok;
        r.error = text();
        r.hint = text();
        r.note = text();
        r.elapsed_ms = static_cast<std::int64_t>(rng() % 5000);
        std::size_t n = m % 5 == 1 ? 0 : per_manager; // some managers with nothing
        for (std::size_t i = 0; i < n; ++i) {
            pkg::InstalledPackage p;
            p.name = "pkg-" + std::to_string(i) + text();
            p.version = text();
            p.architecture = text();
            p.state = text();
            p.state_abbrev = text();
            p.reason = static_cast<pkg::InstallReason>(rng() % 3);
            p.held = rng() % 2 == 0;
            p.present = rng() % 2 == 0;
            if (i % 7 == 0) {
                p.origin = text();
            }
            if (i % 11 == 0) {
                p.commit = "c" + text();
                p.branch = text();
            }
            r.packages.push_back(p);
            pkg::OutdatedPackage o;
            o.name = p.name;
            o.architecture = text();
            o.installed = text();
            o.candidate = text();
            o.skip_reason = i % 5 == 0 ? text() : std::string();
            o.installation = i % 9 == 0 ? text() : std::string();
            r.outdated.push_back(o);
            pkg::FileOwner f{p.name, "/usr/bin/" + text(), text()};
            (i % 2 == 0 ? r.owners : r.providers).push_back(f);
        }
        reports.push_back(r);
    }
    return reports;
}

std::string streamed(pkg::InventoryKind kind, const std::vector<pkg::InventoryReport>& reports,
                     const std::string& query, const pkg::CommandResolution* which, std::size_t& blocks) {
    std::string out;
    blocks = 0;
    cli::stream_inventory_document(kind, reports, query, which, [&](const std::string& lines) {
        CHECK(!lines.empty());
        CHECK(lines.back() != '\n'); // Output::line adds it
        out += lines;
        out += '\n';
        ++blocks;
    });
    return out;
}

} // namespace

TEST_CASE("stream_inventory_document writes json_text(inventory_document)'s bytes") {
    std::mt19937 rng(20261206);
    pkg::CommandResolution which;
    which.query = "ls";
    which.found = "/usr/bin/ls";
    which.on_path = true;
    which.steps = {"/usr/bin/ls", "/usr/bin/\x1b[31mls"};
    which.note = "a note \"quoted\"";
    for (auto kind : {pkg::InventoryKind::list, pkg::InventoryKind::outdated, pkg::InventoryKind::which}) {
        for (auto sizes : {std::pair<std::size_t, std::size_t>{0, 0}, {1, 0}, {1, 1}, {4, 3}, {3, 2500}}) {
            // Not a structured binding: clang does not let CAPTURE's lambda refer to one.
            const std::size_t managers = sizes.first;
            const std::size_t per = sizes.second;
            CAPTURE(static_cast<int>(kind));
            CAPTURE(managers);
            CAPTURE(per);
            auto reports = generated_reports(rng, managers, per);
            for (const pkg::CommandResolution* w : {static_cast<const pkg::CommandResolution*>(nullptr),
                                                    static_cast<const pkg::CommandResolution*>(&which)}) {
                std::string query = test_support::hostile_text(rng);
                std::size_t blocks = 0;
                std::string got = streamed(kind, reports, query, w, blocks);
                std::string want = cli::json_text(cli::inventory_document(kind, reports, query, w)) + "\n";
                REQUIRE(got == want);
                if (per >= 2500) {
                    CHECK(blocks > 3); // written in pieces, not as one document
                }
            }
        }
    }
}
