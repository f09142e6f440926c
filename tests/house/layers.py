#!/usr/bin/env python3
"""The layer check: fails on an #include that points the wrong way (ARCHITECTURE.md, "Dependency arrows").

Layers, lowest first: util, platform, core, net, pkg, doctor, cli. A file under src/<layer>/ may include its
own layer and the layers below it, never one above. Inside pkg the order is registry, detect, search,
install, inventory. src/main.cpp may include anything. CLI11 is included only through src/cli/cli11.hpp
(it keeps CLI11's per-file validator objects out of every command's start-up). Usage:

    layers.py SRC_DIR          check the tree; prints one line per violation, exit 1 if any
    layers.py --self-test      plants a wrong-way include in a scratch tree and checks it is caught
"""
import os
import re
import sys
import tempfile

LAYERS = ["util", "platform", "core", "net", "pkg", "doctor", "cli"]
PKG_LAYERS = ["registry", "detect", "search", "install", "inventory"]
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
CLI11_INCLUDE = re.compile(r'^\s*#\s*include\s*<CLI/')
CLI11_WRAPPER = "cli/cli11.hpp"


def rank(rel_path):
    """(layer rank, pkg sub-rank) of a path relative to src/, or None when it is outside the layers."""
    parts = rel_path.split("/")
    if len(parts) < 2 or parts[0] not in LAYERS:
        return None
    sub = -1
    if parts[0] == "pkg":
        if len(parts) < 3 or parts[1] not in PKG_LAYERS:
            return (LAYERS.index("pkg"), None)  # a file directly in pkg/ belongs to no sublayer
        sub = PKG_LAYERS.index(parts[1])
    return (LAYERS.index(parts[0]), sub)


def check(src_dir):
    problems = []
    for dirpath, _, files in os.walk(src_dir):
        for name in sorted(files):
            if not name.endswith((".cpp", ".hpp", ".h", ".in")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, src_dir).replace(os.sep, "/")
            here = rank(rel)
            if here is None:
                continue  # main.cpp and anything outside the layers
            if here[1] is None:
                problems.append(f"{rel}: files in pkg/ belong in one of {', '.join(PKG_LAYERS)}/")
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                for lineno, line in enumerate(f, 1):
                    if rel != CLI11_WRAPPER and CLI11_INCLUDE.match(line):
                        problems.append(f"{rel}:{lineno}: includes CLI11 directly; include \"{CLI11_WRAPPER}\"")
                        continue
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = rank(m.group(1))
                    if target is None or target[1] is None:
                        continue  # a generated or third-party header
                    if target[0] > here[0] or (target[0] == here[0] == LAYERS.index("pkg") and target[1] > here[1]):
                        problems.append(f"{rel}:{lineno}: includes \"{m.group(1)}\", a layer above {layer_name(here)}")
    return problems


def layer_name(r):
    name = LAYERS[r[0]]
    return f"pkg/{PKG_LAYERS[r[1]]}" if name == "pkg" else name


def self_test():
    with tempfile.TemporaryDirectory() as tmp:
        def write(rel, text):
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), "w") as f:
                f.write(text)
        write("util/ok.cpp", '#include "util/strings.hpp"\n')
        write("core/ok.cpp", '#include "platform/host.hpp"\n#include "util/fs.hpp"\n')
        write("pkg/install/ok.cpp", '#include "pkg/search/search.hpp"\n#include "net/http_client.hpp"\n')
        if check(tmp):
            print("self-test: a correct tree was flagged:", check(tmp))
            return 1
        write("platform/bad.cpp", '#include "core/runtime.hpp"\n')
        write("pkg/detect/bad.cpp", '#include "pkg/install/install.hpp"\n')
        write("core/bad.hpp", '  #  include "cli/app.hpp"\n')
        write("cli/cli11.hpp", "#include <CLI/CLI.hpp>\n")
        write("cli/bad.cpp", "#include <CLI/App.hpp>\n")
        found = check(tmp)
        if len(found) != 4:
            print("self-test: expected 4 violations, found:", found)
            return 1
    print("self-test: wrong-way includes are caught")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 2:
        print(__doc__)
        return 2
    problems = check(argv[1])
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} wrong-way include(s); see ARCHITECTURE.md")
        return 1
    print("layers: every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
