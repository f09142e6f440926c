#include "pkg/registry/registry_parts.hpp"

namespace zsyncctl::pkg::registry_parts {

namespace {
// rpm's transaction lock (an fcntl record lock), where rpm keeps its database: the classic path and the
// sysimage one of newer distributions (/var/lib/rpm is then a link to it).
const std::vector<std::string_view> k_rpm_locks = {"/var/lib/rpm/.rpm.lock",
                                                   "/usr/lib/sysimage/rpm/.rpm.lock"};
// The rpm database that dnf, yum and zypper share: the sysimage directory of newer distributions, the
// classic one, and Debian's rpm (%_dbpath ~/.rpmdb, where its dnf --installroot writes too).
const InventoryFacts k_rpm_inventory = {
    .method = InventoryMethod::native_rpm,
    .databases = {"/usr/lib/sysimage/rpm", "/var/lib/rpm", "{home}/.rpmdb"}};
} // namespace

// Install and remove command lines are non-interactive (managers.md and each manager's manual); the names
// go between prefix and suffix.
std::span<const RegistryEntry> system_managers() {
    static const RegistryEntry k_entries[] = {
        {"apt",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "APT",
                 .platforms = Platform::linux_os,
                 // apt-get first: `apt` itself warns that it has no stable CLI interface.
                 .executables = {"apt-get", "apt"},
                 .well_known = {"/usr/bin/apt-get"},
                 .markers = {"/var/lib/dpkg/status", "/etc/apt/sources.list", "/etc/apt/sources.list.d"},
                 .lock_group = "dpkg",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = k_deb_lib,
                 .include = k_usr_include,
                 .pkg_config = k_deb_pc,
                 .version_argv = {"{exe}", "--version"},
                 .version_db = {VersionDb::dpkg_status, "apt"},
                 .search = {.method = SearchMethod::native_apt},
                 .install =
                     {
                         // Conffile questions are answered the way dpkg would by default (keep the local file
                         // when it was changed, take the new one otherwise), so a run never stops at a prompt
                         // nobody sees.
                         .install_prefix = {"apt-get", "-y", "-q", "-o", "Dpkg::Options::=--force-confdef",
                                            "-o", "Dpkg::Options::=--force-confold", "install"},
                         .remove_prefix = {"apt-get", "-y", "-q", "remove"},
                         // `upgrade` never installs or removes a package and keeps held ones back
                         // (apt-get(8));
                         // --only-upgrade never installs a name that is not installed.
                         .upgrade_prefix = {"apt-get", "-y", "-q", "-o", "Dpkg::Options::=--force-confdef",
                                            "-o", "Dpkg::Options::=--force-confold", "install",
                                            "--only-upgrade"},
                         .upgrade_all_prefix = {"apt-get", "-y", "-q", "-o",
                                                "Dpkg::Options::=--force-confdef", "-o",
                                                "Dpkg::Options::=--force-confold", "upgrade"},
                         .refresh_prefix = {"apt-get", "-q", "update"},
                         .progress = ProgressStyle::apt_status_fd,
                         .asks_on_terminal = true,
                         .ask_terminal_args = {"-o", "Dpkg::Use-Pty=0"},
                         .forced_answer_setting = "Dpkg::Options::=--force-conf",
                         .setting_option = "-o",
                         .settings_env = "ZSYNCCTL_APT_OPTIONS",
                         .frontend_env = {"DEBIAN_FRONTEND", "noninteractive"},
                         // apt and dpkg read and lock everything inside the root (its own dpkg lock, never
                         // Debug::NoLocking); dpkg runs unprivileged on a root we own. apt-get reads its
                         // configuration files (the host's) before these options; the helpers it starts
                         // (apt-key and apt-config, from the gpgv method) read the files Dir::Etc::Parts and
                         // Dir::Etc::Main name again, which Dir= would make the root's: a Dir::Bin::dpkg or
                         // APT::Key::gpgvcommand there would be run. /dev/null (no directory, no regular
                         // file) makes them read none, only the configuration apt-get hands them.
                         .root_args = {"-o", "Dir={root}", "-o",
                                       "Dir::State::status={root}/var/lib/dpkg/status", "-o",
                                       "Dir::Etc::SourceList={root}/etc/apt/sources.list", "-o",
                                       "Dir::Etc::SourceParts={root}/etc/apt/sources.list.d", "-o",
                                       "Dir::Etc::Parts=/dev/null", "-o", "Dir::Etc::Main=/dev/null", "-o",
                                       "DPkg::Options::=--root={root}", "-o",
                                       "DPkg::Options::=--admindir={root}/var/lib/dpkg", "-o",
                                       "DPkg::Options::=--force-not-root"},
                         .root_run_unprivileged = true,
                         // -s never locks or changes anything and runs unprivileged (apt-get(8)); the empty
                         // cache file names keep apt's binary caches in memory, so nothing under a root is
                         // written.
                         .simulate_install_prefix = {"apt-get", "-s", "-q", "-o", "Dir::Cache::pkgcache=",
                                                     "-o", "Dir::Cache::srcpkgcache=", "install"},
                         .simulate_remove_prefix = {"apt-get", "-s", "-q", "-o", "Dir::Cache::pkgcache=",
                                                    "-o", "Dir::Cache::srcpkgcache=", "remove"},
                         .simulate_upgrade_prefix = {"apt-get", "-s", "-q", "-o",
                                                     "Dir::Cache::pkgcache=", "-o",
                                                     "Dir::Cache::srcpkgcache=", "install", "--only-upgrade"},
                         .simulate_upgrade_all_prefix = {"apt-get", "-s", "-q", "-o", "Dir::Cache::pkgcache=",
                                                         "-o", "Dir::Cache::srcpkgcache=", "upgrade"},
                         .simulation = SimulationFormat::apt_get,
                         .arch_separator = ":",
                         .lock_files = {"/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock"},
                         .transaction_locks = {"/var/lib/dpkg/lock"},
                         .state_query = {"dpkg-query", "-W", "-f", "${Package}\t${Status}\n"},
                         .audit_command = {"dpkg", "--audit"},
                         .state_root_args = {"--root={root}"},
                         .repair_command = "dpkg --configure -a",
                     },
                 .inventory = {.method = InventoryMethod::native_dpkg},
             };
         }},
        {"dpkg",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "dpkg",
                 .platforms = Platform::linux_os,
                 .executables = {"dpkg"},
                 .well_known = {"/usr/bin/dpkg"},
                 .markers = {"/var/lib/dpkg/status"},
                 .lock_group = "dpkg",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = k_deb_lib,
                 .include = k_usr_include,
                 .pkg_config = k_deb_pc,
                 .version_argv = {"{exe}", "--version"},
                 .version_db = {VersionDb::dpkg_status, "dpkg"},
                 .install =
                     {
                         .why_not = "dpkg installs .deb files, it does not fetch packages by name",
                         .use_instead = {"apt"},
                     },
             };
         }},
        {"nala",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "Nala",
                 .platforms = Platform::linux_os,
                 .executables = {"nala"},
                 .well_known = {"/usr/bin/nala"},
                 .markers = {"/var/lib/dpkg/status"},
                 .lock_group = "dpkg", // a libapt front-end: same lock as apt
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = k_deb_lib,
                 .include = k_usr_include,
                 .pkg_config = k_deb_pc,
                 .version_argv = {"{exe}", "--version"},
                 .version_db = {VersionDb::dpkg_status, "nala"},
                 .install =
                     {
                         .why_not = "nala is a front-end of apt's library; zsyncctl drives apt-get itself",
                         .use_instead = {"apt"},
                     },
             };
         }},
        {"dnf",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "DNF",
                 .platforms = Platform::linux_os,
                 .executables = {"dnf", "dnf5"},
                 .well_known = {"/usr/bin/dnf"},
                 .markers = {"/var/lib/rpm/rpmdb.sqlite", "/var/lib/dnf", "/etc/dnf/dnf.conf"},
                 // dnf.conf, or the history dnf --installroot writes into the image.
                 .root_markers = {"/etc/dnf/dnf.conf", "/var/lib/dnf"},
                 .lock_group = "rpmdb",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = k_rpm_lib,
                 .include = k_usr_include,
                 .pkg_config = k_rpm_pc,
                 .version_argv = {"{exe}", "--version"},
                 .search = k_dnf_search,
                 .install =
                     {
                         .install_prefix = {"dnf", "-y", "install"},
                         .remove_prefix = {"dnf", "-y", "remove"},
                         // Upgrades never refresh expired metadata on their own (`pkg refresh` does: dnf
                         // makecache), so the transaction run is the one outdated and the simulation showed.
                         // Excluded and version-locked packages are invisible to dnf, by name too.
                         .upgrade_prefix = {"dnf", "-y", "--setopt=*.metadata_expire=never", "upgrade"},
                         .upgrade_all_prefix = {"dnf", "-y", "--setopt=*.metadata_expire=never", "upgrade"},
                         // --refresh: makecache alone keeps metadata that has not expired; an explicit
                         // refresh asks again.
                         .refresh_prefix = {"dnf", "--refresh", "makecache"},
                         .progress = ProgressStyle::counted_steps,
                         // With --installroot alone dnf takes the host's dnf.conf and repositories when the
                         // root has none (dnf.conf(5)); these keep it to the root's own. Cache, logs and the
                         // rpm database are the root's with --installroot.
                         // --noplugins: the host's plugins would read the host's configuration (versionlock
                         // its list: dnf never applies --installroot to pluginconfpath), and the image's
                         // dnf.conf must not name a pluginpath whose Python the host's dnf runs.
                         .root_args =
                             {"--installroot={root}", "--config={root}/etc/dnf/dnf.conf",
                              "--setopt=reposdir={root}/etc/yum.repos.d,{root}/etc/yum/repos.d,{root}/etc/"
                              "distro.repos.d",
                              "--noplugins"},
                         .root_version_locks = "/etc/dnf/plugins/versionlock.conf",
                         .root_lock_exclude = "--exclude=",
                         // --assumeno resolves, prints the transaction and answers its question with no.
                         .simulate_install_prefix = {"dnf", "--assumeno", "install"},
                         .simulate_remove_prefix = {"dnf", "--assumeno", "remove"},
                         .simulate_upgrade_prefix = {"dnf", "--assumeno", "--setopt=*.metadata_expire=never",
                                                     "upgrade"},
                         .simulate_upgrade_all_prefix = {"dnf", "--assumeno",
                                                         "--setopt=*.metadata_expire=never", "upgrade"},
                         .simulation = SimulationFormat::dnf,
                         .lock_files = k_rpm_locks,
                         // After an interrupted run: what rpm's database says of the names, and rpm's own
                         // consistency check of it.
                         .state_query = {"rpm", "-q", "--qf", "%{NAME}\tinstalled\n"},
                         .audit_command = {"rpm", "--verifydb"},
                         .state_root_args = {"--root={root}"},
                     },
                 // dnf 4 keeps each package's reason (user, dependency, ...) in its history database.
                 .inventory = {.method = InventoryMethod::rpm_dnf,
                               .databases = k_rpm_inventory.databases,
                               .reasons_file = "/var/lib/dnf/history.sqlite"},
                 // dnf(8), dnf5 check-upgrade(8): 100 means updates are available.
                 .exit_codes = {{"check-update", 100, 100, ExitMeaning::found, "updates are available"},
                                {"check-upgrade", 100, 100, ExitMeaning::found, "updates are available"}},
             };
         }},
        {"yum",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "Yum",
                 .platforms = Platform::linux_os,
                 .executables = {"yum"},
                 .well_known = {"/usr/bin/yum"},
                 .markers = {"/etc/yum.conf", "/var/lib/rpm"},
                 .root_markers = {"/etc/yum.conf"},
                 .lock_group = "rpmdb",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = k_rpm_lib,
                 .include = k_usr_include,
                 .pkg_config = k_rpm_pc,
                 .version_argv = {"{exe}", "--version"},
                 .search = k_dnf_search,
                 .install =
                     {
                         .install_prefix = {"yum", "-y", "install"},
                         .remove_prefix = {"yum", "-y", "remove"},
                         .progress = ProgressStyle::counted_steps,
                         .root_args = {"--installroot={root}"},
                         // --assumeno resolves, prints the transaction and answers its question with no.
                         .simulate_install_prefix = {"yum", "--assumeno", "install"},
                         .simulate_remove_prefix = {"yum", "--assumeno", "remove"},
                         .simulation = SimulationFormat::dnf,
                         .lock_files = k_rpm_locks,
                     },
                 .inventory = k_rpm_inventory,
                 .exit_codes = {{"check-update", 100, 100, ExitMeaning::found, "updates are available"}},
             };
         }},
        {"zypper",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "Zypper",
                 .platforms = Platform::linux_os,
                 .executables = {"zypper"},
                 .well_known = {"/usr/bin/zypper"},
                 // openSUSE moved the rpm db to /usr/lib/sysimage/rpm.
                 .markers = {"/etc/zypp/zypp.conf", "/usr/lib/sysimage/rpm", "/var/lib/rpm"},
                 .root_markers = {"/etc/zypp"},
                 .lock_group = "rpmdb",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = k_rpm_lib,
                 .include = k_usr_include,
                 .pkg_config = k_rpm_pc,
                 .version_argv = {"{exe}", "--version"},
                 .search =
                     {
                         .method = SearchMethod::command,
                         .argv = {"{exe}", "--no-color", "--no-abbrev", "--non-interactive", "--no-cd",
                                  "--no-refresh", "--xmlout", "search", "--details", "--type", "package",
                                  "{query}"},
                         .parser = "zypper-xml",
                         .lock_group = "zypp",
                         .no_match_exit_codes = {104},
                         // libzypp reads $ZYPP_CONF instead of zypp.conf when set; reposdir defaults to
                         // {configdir}/repos.d, configdir to /etc/zypp (zypp.conf's comments).
                         .repository_config =
                             {
                                 .config_files = {"{env:ZYPP_CONF}", "/etc/zypp/zypp.conf"},
                                 .main_section = "main",
                                 .dirs_key = "reposdir",
                                 .dirs = {"/etc/zypp/repos.d"},
                                 .file_suffix = ".repo",
                                 .enabled_key = "enabled",
                                 .unknown_keys = {"configdir"},
                             },
                     },
                 .install =
                     {
                         .install_prefix = {"zypper", "--non-interactive", "--no-color", "install",
                                            "--auto-agree-with-licenses"},
                         .remove_prefix = {"zypper", "--non-interactive", "--no-color", "remove"},
                         // Never an implicit refresh (`pkg refresh` runs one): the upgrade takes what `pkg
                         // outdated` showed. `update` skips locked packages (zypper al); by name a locked one
                         // is a solver problem, so upgrade leaves locked names out before it plans. Run only
                         // after consent (the dry run is shown first), so --non-interactive answers nothing
                         // the user did not see.
                         .upgrade_prefix = {"zypper", "--non-interactive", "--no-color", "--no-refresh",
                                            "update", "--auto-agree-with-licenses"},
                         .upgrade_all_prefix = {"zypper", "--non-interactive", "--no-color", "--no-refresh",
                                                "update", "--auto-agree-with-licenses"},
                         .refresh_prefix = {"zypper", "--non-interactive", "--no-color", "refresh"},
                         .progress = ProgressStyle::counted_steps,
                         .root_args = {"--root", "{root}"},
                         // libzypp reads /etc/zypp/zypp.conf of the host even under --root (strace of zypper
                         // 1.14.42) and logs to the host's /var/log/zypper.log: the root's own instead.
                         .root_env = {{"ZYPP_CONF", "{root}/etc/zypp/zypp.conf"},
                                      {"ZYPP_LOGFILE", "{root}/var/log/zypper.log"}},
                         .simulate_install_prefix = {"zypper", "--non-interactive", "--no-color", "--xmlout",
                                                     "install", "--dry-run"},
                         .simulate_remove_prefix = {"zypper", "--non-interactive", "--no-color", "--xmlout",
                                                    "remove", "--dry-run"},
                         .simulate_upgrade_prefix = {"zypper", "--non-interactive", "--no-color",
                                                     "--no-refresh", "--xmlout", "update", "--dry-run"},
                         .simulate_upgrade_all_prefix = {"zypper", "--non-interactive", "--no-color",
                                                         "--no-refresh", "--xmlout", "update", "--dry-run"},
                         .simulation = SimulationFormat::zypper_xml,
                         .lock_files = k_rpm_locks,
                         .presence_locks = {"/run/zypp.pid"},
                     },
                 // list-updates without --all is what `zypper update` takes; --all adds what it skips; locks
                 // --solvables names the installed packages a lock holds (zypper(8)). Never a refresh.
                 .inventory =
                     {
                         .method = InventoryMethod::zypper_xml,
                         .outdated_argv = {"--non-interactive", "--no-color", "--no-refresh", "--xmlout",
                                           "list-updates"},
                         .outdated_all_argv = {"--non-interactive", "--no-color", "--no-refresh", "--xmlout",
                                               "list-updates", "--all"},
                         .locks_argv = {"--non-interactive", "--no-color", "--no-refresh", "--xmlout",
                                        "locks", "--solvables"},
                         .info_argv = {"--non-interactive", "--no-color", "--no-refresh", "--xmlout", "info",
                                       "--type", "package"},
                         .databases = k_rpm_inventory.databases,
                         // libzypp's list of the names it installed as dependencies (zypper se -i: i, not
                         // i+).
                         .reasons_file = "/var/lib/zypp/AutoInstalled",
                     },
                 // openSUSE/zypper src/main.h: the ZYPPER_EXIT_INF_* codes (104 capability not found and 105
                 // ended by a signal are failures).
                 .exit_codes = {{"", 100, 100, ExitMeaning::found, "updates are needed"},
                                {"", 101, 101, ExitMeaning::found, "security updates are needed"},
                                {"", 102, 102, ExitMeaning::done_notice, "a reboot is needed"},
                                {"", 103, 103, ExitMeaning::done_notice,
                                 "zypper updated itself: run it again"},
                                {"", 106, 106, ExitMeaning::done_notice, "some repositories were skipped"}},
             };
         }},
        {"rpm",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "RPM",
                 .platforms = Platform::linux_os,
                 .executables = {"rpm"},
                 .well_known = {"/usr/bin/rpm", "/bin/rpm"},
                 .markers = {"/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages", "/usr/lib/sysimage/rpm"},
                 .root_markers = {"/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages",
                                  "/usr/lib/sysimage/rpm"},
                 .lock_group = "rpmdb",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = k_rpm_lib,
                 .include = k_usr_include,
                 .pkg_config = k_rpm_pc,
                 .version_argv = {"{exe}", "--version"},
                 .install =
                     {
                         .why_not = "rpm installs .rpm files, it does not fetch packages by name",
                         .use_instead = {"dnf", "zypper", "yum"},
                     },
             };
         }},
        {"pacman",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "pacman",
                 .platforms = Platform::linux_os,
                 .executables = {"pacman"},
                 .well_known = {"/usr/bin/pacman"},
                 .markers = {"/var/lib/pacman/local", "/etc/pacman.conf"},
                 .lock_group = "pacman-db",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = k_usr_lib,
                 .include = k_usr_include,
                 .pkg_config = k_usr_pc,
                 .version_argv = {"{exe}", "--version"},
                 .version_db = {VersionDb::pacman_local, "pacman"},
                 .search = {.method = SearchMethod::native_pacman},
                 .install =
                     {
                         .install_prefix = {"pacman", "--sync", "--noconfirm", "--needed", "--color",
                                            "never"},
                         .remove_prefix = {"pacman", "--remove", "--noconfirm", "--color", "never"},
                         // Never --refresh here (a sync without the upgrade is a partial upgrade): `pkg
                         // refresh` syncs. --sysupgrade skips IgnorePkg/IgnoreGroup with a warning; by name,
                         // an ignored package would be taken after --noconfirm's "install anyway?", so
                         // upgrade leaves held names out before it plans.
                         .upgrade_prefix = {"pacman", "--sync", "--noconfirm", "--needed", "--color",
                                            "never"},
                         .upgrade_all_prefix = {"pacman", "--sync", "--sysupgrade", "--noconfirm", "--color",
                                                "never"},
                         .refresh_prefix = {"pacman", "--sync", "--refresh", "--noconfirm", "--color",
                                            "never"},
                         // The file databases too: pkg which's "could be installed from" reads them.
                         .refresh_then_prefix = {"pacman", "--files", "--refresh", "--noconfirm", "--color",
                                                 "never"},
                         .progress = ProgressStyle::counted_steps,
                         // The root's own configuration (its repositories), cache and log: with --root alone
                         // pacman reads the host's pacman.conf and downloads into the host's cache.
                         .root_args = {"--root", "{root}", "--dbpath", "{root}/var/lib/pacman", "--config",
                                       "{root}/etc/pacman.conf", "--cachedir", "{root}/var/cache/pacman/pkg",
                                       "--logfile", "{root}/var/log/pacman.log", "--gpgdir",
                                       "{root}/etc/pacman.d/gnupg"},
                         .simulate_install_prefix = {"pacman", "--sync", "--needed", "--print",
                                                     "--print-format", "%n %v", "--color", "never"},
                         .simulate_remove_prefix = {"pacman", "--remove", "--print", "--print-format",
                                                    "%n %v", "--color", "never"},
                         .simulate_upgrade_prefix = {"pacman", "--sync", "--needed", "--print",
                                                     "--print-format", "%n %v", "--color", "never"},
                         .simulate_upgrade_all_prefix = {"pacman", "--sync", "--sysupgrade", "--print",
                                                         "--print-format", "%n %v", "--color", "never"},
                         .simulation = SimulationFormat::pacman_print,
                         .presence_locks = {"/var/lib/pacman/db.lck"},
                     },
                 .inventory = {.method = InventoryMethod::native_pacman},
                 // pacman-contrib checkupdates(8): 2 means no updates (0: updates printed, 1: failure).
                 .exit_codes = {{"checkupdates", 2, 2, ExitMeaning::none_found, "no updates"}},
             };
         }},
        {"yay",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "yay (AUR helper)",
                 .platforms = Platform::linux_os,
                 .executables = {"yay"},
                 .well_known = {"/usr/bin/yay"},
                 .markers = {"/var/lib/pacman/local"},
                 // AUR helpers refuse to run as root and call sudo pacman themselves.
                 .install_privilege = P::user,
                 .lock_group = "pacman-db",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = k_usr_lib,
                 .include = k_usr_include,
                 .pkg_config = k_usr_pc,
                 .version_argv = {"{exe}", "--version"},
                 .version_db = {VersionDb::pacman_local, "yay"},
                 .search = k_aur_helper_search,
             };
         }},
        {"paru",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "paru (AUR helper)",
                 .platforms = Platform::linux_os,
                 .executables = {"paru"},
                 .well_known = {"/usr/bin/paru"},
                 .markers = {"/var/lib/pacman/local"},
                 .install_privilege = P::user,
                 .lock_group = "pacman-db",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = k_usr_lib,
                 .include = k_usr_include,
                 .pkg_config = k_usr_pc,
                 .version_argv = {"{exe}", "--version"},
                 .version_db = {VersionDb::pacman_local, "paru"},
                 .search = k_aur_helper_search,
             };
         }},
        {"apk",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "apk-tools",
                 .platforms = Platform::linux_os,
                 .executables = {"apk"},
                 .well_known = {"/sbin/apk", "/usr/bin/apk"},
                 .markers = {"/lib/apk/db/installed", "/etc/apk/repositories"},
                 .lock_group = "apk-db",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = {"/usr/lib", "/lib"},
                 .include = k_usr_include,
                 .pkg_config = k_usr_pc,
                 .version_argv = {"{exe}", "--version"},
                 .version_db = {VersionDb::apk_installed, "apk-tools"},
                 .search =
                     {
                         .method = SearchMethod::command,
                         .argv = {"{exe}", "--no-progress", "search", "--verbose", "{query}"},
                         .parser = "apk",
                     },
                 .install =
                     {
                         .install_prefix = {"apk", "--no-progress", "add"},
                         .remove_prefix = {"apk", "--no-progress", "del"},
                         // apk upgrade NAME upgrades only installed names; without names, everything the
                         // world allows (pins and fixed versions are kept, as pkg outdated shows them).
                         // --no-progress drops the terminal bar only: the "(i/n) Upgrading" lines remain.
                         .upgrade_prefix = {"apk", "--no-progress", "upgrade"},
                         .upgrade_all_prefix = {"apk", "--no-progress", "upgrade"},
                         // apk update fetches each repository's APKINDEX into the cache that list/outdated
                         // read (/var/cache/apk or /etc/apk/cache); upgrades never fetch it on their own
                         // here.
                         .refresh_prefix = {"apk", "--no-progress", "update"},
                         .progress = ProgressStyle::counted_steps,
                         .root_args = {"--root", "{root}"},
                         // --simulate opens the database read-only and takes no lock (apk(8)).
                         .simulate_upgrade_prefix = {"apk", "--no-progress", "upgrade", "--simulate"},
                         .simulate_upgrade_all_prefix = {"apk", "--no-progress", "upgrade", "--simulate"},
                         .simulation = SimulationFormat::apk_simulate,
                         // apk takes flock(2) on it for every change (database.c).
                         .lock_files = {"/lib/apk/db/lock"},
                     },
                 .inventory = {.method = InventoryMethod::native_apk},
             };
         }},
        {"xbps",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "XBPS",
                 .platforms = Platform::linux_os,
                 .executables = {"xbps-install", "xbps-query"},
                 .well_known = {"/usr/bin/xbps-install"},
                 .markers = {"/var/db/xbps"},
                 .lock_group = "xbps-db",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = k_usr_lib,
                 .include = k_usr_include,
                 .pkg_config = k_usr_pc,
                 .version_argv = {"{exe}", "--version"},
                 .search =
                     {
                         .method = SearchMethod::command,
                         .executables = {"xbps-query"},
                         .argv = {"{exe}", "-Rs", "{query}"},
                         .parser = "xbps",
                         .no_match_exit_codes = {2},
                     },
                 .install =
                     {
                         .install_prefix = {"xbps-install", "--yes"},
                         .remove_prefix = {"xbps-remove", "--yes"},
                         .root_args = {"--rootdir", "{root}"},
                     },
             };
         }},
        {"portage",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "Portage",
                 .platforms = Platform::linux_os,
                 .executables = {"emerge"},
                 .well_known = {"/usr/bin/emerge"},
                 .markers = {"/var/db/pkg", "/etc/portage"},
                 .lock_group = "portage-vdb",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = {"/usr/lib64", "/usr/lib"},
                 .include = k_usr_include,
                 .pkg_config = {"/usr/lib64/pkgconfig", "/usr/share/pkgconfig"},
                 .version_argv = {"{exe}", "--version"},
                 .install =
                     {
                         .install_prefix = {"emerge", "--ask=n", "--quiet-build=y"},
                         .remove_prefix = {"emerge", "--ask=n", "--depclean"},
                     },
             };
         }},
        {"eopkg",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "eopkg (Solus)",
                 .platforms = Platform::linux_os,
                 .executables = {"eopkg"},
                 .well_known = {"/usr/bin/eopkg"},
                 .markers = {"/var/lib/eopkg"},
                 .lock_group = "eopkg-db",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = {"/usr/lib64", "/usr/lib"},
                 .include = k_usr_include,
                 .pkg_config = {"/usr/lib64/pkgconfig", "/usr/share/pkgconfig"},
                 .version_argv = {"{exe}", "--version"},
             };
         }},
        {"opkg",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "opkg",
                 .platforms = Platform::linux_os,
                 .executables = {"opkg"},
                 .well_known = {"/bin/opkg", "/usr/bin/opkg"},
                 .markers = {"/usr/lib/opkg/status", "/var/lib/opkg"},
                 .lock_group = "opkg-db",
                 .prefix = {"/usr"},
                 .bin = k_usr_bin,
                 .lib = k_usr_lib,
                 .include = k_usr_include,
                 .pkg_config = k_usr_pc,
                 .version_argv = {"{exe}", "--version"},
             };
         }},
        {"nix",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "Nix",
                 .platforms = Platform::linux_os | Platform::macos,
                 .executables = {"nix-env", "nix"},
                 .well_known = {"{home}/.nix-profile/bin/nix-env",
                                "/nix/var/nix/profiles/default/bin/nix-env",
                                "/run/current-system/sw/bin/nix-env"},
                 .markers = {"/nix/store", "/nix/var/nix/db/db.sqlite"},
                 // Profiles are per user and the store is shared safely through the daemon.
                 .install_privilege = P::user,
                 .prefix = {"{home}/.nix-profile", "/nix/var/nix/profiles/default"},
                 .bin = {"{prefix}/bin", "/nix/var/nix/profiles/default/bin", "/run/current-system/sw/bin"},
                 .lib = k_prefix_lib,
                 .include = k_prefix_include,
                 .pkg_config = {"{prefix}/lib/pkgconfig", "{prefix}/share/pkgconfig"},
                 .version_argv = {"{exe}", "--version"},
                 .search =
                     {
                         .method = SearchMethod::command,
                         .executables = {"nix"},
                         // One download attempt with a short connect timeout: offline, nix's retries took 4.6
                         // s to fail, this 0.3 s.
                         .argv = {"{exe}", "--extra-experimental-features", "nix-command flakes", "--option",
                                  "connect-timeout", "2", "--option", "download-attempts", "1", "search",
                                  "nixpkgs", "{query}", "--json"},
                         // No no-match exit code: with --json, nix prints {} and exits 0 when nothing
                         // matches, so exit 1 is a failure (offline it printed {} too, which read as "ok, 0
                         // results").
                         .parser = "nix-json",
                         .registry_host = "channels.nixos.org",
                     },
                 .install =
                     {
                         .install_prefix = {"nix-env", "--install"},
                         .remove_prefix = {"nix-env", "--uninstall"},
                     },
             };
         }},
        {"guix",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "GNU Guix",
                 .platforms = Platform::linux_os,
                 .executables = {"guix"},
                 .well_known = {"{home}/.config/guix/current/bin/guix",
                                "/var/guix/profiles/per-user/root/current-guix/bin/guix"},
                 .markers = {"/gnu/store", "/var/guix"},
                 .install_privilege = P::user,
                 .prefix = {"{home}/.guix-profile"},
                 .bin = k_prefix_bin,
                 .lib = k_prefix_lib,
                 .include = k_prefix_include,
                 .pkg_config = {"{prefix}/lib/pkgconfig"},
                 .version_argv = {"{exe}", "--version"},
                 .search =
                     {
                         .method = SearchMethod::command,
                         .argv = {"{exe}", "search", "{query}"},
                         .parser = "guix",
                         .no_match_exit_codes = {1},
                     },
                 .install =
                     {
                         .install_prefix = {"guix", "install"},
                         .remove_prefix = {"guix", "remove"},
                     },
             };
         }},
    };
    return k_entries;
}

} // namespace zsyncctl::pkg::registry_parts
