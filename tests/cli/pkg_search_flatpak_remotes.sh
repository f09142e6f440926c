#!/bin/bash
# `pkg search -m flatpak` reads each installation's repo/config (the [remote "NAME"] groups, xa.disable) and
# answers no_repositories without running flatpak when no installation has an enabled remote, installed refs
# or not (flatpak search reads only the remotes' appstream). Oracle: the real flatpak on scratch installations
# (FLATPAK_USER_DIR, FLATPAK_SYSTEM_DIR): `flatpak remotes` lists no enabled remote and `flatpak search` finds
# nothing exactly when zsyncctl says no_repositories. The real /usr/bin/flatpak is replaced, in a private mount
# namespace, by a wrapper that records each run and execs it.
. "$TESTS_DIR/lib.sh"
command -v flatpak >/dev/null || skip "flatpak is not installed (Debian package flatpak)"
[ -x /usr/bin/flatpak ] || skip "flatpak is not at /usr/bin/flatpak, the path whose configuration is read"
unshare -m true 2>/dev/null || skip "no private mount namespace here (unshare -m: needs CAP_SYS_ADMIN)"
for d in /etc/flatpak/installations.d /etc/flatpak/remotes.d /usr/share/flatpak/remotes.d; do
    [ -z "$(ls -A "$d" 2>/dev/null)" ] || skip "$d is not empty: flatpak is then always asked"
done
T="$SCRATCH"
mkdir -p "$T/home" "$T/bin" "$T/build/rt/files" "$T/build/rt/usr"
export HOME="$T/home" FLATPAK_USER_DIR="$T/user" FLATPAK_SYSTEM_DIR="$T/system" PATH="/usr/bin:/bin"
unset FLATPAK_CONFIG_DIR
printf '#!/bin/sh\necho "$*" >>"%s/flatpak.log"\nexec "%s/real-flatpak" "$@"\n' "$T" "$T" >"$T/bin/flatpak"
chmod +x "$T/bin/flatpak"
: >"$T/real-flatpak"
in_ns() {
    unshare -m sh -c 'mount --bind /usr/bin/flatpak "$1/real-flatpak" && mount --bind "$1/bin/flatpak" /usr/bin/flatpak &&
        shift && exec "$@"' in_ns "$T" "$@"
}
ran() { [ -s "$T/flatpak.log" ] && cat "$T/flatpak.log"; }
search() { # query: zsyncctl's JSON search of flatpak alone in the namespace
    : >"$T/flatpak.log"
    OUT=$(in_ns timeout -k 2 30 "$ZSYNCCTL" --no-cache --json pkg search "$1" -m flatpak 2>"$T/err")
    CODE=$?
}
status() { printf '%s' "$OUT" | python3 -c 'import json,sys; m=json.load(sys.stdin)["managers"][0]; print(m["status"], m["error"] or "")'; }
# The real flatpak's own view (its remotes, enabled only; its search), run outside the namespace.
remotes() { flatpak remotes --columns=name,options 2>/dev/null; }
fsearch() { flatpak search "$1" 2>&1; }

# A repository with one runtime (build-export), reachable as a file: remote.
printf '[Runtime]\nname=org.zs.Platform\nruntime=org.zs.Platform/x86_64/1\nsdk=org.zs.Platform/x86_64/1\n' >"$T/build/rt/metadata"
flatpak build-export --runtime "$T/repo" "$T/build/rt" 1 >>"$T/fp.log" 2>&1 || { fail "build-export: $(tail -3 "$T/fp.log")"; finish; }

# 1. No installation directory at all: no_repositories, flatpak not run; the real one has no remote and
#    finds nothing (and creates both installations' repo/config, with [core] only: still none).
search Platform
case "$(status)" in "no_repositories no enabled repository in $T/user/repo/config, $T/system/repo/config (flatpak not run)") ok ;; *) fail "no installation: $(status)" ;; esac
[ -z "$(ran)" ] && ok || fail "flatpak ran with no installation: $(ran)"
[ "$CODE" -eq 3 ] && ok || fail "no remotes: exit $CODE, wanted 3"
[ -z "$(remotes)" ] && ok || fail "the real flatpak lists remotes: $(remotes)"
same "flatpak search with no installation" "$(fsearch Platform)" "No matches found"
[ -f "$T/user/repo/config" ] && [ -f "$T/system/repo/config" ] && ok || fail "flatpak made no repo/config"
search Platform
case "$(status)" in no_repositories*) ok ;; *) fail "empty repo/config: $(status)" ;; esac
[ -z "$(ran)" ] && ok || fail "flatpak ran with empty installations: $(ran)"

# 2. An enabled remote in the user installation: flatpak is run, and says what it says.
flatpak --user remote-add --no-gpg-verify zs "file://$T/repo" >>"$T/fp.log" 2>&1 || fail "remote-add"
[ "$(remotes)" = "$(printf 'zs\tuser,no-gpg-verify')" ] && ok || fail "the real flatpak's remotes: $(remotes)"
search Platform
case "$(status)" in no_repositories*) fail "an enabled remote: $(status)" ;; *) ok ;; esac
expect_contains "$(ran)" "search Platform" "an enabled remote: flatpak ran"

# 3. The runtime installed, then its remote disabled: flatpak lists no enabled remote and finds nothing, so
#    zsyncctl does not run it, installed ref or not, and counts the disabled one.
flatpak --user install --noninteractive zs org.zs.Platform >>"$T/fp.log" 2>&1 || fail "flatpak install: $(tail -3 "$T/fp.log")"
flatpak --user remote-modify --disable zs >>"$T/fp.log" 2>&1 || fail "remote-modify --disable"
[ -z "$(remotes)" ] && ok || fail "the real flatpak lists a disabled remote: $(remotes)"
expect_contains "$(flatpak remotes --show-disabled 2>&1)" "disabled" "flatpak shows the remote disabled"
expect_contains "$(flatpak list --runtime --columns=application 2>&1)" "org.zs.Platform" "the runtime is installed"
same "flatpak search with the remote disabled" "$(fsearch Platform)" "No matches found"
search Platform
case "$(status)" in "no_repositories no enabled repository in $T/user/repo/config, $T/system/repo/config (1 disabled) (flatpak not run)") ok ;; *) fail "disabled remote: $(status)" ;; esac
[ -z "$(ran)" ] && ok || fail "flatpak ran with its only remote disabled: $(ran)"
# outdated does not ask a disabled remote either, and says which ref it could not check (flatpak update
# itself skips it: its transaction has nothing to do).
outdated() {
    : >"$T/flatpak.log"
    OUT=$(in_ns timeout -k 2 30 "$ZSYNCCTL" --no-cache --json pkg outdated -m flatpak 2>"$T/err")
    CODE=$?
}
outdated
[ "$CODE" -eq 0 ] && ok || fail "outdated with the remote disabled: exit $CODE"
expect_json "d['outdated'] == [] and 'not checked: runtime/org.zs.Platform/x86_64/1 (user): remote zs is disabled' in d['managers'][0]['note']" "outdated names the unchecked ref"
[ -z "$(ran)" ] && ok || fail "flatpak ran for outdated with its only remote disabled: $(ran)"
expect_contains "$(flatpak --user update --noninteractive --no-deploy 2>&1)" "Nothing to do" "flatpak update has nothing to do"

# 4. Deleted (the ref stays installed): the same. 5. An enabled remote in the system installation only: run.
flatpak --user remote-delete --force zs >>"$T/fp.log" 2>&1 || fail "remote-delete"
same "flatpak search with the remote deleted" "$(fsearch Platform)" "No matches found"
search Platform
case "$(status)" in no_repositories*) ok ;; *) fail "deleted remote: $(status)" ;; esac
[ -z "$(ran)" ] && ok || fail "flatpak ran with no remote: $(ran)"
outdated
expect_json "'remote zs is not configured' in d['managers'][0]['note']" "outdated: the deleted remote"
[ -z "$(ran)" ] && ok || fail "flatpak ran for outdated with no remote: $(ran)"
flatpak --system remote-add --no-gpg-verify zsys "file://$T/repo" >>"$T/fp.log" 2>&1 || fail "system remote-add: $(tail -2 "$T/fp.log")"
[ "$(remotes)" = "$(printf 'zsys\tsystem,no-gpg-verify')" ] && ok || fail "the real flatpak's remotes: $(remotes)"
search Platform
case "$(status)" in no_repositories*) fail "a system remote: $(status)" ;; *) ok ;; esac
expect_contains "$(ran)" "search Platform" "a system remote: flatpak ran"
finish
