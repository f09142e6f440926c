#!/usr/bin/env bash
# os-release values as `zsyncctl doctor --json --root R` reads them, against what the shell gets sourcing the
# same file (os-release(5): the format is shell-compatible; systemd's parser follows the same rules for
# what is generated here): generated files with double and single quotes, backslash escapes, a
# backslash-newline inside and outside quotes, escaped and plain trailing blanks, comments, blank lines.
. "$(dirname "$0")/lib.sh"

python3 - "$SCRATCH" "$ZSYNCCTL" <<'PY' && ok || fail "os-release values differ from the shell's (lines above)"
import json, os, random, subprocess, sys
work, zs = sys.argv[1], sys.argv[2]
rng = random.Random(5)
KEYS = ["NAME", "PRETTY_NAME", "VERSION_ID", "VERSION_CODENAME"]
WORDS = ["Deb", "ian", "GNU/Linux", "12", "x_y", "a.b", "tr-ix"]  # no shell metacharacters unquoted

def value():
    text = " ".join(rng.sample(WORDS, rng.randint(1, 3)))
    form = rng.choice(["dq", "sq", "plain", "dq_escape", "cont_dq", "cont_plain", "trail_escaped", "trail_plain"])
    if form == "dq":
        return '"' + text + ' (bookworm)"'
    if form == "sq":
        return "'" + text + " (b\\k)'"
    if form == "dq_escape":
        return '"' + text + ' \\"q\\" \\\\ \\$x \\`b\\`' + '"'
    if form == "cont_dq":
        return '"' + text + "\\\n" + "more" + '"'
    if form == "cont_plain":
        return text.replace(" ", "\\ ") + "\\\n" + "tail"
    if form == "trail_escaped":
        return text.replace(" ", "\\ ") + "\\ "
    if form == "trail_plain":
        return text.replace(" ", "_") + "   "
    return text.replace(" ", "_")

bad = 0
for n in range(40):
    root = f"{work}/osr{n}"
    os.makedirs(f"{root}/etc", exist_ok=True)
    lines = ["# generated", "", "ID=debian"]
    for k in KEYS:
        if rng.random() < 0.9:
            if rng.random() < 0.2:
                lines.append("# a comment \\")
            lines.append(f"{k}={value()}")
    text = "\n".join(lines) + "\n"
    with open(f"{root}/etc/os-release", "w") as f:
        f.write(text)
    script = "set -a; . \"$1\"; " + "; ".join(f'printf "%s\\0" "${{{k}-}}"' for k in KEYS)
    sh = subprocess.run(["env", "-i", "bash", "-c", script, "x", f"{root}/etc/os-release"], capture_output=True,
                        text=True, timeout=10)
    want = dict(zip(KEYS, sh.stdout.split("\0")))
    out = subprocess.run([zs, "--root", root, "doctor", "--json"], capture_output=True, text=True, timeout=60)
    distro = json.loads(out.stdout)["facts"]["os"]["distro"]
    got = {k: distro.get(k.lower()) or "" for k in KEYS}
    if got != want:
        bad += 1
        print(f"DIFF file {n}:\n{text}zsyncctl {got}\nshell    {want}")
print(f"os-release: 40 generated files, {bad} disagreements with the shell")
sys.exit(1 if bad else 0)
PY

finish
