#!/bin/bash
# `pkg which -m apt` for what no installed package ships: the packages apt's Contents indexes (the files
# apt-file downloads into /var/lib/apt/lists, lz4-compressed, gzip or plain) say would ship it, as
# "could be installed from". The oracle is grep over the same files as written (apt-file itself is not
# installed here); the installed owner, when dpkg's file lists have one, wins and nothing is offered.
. "$TESTS_DIR/lib.sh"
for tool in lz4 gzip python3; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done
R="$SCRATCH/root"
L="$R/var/lib/apt/lists"
mkdir -p "$L" "$R/var/lib/dpkg/info" "$R/etc/apt"
# Without any Contents index: exit 1, nothing offered, a note names apt-file.
run_z --root "$R" --json pkg which zs-tool -m apt
[ "$CODE" -eq 1 ] && ok || fail "no Contents: exit $CODE ($ERR)"
expect_json 'd["providers"] == [] and "apt-file" in d["managers"][0]["note"]' "no Contents: a note"

main="example.org_debian_dists_stable_main"
contrib="example.org_debian_dists_stable_contrib"
{
    printf 'usr/bin/zs-tool                                         utils/zs-tool\n'
    printf 'usr/bin/zs-shared                                       utils/zs-one,admin/zs-two\n'
    printf 'usr/share/doc/zs tool/with space.txt                    doc/zs-doc\n'
    printf 'usr/bin/zs-tool-extra                                   utils/zs-tool-extra\n'
    printf 'usr/sbin/zs-daemon                                      net/zs-daemon\n'
    printf 'usr/bin/zs-installed                                    utils/zs-installed\n'
} >"$SCRATCH/main"
lz4 -q -z "$SCRATCH/main" "$L/${main}_Contents-amd64.lz4"
printf 'usr/bin/zs-tool                                         contrib/utils/zs-tool-contrib\n' >"$L/${contrib}_Contents-amd64"
printf 'usr/bin/zs-udeb                                         debian-installer/zs-udeb\n' | gzip >"$L/${main}_Contents-udeb-amd64.gz"
# An installed package (dpkg's file list) that ships /usr/bin/zs-installed.
printf '/.\n/usr\n/usr/bin\n/usr/bin/zs-installed\n' >"$R/var/lib/dpkg/info/zs-installed.list"

ours() {
    printf '%s' "$OUT" | python3 -c "
import json,sys
for o in json.load(sys.stdin)['providers']: print(o['package'], o['path'], o['repository'])" | sort
}
# grep over the indexes: the lines whose path column is PATH, their package list split at ',' with the
# section taken off, and the index's name up to _Contents- as the repository.
theirs() {
    local rel=${1#/} f
    for f in "$L"/*_Contents-*; do
        case "$f" in *udeb*) continue ;; esac
        { case "$f" in *.lz4) lz4 -dc "$f" ;; *) cat "$f" ;; esac; } |
            grep -F -- "$rel " | grep -E "^$(printf '%s' "$rel" | sed 's/[.[\*^$]/\\&/g')[[:space:]]+[^[:space:]]+\$" |
            awk '{print $NF}' | tr ',' '\n' | sed 's|.*/||' |
            while read -r p; do echo "$p $1 $(basename "$f" | sed 's/_Contents-.*//')"; done
    done | sort -u
}
for q in zs-tool /usr/bin/zs-shared "/usr/share/doc/zs tool/with space.txt" zs-daemon /usr/bin/zs-udeb /usr/bin/zs-nothing; do
    path=$q
    [ "${q#/}" = "$q" ] && path=$( [ "$q" = zs-daemon ] && echo /usr/sbin/$q || echo /usr/bin/$q)
    TIMEOUT=30 run_z --root "$R" --json pkg which "$q" -m apt
    [ "$CODE" -eq 1 ] && ok || fail "pkg which $q (not installed): exit $CODE, wanted 1 ($ERR)"
    want=$(theirs "$path")
    [ "$(ours)" = "$want" ] && ok || fail "pkg which $q: [$(ours)] vs grep of the Contents [$want]"
    case "$q" in zs-udeb | */zs-udeb | */zs-nothing) [ -z "$want" ] && ok || fail "grep oracle for $q: [$want]" ;;
    *) [ -n "$want" ] && ok || fail "grep oracle for $q found nothing" ;; esac
done
TIMEOUT=30 run_z --root "$R" pkg which zs-tool -m apt
[ "$OUT" = "$(printf 'apt: no installed package ships it\n  could be installed from %s: zs-tool: /usr/bin/zs-tool\n  could be installed from %s: zs-tool-contrib: /usr/bin/zs-tool' "$main" "$contrib")" ] &&
    ok || fail "text providers: [$OUT]"
# Installed: dpkg's owner is the answer, the Contents are not offered.
TIMEOUT=30 run_z --root "$R" --json pkg which zs-installed -m apt
[ "$CODE" -eq 0 ] && ok || fail "installed: exit $CODE"
expect_json 'd["owners"] == [{"manager": "apt", "package": "zs-installed", "path": "/usr/bin/zs-installed"}] and d["providers"] == []' "installed owner, no providers"
# A damaged index: what was read before the damage counts, the rest is a note, no crash.
head -c 40 "$L/${main}_Contents-amd64.lz4" >"$SCRATCH/cut" && mv "$SCRATCH/cut" "$L/${main}_Contents-amd64.lz4"
TIMEOUT=30 run_z --root "$R" --json pkg which zs-tool -m apt
[ "$CODE" -eq 1 ] && ok || fail "damaged index: exit $CODE ($ERR)"
expect_json 'any(p["package"] == "zs-tool-contrib" for p in d["providers"])' "the intact index still answers"

# An empty name is a usage error, before any manager is read.
expect_exit 2 "pkg which with an empty name" pkg which ""
expect_contains "$ERR" "the command or file name is empty" "pkg which '' says why"

finish
