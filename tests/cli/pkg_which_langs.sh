#!/bin/bash
# `pkg which COMMAND` for commands npm, pip and cargo installed, resolved as the shell runs them (PATH
# order, symbolic links, a pyenv shim) and attributed to the manager whose own view lists the file:
# - npm: a package installed from a local tarball and one installed from a directory (a link) into a
#   scratch prefix; the oracle is `npm ls -g --parseable` (the package directory the command's real file
#   is in);
# - pip: a wheel with a console script installed offline into a real venv, and the same behind a pyenv
#   shim (a scratch PYENV_ROOT whose version is a venv); the oracle is `pip show -f` (RECORD's files);
# - cargo: a local crate installed offline; the oracle is `cargo install --list`.
# A command on PATH is answered once: no "no installed package ships it" line for the managers that own
# nothing (they are in --json's managers and with -v).
. "$TESTS_DIR/lib.sh"
command -v npm >/dev/null || skip "npm is not installed"
python3 -c 'import ensurepip, venv' 2>/dev/null || skip "python3 has no venv/ensurepip"

T="$SCRATCH"
for v in $(env | sed -n 's/^\(PIP_[A-Z_]*\)=.*/\1/p;s/^\([Nn][Pp][Mm]_[Cc][Oo][Nn][Ff][Ii][Gg]_[^=]*\)=.*/\1/p'); do
    unset "$v"
done
unset VIRTUAL_ENV PYTHONPATH PYTHONHOME PYTHONUSERBASE PYENV_VERSION PYENV_DIR CARGO_INSTALL_ROOT
export HOME="$T/home" PIP_CONFIG_FILE=/dev/null PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONNOUSERSITE=1 NPM_CONFIG_PREFIX="$T/npm" NPM_CONFIG_CACHE="$T/npmcache" \
    NPM_CONFIG_USERCONFIG="$T/home/.npmrc" NPM_CONFIG_GLOBALCONFIG="$T/npm/etc/npmrc" \
    NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NPM_CONFIG_OFFLINE=true \
    NPM_CONFIG_REGISTRY=http://127.0.0.1:9/
mkdir -p "$HOME" "$T/npm" "$T/src" "$T/wheels"
: >"$HOME/.npmrc"
SYSPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

owners() { # the (manager, package, path) triples of $OUT's owners
    printf '%s' "$OUT" | python3 -c 'import json,sys
for o in json.load(sys.stdin)["owners"]: print(o["manager"], o["package"], o["path"])'
}

# --- npm: a tarball install (a copy) and a directory install (a link), each with a bin.
npm_pkg() { # DIR NAME BIN
    mkdir -p "$1"
    printf '{"name":"%s","version":"1.2.3","bin":{"%s":"cli.js"},"license":"MIT"}\n' "$2" "$3" >"$1/package.json"
    printf '#!/usr/bin/env node\nconsole.log("hi")\n' >"$1/cli.js"
}
npm_pkg "$T/src/zs-npm-tool" zs-npm-tool zs-npm-tool
npm_pkg "$T/src/linked" @zs/linked zs-npm-linked
tgz=$(cd "$T/src/zs-npm-tool" && npm pack --pack-destination "$T/src" 2>>"$T/npm.log" | tail -1)
npm install -g "$T/src/$tgz" >>"$T/npm.log" 2>&1 || fail "npm install -g tarball: $(tail -3 "$T/npm.log")"
npm install -g "$T/src/linked" >>"$T/npm.log" 2>&1 || fail "npm install -g dir: $(tail -3 "$T/npm.log")"
export PATH="$T/npm/bin:$SYSPATH"
# npm's own view: the package directory (npm ls -g --parseable) that holds the command's real file.
npm_owner() {
    local real
    real=$(readlink -f "$(command -v "$1")")
    npm ls -g --parseable --depth=0 2>>"$T/npm.log" | grep /node_modules/ | while read -r dir; do
        case "$real" in "$(readlink -f "$dir")"/*) basename "$dir" | sed "s|^|$(basename "$(dirname "$dir")")/|; s|^node_modules/||" ;; esac
    done
}
[ "$(npm_owner zs-npm-tool)" = zs-npm-tool ] && ok || fail "oracle: npm ls -g does not hold zs-npm-tool's file"
[ "$(npm_owner zs-npm-linked)" = @zs/linked ] && ok || fail "oracle: npm ls -g does not hold zs-npm-linked's file: [$(npm_owner zs-npm-linked)]"
TIMEOUT=30 run_z --json pkg which zs-npm-tool
[ "$CODE" = 0 ] && ok || fail "which zs-npm-tool: exit $CODE ($ERR)"
[ "$(owners)" = "npm zs-npm-tool $T/npm/bin/zs-npm-tool" ] && ok || fail "which zs-npm-tool: [$(owners)]"
expect_json 'd["resolved"]["found"] == "'"$T"'/npm/bin/zs-npm-tool" and d["resolved"]["on_path"] and d["resolved"]["steps"][-1] == "'"$T"'/npm/lib/node_modules/zs-npm-tool/cli.js"' "which zs-npm-tool: resolved through the bin link"
expect_json 'all(m["status"] in ("ok", "unsupported") for m in d["managers"]) and len(d["managers"]) > 1' "which: every detected manager's status is in the document"
TIMEOUT=30 run_z --json pkg which -m npm zs-npm-linked
[ "$(owners)" = "npm @zs/linked $T/npm/bin/zs-npm-linked" ] && ok || fail "which zs-npm-linked (a link): [$(owners)]"
TIMEOUT=30 run_z pkg which zs-npm-tool
expect_contains "$OUT" "zs-npm-tool: $T/npm/bin/zs-npm-tool -> " "text: the resolution"
expect_contains "$OUT" "npm (1 package)
  zs-npm-tool: $T/npm/bin/zs-npm-tool" "text: the owner"
case "$OUT$ERR" in *"no installed package ships it"*) fail "text: the managers that own nothing are listed: $OUT $ERR" ;; *) ok ;; esac
TIMEOUT=30 run_z -v pkg which zs-npm-tool
expect_contains "$ERR" "ships it" "-v: the managers that own nothing are named"

# --- pip: a console script from a wheel, in a venv and behind a pyenv shim.
python3 "$TESTS_DIR/make_wheel.py" "$T/wheels" zs-piptool 0.3 --script zs-pip-tool=zs_piptool:main || fail "wheel"
venv() {
    python3 -m venv "$1" || fail "python3 -m venv $1"
    "$1/bin/python" -m pip install --no-index --find-links "$T/wheels" zs-piptool >"$T/pip.log" 2>&1 ||
        fail "pip install: $(tail -3 "$T/pip.log")"
}
# pip's own view: the distribution whose `pip show -f` files include the command's file.
pip_owner() { # PYTHON COMMAND-PATH
    "$1" - "$2" <<'PY'
import os, subprocess, sys
out = subprocess.run([sys.executable, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True).stdout
for line in out.split():
    name = line.split("==")[0]
    show = subprocess.run([sys.executable, "-m", "pip", "show", "-f", name], capture_output=True, text=True).stdout
    loc = [l[10:] for l in show.splitlines() if l.startswith("Location: ")][0]
    files = show.split("Files:", 1)[1].split() if "Files:" in show else []
    if any(os.path.realpath(os.path.join(loc, f)) == os.path.realpath(sys.argv[1]) for f in files):
        print(name)
PY
}
venv "$T/venv"
export PATH="$T/venv/bin:$SYSPATH"
[ "$(pip_owner "$T/venv/bin/python" "$T/venv/bin/zs-pip-tool")" = zs-piptool ] && ok || fail "oracle: pip show -f does not list zs-pip-tool"
TIMEOUT=30 run_z --json pkg which zs-pip-tool
[ "$CODE" = 0 ] && ok || fail "which zs-pip-tool: exit $CODE ($ERR)"
[ "$(owners)" = "pip zs-piptool $T/venv/bin/zs-pip-tool" ] && ok || fail "which zs-pip-tool (venv): [$(owners)]"
# pip3 of the venv is pip's own (its RECORD lists it), not the distribution's /usr/bin/pip3.
want=$(pip_owner "$T/venv/bin/python" "$T/venv/bin/pip3")
TIMEOUT=30 run_z --json pkg which pip3
[ -n "$want" ] && [ "$(owners)" = "pip $want $T/venv/bin/pip3" ] && ok || fail "which pip3 (venv): [$(owners)] vs pip show -f [$want]"

P="$T/pyenv"
mkdir -p "$P/shims" "$P/versions"
venv "$P/versions/zs-3"
echo zs-3 >"$P/version"
pyenv_shims "$P" zs-pip-tool pip3
export PATH="$P/shims:$SYSPATH" PYENV_ROOT="$P"
TIMEOUT=30 run_z --json pkg which zs-pip-tool
[ "$(owners)" = "pip zs-piptool $P/versions/zs-3/bin/zs-pip-tool" ] && ok || fail "which zs-pip-tool (pyenv shim): [$(owners)] ($ERR)"
expect_json 'd["resolved"]["steps"][0] == "'"$P"'/shims/zs-pip-tool" and d["resolved"]["shim"].startswith("pyenv zs-3 ")' "pyenv: the shim and the version in the resolution"
want=$(pip_owner "$P/versions/zs-3/bin/python" "$P/versions/zs-3/bin/pip3")
TIMEOUT=30 run_z --json pkg which pip3
[ -n "$want" ] && [ "$(owners)" = "pip $want $P/versions/zs-3/bin/pip3" ] && ok || fail "which pip3 (pyenv shim): [$(owners)] vs pip show -f [$want]"
TIMEOUT=30 run_z pkg which pip3
expect_contains "$OUT" "pip3: $P/shims/pip3 -> pyenv zs-3 (from $P/version) -> $P/versions/zs-3/bin/pip3" "text: the shim resolved"

# --- cargo: a local crate installed offline into a scratch CARGO_HOME.
CARGO=$(command -v cargo || echo /root/.cargo/bin/cargo)
if [ -x "$CARGO" ]; then
    export RUSTUP_HOME="${RUSTUP_HOME:-/root/.rustup}" CARGO_HOME="$T/cargo" CARGO_TARGET_DIR="$T/target" \
        CARGO_NET_OFFLINE=true
    mkdir -p "$T/src/zs-crate/src/bin"
    printf '[package]\nname = "zs-crate"\nversion = "0.4.0"\nedition = "2021"\n\n[dependencies]\n' >"$T/src/zs-crate/Cargo.toml"
    echo 'fn main() {}' >"$T/src/zs-crate/src/main.rs"
    echo 'fn main() {}' >"$T/src/zs-crate/src/bin/zs-cargo-tool.rs"
    PATH="$(dirname "$CARGO"):$PATH" "$CARGO" install --offline --quiet --path "$T/src/zs-crate" >>"$T/cargo.log" 2>&1 ||
        fail "cargo install: $(tail -3 "$T/cargo.log")"
    want=$(PATH="$(dirname "$CARGO"):$PATH" "$CARGO" install --list | awk '/^[^ ]/ {c=$1} /^ +zs-cargo-tool$/ {print c}')
    export PATH="$T/cargo/bin:$(dirname "$CARGO"):$SYSPATH" # cargo itself on PATH: detected
    TIMEOUT=30 run_z --json pkg which zs-cargo-tool
    [ "$want" = zs-crate ] && [ "$(owners)" = "cargo zs-crate $T/cargo/bin/zs-cargo-tool" ] && ok ||
        fail "which zs-cargo-tool: [$(owners)] vs cargo install --list [$want]"
else
    printf 'cargo is not installed: its part is not run\n'
fi

# A system command: one answer, the same as dpkg -S of the file PATH runs (under each of its names).
if command -v dpkg >/dev/null && [ -e /var/lib/dpkg/info/coreutils.list ]; then
    export PATH="$SYSPATH"
    TIMEOUT=30 run_z pkg which ls
    [ "$CODE" = 0 ] && ok || fail "which ls: exit $CODE"
    expect_contains "$OUT" "coreutils: " "which ls: coreutils"
    case "$OUT" in *"no installed package ships it"*) fail "which ls lists the managers that own nothing: $OUT" ;; *) ok ;; esac
    [ "$(printf '%s\n' "$OUT" | head -1)" = "ls: $(command -v ls)" ] && ok || fail "which ls: first line [$(printf '%s\n' "$OUT" | head -1)]"
fi
finish
