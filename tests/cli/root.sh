#!/usr/bin/env bash
# End-to-end tests of the one meaning of `--root DIR`: reads are confined to DIR (absolute and ".." links
# do not escape, config values neither), nothing inside DIR is executed, a DIR that is the live system is
# the live system, and a missing or non-directory DIR is a usage error for every command.
. "$(dirname "$0")/lib.sh"

TIMEOUT_BIN=$(command -v timeout)
SECRET="HOSTSECRET$$x7q"

# ---- the host side: files holding a secret that the image's links point at ----
H="$SCRATCH/host"
mkdir -p "$H/etc" "$H/lists" "$H/pacdb/sync" "$H/pacdb/local/secretpkg-1.0-1"
printf 'ID=%s\nPRETTY_NAME="%s"\n' "$SECRET" "$SECRET" >"$H/etc/shadow"
printf 'DISTRIB_ID=%s\n' "$SECRET" >"$H/etc/lsb-release"
printf 'Package: %s\nVersion: 1.0\nArchitecture: all\nDescription: %s\n\n' "$SECRET" "$SECRET" \
    >"$H/lists/host_dists_main_binary-amd64_Packages"
printf '%%NAME%%\n%s\n\n%%VERSION%%\n1.0-1\n\n%%DESC%%\n%s\n' "$SECRET" "$SECRET" \
    >"$H/pacdb/local/secretpkg-1.0-1/desc"
python3 - "$H/pacdb/sync/core.db" "$SECRET" <<'EOF'
import io, sys, tarfile
path, secret = sys.argv[1], sys.argv[2]
desc = f"%NAME%\n{secret}\n\n%VERSION%\n1.0-1\n\n%DESC%\n{secret}\n".encode()
with tarfile.open(path, "w:gz") as tar:
    info = tarfile.TarInfo(f"{secret}-1.0-1/desc")
    info.size = len(desc)
    tar.addfile(info, io.BytesIO(desc))
EOF
cp "$H/pacdb/sync/core.db" "$H/pacdb/sync/extra.db"
# How deep the image sits below "/", so a ".." chain from inside it would reach the host's "/".
UP=$(printf '../%.0s' $(seq 1 40))

# ---- the image: fake managers that leave a marker if they ever run, and links that try to get out ----
R="$SCRATCH/image"
MARKS="$SCRATCH/marks"
mkdir -p "$MARKS"
for exe in /usr/bin/apt /usr/bin/apt-get /usr/bin/dpkg /usr/bin/pacman /usr/bin/npm /usr/bin/dnf /usr/bin/pip \
    /usr/bin/cargo /usr/bin/gem /usr/bin/flatpak /usr/bin/zypper /usr/bin/snap /opt/homebrew/bin/brew \
    /home/linuxbrew/.linuxbrew/bin/brew; do
    mkdir -p "$(dirname "$R$exe")"
    printf '#!/bin/sh\ntouch "%s/%s"\necho "%s 9.9.9"\n' "$MARKS" "$(basename "$exe")" "$(basename "$exe")" \
        >"$R$exe"
    chmod 755 "$R$exe"
done
mkdir -p "$R/etc" "$R/var/lib/dpkg" "$R/var/lib/apt/lists" "$R/var/lib/pacman/local/pacman-6.1.0-3" \
    "$R/var/lib/pacman/sync"
ln -s "$H/etc/shadow" "$R/etc/os-release"       # absolute: names a host file by its host path
ln -s "${UP}${H#/}/etc/lsb-release" "$R/etc/lsb-release" # a ".." chain far above the image
printf 'Package: apt\nStatus: install ok installed\nVersion: 2.6.1\n\nPackage: dpkg\nStatus: install ok installed\nVersion: 1.21.22\n' \
    >"$R/var/lib/dpkg/status"
printf 'Package: imagepkg\nVersion: 3.0\nArchitecture: all\nDescription: the image own package\n' \
    >"$R/var/lib/apt/lists/image_dists_main_binary-amd64_Packages"
ln -s "$H/lists/host_dists_main_binary-amd64_Packages" "$R/var/lib/apt/lists/abs_dists_main_binary-amd64_Packages"
ln -s "${UP}${H#/}/lists/host_dists_main_binary-amd64_Packages" \
    "$R/var/lib/apt/lists/up_dists_main_binary-amd64_Packages"
printf '%%NAME%%\npacman\n\n%%VERSION%%\n6.1.0-3\n' >"$R/var/lib/pacman/local/pacman-6.1.0-3/desc"
# pacman.conf's DBPath climbs out of the image towards the host's databases.
printf '[options]\nDBPath = %s%s/pacdb/\n\n[core]\n[extra]\n' "$UP" "${H#/}" >"$R/etc/pacman.conf"
ln -s "$H/pacdb/sync/core.db" "$R/var/lib/pacman/sync/core.db"

# zr ARGS...: zsyncctl under the image, with a PATH whose directories are looked up inside the image.
zr() {
    OUT=$(env -u HOMEBREW_PREFIX ZSYNCCTL_OS=linux ZSYNCCTL_ARCH=x86_64 HOME=/root PATH=/usr/bin:/bin \
        "$TIMEOUT_BIN" -k 2 "${TIMEOUT:-20}" "$ZSYNCCTL" --no-cache "$@" 2>"$SCRATCH/stderr")
    CODE=$?
    ERR=$(cat "$SCRATCH/stderr")
}

# clean WHAT: no marker was created, and the secret is in neither stdout nor stderr.
clean() {
    local ran
    ran=$(ls "$MARKS")
    if [ -z "$ran" ]; then ok; else fail "$1: executed inside the root: $ran"; fi
    rm -f "$MARKS"/* # each command is judged on its own
    case "$OUT$ERR" in
    *"$SECRET"*) fail "$1: a host file leaked through a link: ${OUT:0:300} ${ERR:0:300}" ;;
    *) ok ;;
    esac
}

# ---- confined reads, nothing executed ----
zr --root "$R" pkg managers --json
expect_exit_code() { if [ "$CODE" -eq "$1" ]; then ok; else fail "$2: exit $CODE (stderr: ${ERR:0:300})"; fi; }
expect_exit_code 0 "pkg managers"
expect_json "{'apt','dpkg','pacman','npm','dnf'} <= {m['name'] for m in d if m['detected']}" "image managers detected"
expect_json "all(m['path'] is None or not m['path'].startswith('$H') for m in d)" "no host path in detection"
clean "pkg managers"

# PATH directories are looked up inside the image: an executable in a host PATH directory is not found.
mkdir -p "$SCRATCH/hostbin"
printf '#!/bin/sh\ntouch "%s/yay"\n' "$MARKS" >"$SCRATCH/hostbin/yay" && chmod 755 "$SCRATCH/hostbin/yay"
OUT=$(env -u HOMEBREW_PREFIX ZSYNCCTL_OS=linux ZSYNCCTL_ARCH=x86_64 HOME=/root PATH="$SCRATCH/hostbin:/usr/bin:/bin" \
    "$TIMEOUT_BIN" -k 2 20 "$ZSYNCCTL" --no-cache --root "$R" pkg managers --json --versions 2>"$SCRATCH/stderr")
CODE=$?
ERR=$(cat "$SCRATCH/stderr")
expect_json "'yay' not in {m['name'] for m in d if m['detected']}" "a host PATH executable is not detected under --root"
clean "pkg managers with a host PATH directory"

zr --root "$R" pkg managers --json --versions --timeout 2
expect_exit_code 0 "pkg managers --versions"
expect_json "{m['name']: m['version'] for m in d if m['name'] in ('apt','dpkg','pacman')}=={'apt':'2.6.1','dpkg':'1.21.22','pacman':'6.1.0-3'}" \
    "versions come from the image's package databases"
expect_json "[m['version_error'] for m in d if m['name']=='dnf']==['unknown (not executed under --root)']" \
    "dnf's version is unknown, not run"
clean "pkg managers --versions"

zr --root "$R" pkg managers --versions --timeout 2
expect_contains "$OUT" "2.6.1" "text --versions shows the dpkg status version"
clean "pkg managers --versions (text)"

zr --root "$R" doctor --json --versions
if [ "$CODE" -le 1 ]; then ok; else fail "doctor --versions: exit $CODE (${ERR:0:300})"; fi
expect_json "d['overrides']['root']=='$R'" "doctor names the root"
clean "doctor --versions"

zr --root "$R" doctor
clean "doctor (text)"

zr --root "$R" pkg paths --json
expect_exit_code 0 "pkg paths"
clean "pkg paths"

# The image's own apt lists are searched; links to the host's lists are followed inside the image.
zr --root "$R" pkg search imagepkg --manager apt --json
expect_exit_code 0 "apt search in the image"
expect_contains "$OUT" "imagepkg" "the image's own package list is read"
clean "apt search"
zr --root "$R" pkg search "${SECRET:0:10}" --manager apt --json # a prefix: the query is echoed
expect_exit_code 1 "apt search for the host's package"
clean "apt search for the secret"

# pacman's DBPath climbs out, and its sync db is an absolute link: neither reaches the host's databases.
zr --root "$R" pkg search "${SECRET:0:10}" --manager pacman --json
if [ "$CODE" -ne 0 ]; then ok; else fail "pacman search found the host's package"; fi
clean "pacman search (DBPath with ..)"

# The default search (every detected manager) never runs the image's executables either.
zr --root "$R" pkg search "${SECRET:0:10}" --json --timeout 3
if [ "$CODE" -le 1 ]; then ok; else fail "default search under the image: exit $CODE (${ERR:0:300})"; fi
clean "default search"

# Symlink loops inside the image whose links, followed by the host, lead out: the walk gives up on a loop, and
# no host path through the link may be opened instead (`ln -s /var/lib/dpkg IMAGE/var/lib/dpkg` once listed
# the host's packages). Image R3: var/lib/dpkg -> HOST/dpkg with R3/HOST/dpkg -> /var/lib/dpkg (a loop in
# the image, the host's secret database on the host), and the same for the apt lists.
mkdir -p "$H/dpkg"
printf 'Package: %s\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n' "$SECRET" >"$H/dpkg/status"
R3="$SCRATCH/image3"
mkdir -p "$R3/usr/bin" "$R3/var/lib/apt" "$R3/${H#/}" "$R3/etc/apt"
cp "$R/usr/bin/apt-get" "$R/usr/bin/apt" "$R/usr/bin/dpkg" "$R3/usr/bin/"
ln -s "$H/dpkg" "$R3/var/lib/dpkg"
ln -s /var/lib/dpkg "$R3/${H#/}/dpkg"
ln -s "$H/lists" "$R3/var/lib/apt/lists"
ln -s /var/lib/apt/lists "$R3/${H#/}/lists"
for cmd in "pkg list -m apt" "pkg list -m dpkg" "pkg search ${SECRET:0:10} -m apt --json" "pkg outdated -m apt" \
    "pkg info -m apt imagepkg" "doctor --json"; do
    # shellcheck disable=SC2086 # the command's words
    zr --root "$R3" $cmd
    [ "$CODE" -le 3 ] && ok || fail "--root with a link loop: $cmd: exit $CODE (${ERR:0:300})"
    clean "--root with a link loop: $cmd"
done
# The self-loop form: IMAGE/var/lib/dpkg -> /var/lib/dpkg, which on the host is the host's own database.
R4="$SCRATCH/image4"
mkdir -p "$R4/usr/bin" "$R4/var/lib"
cp "$R/usr/bin/apt-get" "$R/usr/bin/dpkg" "$R4/usr/bin/"
ln -s /var/lib/dpkg "$R4/var/lib/dpkg"
zr --root "$R4" --json pkg list -m apt
if [ -f /var/lib/dpkg/status ] && printf '%s' "$OUT" | grep -q '"name": *"dpkg"'; then
    fail "--root with IMAGE/var/lib/dpkg -> /var/lib/dpkg listed the host's packages"
else ok; fi
expect_contains "$OUT" "var/lib/dpkg/status leads through a symlink loop" "the loop is named, not followed"
clean "--root with a self loop"

# ---- a root that is the live system is the live system ----
ln -s / "$SCRATCH/slash"
run_z --no-cache pkg managers --json
HOST_SET=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(sorted(m["name"] for m in json.load(sys.stdin) if m["detected"]))')
run_z --no-cache --root "$SCRATCH/slash" pkg managers --json
LINK_SET=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(sorted(m["name"] for m in json.load(sys.stdin) if m["detected"]))' 2>/dev/null)
if [ "$CODE" -eq 0 ] && [ "$HOST_SET" = "$LINK_SET" ]; then ok; else
    fail "symlink to /: managers '$LINK_SET' (exit $CODE), host '$HOST_SET'"
fi
run_z --root "$SCRATCH/slash" doctor --json platform.os
expect_json "d['overrides']['root'] is None" "symlink to /: doctor reports no root override"
if [ -r /proc/1/root/ ] && [ "$(stat -Lc %d:%i /proc/1/root)" = "$(stat -Lc %d:%i /)" ]; then
    run_z --root /proc/1/root doctor --json platform.os
    expect_json "d['overrides']['root'] is None" "/proc/1/root in our mount namespace is the host"
fi
# apt against the live system never gets the foreign-image settings (no lock bypass, no --force-not-root).
if command -v apt-get >/dev/null; then
    run_z --no-cache --root "$SCRATCH/slash" --json pkg install --dry-run apt:hello
    case "$OUT$ERR" in
    *NoLocking* | *force-not-root*) fail "apt plan against the live system bypasses its locks: ${OUT:0:400}" ;;
    *) ok ;;
    esac
    run_z --no-cache --root "$R" --json pkg install --dry-run apt:hello
    expect_contains "$OUT" "Dir=$R" "apt plan under an image root points apt at it"
    clean "pkg install --dry-run under the image"
fi

# ---- a missing or non-directory DIR is a usage error for every command ----
: >"$SCRATCH/plain-file"
for bad in "$SCRATCH/nonexistent" "$SCRATCH/plain-file" /etc/passwd; do
    for cmd in "doctor" "pkg managers" "pkg search zzzz" "pkg paths" "pkg managers --versions"; do
        # shellcheck disable=SC2086
        run_z --root "$bad" $cmd
        lines=$(printf '%s\n' "$ERR" | wc -l)
        if [ "$CODE" -eq 2 ] && [ -z "$OUT" ] && [ "$lines" -eq 1 ]; then ok; else
            fail "--root $bad $cmd: exit $CODE, stdout '${OUT:0:100}', stderr '$ERR'"
        fi
        expect_contains "$ERR" "zsyncctl: error: --root: root directory $bad" "--root $bad $cmd: the error names DIR"
    done
    ZSYNCCTL_ROOT="$bad" run_z doctor
    if [ "$CODE" -eq 2 ]; then ok; else fail "ZSYNCCTL_ROOT=$bad doctor: exit $CODE"; fi
    expect_contains "$ERR" "zsyncctl: error: ZSYNCCTL_ROOT: " "ZSYNCCTL_ROOT=$bad: the error names the variable"
done
clean "usage errors"

finish
