// What `pkg info -m apt` needs of apt's lists, per package name, kept in a cache file beside the search
// index: the lists hold 50 MB of lz4-compressed text on a Debian, and reading them for one name took
// ~40 ms where apt-cache policy answers from its binary cache in ~12 (bench/pkg_info.sh).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/search/native/index_apt.hpp"
#include "pkg/search/search_index.hpp"
#include "util/result.hpp"

namespace zsyncctl::pkg {

/// One stanza of a Packages list as pkg info shows it (views of the table's bytes).
struct AptListVersion {
    std::uint32_t list = 0;        ///< index into AptSetup::lists
    std::string_view architecture; ///< the Architecture field as written ("all", "amd64", ...)
    std::string_view version;
    std::string_view description;     ///< the Description's first line, sanitized (sanitize_index_field)
    std::int64_t size = -1;           ///< Size in bytes; -1 absent or not a number
    std::int64_t installed_size = -1; ///< Installed-Size in bytes (the field is in KiB); -1 the same
};

/// Every stanza of `setup`'s lists by package name (the Package field as deb822_package reads it), in list
/// order. Loaded from `cache_file` when its stamps (the lists, in setup order) hold, else read from the
/// lists and saved there when every list could be read (a save failure is not an error). Without a cache file
/// (empty: --no-cache, no cache dir) only the stanzas named `name` are kept, as nothing else would be read.
/// The priorities and pins are not in it: they come from the setup when the table is read. Fails with
/// cancelled, or with a list's read error when no list could be read.
class AptInfoTable {
public:
    static util::Result<AptInfoTable> load_or_build(const AptSetup& setup, const std::string& cache_file,
                                                    std::string_view name,
                                                    const core::CancellationToken& token);

    /// The stanzas named `name`, in list order then file order; empty when none. Bounds-checked: a damaged
    /// entry ends the list early. Views valid while the table lives.
    std::vector<AptListVersion> versions_of(std::string_view name) const;

    /// True when the table came from its cache file.
    bool loaded() const { return m_loaded; }

private:
    PackageIndex m_file; // holds the bytes: the packed list is its extra section
    PackedNames m_names; // name -> the encoded stanzas of that name
    bool m_loaded = false;
};

} // namespace zsyncctl::pkg
