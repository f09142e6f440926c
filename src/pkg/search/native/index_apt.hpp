#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/search/native/apt_pins.hpp"
#include "pkg/search/search_index.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// One Packages list apt reads, with its priority: the first general pin that matches its release, else
/// its release's default (500; 100 for a release with "NotAutomatic: yes" and "ButAutomaticUpgrades: yes";
/// 1 for "NotAutomatic: yes" alone).
struct AptList {
    std::filesystem::path file;
    int priority = 500;
    AptReleaseInfo release{}; ///< what release and origin pins match
    std::string source{};     ///< "URI SUITE/COMPONENT ARCH Packages" as apt-cache policy shows it; empty for
                              ///< a list of no configured source
    /// Its release's files without the ending ("/var/lib/apt/lists/SITE_dists_SUITE_": InRelease, else
    /// Release, is read); empty for a list of no configured source.
    std::string release_files{};
};

/// What apt's configuration under a root says about searching: the architectures, the lists of the
/// configured sources, the files whose change invalidates an index, and the pinning zsyncctl does not
/// apply.
struct AptSetup {
    std::string native_arch;                  ///< dpkg's native architecture
    std::vector<std::string> architectures;   ///< native first, then dpkg's foreign ones
    std::vector<AptList> lists;               ///< sorted by file name
    std::vector<std::filesystem::path> stamp; ///< configuration, lists, dpkg status and journal
    AptPreferences preferences;               ///< preferences files and APT::Default-Release, applied
    int status_priority = 100;                ///< dpkg status file's priority (a general pin may match it)
    /// Packages named by pin stanzas zsyncctl cannot apply ("*" when any package); empty when none.
    std::vector<std::string> pinned;
    std::string pin_source; ///< the first stanza that could not be applied and why, empty when none
    /// apt.conf and the apt.conf.d parts, in the order apt reads them (paths inside the root).
    std::vector<std::string> conf_files;
    /// The lists' Release files have been read: their `release` and `priority` are final. False only for
    /// apt_setup(root, AptReleases::when_building).
    bool releases_read = false;
};

/// Whether apt_setup reads the lists' Release files (hundreds of KiB) or leaves them to the index build,
/// the only reader of what they give: a warm search needs only the stamps.
enum class AptReleases { read, when_building };

/// One entry of a sources file: a "deb" line of sources.list or one URI x suite of a deb822 stanza.
struct AptSourceEntry {
    std::string uri;
    std::string suite; ///< ends with '/' for a flat repository ("./")
    std::vector<std::string> components;
    std::vector<std::string> architectures; ///< from arch= / Architectures:, empty for the default
};

/// The "deb" entries of one-line sources.list text; deb-src, comments and malformed lines are skipped.
/// Never fails.
std::vector<AptSourceEntry> parse_sources_list(std::string_view text);

/// The "deb" entries of deb822 .sources text (each URI x suite of each stanza; "Enabled: no" skipped).
/// Never fails.
std::vector<AptSourceEntry> parse_deb822_sources(std::string_view text);

/// apt's URItoFileName: the scheme and credentials dropped, unsafe characters %-quoted, '/' turned into
/// '_' ("http://deb.debian.org/debian/dists/x/" -> "deb.debian.org_debian_dists_x_"). Never fails.
std::string apt_uri_to_filename(std::string_view uri);

/// apt's setup under `root`: sources.list, sources.list.d/*.list and *.sources select the lists under
/// /var/lib/apt/lists (leftovers of removed sources are not read; a root without any sources file reads
/// every list there), their Release files give the default priorities, /var/lib/dpkg/arch and the status
/// file give the architectures. Never fails; unreadable files count as absent.
AptSetup apt_setup(const util::Root& root, AptReleases releases = AptReleases::read);

/// Reads what apt_setup(root, AptReleases::when_building) left out: each list's Release fields and its
/// priority (its release's default, then the general pins). Each Release file is read once. Nothing when
/// `setup.releases_read`. Never fails; an unreadable Release file counts as absent.
void read_apt_releases(const util::Root& root, AptSetup& setup);

/// The Packages index files under <root>/var/lib/apt/lists that apt_setup selects. Never fails.
std::vector<std::filesystem::path> apt_list_files(const util::Root& root);

/// The fields of one Packages or status stanza the apt readers use (defined in index_apt.cpp).
struct AptStanza;

/// Builds apt's view of packages from Packages stanzas and dpkg's status (plus its journal): per package
/// the versions with their priorities, the current version (dpkg states installed, unpacked,
/// half-configured, half-installed, triggers-awaited, triggers-pending), apt's candidate (highest priority,
/// never below the current version: an installed version newer than every list version stays the
/// candidate) and the provided names. One record per name: the native architecture's package wins, a
/// foreign-only package is named "name:arch". Not thread-safe.
class AptIndexBuilder {
public:
    /// `architectures`: native first; packages of other architectures are ignored.
    AptIndexBuilder(std::string native_arch, std::vector<std::string> architectures);

    /// Applies the specific pins of `prefs` (which must outlive the builder) and gives dpkg's status file
    /// `status_priority`.
    void use_preferences(const AptPreferences* prefs, int status_priority = 100);

    /// One stanza of a Packages list with its file's priority (`release`, when given, for specific pins).
    void add_list_stanza(std::string_view stanza, int priority, const AptReleaseInfo* release = nullptr);
    /// One stanza of dpkg's status file or journal; a later stanza for the same package replaces the
    /// earlier one, as dpkg applies its journal. `stable`: the stanza's text lives as long as the builder
    /// (see hold()), so it is referred to, not copied.
    void add_status_stanza(std::string_view stanza, bool stable = false);
    /// Room for `stanzas` more status stanzas, and for the versions and packages they and their list
    /// versions bring (an estimate: reserved room that is never written costs no memory).
    void reserve_status(std::size_t stanzas);
    /// Keeps `storage` (the text of stable stanzas) alive as long as the builder.
    void hold(std::shared_ptr<const void> storage) { m_held.push_back(std::move(storage)); }
    /// A version of a list as finish(aux) saved it (`arch` as stored); replayed before add_status_stanza's
    /// entries are applied, it gives the same records as the stanzas it came from. `in_record`: it is the
    /// candidate whose text the lists index's record holds.
    void add_list_version(std::string_view name, std::string_view arch, std::string_view version,
                          int priority, int pin, bool has_description, std::string_view summary,
                          std::string_view long_text, std::span<const std::string_view> provides,
                          bool in_record = false);
    /// The names (groups: without ":arch") that dpkg's entries added so far give a current version.
    std::vector<std::string> status_groups();
    /// The architectures, native first.
    const std::vector<std::string>& architectures() const { return m_archs; }
    /// The records; never fails. With `aux`, every package's versions are appended to it in name order
    /// (see apt_index's side file), the text of a version only when it is not its record's candidate.
    /// Consumes the builder.
    std::vector<IndexRecord> finish(std::string* aux = nullptr);
    /// The index of finish()'s records (the same bytes as PackageIndex::build of them), with finish's aux as
    /// its extra section when `with_aux`, written from the builder's text without a copy per record; with a
    /// `save_to` file, written straight there and mapped (PackageIndex::build_saved). Consumes the builder.
    PackageIndex finish_index(std::vector<SourceStamp> stamps, bool with_aux,
                              const std::filesystem::path& save_to = {});
    /// How the text of a replayed version given `in_record` (and no text) is read when its record is
    /// rebuilt: `fetch(record name, summary, long text)`, false when it cannot be read.
    void use_record_text(std::function<bool(std::string_view, std::string_view&, std::string_view&)> fetch) {
        m_record_text = std::move(fetch);
    }
    /// A record of replayed list versions that dpkg's entries left as the lists index has it: the same
    /// candidate, text and provided names (see finish_side).
    struct KeptRecord {
        std::string_view name;              ///< the record's name (group name, or "name:arch")
        std::string_view installed_version; ///< dpkg's current version; empty when none
    };
    /// The index of finish()'s records (the same bytes as PackageIndex::build of them) with
    /// extra_of(kept) as its extra section, built in memory from the builder's text. With `kept`, a record
    /// of replayed versions that equals the lists index's but for its installed state is not built but
    /// listed there. nullopt when a rebuilt record's text could not be read (use_record_text). Consumes
    /// the builder.
    std::optional<PackageIndex>
    finish_side(std::vector<SourceStamp> stamps,
                const std::function<std::string(const std::vector<KeptRecord>&)>& extra_of,
                bool keep_unchanged = false);

private:
    static constexpr std::uint32_t k_none = ~std::uint32_t(0);
    // The text of every version lives in the builder's arena (chunks of 1 MiB): no allocation per field.
    struct Version {
        std::string_view version;
        std::string_view summary;
        std::string_view long_text;
        std::vector<std::string_view> provides; // empty (no allocation) for most versions
        int priority = 0;
        int pin = -1; ///< the first specific pin that matches this version, -1 none
        bool current = false;
        bool has_description = false;
        bool long_raw = false;           ///< long_text is still the field's continuation lines, not joined
        bool in_record = false;          ///< replayed: the lists index's record holds this version's text
        std::uint32_t list_provides = 0; ///< replayed: how many of `provides` the lists gave
        std::uint32_t next = k_none;     ///< the package's next version (m_versions), in the order added
    };
    struct Package {
        std::string_view name;
        std::uint32_t arch = 0; ///< in m_arch_names
        std::uint32_t first = k_none;
        std::uint32_t last = k_none;
    };
    struct StatusEntry {
        std::string key; ///< "name:arch"
        Version version;
        std::uint32_t name_size = 0; ///< the name's bytes at the start of key
        bool current = false;

        std::string_view name() const { return std::string_view(key).substr(0, name_size); }
        std::string_view arch() const { return std::string_view(key).substr(name_size + 1); }
    };

    std::string_view keep(std::string_view text);
    char* take(std::size_t size);
    void give_back(std::size_t unused);
    std::string_view continuation(std::string_view stanza, std::size_t pos,
                                  std::size_t end = std::string_view::npos);
    void fill_version(Version& v, std::string_view stanza, const AptStanza& f, bool stable_status = false);
    int arch_key(std::string_view arch) const;
    std::uint32_t arch_index(std::string_view arch);
    Package& package(std::string_view name, std::uint32_t arch);
    void add_version(Package& pkg, Version v);
    // Appends to `into` each of `names` that is not `skip` and not yet in into[from..], in order.
    static void append_unique(std::vector<std::string_view>& into, std::size_t from,
                              std::span<const std::string_view> names, std::string_view skip);
    std::vector<IndexRecordView> finish_views(std::string* aux, std::vector<std::string_view>& provides,
                                              std::vector<KeptRecord>* kept = nullptr);
    // Leaves in m_status dpkg's last word on each name:arch (the last stanza of each key), in key order.
    void settle_status();

    std::string m_native;
    std::vector<std::string> m_archs;
    std::uint32_t m_native_at = 0;         // m_native in m_archs
    std::vector<std::string> m_arch_names; // m_archs, then architectures only a replayed version names
    const AptPreferences* m_prefs = nullptr;
    int m_status_priority = 100;
    std::vector<std::unique_ptr<char[]>> m_chunks;
    std::vector<std::shared_ptr<const void>> m_held; // the text of stable stanzas
    std::function<bool(std::string_view, std::string_view&, std::string_view&)> m_record_text;
    bool m_text_missing = false; // a record_text fetch failed
    char* m_at = nullptr;
    std::size_t m_left = 0;
    std::string m_scratch;
    std::vector<Package> m_packages;
    std::vector<Version> m_versions;
    std::vector<std::uint32_t> m_slots; // open addressing by (name, arch): package index + 1, 0 when free
    // The status file's stanzas in file order until settle_status() sorts them once: two map nodes and a
    // string per stanza were a third of a search's instructions after a dpkg status change.
    std::vector<StatusEntry> m_status;
    bool m_status_settled = true; // m_status is sorted by name, then architecture, one entry a key
};

/// One version of a package as apt's policy weighs it (`version` must outlive the call).
struct AptPolicyVersion {
    std::string_view version;
    int priority = 0; ///< the version's priority (pkgPolicy::GetPriority): its pin's, else its files' best
    bool current = false; ///< dpkg's current version
};

/// apt's candidate (pkgPolicy::GetCandidateVer) among `newest_first`, sorted newest first by
/// compare_deb_versions: the highest priority wins, newest first on a tie; nothing below 0 (not even the
/// current version) and nothing at 0 unless it is the current version; once
/// past the current version only a priority over 999 (a downgrade pin) wins. The index of the candidate,
/// nullopt when there is none. Never fails.
std::optional<std::size_t> apt_candidate(const std::vector<AptPolicyVersion>& newest_first);

/// Streams the deb822 stanzas of one file (plain or compressed) to `add`, checking `token` per chunk.
/// Fails with cancelled, parse (a stanza over 4 MiB, more than 1 GiB of text) or the read error.
util::Result<void> read_stanzas(const std::filesystem::path& file, const core::CancellationToken& token,
                                const std::function<void(std::string_view)>& add);

/// The dpkg state words that give a package a current version ("installed", "unpacked", ...).
bool dpkg_state_has_current_version(std::string_view state);

/// Names (as apt shows them) of the packages with a current version in dpkg status text. Never fails;
/// damaged stanzas are skipped.
std::unordered_set<std::string> parse_dpkg_status(std::string_view text);

/// The records of Packages text and dpkg status text for a single-architecture `arch` system, as
/// AptIndexBuilder makes them. Never fails.
std::vector<IndexRecord> parse_apt_packages(std::string_view packages, std::string_view status = {},
                                            std::string_view arch = "amd64");

/// The apt search index for `root` (see apt_setup and AptIndexBuilder): loaded from `cache_file` when its
/// stamps hold, else rebuilt and saved there (a save failure is not an error). An empty `cache_file`
/// disables caching. `token` is checked per chunk read: once cancelled the build stops with cancelled.
/// Fails with not_found when the root has no apt lists, parse when a file has a stanza over 4 MiB or more
/// than 1 GiB of text (a decompression bomb), io when nothing could be read.
util::Result<PackageIndex> apt_index(const util::Root& root, const std::filesystem::path& cache_file,
                                     const core::CancellationToken& token = core::CancellationToken());

/// apt_index with `setup` already read (apt_setup(root)), so a search reads apt's configuration once.
util::Result<PackageIndex> apt_index(const util::Root& root, const AptSetup& setup,
                                     const std::filesystem::path& cache_file,
                                     const core::CancellationToken& token = core::CancellationToken());

/// The group table at the end of finish(aux)'s section: each group's name prefix, then each group's offset,
/// then the count of groups with this flag set. The flag marks the layout with prefixes: a section without
/// it (an index written before them) is damaged to its reader and built again.
inline constexpr std::uint32_t k_aux_prefixed = 0x80000000u;

/// The first 8 bytes of `name`, zero-padded, as a big-endian number: two names' prefixes compare as the
/// names do, or equal when the names share their first 8 bytes (a name holds no NUL).
std::uint64_t aux_name_prefix(std::string_view name);

/// The side index of apt's installed state (stamped `stamps`): the packages `status` (a builder fed dpkg's
/// entries, with the architectures and preferences `lists` was built with) gives a current version,
/// recomputed from their list versions in `lists` (an index built from AptIndexBuilder::finish(&aux)'s
/// records with aux as its extra section). nullopt when that section is damaged or a record's text cannot
/// be read back: the lists index must then be built again. Consumes `status`.
std::optional<PackageIndex> apt_installed_side(const PackageIndex& lists, AptIndexBuilder& status,
                                               std::string_view native_arch, std::vector<SourceStamp> stamps);

/// `lists` searched with apt_installed_side's `side` in place of the packages it recomputed (the same
/// records as one index built from the lists and dpkg's status together); nullopt when `side` is damaged.
std::optional<PackageIndex> apt_joined(PackageIndex lists, PackageIndex side);

/// A note for search results when a pin zsyncctl could not apply (see AptPreferences::unapplied) may make
/// apt's candidate differ from the one shown, for the hits it concerns; empty otherwise.
std::string apt_pin_note(const AptSetup& setup, const std::vector<SearchHit>& hits);

} // namespace zsyncctl::pkg
