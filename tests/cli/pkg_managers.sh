#!/usr/bin/env bash
# End-to-end tests of `zsyncctl pkg managers` and `zsyncctl pkg paths` over fixture roots.
. "$(dirname "$0")/lib.sh"

# mk ROOT FILE [MODE]: creates an executable (or MODE) file inside a fixture root.
mk() {
    mkdir -p "$(dirname "$1$2")"
    printf '#!/bin/sh\necho "%s 1.2.3"\n' "$(basename "$2")" >"$1$2"
    chmod "${3:-755}" "$1$2"
}

TIMEOUT_BIN=$(command -v timeout)

# zr ROOT OS ARCH PATH ARGS...: runs zsyncctl on a fixture root with a given OS/arch/PATH/HOME.
zr() {
    local root=$1 os=$2 arch=$3 path=$4
    shift 4
    local t=${TIMEOUT:-10}
    OUT=$(env -u HOMEBREW_PREFIX ZSYNCCTL_OS="$os" ZSYNCCTL_ARCH="$arch" HOME=/home/u PATH="$path" \
        "$TIMEOUT_BIN" -k 2 "$t" "$ZSYNCCTL" --root "$root" "$@" 2>"$SCRATCH/stderr")
    CODE=$?
    ERR=$(cat "$SCRATCH/stderr")
}

names() { printf '%s' "$OUT" | python3 -c 'import json,sys; print(" ".join(sorted(m["name"] for m in json.load(sys.stdin) if m["detected"])))'; }

# ---- every registry entry, from a fixture holding the file it is detected by ----
# id os file (hand-written, independent of the table in registry.cpp)
while read -r id os file; do
    [ -n "$id" ] || continue
    R="$SCRATCH/entry-$id"
    if [ "$id" = sdkman ] || [ "$id" = nvm ]; then
        mkdir -p "$(dirname "$R$file")" && : >"$R$file"
    else
        mk "$R" "$file"
    fi
    zr "$R" "$os" x86_64 /usr/bin:/bin pkg managers --json --no-cache
    got=$(names)
    if [ "$CODE" -eq 0 ] && [ "$got" = "$id" ]; then ok; else fail "$id: detected '$got' (exit $CODE, $ERR)"; fi
done <<'EOF'
apt linux /usr/bin/apt-get
dpkg linux /usr/bin/dpkg
nala linux /usr/bin/nala
dnf linux /usr/bin/dnf
yum linux /usr/bin/yum
zypper linux /usr/bin/zypper
rpm linux /bin/rpm
pacman linux /usr/bin/pacman
yay linux /usr/bin/yay
paru linux /usr/bin/paru
apk linux /sbin/apk
xbps linux /usr/bin/xbps-install
portage linux /usr/bin/emerge
eopkg linux /usr/bin/eopkg
opkg linux /bin/opkg
nix linux /home/u/.nix-profile/bin/nix-env
guix linux /home/u/.config/guix/current/bin/guix
homebrew macos /opt/homebrew/bin/brew
macports macos /opt/local/bin/port
pkg freebsd /usr/sbin/pkg
chocolatey windows /ProgramData/chocolatey/bin/choco.exe
snap linux /usr/bin/snap
flatpak linux /usr/bin/flatpak
mas macos /usr/local/bin/mas
scoop windows /home/u/scoop/shims/scoop.cmd
winget windows /usr/bin/winget.exe
npm linux /usr/bin/npm
pnpm linux /home/u/.local/share/pnpm/pnpm
yarn linux /usr/bin/yarnpkg
bun linux /home/u/.bun/bin/bun
pip linux /usr/bin/pip3
pipx linux /home/u/.local/bin/pipx
uv linux /home/u/.cargo/bin/uv
conda linux /opt/conda/bin/conda
cargo linux /home/u/.cargo/bin/cargo
gem linux /usr/bin/gem
go linux /usr/local/go/bin/go
composer linux /bin/composer
cpanm linux /usr/bin/cpanm
luarocks linux /usr/bin/luarocks
opam linux /usr/bin/opam
cabal linux /home/u/.ghcup/bin/cabal
dotnet linux /usr/share/dotnet/dotnet
vcpkg linux /usr/bin/vcpkg
conan linux /usr/bin/conan
spack linux /usr/bin/spack
rustup linux /home/u/.cargo/bin/rustup
sdkman linux /home/u/.sdkman/bin/sdkman-init.sh
asdf linux /home/u/.asdf/bin/asdf
mise linux /home/u/.local/bin/mise
pyenv linux /home/u/.pyenv/bin/pyenv
rbenv linux /home/u/.rbenv/bin/rbenv
nvm linux /home/u/.nvm/nvm.sh
volta linux /home/u/.volta/bin/volta
fnm linux /home/u/.local/share/fnm/fnm
EOF

# The fixture list above names every registry entry.
run_z pkg managers --all --json --no-cache
expect_json "len(d) >= 32 and all(k in m for m in d for k in ('name','kind','path','version','detected'))" "--all lists the registry"
want=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(" ".join(sorted(m["name"] for m in json.load(sys.stdin))))')
have=$(grep -oE '^[a-z0-9-]+ (linux|macos|windows|freebsd) ' "$0" | cut -d' ' -f1 | sort -u | tr '\n' ' ' | sed 's/ $//')
if [ "$want" = "$have" ]; then ok; else fail "fixture list differs from the registry: registry='$want' fixtures='$have'"; fi

# ---- JSON shape, lock group, evidence ----
R="$SCRATCH/pacman"
mk "$R" /usr/bin/pacman
mkdir -p "$R/var/lib/pacman/local"
zr "$R" linux x86_64 /usr/bin pkg managers --json --no-cache
expect_json "d[0]['name']=='pacman' and d[0]['path']=='/usr/bin/pacman' and d[0]['version'] is None and d[0]['detected'] is True" "pacman JSON"
expect_json "d[0]['lock_group']=='pacman-db' and d[0]['needs_root'] is True and d[0]['kind']=='system'" "pacman facts"
expect_json "d[0]['evidence']==['PATH entry /usr/bin','db /var/lib/pacman/local']" "pacman evidence"
zr "$R" linux x86_64 /usr/bin pkg managers
expect_contains "$OUT" "pacman" "table lists pacman"
expect_contains "$OUT" "pacman-db" "table shows the lock group"
# The long PATH column comes last, so a narrow terminal wraps only it.
[ "$(printf '%s\n' "$OUT" | head -2 | tr -s ' ')" = "MANAGER KIND LOCK PATH
pacman system pacman-db /usr/bin/pacman" ] && ok || fail "table columns: $OUT"
zr "$R" linux x86_64 /usr/bin pkg managers --all
expect_contains "$OUT" "not found" "--all marks missing managers"
expect_contains "$OUT" "other OS" "--all marks other-OS managers"
[ "$(printf '%s\n' "$OUT" | head -1 | tr -s ' ')" = "MANAGER STATUS KIND LOCK PATH" ] && ok || fail "--all columns: $(printf '%s' "$OUT" | head -1)"

# ---- PATH pitfalls: a directory, a non-executable file, a dangling symlink, a symlinked executable ----
R="$SCRATCH/pitfalls"
mkdir -p "$R/a/pacman" "$R/opt/real"
printf 'x' >"$R/a/apk"
chmod 644 "$R/a/apk"
ln -s /nowhere/dnf "$R/a/dnf"
mk "$R" /opt/real/zypper
ln -s /opt/real/zypper "$R/a/zypper"
zr "$R" linux x86_64 /a pkg managers --json --no-cache
got=$(names)
if [ "$got" = "zypper" ]; then ok; else fail "pitfalls: detected '$got', wanted only zypper"; fi
zr "$R" linux x86_64 /a pkg managers -v --no-cache
expect_contains "$ERR" "ignored /a/pacman: a directory" "directory reported"
expect_contains "$ERR" "ignored /a/apk: not executable" "non-executable reported"
expect_contains "$ERR" "ignored /a/dnf: a dangling symlink" "dangling symlink reported"

# ---- Homebrew: arm64, x86_64, both, Linux ----
R="$SCRATCH/brew-arm"
mk "$R" /opt/homebrew/bin/brew
zr "$R" macos arm64 /usr/bin pkg managers --json --no-cache
expect_json "[m['path'] for m in d]==['/opt/homebrew/bin/brew'] and d[0]['mismatch'] is None" "arm64 brew"
R="$SCRATCH/brew-intel"
mk "$R" /usr/local/bin/brew
zr "$R" macos x86_64 /usr/bin pkg managers --json --no-cache
expect_json "[m['prefix'] for m in d]==['/usr/local'] and d[0]['mismatch'] is None" "x86_64 brew"
zr "$R" macos arm64 /usr/bin pkg managers --json --no-cache
expect_json "d[0]['prefix']=='/usr/local' and 'Rosetta' in d[0]['mismatch']" "Intel brew on arm64 flagged"
R="$SCRATCH/brew-both"
mk "$R" /opt/homebrew/bin/brew
mk "$R" /usr/local/bin/brew
zr "$R" macos arm64 /usr/local/bin:/usr/bin pkg managers --json --no-cache
expect_json "[(m['prefix'],m['preferred']) for m in d]==[('/opt/homebrew',True),('/usr/local',False)]" "both brews, native first"
zr "$R" macos arm64 /usr/bin pkg managers --no-cache
expect_contains "$ERR" "several Homebrew installations" "two brews warned"
expect_contains "$ERR" "Rosetta" "mismatch warned"
R="$SCRATCH/brew-linux"
mk "$R" /home/linuxbrew/.linuxbrew/bin/brew
mk "$R" /opt/homebrew/bin/brew
zr "$R" linux x86_64 /usr/bin pkg managers --json --no-cache
expect_json "[m['prefix'] for m in d]==['/home/linuxbrew/.linuxbrew']" "Linux brew only in linuxbrew"

# ---- pkg paths ----
R="$SCRATCH/brew-arm"
mkdir -p "$R/opt/homebrew/lib/pkgconfig" "$R/opt/homebrew/include" "$R/opt/homebrew/opt/libpq/bin" \
    "$R/opt/homebrew/opt/libpq/lib" "$R/opt/homebrew/opt/wget/bin" "$R/opt/homebrew/var/homebrew/linked/wget"
zr "$R" macos arm64 /usr/bin pkg paths --json --no-cache
expect_json "d['schema_version']==1 and d['managers'][0]['name']=='homebrew'" "paths JSON: versioned"
paths_json=$OUT
P="d['managers'][0]['paths']"
expect_json "$P['prefix']=='/opt/homebrew' and $P['bin']==['/opt/homebrew/bin','/opt/homebrew/opt/libpq/bin']" "paths JSON bin"
expect_json "$P['lib']==['/opt/homebrew/lib','/opt/homebrew/opt/libpq/lib'] and $P['include']==['/opt/homebrew/include'] and $P['keg_only']==['libpq']" "paths JSON lib/include/keg-only"
# doctor --json shows the same object for the same manager.
zr "$R" macos arm64 /usr/bin doctor --json --no-cache
doctor_paths=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.dumps([m["paths"] for m in json.load(sys.stdin)["facts"]["package_managers"]], sort_keys=True))')
pkg_paths=$(printf '%s' "$paths_json" | python3 -c 'import json,sys; print(json.dumps([m["paths"] for m in json.load(sys.stdin)["managers"]], sort_keys=True))')
[ -n "$pkg_paths" ] && [ "$doctor_paths" = "$pkg_paths" ] && ok || fail "doctor paths [$doctor_paths] differ from pkg paths [$pkg_paths]"
zr "$R" macos arm64 /usr/bin pkg paths homebrew --shell bash --no-cache
exports=$OUT
if [ "$CODE" -eq 0 ] && (
    PATH=/usr/bin:/bin LIBRARY_PATH= CPATH=/x PKG_CONFIG_PATH=
    eval "$exports" || exit 1
    [ "$PATH" = "/opt/homebrew/bin:/opt/homebrew/opt/libpq/bin:/usr/bin:/bin" ] || exit 2
    [ "$LIBRARY_PATH" = "/opt/homebrew/lib:/opt/homebrew/opt/libpq/lib" ] || exit 3
    [ "$CPATH" = "/opt/homebrew/include:/x" ] || exit 4
    [ "$PKG_CONFIG_PATH" = "/opt/homebrew/lib/pkgconfig" ] || exit 5
    # Evaluated again (a second shell startup, a re-sourced rc file): nothing changes.
    before="$PATH|$LIBRARY_PATH|$CPATH|$PKG_CONFIG_PATH"
    eval "$exports" || exit 6
    [ "$PATH|$LIBRARY_PATH|$CPATH|$PKG_CONFIG_PATH" = "$before" ] || exit 7
    # A directory already on PATH, even behind others, is not prepended again.
    PATH=/usr/bin:/opt/homebrew/bin
    eval "$exports" || exit 8
    [ "$PATH" = "/opt/homebrew/opt/libpq/bin:/usr/bin:/opt/homebrew/bin" ] || exit 9
); then ok; else fail "bash eval of --shell bash (exit $?): $exports"; fi
# -m names the manager as in the other pkg commands: the same lines as the operand; both must agree.
zr "$R" macos arm64 /usr/bin pkg paths -m homebrew --shell bash --no-cache
[ "$CODE" = 0 ] && [ "$OUT" = "$exports" ] && ok || fail "pkg paths -m homebrew differs from the operand (exit $CODE): $OUT"
zr "$R" macos arm64 /usr/bin pkg paths homebrew --manager homebrew --shell bash --no-cache
[ "$CODE" = 0 ] && [ "$OUT" = "$exports" ] && ok || fail "pkg paths homebrew --manager homebrew (exit $CODE): $ERR"
zr "$R" macos arm64 /usr/bin pkg paths homebrew -m npm --no-cache
[ "$CODE" = 2 ] && ok || fail "pkg paths homebrew -m npm: exit $CODE, wanted 2"
expect_contains "$ERR" "differ" "two different managers are refused"
if command -v zsh >/dev/null; then
    zr "$R" macos arm64 /usr/bin pkg paths homebrew --shell zsh --no-cache
    got=$(PATH=/usr/bin:/bin zsh -fc "$OUT"$'\nprint -r -- $PATH')
    expect_contains "$got" "/opt/homebrew/bin:/opt/homebrew/opt/libpq/bin:/usr/bin" "zsh eval"
    got=$(PATH=/usr/bin:/bin zsh -fc "$OUT"$'\n'"$OUT"$'\nprint -r -- $PATH')
    [ "$got" = "/opt/homebrew/bin:/opt/homebrew/opt/libpq/bin:/usr/bin:/bin" ] && ok || fail "zsh eval twice: $got"
fi
if command -v fish >/dev/null; then
    zr "$R" macos arm64 /usr/bin pkg paths homebrew --shell fish --no-cache
    got=$(PATH=/usr/bin:/bin fish --no-config -c "$OUT; echo \$CPATH" 2>&1)
    expect_contains "$got" "/opt/homebrew/include" "fish eval"
    got=$(PATH=/usr/bin:/bin fish --no-config -c "$OUT; $OUT; string join : \$PATH" 2>&1)
    [ "$got" = "/opt/homebrew/bin:/opt/homebrew/opt/libpq/bin:/usr/bin:/bin" ] && ok || fail "fish eval twice: $got"
fi
zr "$R" macos arm64 /usr/bin pkg paths --no-cache
expect_contains "$OUT" "keg-only    libpq" "text paths list keg-only formulae"
zr "$R" macos arm64 /usr/bin pkg paths nosuch
if [ "$CODE" -eq 2 ]; then ok; else fail "unknown manager: exit $CODE"; fi
expect_contains "$ERR" "unknown package manager 'nosuch'" "unknown manager message"
expect_contains "$ERR" "homebrew, macports" "valid managers listed"
zr "$R" macos arm64 /usr/bin pkg paths pacman
if [ "$CODE" -eq 1 ]; then ok; else fail "undetected manager: exit $CODE"; fi
zr "$R" macos arm64 /usr/bin pkg paths --shell tcsh
if [ "$CODE" -eq 2 ]; then ok; else fail "unknown shell: exit $CODE"; fi
R="$SCRATCH/pacman"
zr "$R" linux x86_64 /usr/bin pkg paths pacman --shell bash
expect_contains "$OUT" "# zsyncctl: nothing to add" "system dirs are not exported"
# nix without a profile: the reason is the missing profile, not "only standard directories".
R="$SCRATCH/nix-noprofile"
mk "$R" /usr/bin/nix-env
zr "$R" linux x86_64 /usr/bin pkg paths nix --shell bash --no-cache
expect_contains "$OUT" "nothing to add for nix: its prefix /home/u/.nix-profile does not exist" "nix without a profile says so"
# The installer's ~/.nix-profile link to a profile not created yet dangles: the profile does not exist either.
R="$SCRATCH/nix-dangling"
mk "$R" /usr/bin/nix-env
mkdir -p "$R/home/u" && ln -s /nix/var/nix/profiles/default "$R/home/u/.nix-profile"
zr "$R" linux x86_64 /usr/bin pkg paths nix --shell bash --no-cache
expect_contains "$OUT" "nothing to add for nix: its prefix /home/u/.nix-profile does not exist" "nix with a dangling profile link says so"

# ---- gem: pkg paths says what `gem environment` says (Debian: GEM_HOME /var/lib/gems/X.Y.0, executables
# in /usr/local/bin), with and without a GEM_HOME of the user's
if command -v gem >/dev/null; then
    gem_env() { env "$@" LC_ALL=C gem environment | sed -n "s/^ *- $KEY: //p"; }
    for home in "" "$SCRATCH/gemhome"; do
        set -- GEM_HOME="$home"
        [ -n "$home" ] || set -- -u GEM_HOME
        [ -z "$home" ] || mkdir -p "$home/bin"
        KEY="INSTALLATION DIRECTORY" want_prefix=$(gem_env "$@")
        KEY="EXECUTABLE DIRECTORY" want_bin=$(gem_env "$@")
        [ -d "$want_bin" ] || want_bin=
        OUT=$(env "$@" timeout -k 2 20 "$ZSYNCCTL" --json --no-cache pkg paths gem 2>"$SCRATCH/stderr")
        expect_json "d['managers'][0]['paths']['prefix']=='$want_prefix' and d['managers'][0]['paths']['bin']==[b for b in ['$want_bin'] if b]" "pkg paths gem (GEM_HOME='$home') agrees with gem environment: $want_prefix, $want_bin"
    done
    [ -n "$want_prefix" ] && ok || fail "gem environment named no installation directory"
else
    fail "gem is not installed (scripts/deps.sh installs ruby)"
fi

# ---- a user's manager installing into a root-owned prefix needs root (npm's global prefix /usr) ----
# The oracle is npm's own `npm prefix -g`, with its default prefix and with NPM_CONFIG_PREFIX set to a
# directory another user owns.
if command -v npm >/dev/null; then
    npm_global="$SCRATCH/npm-global"
    mkdir -p "$npm_global"
    for setting in "" "$npm_global"; do
        if [ -n "$setting" ]; then set -- NPM_CONFIG_PREFIX="$setting"; else set -- -u NPM_CONFIG_PREFIX; fi
        npm_prefix=$(env "$@" npm prefix -g 2>/dev/null)
        [ -n "$setting" ] && [ "$npm_prefix" != "$setting" ] && fail "npm prefix -g ignores NPM_CONFIG_PREFIX: $npm_prefix"
        [ -n "$setting" ] && chown 65534 "$npm_global"
        OUT=$(env "$@" timeout -k 2 20 "$ZSYNCCTL" --json --no-cache pkg install --dry-run npm:left-pad 2>"$SCRATCH/stderr")
        CODE=$?
        if [ "$(stat -c %u "$npm_prefix")" = 0 ]; then
            expect_json 'd["needs_root"] is True' "npm with a root-owned prefix ($npm_prefix) needs root"
        elif [ "$(id -u)" = 0 ]; then
            # As root, another user's prefix is refused, plan included (tests/cli/root_trust.sh runs it).
            [ "$CODE" = 2 ] && ok || fail "npm with a prefix another user owns ($npm_prefix), as root: exit $CODE, wanted 2"
            expect_json '"another user controls" in d["error"]' "the refusal says why"
        else
            expect_json 'd["needs_root"] is False' "npm with a prefix another user owns ($npm_prefix) does not need root"
        fi
    done
fi

# ---- cache: reuse, invalidation by touch, corruption ----
R="$SCRATCH/cache-root"
mk "$R" /usr/bin/pacman
zr "$R" linux x86_64 /usr/bin pkg managers -v
expect_contains "$ERR" "detection: fresh" "first run detects"
zr "$R" linux x86_64 /usr/bin pkg managers -v
expect_contains "$ERR" "detection: from cache" "second run reads the cache"
sleep 0.05
touch "$R/usr/bin/pacman"
zr "$R" linux x86_64 /usr/bin pkg managers -v
expect_contains "$ERR" "detection: fresh" "touching the executable invalidates"
for f in "$XDG_CACHE_HOME"/zsyncctl/managers-*.tsv; do printf 'zsyncctl-managers\t2\nkey\tx\n' >"$f"; done
zr "$R" linux x86_64 /usr/bin pkg managers -v --json
expect_contains "$ERR" "detection: fresh" "corrupt cache ignored"
expect_json "[m['name'] for m in d]==['pacman']" "corrupt cache: right answer"
zr "$R" linux x86_64 /usr/bin pkg managers -v
expect_contains "$ERR" "detection: from cache" "corrupt cache rewritten"
zr "$R" linux x86_64 /usr/bin pkg managers -v --no-cache
expect_contains "$ERR" "detection: fresh" "--no-cache bypasses"

# ---- --versions runs version commands on the host only: a good one, a failing one, a hung one ----
# (Under --root nothing inside the root runs: see the end of this block and tests/cli/root.sh.)
R="$SCRATCH/versions"
mk "$R" /usr/bin/pacman
printf '#!/bin/sh\necho "zypper: broken" >&2\nexit 4\n' >"$R/usr/bin/zypper-x" && chmod 755 "$R/usr/bin/zypper-x"
mkdir -p "$R/usr/bin" && mv "$R/usr/bin/zypper-x" "$R/usr/bin/zypper"
printf '#!/bin/sh\nexec sleep 30\n' >"$R/usr/bin/dnf" && chmod 755 "$R/usr/bin/dnf"
start=$(date +%s)
OUT=$(env -u HOMEBREW_PREFIX ZSYNCCTL_OS=linux ZSYNCCTL_ARCH=x86_64 HOME=/home/u PATH="$R/usr/bin:/usr/bin:/bin" \
    "$TIMEOUT_BIN" -k 2 10 "$ZSYNCCTL" pkg managers --json --versions --timeout 1 --no-cache 2>"$SCRATCH/stderr")
CODE=$?
end=$(date +%s)
F="[m for m in d if m['name'] in ('pacman','dnf','zypper')]"
expect_json "{m['name']: m['version'] for m in $F}=={'pacman':'1.2.3','dnf':None,'zypper':None}" "versions"
expect_json "'1000 ms' in [m for m in d if m['name']=='dnf'][0]['version_error']" "hung version command reported"
expect_json "'status 4' in [m for m in d if m['name']=='zypper'][0]['version_error']" "failing version command reported"
if [ $((end - start)) -le 4 ]; then ok; else fail "--versions took $((end - start)) s with a 1 s deadline"; fi
if pgrep -f "$R/usr/bin/dnf" >/dev/null; then fail "hung version command left running"; else ok; fi
# The same tree as a --root: its executables are not run, the versions are unknown.
zr "$R" linux x86_64 /usr/bin pkg managers --json --versions --timeout 1 --no-cache
expect_json "{m['name']: m['version'] for m in d}=={'pacman':None,'dnf':None,'zypper':None}" "versions under --root"
expect_json "all(m['version_error'].startswith('unknown (not executed under --root') for m in d)" "versions under --root: unknown"
if pgrep -f "$R/usr/bin/dnf" >/dev/null; then fail "a version command ran under --root"; else ok; fi
zr "$R" linux x86_64 /usr/bin pkg managers --versions --timeout 0
if [ "$CODE" -eq 2 ]; then ok; else fail "--timeout 0: exit $CODE"; fi

finish
