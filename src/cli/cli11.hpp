#pragma once

// The one way into CLI11 for the project's sources (a house test refuses `#include <CLI/...>` elsewhere).
//
// CLI11 2.1 defines eight validator objects at namespace scope in Validators.hpp (`const
// detail::ExistingFileValidator ExistingFile;`, `Number`, `PositiveNumber`, ...). `const` gives them
// internal linkage, so every translation unit that includes CLI11 constructs its own eight (a name string,
// two std::function objects, heap captures) before main and registers their destructors: with 22 such
// units that was ~100 K instructions of start-up, ~45 K more in exit handlers and several dirty pages in
// every command, `--version` included (callgrind). Nothing here uses them, so while the header is read
// each definition is turned into the declaration of a function that is never defined nor called: no object,
// no initialiser, no destructor. Only for the CLI11 release where that text was checked (2.1.x); any other
// version is included unchanged.
#if __has_include(<CLI/Version.hpp>)
#include <CLI/Version.hpp>
#endif

#if defined(CLI11_VERSION_MAJOR) && CLI11_VERSION_MAJOR == 2 && CLI11_VERSION_MINOR == 1
#define ExistingFile zsyncctl_cli11_unused_existing_file()
#define ExistingDirectory zsyncctl_cli11_unused_existing_directory()
#define ExistingPath zsyncctl_cli11_unused_existing_path()
#define NonexistentPath zsyncctl_cli11_unused_nonexistent_path()
#define ValidIPV4 zsyncctl_cli11_unused_valid_ipv4()
#define Number(...) zsyncctl_cli11_unused_number()
#define NonNegativeNumber(...) zsyncctl_cli11_unused_non_negative_number()
#define PositiveNumber(...) zsyncctl_cli11_unused_positive_number()
#include <CLI/CLI.hpp>
#undef ExistingFile
#undef ExistingDirectory
#undef ExistingPath
#undef NonexistentPath
#undef ValidIPV4
#undef Number
#undef NonNegativeNumber
#undef PositiveNumber
#else
#include <CLI/CLI.hpp>
#endif
