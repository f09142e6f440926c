#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/root.hpp"

namespace zsyncctl::pkg {

/// rpm macro definitions by name (without the %), the body as written; the last definition read wins.
using RpmMacros = std::map<std::string, std::string, std::less<>>;

/// Adds the definitions of one rpm macro file's text to `into` as rpm's loadMacroFile reads them: a line
/// starting with % (after blanks) defines the name that follows with the rest of the line as the body, a
/// trailing backslash or an unclosed %{ or %( continues it on the next line; other lines are ignored.
/// Parametric macros (`%name(opts) body`) are stored with the body "%(parametric)", which never expands.
void parse_rpm_macro_file(std::string_view text, RpmMacros& into);

/// Expands `body` with `macros` as rpm --eval does, for the forms that need no interpreter: plain text,
/// %%, %name, %{name}, %{?name}, %{?name:text}, %{!?name:text}, and a shell command only when it is
/// `echo ~[/path]` (alone or as `bash|sh -c '…'`), which is the tilde expansion with `home`. Anything else
/// (another shell command, %{lua:…}, a built-in, an undefined name, a parametric macro) cannot be
/// expanded without running it: returns false and sets `why` (one sentence naming the form).
bool expand_rpm_macro(std::string_view body, const RpmMacros& macros, std::string_view home, std::string& out,
                      std::string& why);

/// rpm's %_dbpath for `root`, resolved natively.
struct RpmDbPath {
    std::string directory;  ///< the database directory inside the root; empty when not resolved
    std::string defined_in; ///< the macro file whose definition won (host path); empty when none defines it
    std::string why;        ///< when defined but not resolved: why (expand_rpm_macro's sentence)
    std::vector<std::string> skipped; ///< macro files rpm would read but this did not, each with its reason
};

/// Reads rpm's macro files in rpm 4.18's order through `root` (/usr/lib/rpm/macros, macros.d/macros.*,
/// platform/<machine>-linux/macros, the vendor's <dir>/macros, /etc/rpm/macros.*, /etc/rpm/macros,
/// /etc/rpm/<machine>-linux/macros), then, for the host only, the user's ~/.rpmmacros ($HOME, else the
/// passwd entry), opened so that as root a file or directory another user controls is never read (then
/// listed in `skipped`), and resolves %_dbpath from them. Blocking (file reads). Never fails.
RpmDbPath resolve_rpm_dbpath(const util::Root& root);

/// The rpm database directories to read in `root`, as templates for read_rpm_database: rpm's %_dbpath
/// alone when resolve_rpm_dbpath resolves it, else `defaults` (the registry's InventoryFacts::databases).
/// `why` gets, when %_dbpath is defined but could not be resolved or a ~/.rpmmacros was not read, one
/// sentence saying so; empty otherwise. Blocking (file reads). Never fails.
std::vector<std::string> rpm_database_directories(const util::Root& root,
                                                  const std::vector<std::string_view>& defaults,
                                                  std::string& why);

} // namespace zsyncctl::pkg
