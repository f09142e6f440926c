#include "pkg/install/progress.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "pkg/install/apt_status.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// Verbs that start one package's install-phase step in "(i/n) VERB NAME" lines (pacman, apk, zypper,
// FreeBSD pkg, dnf5) and "VERB : NAME i/n" lines (dnf4/yum).
constexpr std::array k_install_verbs = {"installing", "upgrading", "reinstalling", "downgrading",
                                        "removing",   "purging",   "deleting",     "deinstalling",
                                        "replacing",  "erasing",   "obsoleting",   "updating"};
constexpr std::array k_download_verbs = {"fetching", "downloading", "retrieving"};

template <std::size_t N>
bool is_one_of(std::string_view word, const std::array<const char*, N>& words) {
    std::string lower = util::to_lower(word);
    while (!lower.empty() && lower.back() == ':') {
        lower.pop_back();
    }
    return std::any_of(words.begin(), words.end(), [&](const char* w) { return lower == w; });
}

struct Count {
    std::uint64_t index = 0;
    std::uint64_t total = 0;
};

// Parses "i/n" with 1 <= i <= n.
std::optional<Count> parse_count(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    auto i = util::parse_uint(text.substr(0, slash));
    auto n = util::parse_uint(text.substr(slash + 1));
    if (!i || !n || *i == 0 || *n == 0 || *i > *n || *n > 1000000) {
        return std::nullopt;
    }
    return Count{*i, *n};
}

std::string_view first_word(std::string_view text, std::string_view* rest = nullptr) {
    text = util::trim(text);
    auto sp = text.find_first_of(" \t");
    std::string_view word = text.substr(0, sp);
    if (rest != nullptr) {
        *rest = sp == std::string_view::npos ? std::string_view() : util::trim(text.substr(sp));
    }
    return word;
}

double fraction_started(const Count& c) {
    return 100.0 * static_cast<double>(c.index - 1) / static_cast<double>(c.total);
}

double fraction_done(const Count& c) {
    return 100.0 * static_cast<double>(c.index) / static_cast<double>(c.total);
}

} // namespace

std::string_view to_string(Phase phase) {
    return phase == Phase::download ? "download" : "install";
}

ProgressModel::ProgressModel(double download_weight)
    : m_download_weight(std::clamp(download_weight, 0.0, 1.0)) {}

int ProgressModel::advance(double overall) {
    int value = static_cast<int>(std::floor(std::clamp(overall, 0.0, 99.0)));
    m_percent = std::max(m_percent, value);
    return m_percent;
}

int ProgressModel::on_download(double percent) {
    return advance(m_download_weight * std::clamp(percent, 0.0, 100.0));
}

int ProgressModel::on_install(double percent) {
    return advance(100.0 * m_download_weight + (1.0 - m_download_weight) * std::clamp(percent, 0.0, 100.0));
}

int ProgressModel::finish() {
    m_percent = 100;
    return m_percent;
}

ProgressTracker::ProgressTracker(ProgressStyle style, Operation operation)
    // A removal downloads nothing, so the whole bar is the install phase.
    : m_style(style), m_model(operation == Operation::remove ? 0.0 : 0.3) {}

ProgressUpdate ProgressTracker::make(Phase phase, std::optional<int> percent, std::string package,
                                     std::string message) {
    m_phase = phase;
    if (percent) {
        m_has_percent = true;
    }
    if (!package.empty()) {
        m_package = package;
    }
    m_message = message;
    ProgressUpdate u;
    u.phase = phase;
    u.percent = percent;
    u.package = m_package;
    u.message = std::move(message);
    return u;
}

std::optional<ProgressUpdate> ProgressTracker::on_status_line(std::string_view line) {
    auto parsed = parse_apt_status_line(line);
    if (!parsed) {
        return std::nullopt;
    }
    switch (parsed->kind) {
    case AptStatusKind::dlstatus:
        return make(Phase::download, m_model.on_download(parsed->percent), {}, parsed->message);
    case AptStatusKind::pmstatus: {
        std::string package = parsed->id == "dpkg-exec" ? std::string() : parsed->id;
        return make(Phase::install, m_model.on_install(parsed->percent), std::move(package), parsed->message);
    }
    case AptStatusKind::pmerror: {
        m_errors.push_back(parsed->id + ": " + parsed->message);
        ProgressUpdate u =
            make(Phase::install, m_model.on_install(parsed->percent), parsed->id, parsed->message);
        u.kind = UpdateKind::error;
        return u;
    }
    case AptStatusKind::pmconffile: {
        ProgressUpdate u = make(Phase::install, m_model.percent(), {},
                                "configuration file " + parsed->id + " needs a decision");
        u.kind = UpdateKind::prompt;
        return u;
    }
    case AptStatusKind::media_change: {
        ProgressUpdate u =
            make(m_phase, m_model.percent(), {}, "insert medium '" + parsed->id + "' in " + parsed->message);
        u.kind = UpdateKind::prompt;
        return u;
    }
    }
    return std::nullopt;
}

std::optional<ProgressUpdate> ProgressTracker::counted_step(std::string_view line) {
    std::string_view text = util::trim(line);
    if (text.empty()) {
        return std::nullopt;
    }
    // "(i/n) VERB NAME …" or "[i/n] VERB NAME …" (pacman, apk, zypper, FreeBSD pkg, dnf5), and dnf4's
    // download lines "(i/n): NAME.rpm  12 kB/s | …".
    if (text.front() == '(' || text.front() == '[') {
        char close = text.front() == '(' ? ')' : ']';
        auto end = text.find(close);
        if (end == std::string_view::npos) {
            return std::nullopt;
        }
        auto count = parse_count(text.substr(1, end - 1));
        if (!count) {
            return std::nullopt;
        }
        std::string_view after = text.substr(end + 1);
        if (!after.empty() && after.front() == ':') {
            std::string name(first_word(after.substr(1)));
            return make(Phase::download, m_model.on_download(fraction_done(*count)), name,
                        "downloaded " + name);
        }
        std::string_view rest;
        std::string_view verb = first_word(after, &rest);
        std::string name(first_word(rest));
        if (!name.empty() && name.back() == ':') {
            name.pop_back();
        }
        if (is_one_of(verb, k_install_verbs)) {
            return make(Phase::install, m_model.on_install(fraction_started(*count)), name,
                        std::string(util::trim(after)));
        }
        if (is_one_of(verb, k_download_verbs)) {
            return make(Phase::download, m_model.on_download(fraction_started(*count)), name,
                        std::string(util::trim(after)));
        }
        return std::nullopt;
    }
    // zypper: "Retrieving package NAME-VER.ARCH (i/n), 12.3 KiB (…)".
    if (text.starts_with("Retrieving package ")) {
        std::string_view rest = text.substr(19);
        std::string name(first_word(rest));
        auto open = rest.find('(');
        auto close = rest.find(')', open == std::string_view::npos ? 0 : open);
        if (open != std::string_view::npos && close != std::string_view::npos) {
            if (auto count = parse_count(rest.substr(open + 1, close - open - 1))) {
                return make(Phase::download, m_model.on_download(fraction_started(*count)), name,
                            "retrieving " + name);
            }
        }
        return std::nullopt;
    }
    // dnf4/yum: "  Installing       : NAME-VER.ARCH     1/3".
    auto colon = text.find(" : ");
    if (colon != std::string_view::npos && is_one_of(util::trim(text.substr(0, colon)), k_install_verbs)) {
        std::string_view rest = util::trim(text.substr(colon + 3));
        auto sp = rest.find_last_of(" \t");
        if (sp != std::string_view::npos) {
            if (auto count = parse_count(rest.substr(sp + 1))) {
                std::string name(first_word(rest));
                std::string verb(util::trim(text.substr(0, colon)));
                return make(Phase::install, m_model.on_install(fraction_started(*count)), name,
                            verb + " " + name);
            }
        }
    }
    return std::nullopt;
}

std::optional<ProgressUpdate> ProgressTracker::brew_step(std::string_view line) {
    std::string_view text = util::trim(line);
    if (!text.starts_with("==> ")) {
        return std::nullopt;
    }
    std::string_view rest;
    std::string_view verb = first_word(text.substr(4), &rest);
    std::string name(first_word(rest));
    if (verb == "Fetching" || verb == "Downloading") {
        if (verb == "Downloading") {
            // A URL: keep its last path component.
            auto slash = name.find_last_of('/');
            if (slash != std::string::npos) {
                name = name.substr(slash + 1);
            }
        }
        return make(Phase::download, std::nullopt, name, std::string(text.substr(4)));
    }
    if (verb == "Pouring" || verb == "Installing" || verb == "Uninstalling" || verb == "Upgrading") {
        // "Pouring wget--1.24.5.arm64_sonoma.bottle.tar.gz": the formula is before "--".
        auto dashes = name.find("--");
        if (dashes != std::string::npos) {
            name = name.substr(0, dashes);
        }
        return make(Phase::install, std::nullopt, name, std::string(text.substr(4)));
    }
    return std::nullopt;
}

std::optional<ProgressUpdate> ProgressTracker::on_output_line(std::string_view line) {
    std::string_view text = util::trim(line);
    if (!text.empty()) {
        m_last_line = std::string(text);
    }
    switch (m_style) {
    case ProgressStyle::apt_status_fd:
        // The status fd carries the progress; output lines are only remembered.
        return std::nullopt;
    case ProgressStyle::counted_steps:
        return counted_step(line);
    case ProgressStyle::brew_steps:
        return brew_step(line);
    case ProgressStyle::last_line:
        if (text.empty()) {
            return std::nullopt;
        }
        return make(Phase::install, std::nullopt, {}, std::string(text));
    }
    return std::nullopt;
}

ProgressUpdate ProgressTracker::finish(bool success) {
    ProgressUpdate u;
    u.phase = Phase::install;
    u.package = m_package;
    if (success) {
        u.percent = m_model.finish();
        u.message = "done";
    } else {
        u.percent = m_has_percent ? std::optional<int>(m_model.percent()) : std::nullopt;
        u.message = "failed";
    }
    return u;
}

std::string ProgressTracker::last_state() const {
    if (m_message.empty() && m_package.empty()) {
        return m_last_line;
    }
    std::string s(to_string(m_phase));
    if (m_has_percent) {
        s += " " + std::to_string(m_model.percent()) + "%";
    }
    s += ": ";
    s += m_message.empty() ? m_package : m_message;
    return s;
}

} // namespace zsyncctl::pkg
