#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/install/install_plan.hpp"

namespace zsyncctl::pkg {

/// The two phases a run reports.
enum class Phase { download, install };

/// "download" / "install"; never fails.
std::string_view to_string(Phase phase);

/// What kind of thing a progress update reports.
enum class UpdateKind {
    progress, // a step or a percentage
    error,    // the manager reported an error for a package (apt pmerror)
    prompt,   // the manager asks a question (apt pmconffile, media-change)
};

/// One progress update for the renderer. `percent` is overall (both phases weighted), never lower than a
/// previous update's, 100 only in the final update; nullopt when the manager gives no honest total.
struct ProgressUpdate {
    UpdateKind kind = UpdateKind::progress;
    Phase phase = Phase::install;
    std::optional<int> percent;
    std::string package;
    std::string message;
};

/// Turns per-phase percentages into one overall percentage: the download phase weighs `download_weight`
/// (0..1) and the install phase the rest. The result never goes backwards and stays below 100 until
/// finish(). Not thread-safe.
class ProgressModel {
public:
    explicit ProgressModel(double download_weight = 0.3);

    /// Records download progress (0..100 of the download phase); returns the overall percentage.
    int on_download(double percent);
    /// Records install progress (0..100 of the install phase); returns the overall percentage.
    int on_install(double percent);
    /// Marks the run complete; returns 100.
    int finish();
    /// The overall percentage so far.
    int percent() const { return m_percent; }

private:
    int advance(double overall);

    double m_download_weight;
    int m_percent = 0;
};

/// Follows one manager run: fed the status-fd lines (apt) and the output lines, it yields progress updates
/// in the style of the plan, and remembers what the manager last reported (for an interrupted run) and the
/// errors it reported. Not thread-safe: feed it from one thread.
class ProgressTracker {
public:
    ProgressTracker(ProgressStyle style, Operation operation);

    /// Feeds one line from apt's status fd; returns an update when the line is one.
    std::optional<ProgressUpdate> on_status_line(std::string_view line);
    /// Feeds one line of the manager's stdout or stderr; returns an update when it carries progress (or,
    /// for the last_line style, any non-empty line).
    std::optional<ProgressUpdate> on_output_line(std::string_view line);
    /// The final update: 100% when `success`, else the last percentage reached.
    ProgressUpdate finish(bool success);

    /// The overall percentage reached so far (0 when the style gives none).
    int percent() const { return m_model.percent(); }
    /// What the manager last reported, e.g. "install 60%: Configuring zs-hello (amd64)"; empty before any.
    std::string last_state() const;
    /// The errors the manager reported on its status fd (apt pmerror), "package: message".
    const std::vector<std::string>& errors() const { return m_errors; }
    /// The last non-empty output line.
    const std::string& last_line() const { return m_last_line; }

private:
    std::optional<ProgressUpdate> counted_step(std::string_view line);
    std::optional<ProgressUpdate> brew_step(std::string_view line);
    ProgressUpdate make(Phase phase, std::optional<int> percent, std::string package, std::string message);

    ProgressStyle m_style;
    ProgressModel m_model;
    bool m_has_percent = false;
    Phase m_phase = Phase::download;
    std::string m_package;
    std::string m_message;
    std::string m_last_line;
    std::vector<std::string> m_errors;
};

} // namespace zsyncctl::pkg
