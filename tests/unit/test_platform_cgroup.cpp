#include <doctest/doctest.h>

#include "platform/cgroup.hpp"
#include "platform/proc_status.hpp"

using namespace zsyncctl::platform;

TEST_CASE("CgroupMount parsing reads cgroup and cgroup2 lines of mountinfo") {
    const char* mountinfo =
        "22 1 0:21 / / rw,relatime - ext4 /dev/sda1 rw\n"
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw,relatime master:1 - cgroup cgroup "
        "rw,cpu,cpuacct\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/with\\040space rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
        "garbage line\n";
    auto mounts = parse_cgroup_mounts(mountinfo);
    REQUIRE(mounts.size() == 3);
    CHECK(mounts[0].mount_point == "/sys/fs/cgroup/cpu,cpuacct");
    CHECK(mounts[0].root == "/docker/abc");
    CHECK(mounts[0].controllers == std::vector<std::string>{"cpu", "cpuacct"});
    CHECK_FALSE(mounts[0].v2);
    CHECK(mounts[1].controllers == std::vector<std::string>{"xattr"});
    CHECK(mounts[2].v2);
    CHECK(mounts[2].mount_point == "/sys/fs/cgroup/with space");
    CHECK(unescape_mountinfo("a\\011b\\134") == "a\tb\\");
    CHECK(unescape_mountinfo("trailing\\04") == "trailing\\04");
}

TEST_CASE("CgroupMembership parsing and path mapping") {
    auto lines =
        parse_proc_cgroup("5:cpu,cpuacct:/docker/abc\n0::/user.slice\nbad\n1:name=systemd:relative\n");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].controllers == std::vector<std::string>{"cpu", "cpuacct"});
    CHECK(lines[1].hierarchy == "0");
    CHECK(lines[1].controllers.empty());

    SUBCASE("docker without a cgroup namespace: the mount root is stripped") {
        CgroupMount m{"/sys/fs/cgroup/cpu", "/docker/abc", false, {"cpu"}};
        CHECK(cgroup_dir_in_mount(m, "/docker/abc") == "/sys/fs/cgroup/cpu");
        CHECK(cgroup_dir_in_mount(m, "/docker/abc/child") == "/sys/fs/cgroup/cpu/child");
        CHECK(cgroup_dir_in_mount(m, "/other") == "/sys/fs/cgroup/cpu");
    }
    SUBCASE("cgroup namespace roots above ours map to the mount") {
        CgroupMount m{"/sys/fs/cgroup", "/", true, {}};
        CHECK(cgroup_dir_in_mount(m, "/../../system.slice") == "/sys/fs/cgroup");
        CHECK(cgroup_dir_in_mount(m, "/") == "/sys/fs/cgroup");
        CHECK(cgroup_dir_in_mount(m, "/a/b") == "/sys/fs/cgroup/a/b");
    }
    SUBCASE("walking up stops at the mount") {
        auto dirs = cgroup_dirs_upward(CgroupDir{"/sys/fs/cgroup/a/b", "/sys/fs/cgroup", true});
        CHECK(dirs == std::vector<std::string>{"/sys/fs/cgroup/a/b", "/sys/fs/cgroup/a", "/sys/fs/cgroup"});
        CHECK(cgroup_dirs_upward(CgroupDir{"/sys/fs/cgroup", "/sys/fs/cgroup", true}).size() == 1);
    }
}

TEST_CASE("ProcStatus parsing reads the fields zsyncctl uses and skips the rest") {
    SUBCASE("a real status file") {
        ProcStatus s = parse_proc_status("Name:\tbash\nTracerPid:\t0\nCapEff:\t000001ffffffffff\n"
                                         "Seccomp:\t2\nSeccomp_filters:\t1\nCpus_allowed_list:\t0-3,8\n");
        CHECK(s.tracer_pid == 0U);
        REQUIRE(s.cap_eff);
        CHECK(has_cap_sys_admin(*s.cap_eff));
        CHECK(s.seccomp == 2);
        CHECK(s.seccomp_filters == 1);
        CHECK(s.cpus_allowed_list == "0-3,8");
    }
    SUBCASE("an unprivileged process has no CAP_SYS_ADMIN") {
        ProcStatus s = parse_proc_status("CapEff:\t0000000000000000\n");
        REQUIRE(s.cap_eff);
        CHECK_FALSE(has_cap_sys_admin(*s.cap_eff));
    }
    SUBCASE("malformed values are left unset") {
        ProcStatus s = parse_proc_status("CapEff:\t12345678901234567\nSeccomp:\tx\nTracerPid:\t-1\n"
                                         "Cpus_allowed_list:\t\nno colon here\n:\n");
        CHECK_FALSE(s.cap_eff);
        CHECK_FALSE(s.seccomp);
        CHECK_FALSE(s.tracer_pid);
        CHECK_FALSE(s.cpus_allowed_list);
    }
    SUBCASE("empty input") {
        ProcStatus s = parse_proc_status("");
        CHECK_FALSE(s.seccomp);
        CHECK_FALSE(s.cap_eff);
    }
}

TEST_CASE("CgroupMount parsing skips lines whose paths are not absolute") {
    auto mounts = parse_cgroup_mounts("600 500 0:70 /  x - cgroup cpu,cpuacct ro,cpu\n"
                                      "601 500 0:71 x /sys/fs/cgroup - cgroup2 cgroup2 rw\n"
                                      "602 500 0:72 / /sys/fs/cgroup - cgroup2 cgroup2 rw\n");
    REQUIRE(mounts.size() == 1);
    CHECK(mounts[0].mount_point == "/sys/fs/cgroup");
}
