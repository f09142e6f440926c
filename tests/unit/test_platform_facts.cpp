#include <doctest/doctest.h>

#include <cerrno>

#include "platform/facts.hpp"
#include "util/strings.hpp"

using namespace zsyncctl::platform;

TEST_CASE("os-release parsing handles quoting, escapes and rolling distros") {
    auto fields = parse_os_release("# comment\nNAME=\"Arch \\\"Linux\\\"\"\nID=arch\nPRETTY_NAME='It''s'\n"
                                   "ID_LIKE=\"rhel  centos fedora\"\nBAD LINE\n=x\nVARIANT=a\\$b\n");
    CHECK(fields["NAME"] == "Arch \"Linux\"");
    CHECK(fields["VARIANT"] == "a$b");
    CHECK(fields.count("BAD LINE") == 0);
    auto d = distro_from_fields(fields, "/etc/os-release");
    CHECK(d.id == "arch");
    CHECK(d.id_like == std::vector<std::string>{"rhel", "centos", "fedora"});
    CHECK(d.version_id.empty());
    CHECK(d.rolling);
    auto empty = distro_from_fields({}, "x");
    CHECK(empty.id == "linux");
    auto tw =
        distro_from_fields(parse_os_release("ID=\"opensuse-tumbleweed\"\nVERSION_ID=\"20240601\"\n"), "x");
    CHECK(tw.rolling);
    auto deb = distro_from_fields(parse_os_release("ID=debian\nVERSION_ID=\"12\"\n"), "x");
    CHECK_FALSE(deb.rolling);
}

TEST_CASE("os-release parsing follows systemd's env-file grammar at the edges") {
    // Expected values: what `set -a; . FILE` gives in bash for the same bytes (os-release(5):
    // shell-compatible).
    auto f = parse_os_release("NAME=\"Multi\nLine\"\nPRETTY_NAME=Con\\\ntinued\nVERSION=\"1\\\n2\"\n"
                              "ID=deb\\ \nX='a\\b'\nY=\"q\\n\\\"x\\$\"\n# comment \\\nNOTKEY=1\n"
                              "TRAIL=abc   \nZ=last");
    CHECK(f["NAME"] == zsyncctl::util::sanitize_for_display("Multi\nLine")); // quoted across lines
    CHECK(f["PRETTY_NAME"] == "Continued");
    CHECK(f["VERSION"] == "12");
    CHECK(f["ID"] == "deb "); // an escaped trailing blank stays
    CHECK(f["X"] == "a\\b");
    CHECK(f["Y"] == "q\\n\"x$");
    CHECK(f["NOTKEY"] == "1"); // a comment's trailing backslash does not continue it
    CHECK(f["TRAIL"] == "abc");
    CHECK(f["Z"] == "last");
}

TEST_CASE("KernelVersion parses release strings") {
    CHECK(parse_kernel_version("5.14.0-362.el9.x86_64") == KernelVersion{5, 14, 0});
    CHECK(parse_kernel_version("6.6") == KernelVersion{6, 6, 0});
    CHECK(parse_kernel_version("4.4.0-19041-Microsoft") == KernelVersion{4, 4, 0});
    CHECK_FALSE(parse_kernel_version("garbage"));
    CHECK_FALSE(parse_kernel_version("6"));
    CHECK_FALSE(parse_kernel_version("6."));
    CHECK(to_string(KernelVersion{6, 1, 2}) == "6.1.2");
}

TEST_CASE("LibcInfo reads the glibc banner") {
    std::string bytes("\x7f"
                      "ELF\0junk\0GNU C Library (Debian GLIBC 2.36-9) stable release version 2.36.\0",
                      75);
    CHECK(glibc_version_from_banner(bytes) == "2.36");
    CHECK(glibc_version_from_banner("no banner here").empty());
}

TEST_CASE("Limits parse meminfo, cgroup values and /proc/self/limits") {
    auto mem = parse_meminfo("MemTotal:       16318776 kB\nMemAvailable:    1000 kB\nJunk\n");
    CHECK(mem.total_bytes == 16318776ull * 1024);
    CHECK(mem.available_bytes == 1024000ull);
    CHECK_FALSE(parse_meminfo("MemTotal: lots\n").total_bytes);
    CHECK(parse_cgroup_limit("536870912\n") == 536870912ull);
    CHECK_FALSE(parse_cgroup_limit("max"));
    CHECK_FALSE(parse_cgroup_limit("9223372036854771712"));
    CHECK_FALSE(parse_cgroup_limit("-1"));
    auto limits =
        parse_proc_limits("Limit  Soft Limit  Hard Limit  Units\n"
                          "Max processes             unlimited            unlimited            processes\n"
                          "Max open files            1024                 524288               files\n"
                          "Max locked memory         65536                65536                bytes\n");
    CHECK(limits.nofile.known);
    CHECK(limits.nofile.soft == 1024ull);
    CHECK(limits.nofile.hard == 524288ull);
    CHECK(limits.nproc.known);
    CHECK_FALSE(limits.nproc.soft);
    CHECK(limits.memlock.soft == 65536ull);
}

TEST_CASE("Virtualization helpers recognise WSL, cgroup paths and DMI vendors") {
    CHECK(wsl_from_release("4.4.0-19041-Microsoft") == 1);
    CHECK(wsl_from_release("5.15.153.1-microsoft-standard-WSL2") == 2);
    CHECK_FALSE(wsl_from_release("6.1.0-18-amd64"));
    CHECK(container_from_cgroup("0::/kubepods/burstable/pod1/abc\n") == "kubernetes");
    CHECK(container_from_cgroup("12:pids:/docker/3f2a\n") == "docker");
    CHECK(container_from_cgroup("0::/lxc.payload.c1\n") == "lxc");
    CHECK_FALSE(container_from_cgroup("0::/user.slice\n"));
    CHECK(vm_from_dmi("QEMU", "Standard PC", "SeaBIOS") == "qemu");
    CHECK(vm_from_dmi("Microsoft Corporation", "Virtual Machine", "") == "microsoft");
    CHECK_FALSE(vm_from_dmi("Dell Inc.", "XPS 13", "Dell Inc."));
}

TEST_CASE("IoUringFacts classification names the cause of each errno") {
    IoUringEvidence e;
    e.kernel = KernelVersion{6, 8, 0};
    IoUringProbe probe;
    probe.ran = true;
    SUBCASE("success") {
        probe.usable = true;
        auto f = classify_io_uring(e, probe);
        CHECK(f.usable);
        CHECK_FALSE(f.inferred);
    }
    SUBCASE("EPERM with the sysctl at 2") {
        e.sysctl_disabled = 2;
        probe.error_number = EPERM;
        auto f = classify_io_uring(e, probe);
        CHECK_FALSE(f.usable);
        CHECK(f.errno_name == "EPERM");
        CHECK(f.reason.find("io_uring_disabled=2") != std::string::npos);
    }
    SUBCASE("EPERM under seccomp") {
        e.seccomp_mode = 2;
        e.seccomp_filters = 1;
        probe.error_number = EPERM;
        CHECK(classify_io_uring(e, probe).reason.find("seccomp") != std::string::npos);
    }
    SUBCASE("ENOSYS on WSL1") {
        e.wsl = 1;
        probe.error_number = ENOSYS;
        CHECK(classify_io_uring(e, probe).reason.find("WSL1") != std::string::npos);
    }
    SUBCASE("ENOMEM with a low memlock on 5.10") {
        e.kernel = KernelVersion{5, 10, 0};
        e.memlock_known = true;
        e.memlock_soft = 16384;
        probe.error_number = ENOMEM;
        auto f = classify_io_uring(e, probe);
        CHECK(f.memlock_risk);
        CHECK(f.reason.find("RLIMIT_MEMLOCK") != std::string::npos);
    }
    SUBCASE("missing opcodes: the probe's own reason") {
        probe.error_number = EOPNOTSUPP;
        probe.missing_opcodes = {"POLL_ADD"};
        probe.reason = "the kernel lacks io_uring opcodes the loop needs: POLL_ADD";
        auto f = classify_io_uring(e, probe);
        CHECK_FALSE(f.usable);
        CHECK(f.reason == probe.reason);
    }
    SUBCASE("EOPNOTSUPP and EINVAL are failures too") {
        probe.error_number = EOPNOTSUPP;
        CHECK_FALSE(classify_io_uring(e, probe).usable);
        probe.error_number = EINVAL;
        CHECK_FALSE(classify_io_uring(e, probe).usable);
    }
    SUBCASE("another root: the files decide, not a live probe") {
        IoUringProbe none;
        e.sysctl_disabled = 2;
        auto f = classify_io_uring(e, none);
        CHECK(f.inferred);
        CHECK_FALSE(f.usable);
        CHECK(f.reason == "disabled by sysctl kernel.io_uring_disabled=2");
        e.sysctl_disabled = 1;
        e.cap_sys_admin = true;
        CHECK(classify_io_uring(e, none).usable);
        e.kernel.reset();
        CHECK_FALSE(classify_io_uring(e, none).usable);
    }
}

TEST_CASE("HostFacts from the live host are consistent") {
    auto facts = gather_host_facts(zsyncctl::util::Root());
    CHECK_FALSE(facts.overrides.root);
    CHECK(facts.cpu.effective >= 1);
    CHECK_FALSE(facts.kernel.release.empty());
    CHECK(facts.reactor.epoll);
    CHECK_FALSE(facts.io_uring.reason.empty());
}
