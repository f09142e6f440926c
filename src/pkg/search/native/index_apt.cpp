#include "pkg/search/native/index_apt.hpp"

#include <algorithm>
#include <unordered_map>

#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/deb_version.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

bool is_packages_file(std::string_view name) {
    static constexpr std::string_view suffixes[] = {"_Packages",     "_Packages.gz",  "_Packages.xz",
                                                    "_Packages.lz4", "_Packages.zst", "_Packages.bz2"};
    for (std::string_view s : suffixes) {
        if (name.size() > s.size() && name.substr(name.size() - s.size()) == s) {
            return true;
        }
    }
    return false;
}

// "install ok installed", "hold ok installed": the third word is dpkg's state.
bool status_is_installed(std::string_view status) {
    auto words = util::split(util::trim(status), ' ');
    return words.size() == 3 && words[2] == "installed";
}

// Keeps the newest version of each package (Debian version order) across Packages stanzas.
class AptRecordMerger {
public:
    explicit AptRecordMerger(const std::unordered_set<std::string>& installed) : m_installed(installed) {}

    void add(std::string_view stanza) {
        std::string_view name = deb822_field(stanza, "Package");
        std::string_view version = deb822_field(stanza, "Version");
        if (name.empty()) {
            return;
        }
        auto found = m_by_name.find(std::string(name));
        if (found != m_by_name.end() &&
            compare_deb_versions(version, m_records[found->second].version) <= 0) {
            return;
        }
        std::string_view description = deb822_field(stanza, "Description", &m_scratch);
        if (description.empty()) {
            description = deb822_field(stanza, "Description-en", &m_scratch);
        }
        std::size_t eol = description.find('\n');
        IndexRecord record;
        record.name.assign(name);
        record.version.assign(version);
        record.summary.assign(description.substr(0, eol));
        if (eol != std::string_view::npos) {
            record.long_text.assign(description.substr(eol + 1));
        }
        record.installed = m_installed.count(record.name) != 0;
        if (found != m_by_name.end()) {
            m_records[found->second] = std::move(record);
        } else {
            m_by_name.emplace(record.name, m_records.size());
            m_records.push_back(std::move(record));
        }
    }

    std::vector<IndexRecord> take() { return std::move(m_records); }

private:
    const std::unordered_set<std::string>& m_installed;
    std::vector<IndexRecord> m_records;
    std::unordered_map<std::string, std::size_t> m_by_name;
    std::string m_scratch;
};

// Adds the name of an installed package from one dpkg status stanza.
void add_if_installed(std::string_view stanza, std::unordered_set<std::string>& names) {
    if (status_is_installed(deb822_field(stanza, "Status"))) {
        std::string_view name = deb822_field(stanza, "Package");
        if (!name.empty()) {
            names.emplace(name);
        }
    }
}

} // namespace

std::unordered_set<std::string> parse_dpkg_status(std::string_view text) {
    std::unordered_set<std::string> names;
    StanzaSplitter splitter([&](std::string_view stanza) { add_if_installed(stanza, names); });
    splitter.feed(text);
    splitter.finish();
    return names;
}

std::vector<IndexRecord> parse_apt_packages(std::string_view text,
                                            const std::unordered_set<std::string>& installed) {
    AptRecordMerger merger(installed);
    StanzaSplitter splitter([&](std::string_view stanza) { merger.add(stanza); });
    splitter.feed(text);
    splitter.finish();
    return merger.take();
}

std::vector<std::filesystem::path> apt_list_files(const util::Root& root) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    std::filesystem::directory_iterator it(root.resolve("/var/lib/apt/lists"), ec);
    if (ec) {
        return files;
    }
    for (const auto& entry : it) {
        std::string name = entry.path().filename().string();
        if (!is_packages_file(name)) {
            continue;
        }
        // A list may be a symlink: it is followed inside the root, never to the host's files.
        std::filesystem::path file = root.resolve("/var/lib/apt/lists/" + name);
        if (std::filesystem::is_regular_file(file, ec)) {
            files.push_back(std::move(file));
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

util::Result<std::unordered_set<std::string>> dpkg_installed_names(const util::Root& root) {
    std::unordered_set<std::string> names;
    std::filesystem::path status = root.resolve("/var/lib/dpkg/status");
    std::error_code ec;
    auto type = std::filesystem::status(status, ec).type();
    if (type == std::filesystem::file_type::not_found) {
        return names;
    }
    // Reading a FIFO would block until a writer appears; a directory or device is no status file.
    if (type != std::filesystem::file_type::regular) {
        return util::fail(util::ErrorKind::io, status.string() + ": not a regular file");
    }
    StanzaSplitter splitter([&](std::string_view stanza) { add_if_installed(stanza, names); });
    auto read = read_decompressed(status, [&](std::string_view chunk) { splitter.feed(chunk); });
    if (!read) {
        return util::fail(std::move(read).error());
    }
    splitter.finish();
    return names;
}

util::Result<std::vector<IndexRecord>> read_apt_records(const std::vector<std::filesystem::path>& lists,
                                                        const std::unordered_set<std::string>& installed) {
    AptRecordMerger merger(installed);
    std::optional<util::Error> first_error;
    std::size_t readable = 0;
    for (const auto& file : lists) {
        StanzaSplitter splitter([&](std::string_view stanza) { merger.add(stanza); });
        auto read = read_decompressed(file, [&](std::string_view chunk) { splitter.feed(chunk); });
        if (read) {
            splitter.finish();
            ++readable;
        } else if (!first_error) {
            first_error = read.error();
        }
    }
    if (readable == 0 && first_error) {
        return util::fail(*first_error);
    }
    return merger.take();
}

util::Result<PackageIndex> apt_index(const util::Root& root, const std::filesystem::path& cache_file) {
    std::vector<std::filesystem::path> lists = apt_list_files(root);
    if (lists.empty()) {
        return util::fail(util::ErrorKind::not_found,
                          "no apt package lists under " + root.resolve("/var/lib/apt/lists").string(),
                          "run: apt-get update");
    }
    std::vector<std::filesystem::path> sources = lists;
    sources.push_back(root.resolve("/var/lib/dpkg/status"));
    return load_or_build_index(cache_file, stamp_files(sources),
                               [&]() -> util::Result<std::vector<IndexRecord>> {
                                   auto installed = dpkg_installed_names(root);
                                   if (!installed) {
                                       return util::fail(std::move(installed).error());
                                   }
                                   return read_apt_records(lists, *installed);
                               });
}

} // namespace zsyncctl::pkg
