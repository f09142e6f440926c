#!/bin/bash
# Root steered by an unprivileged user, and a user whose cache is not theirs: a real user (created here
# when missing) runs zsyncctl with runuser; root runs it with that user's HOME/XDG_CACHE_HOME (as sudo -E
# gives); real apt/dpkg install into scratch roots; symlinks are planted at every log, lock and cache name
# and nothing outside the cache may change (contents and owners are compared).
. "$TESTS_DIR/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root: it creates a user and runs zsyncctl as root and as that user"
for tool in runuser useradd flock sha256sum; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (util-linux, passwd, coreutils)"
done
. "$TESTS_DIR/apt_scratch.sh"

test_user
UID_U=$(id -u "$U")
T="$SCRATCH"
chmod 0711 "$T" # the user walks into its own directories below
runuser -u "$U" -- "$ZSYNCCTL" --version >/dev/null 2>&1 ||
    skip "user $U cannot run $ZSYNCCTL (a directory on the way is private)"
STD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CREATED_RUN_LOCK=
[ -e "/run/lock/zsyncctl-$UID_U" ] || CREATED_RUN_LOCK=yes
ROOT_LOGS=()
cleanup() {
    [ -n "$CREATED_RUN_LOCK" ] && rm -rf "/run/lock/zsyncctl-$UID_U"
    for f in "${ROOT_LOGS[@]}"; do
        case "$f" in /var/cache/zsyncctl/logs/*.log) rm -f "$f" ;; esac
    done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

# as ENV... -- ARGS: runs zsyncctl as $WHO (a user name, or root) with exactly the environment given
# (plus a standard PATH), capturing OUT, ERR and CODE like run_z.
as() {
    local envs=()
    while [ "$1" != -- ]; do
        envs+=("$1")
        shift
    done
    shift
    local runner=()
    [ "$WHO" = root ] || runner=(runuser -u "$WHO" --)
    OUT=$(timeout -k 2 "${TIMEOUT:-120}" "${runner[@]}" env -i PATH="$STD_PATH" LC_ALL=C "${envs[@]}" \
        "$ZSYNCCTL" "$@" 2>"$T/stderr")
    CODE=$?
    ERR=$(cat "$T/stderr")
}

# snapshot DIR: every entry under DIR with its type, owner, mode and content hash, one per line.
snapshot() {
    find "$1" -printf '%P %y %u %m %l\n' | sort
    find "$1" -type f -print0 | sort -z | xargs -0 -r sha256sum
}

# A package and a repository, and scratch roots: one the user owns, one root owns.
mkdir -p "$T/pkg/DEBIAN" "$T/pkg/usr/share/zs-priv" "$T/repo"
cat >"$T/pkg/DEBIAN/control" <<CTL
Package: zs-priv
Version: 1.0
Architecture: all
Maintainer: zsyncctl tests <tests@example.invalid>
Description: A test package for zsyncctl privilege tests
CTL
echo hello >"$T/pkg/usr/share/zs-priv/hello.txt"
dpkg-deb -b "$T/pkg" "$T/repo/zs-priv_1.0_all.deb" >/dev/null || fail "dpkg-deb failed"
(cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages failed"
chmod -R a+rX "$T/repo"
for r in uroot rroot; do
    apt_scratch_root "$T/$r" "$T/repo"
    why=$(apt_update "$T/$r" zs-priv) || { fail "apt-get update failed: $why"; finish; }
done
chown -R "$U" "$T/uroot"

# private_dir PATH: a directory owned by the user, mode 0700.
private_dir() {
    mkdir -p "$1"
    chown "$U" "$1"
    chmod 0700 "$1"
}
private_dir "$T/run"
installed() {
    [ "$(dpkg-query --admindir="$1/var/lib/dpkg" -W -f '${Status}' zs-priv 2>&1)" = "install ok installed" ]
}

# 1. A cache left root-owned by an earlier root run: the user still installs (and removes, --no-cache too).
WHO=$U
private_dir "$T/home1"
mkdir -p "$T/home1/.cache/zsyncctl/logs" "$T/home1/.cache/zsyncctl/locks"
chmod -R 0755 "$T/home1/.cache"
before_cache=$(snapshot "$T/home1/.cache")
as HOME="$T/home1" XDG_RUNTIME_DIR="$T/run" -- --root "$T/uroot" pkg install --yes apt:zs-priv
[ "$CODE" -eq 0 ] && ok || fail "install with a root-owned cache: exit $CODE (stderr: ${ERR:0:400})"
installed "$T/uroot" && ok || fail "zs-priv is not installed after the install with a root-owned cache"
expect_contains "$ERR" "no log" "a run without a log says why"
as HOME="$T/home1" XDG_RUNTIME_DIR="$T/run" -- --no-cache --root "$T/uroot" pkg remove --yes apt:zs-priv
[ "$CODE" -eq 0 ] && ok || fail "remove --no-cache with a root-owned cache: exit $CODE (stderr: ${ERR:0:400})"
installed "$T/uroot" && fail "zs-priv is still installed after remove" || ok
[ "$(snapshot "$T/home1/.cache")" = "$before_cache" ] && ok || fail "the root-owned cache changed"

# 2. A read-only cache of the user's own: installs still run.
private_dir "$T/home2"
private_dir "$T/home2/.cache"
private_dir "$T/home2/.cache/zsyncctl"
chmod 0500 "$T/home2/.cache/zsyncctl"
as HOME="$T/home2" XDG_RUNTIME_DIR="$T/run" -- --root "$T/uroot" pkg install --yes apt:zs-priv
[ "$CODE" -eq 0 ] && ok || fail "install with a read-only cache: exit $CODE (stderr: ${ERR:0:400})"
installed "$T/uroot" && ok || fail "zs-priv is not installed after the install with a read-only cache"
as HOME="$T/home2" XDG_RUNTIME_DIR="$T/run" -- --root "$T/uroot" pkg remove --yes apt:zs-priv
[ "$CODE" -eq 0 ] && ok || fail "remove with a read-only cache: exit $CODE"

# 3. HOME unset: the inter-run lock is still taken (in the runtime directory): a held lock is waited for.
mkdir -p "$T/run/zsyncctl"
chown "$U" "$T/run/zsyncctl"
chmod 0700 "$T/run/zsyncctl"
# The lock of the dpkg group for this root (dpkg@<hash of the root>.lock: runs on other roots do not wait),
# made by the runs on $T/uroot above.
lockfile=$(ls "$T/run/zsyncctl"/dpkg@*.lock 2>/dev/null | head -n1)
[ -n "$lockfile" ] && ok || fail "no per-root dpkg lock in $T/run/zsyncctl after runs on the root: $(ls "$T/run/zsyncctl")"
runuser -u "$U" -- flock "${lockfile:-$T/run/zsyncctl/dpkg.lock}" sleep 3 &
holder=$!
sleep 0.5
as XDG_RUNTIME_DIR="$T/run" -- --root "$T/uroot" pkg install --yes apt:zs-priv
wait "$holder"
[ "$CODE" -eq 0 ] && ok || fail "install without HOME: exit $CODE (stderr: ${ERR:0:400})"
expect_contains "$ERR" "waiting for another zsyncctl run that holds the dpkg lock" "without HOME the lock holds"
# Without XDG_RUNTIME_DIR either: /run/lock/zsyncctl-UID.
as -- --root "$T/uroot" pkg remove --yes apt:zs-priv
[ "$CODE" -eq 0 ] && ok || fail "remove without HOME and XDG_RUNTIME_DIR: exit $CODE (stderr: ${ERR:0:400})"
userlock=$(ls "/run/lock/zsyncctl-$UID_U"/dpkg@*.lock 2>/dev/null | head -n1)
[ -n "$userlock" ] && [ "$(stat -c %u "$userlock")" = "$UID_U" ] &&
    ok || fail "no lock file of the user's in /run/lock/zsyncctl-$UID_U"

# 4. Root with the user's HOME and XDG_CACHE_HOME, every cache name a planted symlink into a root-only
#    directory: nothing there changes, nothing in the user's home becomes root's, the log goes elsewhere.
mkdir -p "$T/victim"
chmod 0700 "$T/victim"
printf 'root-only\n' >"$T/victim/secret"
chmod 0600 "$T/victim/secret"
private_dir "$T/home4"
H4="$T/home4"
runuser -u "$U" -- mkdir -p "$H4/.cache/zsyncctl" "$H4/linked"
for name in logs locks http index; do
    runuser -u "$U" -- ln -s "$T/victim" "$H4/.cache/zsyncctl/$name"
done
for name in dpkg.lock secret; do
    runuser -u "$U" -- ln -s "$T/victim/$name" "$H4/linked/$name"
done
before_victim=$(snapshot "$T/victim")
before_home=$(snapshot "$H4")
WHO=root
as HOME="$H4" XDG_CACHE_HOME="$H4/.cache" -- --json --root "$T/rroot" pkg install --yes apt:zs-priv
[ "$CODE" -eq 0 ] && ok || fail "root install with a planted cache: exit $CODE (stderr: ${ERR:0:400})"
installed "$T/rroot" && ok || fail "zs-priv is not installed by root"
log=$(printf '%s\n' "$OUT" | python3 -c "
import json,sys
for l in sys.stdin:
    e=json.loads(l)
    if e.get('event')=='done': print(e.get('log') or '')" 2>/dev/null)
ROOT_LOGS+=("$log")
case "$log" in
/var/cache/zsyncctl/logs/install-apt-*.log) ok ;;
*) fail "root's log is not in /var/cache/zsyncctl/logs: '$log'" ;;
esac
[ "$(snapshot "$T/victim")" = "$before_victim" ] && ok || fail "the root-only directory changed: $(snapshot "$T/victim")"
[ "$(snapshot "$H4")" = "$before_home" ] && ok || fail "root changed the user's home: $(snapshot "$H4")"
XDG_LINK="$H4/linked"
as HOME="$H4" XDG_CACHE_HOME="$XDG_LINK" -- --root "$T/rroot" pkg remove --yes apt:zs-priv
[ "$CODE" -eq 0 ] && ok || fail "root remove with a planted XDG_CACHE_HOME: exit $CODE (stderr: ${ERR:0:400})"
[ "$(snapshot "$T/victim")" = "$before_victim" ] && ok || fail "the root-only directory changed on remove"
[ "$(snapshot "$H4")" = "$before_home" ] && ok || fail "root changed the user's home on remove"

# 5. A detection cache the user wrote names the user's own program as apt: root never runs it
#    (--versions) nor exports the user's prefix (pkg paths --shell).
H5="$T/home5"
private_dir "$H5"
WHO=$U
as HOME="$H5" -- --json pkg managers
[ "$CODE" -eq 0 ] && ok || fail "pkg managers as the user: exit $CODE"
cache=$(find "$H5/.cache/zsyncctl" -name 'managers-*.tsv' | head -1)
[ -n "$cache" ] && ok || fail "the user's run left no detection cache"
runuser -u "$U" -- mkdir -p "$H5/evil/bin"
printf '#!/bin/sh\necho planted >%s/ran-as-$(id -u)\n' "$T/run" >"$T/payload"
runuser -u "$U" -- cp "$T/payload" "$H5/evil/bin/apt"
chmod 0755 "$H5/evil/bin/apt"
runuser -u "$U" -- python3 - "$cache" "$H5/evil" <<'PY'
import sys
path, evil = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
for i, line in enumerate(lines):
    f = line.split("\t")
    if f[0] == "m":  # m id preferred executable prefix mismatch
        f[3] = evil + "/bin/" + f[3].rsplit("/", 1)[-1] if f[3] else ""
        f[4] = evil
        lines[i] = "\t".join(f)
open(path, "w").write("\n".join(lines))
PY
WHO=root
as HOME="$H5" -- --json pkg managers --versions
[ ! -e "$T/run/ran-as-0" ] && ok || fail "root executed the program named by the user's cache"
case "$OUT" in *"$H5/evil"*) fail "root reports the user's planted executable: ${OUT:0:400}" ;; *) ok ;; esac
as HOME="$H5" -- pkg paths --shell
case "$OUT" in *"$H5/evil"*) fail "root exports the user's planted prefix: ${OUT:0:400}" ;; *) ok ;; esac
# The user's own run re-validates too: its planted cache is not executed as the user either.
WHO=$U
as HOME="$H5" -- --json pkg managers --versions
[ ! -e "$T/run/ran-as-$UID_U" ] && ok || fail "the user's run executed an executable outside PATH from the cache"

# 6. ZSYNCCTL_LIBCURL naming a library the user owns is never loaded by root.
lib=$(ldconfig -p 2>/dev/null | awk '/libcurl\.so\.4 .*x86-64|libcurl\.so\.4 / {print $NF; exit}')
if [ -n "$lib" ] && [ -f "$lib" ]; then
    private_dir "$T/lib"
    cp "$lib" "$T/lib/libcurl.so.4"
    chown "$U" "$T/lib/libcurl.so.4"
    WHO=root
    as ZSYNCCTL_LIBCURL="$T/lib/libcurl.so.4" -- fetch http://127.0.0.1:9/none
    [ "$CODE" -ne 0 ] && ok || fail "fetch with a user's ZSYNCCTL_LIBCURL succeeded"
    expect_contains "$ERR" "refusing to load $T/lib/libcurl.so.4" "a user's library is refused as root"
    chown root "$T/lib/libcurl.so.4"
    chmod 0666 "$T/lib/libcurl.so.4"
    as ZSYNCCTL_LIBCURL="$T/lib/libcurl.so.4" -- fetch http://127.0.0.1:9/none
    expect_contains "$ERR" "refusing to load" "a world-writable library is refused"
    chmod 0644 "$T/lib/libcurl.so.4"
    as ZSYNCCTL_LIBCURL="$T/lib/libcurl.so.4" -- fetch http://127.0.0.1:9/none
    case "$ERR" in *"refusing to load"*) fail "root's own library was refused: $ERR" ;; *) ok ;; esac
fi

# 9. No sudo: a user's upgrade of a root-owned root names the same zsyncctl command line to run as root
# (every argument as given, shell-quoted), not the manager's command.
if ! PATH="$STD_PATH" command -v sudo >/dev/null; then
    ln -s / "$T/r root" # the live system under a name that needs quoting
    WHO=$U
    as HOME="$T/home1" XDG_RUNTIME_DIR="$T/run" -- --root "$T/r root" pkg upgrade --yes -m apt --all
    [ "$CODE" -ne 0 ] && ok || fail "a user's upgrade of root's root without sudo succeeded"
    expect_contains "$ERR" "hint: run it as root: zsyncctl --root '$T/r root' pkg upgrade --yes -m apt --all" \
        "the hint is the zsyncctl command line"
    case "$ERR" in *apt-get*) fail "the hint names the manager's command: $ERR" ;; *) ok ;; esac
fi

# 10. Root with a user's HOME and PATH (sudo -E): executables the user controls are neither detected nor run.
# Each fake records who ran it; as root, doctor --versions and pkg managers --versions run none of them, and
# pkg managers -v says why each was ignored. A root-owned copy in a root-owned directory is still found.
WHO=root
private_dir "$T/uhome"
# (Managers no CI machine has on the standard PATH, which detection would prefer.)
for tool in .rbenv/bin/rbenv .local/bin/mise; do
    mkdir -p "$T/uhome/$(dirname "$tool")"
    printf '#!/bin/sh\necho "ran as $(id -u): $0" >>"%s/ran.log"\necho 1.0\n' "$T" >"$T/uhome/$tool"
    chmod 0755 "$T/uhome/$tool"
done
mkdir -p "$T/uhome/.cargo/bin"
cp "$T/uhome/.rbenv/bin/rbenv" "$T/uhome/.cargo/bin/rustup"
chown -R "$U" "$T/uhome"
# Root-owned file, but in a directory the user owns: the user can swap it.
chown root "$T/uhome/.cargo/bin/rustup"
rm -f "$T/ran.log"
for cmd in "doctor --versions --json" "pkg managers --versions --json"; do
    # shellcheck disable=SC2086 # the command's words
    as HOME="$T/uhome" XDG_CACHE_HOME="$T/uhome/.cache" -- $cmd
    [ -e "$T/ran.log" ] && fail "root ran a user's executable ($cmd): $(cat "$T/ran.log")" || ok
done
as HOME="$T/uhome" -- -v pkg managers
for tool in .rbenv/bin/rbenv .local/bin/mise; do
    expect_contains "$ERR" "ignored $T/uhome/$tool: owned by uid $UID_U: as root, nothing another user controls is run" \
        "root ignores a user's $tool"
done
expect_contains "$ERR" "ignored $T/uhome/.cargo/bin/rustup: in $T/uhome/.cargo/bin, owned by uid $UID_U" \
    "root ignores a root-owned executable in a user's directory"
case "$OUT" in *"$T/uhome"*) fail "pkg managers lists a user's executable as root: $OUT" ;; *) ok ;; esac
# The same tree owned by root: detected and run (the check is about owners, not about HOME).
chown -R root "$T/uhome"
chmod 0755 "$T/uhome"
as HOME="$T/uhome" XDG_CACHE_HOME="$T/uhome/.cache" -- pkg managers --versions --json
expect_contains "$OUT" "$T/uhome/.rbenv/bin/rbenv" "a root-owned rbenv under a root-owned HOME is detected"
[ -s "$T/ran.log" ] && ok || fail "root did not run its own rbenv for --versions"

finish
