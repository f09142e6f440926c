#!/bin/bash
# What the managers root runs read: never a file another user or a --root image controls. With the real
# apt, apt-key, gpgv and dpkg on a scratch root fed by a signed local repository:
#  1. the image's apt.conf.d and apt.conf set Dir::Bin::dpkg and APT::Key::gpgvcommand to programs that
#     leave a mark. apt-get itself reads the host's configuration, but the helpers the gpgv method starts
#     (apt-key, apt-config) re-read the files Dir::Etc::Parts/Main name, and with Dir= those were the
#     image's. `pkg refresh` and `pkg install` under --root must run neither (the same apt-get with the
#     old Dir::Etc::Parts is run first and must run them: the oracle that the hole is real here).
#  2. root with a real user's HOME and XDG_CONFIG_HOME (what `sudo -E` keeps): dpkg reads ~/.dpkg.cfg,
#     whose status-logger is a shell command. With a root-owned HOME the mark appears (dpkg really reads
#     it); with the user's HOME it must not, the package's postinst must see root's home directory and no
#     XDG_CONFIG_HOME, and nothing under the user's HOME may become root's. The same for the user's
#     PYTHONPATH (python3 imports its sitecustomize.py), NODE_OPTIONS, and a PATH whose first directory
#     (the user's) has an apt-get: root must run the real one (with root's own such PATH it runs that).
#  3. root with a user's NPM_CONFIG_PREFIX: the real npm would install root-owned files into the user's
#     prefix; zsyncctl refuses (exit 2) and installs into a prefix root owns.
. "$TESTS_DIR/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root: it runs apt as root and creates a user"
for tool in gpg gpgv runuser useradd; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (gpg, gpgv, util-linux, passwd)"
done
. "$TESTS_DIR/apt_scratch.sh"

T="$SCRATCH"
R="$T/root"
chmod 0711 "$T" # apt's helpers run as _apt and the marks are written by whoever runs them
MARKS="$T/marks"
mkdir -p "$MARKS"
chmod 1777 "$MARKS"
marks() { (cd "$MARKS" && ls -A); }

# A signed repository: apt verifies it with the gpgv method, which runs apt-key (Debian 12) or gpgv.
export GNUPGHOME="$T/gnupg"
mkdir -p -m 700 "$GNUPGHOME"
gpg -q --batch --passphrase '' --quick-gen-key zs-trust@example.invalid ed25519 sign 2>"$T/gpg.log" ||
    skip "gpg cannot make a key: $(tail -1 "$T/gpg.log")"
deb() { # NAME: a package whose postinst records its environment in $DPKG_ROOT/env-NAME
    local d="$T/build/$1"
    mkdir -p "$d/DEBIAN"
    printf 'Package: %s\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: trust test\n' \
        "$1" >"$d/DEBIAN/control"
    # It records what it was given and runs python3 (which imports a sitecustomize.py on PYTHONPATH).
    cat >"$d/DEBIAN/postinst" <<POSTINST
#!/bin/sh
{
    echo "HOME=\$HOME"
    echo "XDG_CONFIG_HOME=\${XDG_CONFIG_HOME-unset}"
    echo "PYTHONPATH=\${PYTHONPATH-unset}"
    echo "NODE_OPTIONS=\${NODE_OPTIONS-unset}"
} >"\$DPKG_ROOT/env-$1"
python3 -c pass || true
POSTINST
    chmod 755 "$d/DEBIAN/postinst"
    dpkg-deb -b "$d" "$T/repo/$1_1.0_all.deb" >/dev/null || fail "dpkg-deb $1"
}
apt_scratch_root "$R" "$T/repo"
for p in zs-trust-a zs-trust-b zs-trust-c; do deb "$p"; done
(
    cd "$T/repo" || exit 1
    dpkg-scanpackages . /dev/null >Packages 2>/dev/null || exit 1
    {
        echo "Origin: zs-trust"
        echo "Date: $(date -Ru)"
        echo "SHA256:"
        echo " $(sha256sum Packages | cut -d' ' -f1) $(stat -c %s Packages) Packages"
    } >Release
    gpg -q --batch --yes --clearsign -o InRelease Release
) || fail "cannot sign the repository"
mkdir -p "$R/etc/apt/trusted.gpg.d"
gpg -q --export zs-trust@example.invalid >"$R/etc/apt/trusted.gpg.d/zs-trust.gpg"
echo "deb file:$T/repo ./" >"$R/etc/apt/sources.list"

# The image's apt configuration: programs that leave a mark, then do the real work.
printf '#!/bin/sh\ntouch %s/image-dpkg.$(id -u)\nexec /usr/bin/dpkg "$@"\n' "$MARKS" >"$T/evil-dpkg"
printf '#!/bin/sh\ntouch %s/image-gpgv.$(id -u)\nexec gpgv "$@"\n' "$MARKS" >"$T/evil-gpgv"
chmod 755 "$T/evil-dpkg" "$T/evil-gpgv"
printf 'Dir::Bin::dpkg "%s";\nAPT::Key::gpgvcommand "%s";\n' "$T/evil-dpkg" "$T/evil-gpgv" \
    >"$R/etc/apt/apt.conf.d/99image"
printf 'Dir::Bin::dpkg "%s";\n' "$T/evil-dpkg" >"$R/etc/apt/apt.conf"

# Maintainer scripts run without chroot (the scratch root has no /bin/sh); $DPKG_ROOT is the root.
export ZSYNCCTL_APT_OPTIONS="DPkg::Options::=--force-script-chrootless"

# --- 1. the image's apt configuration ----------------------------------------------------------------
# The oracle: apt-get update as zsyncctl ran it before (Dir::Etc::Parts inside the image).
if command -v apt-key >/dev/null; then
    timeout 120 apt-get -q -o "Dir=$R" -o "Dir::State::status=$R/var/lib/dpkg/status" \
        -o "Dir::Etc::SourceList=$R/etc/apt/sources.list" -o "Dir::Etc::SourceParts=$R/etc/apt/sources.list.d" \
        -o "Dir::Etc::Parts=$R/etc/apt/apt.conf.d" update >"$T/oracle.log" 2>&1 ||
        fail "oracle apt-get update failed: $(tail -3 "$T/oracle.log")"
    case "$(marks)" in
    *image-*) ok ;;
    *) fail "oracle: apt's helpers did not run the image's programs with Dir::Etc::Parts in the image (marks: $(marks))" ;;
    esac
    rm -rf "$R/var/lib/apt/lists"/*_Packages* "$R/var/lib/apt/lists"/*Release "$MARKS"/*
else
    echo "note: no apt-key here; the oracle run is left out"
fi

TIMEOUT=120 expect_exit 0 "pkg refresh -m apt under --root with a signed repository" --root "$R" pkg refresh -m apt -y
same "marks after pkg refresh (the image's Dir::Bin::dpkg / gpgvcommand run)" "$(marks)" ""
if ls "$R/var/lib/apt/lists/"*_Packages* >/dev/null 2>&1; then ok; else
    fail "pkg refresh wrote no Packages list into the root (ls: $(ls "$R/var/lib/apt/lists/"))"
fi
# The plan names the pinned configuration files.
run_z --json --root "$R" pkg install -n apt:zs-trust-a
expect_json "'Dir::Etc::Parts=/dev/null' in d['argv'] and 'Dir::Etc::Main=/dev/null' in d['argv'] and not any('apt.conf' in a for a in d['argv'])" \
    "the plan's apt configuration files"
TIMEOUT=120 expect_exit 0 "pkg install under --root" --root "$R" pkg install -m apt -y zs-trust-a
same "marks after pkg install" "$(marks)" ""
same "zs-trust-a installed in the root" \
    "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Status}' zs-trust-a 2>/dev/null)" "install ok installed"

# --- 2. root with another user's HOME ---------------------------------------------------------------
test_user
ROOT_HOME=$(getent passwd 0 | cut -d: -f6)
HU="$T/home-user"
HR="$T/home-root"
mkdir -p "$HU/.config" "$HR"
for h in "$HU" "$HR"; do
    printf 'status-logger=cat >>%s/dpkg-cfg.%s\n' "$MARKS" "${h##*-}" >"$h/.dpkg.cfg"
    mkdir -p "$h/py" "$h/bin"
    printf 'open("%s/sitecustomize.%s", "w").close()\n' "$MARKS" "${h##*-}" >"$h/py/sitecustomize.py"
    # A program of the manager's name first on PATH: it leaves a mark, then runs the real one. (apt runs
    # dpkg and the maintainer scripts with its own DPkg::Path.)
    for prog in apt-get; do
        printf '#!/bin/sh\ntouch %s/%s.%s\nexec /usr/bin/%s "$@"\n' "$MARKS" "$prog" "${h##*-}" "$prog" >"$h/bin/$prog"
        chmod 755 "$h/bin/$prog"
    done
done
chown -R "$U" "$HU"
chmod 755 "$HU"

# The oracle: with a HOME root owns, dpkg reads its .dpkg.cfg and runs the status logger.
HOME="$HR" PYTHONPATH="$HR/py" PATH="$HR/bin:$PATH" TIMEOUT=120 expect_exit 0 "install with root's own HOME" \
    --root "$R" pkg install -m apt -y zs-trust-b
same "oracle: marks with root's own HOME, PYTHONPATH and PATH" "$(marks | sort | tr '\n' ' ')" \
    "apt-get.root dpkg-cfg.root sitecustomize.root "
rm -f "$MARKS"/*

touch "$T/before"
HOME="$HU" XDG_CONFIG_HOME="$HU/.config" PYTHONPATH="$HU/py" NODE_OPTIONS="--require $HU/x.js" \
    PATH="$HU/bin:$PATH" TIMEOUT=120 expect_exit 0 "install with the user's HOME" --root "$R" pkg install -m apt -y zs-trust-c
same "marks with the user's HOME, PYTHONPATH and PATH (their .dpkg.cfg, sitecustomize.py or programs ran)" \
    "$(marks)" ""
same "the postinst's environment with the user's HOME" "$(cat "$R/env-zs-trust-c" 2>/dev/null)" \
    "HOME=$ROOT_HOME
XDG_CONFIG_HOME=unset
PYTHONPATH=unset
NODE_OPTIONS=unset"
same "root-owned files under the user's HOME" "$(find "$HU" -uid 0 -printf '%P\n' | sort)" ""
# With root's own HOME the managers keep it.
same "the postinst's HOME with root's own HOME" "$(head -1 "$R/env-zs-trust-b" 2>/dev/null)" "HOME=$HR"

# --- 3. root with another user's npm prefix ----------------------------------------------------------
# The real npm and a registry on 127.0.0.1 (npm_scratch.sh: it takes over HOME, R and npm's settings).
# NPM_CONFIG_PREFIX naming a directory the user owns (sudo -E keeps it): root must install nothing there
# (npm put root-owned files into the user's tree); with a prefix root owns the same install works.
if command -v npm >/dev/null; then
    . "$TESTS_DIR/npm_scratch.sh"
    publish zs-trust-npm 1.0.0
    UP="$T/user-prefix"
    mkdir -p "$UP"
    chown "$U" "$UP"
    NPM_CONFIG_PREFIX="$UP" TIMEOUT=120 expect_exit 2 "npm install as root into the user's prefix" \
        pkg install -m npm -y zs-trust-npm
    expect_contains "$ERR" "is a location another user controls" "the refusal says why"
    same "the user's prefix after the refused install" "$(find "$UP" -mindepth 1 | head -3)" ""
    NPM_CONFIG_PREFIX="$UP" TIMEOUT=60 expect_exit 2 "the plan is refused too" --json pkg install -n npm:zs-trust-npm
    TIMEOUT=120 expect_exit 0 "npm install as root into root's prefix" pkg install -m npm -y zs-trust-npm
    [ -f "$T/prefix/lib/node_modules/zs-trust-npm/package.json" ] && ok ||
        fail "zs-trust-npm is not in root's prefix: $(find "$T/prefix" -maxdepth 3 | head)"
    npm_registry_stop
else
    echo "note: npm is not installed; the npm prefix part is left out"
fi

finish
