#include "platform/cgroup.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace zsyncctl::platform {

std::string unescape_mountinfo(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    auto is_octal = [](char c) {
        return c >= '0' && c <= '7';
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size() && is_octal(text[i + 1]) && is_octal(text[i + 2]) &&
            is_octal(text[i + 3])) {
            int value = (text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0');
            out.push_back(static_cast<char>(value));
            i += 3;
            continue;
        }
        out.push_back(text[i]);
    }
    return out;
}

std::vector<CgroupMount> parse_cgroup_mounts(std::string_view mountinfo) {
    std::vector<CgroupMount> mounts;
    for (std::string_view line : util::split_lines(mountinfo)) {
        // id parent major:minor root mount-point options [optional fields...] - fstype source super-options
        auto sep = line.find(" - ");
        if (sep == std::string_view::npos) {
            continue;
        }
        // Most mounts are not cgroups: decided from the file system type before splitting the line (it is
        // parsed once per controller looked up).
        std::string_view fstype = line.substr(sep + 3);
        fstype = fstype.substr(0, fstype.find(' '));
        if (fstype != "cgroup" && fstype != "cgroup2") {
            continue;
        }
        auto left = util::split(line.substr(0, sep), ' ');
        auto right = util::split(line.substr(sep + 3), ' ');
        if (left.size() < 5 || right.empty()) {
            continue;
        }
        CgroupMount mount;
        if (right[0] == "cgroup2") {
            mount.v2 = true;
        } else if (right[0] != "cgroup") {
            continue;
        }
        mount.root = unescape_mountinfo(left[3]);
        mount.mount_point = unescape_mountinfo(left[4]);
        // Both are absolute paths in every real mountinfo; anything else is a damaged line (found by fuzzing:
        // a doubled space made the mount point empty).
        if (!mount.root.starts_with('/') || !mount.mount_point.starts_with('/')) {
            continue;
        }
        if (!mount.v2 && right.size() >= 3) {
            for (std::string_view option : util::split(right[2], ',')) {
                if (option != "rw" && option != "ro" && !option.empty() && option.find('=') == option.npos) {
                    mount.controllers.emplace_back(option);
                }
            }
        }
        mounts.push_back(std::move(mount));
    }
    return mounts;
}

std::vector<CgroupMembership> parse_proc_cgroup(std::string_view text) {
    std::vector<CgroupMembership> lines;
    for (std::string_view line : util::split_lines(text)) {
        auto first = line.find(':');
        auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
        if (second == std::string_view::npos) {
            continue;
        }
        CgroupMembership m;
        m.hierarchy = std::string(line.substr(0, first));
        std::string_view controllers = line.substr(first + 1, second - first - 1);
        for (std::string_view c : util::split(controllers, ',')) {
            if (!c.empty()) {
                m.controllers.emplace_back(c);
            }
        }
        m.path = std::string(line.substr(second + 1));
        if (m.path.empty() || m.path.front() != '/') {
            continue;
        }
        lines.push_back(std::move(m));
    }
    return lines;
}

std::string cgroup_dir_in_mount(const CgroupMount& mount, std::string_view process_path) {
    std::string_view rel = process_path;
    if (rel.starts_with("/..")) {
        // Inside a cgroup namespace the path is relative to a root above ours: our cgroup is the mount.
        return mount.mount_point;
    }
    if (mount.root != "/" && !mount.root.empty()) {
        if (rel == mount.root) {
            rel = "/";
        } else if (rel.starts_with(mount.root) && rel.size() > mount.root.size() &&
                   rel[mount.root.size()] == '/') {
            rel = rel.substr(mount.root.size());
        } else {
            // The process sits outside the mounted subtree: the mount is the closest visible cgroup.
            return mount.mount_point;
        }
    }
    std::string dir = mount.mount_point;
    if (rel != "/") {
        if (!dir.empty() && dir.back() == '/') {
            dir.pop_back();
        }
        dir += rel;
    }
    return dir;
}

namespace {

bool has(const std::vector<std::string>& list, std::string_view item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

// parse_cgroup_mounts(mountinfo), parsed again only when the text differs from the last one this thread
// parsed: doctor looks up three controllers in one snapshot of the machine (a memoized root gives the
// same bytes each time). Texts over 64 KiB are not kept.
const std::vector<CgroupMount>& cgroup_mounts_of(std::string_view mountinfo) {
    thread_local std::string last_text;
    thread_local std::vector<CgroupMount> last_mounts;
    thread_local bool have_last = false;
    if (have_last && last_text == mountinfo) {
        return last_mounts;
    }
    last_mounts = parse_cgroup_mounts(mountinfo);
    have_last = mountinfo.size() <= 65536;
    last_text = have_last ? std::string(mountinfo) : std::string();
    return last_mounts;
}

} // namespace

std::optional<CgroupDir> find_cgroup_dir(const util::Root& root, std::string_view controller) {
    auto cgroup_text = root.read("/proc/self/cgroup", 65536);
    if (!cgroup_text) {
        return std::nullopt;
    }
    auto memberships = parse_proc_cgroup(*cgroup_text);
    static const std::vector<CgroupMount> k_none;
    const std::vector<CgroupMount>* mount_list = &k_none;
    bool have_mountinfo = false;
    if (auto mountinfo = root.read("/proc/self/mountinfo", 4u << 20)) {
        mount_list = &cgroup_mounts_of(*mountinfo);
        have_mountinfo = true;
    }
    const std::vector<CgroupMount>& mounts = *mount_list;
    const CgroupMembership* v2_line = nullptr;
    for (const auto& m : memberships) {
        if (m.hierarchy == "0" && m.controllers.empty()) {
            v2_line = &m;
            continue;
        }
        if (!has(m.controllers, controller)) {
            continue;
        }
        if (have_mountinfo) {
            for (const auto& mount : mounts) {
                if (!mount.v2 && has(mount.controllers, controller)) {
                    return CgroupDir{cgroup_dir_in_mount(mount, m.path), mount.mount_point, false};
                }
            }
            continue; // the hierarchy is not mounted here (e.g. shareProcessNamespace)
        }
        std::string joined = "/sys/fs/cgroup/" + util::join(m.controllers, ",");
        std::string mount_point = root.exists(joined) ? joined : "/sys/fs/cgroup/" + std::string(controller);
        CgroupMount mount{mount_point, "/", false, m.controllers};
        return CgroupDir{cgroup_dir_in_mount(mount, m.path), mount_point, false};
    }
    if (v2_line == nullptr) {
        return std::nullopt;
    }
    if (have_mountinfo) {
        for (const auto& mount : mounts) {
            if (mount.v2) {
                return CgroupDir{cgroup_dir_in_mount(mount, v2_line->path), mount.mount_point, true};
            }
        }
        return std::nullopt;
    }
    CgroupMount mount{"/sys/fs/cgroup", "/", true, {}};
    return CgroupDir{cgroup_dir_in_mount(mount, v2_line->path), mount.mount_point, true};
}

std::vector<std::string> cgroup_dirs_upward(const CgroupDir& dir) {
    std::vector<std::string> dirs;
    std::string current = dir.dir;
    while (true) {
        dirs.push_back(current);
        if (current == dir.mount || current.size() <= dir.mount.size() || !current.starts_with(dir.mount)) {
            break;
        }
        auto slash = current.rfind('/');
        if (slash == std::string::npos || slash < dir.mount.size()) {
            break;
        }
        current = current.substr(0, slash);
    }
    return dirs;
}

} // namespace zsyncctl::platform
