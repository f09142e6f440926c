#include "pkg/inventory/flatpak_deploy.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <tuple>

#include "pkg/detect/detect.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// GVariant's serialization (the GVariant specification, "Serialisation"): a container's framing offsets
// are little-endian integers of the smallest width that can address the container.
std::size_t offset_width(std::size_t size) {
    return size > 0xffffffffu ? 8 : size > 0xffffu ? 4 : size > 0xffu ? 2 : size > 0 ? 1 : 0;
}

std::optional<std::size_t> read_offset(std::string_view bytes, std::size_t at, std::size_t width) {
    if (width == 0 || at > bytes.size() || bytes.size() - at < width) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
        value |= std::uint64_t(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
    }
    return static_cast<std::size_t>(value);
}

std::size_t align_up(std::size_t pos, std::size_t alignment) {
    return (pos + alignment - 1) / alignment * alignment;
}

// A "s": the bytes up to the terminating NUL, which must be the last byte.
std::optional<std::string> gv_string(std::string_view bytes) {
    if (bytes.empty() || bytes.back() != '\0') {
        return std::nullopt;
    }
    bytes.remove_suffix(1);
    if (bytes.find('\0') != std::string_view::npos) {
        return std::nullopt;
    }
    return std::string(bytes);
}

// The elements of an array of variable-size elements (the offsets of their ends at its end).
std::optional<std::vector<std::string_view>> gv_variable_array(std::string_view bytes,
                                                               std::size_t alignment) {
    std::vector<std::string_view> out;
    if (bytes.empty()) {
        return out;
    }
    std::size_t width = offset_width(bytes.size());
    auto table = read_offset(bytes, bytes.size() - width, width);
    if (!table || *table > bytes.size() || (bytes.size() - *table) % width != 0) {
        return std::nullopt;
    }
    std::size_t count = (bytes.size() - *table) / width;
    std::size_t start = 0;
    for (std::size_t i = 0; i < count; ++i) {
        auto end = read_offset(bytes, *table + i * width, width);
        start = align_up(start, alignment);
        if (!end || *end < start || *end > *table) {
            return std::nullopt;
        }
        out.push_back(bytes.substr(start, *end - start));
        start = *end;
    }
    return out;
}

// A "{sv}" entry: the key, and the variant's value bytes and type string.
struct Entry {
    std::string key;
    std::string_view value;
    std::string_view type;
};

std::optional<Entry> gv_dict_entry(std::string_view bytes) {
    std::size_t width = offset_width(bytes.size());
    if (bytes.size() < width) {
        return std::nullopt;
    }
    auto key_end = read_offset(bytes, bytes.size() - width, width);
    if (!key_end || *key_end > bytes.size() - width) {
        return std::nullopt;
    }
    auto key = gv_string(bytes.substr(0, *key_end));
    std::size_t value_start = align_up(*key_end, 8);
    if (!key || value_start > bytes.size() - width) {
        return std::nullopt;
    }
    std::string_view variant = bytes.substr(value_start, bytes.size() - width - value_start);
    auto nul = variant.rfind('\0');
    if (nul == std::string_view::npos) {
        return std::nullopt;
    }
    return Entry{std::move(*key), variant.substr(0, nul), variant.substr(nul + 1)};
}

// A '*' glob inside one part of a ref.
bool glob_match(std::string_view pattern, std::string_view text) {
    std::size_t p = 0;
    std::size_t t = 0;
    std::size_t star = std::string_view::npos;
    std::size_t resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') {
        ++p;
    }
    return p == pattern.size();
}

std::vector<std::string> subdirectories(const util::Root& root, const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(root.resolve(dir), ec), end; !ec && it != end;
         it.increment(ec)) {
        if (it->is_directory(ec)) {
            out.push_back(it->path().filename().string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

util::Result<FlatpakDeployData> parse_flatpak_deploy(std::string_view bytes) {
    auto bad = [](const char* what) {
        return util::fail(util::ErrorKind::parse, std::string("not a flatpak deploy file: ") + what);
    };
    // (s s as t a{sv}): three framing offsets (the variable members before the last) at the end.
    std::size_t width = offset_width(bytes.size());
    if (bytes.size() < 3 * width + 8) {
        return bad("too short");
    }
    std::size_t frame = bytes.size() - 3 * width;
    std::size_t ends[3];
    for (std::size_t i = 0; i < 3; ++i) {
        auto end = read_offset(bytes, bytes.size() - (i + 1) * width, width);
        if (!end || *end > frame || (i > 0 && *end < ends[i - 1])) {
            return bad("offsets out of range");
        }
        ends[i] = *end;
    }
    auto origin = gv_string(bytes.substr(0, ends[0]));
    auto commit = gv_string(bytes.substr(ends[0], ends[1] - ends[0]));
    auto subpaths = gv_variable_array(bytes.substr(ends[1], ends[2] - ends[1]), 1);
    std::size_t size_at = align_up(ends[2], 8);
    // flatpak stores the installed size big-endian (GUINT64_TO_BE in flatpak-dir.c), unlike GVariant's own
    // little-endian integers.
    std::optional<std::uint64_t> installed;
    if (size_at <= bytes.size() && bytes.size() - size_at >= 8) {
        installed = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            *installed = (*installed << 8) | static_cast<unsigned char>(bytes[size_at + i]);
        }
    }
    if (!origin || !commit || !subpaths || !installed || size_at + 8 > frame) {
        return bad("damaged header");
    }
    FlatpakDeployData data;
    data.origin = std::move(*origin);
    data.commit = std::move(*commit);
    data.installed_size = *installed;
    std::size_t dict_at = align_up(size_at + 8, 8);
    auto entries =
        gv_variable_array(bytes.substr(std::min(dict_at, frame), frame - std::min(dict_at, frame)), 8);
    if (!entries) {
        return bad("damaged metadata");
    }
    for (std::string_view e : *entries) {
        auto entry = gv_dict_entry(e);
        if (!entry) {
            return bad("damaged metadata entry");
        }
        if (entry->type != "s") {
            continue;
        }
        auto value = gv_string(entry->value);
        if (!value) {
            return bad("damaged metadata string");
        }
        if (entry->key == "appdata-version") {
            data.appdata_version = std::move(*value);
        } else if (entry->key == "appdata-name") {
            data.appdata_name = std::move(*value);
        } else if (entry->key == "appdata-summary") {
            data.appdata_summary = std::move(*value);
        }
    }
    return data;
}

FlatpakRepoConfig parse_flatpak_repo_config(std::string_view text) {
    FlatpakRepoConfig config;
    std::string group;
    for (std::string_view line : util::split_lines(text)) {
        line = util::trim(line);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (line.front() == '[' && line.back() == ']') {
            group = std::string(line.substr(1, line.size() - 2));
            if (group.starts_with("remote \"") && group.ends_with('"') && group.size() > 9) {
                config.remotes.push_back({group.substr(8, group.size() - 9), {}, false});
            }
            continue;
        }
        auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        std::string_view key = util::trim(line.substr(0, eq));
        std::string_view value = util::trim(line.substr(eq + 1));
        if (group == "core" && key == "xa.masked") {
            for (std::string_view pattern : util::split(value, ';')) {
                if (!util::trim(pattern).empty()) {
                    config.masked.emplace_back(util::trim(pattern));
                }
            }
        } else if (group.starts_with("remote \"") && !config.remotes.empty()) {
            if (key == "url") {
                config.remotes.back().url = std::string(value);
            } else if (key == "xa.disable") {
                config.remotes.back().disabled = value == "true";
            }
        }
    }
    return config;
}

bool flatpak_ref_masked(const std::vector<std::string>& patterns, std::string_view ref) {
    auto parts = util::split(ref, '/');
    if (parts.size() != 4) {
        return false;
    }
    for (std::string_view pattern : patterns) {
        std::string_view kind;
        if (pattern.starts_with("app/") || pattern.starts_with("runtime/")) {
            kind = pattern.substr(0, pattern.find('/'));
            pattern.remove_prefix(kind.size() + 1);
        }
        auto want = util::split(pattern, '/');
        if ((!kind.empty() && kind != parts[0]) || want.empty() || want.size() > 3) {
            continue;
        }
        bool match = true;
        for (std::size_t i = 0; i < want.size() && match; ++i) {
            match = want[i].empty() || glob_match(want[i], parts[i + 1]);
        }
        if (match) {
            return true;
        }
    }
    return false;
}

std::vector<FlatpakInstallation> flatpak_installations(const util::Root& root,
                                                       const std::vector<InstallationFacts>& facts) {
    DetectContext context = DetectContext::current(root);
    std::vector<FlatpakInstallation> out;
    for (const InstallationFacts& f : facts) {
        std::optional<std::string> dir;
        for (std::string_view templ : f.dirs) {
            if ((dir = expand_template(templ, context))) {
                break;
            }
        }
        if (!dir || !root.exists(*dir)) {
            continue;
        }
        FlatpakInstallation inst{&f, *dir, {}};
        if (auto config = root.read(*dir + "/repo/config", 1u << 20)) {
            inst.config = parse_flatpak_repo_config(*config);
        }
        out.push_back(std::move(inst));
    }
    return out;
}

std::vector<FlatpakRef> read_flatpak_refs(const util::Root& root,
                                          const std::vector<FlatpakInstallation>& installations,
                                          std::vector<std::string>* damaged) {
    std::vector<FlatpakRef> out;
    for (const auto& inst : installations) {
        for (const char* kind : {"app", "runtime"}) {
            std::string base = inst.dir + "/" + kind;
            for (const std::string& id : subdirectories(root, base)) {
                for (const std::string& arch : subdirectories(root, base + "/" + id)) {
                    for (const std::string& branch : subdirectories(root, base + "/" + id + "/" + arch)) {
                        std::string deployed = base + "/" + id + "/" + arch + "/" + branch;
                        std::error_code ec;
                        if (!std::filesystem::is_symlink(root.resolve(deployed) / "active", ec)) {
                            continue; // not deployed (flatpak list does not show it either)
                        }
                        FlatpakRef ref{kind,
                                       id,
                                       arch,
                                       branch,
                                       std::string(inst.facts->name),
                                       std::string(inst.facts->option),
                                       inst.dir,
                                       {},
                                       false};
                        auto bytes = root.read(deployed + "/active/deploy", 1u << 20);
                        auto data = bytes ? parse_flatpak_deploy(*bytes)
                                          : util::Result<FlatpakDeployData>(util::fail(bytes.error()));
                        if (!data) {
                            if (damaged != nullptr) {
                                damaged->push_back(ref.ref() + " (" + ref.installation +
                                                   "): unreadable deployment: " + data.error().message);
                            }
                            continue;
                        }
                        ref.deploy = std::move(*data);
                        ref.masked = flatpak_ref_masked(inst.config.masked, ref.ref());
                        out.push_back(std::move(ref));
                    }
                }
            }
        }
    }
    std::sort(out.begin(), out.end(), [](const FlatpakRef& a, const FlatpakRef& b) {
        return std::tie(a.id, a.arch, a.branch, a.installation) <
               std::tie(b.id, b.arch, b.branch, b.installation);
    });
    return out;
}

} // namespace zsyncctl::pkg
