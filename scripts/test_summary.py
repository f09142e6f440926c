#!/usr/bin/env python3
"""Prints 'N passed, N failed, N skipped' from the testlog.json of one or more meson build dirs.

Counts every meson test result of the last run in each dir: OK and EXPECTEDFAIL pass; SKIP is skipped;
FAIL, TIMEOUT, ERROR and UNEXPECTEDPASS fail. A build dir without a test log counts as one failure,
so a run that never got to its tests cannot look green. Exit status: 1 if anything failed.
"""
import json
import os
import sys


def main(dirs):
    passed = failed = skipped = 0
    for d in dirs:
        log = os.path.join(d, "meson-logs", "testlog.json")
        if not os.path.exists(log):
            print(f"test_summary: no test log in {d}", file=sys.stderr)
            failed += 1
            continue
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
