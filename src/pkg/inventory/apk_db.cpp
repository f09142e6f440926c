#include "pkg/inventory/apk_db.hpp"

#include <algorithm>
#include <set>

#include "pkg/inventory/apk_index.hpp"
#include "pkg/inventory/dpkg_files.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

std::vector<ApkPackage> parse_apk_installed(std::string_view text) {
    std::vector<ApkPackage> out;
    ApkPackage current;
    std::string dir;
    auto flush = [&] {
        if (!current.name.empty() && !current.version.empty()) {
            out.push_back(std::move(current));
        }
        current = ApkPackage{};
        dir.clear();
    };
    for (auto line : util::split_lines(text)) {
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.empty()) {
            flush();
            continue;
        }
        if (line.size() < 2 || line[1] != ':') {
            continue;
        }
        std::string value(line.substr(2));
        switch (line[0]) {
        case 'P':
            current.name = std::move(value);
            break;
        case 'V':
            current.version = std::move(value);
            break;
        case 'A':
            current.arch = std::move(value);
            break;
        case 'T':
            current.description = std::move(value);
            break;
        case 'o':
            current.origin = std::move(value);
            break;
        case 'I':
            if (auto n = util::parse_int(value); n && *n >= 0) {
                current.size = *n;
            }
            break;
        case 'F':
            dir = std::move(value);
            break;
        case 'R':
            current.files.push_back(dir.empty() ? value : dir + "/" + value);
            break;
        default:
            break;
        }
    }
    flush();
    return out;
}

std::vector<std::string> parse_apk_world(std::string_view text) {
    std::vector<std::string> names;
    std::string word;
    auto take = [&] {
        if (!word.empty() && word.front() != '!') {
            std::size_t end = word.find_first_of("=<>~@");
            if (end != 0) {
                names.push_back(word.substr(0, end));
            }
        }
        word.clear();
    };
    for (char c : text) {
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            take();
        } else {
            word += c;
        }
    }
    take();
    std::sort(names.begin(), names.end());
    return names;
}

void apk_inventory(const InventoryRequest& request, InventoryReport& report,
                   const core::CancellationToken& token) {
    auto text = request.root.read("/lib/apk/db/installed", 256u << 20);
    if (!text && text.error().kind == util::ErrorKind::not_found) {
        report.status = InventoryStatus::error;
        report.error = "no apk database (/lib/apk/db/installed)";
        return;
    }
    if (!text) {
        report.status = InventoryStatus::error;
        report.error = text.error().message;
        return;
    }
    if (token.is_cancelled()) {
        report.status = InventoryStatus::cancelled;
        return;
    }
    std::vector<ApkPackage> packages = parse_apk_installed(*text);
    std::vector<std::string> world;
    std::string world_text;
    if (auto w = request.root.read("/etc/apk/world", 16u << 20)) {
        world_text = std::move(*w);
        world = parse_apk_world(world_text);
    }
    auto reason_of = [&](const std::string& name) {
        if (world.empty()) {
            return InstallReason::unknown;
        }
        return std::binary_search(world.begin(), world.end(), name) ? InstallReason::explicit_install
                                                                    : InstallReason::dependency;
    };
    switch (request.kind) {
    case InventoryKind::list:
        for (const auto& a : packages) {
            InstalledPackage p;
            p.name = a.name;
            p.version = a.version;
            p.architecture = a.arch;
            p.state = "installed";
            p.reason = reason_of(a.name);
            report.packages.push_back(std::move(p));
        }
        std::sort(report.packages.begin(), report.packages.end(),
                  [](const auto& a, const auto& b) { return a.name < b.name; });
        break;
    case InventoryKind::info:
        for (const auto& a : packages) {
            if (a.name == request.query) {
                PackageInfo i;
                i.manager = "apk";
                i.name = a.name;
                i.architecture = a.arch;
                i.installed = a.version;
                i.description = a.description;
                i.installed_size = a.size;
                i.reason = reason_of(a.name);
                report.info.push_back(std::move(i));
            }
        }
        if (!report.info.empty()) {
            std::vector<std::string> files;
            auto candidates = read_apk_candidates(request.root, &files, nullptr, token);
            for (auto& i : report.info) {
                auto c = candidates ? candidates->find(i.name) : decltype(candidates->find(i.name))();
                i.candidate = candidates && c != candidates->end() ? c->second : "";
            }
            if (files.empty()) {
                report.note = "no cached apk index: no candidate (run zsyncctl pkg refresh -m apk)";
            }
        }
        break;
    case InventoryKind::which: {
        std::set<std::string> wanted;
        for (const auto& path : request.which.paths) {
            wanted.insert(path.size() > 1 && path.front() == '/' ? path.substr(1) : path);
        }
        for (const auto& a : packages) {
            for (const auto& f : a.files) {
                if (wanted.count(f) != 0) {
                    report.owners.push_back({a.name, "/" + f, {}});
                }
            }
        }
        break;
    }
    case InventoryKind::outdated: {
        auto outdated = apk_outdated(request.root, packages, world_text, &report.note, token);
        if (!outdated) {
            report.status = outdated.error().kind == util::ErrorKind::cancelled ? InventoryStatus::cancelled
                                                                                : InventoryStatus::error;
            report.error = outdated.error().message;
            report.hint = outdated.error().hint;
            break;
        }
        report.outdated = std::move(*outdated);
        break;
    }
    }
}

} // namespace zsyncctl::pkg
