#!/bin/bash
# apt's phased updates (Phased-Update-Percentage in a Packages stanza), differential against the real apt
# on a scratch root: for several machine ids (the root's /etc/machine-id), `pkg outdated -m apt` marks
# exactly the packages `apt-get -s upgrade` keeps back (2.6: "kept back"; later apt: "deferred due to
# phasing") as skipped (phased), and the rest of
# its outdated packages are exactly the ones apt upgrades; percentages 0, 100 and values between, a
# Source: field (the phase is drawn per source package and version), then APT::Machine-ID and
# APT::Get::Always-/Never-Include-Phased-Updates in the root's apt.conf.d (given to the host's apt-get as
# -o, since it reads its configuration before it is pointed at the root). pkg upgrade leaves a phased
# package out as apt does.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/apt_scratch.sh"

T="$SCRATCH"
R="$T/root"
mkdir -p "$T/repo"
deb() { # NAME VERSION [SOURCE]
    local d="$T/build/$1-$2"
    rm -rf "$d"
    mkdir -p "$d/DEBIAN"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: phased %s\n' \
        "$1" "$2" "$1" >"$d/DEBIAN/control"
    [ -n "${3:-}" ] && echo "Source: $3" >>"$d/DEBIAN/control"
    dpkg-deb -b "$d" "$T/repo/$1_$2_all.deb" >/dev/null || fail "dpkg-deb $1 $2"
}
# The percentage of each package's 2.0 (none: the field is absent).
declare -A PCT=([zs-p0]=0 [zs-p100]=100 [zs-p10]=10 [zs-p30]=30 [zs-p50]=50 [zs-p70]=70 [zs-p90]=90 [zs-src]=40 [zs-plain]=)
publish() {
    (cd "$T/repo" && dpkg-scanpackages . /dev/null 2>/dev/null) >"$T/repo/Packages.raw" || fail "dpkg-scanpackages"
    local spec=""
    for n in "${!PCT[@]}"; do spec+="$n=${PCT[$n]} "; done
    python3 - "$T/repo/Packages.raw" "$spec" >"$T/repo/Packages" <<'PY'
import sys
pct = dict(kv.split("=", 1) for kv in sys.argv[2].split())
out = []
for stanza in open(sys.argv[1]).read().strip().split("\n\n"):
    fields = dict(l.split(": ", 1) for l in stanza.splitlines() if ": " in l and not l.startswith(" "))
    if fields.get("Version") == "2.0" and pct.get(fields["Package"]):
        stanza += "\nPhased-Update-Percentage: " + pct[fields["Package"]]
    out.append(stanza)
print("\n\n".join(out) + "\n")
PY
    why=$(apt_update "$R" zs-p0) || fail "apt-get update failed: $why"
}
for n in "${!PCT[@]}"; do deb "$n" 1.0; done
apt_scratch_root "$R" "$T/repo"
publish
NAMES=()
for n in "${!PCT[@]}"; do NAMES+=("apt:$n"); done
TIMEOUT=120 expect_exit 0 "install the 1.0 versions" --root "$R" pkg install --yes "${NAMES[@]}"
for n in "${!PCT[@]}"; do
    if [ "$n" = zs-src ]; then deb "$n" 2.0 "zs-srcpkg (2.0-src)"; else deb "$n" 2.0; fi
done
publish
APT_OPTS=()
while IFS= read -r o; do APT_OPTS+=(-o "$o"); done < <("$ZSYNCCTL" --json --root "$R" pkg install -n apt:zs-p0 2>/dev/null |
    python3 -c "
import json,sys
a=json.load(sys.stdin)['argv']
print('\n'.join(a[i+1] for i,x in enumerate(a) if x=='-o' and a[i+1].startswith(('Dir','DPkg::Options::=--root','DPkg::Options::=--admindir'))))")

# compare WHAT: apt-get -s upgrade's upgrades and deferred packages against pkg outdated's skipped ones.
DEFERRED_SEEN=0
# EXTRA: -o settings that mirror the root's apt.conf.d for the host's apt-get (which reads its
# configuration files before the Dir options point it at the root).
EXTRA=()
compare() {
    apt-get "${APT_OPTS[@]}" "${EXTRA[@]}" -s upgrade >"$T/apt.out" 2>&1 || { fail "$1: apt-get -s upgrade: $(tail -3 "$T/apt.out")"; return; }
    TIMEOUT=60 run_z --json --root "$R" pkg outdated -m apt
    [ "$CODE" -eq 100 ] || { fail "$1: pkg outdated exited $CODE: $ERR"; return; }
    printf '%s' "$OUT" >"$T/z.json"
    local verdict
    verdict=$(python3 - "$T/apt.out" "$T/z.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
deferred, block = set(), False
for line in text.splitlines():
    # apt 2.6 lists a phased package among the kept back ones (nothing else is kept back here); later
    # apt says "deferred due to phasing".
    if line.startswith(("The following upgrades have been deferred due to phasing:",
                        "The following packages have been kept back:")):
        block = True
        continue
    if block and line.startswith("  "):
        deferred.update(line.split())
        continue
    block = False
upgraded = set(re.findall(r"^Inst (\S+)", text, re.M))
d = json.load(open(sys.argv[2]))
phased = {p["name"] for p in d["outdated"] if p.get("skip_reason") == "phased"}
plain = {p["name"] for p in d["outdated"] if not p.get("skip_reason")}
if phased != deferred or plain != upgraded:
    print(f"apt deferred {sorted(deferred)} upgraded {sorted(upgraded)}; zsyncctl phased {sorted(phased)} outdated {sorted(plain)}")
    sys.exit(1)
print(len(deferred))
PY
)
    if [ $? -eq 0 ]; then
        ok
        DEFERRED_SEEN=$((DEFERRED_SEEN + verdict))
    else
        fail "$1: $verdict"
    fi
}

for id in 0f9a2c4e8b7d41a6b3c5d7e9f1a2b3c4 5e8d1f0a9c7b4e2d8f6a3c1b0e9d7f5a 123456789abcdef0123456789abcdef0 \
    a1b2c3d4e5f60718293a4b5c6d7e8f90 ffffffffffffffffffffffffffffffff 00000000000000000000000000000001; do
    echo "$id" >"$R/etc/machine-id"
    compare "machine-id $id"
done
if [ "$DEFERRED_SEEN" -eq 0 ]; then
    skip "apt deferred nothing for any machine id: it runs in a chroot here (ischroot -t), where apt never phases"
fi
rm -f "$R/etc/machine-id"
compare "no machine-id (apt includes every phased update)"
echo 'APT::Machine-ID "0f9a2c4e8b7d41a6b3c5d7e9f1a2b3c4";' >"$R/etc/apt/apt.conf.d/50machine"
EXTRA=(-o APT::Machine-ID=0f9a2c4e8b7d41a6b3c5d7e9f1a2b3c4)
compare "APT::Machine-ID"
printf 'APT {\n  Get {\n    Never-Include-Phased-Updates "true";\n  };\n};\n' >"$R/etc/apt/apt.conf.d/60phase"
EXTRA+=(-o APT::Get::Never-Include-Phased-Updates=true)
compare "Never-Include-Phased-Updates (nested form)"
python3 -c "import json; d=json.load(open('$T/z.json')); s={p['name'] for p in d['outdated'] if p.get('skip_reason')=='phased'}; exit(0 if s=={'zs-p0','zs-p10','zs-p30','zs-p50','zs-p70','zs-p90','zs-src'} else 1)" &&
    ok || fail "Never-Include: every phased package below 100 is skipped"
echo 'APT::Get::Always-Include-Phased-Updates "yes";' >"$R/etc/apt/apt.conf.d/70phase"
EXTRA+=(-o APT::Get::Always-Include-Phased-Updates=yes)
compare "Always-Include-Phased-Updates wins over Never"
rm -f "$R/etc/apt/apt.conf.d/50machine" "$R/etc/apt/apt.conf.d/60phase" "$R/etc/apt/apt.conf.d/70phase"
EXTRA=()

# pkg upgrade agrees: the phased ones are shown as skipped and stay, the rest are upgraded.
echo 0f9a2c4e8b7d41a6b3c5d7e9f1a2b3c4 >"$R/etc/machine-id"
TIMEOUT=60 run_z --json --root "$R" pkg outdated -m apt
phased=$(printf '%s' "$OUT" | python3 -c "import json,sys; print(' '.join(sorted(p['name'] for p in json.load(sys.stdin)['outdated'] if p.get('skip_reason')=='phased')))")
[ -n "$phased" ] && ok || fail "machine-id 0f9a... phases nothing in: $OUT"
TIMEOUT=120 expect_exit 0 "pkg upgrade --all" --root "$R" pkg upgrade --all -m apt --yes
for n in $phased; do
    expect_contains "$ERR" "skipping $n (phased)" "$n shown as skipped"
    [ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Version}' "$n")" = "1.0" ] && ok || fail "$n was upgraded"
done
[ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Version}' zs-p100)" = "2.0" ] && ok || fail "zs-p100 not upgraded"
finish
