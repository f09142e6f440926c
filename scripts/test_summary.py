#!/usr/bin/env python3
"""Prints 'N passed, N failed, N skipped' from the test logs of one or more meson build dirs.

Reads every meson-logs/testlog*.json of each dir (one per `meson test` run; runs with --logbase write
their own) and counts every test result: OK and EXPECTEDFAIL pass; SKIP is skipped;
FAIL, TIMEOUT, ERROR and UNEXPECTEDPASS fail. A build dir without a test log counts as one failure,
so a run that never got to its tests cannot look green. Exit status: 1 if anything failed.
"""
import json
import os
import sys


def test_logs(build_dir):
    """The testlog*.json files of one build dir, sorted; empty when there is none."""
    logs_dir = os.path.join(build_dir, "meson-logs")
    if not os.path.isdir(logs_dir):
        return []
    return sorted(
        os.path.join(logs_dir, name)
        for name in os.listdir(logs_dir)
        if name.startswith("testlog") and name.endswith(".json")
    )


def main(dirs):
    passed = failed = skipped = 0
    for d in dirs:
        logs = test_logs(d)
        if not logs:
            print(f"test_summary: no test log in {d}", file=sys.stderr)
            failed += 1
            continue
        for log in logs:
            with open(log, encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    result = json.loads(line).get("result", "ERROR")
                    if result in ("OK", "EXPECTEDFAIL"):
                        passed += 1
                    elif result == "SKIP":
                        skipped += 1
                    else:
                        failed += 1
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["build"]))
