#include "pkg/inventory/apt_info_table.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <optional>
#include <utility>

#include "pkg/search/native/archive_reader.hpp"

namespace zsyncctl::pkg {

namespace {

// The extra section starts with this line; a table of another layout is rebuilt, not misread.
constexpr std::string_view k_table_tag = "zsyncctl apt info table 1\n";

// A size field's first line in bytes (`unit` 1 for Size, 1024 for Installed-Size), -1 when empty or not a
// non-negative number.
std::int64_t size_value(std::string_view text, std::int64_t unit) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 ||
        value > INT64_MAX / unit) {
        return -1;
    }
    return value * unit;
}

// Reads what append_raw and PackedNames::append wrote at `pos`, advancing it; false past the end.
struct Reader {
    std::string_view bytes;
    std::size_t pos = 0;

    template <typename Number>
    bool number(Number& v) {
        if (bytes.size() - pos < sizeof(Number)) {
            return false;
        }
        std::memcpy(&v, bytes.data() + pos, sizeof(Number));
        pos += sizeof(Number);
        return true;
    }
    bool text(std::string_view& v) {
        std::uint32_t len = 0;
        if (!number(len) || bytes.size() - pos < len) {
            return false;
        }
        v = bytes.substr(pos, len);
        pos += len;
        return true;
    }
};

} // namespace

util::Result<AptInfoTable> AptInfoTable::load_or_build(const AptSetup& setup, const std::string& cache_file,
                                                       std::string_view name,
                                                       const core::CancellationToken& token) {
    std::vector<std::filesystem::path> files;
    files.reserve(setup.lists.size());
    for (const auto& list : setup.lists) {
        files.push_back(list.file);
    }
    std::vector<SourceStamp> stamps = stamp_files(files);
    AptInfoTable table;
    auto take = [&table](PackageIndex file) {
        std::string_view extra = file.extra();
        if (!extra.starts_with(k_table_tag)) {
            return false;
        }
        extra.remove_prefix(k_table_tag.size());
        auto names = PackedNames::take(extra, std::string_view::npos, 2);
        if (!names || !extra.empty()) {
            return false;
        }
        table.m_file = std::move(file);
        table.m_names = *names;
        return true;
    };
    if (!cache_file.empty()) {
        if (auto cached = PackageIndex::load(cache_file, stamps); cached && take(std::move(*cached))) {
            table.m_loaded = true;
            return table;
        }
    }

    // Every stanza of every list: (name, its encoded fields), in list and file order.
    std::vector<std::pair<std::string, std::string>> stanzas;
    std::optional<util::Error> first_error;
    std::size_t readable = 0;
    static constexpr std::array<std::string_view, 5> k_keys{"Architecture", "Version", "Description", "Size",
                                                            "Installed-Size"};
    for (std::size_t i = 0; i < setup.lists.size(); ++i) {
        auto read = read_stanzas(setup.lists[i].file, token, [&](std::string_view stanza) {
            std::string_view package = deb822_package(stanza);
            if (package.empty() || (cache_file.empty() && package != name)) {
                return;
            }
            std::array<std::string_view, k_keys.size()> v;
            deb822_first_lines(stanza, k_keys, v);
            std::string entry;
            append_raw(entry, static_cast<std::uint32_t>(i));
            append_raw(entry, size_value(v[3], 1));
            append_raw(entry, size_value(v[4], 1024));
            PackedNames::append(entry, v[0]);
            PackedNames::append(entry, v[1]);
            PackedNames::append(entry, sanitize_index_field(v[2]));
            stanzas.emplace_back(std::string(package), std::move(entry));
        });
        if (read) {
            ++readable;
        } else if (read.error().kind == util::ErrorKind::cancelled) {
            return util::fail(std::move(read).error());
        } else if (!first_error) {
            first_error = read.error(); // a list that cannot be read counts as empty, as apt_outdated has it
        }
    }
    if (readable == 0 && first_error) {
        return util::fail(*first_error);
    }
    std::stable_sort(stanzas.begin(), stanzas.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string packed(k_table_tag);
    for (std::size_t i = 0; i < stanzas.size();) {
        std::string value;
        std::size_t j = i;
        for (; j < stanzas.size() && stanzas[j].first == stanzas[i].first; ++j) {
            value += stanzas[j].second;
        }
        PackedNames::append(packed, stanzas[i].first);
        PackedNames::append(packed, value);
        i = j;
    }
    stanzas.clear();
    stanzas.shrink_to_fit();
    PackageIndex file = PackageIndex::build(std::vector<IndexRecord>{}, std::move(stamps), packed);
    // Written whole and renamed over it: never torn. Not when a list could not be read: its stamp would
    // hold once it can be, and the table would go on without it.
    if (!cache_file.empty() && !first_error) {
        (void)file.save(cache_file);
    }
    if (!take(std::move(file))) {
        return util::fail(util::ErrorKind::internal, "the apt info table just built does not read back");
    }
    return table;
}

std::vector<AptListVersion> AptInfoTable::versions_of(std::string_view name) const {
    std::vector<AptListVersion> out;
    PackedNames::Cursor at;
    std::optional<std::string_view> value = m_names.find(at, name);
    if (!value) {
        return out;
    }
    Reader r{*value};
    while (r.pos < r.bytes.size()) {
        AptListVersion v;
        if (!r.number(v.list) || !r.number(v.size) || !r.number(v.installed_size) ||
            !r.text(v.architecture) || !r.text(v.version) || !r.text(v.description)) {
            break;
        }
        out.push_back(v);
    }
    return out;
}

} // namespace zsyncctl::pkg
