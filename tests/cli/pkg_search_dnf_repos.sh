#!/usr/bin/env bash
# `zsyncctl pkg search` reads dnf's repository configuration (dnf.conf's reposdir, *.repo files, enabled=)
# instead of running dnf when that answers: the real /usr/bin/dnf, in a private mount namespace where
# /etc/dnf is a scratch directory (its dnf.conf points reposdir, cachedir, logdir and persistdir into the
# scratch) and /usr/bin/dnf a wrapper that records each run and execs the real dnf. The real dnf is the
# oracle: `dnf repolist --enabled` lists nothing in the cases answered without it, and its own search's
# names are what zsyncctl reports where it runs. HOME is the scratch's, so the rpm database both read is
# Debian's %_dbpath ~/.rpmdb inside it (rpm --justdb records a package there without writing files).
# zypper likewise: its zypp.conf named by $ZYPP_CONF (which the real zypper reads), /usr/bin/zypper wrapped.
. "$(dirname "$0")/lib.sh"

command -v dnf >/dev/null && command -v rpmbuild >/dev/null && command -v createrepo_c >/dev/null &&
    command -v unshare >/dev/null || skip "needs dnf, rpmbuild, createrepo_c and unshare"
[ -x /usr/bin/dnf ] || skip "no /usr/bin/dnf (the registry's well-known dnf)"
[ -d /etc/dnf ] || skip "no /etc/dnf to mount over"
unshare -m true 2>/dev/null || skip "no private mount namespace here (unshare -m: needs CAP_SYS_ADMIN)"

T="$SCRATCH/dnf"
mkdir -p "$T/etc-dnf" "$T/repos.d" "$T/rpm/SPECS" "$T/rrepo" "$T/home" "$T/bin"
export HOME="$T/home"
RPM_SCRATCH_HELPERS_ONLY=1 . "$TESTS_DIR/rpm_scratch.sh"
zs_hello_rpm "$T" 2>"$T/rpmbuild.err" || { fail "rpmbuild failed: $(cat "$T/rpmbuild.err")"; finish; }

conf() { # extra lines appended after [main]
    printf '[main]\nreposdir=%s\ncachedir=%s/cache\nlogdir=%s/log\npersistdir=%s/persist\ngpgcheck=0\n%s' \
        "$T/repos.d" "$T" "$T" "$T" "${1:-}" >"$T/etc-dnf/dnf.conf"
}
repo() { # file enabled-value
    printf '[zstest]\nname=zstest\nbaseurl=file://%s\ngpgcheck=0\nenabled=%s\n' "$T/rrepo" "$2" >"$T/repos.d/$1"
}

# in_ns CMD...: CMD with /etc/dnf, /usr/bin/dnf and /usr/bin/zypper replaced in a mount namespace of its
# own; each wrapper appends its arguments to $T/NAME.log and runs the real one (bound to $T/real-NAME).
ZYPPER=0
[ -x /usr/bin/zypper ] && ZYPPER=1
for m in dnf zypper; do
    cat >"$T/bin/$m" <<SH
#!/bin/sh
echo "\$*" >>"$T/$m.log"
exec "$T/real-$m" "\$@"
SH
    chmod +x "$T/bin/$m"
    : >"$T/real-$m"
done
in_ns() {
    unshare -m sh -c 'mount --bind "$1/etc-dnf" /etc/dnf && mount --bind /usr/bin/dnf "$1/real-dnf" &&
        mount --bind "$1/bin/dnf" /usr/bin/dnf && if [ "$2" = 1 ]; then mount --bind /usr/bin/zypper \
        "$1/real-zypper" && mount --bind "$1/bin/zypper" /usr/bin/zypper; fi && shift 2 && exec "$@"' \
        in_ns "$T" "$ZYPPER" "$@"
}
export PATH="/usr/bin:/bin"
ran() { [ -s "$T/dnf.log" ] && cat "$T/dnf.log"; }
search() { # query: zsyncctl's JSON search of dnf alone in the namespace, its dnf runs in $T/dnf.log
    : >"$T/dnf.log"
    OUT=$(in_ns timeout -k 2 60 "$ZSYNCCTL" --no-cache --json pkg search "$1" --manager dnf --timeout 50 2>"$T/err")
    CODE=$?
}
oracle_repos() { in_ns dnf --quiet repolist --enabled 2>/dev/null; }

# The wrapper itself works, and the real dnf reads the scratch configuration.
conf
repo test.repo 1
[ "$(oracle_repos)" != "" ] && ok || fail "the real dnf lists no repository with an enabled one: $(ran)"

# 1. Enabled repository: dnf runs and its answer is the result; an empty answer is "ok, 0 results" without
#    dnf repolist (the configuration said a repository is enabled).
search hello
expect_json '[(m["name"], m["status"]) for m in d["managers"]] == [("dnf", "ok")] and [r["name"] for r in d["results"]] == ["zs-hello"]' "enabled repo: dnf searched"
expect_contains "$(ran)" "search hello" "enabled repo: dnf ran"
oracle=$(in_ns dnf --quiet search hello 2>/dev/null | sed -n 's/^\([^ .]*\)\.[^ ]* : .*/\1/p' | sort | tr '\n' ' ')
[ "$oracle" = "zs-hello " ] && ok || fail "the real dnf search found '$oracle'"
search zznomatch
expect_json '[(m["name"], m["status"]) for m in d["managers"]] == [("dnf", "ok")] and d["results"] == []' "enabled repo, no match: ok, 0 results"
case "$(ran)" in *repolist*) fail "repolist ran although the configuration has an enabled repository: $(ran)" ;; *) ok ;; esac

# 2. No repository file at all: no_repositories, and dnf is not run.
rm -f "$T/repos.d/"*
[ -z "$(oracle_repos)" ] && ok || fail "the real dnf lists a repository with an empty reposdir"
search hello
expect_json '[(m["name"], m["status"]) for m in d["managers"]] == [("dnf", "no_repositories")] and "no enabled repository in /etc/dnf/dnf.conf, '"$T"'/repos.d" in d["managers"][0]["error"] and "not run" in d["managers"][0]["error"]' "no repository: no_repositories"
[ -z "$(ran)" ] && ok || fail "dnf ran although no repository is configured: $(ran)"
[ "$CODE" -eq 3 ] && ok || fail "no repository: exit $CODE, wanted 3"

# 3. A disabled repository file (enabled=0, and in dnf.conf itself enabled=false): the same, counted.
repo off.repo 0
conf $'[inconf]\nname=inconf\nbaseurl=file:///nonexistent\nenabled=false\n'
[ -z "$(oracle_repos)" ] && ok || fail "the real dnf lists a disabled repository: $(oracle_repos)"
search hello
expect_json 'd["managers"][0]["status"] == "no_repositories" and "(2 disabled)" in d["managers"][0]["error"]' "disabled repositories: no_repositories"
[ -z "$(ran)" ] && ok || fail "dnf ran although every repository is disabled: $(ran)"

# 4. What is not understood leaves it to dnf: an enabled value that is a variable.
repo var.repo '$zsvar'
search hello
[ -n "$(ran)" ] && ok || fail "dnf did not run although enabled= was not understood"
rm -f "$T/repos.d/var.repo"

# 5. No repository but a package installed: dnf searches the installed ones too, so it runs (and its
#    repolist is not needed); the installed package is found as the real dnf finds it.
conf
rpm -i --justdb --nodeps --noscripts "$T"/rrepo/*.rpm >"$T/rpm.log" 2>&1 || fail "rpm --justdb: $(cat "$T/rpm.log")"
oracle=$(in_ns dnf --quiet search hello 2>/dev/null | sed -n 's/^\([^ .]*\)\.[^ ]* : .*/\1/p' | sort | tr '\n' ' ')
search hello
expect_contains "$(ran)" "search hello" "installed package, no repository: dnf ran"
got=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(" ".join(sorted(r["name"] for r in json.load(sys.stdin)["results"])), end=" ")')
[ "$got" = "$oracle" ] && ok || fail "installed package, no repository: zsyncctl '$got', the real dnf '$oracle'"
search zznomatch
expect_json 'd["managers"][0]["status"] == "no_repositories"' "installed package, no match, no repository: no_repositories"
case "$(ran)" in *repolist*) fail "repolist ran although the configuration was read: $(ran)" ;; *) ok ;; esac

# 6. zypper: its configuration named by $ZYPP_CONF (libzypp reads that file instead of zypp.conf), the
#    real zypper the oracle (`zypper lr`: no repository, then one that is disabled).
if [ "$ZYPPER" = 1 ]; then
    mkdir -p "$T/zrepos.d" "$T/zcache"
    printf '[main]\nreposdir = %s/zrepos.d\ncachedir = %s/zcache\n' "$T" "$T" >"$T/zypp.conf"
    # A HOME whose rpm database is empty (case 5 recorded a package in the other one, which zypper
    # would search).
    mkdir -p "$T/zhome"
    export ZYPP_CONF="$T/zypp.conf" ZYPP_LOGFILE="$T/zypper.log.txt" HOME="$T/zhome"
    zsearch() {
        : >"$T/zypper.log"
        OUT=$(in_ns timeout -k 2 60 "$ZSYNCCTL" --no-cache --json pkg search hello --manager zypper --timeout 50 2>"$T/err")
        CODE=$?
    }
    zran() { [ -s "$T/zypper.log" ] && cat "$T/zypper.log"; }
    in_ns zypper --non-interactive lr >"$T/lr.out" 2>&1
    [ $? = 6 ] && grep -q "No repositories defined" "$T/lr.out" && ok || fail "the real zypper lists a repository: $(cat "$T/lr.out")"
    zsearch
    expect_json 'd["managers"][0]["status"] == "no_repositories" and "'"$T"'/zrepos.d" in d["managers"][0]["error"] and "zypper not run" in d["managers"][0]["error"]' "zypper, no repository: no_repositories"
    [ -z "$(zran)" ] && ok || fail "zypper ran although no repository is configured: $(zran)"
    printf '[off]\nname=off\nbaseurl=file:///nonexistent\nenabled=0\n' >"$T/zrepos.d/off.repo"
    in_ns zypper --non-interactive --xmlout lr >"$T/lr.out" 2>&1
    grep -q 'alias="off"' "$T/lr.out" && grep -q 'enabled="0"' "$T/lr.out" && ! grep -q 'enabled="1"' "$T/lr.out" && ok ||
        fail "the real zypper does not list one disabled repository: $(cat "$T/lr.out")"
    zsearch
    expect_json 'd["managers"][0]["status"] == "no_repositories" and "(1 disabled)" in d["managers"][0]["error"]' "zypper, a disabled repository: no_repositories"
    [ -z "$(zran)" ] && ok || fail "zypper ran although its only repository is disabled: $(zran)"
    # Enabled (never refreshed here): zypper is asked and says what it says.
    printf '[on]\nname=on\nbaseurl=file:///nonexistent\nenabled=1\n' >"$T/zrepos.d/on.repo"
    zsearch
    expect_contains "$(zran)" "search" "zypper, an enabled repository: zypper ran"
    unset ZYPP_CONF ZYPP_LOGFILE
fi

finish
