#include "pkg/inventory/dpkg_db.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/index_apt.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

char abbrev_of(std::string_view word, std::initializer_list<std::pair<std::string_view, char>> table) {
    for (const auto& [w, c] : table) {
        if (w == word) {
            return c;
        }
    }
    return '?';
}

// The records collected so far, by "name:arch", in the order dpkg's journal leaves them.
class DpkgCollector {
public:
    void add(std::string_view stanza) {
        std::string_view name = deb822_field(stanza, "Package");
        if (name.empty()) {
            return;
        }
        std::string_view arch = deb822_field(stanza, "Architecture");
        InstalledPackage p;
        p.name.assign(name);
        p.architecture.assign(arch);
        p.version.assign(deb822_field(stanza, "Version"));
        p.state.assign(deb822_field(stanza, "Status"));
        auto words = util::split(p.state, ' ');
        p.state_abbrev = dpkg_status_abbrev(p.state);
        p.present = words.size() == 3 && dpkg_state_has_current_version(words[2]);
        p.held = !words.empty() && words[0] == "hold";
        if (p.name == "dpkg" && !arch.empty() && arch != "all") {
            m_native.assign(arch);
        }
        m_records[p.name + ":" + p.architecture] = std::move(p);
    }

    void add_extended(std::string_view stanza) {
        std::string_view name = deb822_field(stanza, "Package");
        if (!name.empty() && util::trim(deb822_field(stanza, "Auto-Installed")) == "1") {
            m_auto.insert(std::string(name) + ":" + std::string(deb822_field(stanza, "Architecture")));
        }
    }

    std::vector<InstalledPackage> finish() {
        std::vector<InstalledPackage> out;
        out.reserve(m_records.size());
        for (auto& [key, p] : m_records) {
            auto words = util::split(p.state, ' ');
            if (words.size() == 3 && words[2] == "not-installed") {
                continue; // a selection without a package: dpkg-query -W does not list it
            }
            if (p.present) {
                // apt files an arch:all package under the native architecture.
                std::string arch = p.architecture == "all" ? m_native : p.architecture;
                p.reason = m_auto.count(p.name + ":" + arch) != 0 ? InstallReason::dependency
                                                                  : InstallReason::explicit_install;
            }
            out.push_back(std::move(p));
        }
        std::sort(out.begin(), out.end(), [](const InstalledPackage& a, const InstalledPackage& b) {
            return a.name != b.name ? a.name < b.name : a.architecture < b.architecture;
        });
        return out;
    }

private:
    std::map<std::string, InstalledPackage> m_records;
    std::set<std::string> m_auto;
    std::string m_native = "amd64";
};

void feed_text(std::string_view text, const std::function<void(std::string_view)>& add) {
    StanzaSplitter splitter(add);
    splitter.feed(text);
    splitter.finish();
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

std::string dpkg_status_abbrev(std::string_view status) {
    auto w = util::split(util::trim(status), ' ');
    if (w.size() != 3) {
        return "???";
    }
    std::string out;
    out.push_back(abbrev_of(
        w[0], {{"unknown", 'u'}, {"install", 'i'}, {"hold", 'h'}, {"deinstall", 'r'}, {"purge", 'p'}}));
    out.push_back(abbrev_of(w[2], {{"not-installed", 'n'},
                                   {"config-files", 'c'},
                                   {"half-installed", 'H'},
                                   {"unpacked", 'U'},
                                   {"half-configured", 'F'},
                                   {"triggers-awaited", 'W'},
                                   {"triggers-pending", 't'},
                                   {"installed", 'i'}}));
    out.push_back(w[1] == "reinstreq" ? 'R' : ' ');
    return out;
}

std::vector<InstalledPackage> parse_dpkg_database(std::string_view status,
                                                  const std::vector<std::string>& journal,
                                                  std::string_view extended_states) {
    DpkgCollector c;
    feed_text(status, [&](std::string_view s) { c.add(s); });
    for (const auto& j : journal) {
        feed_text(j, [&](std::string_view s) { c.add(s); });
    }
    feed_text(extended_states, [&](std::string_view s) { c.add_extended(s); });
    return c.finish();
}

util::Result<std::vector<InstalledPackage>> read_dpkg_database(const util::Root& root,
                                                               const core::CancellationToken& token) {
    std::filesystem::path status = root.resolve("/var/lib/dpkg/status");
    if (status.empty()) { // a symlink loop on the way inside the image: never followed out of it
        return util::fail(util::ErrorKind::not_found,
                          "no dpkg database: " + root.dir().string() +
                              "/var/lib/dpkg/status leads through a symlink loop");
    }
    std::error_code ec;
    auto type = std::filesystem::status(status, ec).type();
    if (type == std::filesystem::file_type::not_found) {
        return util::fail(util::ErrorKind::not_found, "no dpkg database: " + status.string() + " is missing");
    }
    if (type != std::filesystem::file_type::regular) {
        return util::fail(util::ErrorKind::io, status.string() + ": not a regular file");
    }
    DpkgCollector c;
    auto add = [&](std::string_view s) {
        c.add(s);
    };
    if (auto read = read_stanzas(status, token, add); !read) {
        return util::fail(std::move(read).error());
    }
    // The journal dpkg has not folded into the status file yet, in the order dpkg applies it.
    std::vector<std::filesystem::path> journal;
    for (const auto& entry : std::filesystem::directory_iterator(root.resolve("/var/lib/dpkg/updates"), ec)) {
        if (all_digits(entry.path().filename().string()) && entry.is_regular_file(ec)) {
            journal.push_back(entry.path());
        }
    }
    std::sort(journal.begin(), journal.end());
    for (const auto& file : journal) {
        if (auto read = read_stanzas(file, token, add);
            !read && read.error().kind == util::ErrorKind::cancelled) {
            return util::fail(std::move(read).error());
        }
    }
    auto extended = root.read("/var/lib/apt/extended_states");
    if (extended) {
        feed_text(*extended, [&](std::string_view s) { c.add_extended(s); });
    }
    if (token.is_cancelled()) {
        return util::fail(util::ErrorKind::cancelled, "cancelled");
    }
    return c.finish();
}

} // namespace zsyncctl::pkg
