#pragma once
// What the tests of searches and simulations share: a runtime with a two-worker pool, whether a pid is
// still there, the pids a test's script wrote, the production command backend over such a script (as
// detection would have found it on the host), and hits as comparable text.
#include <doctest/doctest.h>

#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/runtime.hpp"
#include "pkg/search/search.hpp"

namespace test_support {

inline std::unique_ptr<zsyncctl::core::Runtime> make_runtime() {
    zsyncctl::core::Config config;
    config.execution_model = zsyncctl::core::ExecutionModel::thread_pool;
    config.workers = 2;
    auto rt = zsyncctl::core::Runtime::create(config);
    REQUIRE(rt.ok());
    return std::move(*rt);
}

/// True while `pid` exists (a zombie included): kill(pid, 0) fails with ESRCH only once it is reaped.
inline bool process_exists(pid_t pid) {
    return ::kill(pid, 0) == 0 || errno != ESRCH;
}

/// The pids a script of the test wrote to `file` (one per line), waiting (10 s at most) until `count`
/// are there.
inline std::vector<pid_t> read_pids(const std::filesystem::path& file, std::size_t count) {
    using namespace std::chrono_literals;
    std::vector<pid_t> pids;
    for (auto limit = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < limit;
         std::this_thread::sleep_for(20ms)) {
        pids.clear();
        std::ifstream in(file);
        for (pid_t p = 0; in >> p;) {
            pids.push_back(p);
        }
        if (pids.size() >= count) {
            break;
        }
    }
    return pids;
}

/// A registry-like manager ("scripted") whose search command is a script of the test, its output read by
/// the apk parser.
inline const zsyncctl::pkg::Manager& script_manager() {
    static const zsyncctl::pkg::Manager manager{
        .id = "scripted",
        .display_name = "Scripted",
        .executables = {"scripted"},
        .search = {.method = zsyncctl::pkg::SearchMethod::command,
                   .argv = {"{exe}", "{query}"},
                   .parser = "apk"},
    };
    return manager;
}

/// The production command backend over `script`, with `deadline`.
inline std::unique_ptr<zsyncctl::pkg::SearchBackend>
command_backend(zsyncctl::core::Runtime& rt, const std::filesystem::path& script,
                std::chrono::steady_clock::time_point deadline) {
    zsyncctl::pkg::DetectedManager detected;
    detected.manager = &script_manager();
    detected.executable = script.string();
    zsyncctl::pkg::BackendEnv env;
    env.runtime = &rt;
    env.deadline = deadline;
    return zsyncctl::pkg::make_command_backend(script_manager(), &detected, env);
}

/// Hits as text, one line each with every field a comparison of two searches looks at.
inline std::string describe(const std::vector<zsyncctl::pkg::SearchHit>& hits) {
    std::string out;
    for (const auto& h : hits) {
        out += h.name + " " + h.version + " " + h.installed_version + " " + h.candidate + " " +
               (h.installed ? "i" : "-") + " " + h.description + " " + h.match_reason + "\n";
    }
    return out;
}

} // namespace test_support
