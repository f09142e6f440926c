#include "pkg/install/simulation.hpp"
#include "pkg/install/simulation_apk.hpp"
#include "pkg/install/simulation_npm.hpp"
#include "pkg/install/simulation_zypper.hpp"

#include <algorithm>
#include <csignal>

#include <nlohmann/json.hpp>

#include "core/process.hpp"
#include "pkg/install/install.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// Whitespace-separated words of a line.
std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
            ++i;
        }
        std::size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t') {
            ++j;
        }
        if (j > i) {
            out.push_back(line.substr(i, j - i));
        }
        i = j;
    }
    return out;
}

// The text between the first `open` at or after `from` and the matching `close`, advancing `from`.
std::string_view bracketed(std::string_view line, std::size_t& from, char open, char close) {
    std::size_t a = line.find(open, from);
    if (a == std::string_view::npos) {
        return {};
    }
    std::size_t b = line.find(close, a + 1);
    if (b == std::string_view::npos) {
        return {};
    }
    from = b + 1;
    return line.substr(a + 1, b - a - 1);
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

// apt-get -s (apt-get(8), apt's "simulate" output): one line per action.
//   Inst NAME (NEW ARCHIVE [ARCH])            a new package
//   Inst NAME [OLD] (NEW ARCHIVE [ARCH])      an upgrade (or downgrade/reinstall)
//   Remv NAME [OLD]  /  Purg NAME [OLD]       a removal
//   Conf NAME (...)                           configuration of a package above
//   The following packages have been kept back:   then the names on indented lines
//   WARNING: The following essential packages will be removed.   then a line of warning, then the names
//     on indented lines. apt-get -y refuses such a transaction ("Essential packages were removed and -y
//     was used without --allow-remove-essential") and zsyncctl never passes that option, so the
//     simulation says what the real run would: it cannot be done (`refused`).
void parse_apt(std::string_view out, SimulationResult& result, bool& refused) {
    bool in_kept_back = false;
    bool in_essential = false;
    std::vector<std::string_view> essential;
    for (std::string_view line : util::split_lines(out)) {
        if (in_kept_back && line.starts_with(" ")) {
            for (std::string_view name : words(line)) {
                result.transaction.kept_back.push_back({std::string(name), {}, {}});
            }
            continue;
        }
        if (in_essential && (line.starts_with(" ") || line.starts_with("This should NOT be done"))) {
            if (line.starts_with(" ")) {
                for (std::string_view name : words(line)) {
                    essential.push_back(name);
                }
            }
            continue;
        }
        in_kept_back = line.starts_with("The following packages have been kept back");
        in_essential = line.starts_with("WARNING: The following essential packages will be removed");
        if (in_kept_back || in_essential) {
            continue;
        }
        bool inst = line.starts_with("Inst ");
        bool remv = line.starts_with("Remv ") || line.starts_with("Purg ");
        if (!inst && !remv) {
            if (contains(line, "is already the newest version") ||
                contains(line, "is not installed, so not") || line.starts_with("E: ") ||
                line.starts_with("W: ")) {
                result.messages.emplace_back(line);
            }
            continue;
        }
        std::string_view rest = line.substr(5);
        std::size_t space = rest.find(' ');
        TransactionPackage p;
        p.name = std::string(rest.substr(0, space));
        std::string_view tail = space == std::string_view::npos ? std::string_view() : rest.substr(space);
        std::size_t at = 0;
        std::size_t old_open = tail.find('[');
        std::size_t new_open = tail.find('(');
        if (old_open != std::string_view::npos &&
            (new_open == std::string_view::npos || old_open < new_open)) {
            p.old_version = std::string(bracketed(tail, at, '[', ']'));
        }
        if (inst) {
            std::string_view fresh = bracketed(tail, at, '(', ')');
            auto w = words(fresh);
            if (!w.empty()) {
                p.version = std::string(w.front());
            }
        }
        if (remv) {
            result.transaction.remove.push_back(std::move(p));
        } else if (p.old_version.empty()) {
            result.transaction.install.push_back(std::move(p));
        } else {
            result.transaction.upgrade.push_back(std::move(p));
        }
    }
    if (!essential.empty()) {
        refused = true;
        result.messages.emplace_back(
            "it would remove essential package" + std::string(essential.size() == 1 ? " " : "s ") +
            util::join(std::vector<std::string>(essential.begin(), essential.end()), ", ") +
            " (apt-get refuses that without --allow-remove-essential, which zsyncctl never passes)");
    }
}

// dnf/yum --assumeno (dnf4 and dnf5): sections headed "Installing:", "Installing dependencies:",
// "Upgrading:", "Removing:", "Removing unused dependencies:", ..., each a table of
// " NAME ARCH VERSION REPOSITORY SIZE" rows (dnf4 wraps a long name onto a line of its own), ended by a
// blank line or "Transaction Summary".
void parse_dnf(std::string_view out, SimulationResult& result, bool& showed_transaction) {
    std::vector<TransactionPackage>* section = nullptr;
    std::string pending_name;
    for (std::string_view line : util::split_lines(out)) {
        std::string_view t = util::trim(line);
        if (t.empty() || t.starts_with("Transaction Summary") || t.starts_with("===")) {
            section = nullptr;
            pending_name.clear();
            continue;
        }
        if (line.front() != ' ' && t.back() == ':') {
            pending_name.clear();
            if (t.starts_with("Installing")) {
                section = &result.transaction.install;
            } else if (t.starts_with("Upgrading") || t.starts_with("Downgrading")) {
                section = &result.transaction.upgrade;
            } else if (t.starts_with("Removing")) {
                section = &result.transaction.remove;
            } else {
                section = nullptr;
            }
            continue;
        }
        if (t.starts_with("Operation aborted")) {
            showed_transaction = true;
            continue;
        }
        if (line.front() != ' ') {
            if (t.starts_with("No match for argument") || t.starts_with("Error:") ||
                t.starts_with("No packages marked") || contains(t, "is already installed") ||
                t.starts_with("Nothing to do") || t.starts_with("Failed to resolve")) {
                result.messages.emplace_back(t);
            }
            section = nullptr;
            continue;
        }
        if (section == nullptr) {
            continue;
        }
        auto w = words(line);
        if (w.empty() || w.front() == "replacing" || w.front() == "Package") {
            continue;
        }
        if (w.size() == 1) { // dnf4: a long name, the rest of its row on the next line
            pending_name = std::string(w.front());
            continue;
        }
        TransactionPackage p;
        if (!pending_name.empty()) {
            p.name = std::move(pending_name);
            pending_name.clear();
            p.version = std::string(w.size() >= 2 ? w[1] : std::string_view());
        } else {
            p.name = std::string(w[0]);
            p.version = std::string(w.size() >= 3 ? w[2] : std::string_view());
        }
        if (section == &result.transaction.remove) {
            p.old_version = std::move(p.version);
            p.version.clear();
        }
        section->push_back(std::move(p));
    }
}

// pacman --print --print-format "%n %v": one "NAME VERSION" line per package the operation touches.
void parse_pacman(std::string_view out, Operation operation, SimulationResult& result) {
    for (std::string_view line : util::split_lines(out)) {
        auto w = words(line);
        // ":: removing zs-lib breaks dependency 'zs-lib' required by zs-app" (stdout; the "error:" line that
        // goes with it is on stderr): the why of a failed resolution, seen with the real pacman.
        if (line.starts_with("warning:") || line.starts_with("error:") ||
            line.starts_with(" there is nothing") || line.starts_with(":: ")) {
            result.messages.emplace_back(util::trim(line));
            continue;
        }
        if (w.size() != 2) {
            continue;
        }
        TransactionPackage p{std::string(w[0]), std::string(w[1]), {}};
        if (operation == Operation::remove) {
            p.old_version = std::move(p.version);
            p.version.clear();
            result.transaction.remove.push_back(std::move(p));
        } else if (operation == Operation::upgrade) {
            result.transaction.upgrade.push_back(std::move(p));
        } else {
            result.transaction.install.push_back(std::move(p));
        }
    }
}

// zypper --dry-run: "The following 2 NEW packages are going to be installed:" (upgraded, downgraded,
// REMOVED), then the names on indented lines, then a blank line.
void parse_zypper(std::string_view out, SimulationResult& result) {
    std::vector<TransactionPackage>* section = nullptr;
    for (std::string_view line : util::split_lines(out)) {
        std::string_view t = util::trim(line);
        if (t.empty()) {
            section = nullptr;
            continue;
        }
        if (t.starts_with("The following ")) {
            section = nullptr;
            if (contains(t, "going to be installed:")) {
                section = &result.transaction.install;
            } else if (contains(t, "going to be upgraded:") || contains(t, "going to be downgraded:")) {
                section = &result.transaction.upgrade;
            } else if (contains(t, "going to be REMOVED:")) {
                section = &result.transaction.remove;
            }
            continue;
        }
        if (line.front() != ' ') {
            section = nullptr;
            if (contains(t, "not found") || contains(t, "No provider of") ||
                contains(t, "already installed") || t.starts_with("Nothing to do")) {
                result.messages.emplace_back(t);
            }
            continue;
        }
        if (section != nullptr) {
            for (std::string_view name : words(line)) {
                section->push_back({std::string(name), {}, {}});
            }
        }
    }
}

// pip install --dry-run --report - (pip >= 22.2, report version "1"): {"install": [{"metadata": {"name",
// "version"}, "requested": bool}, ...]}. pip names no installed version: what was asked for is an upgrade
// in an upgrade (a name that is not installed is refused before), the rest are dependencies it installs or
// moves with it.
// False when the output is no such report.
bool parse_pip_report(std::string_view out, Operation operation, SimulationResult& result) {
    auto doc = nlohmann::json::parse(out, nullptr, false);
    if (!doc.is_object() || !doc.contains("install") || !doc["install"].is_array()) {
        result.messages.emplace_back("pip printed no installation report");
        return false;
    }
    for (const auto& item : doc["install"]) {
        const auto* metadata = item.is_object() && item.contains("metadata") ? &item["metadata"] : nullptr;
        if (metadata == nullptr || !metadata->is_object() ||
            !metadata->value("name", nlohmann::json()).is_string()) {
            continue;
        }
        TransactionPackage p{
            metadata->value("name", std::string()), metadata->value("version", std::string()), {}};
        bool requested = item.value("requested", false);
        if (operation == Operation::upgrade && requested) {
            result.transaction.upgrade.push_back(std::move(p));
        } else {
            result.transaction.install.push_back(std::move(p));
        }
    }
    return true;
}

// flatpak update asked without an answer: " 1.<TAB>   <TAB>ID<TAB>BRANCH<TAB>OP<TAB>REMOTE<TAB>SIZE" rows (OP
// i install, u update, r uninstall), then its question; "Nothing to do." when there is nothing. True when
// it showed either.
bool parse_flatpak_table(std::string_view out, SimulationResult& result) {
    bool shown = false;
    for (std::string_view line : util::split_lines(out)) {
        std::string_view t = util::trim(line);
        if (t.starts_with("Nothing to do") || t.starts_with("Proceed with these changes")) {
            shown = true;
            continue;
        }
        auto cols = util::split(t, '\t');
        if (cols.size() < 6 || cols[0].empty() || cols[0].back() != '.') {
            continue;
        }
        std::vector<std::string_view> fields;
        for (std::string_view c : cols) {
            if (!util::trim(c).empty()) {
                fields.push_back(util::trim(c));
            }
        }
        if (fields.size() < 4) {
            continue;
        }
        TransactionPackage p{std::string(fields[1]), {}, {}};
        std::string_view op = fields[3];
        (op == "i"   ? result.transaction.install
         : op == "r" ? result.transaction.remove
                     : result.transaction.upgrade)
            .push_back(std::move(p));
        shown = true;
    }
    return shown;
}

} // namespace

SimulationResult parse_simulation(SimulationFormat format, Operation operation, std::string_view stdout_text,
                                  std::string_view stderr_text, int exit_code) {
    SimulationResult result;
    result.exit_code = exit_code;
    bool showed_transaction = false;
    bool unreadable = false;
    bool refused = false; // the manager's real run would refuse what the simulation shows
    switch (format) {
    case SimulationFormat::apt_get:
        parse_apt(stdout_text, result, refused);
        break;
    case SimulationFormat::dnf:
        parse_dnf(stdout_text, result, showed_transaction);
        break;
    case SimulationFormat::pacman_print:
        parse_pacman(stdout_text, operation, result);
        break;
    case SimulationFormat::zypper:
        parse_zypper(stdout_text, result);
        break;
    case SimulationFormat::zypper_xml:
        parse_zypper_xml_simulation(stdout_text, result);
        break;
    case SimulationFormat::pip_report:
        unreadable = exit_code == 0 && !parse_pip_report(stdout_text, operation, result);
        break;
    case SimulationFormat::flatpak_table:
        showed_transaction = parse_flatpak_table(stdout_text, result);
        break;
    case SimulationFormat::npm_dry_run:
        parse_npm_dry_run(stdout_text, result);
        break;
    case SimulationFormat::apk_simulate:
        parse_apk_simulation(stdout_text, result); // its ERROR lines are on stderr, read below
        break;
    case SimulationFormat::none:
        break;
    }
    for (std::string_view line : util::split_lines(stderr_text)) {
        std::string_view t = util::trim(line);
        if (format == SimulationFormat::dnf && t.starts_with("Operation aborted")) {
            showed_transaction = true; // dnf 4.14 logs it to stderr, after the table on stdout
            continue;
        }
        if (t.empty() || t.starts_with("NOTE: This is only a simulation") ||
            t.starts_with("apt-get needs root") || t.starts_with("Keep also in mind") ||
            t.starts_with("so don't depend")) {
            continue;
        }
        result.messages.emplace_back(t);
    }
    result.resolved = ((exit_code == 0 && !unreadable) ||
                       ((format == SimulationFormat::dnf || format == SimulationFormat::flatpak_table) &&
                        showed_transaction)) &&
                      !refused;
    if (!result.resolved) {
        result.transaction = {};
    }
    return result;
}

util::Result<SimulationResult> run_simulation(const InstallPlan& plan, core::EventLoop& loop,
                                              const core::CancellationToken& interrupt,
                                              std::chrono::milliseconds timeout) {
    if (!plan.simulation || plan.simulation_format == SimulationFormat::none) {
        return util::fail(util::ErrorKind::unsupported,
                          plan.manager + " cannot show what it would do before it does it");
    }
    core::ProcessSpec spec;
    spec.argv = plan.simulation->argv;
    spec.env_set = run_environment(plan, Prompts::answer_defaults);
    spec.stdin_mode = core::StdinMode::null;
    spec.timeout = timeout;
    spec.stop_signal = SIGTERM;
    spec.capture_limit = 4U << 20;
    auto done = core::spawn_process(loop, std::move(spec), interrupt).wait();
    if (!done) {
        return util::fail(std::move(done).error());
    }
    switch (done->outcome) {
    case core::ProcessOutcome::timed_out:
        return util::fail(util::ErrorKind::timeout, plan.manager + "'s simulation did not end in time");
    case core::ProcessOutcome::cancelled:
        return util::fail(util::ErrorKind::interrupted, "interrupted; nothing was run");
    case core::ProcessOutcome::killed:
        return util::fail(util::ErrorKind::command_failed, plan.manager +
                                                               "'s simulation was killed by signal " +
                                                               std::to_string(done->signal));
    case core::ProcessOutcome::exited:
        break;
    }
    return parse_simulation(plan.simulation_format, plan.operation, done->stdout_text, done->stderr_text,
                            done->exit_code);
}

bool same_transaction(const Transaction& a, const Transaction& b) {
    auto same = [](std::vector<TransactionPackage> x, std::vector<TransactionPackage> y) {
        std::sort(x.begin(), x.end());
        std::sort(y.begin(), y.end());
        return x == y;
    };
    return same(a.install, b.install) && same(a.upgrade, b.upgrade) && same(a.remove, b.remove);
}

} // namespace zsyncctl::pkg
