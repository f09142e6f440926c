#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zsyncctl::pkg {

/// What a manager manages: the OS itself, one language's libraries and tools, desktop/CLI apps, or
/// toolchain versions.
enum class ManagerKind { system, language, app, version_manager };

/// Stable lowercase name of a kind ("version-manager"); never fails.
std::string_view to_string(ManagerKind kind);

/// Operating systems an entry applies to (a bit set; names follow platform::normalize_os).
enum Platform : std::uint32_t {
    linux_os = 1u << 0,
    macos = 1u << 1,
    windows = 1u << 2,
    freebsd = 1u << 3,
    openbsd = 1u << 4,
    netbsd = 1u << 5,
    bsd = freebsd | openbsd | netbsd,
    unix_like = linux_os | macos | bsd,
    any_os = unix_like | windows,
};

/// The platform bit for an OS name from platform::host_identity() ("linux", "macos", ...); 0 when unknown.
std::uint32_t platform_bit(std::string_view os);

/// Names of the platforms in `mask`, in a fixed order ("linux", "macos", ...).
std::vector<std::string_view> platform_names(std::uint32_t mask);

/// How detection finds a manager.
enum class DetectionStyle {
    executable, // the first executable on PATH or at a well-known location, else a marker
    per_prefix, // one install per prefix, each checked against the host arch (Homebrew)
};

/// Who may install with a manager.
enum class InstallPrivilege {
    root,  // system-wide: needs root (sudo)
    user,  // the invoking user; never run it as root (Homebrew refuses)
    polkit // asks for privileges by itself (flatpak system installs)
};

/// How a manager's packages are searched.
enum class SearchMethod {
    none,            ///< search does not know this manager (it is not offered by `pkg search`)
    native_apt,      ///< the Packages indexes under /var/lib/apt/lists, no process
    native_pacman,   ///< the sync databases under pacman's DBPath, no process
    native_homebrew, ///< Homebrew's JSON API (brew's own cache, else fetched), no process
    command,         ///< the manager's own search command, output parsed by `parser`
    unsupported,     ///< the manager has no search facility; `reason` says why
};

/// Where a manager keeps its repository definitions, read natively so that a manager with none enabled is
/// reported `no_repositories` without being run (dnf.conf(5), zypper(8)). The files are INI: `[section]`
/// lines, `key=value`, '#' and ';' comments. Anything not understood (an unreadable file or directory, a
/// variable in a path or value, a key in `unknown_keys`, a file in a `dropin_dirs` directory) means
/// "unknown", and the manager is asked as without these facts. Empty `dirs`: no such facts.
struct RepositoryConfig {
    /// Main configuration files (templates; "{env:NAME}" is skipped when NAME is unset): every one that
    /// exists is read, and the directories and repositories they name are joined.
    std::vector<std::string_view> config_files{};
    /// The section of a main configuration file that configures the manager itself; its other sections
    /// are repositories when `config_sections_are_repositories` (dnf.conf may define repositories).
    std::string_view main_section{};
    bool config_sections_are_repositories = false;
    /// The main section's key that replaces `dirs` (a comma- or space-separated list of directories).
    std::string_view dirs_key{};
    /// The directories of repository files when no configuration file names others.
    std::vector<std::string_view> dirs{};
    /// The ending of a repository file in those directories (".repo"); other files are ignored.
    std::string_view file_suffix{};
    /// The key that enables or disables a repository section (a missing key counts as enabled).
    std::string_view enabled_key{};
    /// Main-section keys that move the configuration in ways not followed here (zypp.conf's configdir).
    std::vector<std::string_view> unknown_keys{};
    /// Directories of configuration drop-ins (dnf5's libdnf5.conf.d): any entry in one means unknown.
    std::vector<std::string_view> dropin_dirs{};
    /// Installations, each the first of its templates that expands ("{env:NAME}" skipped when NAME is
    /// unset, "{home}/..." $HOME): `installation_file` inside each is read as a main configuration file.
    std::vector<std::vector<std::string_view>> installations{};
    /// The configuration file inside each installation (flatpak's repo/config, an ostree key file).
    std::string_view installation_file{};
    /// Drop-in directories inside each installation (ostree's repo/remotes.d): any entry means unknown.
    std::vector<std::string_view> installation_dropins{};
    /// Sections are repositories only when their name starts with this (ostree's `remote "NAME"`); empty:
    /// every section but the main one.
    std::string_view section_prefix{};
    /// A key whose value true (GKeyFile booleans: true/false/1/0) disables a repository (xa.disable).
    std::string_view disabled_key{};
    /// False when the search reads only the repositories (flatpak search: remotes' appstream), so no
    /// enabled repository is the answer even with packages installed.
    bool search_reads_installed = true;

    /// True when the manager has no such facts.
    bool empty() const { return dirs.empty() && installations.empty(); }
};

/// How one manager searches. `argv` is a template: "{exe}" is the executable found, "{query}" the query.
/// Every command runs with LC_ALL=C plus `env`; managers with the same non-empty `lock_group` are searched
/// one after the other (a search lock, which is not always the install lock: dnf and yum share dnf's
/// metadata cache, zypper searches under its own zypp lock).
struct SearchFacts {
    SearchMethod method = SearchMethod::none;
    /// Executables that run the search, in preference order; empty: the manager's `executables`.
    std::vector<std::string_view> executables{};
    std::vector<std::string_view> argv{};
    /// A parser id known to find_search_parser() (search_parsers.hpp).
    std::string_view parser{};
    /// Extra "NAME=value" environment entries.
    std::vector<std::string_view> env{};
    std::string_view lock_group{};
    /// Exit codes that mean "nothing found" rather than failure (pacman -Ss 1, zypper 104, ...).
    std::vector<int> no_match_exit_codes{};
    /// Why the manager cannot search (method unsupported).
    std::string_view reason{};
    /// The registry host a network-only search asks ("crates.io"): search resolves it first (bounded)
    /// and reports the manager `offline` at once when it cannot, instead of waiting for the manager's
    /// own network timeouts. Empty: no such check.
    std::string_view registry_host{};
    /// A command that lists the manager's enabled repositories on stdout ("{exe}" is its executable):
    /// when a search finds nothing and this prints nothing, the manager is reported `no_repositories`
    /// (dnf with no repository prints only "No matches found." and exits 0). Empty: no such check.
    std::vector<std::string_view> repositories_argv{};
    /// Where the repositories are configured, read instead of running repositories_argv (and instead of
    /// the search itself when the manager also has nothing installed); see RepositoryConfig.
    RepositoryConfig repository_config{};
};

/// The package database that records a manager's own installed version: read instead of running the
/// manager under a non-host --root, where nothing inside the root is executed.
enum class VersionDb {
    none,          ///< no database answer: the version is unknown under --root
    dpkg_status,   ///< /var/lib/dpkg/status, the installed stanza of `package`
    pacman_local,  ///< /var/lib/pacman/local/<package>-<version>/desc
    apk_installed, ///< /lib/apk/db/installed, the P:/V: record of `package`
};

/// Where a manager's version is recorded: the database and the package that installs the manager.
struct DbVersion {
    VersionDb db = VersionDb::none;
    std::string_view package{};
};

/// Which progress signal a manager's install run gives (see progress.hpp for the parsers).
enum class ProgressStyle {
    apt_status_fd, // apt's -o APT::Status-Fd=N machine-readable lines
    counted_steps, // "(i/n) installing X" style lines (pacman, apk, zypper, dnf)
    brew_steps,    // "==> Fetching / Pouring / Installing X" lines, no total
    last_line,     // nothing parseable: a spinner and the last output line
};

/// How a manager's own simulation of a transaction is read (see pkg/install/simulation.hpp).
enum class SimulationFormat {
    none,         ///< the manager cannot show a transaction beforehand
    apt_get,      ///< apt-get -s: "Inst NAME [OLD] (NEW ...)", "Remv NAME [OLD]", "Conf ..." lines
    dnf,          ///< dnf/yum --assumeno: "Installing:" / "Upgrading:" / "Removing:" tables
    pacman_print, ///< pacman --print --print-format "%n %v": one "NAME VERSION" line per package
    zypper,       ///< zypper --dry-run: "The following N packages are going to be installed:" lists
    zypper_xml,   ///< zypper --xmlout ... --dry-run: <install-summary> with <to-install>/<to-upgrade>/...
                  ///< solvables
    pip_report,   ///< pip install --dry-run --report -: the JSON installation report's "install" entries
    /// flatpak update without --noninteractive, stdin /dev/null: its numbered transaction table
    /// (" 1.<TAB> <TAB>ID<TAB>BRANCH<TAB>OP<TAB>REMOTE<TAB>SIZE"), then the question it answers "n" (exit 1)
    flatpak_table,
    npm_dry_run, ///< npm install --dry-run: "add NAME VERSION", "change NAME OLD => NEW", "remove NAME
                 ///< VERSION"
    /// apk --simulate: "(i/n) Installing NAME (VER)", "(i/n) Upgrading NAME (OLD -> NEW)", "(i/n) Purging
    /// NAME (VER)" lines (apk-tools commit.c), "ERROR: ..." on failure
    apk_simulate,
};

/// How a manager installs and removes packages by name: the argv around the names (argv[0] is one of the
/// manager's executables), and how the run behaves. Whether it needs root comes from install_privilege,
/// the lock it takes from lock_group (the manager's id when it shares no lock).
struct InstallFacts {
    /// argv before the names, for install; empty when the manager cannot install by name.
    std::vector<std::string_view> install_prefix{};
    /// argv after the names, for install (winget's --accept-* flags).
    std::vector<std::string_view> install_suffix{};
    /// argv before the names, for remove; empty when the manager has no remove command.
    std::vector<std::string_view> remove_prefix{};
    std::vector<std::string_view> remove_suffix{};
    /// argv before the names, to upgrade installed packages by name and never install one that is not
    /// (apt-get install --only-upgrade); empty: no upgrade by name.
    std::vector<std::string_view> upgrade_prefix{};
    /// The manager's own upgrade of everything upgradable, without names (apt-get upgrade, pacman -Su);
    /// empty: none.
    std::vector<std::string_view> upgrade_all_prefix{};
    /// The metadata refresh, without names (apt-get update, pacman -Sy into its own sync db); empty: none.
    std::vector<std::string_view> refresh_prefix{};
    /// A second refresh command run after refresh_prefix under the same lock (pacman -Fy: the file databases
    /// pkg which reads); empty: none.
    std::vector<std::string_view> refresh_then_prefix{};
    /// True when the manager must never run as root (Homebrew).
    bool refuses_root = false;
    /// True when the manager takes one name per command (winget); a plan then has one command per name.
    bool one_name_per_command = false;
    /// True when upgrades by name run one command per name (pip, which has no upgrade-all: each outdated
    /// package is upgraded on its own); installs and removals still take every name at once.
    bool upgrade_one_name_per_command = false;
    /// Non-empty: an upgrade by name names the candidate `pkg outdated` showed, NAME + this + VERSION
    /// (npm's NAME@VERSION), so the run installs exactly that version even when the registry moved on since.
    std::string_view upgrade_candidate_separator{};
    /// Appended to a name that has no '@' (go install needs NAME@VERSION).
    std::string_view name_suffix_if_unversioned{};
    ProgressStyle progress = ProgressStyle::last_line;
    /// Environment set for every run ("HOMEBREW_NO_AUTO_UPDATE=1").
    std::vector<std::pair<std::string_view, std::string_view>> env{};
    /// Why the manager cannot install (or remove) by name.
    std::string_view why_not{};
    /// True when the manager asks questions on a terminal that can be handed to the user (apt: dpkg's
    /// conffile prompts, debconf dialogs); it then runs on a pseudo-terminal of its own.
    bool asks_on_terminal = false;
    /// With the user answering: argv added after argv[0] (apt keeps dpkg off a pseudo-terminal of its own,
    /// so dpkg stays in the process group an interrupt reaches).
    std::vector<std::string_view> ask_terminal_args{};
    /// With the user answering: the "-o VALUE" pairs of the prefix whose value starts with this are dropped
    /// (apt's dpkg --force-conf* answers, so dpkg asks instead).
    std::string_view forced_answer_setting{};
    /// The option that takes one "Key=Value" setting (apt "-o"), and the environment variable whose settings
    /// are added with it to every run (ZSYNCCTL_APT_OPTIONS); empty: none.
    std::string_view setting_option{};
    std::string_view settings_env{};
    /// The frontend variable set when nobody answers, unless the caller's environment already chose one
    /// (DEBIAN_FRONTEND=noninteractive: stdin is /dev/null, a dialog could never be answered).
    std::pair<std::string_view, std::string_view> frontend_env{};
    /// argv added after argv[0] to operate on the system installed under another root; "{root}" is replaced
    /// by the directory (apt's Dir= settings with dpkg's --root, dnf --installroot, zypper --root, ...).
    /// Empty: the manager cannot operate on another root, and --root refuses it.
    std::vector<std::string_view> root_args{};
    /// Environment set, with "{root}" replaced, where root_args are used: what the manager reads from the
    /// host without it (zypper's ZYPP_CONF: libzypp reads the host's /etc/zypp/zypp.conf under --root).
    std::vector<std::pair<std::string_view, std::string_view>> root_env{};
    /// True when root_args make the run need no privileges of its own (apt/dpkg on a root we own: dpkg's
    /// --force-not-root).
    bool root_run_unprivileged = false;
    /// Under --root, the image's version-lock configuration (dnf versionlock's ini file, whose `locklist`
    /// names the list inside the image), read natively as the host's plugin would read the host's list;
    /// each locked name goes to the manager as `root_lock_exclude`NAME. Empty: none.
    std::string_view root_version_locks{};
    std::string_view root_lock_exclude{};
    /// The manager's own simulation: argv before the names (root_args and settings are added as for the
    /// real run), never changing anything and asking nothing; empty: it has none. Read as `simulation` says.
    std::vector<std::string_view> simulate_install_prefix{};
    std::vector<std::string_view> simulate_remove_prefix{};
    std::vector<std::string_view> simulate_upgrade_prefix{};
    std::vector<std::string_view> simulate_upgrade_all_prefix{};
    SimulationFormat simulation = SimulationFormat::none;
    /// For a manager that cannot install by name: the managers that install its packages by name (dpkg
    /// and nala: apt), suggested when it is asked for.
    std::vector<std::string_view> use_instead{};
    /// The separator of an architecture qualifier in a name ("libc6:i386" for apt), empty: none.
    std::string_view arch_separator{};
    /// The manager's package database locks: fcntl record or flock(2) locks, absolute paths read inside the
    /// root (apt: dpkg's lock-frontend and lock). A run waits while another program holds one, naming it.
    std::vector<std::string_view> lock_files{};
    /// Lock files held while they exist (pacman's db.lck, zypper's zypp.pid), absolute paths inside the
    /// root: the holder is the live PID written in the file, else a process that has it open. A run waits
    /// like for lock_files; a file without a live holder is stale and left for the manager to report.
    std::vector<std::string_view> presence_locks{};
    /// The locks held only while the database changes, by a process the manager starts (apt: dpkg's lock,
    /// which apt hands to dpkg): a process of our run other than the manager's own holding one is
    /// mid-transaction, and is never killed without the user's confirmation.
    std::vector<std::string_view> transaction_locks{};
    /// The manager undoes its own changes when the first interrupt reaches it and dies half-way through that
    /// undo at a second one (npm's reify rolls back on SIGINT, SIGTERM or SIGHUP alike and drops its handlers
    /// first): after the first interrupt, a terminal user's second Ctrl-C is not forwarded; the cost is told
    /// and a third within the window kills. Without a terminal a second signal kills at once.
    bool rolls_back_on_interrupt = false;
    /// After an interrupted or failed run, the database's true state: `state_query` with the names
    /// appended prints "NAME<TAB>STATUS" lines (the status's last word is the state: "installed",
    /// "half-configured", ...); `audit_command` prints nothing when the database is consistent; both get
    /// `state_root_args` ("{root}" replaced) under --root. `repair_command` finishes an interrupted
    /// transaction. Empty: not known for this manager.
    std::vector<std::string_view> state_query{};
    std::vector<std::string_view> audit_command{};
    std::vector<std::string_view> state_root_args{};
    std::string_view repair_command{};
};

/// What an exit code other than 0 of a manager's command means when it is not a failure.
enum class ExitMeaning {
    found,       ///< the command found what it looks for (dnf check-update 100: updates are available)
    none_found,  ///< it found nothing (checkupdates 2: no updates)
    done_notice, ///< it did its work and has something to say (zypper 102: a reboot is needed)
};

/// An exit code (or a range of them) of one of a manager's commands that is not a failure.
struct ExitCodeFact {
    /// The word of argv naming the command ("check-update"; argv[0]'s file name counts too, for a command of
    /// its own such as checkupdates); empty: every command of the manager.
    std::string_view command{};
    int first = 0;
    int last = 0; ///< inclusive; equal to first for one code
    ExitMeaning meaning = ExitMeaning::found;
    std::string_view says{}; ///< what it means, for messages and logs ("a reboot is needed")
};

struct Manager;

/// The fact of `manager` that makes `code` of `argv` a non-failure, or nullptr (0 needs none: it is success;
/// every other code without a fact is a failure). Never fails.
const ExitCodeFact* non_failure_exit(const Manager& manager, const std::vector<std::string>& argv, int code);

/// How `pkg list` and `pkg outdated` read a manager's installed packages (pkg/inventory).
enum class InventoryMethod {
    none,          ///< not yet: the manager is reported unsupported
    native_dpkg,   ///< dpkg's status (+ journal) and apt's extended_states; outdated against the apt lists
    native_pacman, ///< pacman's local db; outdated against the sync dbs (IgnorePkg/IgnoreGroup)
    /// npm's global <prefix>/lib/node_modules package.json files; outdated by `npm outdated -g --json`
    /// (the registry's dist-tags.latest is on no disk)
    native_npm,
    /// the rpm database (rpmdb.sqlite in the first of InventoryFacts::databases that has one) for list,
    /// which and installed info; outdated not read (yum)
    native_rpm,
    /// zypper: the rpm database as native_rpm, and outdated and info by zypper's own --xmlout commands
    /// (the argv below; its candidates are in libzypp's solv caches, no readable disk format)
    zypper_xml,
    /// dnf: the rpm database as native_rpm, and outdated from `dnf -C check-update` (twice: as upgrade sees
    /// it, and with excludes and version locks off, for what it skips), candidates from `dnf -C repoquery`
    rpm_dnf,
    /// pip: the *.dist-info/METADATA (and *.egg-info) files of the interpreter's site directories; outdated
    /// by `pip list --outdated --format=json` (the index is on no disk), constraints files applied
    native_pip,
    /// RubyGems: specifications/*.gemspec file names under each GEM_PATH directory and the default gems'
    /// specifications/default; outdated by `gem outdated` against the configured sources
    native_gem,
    /// flatpak: the deploy files of each installation's app/ and runtime/ refs (active commit, origin,
    /// appdata version) and the repo config's masks; outdated by `flatpak remote-ls --updates --cached`
    /// per remote of each installation (the summary caches are GVariant files of ostree's)
    native_flatpak,
    /// Homebrew: Cellar/<name>/<version>/INSTALL_RECEIPT.json, Caskroom/<token>/.metadata and the pins of
    /// the prefix; outdated, info and which's "could be installed from" against brew's own API cache
    native_homebrew,
    /// cargo install: $CARGO_INSTALL_ROOT or $CARGO_HOME's .crates2.json (else .crates.toml); outdated from
    /// cargo's index cache ($CARGO_HOME/registry/index/*/.cache), as of cargo's last fetch
    native_cargo,
    /// apk: lib/apk/db/installed, etc/apk/world for explicit; outdated against the cached APKINDEX files
    native_apk,
};

/// One installation of a manager that keeps several side by side (flatpak's user and system ones).
struct InstallationFacts {
    std::string_view name{};   ///< "user", "system": as the manager's own list names it
    std::string_view option{}; ///< the option that selects it ("--user")
    /// Its directory (templates): the first that expands wins ("{env:FLATPAK_USER_DIR}" before the default).
    std::vector<std::string_view> dirs{};
};

/// A manager's inventory facts.
struct InventoryFacts {
    InventoryMethod method = InventoryMethod::none;
    /// Commands whose --xmlout output answers `pkg outdated` and `pkg info` (zypper): argv after the
    /// executable, run with LC_ALL=C and, under --root, InstallFacts::root_args/root_env. `outdated_argv`
    /// lists what the manager's own upgrade takes, `outdated_all_argv` also what it would skip (locks,
    /// vendor changes), `locks_argv` the installed packages each lock matches, `info_argv` (names appended)
    /// one package's candidate. Never a refresh. Empty: not known.
    std::vector<std::string_view> outdated_argv{};
    std::vector<std::string_view> outdated_all_argv{};
    std::vector<std::string_view> locks_argv{};
    std::vector<std::string_view> info_argv{};
    /// Directories (templates) where the method's database may be, first that has one wins (native_rpm).
    std::vector<std::string_view> databases{};
    /// The installations read one by one (native_flatpak), in this order.
    std::vector<InstallationFacts> installations{};
    /// The option of outdated_argv that keeps the manager off the network (flatpak's --cached), left out
    /// for a remote on the local disk (a file:// URL), whose summary flatpak reads directly and never caches.
    std::string_view cached_option{};
    /// Where the manager records why each package was installed (dnf's history database, zypper's
    /// AutoInstalled list), read in the method's format for explicit vs dependency; empty: not recorded.
    std::string_view reasons_file{};
};

/// One manager in the registry: everything about it that is a fact, not a run-time finding.
///
/// String fields that name paths are templates, expanded by detection:
///   {home}         $HOME (the logical value; the root applies when the path is read)
///   {env:NAME}     the environment variable NAME; a template whose variable is unset or empty is skipped
///   {prefix}       the manager's prefix as resolved by detection
///   {multiarch}    the Debian multiarch triplet for the arch ("x86_64-linux-gnu")
/// Windows locations are written drive-less ("/ProgramData/chocolatey"), resolved against the root.
///
/// New per-manager facts (search argv, parser id, install argv, progress style) are added as fields with
/// default values below, and set with designated initializers in registry.cpp: the table is the single
/// source of truth for what the program knows about a manager.
struct Manager {
    std::string_view id{};           // lowercase, stable: "homebrew", "apt", ...
    std::string_view display_name{}; // "Homebrew", "APT", ...
    ManagerKind kind = ManagerKind::system;
    std::uint32_t platforms = Platform::any_os;

    /// Executable names looked up on PATH, in preference order (on Windows .exe/.cmd/.bat are tried too).
    std::vector<std::string_view> executables{};
    /// Absolute locations (templates) of the executable, tried after PATH.
    std::vector<std::string_view> well_known{};
    /// Database and marker files or directories (templates) whose presence backs the detection.
    std::vector<std::string_view> markers{};
    /// True for managers that are shell functions (sdkman, nvm): a marker alone detects them.
    bool detected_by_marker = false;
    /// Under --root, files or directories of the image (its configuration or database) that detect the
    /// manager when the image has no executable of it: the host's manager reads or operates on the image
    /// (root_args), so an image without dnf itself still has dnf's packages.
    std::vector<std::string_view> root_markers{};
    DetectionStyle detection = DetectionStyle::executable;

    InstallPrivilege install_privilege = InstallPrivilege::root;
    /// Managers with the same non-empty lock group take one lock and must never run at the same time.
    std::string_view lock_group{};

    /// Prefix candidates (templates); the first that expands and exists wins. Empty: the parent of the
    /// directory holding the executable found (/usr/bin/npm -> /usr).
    std::vector<std::string_view> prefix{};
    std::vector<std::string_view> bin{};
    std::vector<std::string_view> lib{};
    std::vector<std::string_view> include{};
    std::vector<std::string_view> pkg_config{};
    /// True when the prefix keeps keg-only packages under {prefix}/opt whose bin/lib/include `pkg paths`
    /// lists apart (Homebrew).
    bool keg_only_paths = false;

    /// The manager's own report of where it installs, asked on the host by `pkg paths` (gem environment):
    /// argv ("{exe}" is the executable found) and the keys of its "KEY: value" lines naming the prefix and
    /// the bin directory. Empty argv: the templates above are the whole answer.
    struct PathsQuery {
        std::vector<std::string_view> argv{};
        std::string_view prefix_key{};
        std::string_view bin_key{};
    };
    PathsQuery paths_query{};

    /// argv of the version command; "{exe}" is the executable found. Empty: no version command.
    std::vector<std::string_view> version_argv{};
    /// A file (template) holding the version, for managers without a version command (sdkman).
    std::string_view version_file{};
    /// The package database entry holding the manager's version (used under a non-host --root).
    DbVersion version_db{};

    /// How `pkg search` searches it; method none: not at all.
    SearchFacts search{};
    /// How `pkg install` / `pkg remove` run it; all empty: not offered.
    InstallFacts install{};
    /// How `pkg list` / `pkg outdated` read it; method none: reported unsupported.
    InventoryFacts inventory{};
    /// Exit codes of its commands that are not failures (list-outdated-upgrade.md §0.2), read wherever its
    /// commands are run: one table, no per-manager branches in code.
    std::vector<ExitCodeFact> exit_codes{};
};

/// The whole table in its fixed order, as references to its entries. Each entry lives in storage of its own
/// (entries are built on first use: see registry.cpp), so this is a list of them, not an array; a reference
/// to an entry stays valid for the life of the program and is the same however the entry was reached.
class RegistryView {
public:
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = Manager;
        using difference_type = std::ptrdiff_t;
        using pointer = const Manager*;
        using reference = const Manager&;

        iterator() = default;
        explicit iterator(const Manager* const* at) : m_at(at) {}
        reference operator*() const { return **m_at; }
        pointer operator->() const { return *m_at; }
        iterator& operator++() {
            ++m_at;
            return *this;
        }
        iterator operator++(int) {
            iterator before = *this;
            ++m_at;
            return before;
        }
        bool operator==(const iterator& other) const = default;

    private:
        const Manager* const* m_at = nullptr;
    };

    RegistryView(const Manager* const* first, std::size_t size) : m_first(first), m_size(size) {}
    iterator begin() const { return iterator(m_first); }
    iterator end() const { return iterator(m_first + m_size); }
    std::size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    const Manager& operator[](std::size_t index) const { return *m_first[index]; }

private:
    const Manager* const* m_first;
    std::size_t m_size;
};

/// The whole registry, in a fixed order (system, app, language, version managers). Never fails.
RegistryView registry();

/// The entry with this id, or nullptr.
const Manager* find_manager(std::string_view id);

/// Every id in registry order (for completions and error messages).
std::vector<std::string_view> manager_ids();

/// True when `id` is a well-formed registry id: lowercase letters, digits and '-', starting with a letter.
bool is_valid_manager_id(std::string_view id);

/// True when `manager` has install facts (a command, or a reason why there is none): `pkg install` knows it.
bool has_install_facts(const Manager& manager);

/// The lock an install or remove with `manager` takes: its lock_group, else its id. Never empty.
std::string_view install_lock_group(const Manager& manager);

/// The environment variables the table's location templates read ("{env:NAME}"), HOMEBREW_PREFIX first, then
/// in table order, each once. Detection reads exactly these (DetectContext); the build writes them into
/// registry_fingerprint_value.hpp (k_built_registry_env_names), so detection needs no entry for it.
std::vector<std::string> registry_env_names();

/// A fingerprint of the table's contents (ids, executables, locations, templates, search and install
/// facts), so caches built by another version of the table are not reused.
std::uint64_t registry_fingerprint();

} // namespace zsyncctl::pkg
