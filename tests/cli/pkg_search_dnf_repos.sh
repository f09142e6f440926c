#!/usr/bin/env bash
# `zsyncctl pkg search` reads dnf's repository configuration (dnf.conf's reposdir, *.repo files, enabled=)
# instead of running dnf when that answers: the real /usr/bin/dnf, in a private mount namespace where
# /etc/dnf is a scratch directory (its dnf.conf points reposdir, cachedir, logdir and persistdir into the
# scratch) and /usr/bin/dnf a wrapper that records each run and execs the real dnf. The real dnf is the
# oracle: `dnf repolist --enabled` lists nothing in the cases answered without it, and its own search's
# names are what zsyncctl reports where it runs. HOME is the scratch's, so the rpm database both read is
# Debian's %_dbpath ~/.rpmdb inside it (rpm --justdb records a package there without writing files).
. "$(dirname "$0")/lib.sh"

command -v dnf >/dev/null && command -v rpmbuild >/dev/null && command -v createrepo_c >/dev/null &&
    command -v unshare >/dev/null || skip "needs dnf, rpmbuild, createrepo_c and unshare"
[ -x /usr/bin/dnf ] || skip "no /usr/bin/dnf (the registry's well-known dnf)"
[ -d /etc/dnf ] || skip "no /etc/dnf to mount over"
unshare -m true 2>/dev/null || skip "no private mount namespace here (unshare -m: needs CAP_SYS_ADMIN)"

T="$SCRATCH/dnf"
mkdir -p "$T/etc-dnf" "$T/repos.d" "$T/rpm/SPECS" "$T/rrepo" "$T/home" "$T/bin"
export HOME="$T/home"
cat >"$T/rpm/SPECS/zs-hello.spec" <<'SPEC'
Name: zs-hello
Version: 1.0
Release: 1
Summary: A test package for search
License: MIT
BuildArch: noarch
%description
Hello.
%install
mkdir -p %{buildroot}/usr/share/zs-hello
echo hi > %{buildroot}/usr/share/zs-hello/file
%files
/usr/share/zs-hello/file
SPEC
rpmbuild --define "_topdir $T/rpm" -bb "$T/rpm/SPECS/zs-hello.spec" >"$T/rpmbuild.log" 2>&1 ||
    { fail "rpmbuild failed: $(tail -3 "$T/rpmbuild.log")"; finish; }
cp "$T"/rpm/RPMS/noarch/*.rpm "$T/rrepo/"
createrepo_c -q "$T/rrepo"

conf() { # extra lines appended after [main]
    printf '[main]\nreposdir=%s\ncachedir=%s/cache\nlogdir=%s/log\npersistdir=%s/persist\ngpgcheck=0\n%s' \
        "$T/repos.d" "$T" "$T" "$T" "${1:-}" >"$T/etc-dnf/dnf.conf"
}
repo() { # file enabled-value
    printf '[zstest]\nname=zstest\nbaseurl=file://%s\ngpgcheck=0\nenabled=%s\n' "$T/rrepo" "$2" >"$T/repos.d/$1"
}

# in_ns CMD...: CMD with /etc/dnf and /usr/bin/dnf replaced in a mount namespace of its own; the wrapper
# appends its arguments to $T/dnf.log and runs the real dnf (bound to $T/real-dnf first).
cat >"$T/bin/dnf" <<SH
#!/bin/sh
echo "\$*" >>"$T/dnf.log"
exec "$T/real-dnf" "\$@"
SH
chmod +x "$T/bin/dnf"
: >"$T/real-dnf"
in_ns() {
    unshare -m sh -c 'mount --bind "$1/etc-dnf" /etc/dnf && mount --bind /usr/bin/dnf "$1/real-dnf" &&
        mount --bind "$1/bin/dnf" /usr/bin/dnf && shift && exec "$@"' in_ns "$T" "$@"
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

finish
