#pragma once

#include <string>
#include <string_view>

#include "util/root.hpp"

namespace zsyncctl::pkg {

/// What a formula's Ruby file declares about its stable version, read as text (never evaluated).
struct BrewFormulaVersion {
    std::string
        version; ///< `version "X"`, else the one Homebrew derives from the url (or its tag:); may be empty
    int revision = 0;       ///< `revision N`
    int version_scheme = 0; ///< `version_scheme N`
    std::string desc;       ///< `desc "..."`
    bool found = false;     ///< the formula file was read
    /// VERSION[_REVISION] as brew names kegs (PkgVersion#to_s); empty when the version is unknown.
    std::string pkg_version() const;
};

/// Homebrew's Version.parse of a url (Version.detect): the common forms of version/parser.rb's list, in its
/// order, on the file name's stem (Homebrew's extname: .tar.gz and friends, a trailing version is no
/// extension) or on the whole url, after %XX is decoded. Empty when none matches or the url is longer
/// than 1024 bytes.
std::string brew_version_from_url(std::string_view url);

/// The platform a formula is read for: Homebrew evaluates on_linux/on_macos and on_arm/on_intel blocks (and
/// `if Hardware::CPU.arm?` branches) for the machine it runs on.
struct BrewPlatform {
    bool linux = true; ///< Linux (else macOS)
    bool arm = false;  ///< arm64 (else Intel)
    /// The machine zsyncctl runs on (uname).
    static BrewPlatform host();
};

/// The stable version of a formula's Ruby text: the class body's top-level (or `stable do` block's)
/// `version`, `url` (with `tag:` taking the url's place, as Version.detect does), `revision` and
/// `version_scheme` (and `desc`) lines, also inside the on_linux/on_macos and on_arm/on_intel blocks of
/// `platform` and the branches of `if Hardware::CPU.arm?`-style conditions (intel?/arm?/is_64_bit?,
/// OS.linux?/mac?, joined by and/&&) that hold for it; other blocks (head, resource, patch, def, an `if`
/// only Ruby could decide ...) are skipped, and a string with interpolation (`#{`) is not a version.
/// `found` is set; the version stays empty when unknown.
BrewFormulaVersion parse_brew_formula(std::string_view ruby, BrewPlatform platform = {});

/// The formula file of NAME in tap USER/REPO under the Homebrew prefix `prefix` (inside `root`): the tap's
/// checkout Library/Taps/USER/homebrew-REPO under the prefix's repository (PREFIX/Homebrew, or PREFIX
/// itself as on Apple silicon), its Formula/ (else HomebrewFormula/, else the tap's top) holding NAME.rb
/// directly or in a shard directory (its first letter, lib/ for lib*), parsed by parse_brew_formula.
/// `found` is false when the tap or the file is missing or a name is not a plain one.
BrewFormulaVersion read_brew_tap_formula(const util::Root& root, const std::string& prefix,
                                         std::string_view tap, std::string_view name);

} // namespace zsyncctl::pkg
