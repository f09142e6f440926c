#!/usr/bin/env python3
"""Differential check of apt pinning: zsyncctl's candidates against the real apt on generated cases.

Usage: apt_pins_diff.py ZSYNCCTL WORKDIR [CASES] [SEED]
Each case is a scratch root with two origins (http://deb.alpha.example: suites stable and testing, two
components; http://pkgs.beta.example: a NotAutomatic+ButAutomaticUpgrades backports suite and a NotAutomatic
experimental one), list files and Release files written where `apt-get update` would put them, a dpkg status
with some packages installed (some newer than every list version), and generated pins: general and specific
stanzas in /etc/apt/preferences and preferences.d/* (release a=/n=/v=/o=/l=/c=/b= and bare archive/codename,
origin, version globs and exact versions, names as words, globs, /regex/ and name:arch, priorities from -10 to
1001), sometimes APT::Default-Release in apt.conf.d. The oracle: `apt-cache policy` (installed and candidate
of every package) and `apt list --upgradable`, run with -o Dir options on the root. zsyncctl: `pkg search -m
apt` (installed_version, candidate of every package), `pkg outdated -m apt` and `pkg info -m apt` (five
names a case, drawn at random). Prints one line per
disagreement and a summary; exits 1 when there is any. A package without a candidate (every version pinned
below 0) is no search result, as apt-cache search does not list it.
"""
import json
import os
import random
import subprocess
import sys

zs, work = sys.argv[1], sys.argv[2]
cases = int(sys.argv[3]) if len(sys.argv) > 3 else 40
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 15
rng = random.Random(seed)
ENV = dict(os.environ, LC_ALL="C")

RELEASES = [
    # (uri, suite, codename, origin, label, version, components, extra Release fields)
    ("http://deb.alpha.example/debian", "stable", "alpha", "Alpha", "Alpha", "12.1", ["main", "contrib"], ""),
    ("http://deb.alpha.example/debian", "testing", "beta", "Alpha", "Alpha Testing", "13", ["main"], ""),
    ("http://pkgs.beta.example/repo", "alpha-backports", "alpha-backports", "Beta", "Beta Backports", "",
     ["main"], "NotAutomatic: yes\nButAutomaticUpgrades: yes\n"),
    ("http://pkgs.beta.example/repo", "experimental", "rc", "Beta", "Beta", "", ["main"], "NotAutomatic: yes\n"),
]
NAMES = [f"zp{i}" for i in range(14)] + ["zlib-pin", "zlib-pin-dev", "zq-tool"]


def uri_to_file(uri):
    rest = uri.split("://", 1)[1]
    return rest.replace("/", "_")


def apt_args(root):
    return ["-o", f"Dir={root}", "-o", f"Dir::State::status={root}/var/lib/dpkg/status",
            "-o", f"Dir::Etc::SourceList={root}/etc/apt/sources.list",
            "-o", f"Dir::Etc::SourceParts={root}/etc/apt/sources.list.d",
            "-o", f"Dir::Etc::Preferences={root}/etc/apt/preferences",
            "-o", f"Dir::Etc::PreferencesParts={root}/etc/apt/preferences.d",
            "-o", f"Dir::Etc::Parts={root}/etc/apt/apt.conf.d", "-o", f"Dir::Cache={root}/var/cache/apt",
            "-o", f"Dir::State::Lists={root}/var/lib/apt/lists", "-o", "Debug::NoLocking=1",
            "-o", "APT::Architecture=amd64", "-o", "APT::Architectures::=amd64"]


def version(base):
    return rng.choice([f"{base}.0-1", f"{base}.0-2", f"{base}.1-1", f"1:{base - 1}.0-1" if base > 1 else "0.9-1"])


def pin_value():
    key = rng.choice("anvolcb*")
    rel = rng.choice(RELEASES)
    if key == "*":
        return "release *"
    if key == "a":
        return "release a=" + rng.choice([rel[1], rel[1][:3] + "*", "/^test/", "now"])
    if key == "n":
        return "release n=" + rel[2]
    if key == "v":
        return "release v=" + rng.choice(["12.1", "12*", "13"])
    if key == "o":
        return "release o=" + rel[3] + rng.choice(["", ",a=" + rel[1], ",l=" + rel[4]])
    if key == "l":
        return "release l=" + rel[4]
    if key == "c":
        return "release c=" + rng.choice(["main", "contrib"])
    if key == "b":
        return "release b=amd64" + rng.choice(["", ",a=testing"])
    return rng.choice(["release " + rel[1], "release " + rel[2], "origin deb.alpha.example",
                       'origin "pkgs.beta.example"', "origin *.example"])


def priority():
    return rng.choice([-10, 1, 50, 100, 101, 400, 500, 600, 990, 999, 1001])


def make_case(root):
    for d in ["etc/apt/sources.list.d", "etc/apt/preferences.d", "etc/apt/apt.conf.d",
              "var/lib/apt/lists/partial", "var/cache/apt/archives/partial", "var/lib/dpkg/updates"]:
        os.makedirs(f"{root}/{d}", exist_ok=True)
    sources = []
    lists = {}
    for uri, suite, code, origin, label, ver, comps, extra in RELEASES:
        sources.append(f"deb {uri} {suite} {' '.join(comps)}")
        rel = f"Origin: {origin}\nLabel: {label}\nSuite: {suite}\nCodename: {code}\n"
        rel += (f"Version: {ver}\n" if ver else "") + extra
        rel += "Architectures: amd64\nComponents: " + " ".join(comps) + "\n"
        base = f"{root}/var/lib/apt/lists/{uri_to_file(uri)}_dists_{suite}_"
        with open(base + "Release", "w") as f:
            f.write(rel)
        for c in comps:
            lists[(suite, c)] = base + f"{c}_binary-amd64_Packages"
    with open(f"{root}/etc/apt/sources.list", "w") as f:
        f.write("\n".join(sources) + "\n")
    stanzas = {k: [] for k in lists}
    status = []
    for name in NAMES:
        seen = set()
        for _ in range(rng.randint(1, 4)):
            key = rng.choice(list(lists))
            v = version(rng.randint(1, 4))
            if (key, v) in seen:
                continue
            seen.add((key, v))
            stanzas[key].append(f"Package: {name}\nVersion: {v}\nArchitecture: amd64\n"
                                f"Description: zspin package {name}\n")
        if rng.random() < 0.6:
            v = version(rng.randint(1, 5))
            status.append(f"Package: {name}\nStatus: install ok installed\nVersion: {v}\n"
                          f"Architecture: amd64\nDescription: zspin package {name}\n")
    for key, path in lists.items():
        with open(path, "w") as f:
            f.write("\n".join(stanzas[key]) + ("\n" if stanzas[key] else ""))
    with open(f"{root}/var/lib/dpkg/status", "w") as f:
        f.write("\n".join(status) + ("\n" if status else ""))

    def stanza():
        kind = rng.random()
        if kind < 0.35:
            pkgs = "*"
            pin = pin_value()
        else:
            pkgs = " ".join(rng.sample(NAMES, rng.randint(1, 2)))
            if rng.random() < 0.25:
                pkgs = rng.choice(["zp1*", "/^zlib-pin/", "zp?", "zq-tool:amd64", "zp1 zp2 zp3"])
            if rng.random() < 0.4:
                pin = "version " + rng.choice(["1.0-1", "2.*", "3.1-1", "1:*", "*-2", "4.0*"])
            else:
                pin = pin_value()
        return f"Explanation: generated\nPackage: {pkgs}\nPin: {pin}\nPin-Priority: {priority()}\n"

    files = {}
    if rng.random() < 0.6:
        files["etc/apt/preferences"] = [stanza() for _ in range(rng.randint(1, 3))]
    for part in rng.sample(["10-alpha", "20-beta.pref", "30-more"], rng.randint(0, 2)):
        files[f"etc/apt/preferences.d/{part}"] = [stanza() for _ in range(rng.randint(1, 3))]
    for path, items in files.items():
        with open(f"{root}/{path}", "w") as f:
            f.write("# generated pins\n" + "\n".join(items))
    default_release = None
    if rng.random() < 0.3:
        default_release = rng.choice(["stable", "testing", "beta", "alpha-backports"])
        with open(f"{root}/etc/apt/apt.conf.d/50default-release", "w") as f:
            f.write(f'APT::Default-Release "{default_release}";\n')
    return default_release


def apt_policy(root, default_release):
    extra = ["-o", f"APT::Default-Release={default_release}"] if default_release else []
    out = subprocess.run(["apt-cache"] + apt_args(root) + extra + ["policy"] + NAMES, capture_output=True,
                         text=True, env=ENV, timeout=60)
    if out.returncode != 0:
        return None, out.stderr.strip()[:300]
    pol, cur = {}, None
    for line in out.stdout.splitlines():
        if line and not line.startswith(" "):
            cur = line.rstrip(":")
            pol[cur] = {}
        elif line.strip().startswith("Installed:"):
            pol[cur]["installed"] = line.split(": ", 1)[1]
        elif line.strip().startswith("Candidate:"):
            pol[cur]["candidate"] = line.split(": ", 1)[1]
    upg = subprocess.run(["apt"] + apt_args(root) + extra + ["list", "--upgradable"], capture_output=True,
                         text=True, env=ENV, timeout=60)
    ups = {}
    for line in upg.stdout.splitlines():
        if "[upgradable from" in line:
            name = line.split("/", 1)[0]
            ups[name] = line.split(" ")[1]
    return (pol, ups), None


def zs_view(root):
    out = subprocess.run([zs, "--no-cache", "--root", root, "--json", "pkg", "search", "-m", "apt", "zspin"],
                         capture_output=True, text=True, timeout=60)
    res = {r["name"]: r for r in json.loads(out.stdout)["results"]} if out.stdout else {}
    od = subprocess.run([zs, "--no-cache", "--root", root, "--json", "pkg", "outdated", "-m", "apt"],
                        capture_output=True, text=True, timeout=60)
    doc = json.loads(od.stdout) if od.stdout else {}
    ups = {o["name"]: o["candidate"] for o in doc.get("outdated", [])}
    notes = [m.get("note") for m in doc.get("managers", []) if m.get("note")]
    return res, ups, notes


def zs_info(root, name, cached):
    """pkg info's (installed, candidate) of `name`, as apt-cache policy prints them. `cached`: through the
    lists table cached under XDG_CACHE_HOME (the first call of a case builds it, the others load it), else
    with --no-cache (built in memory)."""
    out = subprocess.run([zs] + ([] if cached else ["--no-cache"]) +
                         ["--root", root, "--json", "pkg", "info", "-m", "apt", name],
                         capture_output=True, text=True, timeout=60)
    doc = json.loads(out.stdout) if out.stdout else {}
    pkgs = doc.get("packages", [])
    if not pkgs:
        return "(none)", "(none)"
    return pkgs[0].get("installed_version") or "(none)", pkgs[0].get("candidate") or "(none)"


disagree = 0
checked = 0
skipped_cases = 0
for n in range(cases):
    root = f"{work}/case{n}"
    default_release = make_case(root)
    oracle, err = apt_policy(root, default_release)
    if oracle is None:
        # apt refuses the configuration (e.g. a Default-Release no list has): nothing to compare.
        skipped_cases += 1
        print(f"case {n}: apt refused it ({err}); not compared")
        continue
    pol, apt_ups = oracle
    res, zs_ups, notes = zs_view(root)
    for name in NAMES:
        p = pol.get(name, {})
        want_inst = p.get("installed", "(none)")
        want_cand = p.get("candidate", "(none)")
        r = res.get(name)
        got_inst = (r or {}).get("installed_version") or "(none)"
        got_cand = (r or {}).get("candidate") or "(none)"
        checked += 1
        if r is None and want_cand == "(none)":
            continue  # apt-cache search lists no package without a candidate, nor does pkg search
        if (want_inst, want_cand) != (got_inst, got_cand):
            disagree += 1
            print(f"DIFF case {n} {name}: apt installed {want_inst} candidate {want_cand}; "
                  f"zsyncctl installed {got_inst} candidate {got_cand}")
    for k, name in enumerate(rng.sample(NAMES, 5)):
        p = pol.get(name, {})
        want = (p.get("installed", "(none)"), p.get("candidate", "(none)"))
        got = zs_info(root, name, cached=k != 0)
        checked += 1
        if want != got:
            disagree += 1
            print(f"DIFF case {n} pkg info {name}: apt installed {want[0]} candidate {want[1]}; "
                  f"zsyncctl installed {got[0]} candidate {got[1]}")
    if apt_ups != zs_ups:
        disagree += 1
        print(f"DIFF case {n} outdated: apt list --upgradable {sorted(apt_ups.items())}; "
              f"zsyncctl {sorted(zs_ups.items())}")
    if notes:
        disagree += 1
        print(f"DIFF case {n}: a note although every pin applies: {notes}")
    if disagree and os.environ.get("APT_PINS_KEEP"):
        break
print(f"apt pins: {cases} cases ({skipped_cases} refused by apt), {checked} package candidates and "
      f"{cases - skipped_cases} upgradable lists compared, {disagree} disagreements")
sys.exit(1 if disagree else 0)
