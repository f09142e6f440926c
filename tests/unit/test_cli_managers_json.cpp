// `pkg managers --json`'s writer (managers_text) against the nlohmann document it replaced: the builder
// below is the one cmd_pkg_managers used until the writer, kept as the reference; its dump through
// json_text's settings must equal the writer's bytes.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <random>
#include <string>
#include <vector>

#include "cli/documents.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/registry/registry.hpp"
#include "random_text.hpp"

using namespace zsyncctl;

namespace {

std::string_view privilege_name(pkg::InstallPrivilege privilege) {
    switch (privilege) {
    case pkg::InstallPrivilege::root:
        return "root";
    case pkg::InstallPrivilege::user:
        return "user";
    case pkg::InstallPrivilege::polkit:
        return "polkit";
    }
    return "root";
}

nlohmann::json nullable(std::string_view text) {
    return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::string(text));
}

nlohmann::json entry_json(const pkg::Manager& m) {
    nlohmann::json platforms = nlohmann::json::array();
    for (auto name : pkg::platform_names(m.platforms)) {
        platforms.push_back(std::string(name));
    }
    return {{"name", std::string(m.id)},
            {"display_name", std::string(m.display_name)},
            {"kind", std::string(pkg::to_string(m.kind))},
            {"platforms", std::move(platforms)},
            {"needs_root", m.install_privilege == pkg::InstallPrivilege::root},
            {"install_privilege", std::string(privilege_name(m.install_privilege))},
            {"lock_group", nullable(m.lock_group)}};
}

std::string reference_text(const pkg::Detection& detection, const std::vector<pkg::VersionResult>& versions,
                           bool all) {
    std::uint32_t os_bit = pkg::platform_bit(detection.os);
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i = 0; i < detection.managers.size(); ++i) {
        const auto& d = detection.managers[i];
        nlohmann::json obj = entry_json(*d.manager);
        obj["detected"] = true;
        obj["path"] = nullable(d.executable);
        obj["prefix"] = nullable(d.prefix);
        obj["version"] = nullptr;
        if (i < versions.size()) {
            const auto& v = versions[i];
            obj["version"] = v.version ? nlohmann::json(*v.version) : nlohmann::json(nullptr);
            obj["version_output"] = nullable(v.raw);
            obj["version_error"] = v.error ? nlohmann::json(v.error->message) : nlohmann::json(nullptr);
            obj["version_ms"] = v.elapsed.count();
        }
        nlohmann::json evidence = nlohmann::json::array();
        for (const auto& e : d.evidence) {
            evidence.push_back(e.describe());
        }
        obj["evidence"] = std::move(evidence);
        obj["preferred"] = d.preferred;
        obj["mismatch"] = nullable(d.mismatch);
        list.push_back(std::move(obj));
    }
    if (all) {
        for (const auto& m : pkg::registry()) {
            if (!detection.find(m.id).empty()) {
                continue;
            }
            nlohmann::json obj = entry_json(m);
            obj["detected"] = false;
            obj["path"] = nullptr;
            obj["prefix"] = nullptr;
            obj["version"] = nullptr;
            obj["available_on_os"] = os_bit == 0 || (m.platforms & os_bit) != 0;
            list.push_back(std::move(obj));
        }
    }
    return list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

TEST_CASE("managers_text writes the bytes of the nlohmann document it replaced") {
    SUBCASE("this machine's detection, with and without --all") {
        auto detection = pkg::detect_managers(pkg::DetectContext::current(util::Root()), pkg::UseCache::no);
        for (bool all : {false, true}) {
            CHECK(cli::managers_text(detection, {}, all) == reference_text(detection, {}, all));
        }
    }
    SUBCASE("500 random detections: versions or not, bad UTF-8, every OS") {
        std::mt19937 rng(1203);
        auto table = pkg::registry();
        static const char* const k_os[] = {"linux", "macos", "windows", "freebsd", "plan9", ""};
        for (int i = 0; i < 500; ++i) {
            pkg::Detection detection;
            detection.os = k_os[i % 6];
            std::vector<pkg::VersionResult> versions;
            for (int n = static_cast<int>(rng() % 6); n > 0; --n) {
                pkg::DetectedManager d;
                d.manager = &table[rng() % table.size()];
                d.executable = test_support::hostile_text(rng);
                d.prefix = test_support::hostile_text(rng);
                d.preferred = (rng() % 2) == 0;
                d.mismatch = test_support::hostile_text(rng);
                for (int e = static_cast<int>(rng() % 3); e > 0; --e) {
                    d.evidence.push_back(
                        {static_cast<pkg::Evidence::Source>(rng() % 4), test_support::hostile_text(rng)});
                }
                detection.managers.push_back(std::move(d));
                pkg::VersionResult v;
                if (rng() % 2 == 0) {
                    v.version = test_support::hostile_text(rng);
                }
                v.raw = test_support::hostile_text(rng);
                if (rng() % 2 == 0) {
                    util::Error error;
                    error.kind = util::ErrorKind::timeout;
                    error.message = test_support::hostile_text(rng);
                    v.error = error;
                }
                v.elapsed = std::chrono::milliseconds(rng() % 100000);
                versions.push_back(std::move(v));
            }
            if (rng() % 3 == 0) {
                versions.resize(versions.size() / 2); // fewer versions than managers
            } else if (rng() % 2 == 0) {
                versions.clear();
            }
            bool all = (i % 2) == 0;
            std::string got = cli::managers_text(detection, versions, all);
            CHECK(got == reference_text(detection, versions, all));
            if (got != reference_text(detection, versions, all)) {
                break;
            }
        }
    }
}
