#include "cli/cmd_pkg_list_report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <unistd.h>

#include "cli/json.hpp"
#include "cli/json_writer.hpp"
#include "cli/terminal.hpp"
#include "pkg/registry/registry.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

nlohmann::json null_if_empty(const std::string& text) {
    return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

nlohmann::json package_json(const std::string& manager, const pkg::InstalledPackage& p) {
    nlohmann::json j = {{"manager", manager},     {"name", p.name},
                        {"version", p.version},   {"architecture", null_if_empty(p.architecture)},
                        {"state", p.state},       {"state_abbrev", null_if_empty(p.state_abbrev)},
                        {"installed", p.present}, {"reason", std::string(pkg::to_string(p.reason))},
                        {"held", p.held}};
    if (!p.commit.empty()) { // flatpak's ref: its branch, remote and active commit
        j["branch"] = p.branch;
        j["origin"] = p.origin;
        j["commit"] = p.commit;
    } else if (!p.origin.empty()) { // Homebrew: the tap of a formula that is not homebrew/core's
        j["origin"] = p.origin;
    }
    return j;
}

nlohmann::json outdated_json(const std::string& manager, const pkg::OutdatedPackage& o) {
    nlohmann::json j = {{"manager", manager},
                        {"name", o.name},
                        {"architecture", null_if_empty(o.architecture)},
                        {"installed_version", o.installed},
                        {"candidate", null_if_empty(o.candidate)}, // null: not checked (skip_reason says why)
                        {"skipped", !o.skip_reason.empty()},
                        {"skip_reason", null_if_empty(o.skip_reason)}};
    if (!o.installation.empty()) { // flatpak: the installation whose ref this is
        j["installation"] = o.installation;
    }
    return j;
}

nlohmann::json owner_json(const std::string& manager, const pkg::FileOwner& f) {
    return {{"manager", manager}, {"package", f.package}, {"path", f.path}};
}

// A package that is not installed but would ship the path, and the repository it would come from.
nlohmann::json provider_json(const std::string& manager, const pkg::FileOwner& f) {
    return {{"manager", manager},
            {"package", f.package},
            {"path", f.path},
            {"repository", null_if_empty(f.repository)}};
}

std::size_t count_of(const pkg::InventoryReport& r, pkg::InventoryKind kind) {
    switch (kind) {
    case pkg::InventoryKind::list:
        return r.packages.size();
    case pkg::InventoryKind::outdated:
        return r.outdated.size();
    case pkg::InventoryKind::which:
        return r.owners.size();
    case pkg::InventoryKind::info:
        return r.info.size();
    }
    return 0;
}

nlohmann::json status_json(const pkg::InventoryReport& r, pkg::InventoryKind kind) {
    return {{"type", "status"},
            {"manager", r.manager},
            {"status", std::string(pkg::to_string(r.status))},
            {"count", count_of(r, kind)},
            {"elapsed_ms", r.elapsed_ms},
            {"error", null_if_empty(r.error)},
            {"hint", null_if_empty(r.hint)},
            {"note", null_if_empty(r.note)}};
}

std::string name_arch(const std::string& name, const std::string& arch) {
    return arch.empty() ? name : name + ":" + arch;
}

// On a terminal, the name and version columns shrink until a line of `rest` more columns fits in its
// width (a wrapped table is unreadable on 80 columns): names give way first (down to 28; few are longer),
// then versions (down to 16), then names (down to 20). Piped, nothing changes.
void fit_to_terminal(std::size_t& name_w, std::size_t& ver_w, std::size_t rest) {
    const std::size_t columns = terminal_columns(STDOUT_FILENO, 40, SIZE_MAX / 4);
    while (2 + name_w + 2 + ver_w + rest >= columns) { // one column spare: no wrap at the edge
        if (name_w > 28) {
            --name_w;
        } else if (ver_w > 16) {
            --ver_w;
        } else if (name_w > 20) {
            --name_w;
        } else {
            break;
        }
    }
}

// One manager's table. Every field was sanitized by the inventory; colour is added after the cut.
void print_table(const Output& out, const pkg::InventoryReport& r, pkg::InventoryKind kind) {
    if (r.status != pkg::InventoryStatus::ok) {
        return;
    }
    std::size_t n = count_of(r, kind);
    if (kind == pkg::InventoryKind::which && n == 0) {
        out.line(out.paint(r.manager, Color::bold) + ": no installed package ships it");
        for (const auto& f : r.providers) {
            out.line("  could be installed from " + (f.repository.empty() ? std::string("?") : f.repository) +
                     ": " + f.package + ": " + f.path);
        }
        return;
    }
    std::string what = kind != pkg::InventoryKind::outdated ? (n == 1 ? " package" : " packages")
                                                            : (n == 1 ? " outdated" : " outdated");
    out.line(out.paint(r.manager, Color::bold) + " (" + std::to_string(n) + what + ")");
    std::size_t name_w = 4;
    std::size_t ver_w = 7;
    if (kind == pkg::InventoryKind::which) {
        for (const auto& f : r.owners) {
            out.line("  " + f.package + ": " + f.path);
        }
        return;
    }
    if (kind == pkg::InventoryKind::list) {
        for (const auto& p : r.packages) {
            name_w =
                std::min<std::size_t>(std::max(name_w, display_width(name_arch(p.name, p.architecture))), 48);
            ver_w = std::min<std::size_t>(std::max(ver_w, display_width(p.version)), 32);
        }
        auto extra_of = [&](const pkg::InstalledPackage& p, bool painted) {
            std::string extra = p.state_abbrev.empty() ? std::string() : p.state_abbrev + "  ";
            extra += std::string(pkg::to_string(p.reason));
            if (!p.commit.empty()) {
                extra = p.state + "  " + p.branch + "  " + p.origin + "  " + p.commit.substr(0, 12);
            } else if (!p.origin.empty()) {
                extra += "  from " + p.origin;
            }
            if (p.held) {
                extra += "  " + (painted ? out.paint("held", Color::yellow) : std::string("held"));
            }
            return extra;
        };
        std::size_t extra_w = 0;
        for (const auto& p : r.packages) {
            extra_w = std::max(extra_w, display_width(extra_of(p, false)));
        }
        fit_to_terminal(name_w, ver_w, 2 + std::min<std::size_t>(extra_w, 24));
        for (const auto& p : r.packages) {
            out.line("  " + pad(cut(name_arch(p.name, p.architecture), name_w), name_w) + "  " +
                     pad(cut(p.version, ver_w), ver_w) + "  " + extra_of(p, true));
        }
        return;
    }
    for (const auto& o : r.outdated) {
        name_w =
            std::min<std::size_t>(std::max(name_w, display_width(name_arch(o.name, o.architecture))), 48);
        ver_w = std::min<std::size_t>(std::max(ver_w, display_width(o.installed)), 32);
    }
    std::size_t cand_w = 1;
    for (const auto& o : r.outdated) {
        cand_w = std::min<std::size_t>(std::max(cand_w, display_width(o.candidate)), 32);
    }
    fit_to_terminal(name_w, ver_w, 4 + cand_w);
    for (const auto& o : r.outdated) {
        std::string line = "  " + pad(cut(name_arch(o.name, o.architecture), name_w), name_w) + "  " +
                           pad(cut(o.installed, ver_w), ver_w) + " -> " +
                           (o.candidate.empty() ? std::string("?") : cut(o.candidate, cand_w));
        if (!o.installation.empty()) {
            line += "  (" + o.installation + ")";
        }
        if (!o.skip_reason.empty()) {
            line += "  " + out.paint(o.skip_reason + ", would be skipped", Color::yellow);
        }
        out.line(line);
    }
}

// Failures, notes and (with -v) timings on stderr after the tables; the detected managers zsyncctl cannot
// read yet in one line.
void print_footer(const Output& out, const std::vector<pkg::InventoryReport>& reports) {
    std::vector<std::string> unsupported;
    for (const auto& r : reports) {
        // One that names the manager to ask instead (dpkg: use apt) says so when apt was not in the run.
        if (r.status == pkg::InventoryStatus::unsupported && out.verbosity() == 0) {
            if (read_by_another(r, reports)) {
                continue;
            }
            if (r.hint.empty()) {
                unsupported.push_back(r.manager);
                continue;
            }
        }
        if (out.verbosity() > 0) {
            char ms[32];
            std::snprintf(ms, sizeof ms, "%.3fs", static_cast<double>(r.elapsed_ms) / 1000.0);
            out.info(r.manager + ": native reader [" + std::string(pkg::to_string(r.status)) + ", " + ms +
                     "]");
        }
        if (r.status != pkg::InventoryStatus::ok) {
            out.info(inventory_status_line(r));
        } else if (!r.note.empty()) {
            out.info(r.manager + ": " + r.note);
        }
    }
    if (!unsupported.empty()) {
        out.info("not read yet: " + util::join(unsupported, ", ") + " (-v says why)");
    }
}

std::vector<std::string> split_managers(const std::vector<std::string>& values) {
    std::vector<std::string> ids;
    for (const auto& m : values) {
        for (std::string_view part : util::split(m, ',')) {
            if (!util::trim(part).empty()) {
                ids.emplace_back(util::trim(part));
            }
        }
    }
    return ids;
}

} // namespace

bool read_by_another(const pkg::InventoryReport& r, const std::vector<pkg::InventoryReport>& reports) {
    const pkg::Manager* m = pkg::find_manager(r.manager);
    return m != nullptr && std::any_of(reports.begin(), reports.end(), [&](const pkg::InventoryReport& o) {
               const pkg::Manager* other = pkg::find_manager(o.manager);
               return o.status == pkg::InventoryStatus::ok && other != nullptr && other != m &&
                      pkg::install_lock_group(*other) == pkg::install_lock_group(*m);
           });
}

std::string inventory_status_line(const pkg::InventoryReport& r) {
    std::string status(pkg::to_string(r.status));
    std::string line = r.manager + ": " + status;
    if (!r.error.empty() && r.error != status) {
        line += " (" + r.error + ")";
    }
    if (!r.hint.empty()) {
        line += "; " + r.hint;
    }
    return line;
}

void stream_inventory_document(pkg::InventoryKind kind, const std::vector<pkg::InventoryReport>& reports,
                               const std::string& query, const pkg::CommandResolution* which,
                               const std::function<void(const std::string&)>& emit) {
    // The members in byte order, as json_text writes inventory_document's std::map: command, managers,
    // then the entries (outdated, owners + providers + query + resolved, or packages), schema_version.
    const bool list = kind == pkg::InventoryKind::list;
    const bool owners = kind == pkg::InventoryKind::which;
    std::string block;
    block.reserve((64u << 10) + 4096);
    auto end_line = [&] {
        if (block.size() >= (64u << 10)) {
            emit(block);
            block.clear();
        } else {
            block.push_back('\n');
        }
    };
    // `name`: [ each element of `elements`, written by `write`, ], as json_text indents an array member.
    auto array = [&](std::string_view name, std::size_t elements, const auto& for_each) {
        block += "  ";
        append_json_string(block, name);
        block += elements == 0 ? ": []," : ": [";
        end_line();
        if (elements == 0) {
            return;
        }
        std::size_t left = elements;
        for_each([&](const nlohmann::json& element) {
            block += "    ";
            append_json_text(block, element, JsonLayout::pretty, 4);
            if (--left > 0) {
                block += ',';
            }
            end_line();
        });
        block += "  ],";
        end_line();
    };
    block += "{";
    end_line();
    block += "  \"command\": ";
    append_json_string(block, owners ? "which" : list ? "list" : "outdated");
    block += ',';
    end_line();
    array("managers", reports.size(), [&](const auto& write) {
        for (const auto& r : reports) {
            nlohmann::json m = status_json(r, kind);
            m.erase("type");
            m.erase("manager");
            m["name"] = r.manager;
            write(m);
        }
    });
    std::size_t entries = 0;
    std::size_t providers = 0;
    for (const auto& r : reports) {
        entries += count_of(r, kind);
        providers += r.providers.size();
    }
    if (owners) {
        array("owners", entries, [&](const auto& write) {
            for (const auto& r : reports) {
                for (const auto& f : r.owners) {
                    write(owner_json(r.manager, f));
                }
            }
        });
        array("providers", providers, [&](const auto& write) {
            for (const auto& r : reports) {
                for (const auto& f : r.providers) {
                    write(provider_json(r.manager, f));
                }
            }
        });
        block += "  \"query\": ";
        append_json_string(block, query);
        block += ',';
        end_line();
        if (which != nullptr) {
            block += "  \"resolved\": ";
            append_json_text(block, which_resolution_json(*which), JsonLayout::pretty, 2);
            block += ',';
            end_line();
        }
    } else {
        array(list ? "packages" : "outdated", entries, [&](const auto& write) {
            for (const auto& r : reports) {
                if (list) {
                    for (const auto& p : r.packages) {
                        write(package_json(r.manager, p));
                    }
                } else {
                    for (const auto& o : r.outdated) {
                        write(outdated_json(r.manager, o));
                    }
                }
            }
        });
    }
    block += "  \"schema_version\": " + std::to_string(k_inventory_schema_version);
    end_line();
    block += "}";
    emit(block);
}

nlohmann::json inventory_document(pkg::InventoryKind kind, const std::vector<pkg::InventoryReport>& reports,
                                  const std::string& query, const pkg::CommandResolution* which) {
    const bool list = kind == pkg::InventoryKind::list;
    const char* key = kind == pkg::InventoryKind::which ? "owners" : list ? "packages" : "outdated";
    nlohmann::json doc{{"schema_version", k_inventory_schema_version},
                       {"command", kind == pkg::InventoryKind::which ? "which"
                                   : list                            ? "list"
                                                                     : "outdated"},
                       {key, nlohmann::json::array()},
                       {"managers", nlohmann::json::array()}};
    if (kind == pkg::InventoryKind::which) {
        doc["query"] = query;
        doc["providers"] = nlohmann::json::array();
        if (which != nullptr) {
            doc["resolved"] = which_resolution_json(*which);
        }
    }
    for (const auto& r : reports) {
        if (kind == pkg::InventoryKind::which) {
            for (const auto& f : r.owners) {
                doc["owners"].push_back(owner_json(r.manager, f));
            }
            for (const auto& f : r.providers) {
                doc["providers"].push_back(provider_json(r.manager, f));
            }
        } else if (list) {
            for (const auto& p : r.packages) {
                doc["packages"].push_back(package_json(r.manager, p));
            }
        } else {
            for (const auto& o : r.outdated) {
                doc["outdated"].push_back(outdated_json(r.manager, o));
            }
        }
        nlohmann::json m = status_json(r, kind);
        m.erase("type");
        m.erase("manager");
        m["name"] = r.manager;
        doc["managers"].push_back(std::move(m));
    }
    return doc;
}

ExitCode run_inventory_command(Context& context, pkg::InventoryKind kind, const InventoryOptions& options) {
    pkg::InventoryRequest request;
    request.kind = kind;
    request.root = context.root();
    request.managers = split_managers(options.managers);
    if (!options.managers.empty() && request.managers.empty()) {
        // `-m ""` or `-m " , "`: a manager was asked for but none named; not the same as no -m at all.
        raise_usage("--manager names no manager", "give a manager, for example --manager apt");
    }
    request.use_cache = !context.options.no_cache;
    request.query = options.query;
    request.runtime = &context.runtime();
    if (auto valid = pkg::validate_inventory_request(request); !valid) {
        raise_usage(valid.error().message, valid.error().hint);
    }
    if (kind == pkg::InventoryKind::which) {
        request.which = pkg::resolve_command(request.root, request.query);
    }
    const core::CancellationToken token = context.runtime().token();
    auto run = pkg::run_inventory(request, token);
    if (!run) {
        raise(run.error());
    }
    const auto& reports = *run;
    if (context.out.reader_gone()) {
        // The reader left while the managers were read (they were cancelled): nothing more to say, not
        // their "cancelled" notes either.
        return ExitCode::reader_gone;
    }
    if (kind == pkg::InventoryKind::info) {
        return print_info_report(context, reports, !request.managers.empty(), options);
    }
    const Output& out = context.out;
    bool json = out.json() && !options.json_lines;
    bool list = kind == pkg::InventoryKind::list;

    if (options.json_lines) {
        if (kind == pkg::InventoryKind::which) {
            nlohmann::json j = which_resolution_json(request.which);
            j["type"] = "resolved";
            j["schema_version"] = k_inventory_schema_version;
            out.line(json_text(j, JsonLayout::line));
        }
        for (const auto& r : reports) {
            if (kind == pkg::InventoryKind::which) {
                for (const auto& f : r.owners) {
                    nlohmann::json j = owner_json(r.manager, f);
                    j["type"] = "owner";
                    out.line(json_text(j, JsonLayout::line));
                }
                for (const auto& f : r.providers) {
                    nlohmann::json j = provider_json(r.manager, f);
                    j["type"] = "provider";
                    out.line(json_text(j, JsonLayout::line));
                }
            } else if (list) {
                for (const auto& p : r.packages) {
                    nlohmann::json j = package_json(r.manager, p);
                    j["type"] = "package";
                    out.line(json_text(j, JsonLayout::line));
                }
            } else {
                for (const auto& o : r.outdated) {
                    nlohmann::json j = outdated_json(r.manager, o);
                    j["type"] = "outdated";
                    out.line(json_text(j, JsonLayout::line));
                }
            }
            nlohmann::json s = status_json(r, kind);
            s["schema_version"] = k_inventory_schema_version;
            out.line(json_text(s, JsonLayout::line));
        }
    } else if (json) {
        stream_inventory_document(kind, reports, options.query, &request.which,
                                  [&out](const std::string& lines) { out.line(lines); });
    } else if (kind == pkg::InventoryKind::which) {
        print_which_report(out, reports, request.which);
    } else {
        for (const auto& r : reports) {
            print_table(out, r, kind);
        }
        // A reader that left (`| head -1`) ends the run quietly: no notes on stderr after the tables.
        out.flush();
        if (!out.reader_gone()) {
            print_footer(out, reports);
            if (reports.empty()) {
                out.warning("no package manager was found");
            }
        }
    }
    out.flush();
    if (out.reader_gone()) {
        return ExitCode::reader_gone;
    }
    if (token.is_cancelled()) {
        return ExitCode::interrupted;
    }
    // "Could not check" wins: an answer with a manager missing is not "nothing outdated". A manager
    // zsyncctl cannot read yet counts only when it was named with -m.
    bool named = !request.managers.empty();
    bool incomplete = reports.empty();
    bool actionable = false;
    std::size_t owners = 0;
    for (const auto& r : reports) {
        owners += r.owners.size();
        if (r.status == pkg::InventoryStatus::error || r.status == pkg::InventoryStatus::cancelled ||
            (named && r.status != pkg::InventoryStatus::ok)) {
            incomplete = true;
        }
        for (const auto& o : r.outdated) {
            actionable = actionable || o.skip_reason.empty();
        }
    }
    if (incomplete) {
        return ExitCode::no_answer;
    }
    if (kind == pkg::InventoryKind::which) {
        return owners > 0 ? ExitCode::success : ExitCode::failure;
    }
    return !list && actionable ? ExitCode::outdated : ExitCode::success;
}

} // namespace zsyncctl::cli
