#include "pkg/detect/version_probe.hpp"

#include <csignal>
#include <memory>

#include "core/process.hpp"
#include "pkg/detect/db_version.hpp"
#include "pkg/detect/probe.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t k_max_output = 64 * 1024;

using Outcome = ProbeOutcome;

std::string first_line(std::string_view text) {
    for (auto line : util::split_lines(text)) {
        auto trimmed = util::trim(line);
        if (!trimmed.empty()) {
            return util::sanitize_for_display(trimmed);
        }
    }
    return {};
}

std::string last_line(std::string_view text) {
    auto lines = util::split_lines(text);
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        auto trimmed = util::trim(*it);
        if (!trimmed.empty()) {
            return util::sanitize_for_display(trimmed);
        }
    }
    return {};
}

// The line holding the version, for `raw`.
std::string line_with(std::string_view text, const std::string& version) {
    for (auto line : util::split_lines(text)) {
        if (line.find(version) != std::string_view::npos) {
            return util::sanitize_for_display(util::trim(line));
        }
    }
    return first_line(text);
}

VersionResult from_outcome(const Outcome& outcome, std::chrono::milliseconds timeout) {
    const core::ProcessResult& r = outcome.result;
    VersionResult result;
    result.elapsed = r.elapsed;
    // A command whose output a child kept open past the deadline did not finish either.
    if (r.outcome == core::ProcessOutcome::timed_out || r.output_cut_off) {
        result.raw = last_line(outcome.output);
        result.error = util::make_error(
            util::ErrorKind::timeout, "no answer within " + std::to_string(timeout.count()) + " ms (killed)");
        return result;
    }
    if (r.outcome == core::ProcessOutcome::cancelled) {
        result.error = util::make_error(util::ErrorKind::cancelled, "cancelled");
        return result;
    }
    if (r.outcome == core::ProcessOutcome::killed) {
        result.raw = last_line(outcome.output);
        result.error =
            util::make_error(util::ErrorKind::command_failed, "killed by signal " + std::to_string(r.signal));
        return result;
    }
    if (r.exit_code != 0) {
        result.raw = last_line(outcome.output);
        result.error = util::make_error(util::ErrorKind::command_failed,
                                        "exited with status " + std::to_string(r.exit_code) +
                                            (result.raw.empty() ? "" : ": " + result.raw));
        return result;
    }
    result.version = extract_version(outcome.output);
    if (result.version) {
        result.raw = line_with(outcome.output, *result.version);
    } else {
        result.raw = first_line(outcome.output);
        result.error = util::make_error(
            util::ErrorKind::parse, result.raw.empty() ? "printed nothing" : "no version in: " + result.raw);
    }
    return result;
}

VersionResult from_file(const DetectContext& context, const DetectedManager& detected) {
    VersionResult result;
    auto path = expand_template(detected.manager->version_file, context, detected.prefix);
    if (!path) {
        result.error = util::make_error(util::ErrorKind::not_found, "no version file location");
        return result;
    }
    auto text = context.root.read(*path, 4096);
    if (!text) {
        result.error = text.error();
        return result;
    }
    result.version = extract_version(*text);
    result.raw = first_line(*text);
    if (!result.version) {
        result.error = util::make_error(util::ErrorKind::parse, "no version in " + *path);
    }
    return result;
}

// Under a non-host root nothing inside it is executed: the root's package database says which version is
// installed, or the version is unknown.
VersionResult from_db(const DetectContext& context, const DetectedManager& detected) {
    VersionResult result;
    const DbVersion& where = detected.manager->version_db;
    if (where.db == VersionDb::none) {
        result.error = util::make_error(util::ErrorKind::unsupported, "unknown (not executed under --root)");
        return result;
    }
    auto version = read_db_version(context.root, where);
    if (!version) {
        result.error = util::make_error(version.error().kind, "unknown (not executed under --root; " +
                                                                  version.error().message + ")");
        return result;
    }
    result.raw = std::string(describe(where.db)) + ": " + std::string(where.package) + " " + *version;
    result.version = util::sanitize_for_display(*version);
    return result;
}

} // namespace

// Starts one version command on the runtime's loop: LC_ALL=C, stdin from /dev/null, its own process group
// killed at `timeout`; stdout and stderr go into one text (the first 64 KiB), like a terminal shows them.
core::Future<ProbeOutcome> start_probe_command(core::Runtime& runtime, std::vector<std::string> argv,
                                               std::chrono::milliseconds timeout,
                                               const core::CancellationToken& token) {
    auto output = std::make_shared<std::string>();
    auto keep = [output](std::string_view line) {
        if (output->size() < k_max_output) {
            output->append(line);
            output->push_back('\n');
        }
    };
    core::ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.set_env("LC_ALL", "C").set_env("LANG", "C");
    spec.on_stdout_line = keep;
    spec.on_stderr_line = keep;
    spec.capture_limit = 0;
    spec.timeout = timeout;
    spec.kill_grace = std::chrono::milliseconds(300);
    // Shims leave helpers behind that hold the pipe: read until the deadline, then give up on them.
    spec.drain_after_exit = timeout;
    return core::spawn_process(runtime, std::move(spec), token)
        .then([output](util::Result<core::ProcessResult> result) -> util::Result<Outcome> {
            if (!result) {
                return util::fail(std::move(result).error());
            }
            if (result->output_cut_off) {
                // The group outlived its leader; its id cannot be reused while the group has members.
                ::kill(-result->pid, SIGKILL);
            }
            return Outcome{std::move(*result), std::move(*output)};
        });
}

std::optional<std::string> extract_version(std::string_view output) {
    auto is_suffix = [&](char c) {
        return util::is_ascii_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
               c == '+' || c == '~' || c == '_' || c == '-';
    };
    for (std::size_t i = 0; i < output.size(); ++i) {
        if (!util::is_ascii_digit(output[i]) || (i > 0 && util::is_ascii_digit(output[i - 1]))) {
            continue;
        }
        // A run of digit groups separated by dots: needs at least one dot followed by a digit.
        std::size_t j = i;
        int dots = 0;
        while (j < output.size() && util::is_ascii_digit(output[j])) {
            ++j;
        }
        while (j + 1 < output.size() && output[j] == '.' && util::is_ascii_digit(output[j + 1])) {
            ++dots;
            ++j;
            while (j < output.size() && util::is_ascii_digit(output[j])) {
                ++j;
            }
        }
        if (dots == 0) {
            i = j;
            continue;
        }
        while (j < output.size() && is_suffix(output[j])) {
            ++j;
        }
        std::string version(output.substr(i, j - i));
        while (!version.empty() &&
               (version.back() == '.' || version.back() == '-' || version.back() == '_')) {
            version.pop_back();
        }
        return version;
    }
    return std::nullopt;
}

std::vector<VersionResult> probe_versions(core::Runtime& runtime, const DetectContext& context,
                                          const std::vector<DetectedManager>& managers,
                                          std::chrono::milliseconds timeout) {
    std::vector<VersionResult> results(managers.size());
    std::vector<std::pair<std::size_t, core::Future<Outcome>>> pending;
    auto deadline = Clock::now() + timeout;
    core::CancellationToken token = runtime.token().child();
    for (std::size_t i = 0; i < managers.size(); ++i) {
        const DetectedManager& detected = managers[i];
        const Manager& entry = *detected.manager;
        if (!entry.version_file.empty()) {
            results[i] = from_file(context, detected);
            continue;
        }
        if (!context.root.is_host()) {
            results[i] = from_db(context, detected);
            continue;
        }
        if (entry.version_argv.empty() || detected.executable.empty()) {
            results[i].error = util::make_error(util::ErrorKind::unsupported, "no version command");
            continue;
        }
        std::string exe = probe_path(context.root, detected.executable).host_path;
        std::vector<std::string> argv;
        for (auto arg : entry.version_argv) {
            argv.push_back(arg == "{exe}" ? exe : std::string(arg));
        }
        // Every command gets until the common deadline, however late it was started.
        auto left = std::max(std::chrono::milliseconds(1),
                             std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
        pending.emplace_back(i, start_probe_command(runtime, std::move(argv), left, token));
    }
    for (auto& [index, future] : pending) {
        // The spawn's own timeout ends every command; the extra time only guards a stuck loop.
        auto outcome = future.wait_for(timeout + std::chrono::seconds(2));
        if (outcome) {
            results[index] = from_outcome(*outcome, timeout);
        } else {
            token.cancel();
            results[index].error = outcome.error();
        }
    }
    return results;
}

} // namespace zsyncctl::pkg
