#!/usr/bin/env python3
"""The system-call floor of a command: how fast it could be if everything but its system calls took no time.

  bench/syscall_floor.py [--rounds N] [--env NAME=VALUE] [--keep DIR] BASE CMD [CMD...]

Each command (BASE first) is run once under strace. The system calls it makes after the dynamic loader is
done (from the loader's unmapping of ld.so.cache on) are written out as a C program that makes the same
calls on the same paths and descriptors in the same order (file and /proc reads of the same sizes, stats,
readlinks, the io_uring ring and its probe, eventfd, epoll, uname, isatty, the output's writes to
/dev/null), with no work between them. The replays and the commands are then timed interleaved against
/bin/true (bench/pairs.py). A replay's time over /bin/true's is what the command's system calls cost by
themselves; added to BASE's own time it gives the least ratio to BASE a command making those calls can
reach:

  floor ratio = (BASE + (replay(CMD) - replay(BASE))) / BASE

A goal below that ratio cannot be met by faster code: only by making fewer or cheaper calls (reading fewer
files, not creating a ring). Anonymous mmap/munmap/brk (the allocator's) and exit are not replayed: they
follow from the work, not from what the command must ask the kernel.

Needs strace and a C compiler (cc). Linux only. Python 3.9+ standard library only.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pairs  # noqa: E402  (bench/pairs.py: the interleaved timing and its environment handling)

STRING = r'"((?:[^"\\]|\\.)*)"(\.\.\.)?'
CALL = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\w+)")

PRELUDE = """#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>
#include <linux/io_uring.h>
static int F[1024];
static char B[1 << 20];
static struct stat S;
static char P[16 + 256 * 8];
static int fd(int n) { return n >= 0 && n < 1024 ? F[n] : -1; }
int main(void) {
  for (int i = 0; i < 1024; ++i) F[i] = -1;
  F[0] = 0; F[1] = open("/dev/null", O_WRONLY); F[2] = 2;
"""


def dirfd(text):
    return "AT_FDCWD" if text == "AT_FDCWD" else f"fd({int(text)})"


def flags(text, known):
    parts = [p for p in text.split("|") if p in known]
    return "|".join(parts) if parts else "0"


OPEN_FLAGS = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_CLOEXEC", "O_DIRECTORY", "O_NOFOLLOW", "O_PATH",
              "O_NONBLOCK", "O_NOCTTY", "O_LARGEFILE"}
AT_FLAGS = {"AT_SYMLINK_NOFOLLOW", "AT_EMPTY_PATH", "AT_NO_AUTOMOUNT"}


def translate(line):
    """One strace line as a C statement, or None when the call is not replayed."""
    m = CALL.match(line)
    if not m:
        return None
    name, args, ret = m.groups()
    ok = not ret.startswith("-")
    if name == "openat":
        a = re.match(r"(\w+), " + STRING + r", ([A-Z_|]+)", args)
        if not a:
            return None
        call = f'openat({dirfd(a.group(1))}, "{a.group(2)}", {flags(a.group(4), OPEN_FLAGS)})'
        return f"F[{int(ret)}] = {call};" if ok and int(ret) < 1024 else f"{call};"
    if name in ("read", "pread64"):
        a = re.match(r"(\d+), .*, (\d+)(?:, (\d+))?$", args)
        if not a:
            return None
        count = min(int(a.group(2)), 1 << 20)
        if name == "pread64":
            return f"pread(fd({a.group(1)}), B, {count}, {a.group(3)});"
        return f"read(fd({a.group(1)}), B, {count});"
    if name == "close":
        return f"close(fd({int(args)})); F[{int(args)}] = -1;" if int(args) < 1024 else None
    if name == "newfstatat":
        a = re.match(r"(\w+), " + STRING, args)
        if not a:
            return None
        at = flags(args.rsplit(", ", 1)[-1], AT_FLAGS)
        return f'fstatat({dirfd(a.group(1))}, "{a.group(2)}", &S, {at});'
    if name == "statx":
        a = re.match(r"(\w+), " + STRING, args)
        if not a:
            return None
        return f'{{ struct statx x; statx({dirfd(a.group(1))}, "{a.group(2)}", 0, STATX_BASIC_STATS, &x); }}'
    if name == "readlink":
        a = re.match(STRING, args)
        return f'readlink("{a.group(1)}", B, 4096);' if a else None
    if name == "readlinkat":
        a = re.match(r"(\w+), " + STRING, args)
        return f'readlinkat({dirfd(a.group(1))}, "{a.group(2)}", B, 4096);' if a else None
    if name == "access":
        a = re.match(STRING, args)
        return f'access("{a.group(1)}", F_OK);' if a else None
    if name == "faccessat2" or name == "faccessat":
        a = re.match(r"(\w+), " + STRING, args)
        return f'faccessat({dirfd(a.group(1))}, "{a.group(2)}", F_OK, 0);' if a else None
    if name == "getdents64":
        a = re.match(r"(\d+),", args)
        return f"syscall(SYS_getdents64, fd({a.group(1)}), B, 32768);" if a else None
    if name == "ioctl" and "TCGETS" in args:
        a = re.match(r"(\d+),", args)
        return f"{{ struct termios t; tcgetattr(fd({a.group(1)}), &t); }}" if a else None
    if name == "write":
        a = re.match(r"(\d+), .*, (\d+)$", args)
        if not a:
            return None
        return f"write(F[1], B, {min(int(a.group(2)), 1 << 20)});"  # all output goes to /dev/null
    if name == "io_uring_setup":
        a = re.match(r"(\d+), \{flags=([A-Z_|0-9x]*)", args)
        entries = a.group(1) if a else "8"
        setup = [f for f in (a.group(2).split("|") if a else []) if f.startswith("IORING_SETUP_")]
        fl = "|".join(setup) if setup else "0"
        target = f"F[{int(ret)}] = " if ok else ""
        return (f"{{ struct io_uring_params p = {{0}}; p.flags = {fl}; "
                f"{target}syscall(SYS_io_uring_setup, {entries}, &p); }}")
    if name == "io_uring_register" and "IORING_REGISTER_PROBE" in args:
        a = re.match(r"(\d+),", args)
        return f"syscall(SYS_io_uring_register, fd({a.group(1)}), IORING_REGISTER_PROBE, P, 256);"
    if name == "io_uring_enter":
        a = re.match(r"(\d+),", args)
        return f"syscall(SYS_io_uring_enter, fd({a.group(1)}), 0, 0, 0, NULL, 8);"
    if name == "mmap" and "MAP_ANONYMOUS" not in args:
        a = [x.strip() for x in args.split(",")]
        if len(a) == 6 and a[4].isdigit():
            return (f"mmap(NULL, {a[1]}, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, fd({a[4]}), "
                    f"{a[5]});")
        return None
    if name == "eventfd2":
        return f"F[{int(ret)}] = eventfd(0, EFD_CLOEXEC);" if ok else None
    if name == "epoll_create1":
        return f"F[{int(ret)}] = epoll_create1(EPOLL_CLOEXEC);" if ok else None
    if name == "uname":
        return "{ struct utsname u; uname(&u); }"
    if name == "sched_getaffinity":
        return "{ cpu_set_t c; sched_getaffinity(0, sizeof c, &c); }"
    if name == "prlimit64":
        a = re.match(r"0, (RLIMIT_\w+)", args)
        return f"{{ struct rlimit r; getrlimit({a.group(1)}, &r); }}" if a else None
    if name in ("geteuid", "getuid", "getegid", "getgid", "getpid"):
        return f"syscall(SYS_{name});"
    return None


def replay_source(trace_lines):
    """The C program replaying the calls made after the loader (its munmap of ld.so.cache)."""
    start = 0
    seen_rseq = False
    for i, line in enumerate(trace_lines):
        call = CALL.match(line)
        name = call.group(1) if call else ""
        if name == "rseq":
            seen_rseq = True
        if seen_rseq and name == "munmap":
            start = i + 1
            break
    body, skipped = [], 0
    for line in trace_lines[start:]:
        statement = translate(line)
        if statement is None:
            skipped += 1
        else:
            body.append("  " + statement)
    return PRELUDE + "\n".join(body) + "\n  return 0;\n}\n", len(body), skipped


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for every run")
    parser.add_argument("--keep", help="write the replay sources and traces into this directory")
    parser.add_argument("base")
    parser.add_argument("commands", nargs="+")
    args = parser.parse_args()
    env = pairs.environment(args.env)
    work = args.keep or tempfile.mkdtemp(prefix="syscall-floor-")
    os.makedirs(work, exist_ok=True)
    replays = []
    for index, command in enumerate([args.base] + args.commands):
        trace = os.path.join(work, f"trace{index}.txt")
        with open(os.devnull, "w") as devnull:
            subprocess.run(["strace", "-f", "-qq", "-s", "4096", "-o", trace] + shlex.split(command),
                           env=env, stdout=devnull, stderr=devnull, check=False)
        with open(trace) as f:
            source, calls, skipped = replay_source(f.read().splitlines())
        c_file = os.path.join(work, f"replay{index}.c")
        exe = os.path.join(work, f"replay{index}")
        with open(c_file, "w") as f:
            f.write(source)
        subprocess.run(["cc", "-O2", "-w", "-o", exe, c_file], check=True)
        print(f"replay{index}: {calls} calls replayed, {skipped} not (allocator, signals, exit): '{command}'")
        replays.append(exe)
    # One interleaved run: /bin/true as the base, then each replay and each real command.
    timing = [sys.executable, os.path.join(HERE, "pairs.py"), "--any-exit", "--rounds", str(args.rounds),
             "--warmup", "10"]
    for item in args.env:
        timing += ["--env", item]
    timed = replays + [args.base] + args.commands
    result = subprocess.run(timing + ["/bin/true"] + [shlex.quote(t) if t in replays else t for t in timed],
                            env=env, capture_output=True, text=True, check=True)
    print(result.stdout, end="")
    medians = {}
    for line in result.stdout.splitlines():
        m = re.match(r"(?:base )?'(.*)': wall median ([\d.]+) ms", line)
        if m:
            medians[m.group(1)] = float(m.group(2))
    true_ms = medians["/bin/true"]
    base_ms = medians[args.base]
    base_calls_ms = medians[replays[0]] - true_ms
    print(f"floor: '{args.base}' {base_ms:.3f} ms, its own calls {base_calls_ms * 1000:.0f} us over /bin/true")
    for replay, command in zip(replays[1:], args.commands):
        calls_ms = medians[replay] - true_ms
        floor = (base_ms + calls_ms - base_calls_ms) / base_ms
        now = medians[command] / base_ms
        print(f"floor: '{command}': its calls {calls_ms * 1000:.0f} us over /bin/true; least ratio to the base "
              f"{floor:.2f}x (today {now:.2f}x by medians)")
    if not args.keep:
        for name in os.listdir(work):
            os.remove(os.path.join(work, name))
        os.rmdir(work)


if __name__ == "__main__":
    main()
