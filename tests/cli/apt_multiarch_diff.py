#!/usr/bin/env python3
"""Differential check of multi-arch apt data: zsyncctl against the real apt on generated scratch roots.

Usage: apt_multiarch_diff.py ZSYNCCTL WORKDIR [CASES] [SEED]
Each case: native amd64 with i386 as dpkg's foreign architecture (var/lib/dpkg/arch; apt gets the same
APT::Architectures), one source whose binary-amd64 and binary-i386 lists hold generated packages (native only,
foreign only, both with a newer i386 binNMU, Architecture: all in both lists) and a dpkg status with some of
them installed in either architecture. The oracle: `apt-cache search zmarch` (the names) and `apt-cache policy`
of each name zsyncctl shows (installed and candidate), against `pkg search` and `pkg info`. Documented design choice: a package of the foreign
architecture only is shown as name:arch (apt-cache search prints the bare name; the suffix is dropped before
comparing names, and apt-cache policy is asked with it).
"""
import json
import os
import random
import subprocess
import sys

zs, work = sys.argv[1], sys.argv[2]
cases = int(sys.argv[3]) if len(sys.argv) > 3 else 20
rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 7)
ask_rng = random.Random(1)  # how pkg info is asked; apart from rng, so the cases stay what they were
ENV = dict(os.environ, LC_ALL="C")


def apt(root, *args):
    base = ["-o", f"Dir={root}", "-o", f"Dir::State::status={root}/var/lib/dpkg/status",
            "-o", f"Dir::Etc::SourceList={root}/etc/apt/sources.list",
            "-o", f"Dir::Etc::SourceParts={root}/etc/apt/sources.list.d",
            "-o", f"Dir::Etc::Preferences={root}/etc/apt/preferences",
            "-o", f"Dir::Etc::PreferencesParts={root}/etc/apt/preferences.d",
            "-o", f"Dir::Cache={root}/var/cache/apt", "-o", f"Dir::State::Lists={root}/var/lib/apt/lists",
            "-o", "Debug::NoLocking=1", "-o", "APT::Architecture=amd64",
            "-o", "APT::Architectures::=amd64", "-o", "APT::Architectures::=i386"]
    return subprocess.run(["apt-cache"] + base + list(args), capture_output=True, text=True, env=ENV, timeout=60)


disagree = checked = 0
for n in range(cases):
    root = f"{work}/m{n}"
    lists = f"{root}/var/lib/apt/lists"
    for d in ["etc/apt/preferences.d", "etc/apt/sources.list.d", "var/lib/apt/lists", "var/lib/dpkg"]:
        os.makedirs(f"{root}/{d}", exist_ok=True)
    with open(f"{root}/etc/apt/sources.list", "w") as f:
        f.write("deb http://deb.multi.example/debian stable main\n")
    with open(f"{root}/var/lib/dpkg/arch", "w") as f:
        f.write("amd64\ni386\n")
    with open(f"{lists}/deb.multi.example_debian_dists_stable_Release", "w") as f:
        f.write("Origin: Multi\nSuite: stable\nCodename: m\nArchitectures: amd64 i386\nComponents: main\n")
    per_arch = {"amd64": [], "i386": []}
    status = ["Package: dpkg\nStatus: install ok installed\nVersion: 1.21.22\nArchitecture: amd64\n"
              "Description: zmarch dpkg\n"]
    for i in range(12):
        name = f"zm{i}"
        kind = rng.choice(["native", "foreign", "both", "binnmu", "all"])
        vers = {}
        if kind in ("native", "both", "binnmu"):
            vers["amd64"] = rng.choice(["1.0-1", "1.1-1", "2.0-1"])
        if kind in ("foreign", "both"):
            vers["i386"] = rng.choice(["1.0-1", "1.2-1", "2.0-1"])
        if kind == "binnmu":
            vers["i386"] = vers["amd64"] + "+b1"
        for arch, v in vers.items():
            per_arch[arch].append(f"Package: {name}\nVersion: {v}\nArchitecture: {arch}\n"
                                  f"Multi-Arch: same\nDescription: zmarch {name}\n")
        if kind == "all":
            v = rng.choice(["1.0", "3.0"])
            for arch in per_arch:
                per_arch[arch].append(f"Package: {name}\nVersion: {v}\nArchitecture: all\n"
                                      f"Description: zmarch {name}\n")
        if rng.random() < 0.5:
            arch = rng.choice(["amd64", "i386"]) if kind != "all" else "all"
            v = rng.choice(["0.9-1", "1.0-1", "5.0-1"])
            status.append(f"Package: {name}\nStatus: install ok installed\nVersion: {v}\n"
                          f"Architecture: {arch}\nMulti-Arch: same\nDescription: zmarch {name}\n")
    for arch, stanzas in per_arch.items():
        with open(f"{lists}/deb.multi.example_debian_dists_stable_main_binary-{arch}_Packages", "w") as f:
            f.write("\n".join(stanzas) + "\n")  # apt-get update writes whole lines
    with open(f"{root}/var/lib/dpkg/status", "w") as f:
        f.write("\n".join(status) + ("\n" if status else ""))

    out = subprocess.run([zs, "--no-cache", "--root", root, "--json", "pkg", "search", "-m", "apt", "zmarch"],
                         capture_output=True, text=True, timeout=60)
    res = json.loads(out.stdout)["results"] if out.stdout else []
    search = apt(root, "search", "zmarch")
    want_names = {line.split(" - ", 1)[0] for line in search.stdout.splitlines() if line.strip()}
    got_names = {r["name"].split(":", 1)[0] for r in res}
    if want_names != got_names:
        disagree += 1
        print(f"DIFF case {n} names: apt-cache only {sorted(want_names - got_names)}, "
              f"zsyncctl only {sorted(got_names - want_names)}")
    for r in res:
        pol = apt(root, "policy", r["name"]).stdout
        inst = cand = "(none)"
        for line in pol.splitlines():
            if line.strip().startswith("Installed:"):
                inst = line.split(": ", 1)[1]
            elif line.strip().startswith("Candidate:"):
                cand = line.split(": ", 1)[1]
        checked += 1
        got = (r.get("installed_version") or "(none)", r.get("candidate") or "(none)")
        if got != (inst, cand):
            disagree += 1
            print(f"DIFF case {n} {r['name']}: apt-cache policy installed {inst} candidate {cand}; "
                  f"zsyncctl installed {got[0]} candidate {got[1]}")
        # pkg info of the bare name, or of the name as shown (foreign: with its suffix) or with ":amd64", as
        # apt takes name:arch: the entry of the result's architecture (foreign: its suffix; else the native
        # one or all), against the same apt-cache policy answer.
        bare, _, arch = r["name"].partition(":")
        asked = ask_rng.choice([bare, r["name"] if arch else bare + ":amd64"])
        out = subprocess.run([zs, "--no-cache", "--root", root, "--json", "pkg", "info", "-m", "apt", asked],
                             capture_output=True, text=True, timeout=60)
        pkgs = json.loads(out.stdout)["packages"] if out.stdout else []
        mine = [p for p in pkgs if (p.get("architecture") == arch if arch else
                                    p.get("architecture") in ("amd64", "all"))]
        got = (mine[0].get("installed_version") or "(none)", mine[0].get("candidate") or "(none)") if mine else \
            ("(none)", "(none)")
        checked += 1
        if got != (inst, cand):
            disagree += 1
            print(f"DIFF case {n} pkg info {asked}: apt-cache policy installed {inst} candidate {cand}; "
                  f"zsyncctl installed {got[0]} candidate {got[1]}")
print(f"apt multi-arch: {cases} cases, {checked} results compared with apt-cache policy, {disagree} disagreements")
sys.exit(1 if disagree else 0)
