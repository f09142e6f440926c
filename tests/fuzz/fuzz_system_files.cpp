// libFuzzer target: the system files doctor and the runtime read. The whole input is fed to every parser
// (os-release, /proc/self/status, /proc/self/mountinfo and /proc/self/cgroup, /proc/meminfo,
// /proc/self/limits, cgroup limit files, kernel release strings), and the cgroup walk runs on what the
// mountinfo and cgroup parsers return.
#include <string>

#include "fuzz_split.hpp"
#include "platform/cgroup.hpp"
#include "platform/cpu_budget.hpp"
#include "platform/limits.hpp"
#include "platform/os_release.hpp"
#include "platform/proc_status.hpp"
#include "platform/virtualization.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zsyncctl;
    using fuzz::check;
    std::string_view input = fuzz::as_text(data, size);

    auto fields = platform::parse_os_release(input);
    for (const auto& [key, value] : fields) {
        check(!key.empty() && key.find('\n') == std::string::npos && value.find('\n') == std::string::npos);
    }
    platform::Distro distro = platform::distro_from_fields(fields, "/etc/os-release");
    check(!distro.id.empty());

    platform::ProcStatus status = platform::parse_proc_status(input);
    check(!status.cpus_allowed_list || !status.cpus_allowed_list->empty());
    if (status.cpus_allowed_list) {
        (void)platform::parse_cpu_list_count(*status.cpus_allowed_list);
    }

    auto mounts = platform::parse_cgroup_mounts(input);
    auto memberships = platform::parse_proc_cgroup(input);
    for (const auto& mount : mounts) {
        check(mount.mount_point.starts_with('/') && mount.root.starts_with('/'));
        for (const auto& member : memberships) {
            platform::CgroupDir dir{platform::cgroup_dir_in_mount(mount, member.path), mount.mount_point,
                                    mount.v2};
            auto upward = platform::cgroup_dirs_upward(dir);
            check(upward.size() <= 4096);
        }
    }
    (void)platform::unescape_mountinfo(input);

    (void)platform::parse_meminfo(input);
    (void)platform::parse_proc_limits(input);
    if (auto limit = platform::parse_cgroup_limit(input)) {
        (void)*limit;
    }
    (void)platform::wsl_from_release(input);
    (void)platform::container_from_cgroup(input);
    return 0;
}
