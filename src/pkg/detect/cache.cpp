#include "pkg/detect/cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <map>

#include "pkg/detect/detect_internal.hpp"
#include "pkg/detect/probe.hpp"
#include "pkg/registry_fingerprint_value.hpp"
#include "util/fs.hpp"

namespace zsyncctl::pkg {

namespace {

// Bump when the file layout changes (1 was JSON with a stamp string per dependency).
constexpr int k_format = 2;
constexpr std::string_view k_magic = "zsyncctl-managers";

std::string cache_key(const DetectContext& context) {
    std::uint64_t hash = 14695981039346656037ull;
    auto mix = [&](std::string_view text) {
        for (unsigned char c : text) {
            hash ^= c;
            hash *= 1099511628211ull;
        }
        hash ^= 0xff;
        hash *= 1099511628211ull;
    };
    mix(std::to_string(k_format));
    mix(context.root.dir().string());
    mix(context.os);
    mix(context.arch);
    mix(context.path_env);
    mix(context.home.value_or(""));
    for (const auto& [name, value] : context.env) {
        mix(name);
        mix(value);
    }
    mix(std::to_string(k_built_registry_fingerprint));
    char buffer[17];
    std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(hash));
    return buffer;
}

// ---- the line format ----
// Every line is tab-separated fields, the first naming the record; strings never hold a tab, newline or
// NUL (format_cache refuses them). In this order:
//   zsyncctl-managers <format> | key <hex> | os <os> | arch <arch>
//   d <present 0/1> <dev> <ino> <mtime_ns> <ctime_ns> <host path>        (each dependency)
//   m <id> <preferred 0/1> <executable> <prefix> <mismatch>              (each manager, then its evidence:)
//   e <source 0-3> <path>
//   r <path> <reason>                                                     (each rejected candidate)
//   b <native 0/1> <preferred 0/1> <prefix> <executable> <mismatch>      (each Homebrew install)
//   end

bool storable(std::string_view text) {
    return text.find_first_of(std::string_view("\t\n\0", 3)) == std::string_view::npos;
}

class Writer {
public:
    void field(std::string_view text) {
        m_ok = m_ok && storable(text);
        m_out += '\t';
        m_out += text;
    }
    void field(std::uint64_t value) { field(std::to_string(value)); }
    void field(std::int64_t value) { field(std::to_string(value)); }
    void flag(bool value) { field(value ? "1" : "0"); }
    void record(std::string_view name) {
        if (!m_out.empty()) {
            m_out += '\n';
        }
        m_out += name;
    }
    std::optional<std::string> finish() {
        if (!m_ok) {
            return std::nullopt;
        }
        m_out += '\n';
        return std::move(m_out);
    }

private:
    std::string m_out;
    bool m_ok = true;
};

// Splits one line into exactly `n` tab-separated fields; false when the count differs.
bool split_fields(std::string_view line, std::string_view* fields, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t tab = line.find('\t');
        if (i + 1 == n) {
            if (tab != std::string_view::npos) {
                return false;
            }
            fields[i] = line;
            return true;
        }
        if (tab == std::string_view::npos) {
            return false;
        }
        fields[i] = line.substr(0, tab);
        line.remove_prefix(tab + 1);
    }
    return false;
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
    if (text.empty()) {
        return false;
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

bool parse_flag(std::string_view text, bool& out) {
    if (text != "0" && text != "1") {
        return false;
    }
    out = text == "1";
    return true;
}

} // namespace

std::optional<std::string> format_cache(const CacheContents& contents) {
    Writer w;
    w.record(k_magic);
    w.field(std::to_string(k_format));
    w.record("key");
    w.field(contents.key);
    w.record("os");
    w.field(contents.detection.os);
    w.record("arch");
    w.field(contents.detection.arch);
    for (const auto& d : contents.deps) {
        w.record("d");
        w.flag(d.present);
        w.field(d.dev);
        w.field(d.ino);
        w.field(d.mtime_ns);
        w.field(d.ctime_ns);
        w.field(d.path);
    }
    for (const auto& m : contents.detection.managers) {
        if (m.manager == nullptr) {
            return std::nullopt;
        }
        w.record("m");
        w.field(m.manager->id);
        w.flag(m.preferred);
        w.field(m.executable);
        w.field(m.prefix);
        w.field(m.mismatch);
        for (const auto& e : m.evidence) {
            w.record("e");
            w.field(std::to_string(static_cast<int>(e.source)));
            w.field(e.path);
        }
    }
    for (const auto& r : contents.detection.rejected) {
        w.record("r");
        w.field(r.path);
        w.field(r.reason);
    }
    for (const auto& b : contents.detection.homebrew.installs) {
        w.record("b");
        w.flag(b.native);
        w.flag(b.preferred);
        w.field(b.prefix);
        w.field(b.executable);
        w.field(b.mismatch);
    }
    w.record("end");
    return w.finish();
}

std::optional<CacheContents> parse_cache(std::string_view text) {
    if (text.find('\0') != std::string_view::npos) {
        return std::nullopt; // format_cache never writes a NUL (a path cannot hold one)
    }
    CacheContents out;
    Detection& det = out.detection;
    // One allocation for the stamps (~50), not a vector regrown seven times.
    std::size_t stamps = 0;
    for (std::size_t at = text.find("\nd\t"); at != std::string_view::npos; at = text.find("\nd\t", at + 3)) {
        ++stamps;
    }
    out.deps.reserve(stamps);
    // Records come in this order; a record may not go back to an earlier phase.
    enum Phase { header, deps, managers, rejected, brews, done };
    Phase phase = header;
    int header_line = 0;
    std::string_view f[7];
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        if (nl == std::string_view::npos || phase == done) {
            return std::nullopt; // no final newline (truncated), or anything after "end"
        }
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl + 1);
        std::string_view name = line.substr(0, line.find('\t'));
        if (phase == header) {
            static constexpr std::string_view k_names[] = {k_magic, "key", "os", "arch"};
            if (name != k_names[header_line] || !split_fields(line, f, 2)) {
                return std::nullopt;
            }
            if (header_line == 0 && f[1] != std::to_string(k_format)) {
                return std::nullopt;
            }
            std::string value(f[1]);
            if (header_line == 1) {
                out.key = std::move(value);
            } else if (header_line == 2) {
                det.os = std::move(value);
            } else if (header_line == 3) {
                det.arch = std::move(value);
                phase = deps;
            }
            ++header_line;
        } else if (name == "d" && phase == deps) {
            CacheStamp stamp;
            if (!split_fields(line, f, 7) || !parse_flag(f[1], stamp.present) ||
                !parse_number(f[2], stamp.dev) || !parse_number(f[3], stamp.ino) ||
                !parse_number(f[4], stamp.mtime_ns) || !parse_number(f[5], stamp.ctime_ns)) {
                return std::nullopt;
            }
            stamp.path = std::string(f[6]);
            out.deps.push_back(std::move(stamp));
        } else if (name == "m" && phase <= managers) {
            phase = managers;
            DetectedManager m;
            if (!split_fields(line, f, 6) || (m.manager = find_manager(f[1])) == nullptr ||
                !parse_flag(f[2], m.preferred)) {
                return std::nullopt;
            }
            m.executable = std::string(f[3]);
            m.prefix = std::string(f[4]);
            m.mismatch = std::string(f[5]);
            det.managers.push_back(std::move(m));
        } else if (name == "e" && phase == managers) {
            int source = -1;
            if (!split_fields(line, f, 3) || !parse_number(f[1], source) || source < 0 ||
                source > static_cast<int>(Evidence::Source::env)) {
                return std::nullopt;
            }
            det.managers.back().evidence.push_back(
                {static_cast<Evidence::Source>(source), std::string(f[2])});
        } else if (name == "r" && phase <= rejected) {
            phase = rejected;
            if (!split_fields(line, f, 3)) {
                return std::nullopt;
            }
            det.rejected.push_back({std::string(f[1]), std::string(f[2])});
        } else if (name == "b" && phase <= brews) {
            phase = brews;
            HomebrewFindings::Install b;
            if (!split_fields(line, f, 6) || !parse_flag(f[1], b.native) || !parse_flag(f[2], b.preferred)) {
                return std::nullopt;
            }
            b.prefix = std::string(f[3]);
            b.executable = std::string(f[4]);
            b.mismatch = std::string(f[5]);
            det.homebrew.installs.push_back(std::move(b));
        } else if (line == "end" && phase != header) {
            phase = done;
        } else {
            return std::nullopt;
        }
    }
    if (phase != done) {
        return std::nullopt;
    }
    return out;
}

namespace {

// Managers' cache files kept: one per root/PATH/environment combination, the newest first.
constexpr std::size_t k_keep_files = 16;
constexpr long long k_max_age_seconds = 30LL * 24 * 3600;

std::vector<std::string> path_dirs(std::string_view path_env) {
    std::vector<std::string> dirs;
    std::size_t start = 0;
    while (start <= path_env.size()) {
        std::size_t end = path_env.find(':', start);
        if (end == std::string_view::npos) {
            end = path_env.size();
        }
        auto entry = path_env.substr(start, end - start);
        if (!entry.empty() && entry.front() == '/') {
            dirs.push_back(clean_logical(entry));
        }
        start = end + 1;
    }
    return dirs;
}

bool plain_absolute(const std::string& path) {
    if (path.empty() || path.front() != '/' || path.find('\0') != std::string::npos) {
        return false;
    }
    // No ".." component (what iterating a std::filesystem::path would yield, without its allocations).
    std::string_view rest(path);
    while (!rest.empty()) {
        std::size_t slash = rest.find('/');
        if (rest.substr(0, slash) == "..") {
            return false;
        }
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    }
    return true;
}

// stat(2) of host paths, each asked once per load: the dependency stamps and the trust checks of the
// executables and prefixes are mostly the same paths (an executable is a dependency; its directory is a
// PATH directory, which is one too). Flat and small: the fields the checks read, the stamps' paths borrowed
// (they outlive the memo), found by comparison; a load asks for ~50 paths, and a hash map of them with
// copies of the paths and whole struct stats was two heap pages more, a fresh page each ~10 us in a VM.
class StatMemo {
public:
    struct Entry {
        int error = 0; // errno of a failed stat, 0 on success
        mode_t mode = 0;
        uid_t uid = 0;
        std::uint64_t dev = 0;
        std::uint64_t ino = 0;
        std::int64_t mtime_ns = 0;
        std::int64_t ctime_ns = 0;
    };
    explicit StatMemo(std::size_t borrowed) { m_borrowed.reserve(borrowed); }
    /// `path`'s entry; `path` (a dependency stamp's) must outlive the memo.
    Entry borrow(const std::string& path) {
        Entry entry = stat_of(path);
        m_borrowed.emplace_back(path, entry);
        return entry;
    }
    /// `path`'s entry, stat'ed on its first ask.
    Entry get(const std::string& path) {
        for (const auto& [key, entry] : m_borrowed) {
            if (key == path) {
                return entry;
            }
        }
        for (const auto& [key, entry] : m_owned) {
            if (key == path) {
                return entry;
            }
        }
        Entry entry = stat_of(path);
        m_owned.emplace_back(path, entry);
        return entry;
    }

private:
    static Entry stat_of(const std::string& path) {
        struct stat st {};
        Entry entry;
        if (::stat(path.c_str(), &st) != 0) {
            entry.error = errno;
            return entry;
        }
        entry.mode = st.st_mode;
        entry.uid = st.st_uid;
        entry.dev = static_cast<std::uint64_t>(st.st_dev);
        entry.ino = static_cast<std::uint64_t>(st.st_ino);
        entry.mtime_ns = timespec_ns(st.st_mtim);
        entry.ctime_ns = timespec_ns(st.st_ctim);
        return entry;
    }
    std::vector<std::pair<std::string_view, Entry>> m_borrowed;
    std::vector<std::pair<std::string, Entry>> m_owned;
};

// Root or we own it, and nobody else may write it.
bool trusted_inode(const StatMemo::Entry& st) {
    return (st.uid == 0 || st.uid == ::geteuid()) && (st.mode & (S_IWGRP | S_IWOTH)) == 0;
}

CacheStamp stamp_of(const std::string& path, const struct stat& st) {
    return {path,
            true,
            static_cast<std::uint64_t>(st.st_dev),
            static_cast<std::uint64_t>(st.st_ino),
            timespec_ns(st.st_mtim),
            timespec_ns(st.st_ctim)};
}

bool stamp_holds(const CacheStamp& stamp, const StatMemo::Entry& now) {
    if (!stamp.present) {
        return now.error != 0;
    }
    return now.error == 0 && stamp.dev == now.dev && stamp.ino == now.ino && stamp.mtime_ns == now.mtime_ns &&
           stamp.ctime_ns == now.ctime_ns;
}

// True when `executable` is where detection looks for `entry` (a PATH directory or a well-known location,
// under one of its names) and, on the host, a regular executable file owned by root or euid in a directory
// owned by root or euid, neither writable by others.
bool executable_ok(const Manager& entry, const std::string& executable, const DetectContext& context,
                   const std::vector<std::string>& dirs, StatMemo& memo) {
    if (!plain_absolute(executable)) {
        return false;
    }
    bool located = false;
    std::string dir = parent_of(executable);
    std::string base = executable.substr(executable.rfind('/') + 1);
    for (auto name : entry.executables) {
        auto names = detail::executable_names(name, context.os);
        if (std::find(names.begin(), names.end(), base) != names.end()) {
            located = located || std::find(dirs.begin(), dirs.end(), dir) != dirs.end();
        }
    }
    for (auto location : entry.well_known) {
        auto expanded = expand_template(location, context);
        located = located || (expanded && clean_logical(*expanded) == executable);
    }
    if (!located) {
        return false;
    }
    if (!context.root.is_host()) {
        return true; // nothing inside an image is executed; the logical path is checked above
    }
    const StatMemo::Entry file = memo.get(executable);
    if (file.error != 0 || !S_ISREG(file.mode) || (file.mode & 0111) == 0 || !trusted_inode(file)) {
        return false;
    }
    const StatMemo::Entry parent = memo.get(dir);
    return parent.error == 0 && trusted_inode(parent);
}

// True when `prefix` is one detection would have resolved for `entry` (a prefix template, or the parent of
// the executable's directory) and, on the host, missing or a directory owned by root or euid that nobody
// else may write.
bool prefix_ok(const Manager& entry, const std::string& prefix, const std::string& executable,
               const DetectContext& context, StatMemo& memo) {
    if (prefix.empty()) {
        return true;
    }
    if (!plain_absolute(prefix)) {
        return false;
    }
    bool derived = !executable.empty() && parent_of(parent_of(executable)) == prefix;
    for (auto candidate : entry.prefix) {
        auto expanded = expand_template(candidate, context);
        derived = derived || (expanded && clean_logical(*expanded) == prefix);
    }
    if (!derived) {
        return false;
    }
    if (!context.root.is_host()) {
        return true;
    }
    const StatMemo::Entry st = memo.get(prefix);
    if (st.error != 0) {
        return st.error == ENOENT;
    }
    return S_ISDIR(st.mode) && trusted_inode(st);
}

// A cached detection is used only when every executable and prefix in it passes the checks a fresh
// detection implies: what is executed (--versions) or exported (pkg paths --shell) is never taken on trust.
bool revalidate(const Detection& detection, const DetectContext& context, StatMemo& memo) {
    auto dirs = path_dirs(context.path_env);
    for (const auto& m : detection.managers) {
        if (!m.executable.empty() && !executable_ok(*m.manager, m.executable, context, dirs, memo)) {
            return false;
        }
        if (!prefix_ok(*m.manager, m.prefix, m.executable, context, memo)) {
            return false;
        }
    }
    // Every Homebrew prefix found (the preferred one is also a manager above): where it is run from.
    for (const auto& b : detection.homebrew.installs) {
        if (!plain_absolute(b.prefix) || !plain_absolute(b.executable)) {
            return false;
        }
        if (context.root.is_host()) {
            const StatMemo::Entry file = memo.get(b.executable);
            const StatMemo::Entry prefix = memo.get(b.prefix);
            if (file.error != 0 || !S_ISREG(file.mode) || !trusted_inode(file) || prefix.error != 0 ||
                !trusted_inode(prefix)) {
                return false;
            }
        }
    }
    return true;
}

// The stamp recorded for dependency `path`. An absent path is recorded as its nearest existing ancestor:
// creating it changes that directory (a new entry), so one stat of a directory that is usually a
// dependency anyway replaces a failing lookup per missing name. A dangling symlink, or a path that cannot
// be reached (EACCES), is recorded as itself, absent.
CacheStamp dependency_stamp(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        return stamp_of(path, st);
    }
    CacheStamp absent{path, false, 0, 0, 0, 0};
    if ((errno != ENOENT && errno != ENOTDIR) || ::lstat(path.c_str(), &st) == 0) {
        return absent;
    }
    std::string up = path;
    while (up != "/" && !up.empty()) {
        up = parent_of(up);
        if (::stat(up.c_str(), &st) == 0) {
            return stamp_of(up, st);
        }
        if (errno != ENOENT && errno != ENOTDIR) {
            break;
        }
    }
    return absent;
}

} // namespace

std::optional<std::filesystem::path> cache_file_for(const DetectContext& context) {
    auto dir = util::cache_dir();
    if (!dir) {
        return std::nullopt;
    }
    return *dir / ("managers-" + cache_key(context) + ".tsv");
}

std::optional<Detection> load_cache(const std::filesystem::path& file, const DetectContext& context) {
    // Only a file root or we wrote, in a directory nobody else controls, reached without a symlink.
    auto dir =
        util::open_private_dir(file.parent_path(), util::CreateMissing::no, util::DirOwner::self_or_root);
    if (!dir) {
        return std::nullopt;
    }
    auto fd = util::open_trusted_file_at(dir->get(), file.filename().string());
    if (!fd) {
        return std::nullopt;
    }
    auto text = util::read_regular_fd(fd->release(), file.string(), 4u << 20); // checked as regular above
    if (!text) {
        return std::nullopt;
    }
    auto contents = parse_cache(*text); // corrupt or from another version: detect again and overwrite
    if (!contents || contents->key != cache_key(context)) {
        return std::nullopt;
    }
    StatMemo memo(contents->deps.size());
    for (const auto& stamp : contents->deps) {
        if (!stamp_holds(stamp, memo.borrow(stamp.path))) {
            return std::nullopt;
        }
    }
    if (!revalidate(contents->detection, context, memo)) {
        return std::nullopt; // detect again; the fresh result replaces the file
    }
    return std::move(contents->detection);
}

util::Result<void> store_cache(const std::filesystem::path& file, const DetectContext& context,
                               const Detection& detection, const std::vector<std::string>& dependencies) {
    // The directory first: creating it (say ~/.cache) changes its parent, which may be a dependency.
    auto dir = util::open_private_dir(file.parent_path(), util::CreateMissing::yes);
    if (!dir) {
        return util::fail(std::move(dir).error());
    }
    CacheContents contents;
    contents.key = cache_key(context);
    std::map<std::string, CacheStamp> stamps; // one per path, sorted: absent names share their ancestor
    for (const auto& path : dependencies) {
        CacheStamp stamp = dependency_stamp(path);
        stamps.try_emplace(stamp.path, std::move(stamp));
    }
    for (auto& [path, stamp] : stamps) {
        contents.deps.push_back(std::move(stamp));
    }
    contents.detection = detection;
    contents.detection.from_cache = false;
    auto text = format_cache(contents);
    if (!text) {
        return util::fail(util::ErrorKind::invalid_input,
                          "detection not cached: a path holds a tab, newline or NUL");
    }
    std::string name = file.filename().string();
    auto written = util::write_file_atomic_at(dir->get(), name, *text);
    // One file per root/PATH/environment combination accumulates: keep the newest few, none too old.
    // Files of format 1 (managers-*.json) are never read again.
    const auto now = static_cast<long long>(std::time(nullptr));
    util::prune_files_at(dir->get(), "managers-", ".tsv", k_keep_files, k_max_age_seconds, now, name);
    util::prune_files_at(dir->get(), "managers-", ".json", 0, k_max_age_seconds, now, name);
    return written;
}

} // namespace zsyncctl::pkg
