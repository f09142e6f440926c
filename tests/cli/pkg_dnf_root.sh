#!/bin/bash
# dnf's inventory on a scratch root that has an rpm database and dnf's configuration but no dnf of its own
# (the host's dnf works on it with --installroot): `pkg list` without -m finds dnf there and equals
# `rpm --root -qa`, and the footer does not call rpm "not read yet" (dnf showed its database); `pkg which`
# of a file no installed package ships names the packages of the root's repository that do, equal to
# `dnf -C provides` on the same root and cache; the image's versionlock list holds a package back (below).
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/rpm_scratch.sh"
mkdir -p "$T/repo" "$T/rpmbuild/SPECS" "$R/etc/yum.repos.d" "$R/etc/dnf"
rpmpkg() { # NAME VERSION DIR FILE
    cat >"$T/rpmbuild/SPECS/$1.spec" <<EOF
Name: $1
Version: $2
Release: 1
Summary: root test $1
License: MIT
AutoReqProv: no
BuildArch: noarch
%description
root test $1
%install
mkdir -p %{buildroot}$3
echo $2 > %{buildroot}$3/$4
%files
$3/$4
EOF
    rpmbuild --quiet --define "_topdir $T/rpmbuild" -bb "$T/rpmbuild/SPECS/$1.spec" >"$T/rpmbuild.log" 2>&1 ||
        fail "rpmbuild $1 $2: $(tail -3 "$T/rpmbuild.log")"
    cp "$T/rpmbuild/RPMS/noarch/$1-$2-1.noarch.rpm" "$T/repo/"
}
printf '[zstest]\nname=zstest\nbaseurl=file://%s\ngpgcheck=0\nenabled=1\n' "$T/repo" >"$R/etc/yum.repos.d/test.repo"
printf '[main]\ngpgcheck=0\n' >"$R/etc/dnf/dnf.conf"
DNF=(dnf -q --color=never --installroot="$R" --config="$R/etc/dnf/dnf.conf" --setopt=reposdir="$R/etc/yum.repos.d")
Z=(--no-cache --root "$R")

rpmpkg zs-base 1.0 /usr/bin zs-base
rpmpkg zs-extra 1.0 /usr/bin zs-extra
rpmpkg zs-extra-tools 2.0 /usr/bin zs-extra
rpmpkg zs-doc 1.0 /usr/share/zs-doc readme
createrepo_c -q "$T/repo" || fail "createrepo_c"
TIMEOUT=60 expect_exit 0 "pkg refresh -m dnf" "${Z[@]}" pkg refresh -m dnf </dev/null
TIMEOUT=120 expect_exit 0 "install zs-base" "${Z[@]}" pkg install --yes dnf:zs-base
[ -e "$R/usr/bin/dnf" ] && fail "the image has a dnf of its own: the test is vacuous" || ok

# pkg list without -m: dnf is found by its configuration in the image; the list is rpm's.
TIMEOUT=60 run_z "${Z[@]}" --json pkg list
[ "$CODE" = 0 ] && ok || fail "pkg list --root: exit $CODE ($ERR)"
ours=$(printf '%s' "$OUT" | python3 -c "
import json,sys
for p in json.load(sys.stdin)['packages']:
    if p['manager'] == 'dnf': print(p['name'], p['version'], p['architecture'])" | sort)
same "pkg list (dnf) vs rpm -qa" "$ours" "$(rpm --root "$R" -qa --qf '%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n' | sort)"
expect_contains "$ours" "zs-base 1.0-1 noarch" "the installed package is listed"
expect_json "any(m['name'] == 'rpm' and m['status'] == 'unsupported' for m in d['managers'])" "rpm is detected by its database too (the footer check below is not vacuous)"
TIMEOUT=60 run_z "${Z[@]}" pkg list
[ "$CODE" = 0 ] && ok || fail "pkg list --root (text): exit $CODE ($ERR)"
case "$ERR" in *"not read yet"*rpm* | *"not read yet: rpm"*) fail "rpm called not read yet after dnf listed its database: $ERR" ;; *) ok ;; esac
expect_contains "$OUT" "zs-base" "the text list"

# which: an installed file is owned; a file only the repository has "could be installed from" it, as dnf
# provides says (name and repository per package).
TIMEOUT=60 run_z "${Z[@]}" --json pkg which zs-base -m dnf
expect_json "[(o['package'], o['path']) for o in d['owners']] == [('zs-base', '/usr/bin/zs-base')] and d['providers'] == []" "installed: the owner, no providers"
theirs() { # dnf -C provides PATH: "NAME-VERSION-RELEASE.ARCH : SUMMARY" then "Repo : ID"
    LC_ALL=C "${DNF[@]}" -C provides "$1" 2>/dev/null | python3 -c '
import re,sys
name=None
for line in sys.stdin:
    m=re.match(r"^(\S+)-[^-]+-[^-]+\.\S+ : ", line)
    if m: name=m.group(1)
    r=re.match(r"^Repo\s+: (\S+)", line)
    if r and name and r.group(1) != "@System": print(name, r.group(1)); name=None' | sort
}
ours_p() { printf '%s' "$OUT" | python3 -c '
import json,sys
for p in json.load(sys.stdin)["providers"]: print(p["package"], p["repository"])' | sort; }
for q in zs-extra /usr/bin/zs-extra /usr/share/zs-doc/readme; do
    path=$q
    [ "${q#/}" = "$q" ] && path=/usr/bin/$q
    want=$(theirs "$path")
    [ -n "$want" ] && ok || fail "dnf -C provides $path found nothing"
    TIMEOUT=60 run_z "${Z[@]}" --json pkg which "$q" -m dnf
    [ "$CODE" = 1 ] && ok || fail "pkg which $q (not installed): exit $CODE, wanted 1 ($ERR)"
    same "pkg which $q providers vs dnf -C provides" "$(ours_p)" "$want"
    expect_json "d['owners'] == [] and all(p['path'] == '$path' for p in d['providers'])" "$q: no owner, the path"
done
TIMEOUT=60 run_z "${Z[@]}" pkg which zs-extra -m dnf
expect_contains "$OUT" "could be installed from zstest: zs-extra-tools: /usr/bin/zs-extra" "text providers"
TIMEOUT=60 run_z "${Z[@]}" --json pkg which zs-nowhere -m dnf
[ "$CODE" = 1 ] && ok || fail "which of nothing: exit $CODE"
expect_json "d['owners'] == [] and d['providers'] == []" "nothing ships it"
[ -z "$(theirs /usr/bin/zs-nowhere)" ] && ok || fail "dnf provides found zs-nowhere"

# versionlock: the image's own list (written by the real plugin, `dnf versionlock add`) locks zs-locked.
# dnf never applies --installroot to the plugin's configuration, so on an image the host's list would
# count; zsyncctl runs dnf there with --noplugins and passes the image's locks as --exclude. outdated shows
# zs-locked "locked" and equals `dnf check-update` with the plugin reading the image's list; the upgrade
# leaves zs-locked and takes zs-free.
VL_PY=${ZS_DNF_VERSIONLOCK_PY:-/usr/lib/python3/dist-packages/dnf-plugins/versionlock.py}
# scripts/quickstart.sh test unpacks dnf-plugins-core there (TEST_UNPACK_APT) without installing it.
# (in the user's real home: lib.sh points HOME at a scratch dir)
VL_HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
VL_UNPACKED=${VL_HOME:-/root}/.cache/zsyncctl-test-debs/dnf-plugins-core/usr/lib/python3/dist-packages/dnf-plugins/versionlock.py
[ -f "$VL_PY" ] || VL_PY=$VL_UNPACKED
if [ ! -f "$VL_PY" ]; then
    echo "SKIP versionlock part: $VL_PY is missing (Debian package dnf-plugins-core: scripts/quickstart.sh test unpacks it)"
    finish
fi
mkdir -p "$T/vlplugin" "$T/vlconf" "$R/etc/dnf/plugins"
cp "$VL_PY" "$T/vlplugin/"
printf '[main]\nenabled = 1\nlocklist = /etc/dnf/plugins/versionlock.list\n' >"$R/etc/dnf/plugins/versionlock.conf"
printf '[main]\nenabled = 1\nlocklist = %s/etc/dnf/plugins/versionlock.list\n' "$R" >"$T/vlconf/versionlock.conf"
# The real plugin, and only it, reading the image's list (pluginconfpath of our own naming that list).
# The plugin imports dnfpluginscore from the directory above its own (an unpacked package works too).
VLDNF=(env PYTHONPATH="$(dirname "$(dirname "$VL_PY")")" "${DNF[@]}" --setopt=pluginpath="$T/vlplugin"
    --setopt=pluginconfpath="$T/vlconf")
rpmpkg zs-locked 1.0 /usr/share/zs-locked version
rpmpkg zs-free 1.0 /usr/share/zs-free version
createrepo_c -q --update "$T/repo" || fail "createrepo_c"
TIMEOUT=60 expect_exit 0 "refresh" "${Z[@]}" pkg refresh -m dnf </dev/null
TIMEOUT=120 expect_exit 0 "install zs-locked zs-free" "${Z[@]}" pkg install --yes dnf:zs-locked dnf:zs-free
: >"$R/etc/dnf/plugins/versionlock.list" # the plugin adds to a list that exists
"${VLDNF[@]}" -y versionlock add zs-locked >"$T/vl.log" 2>&1 || fail "dnf versionlock add: $(tail -3 "$T/vl.log")"
grep -q '^zs-locked-0:1.0-1\.\*' "$R/etc/dnf/plugins/versionlock.list" && ok ||
    fail "the plugin wrote no lock into the image's list: $(cat "$R/etc/dnf/plugins/versionlock.list" 2>&1)"
rpmpkg zs-locked 1.1 /usr/share/zs-locked version
rpmpkg zs-free 1.1 /usr/share/zs-free version
createrepo_c -q --update "$T/repo" || fail "createrepo_c"
TIMEOUT=60 expect_exit 0 "refresh" "${Z[@]}" pkg refresh -m dnf </dev/null
TIMEOUT=60 run_z "${Z[@]}" --json pkg outdated -m dnf
[ "$CODE" = 100 ] && ok || fail "outdated with a lock: exit $CODE ($ERR)"
expect_json "sorted((p['name'], p['candidate'], p['skip_reason']) for p in d['outdated']) == [('zs-free', '1.1-1', None), ('zs-locked', '1.1-1', 'locked')]" "zs-locked is locked, zs-free is not"
ours=$(printf '%s' "$OUT" | python3 -c "
import json,sys
print(' '.join(sorted(p['name'] + '=' + p['candidate'] for p in json.load(sys.stdin)['outdated'] if not p['skipped'])))")
theirs=$("${VLDNF[@]}" -C check-update 2>/dev/null | awk 'NF==3 {sub(/\.[^.]*$/, "", $1); print $1 "=" $2}' | sort | tr '\n' ' ')
[ "$ours " = "$theirs" ] && ok || fail "outdated ($ours) differs from dnf check-update with the image's versionlock ($theirs)"
unlocked=$("${DNF[@]}" --noplugins -C check-update 2>/dev/null | awk 'NF==3 {print $1}' | sort | tr '\n' ' ')
expect_contains "$unlocked" "zs-locked" "without the lock dnf would upgrade zs-locked (not vacuous)"
TIMEOUT=60 run_z "${Z[@]}" --json pkg upgrade --all -m dnf --dry-run
expect_json "'--noplugins' in d['argv'] and '--exclude=zs-locked' in d['argv']" "the run: no host plugins, the image's lock"
TIMEOUT=120 expect_exit 0 "upgrade --all" "${Z[@]}" pkg upgrade --all -m dnf --yes
expect_contains "$ERR" "skipping zs-locked (locked)" "the locked package is named as skipped"
got=$(rpm --root "$R" -q --qf '%{NAME}=%{VERSION}-%{RELEASE} ' zs-locked zs-free)
[ "$got" = "zs-locked=1.0-1 zs-free=1.1-1 " ] && ok || fail "after the upgrade: $got"
finish
