#!/bin/bash
# pip behind a pyenv shim: PATH's pip is the script `pyenv rehash` writes (it execs pyenv, names no Python).
# zsyncctl resolves it as pyenv does, without running it: PYENV_VERSION, else the nearest .python-version
# from the working directory up, else PYENV_ROOT/version, "system" being the next pip on PATH after the
# shims. A scratch PYENV_ROOT holds two real venvs (python3 -m venv) as versions, each with its own wheel
# installed offline, and a third venv as the "system" pip; each time `pkg list -m pip` equals that venv's
# `pip list --format=json`. A version without pip is a one-line error; as root, a .python-version another
# user owns is not followed.
. "$TESTS_DIR/lib.sh"
python3 -c 'import ensurepip, venv' 2>/dev/null || skip "python3 has no venv/ensurepip"

T="$SCRATCH"
for v in $(env | sed -n 's/^\(PIP_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
unset VIRTUAL_ENV PYTHONPATH PYTHONHOME PYTHONUSERBASE PYENV_VERSION PYENV_DIR
export HOME="$T/home" PIP_CONFIG_FILE=/dev/null PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONNOUSERSITE=1 PYENV_ROOT="$T/pyenv"
P="$T/pyenv"
mkdir -p "$HOME" "$T/wheels" "$P/shims" "$P/versions" "$T/proj/sub" "$T/elsewhere"

# wheel NAME VERSION: a pure-Python wheel written by hand (installable offline).
wheel() { python3 "$TESTS_DIR/make_wheel.py" "$T/wheels" "$1" "$2" || fail "wheel $1"; }
# venv DIR WHEEL...: a real venv with the wheels installed from the local directory only.
venv() {
    local dir=$1
    shift
    python3 -m venv "$dir" || { fail "python3 -m venv $dir"; finish; }
    "$dir/bin/python" -m pip install --no-index --find-links "$T/wheels" "$@" >"$T/pip.log" 2>&1 ||
        fail "pip install $*: $(tail -3 "$T/pip.log")"
}
wheel zs-alpha 1.0
wheel zs-beta 2.5
wheel zs-system 0.1
venv "$P/versions/alpha" zs-alpha
venv "$P/versions/beta" zs-beta
venv "$T/sysvenv" zs-system
pyenv_shims "$P" pip pip3
export PATH="$P/shims:$T/sysvenv/bin:/usr/bin:/bin"

pip_list() { "$1/bin/python" -m pip list --format=json | python3 -c 'import json,sys
for x in json.load(sys.stdin): print(x["name"], x["version"])' | sort; }
ours() { printf '%s' "$OUT" | python3 -c 'import json,sys
for x in json.load(sys.stdin)["packages"]: print(x["name"], x["version"])' | sort; }
# check WHAT VENV: pkg list -m pip (from the current directory) equals VENV's pip list, and names it.
check() {
    TIMEOUT=60 run_z --json --no-cache pkg list -m pip
    if [ "$CODE" != 0 ]; then
        fail "$1: pkg list -m pip exit $CODE ($ERR)"
        return
    fi
    local want
    want=$(pip_list "$2")
    if [ "$(ours)" = "$want" ]; then ok; else
        fail "$1: pkg list differs from $2's pip list:"
        diff <(ours) <(printf '%s\n' "$want") | head -10 >&2
    fi
    expect_json "'$2/bin/pip' in d['managers'][0]['note']" "$1: the note names the pip pyenv selected"
}

cd "$T/elsewhere"
check "no version file: system" "$T/sysvenv"
expect_contains "$(pip_list "$T/sysvenv")" "zs-system 0.1" "the system venv has its own wheel (not vacuous)"
printf 'beta\n' >"$P/version"
check "global version file" "$P/versions/beta"
printf '# a comment\n\nalpha\n' >"$T/proj/.python-version"
cd "$T/proj/sub"
check ".python-version of a parent directory" "$P/versions/alpha"
PYENV_VERSION=beta check "PYENV_VERSION first" "$P/versions/beta"
mkdir -p "$P/versions/empty/bin"
PYENV_VERSION=empty:beta check "the first version that has pip" "$P/versions/beta"
# A selected version that is not installed fails the shim, as pyenv-version-name does.
PYENV_VERSION=nothere:beta TIMEOUT=30 run_z --no-cache pkg list -m pip
[ "$CODE" = 3 ] && ok || fail "a version not installed: exit $CODE ($ERR)"
expect_contains "$ERR" "version 'nothere' is not installed (set by PYENV_VERSION)" "the error names it"
printf 'system\n' >"$T/proj/.python-version"
check "system from .python-version" "$T/sysvenv"

# A selected version without pip: one line naming the version and where it came from, exit 3.
printf 'empty\n' >"$T/proj/.python-version"
TIMEOUT=30 run_z --no-cache pkg list -m pip
[ "$CODE" = 3 ] && ok || fail "version without pip: exit $CODE ($ERR)"
expect_contains "$ERR" "empty, from $T/proj/.python-version" "the error names the version and its file"

# As root: a .python-version owned by another user is not followed (pyenv would run that user's choice).
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    printf 'alpha\n' >"$T/proj/.python-version"
    chown nobody "$T/proj/.python-version"
    TIMEOUT=30 run_z --no-cache pkg list -m pip
    [ "$CODE" = 3 ] && ok || fail "another user's .python-version: exit $CODE ($ERR)"
    expect_contains "$ERR" "controlled by another user" "the error says why"
    chown root "$T/proj/.python-version"
    check "root's own .python-version again" "$P/versions/alpha"
fi

# outdated goes through the resolved pip too (no index configured: nothing to compare, but pip ran).
cd "$T/elsewhere"
PYENV_VERSION=alpha TIMEOUT=60 run_z --json --no-cache pkg outdated -m pip
expect_json "'$P/versions/alpha/bin/pip' in d['managers'][0]['note']" "outdated runs the selected pip"
finish
