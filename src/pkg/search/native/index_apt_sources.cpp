#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <map>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/index_apt.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// The first `max` bytes of a regular file inside the root; empty when it cannot be read.
std::string read_head(const util::Root& root, std::string_view path, std::size_t max) {
    auto fd = root.open_file(path, O_RDONLY | O_NONBLOCK);
    if (!fd) {
        return {};
    }
    struct stat st {};
    if (::fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(*fd);
        return {};
    }
    max = std::min<std::size_t>(max, static_cast<std::size_t>(st.st_size));
    std::string out(max, '\0');
    std::size_t got = 0;
    while (got < max) {
        ssize_t n = ::read(*fd, out.data() + got, max - got);
        if (n <= 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    ::close(*fd);
    out.resize(got);
    return out;
}

// Paths inside the root resolved once per apt_setup: a parts file is listed, read and stamped, and under
// --root each resolve is a checked walk (an openat2 and a close); the apt.conf.d, preferences.d and
// sources parts were each walked twice.
class Resolved {
public:
    explicit Resolved(const util::Root& root) : m_root(root) {}
    const std::filesystem::path& operator()(const std::string& path) {
        auto found = m_paths.find(path);
        if (found == m_paths.end()) {
            found = m_paths.emplace(path, m_root.resolve(path)).first;
        }
        return found->second;
    }
    /// Records that `path` resolves to `to` (an entry of a resolved directory that is not a symlink).
    void known(const std::string& path, std::filesystem::path to) { m_paths.emplace(path, std::move(to)); }

private:
    const util::Root& m_root;
    std::map<std::string, std::filesystem::path, std::less<>> m_paths;
};

// The regular files of a directory inside the root whose names satisfy `wanted`, sorted. An entry the
// listing says is a regular file (no symlink) is one, inside the resolved directory: neither resolved nor
// stat'ed again; a symlink is resolved inside the root and must lead to a regular file.
std::vector<std::string> dir_files(Resolved& resolved, const std::string& dir,
                                   bool (*wanted)(std::string_view name)) {
    std::vector<std::string> out;
    std::error_code ec;
    std::filesystem::directory_iterator it(resolved(dir), ec);
    if (ec) {
        return out;
    }
    for (const auto& entry : it) {
        std::string name = entry.path().filename().string();
        if (!wanted(name)) {
            continue;
        }
        std::string path = dir + "/" + name;
        // is_symlink() and, for anything else, is_regular_file() answer from the listing's d_type (no
        // lstat per entry; symlink_status() would make one).
        // A fresh error code per entry: an answer from the cached type leaves it as it was.
        std::error_code entry_ec;
        const bool link = entry.is_symlink(entry_ec);
        if (entry_ec) {
            continue;
        }
        if (!link) {
            if (entry.is_regular_file(entry_ec) && !entry_ec) {
                resolved.known(path, entry.path());
                out.push_back(std::move(path));
            }
        } else if (std::filesystem::is_regular_file(resolved(path), entry_ec)) {
            out.push_back(std::move(path));
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// apt's rule for parts directories: letters, digits, '_', '-', '.' only (so "x.list.disabled-by-farm" or
// "x.dpkg-old" are ignored by the extension test that follows).
bool valid_part_name(std::string_view name) {
    if (name.empty() || name[0] == '.') {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '-' || c == '.';
    });
}

bool is_list_part(std::string_view name) {
    return valid_part_name(name) && ends_with(name, ".list");
}
bool is_sources_part(std::string_view name) {
    return valid_part_name(name) && ends_with(name, ".sources");
}
// preferences.d: no extension or ".pref" (apt's Dir::Etc::PreferencesParts rule).
bool is_pref_part(std::string_view name) {
    return valid_part_name(name) && (name.find('.') == std::string_view::npos || ends_with(name, ".pref"));
}
bool is_conf_part(std::string_view name) {
    return valid_part_name(name) && (name.find('.') == std::string_view::npos || ends_with(name, ".conf"));
}

bool is_packages_file(std::string_view name) {
    static constexpr std::string_view suffixes[] = {"_Packages",     "_Packages.gz",  "_Packages.xz",
                                                    "_Packages.lz4", "_Packages.zst", "_Packages.bz2"};
    return std::any_of(std::begin(suffixes), std::end(suffixes),
                       [&](std::string_view s) { return name.size() > s.size() && ends_with(name, s); });
}

// The part of a list file name before "Packages" and its compression suffix.
std::string_view list_prefix(std::string_view name) {
    std::size_t at = name.rfind("Packages");
    return name.substr(0, at);
}

// The first stanza of a Release/InRelease text (inside the clearsigned envelope).
std::string_view release_stanza(std::string_view release) {
    if (release.rfind("-----BEGIN PGP", 0) == 0) {
        std::size_t body = release.find("\n\n");
        release = body == std::string_view::npos ? std::string_view() : release.substr(body + 2);
    }
    std::size_t end = release.find("\n\n");
    return release.substr(0, end);
}

// The Release fields release pins match, and the list's default priority: 1 NotAutomatic, 100 with
// ButAutomaticUpgrades, else 500. The stanza is read once for all seven fields (its hash lists are
// thousands of lines; a scan per field read them seven times).
void read_release_info(AptReleaseInfo& info, int& priority, std::string_view release) {
    static constexpr std::string_view k_keys[] = {
        "Suite", "Codename", "Origin", "Label", "Version", "NotAutomatic", "ButAutomaticUpgrades"};
    std::string_view values[std::size(k_keys)];
    std::string_view stanza = release_stanza(release);
    deb822_first_lines(stanza, k_keys, values);
    bool not_auto = util::trim(values[5]) == "yes";
    bool but_auto = util::trim(values[6]) == "yes";
    priority = not_auto ? (but_auto ? 100 : 1) : 500;
    if (stanza.empty()) {
        return;
    }
    info.has_release = true;
    info.archive = util::trim(values[0]);
    info.codename = util::trim(values[1]);
    info.origin = util::trim(values[2]);
    info.label = util::trim(values[3]);
    info.version = util::trim(values[4]);
}

// The host of a source URI ("http://user@deb.example.org:80/debian" -> "deb.example.org"); empty for
// file:, cdrom: and other local URIs.
std::string uri_site(std::string_view uri) {
    std::size_t scheme = uri.find("://");
    if (scheme == std::string_view::npos) {
        return {};
    }
    std::string_view rest = uri.substr(scheme + 3);
    rest = rest.substr(0, rest.find('/'));
    if (std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
        rest = rest.substr(at + 1);
    }
    if (!rest.empty() && rest.front() == '[') {
        return std::string(rest.substr(0, rest.find(']') + 1));
    }
    return std::string(rest.substr(0, rest.find(':')));
}

std::string compiled_arch() {
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__i386__)
    return "i386";
#elif defined(__arm__)
    return "armhf";
#elif defined(__riscv)
    return "riscv64";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
    return "ppc64el";
#elif defined(__s390x__)
    return "s390x";
#else
    return "amd64";
#endif
}

// dpkg's native architecture: the Architecture of the installed dpkg package, else this build's. dpkg is
// not co-installable, and dpkg-query refuses a status file with two dpkg stanzas ("multiple
// non-coinstallable package instances"), so the first is the one: the status file is read in chunks of
// 64 KiB only until it (the first 64 MiB at most), and searched with memmem. It is read on every search,
// and dpkg's stanza sits near the start of the name-sorted file (~70 KiB into 955 KiB here).
std::string native_arch(const util::Root& root) {
    static constexpr std::string_view k_stanza = "\nPackage: dpkg\n";
    std::string stanza;
    auto fd = root.open_file("/var/lib/dpkg/status", O_RDONLY | O_NONBLOCK);
    if (fd) {
        struct stat st {};
        if (::fstat(*fd, &st) == 0 && S_ISREG(st.st_mode)) {
            std::size_t limit =
                std::min<std::size_t>(std::size_t(64) << 20, static_cast<std::size_t>(st.st_size));
            // 16 KiB at a time: each fresh page of a buffer costs a first touch (~12 us in this VM), and a
            // 64 KiB one was 16 of a warm search's ~190 page faults; dpkg's stanza sits ~70 KB in here.
            std::string buf(std::size_t(16) << 10, '\0');
            std::size_t keep = 0;   // bytes carried over from the previous chunk (a match across chunks)
            std::size_t offset = 0; // file offset of buf[0]
            std::size_t read_total = 0;
            std::optional<std::size_t> at; // file offset of the chosen stanza's "Package"
            bool first_is_dpkg = false;
            while (read_total < limit) {
                std::size_t want = std::min(buf.size() - keep, limit - read_total);
                ssize_t n = ::read(*fd, buf.data() + keep, want);
                if (n <= 0) {
                    break;
                }
                std::size_t have = keep + static_cast<std::size_t>(n);
                if (read_total == 0 && std::string_view(buf.data(), have).starts_with(k_stanza.substr(1))) {
                    first_is_dpkg = true;
                    at = 0;
                }
                read_total += static_cast<std::size_t>(n);
                if (!first_is_dpkg) {
                    const void* hit = ::memmem(buf.data(), have, k_stanza.data(), k_stanza.size());
                    if (hit != nullptr) {
                        at =
                            offset + static_cast<std::size_t>(static_cast<const char*>(hit) - buf.data()) + 1;
                    }
                }
                if (at) {
                    break;
                }
                keep = std::min(have, k_stanza.size() - 1);
                std::memmove(buf.data(), buf.data() + have - keep, keep);
                offset += have - keep;
            }
            if (at) {
                // The stanza itself, read again from its offset in pieces of 4 KiB until its blank line (1
                // MiB at most): dpkg's stanza is ~1 KiB, and a 1 MiB buffer zeroed and filled on every search
                // cost it ~256 fresh pages.
                std::string text;
                std::size_t cap = std::min<std::size_t>(std::size_t(1) << 20, limit - *at);
                std::size_t end = std::string::npos;
                while (text.size() < cap && end == std::string::npos) {
                    std::size_t had = text.size();
                    text.resize(std::min(cap, had + 4096));
                    ssize_t n =
                        ::pread(*fd, text.data() + had, text.size() - had, static_cast<off_t>(*at + had));
                    text.resize(had + (n > 0 ? static_cast<std::size_t>(n) : 0));
                    if (n <= 0) {
                        break;
                    }
                    end = text.find("\n\n", had > 0 ? had - 1 : 0);
                }
                stanza = text.substr(0, end);
            }
        }
        ::close(*fd);
    }
    if (!stanza.empty()) {
        std::string_view arch = util::trim(deb822_field(stanza, "Architecture"));
        if (!arch.empty() && arch != "all") {
            return std::string(arch);
        }
    }
    return compiled_arch();
}

std::string trim_slashes_end(std::string uri) {
    if (uri.empty() || uri.back() != '/') {
        uri.push_back('/');
    }
    return uri;
}

} // namespace

AptSetup apt_setup(const util::Root& root, AptReleases releases) {
    AptSetup setup;
    Resolved resolved(root);
    setup.native_arch = native_arch(root);
    setup.architectures.push_back(setup.native_arch);
    // Kept in a variable: a temporary inside the range-for's expression would end before the loop runs.
    const std::string foreign = read_head(root, "/var/lib/dpkg/arch", 1 << 16);
    for (std::string_view line : util::split_lines(foreign)) {
        std::string arch(util::trim(line));
        if (!arch.empty() && std::find(setup.architectures.begin(), setup.architectures.end(), arch) ==
                                 setup.architectures.end()) {
            setup.architectures.push_back(arch);
        }
    }

    // The sources.
    std::vector<AptSourceEntry> entries;
    std::vector<std::string> source_files;
    bool any_sources_file = false;
    if (root.exists("/etc/apt/sources.list")) {
        source_files.push_back("/etc/apt/sources.list");
        any_sources_file = true;
        auto more = parse_sources_list(read_head(root, "/etc/apt/sources.list", 1 << 20));
        entries.insert(entries.end(), more.begin(), more.end());
    }
    // The one-line parts first, then the deb822 ones, each in name order (one listing of the directory).
    const std::vector<std::string> parts =
        dir_files(resolved, "/etc/apt/sources.list.d",
                  [](std::string_view n) { return is_list_part(n) || is_sources_part(n); });
    for (bool deb822 : {false, true}) {
        for (const auto& f : parts) {
            if (ends_with(f, ".sources") != deb822) {
                continue;
            }
            any_sources_file = true;
            source_files.push_back(f);
            const std::string text = read_head(root, f, 1 << 20);
            auto more = deb822 ? parse_deb822_sources(text) : parse_sources_list(text);
            entries.insert(entries.end(), more.begin(), more.end());
        }
    }

    // The lists each entry makes apt-get update write, by file-name prefix, with their release priority.
    struct Wanted {
        std::string prefix;
        std::string release_prefix;
        std::vector<std::string> archs;
        std::string component{};
        std::string arch{};
        std::string site{};
        std::string source{}; ///< as apt-cache policy names the list: "URI SUITE/COMPONENT ARCH Packages"
    };
    std::vector<Wanted> wanted;
    for (const auto& e : entries) {
        std::string base = trim_slashes_end(e.uri);
        std::string shown = base.size() > 1 && base.back() == '/' ? base.substr(0, base.size() - 1) : base;
        std::vector<std::string> archs = e.architectures.empty() ? setup.architectures : e.architectures;
        if (e.suite.back() == '/') {
            std::string prefix = apt_uri_to_filename(base + e.suite);
            wanted.push_back(
                {prefix, prefix, {}, "", "", uri_site(base), shown + " " + e.suite + " Packages"});
            continue;
        }
        std::string dist = apt_uri_to_filename(base + "dists/" + e.suite + "/");
        for (const auto& component : e.components) {
            for (const auto& arch : archs) {
                wanted.push_back({apt_uri_to_filename(base + "dists/" + e.suite + "/" + component +
                                                      "/binary-" + arch + "/"),
                                  dist,
                                  {},
                                  component,
                                  arch,
                                  uri_site(base),
                                  shown + " " + e.suite + "/" + component + " " + arch + " Packages"});
            }
        }
    }

    std::vector<std::string> list_names = dir_files(resolved, "/var/lib/apt/lists", is_packages_file);
    for (const auto& path : list_names) {
        std::string_view name = std::string_view(path).substr(std::strlen("/var/lib/apt/lists/"));
        std::string_view prefix = list_prefix(name);
        const Wanted* match = nullptr;
        for (const auto& w : wanted) {
            if (w.prefix == prefix) {
                match = &w;
                break;
            }
        }
        if (match == nullptr && any_sources_file) {
            continue; // a leftover of a removed or disabled source
        }
        AptList list;
        list.file = root.resolve(path);
        if (match != nullptr) {
            list.release_files = "/var/lib/apt/lists/" + match->release_prefix;
            list.release.component = match->component;
            list.release.arch = match->arch;
            list.release.site = match->site;
            list.source = match->source;
        }
        setup.lists.push_back(std::move(list));
    }

    // Pinning: APT::Default-Release (a general pin at 990, before any file's), then /etc/apt/preferences
    // and preferences.d in apt's order; general pins set the lists' priorities here, specific ones are
    // applied per version by the readers; what cannot be applied is named in a note.
    std::vector<std::string> conf = {"/etc/apt/apt.conf"};
    for (const auto& f : dir_files(resolved, "/etc/apt/apt.conf.d", is_conf_part)) {
        conf.push_back(f);
    }
    setup.conf_files = conf;
    std::string default_release;
    for (const auto& f : conf) {
        std::string text = read_head(root, f, 1 << 20);
        if (util::icontains(text, "Default-Release")) {
            if (std::string value = apt_default_release(text); !value.empty()) {
                default_release = value; // a later file overrides an earlier one
            }
        }
    }
    if (!default_release.empty()) {
        AptPin pin;
        pin.type = AptPin::Type::release;
        pin.data = default_release;
        pin.priority = 990;
        pin.source = "APT::Default-Release";
        setup.preferences.general.push_back(std::move(pin));
    }
    std::vector<std::string> prefs;
    if (root.exists("/etc/apt/preferences")) {
        prefs.push_back("/etc/apt/preferences");
    }
    for (const auto& f : dir_files(resolved, "/etc/apt/preferences.d", is_pref_part)) {
        prefs.push_back(f);
    }
    for (const auto& f : prefs) {
        add_apt_preferences(setup.preferences, f, read_head(root, f, 1 << 20));
    }
    setup.pinned = setup.preferences.unapplied_packages;
    if (!setup.preferences.unapplied.empty()) {
        setup.pin_source = setup.preferences.unapplied.front();
    }
    if (releases == AptReleases::read) {
        read_apt_releases(root, setup);
    }
    AptReleaseInfo status_file;
    status_file.archive = "now";
    status_file.has_release = true;
    setup.status_priority = setup.preferences.file_priority(status_file, 100);

    // Stamps: what apt reads, so a change to any of it rebuilds the index.
    auto add_stamp = [&](const std::string& path) {
        setup.stamp.push_back(resolved(path));
    };
    for (const auto& l : setup.lists) {
        setup.stamp.push_back(l.file);
    }
    for (const auto& f : source_files) {
        add_stamp(f);
    }
    add_stamp("/etc/apt/sources.list.d");
    add_stamp("/var/lib/apt/lists");
    add_stamp("/var/lib/dpkg/arch");
    for (const auto& f : prefs) {
        add_stamp(f);
    }
    for (const auto& f : conf) {
        add_stamp(f);
    }
    add_stamp("/etc/apt/preferences");
    add_stamp("/etc/apt/preferences.d");
    add_stamp("/etc/apt/apt.conf.d");
    add_stamp("/var/lib/dpkg/status");
    add_stamp("/var/lib/dpkg/updates");
    for (const auto& f : dir_files(resolved, "/var/lib/dpkg/updates", [](std::string_view n) {
             return !n.empty() &&
                    std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
         })) {
        add_stamp(f);
    }
    return setup;
}

void read_apt_releases(const util::Root& root, AptSetup& setup) {
    if (setup.releases_read) {
        return;
    }
    // The components and architectures of one suite share its Release file: read once.
    struct Read {
        AptReleaseInfo info;
        int priority = 500;
    };
    std::map<std::string, Read, std::less<>> read;
    for (auto& list : setup.lists) {
        if (!list.release_files.empty()) {
            auto found = read.find(list.release_files);
            if (found == read.end()) {
                std::string text = read_head(root, list.release_files + "InRelease", 1 << 16);
                if (text.empty()) {
                    text = read_head(root, list.release_files + "Release", 1 << 16);
                }
                Read fields;
                read_release_info(fields.info, fields.priority, text);
                found = read.emplace(list.release_files, std::move(fields)).first;
            }
            // The Release file's fields, with what the list itself says (its component, arch and site).
            AptReleaseInfo info = found->second.info;
            info.component = std::move(list.release.component);
            info.arch = std::move(list.release.arch);
            info.site = std::move(list.release.site);
            list.release = std::move(info);
            list.priority = found->second.priority;
        }
        list.priority = setup.preferences.file_priority(list.release, list.priority);
    }
    setup.releases_read = true;
}

std::vector<std::filesystem::path> apt_list_files(const util::Root& root) {
    std::vector<std::filesystem::path> files;
    for (auto& l : apt_setup(root, AptReleases::when_building).lists) {
        files.push_back(std::move(l.file));
    }
    return files;
}

std::string apt_pin_note(const AptSetup& setup, const std::vector<SearchHit>& hits) {
    if (setup.pinned.empty()) {
        return {};
    }
    bool all = std::find(setup.pinned.begin(), setup.pinned.end(), "*") != setup.pinned.end();
    std::vector<std::string> concerned;
    for (const auto& h : hits) {
        std::string_view bare = std::string_view(h.name).substr(0, h.name.find(':'));
        if (all || std::find(setup.pinned.begin(), setup.pinned.end(), bare) != setup.pinned.end()) {
            concerned.push_back(h.name);
        }
    }
    if (concerned.empty()) {
        return {};
    }
    std::string which = all ? std::string("these results") : concerned.front();
    if (!all && concerned.size() > 1) {
        which += " and " + std::to_string(concerned.size() - 1) + " more";
    }
    return "an apt pin zsyncctl cannot apply (" + setup.pin_source + ") may change the candidate of " +
           which + "; shown: apt's priorities without it (check with apt-cache policy)";
}

} // namespace zsyncctl::pkg
