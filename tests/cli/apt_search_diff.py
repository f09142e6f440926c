#!/usr/bin/env python3
"""Differential check of `zsyncctl pkg search -m apt` against apt-cache on the same scratch root.

Usage: apt_search_diff.py ZSYNCCTL ROOT [MAX_QUERIES]
Generates queries from the root's package names, descriptions and Provides (plus Unicode and case
variants), runs `zsyncctl --root ROOT --json pkg search -m apt Q` and `apt-cache -o Dir=ROOT ... search Q`
(LC_ALL=C.UTF-8, the locale apt-cache folds case in beyond ASCII) and compares the name sets; then compares
every result's installed version and candidate with `apt-cache policy`; checks that the --json document and
the --json-lines records are byte for byte what Python's json serializer gives for them in nlohmann's layout
(and carry the same results). Prints one line per
disagreement and a summary; exits 1 when there is any.

Documented design choices that are not disagreements: the query is a literal substring, not a regex (queries
with regex metacharacters are not generated); a foreign-architecture-only package is named name:arch
(apt-cache search prints the bare name; the suffix is dropped before comparing).
"""
import glob
import json
import os
import random
import re
import subprocess
import sys

zs, root = sys.argv[1], sys.argv[2]
max_queries = int(sys.argv[3]) if len(sys.argv) > 3 else 240
APT = ["apt-cache", "-o", f"Dir={root}", "-o", f"Dir::State::status={root}/var/lib/dpkg/status",
       "-o", f"Dir::Etc::SourceList={root}/etc/apt/sources.list",
       "-o", f"Dir::Etc::SourceParts={root}/etc/apt/sources.list.d",
       "-o", f"Dir::Etc::Preferences={root}/etc/apt/preferences",
       "-o", f"Dir::Etc::PreferencesParts={root}/etc/apt/preferences.d",
       "-o", f"Dir::Etc::Parts={root}/etc/apt/apt.conf.d", "-o", f"Dir::Cache={root}/var/cache/apt",
       "-o", f"Dir::State::Lists={root}/var/lib/apt/lists", "-o", "Debug::NoLocking=1",
       # apt's binary cache, as on a normal Debian (containers switch it off in apt.conf.d/docker-clean): the
       # first call builds it in the scratch root, the others map it instead of parsing every list again
       # (0.92 -> 0.25 s a query here); the answers are the same.
       "-o", "Dir::Cache::pkgcache=pkgcache.bin", "-o", "Dir::Cache::srcpkgcache=srcpkgcache.bin"]
ENV = dict(os.environ, LC_ALL="C.UTF-8")


def apt_names(query):
    out = subprocess.run(APT + ["search", query], capture_output=True, text=True, env=ENV, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"apt-cache search {query!r} failed: {out.stderr.strip()[:300]}")
    return {line.split(" - ", 1)[0] for line in out.stdout.splitlines() if line.strip()}


def zs_results(query):
    out = subprocess.run([zs, "--root", root, "--json", "pkg", "search", "-m", "apt", query],
                         capture_output=True, text=True, timeout=120)
    if out.returncode not in (0, 1):
        raise SystemExit(f"zsyncctl search {query!r} exited {out.returncode}: {out.stderr.strip()[:300]}")
    doc = json.loads(out.stdout)
    # The document is written piece by piece without a JSON library; its bytes must be what a serializer
    # gives for the whole document (nlohmann's layout: indent 2, keys sorted, UTF-8 kept).
    if out.stdout != json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n":
        layout_bad.append(f"--json {query!r}")
    lines = subprocess.run([zs, "--root", root, "pkg", "search", "--json-lines", "-m", "apt", query],
                           capture_output=True, text=True, timeout=120)
    records = [json.loads(line) for line in lines.stdout.splitlines()]
    if lines.stdout != "".join(json.dumps(r, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"
                               for r in records):
        layout_bad.append(f"--json-lines {query!r}")
    same = [dict(r) for r in records if r.get("type") == "result"]
    for r in same:
        del r["type"]
    if same != doc["results"]:
        layout_bad.append(f"--json-lines {query!r} results differ from --json")
    return doc["results"]


layout_bad = []


# ---- queries from the data itself ----
words, provides, names = set(), set(), []
rx_word = re.compile(r"^[A-Za-z0-9-]{3,}$")
for f in glob.glob(f"{root}/var/lib/apt/lists/*_Packages*"):
    text = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", f], capture_output=True, text=True,
                          errors="replace").stdout
    for stanza in text.split("\n\n"):
        for line in stanza.splitlines():
            if line.startswith("Package: "):
                names.append(line[9:].strip())
            elif line.startswith("Provides: "):
                for p in line[10:].split(","):
                    p = p.strip().split(" ")[0].split(":")[0]
                    if rx_word.match(p):
                        provides.add(p)
            elif line.startswith("Description: "):
                for w in line[13:].split():
                    w = w.strip(".,;:()'\"")
                    if rx_word.match(w):
                        words.add(w)
rng = random.Random(15)
name_parts = sorted({p for n in names for p in n.split("-") if rx_word.match(p)})
fixed = ["mail-transport-agent", "www-browser", "x-terminal-emulator", "c-compiler", "curl", "openssl",
         "hello", "python3", "git", "sl", "Ü", "ü", "é", "ß", "Büchi", "BÜCHI", "ÉDITEUR", "Ö", "ñ", "İ",
         "CURL", "Mail-Transport", "awk", "editor", "nodejs", "kubectl", "google-cloud-cli", "c++"]
fixed = [q for q in fixed if not re.search(r"[.+*?()\[\]{}|^$\\]", q)]
queries = list(fixed)
pools = [sorted(provides), name_parts, sorted(words)]
share = max(1, (max_queries - len(queries)) // 3)
for pool in pools:
    queries += rng.sample(pool, min(share, len(pool)))
queries = list(dict.fromkeys(queries))[:max_queries]

bad = 0
seen = {}
for q in queries:
    want = apt_names(q)
    results = zs_results(q)
    got = {r["name"].split(":")[0] for r in results}
    for r in results:
        seen[r["name"].split(":")[0]] = r
    if got != want:
        bad += 1
        print(f"DIFF search {q!r}: apt-cache only {sorted(want - got)[:8]} ({len(want - got)}), "
              f"zsyncctl only {sorted(got - want)[:8]} ({len(got - want)})")

# ---- installed version and candidate, for every package seen ----
pkgs = sorted(seen)
policy = {}
for i in range(0, len(pkgs), 400):
    out = subprocess.run(APT + ["policy"] + pkgs[i:i + 400], capture_output=True, text=True, env=ENV,
                         timeout=300).stdout
    cur = None
    for line in out.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            cur = line[:-1]
            policy[cur] = {}
        elif cur and line.startswith("  Installed: "):
            policy[cur]["installed"] = line.split(": ", 1)[1]
        elif cur and line.startswith("  Candidate: "):
            policy[cur]["candidate"] = line.split(": ", 1)[1]
vbad = 0
for name in pkgs:
    r = seen[name]
    p = policy.get(name)
    if p is None:
        vbad += 1
        print(f"DIFF policy {name}: apt-cache policy knows nothing")
        continue
    inst = r["installed_version"] or "(none)"
    cand = r["candidate"] or "(none)"
    if inst != p.get("installed") or cand != p.get("candidate"):
        vbad += 1
        print(f"DIFF policy {name}: zsyncctl installed {inst} candidate {cand}; "
              f"apt-cache installed {p.get('installed')} candidate {p.get('candidate')}")
upgradable = sum(1 for r in seen.values() if r["upgradable"])
for what in layout_bad:
    print(f"DIFF layout {what}: not the serializer's bytes")
print(f"{len(queries)} queries, {bad} name-set disagreements; {len(pkgs)} packages, {vbad} version "
      f"disagreements; {upgradable} upgradable among them; {len(layout_bad)} layout disagreements")
sys.exit(1 if bad or vbad or layout_bad else 0)
