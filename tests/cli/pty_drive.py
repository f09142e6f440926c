#!/usr/bin/env python3
"""Runs a command on a real pseudo-terminal (it is the command's controlling terminal, stdin, stdout and
stderr) and drives it like a user: wait for a text, then type something, in order.

    pty_drive.py TRANSCRIPT [--expect TEXT | --send KEYS | --resize ROWSxCOLS | --sleep SECONDS | --wait-file PATH | --run BASH-COMMAND]... -- COMMAND ARGS...

KEYS takes Python escapes ("N\\r"). --resize gives the terminal a new size (its foreground process group
gets SIGWINCH). --wait-file waits (reading the terminal meanwhile) until PATH exists and is not empty:
for a moment the terminal does not show reliably (a script of the command began). --run runs a bash
command of the test (reading the terminal meanwhile) and goes on when it succeeded, e.g. to change the
world while the command waits for an answer. Every wait has a deadline (PTY_DEADLINE seconds, default 60, for
the whole run). The transcript (everything the terminal showed) is written to TRANSCRIPT. Exit status:
the command's, or 124 when a text did not appear or the command did not end in time (the reason on
stderr).
"""
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time


def main():
    argv = sys.argv[1:]
    transcript_path = argv.pop(0)
    steps = []
    while argv and argv[0] != "--":
        kind = argv.pop(0)
        value = argv.pop(0)
        if kind == "--send":
            value = value.encode().decode("unicode_escape")
        steps.append((kind, value))
    command = argv[1:]
    deadline = time.monotonic() + float(os.environ.get("PTY_DEADLINE", "60"))

    pid, master = pty.fork()
    if pid == 0:
        # A terminal's job starts with SIGINT and SIGQUIT at their defaults, also when we run as a script's
        # background job (which ignores both, and the command would keep them ignored).
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGQUIT, signal.SIG_DFL)
        os.execvp(command[0], command)
    seen = b""
    searched_from = 0
    status = None

    def read_some(wait):
        nonlocal seen
        ready, _, _ = select.select([master], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every slave is closed
            return False
        if not data:
            return False
        seen += data
        return True

    def give_up(reason):
        sys.stderr.write("pty_drive: %s; the terminal showed:\n%s\n" % (reason, seen.decode(errors="replace")[-3000:]))
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        os.waitpid(pid, 0)
        open(transcript_path, "wb").write(seen)
        sys.exit(124)

    for kind, value in steps:
        if kind == "--expect":
            needle = value.encode()
            while seen.find(needle, searched_from) < 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    give_up("'%s' did not appear in time" % value)
                if not read_some(min(left, 1.0)):
                    give_up("the command ended before '%s' appeared" % value)
            searched_from = seen.find(needle, searched_from) + len(needle)
        elif kind == "--sleep":  # let the command react (e.g. to SIGCONT) while reading what it shows
            until = time.monotonic() + float(value)
            while time.monotonic() < until and read_some(max(0.0, until - time.monotonic())):
                pass
        elif kind == "--wait-file":
            while not (os.path.exists(value) and os.path.getsize(value) > 0):
                if time.monotonic() > deadline:
                    give_up("'%s' did not appear in time" % value)
                read_some(0.1)
        elif kind == "--run":
            helper = subprocess.Popen(["bash", "-c", value], stdin=subprocess.DEVNULL)
            while helper.poll() is None:
                if time.monotonic() > deadline:
                    helper.kill()
                    helper.wait()
                    give_up("--run '%s' did not end in time" % value)
                read_some(0.1)
            if helper.returncode != 0:
                give_up("--run '%s' failed with exit %d" % (value, helper.returncode))
        elif kind == "--resize":
            rows, cols = (int(n) for n in value.split("x"))
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        else:
            os.write(master, value.encode())
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            give_up("the command did not end in time")
        if not read_some(min(left, 1.0)):
            break
    while status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            break
        if time.monotonic() > deadline:
            give_up("the command did not exit in time")
        read_some(0.1)
    open(transcript_path, "wb").write(seen)
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


main()
