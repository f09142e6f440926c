#include "pkg/registry/registry.hpp"

#include "pkg/registry/registry_parts.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <new>

#include "util/enum_names.hpp"

namespace zsyncctl::pkg {

namespace {

// The table's entries in order, each built on first use into the next free slot of `k_capacity`: a pointer
// to an entry never changes, whether it was found by id or by walking the whole table. The slots are zero
// pages until an entry is built into one (~1.9 KiB an entry), and they are taken in the order entries are
// first asked for, so a command that needs 14 managers touches 14 entries' pages (7), not 55 (26), nor the
// pages of 14 entries scattered over the table (12: `pkg managers --json` here). Built entries are never
// destroyed: tearing down the entries' vectors at exit cost every short command ~9 % of its instructions
// (callgrind, `pkg managers --json`); they stay reachable from the slots, so leak checkers stay quiet.
constexpr std::size_t k_capacity = 96;

struct Table {
    std::array<const registry_parts::RegistryEntry*, k_capacity> entries{}; // into the parts' own arrays
    std::size_t size = 0;
};

const Table& table() {
    static const Table table = [] {
        Table t;
        for (auto part : {registry_parts::system_managers(), registry_parts::os_managers(),
                          registry_parts::app_managers(), registry_parts::language_managers(),
                          registry_parts::version_managers()}) {
            for (const auto& entry : part) {
                if (t.size == k_capacity) {
                    std::abort(); // a build-time fact: tests/test_pkg_registry.cpp builds the whole table
                }
                t.entries[t.size++] = &entry;
            }
        }
        return t;
    }();
    return table;
}

alignas(Manager) std::byte g_slots[k_capacity * sizeof(Manager)];
std::size_t g_next_slot = 0;                         // under g_build
std::atomic<const Manager*> g_entries[k_capacity]{}; // table order; each set once, under g_build
std::mutex g_build; // one lock, not a std::once_flag an entry: glibc's pthread_once makes a futex wake call
                    // each time it runs one (14 system calls for `pkg managers --json`, strace)

// The whole table's entries as registry() gives them: filled once, by registry()'s first call.
const Manager* g_table_order[k_capacity];

const Manager& entry_at(std::size_t index) {
    if (const Manager* built = g_entries[index].load(std::memory_order_acquire)) {
        return *built;
    }
    std::lock_guard<std::mutex> lock(g_build);
    if (const Manager* built = g_entries[index].load(std::memory_order_relaxed)) {
        return *built; // another thread built it while this one waited
    }
    const auto& entry = *table().entries[index];
    const Manager* built =
        ::new (static_cast<void*>(g_slots + g_next_slot * sizeof(Manager))) Manager(entry.build(entry.id));
    ++g_next_slot;
    g_entries[index].store(built, std::memory_order_release);
    return *built;
}

void mix(std::uint64_t& hash, std::string_view text) {
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    hash ^= 0xff; // field separator
    hash *= 1099511628211ull;
}

void mix(std::uint64_t& hash, const std::vector<std::string_view>& list) {
    for (auto item : list) {
        mix(hash, item);
    }
    mix(hash, "|");
}

void mix(std::uint64_t& hash, const SearchFacts& search) {
    mix(hash, std::to_string(static_cast<int>(search.method)));
    mix(hash, search.executables);
    mix(hash, search.argv);
    mix(hash, search.parser);
    mix(hash, search.env);
    mix(hash, search.lock_group);
    for (int code : search.no_match_exit_codes) {
        mix(hash, std::to_string(code));
    }
    mix(hash, search.reason);
}

void mix(std::uint64_t& hash, const std::vector<ExitCodeFact>& facts) {
    for (const ExitCodeFact& fact : facts) {
        mix(hash, fact.command);
        mix(hash, std::to_string(fact.first) + "-" + std::to_string(fact.last) + ":" +
                      std::to_string(static_cast<int>(fact.meaning)));
    }
}

void mix(std::uint64_t& hash, const InstallFacts& install) {
    mix(hash, install.install_prefix);
    mix(hash, install.install_suffix);
    mix(hash, install.remove_prefix);
    mix(hash, install.remove_suffix);
    mix(hash, install.upgrade_prefix);
    mix(hash, install.upgrade_all_prefix);
    mix(hash, install.refresh_prefix);
    mix(hash, install.refresh_then_prefix);
    mix(hash, install.refuses_root ? "refuses-root" : "-");
    mix(hash, install.one_name_per_command ? "one-name" : "-");
    mix(hash, install.upgrade_one_name_per_command ? "upgrade-one-name" : "-");
    mix(hash, install.name_suffix_if_unversioned);
    mix(hash, install.upgrade_candidate_separator);
    mix(hash, std::to_string(static_cast<int>(install.progress)));
    for (const auto& [name, value] : install.env) {
        mix(hash, name);
        mix(hash, value);
    }
    mix(hash, install.why_not);
    mix(hash, install.simulate_install_prefix);
    mix(hash, install.simulate_remove_prefix);
    mix(hash, install.simulate_upgrade_prefix);
    mix(hash, install.simulate_upgrade_all_prefix);
    mix(hash, std::to_string(static_cast<int>(install.simulation)));
    mix(hash, install.use_instead);
    mix(hash, install.arch_separator);
}

} // namespace

std::string_view to_string(ManagerKind kind) {
    static constexpr std::array<util::EnumName<ManagerKind>, 4> k_names{{
        {ManagerKind::system, "system"},
        {ManagerKind::language, "language"},
        {ManagerKind::app, "app"},
        {ManagerKind::version_manager, "version-manager"},
    }};
    return util::enum_name(k_names, kind, "system");
}

std::uint32_t platform_bit(std::string_view os) {
    if (os == "linux") {
        return Platform::linux_os;
    }
    if (os == "macos") {
        return Platform::macos;
    }
    if (os == "windows") {
        return Platform::windows;
    }
    if (os == "freebsd") {
        return Platform::freebsd;
    }
    if (os == "openbsd") {
        return Platform::openbsd;
    }
    if (os == "netbsd") {
        return Platform::netbsd;
    }
    return 0;
}

std::vector<std::string_view> platform_names(std::uint32_t mask) {
    static constexpr std::pair<std::uint32_t, std::string_view> k_names[] = {
        {Platform::linux_os, "linux"},  {Platform::macos, "macos"},     {Platform::windows, "windows"},
        {Platform::freebsd, "freebsd"}, {Platform::openbsd, "openbsd"}, {Platform::netbsd, "netbsd"},
    };
    std::vector<std::string_view> names;
    for (const auto& [bit, name] : k_names) {
        if ((mask & bit) != 0) {
            names.push_back(name);
        }
    }
    return names;
}

RegistryView registry() {
    static const std::size_t size = [] {
        const Table& t = table();
        for (std::size_t i = 0; i < t.size; ++i) {
            g_table_order[i] = &entry_at(i);
        }
        return t.size;
    }();
    return {g_table_order, size};
}

const Manager* find_manager(std::string_view id) {
    const Table& t = table();
    for (std::size_t i = 0; i < t.size; ++i) {
        if (t.entries[i]->id == id) {
            return &entry_at(i);
        }
    }
    return nullptr;
}

std::vector<std::string_view> manager_ids() {
    const Table& t = table();
    std::vector<std::string_view> ids;
    ids.reserve(t.size);
    for (std::size_t i = 0; i < t.size; ++i) {
        ids.push_back(t.entries[i]->id);
    }
    return ids;
}

bool is_valid_manager_id(std::string_view id) {
    if (id.empty() || id.front() < 'a' || id.front() > 'z') {
        return false;
    }
    return std::all_of(id.begin(), id.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

const ExitCodeFact* non_failure_exit(const Manager& manager, const std::vector<std::string>& argv, int code) {
    if (code == 0) {
        return nullptr;
    }
    for (const ExitCodeFact& fact : manager.exit_codes) {
        if (code < fact.first || code > fact.last) {
            continue;
        }
        if (fact.command.empty()) {
            return &fact;
        }
        for (std::size_t i = 0; i < argv.size(); ++i) {
            std::string_view word = argv[i];
            if (i == 0 && word.find_last_of("/\\") != std::string_view::npos) {
                word = word.substr(word.find_last_of("/\\") + 1);
            }
            if (word == fact.command) {
                return &fact;
            }
        }
    }
    return nullptr;
}

bool has_install_facts(const Manager& manager) {
    return !manager.install.install_prefix.empty() || !manager.install.why_not.empty();
}

std::string_view install_lock_group(const Manager& manager) {
    return manager.lock_group.empty() ? manager.id : manager.lock_group;
}

std::vector<std::string> registry_env_names() {
    std::vector<std::string> names{"HOMEBREW_PREFIX"};
    auto scan = [&](std::string_view text) {
        std::size_t pos = 0;
        while ((pos = text.find("{env:", pos)) != std::string_view::npos) {
            auto end = text.find('}', pos);
            if (end == std::string_view::npos) {
                break;
            }
            std::string name(text.substr(pos + 5, end - pos - 5));
            if (std::find(names.begin(), names.end(), name) == names.end()) {
                names.push_back(std::move(name));
            }
            pos = end;
        }
    };
    for (const auto& m : registry()) {
        for (const auto* list :
             {&m.well_known, &m.markers, &m.prefix, &m.bin, &m.lib, &m.include, &m.pkg_config}) {
            for (auto text : *list) {
                scan(text);
            }
        }
        scan(m.version_file);
    }
    return names;
}

std::uint64_t registry_fingerprint() {
    static const std::uint64_t fingerprint = [] {
        std::uint64_t hash = 14695981039346656037ull;
        for (const auto& m : registry()) {
            mix(hash, m.id);
            mix(hash, to_string(m.kind));
            mix(hash, std::to_string(m.platforms));
            mix(hash, m.executables);
            mix(hash, m.well_known);
            mix(hash, m.markers);
            mix(hash, m.detected_by_marker ? "marker" : "exe");
            mix(hash, m.root_markers);
            mix(hash, std::to_string(static_cast<int>(m.detection)));
            mix(hash, m.prefix);
            mix(hash, std::to_string(static_cast<int>(m.install_privilege)));
            mix(hash, m.lock_group);
            mix(hash, m.search);
            mix(hash, m.install);
            mix(hash, m.exit_codes);
        }
        return hash;
    }();
    return fingerprint;
}

} // namespace zsyncctl::pkg
