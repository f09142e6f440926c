#!/usr/bin/env python3
"""Interleaved A/B timing: runs BASE and each CMD in turn (BASE C1 C2 BASE C1 C2 ..., the order flipped every
other round), takes each CMD's ratio to the BASE run of the same round, and prints the median ratio. On a
shared machine the load changes from second to second; runs next to each other see the same load, so their
ratio holds where separate blocks of runs (hyperfine's one command after the other) do not.

  bench/pairs.py [--rounds N] [--warmup N] [--goal X] [--rss-goal MIB] [--env NAME=VALUE] [--touch N=PATH]
                [--prepare CMD]
                BASE CMD [CMD...]

Each command is one string split like a shell would (shlex), run directly (posix_spawn, no shell) with
stdout and stdin on /dev/null and stderr kept. Wall time is measured around spawn+wait; CPU time (user+sys)
comes from the child's rusage (wait4), which other processes cannot inflate; peak RSS from a few extra runs
under GNU time (/usr/bin/time, when installed). A command that
exits non-zero stops the bench (unless --any-exit). --touch N=PATH sets PATH's modification time anew
before every run of command N (0 = BASE, 1 = the first CMD), outside the timed span: a cache keyed on that
file is then stale for exactly that command, without a `touch` process in its time. --prepare CMD runs CMD
once before the warm-up in the same environment as the timed commands (a cache filled from the shell may be
another environment's: a pyenv python3 shim prepends to PATH). Python 3.9+ standard
library only.
"""

import argparse
import os
import shlex
import statistics
import sys
import time


def run_once(argv, env, any_exit=False):
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        start = time.perf_counter()
        pid = os.posix_spawnp(
            argv[0],
            argv,
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0),
                (os.POSIX_SPAWN_DUP2, devnull, 1),
            ],
        )
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.close(devnull)
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and not any_exit:
        sys.exit(f"pairs.py: '{shlex.join(argv)}' exited {code}")
    return wall, usage.ru_utime + usage.ru_stime  # s, s


def touch(paths):
    """A new modification time for each of `paths`, never the one it had (a coarse clock could repeat it)."""
    for path in paths:
        before = os.stat(path).st_mtime_ns
        now = time.time_ns()
        os.utime(path, ns=(now, now if now != before else now + 1))


def peak_rss_mib(argv, env, runs=5, before=()):
    """Median peak RSS under GNU time (a small forking parent: a child of this Python process would
    inherit its 15 MiB high-water mark across exec). None without /usr/bin/time."""
    if not os.access("/usr/bin/time", os.X_OK):
        return None
    values = []
    for _ in range(runs):
        touch(before)
        read_fd, write_fd = os.pipe()
        os.set_inheritable(write_fd, True)
        pid = os.posix_spawn(
            "/usr/bin/time",
            ["/usr/bin/time", "-f", "%M", "-o", f"/dev/fd/{write_fd}"] + argv,
            env,
            file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                          (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                          (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)],
        )
        os.close(write_fd)
        text = b""
        while chunk := os.read(read_fd, 4096):
            text += chunk
        os.close(read_fd)
        os.waitpid(pid, 0)
        try:
            values.append(int(text.split()[-1]) / 1024.0)
        except (ValueError, IndexError):
            return None
    return statistics.median(values)


def environment(assignments):
    """This process's environment with each NAME=VALUE of `assignments` set."""
    env = dict(os.environ)
    for item in assignments:
        name, _, value = item.partition("=")
        env[name] = value
    return env


def quantile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--goal", type=float, help="print met/MISSED against this ratio (lower is better)")
    parser.add_argument("--goal-at-least", type=float, help="print met/MISSED against this ratio (higher is better)")
    parser.add_argument("--rss-goal", type=float, help="print met/MISSED for each CMD's median peak RSS (MiB)")
    parser.add_argument("--base-rss-goal", type=float, help="print met/MISSED for BASE's median peak RSS (MiB)")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE added to every command's environment")
    parser.add_argument("--label", default="", help="prefix of every output line")
    parser.add_argument("--any-exit", action="store_true", help="accept non-zero exits (doctor exits 1 on a failed check)")
    parser.add_argument("--prepare", action="append", default=[], metavar="CMD",
                        help="run CMD once, untimed, in the same environment, before the warm-up (fill a cache)")
    parser.add_argument("--touch", action="append", default=[], metavar="N=PATH",
                        help="a new mtime for PATH before each run of command N (0 = BASE), not timed")
    parser.add_argument("base")
    parser.add_argument("cmds", nargs="+")
    args = parser.parse_args()

    env = environment(args.env)
    commands = [shlex.split(args.base)] + [shlex.split(c) for c in args.cmds]
    touches = [[] for _ in commands]
    for item in args.touch:
        index, _, path = item.partition("=")
        if not index.isdigit() or int(index) >= len(commands) or not os.path.exists(path):
            sys.exit(f"pairs.py: --touch {item}: wanted N=PATH, N a command's number (0 = BASE), PATH a file")
        touches[int(index)].append(path)
    # In this process's environment, not the caller's shell's: a cache keyed on PATH and the environment
    # (zsyncctl's detection cache) filled by the shell is another key's when python3 is a shim that changes
    # PATH (pyenv's prepends its own directories), and a "warm" run would detect afresh every time.
    for command in args.prepare:
        run_once(shlex.split(command), env, any_exit=True)
    for _ in range(args.warmup):
        for i, argv in enumerate(commands):
            touch(touches[i])
            run_once(argv, env, args.any_exit)

    samples = [[] for _ in commands]  # per command: (wall, cpu, rss) per round
    for r in range(args.rounds):
        order = list(range(len(commands)))
        if r % 2 == 1:
            order.reverse()
        for i in order:
            touch(touches[i])
            samples[i].append(run_once(commands[i], env, args.any_exit))

    rss = [peak_rss_mib(argv, env, before=touches[i]) for i, argv in enumerate(commands)]
    base = samples[0]
    label = args.label + " " if args.label else ""
    def rss_text(value, goal):
        if value is None:
            return "peak RSS n/a"
        text = f"peak RSS {value:.1f} MiB"
        if goal is not None:
            text += f" (goal <= {goal} MiB {'met' if value <= goal else 'MISSED'})"
        return text

    print(
        f"{label}base '{args.base}': wall median {statistics.median(s[0] for s in base) * 1e3:.3f} ms, "
        f"cpu median {statistics.median(s[1] for s in base) * 1e3:.3f} ms, "
        f"{rss_text(rss[0], args.base_rss_goal)} ({args.rounds} interleaved rounds)"
    )
    for cmd, runs, cmd_rss in zip(args.cmds, samples[1:], rss[1:]):
        wall_ratios = [a[0] / b[0] for a, b in zip(runs, base)]
        cpu_ratios = [a[1] / b[1] for a, b in zip(runs, base) if b[1] > 0]
        ratio = statistics.median(wall_ratios)
        verdict = ""
        if args.goal is not None:
            verdict = f" (goal <= {args.goal}x {'met' if ratio <= args.goal else 'MISSED'})"
        if args.goal_at_least is not None:
            verdict = f" (goal >= {args.goal_at_least}x {'met' if ratio >= args.goal_at_least else 'MISSED'})"
        cpu_text = f"{statistics.median(cpu_ratios):.2f}x" if cpu_ratios else "n/a"
        print(
            f"{label}'{cmd}': wall median {statistics.median(s[0] for s in runs) * 1e3:.3f} ms, "
            f"ratio per pair median {ratio:.2f}x (p10 {quantile(wall_ratios, 0.1):.2f}, "
            f"p90 {quantile(wall_ratios, 0.9):.2f}){verdict}; cpu ratio {cpu_text}; "
            f"{rss_text(cmd_rss, args.rss_goal)}"
        )


if __name__ == "__main__":
    main()
