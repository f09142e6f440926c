#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/root.hpp"

namespace zsyncctl::pkg {

/// What decides whether apt's upgrade keeps a phased update back (apt 2.6, apt-pkg/upgrade.cc): the
/// machine's id and the settings that override the phase.
struct AptPhasing {
    std::string machine_id;      ///< APT::Machine-ID, else the first line of the root's /etc/machine-id
    bool phase_policy = false;   ///< APT::Get::Phase-Policy: phasing is left to the policy (never kept back)
    bool always_include = false; ///< APT::Get::Always-Include-Phased-Updates (or Update-Manager's)
    bool never_include = false;  ///< APT::Get::Never-Include-Phased-Updates (or Update-Manager's)
    bool include_everything = false; ///< SOURCE_DATE_EPOCH is set or apt runs in a chroot: no phasing
};

/// The last value apt.conf text gives `key` ("APT::Get::Always-Include-Phased-Updates"), in either form
/// (`A::B::C "v";` or nested `A { B { C "v"; }; };`), keys compared as apt does (ignoring case); nullopt
/// when the text does not set it. Never fails.
std::optional<std::string> apt_conf_value(std::string_view conf_text, std::string_view key);

/// apt's StringToBool: "true", "yes", "on", "with", "enable", "1"... are true, "false", "no", "off",
/// "without", "disable", "0" false; anything else is `fallback`. Never fails.
bool apt_conf_bool(std::string_view value, bool fallback);

/// True when this process runs in a chroot as `ischroot -t` decides it (which apt asks): fakechroot is
/// active, or init's mount table differs from ours, or (unreadable) / is not /proc/1/root, or nothing
/// could be checked. Never fails.
bool apt_in_chroot();

/// The phasing settings apt would use under `root`: `conf_files` (apt.conf and its parts, in apt's order,
/// paths inside the root; a later one wins), the root's /etc/machine-id, and this process's environment
/// and chroot state. Never fails (what cannot be read is not set).
AptPhasing read_apt_phasing(const util::Root& root, const std::vector<std::string>& conf_files);

/// A Packages stanza's Phased-Update-Percentage as apt reads it: 0..100, or 100 (fully phased in) when the
/// field is absent or not a number in range. Never fails.
int phased_update_percentage(std::string_view field);

/// The machine's draw (0..100) for `seed_text` ("SOURCE-VERSION-MACHINEID"): apt's std::seed_seq,
/// std::minstd_rand and uniform_int_distribution(0, 100) as libstdc++ computes it, with any standard
/// library. Never fails.
unsigned int apt_phase_draw(std::string_view seed_text);

/// True when apt's upgrade keeps back the upgrade to a version with `percentage` of source package
/// `source` at `source_version` (apt's IsIgnoredPhasedUpdate: the overrides, then a draw from a generator
/// seeded with "SOURCE-VERSION-MACHINEID" compared with the percentage). A percentage of 100 never is.
/// Never fails.
bool apt_phase_excluded(const AptPhasing& phasing, std::string_view source, std::string_view source_version,
                        int percentage);

} // namespace zsyncctl::pkg
