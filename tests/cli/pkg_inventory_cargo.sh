#!/usr/bin/env bash
# `pkg list/info/which -m cargo` against the real cargo: two tiny local crates (no dependencies) installed
# with `cargo install --offline --path` into a scratch CARGO_HOME (one with two binaries), one from a local git
# repository (`--git file://`), then into a second
# install root named by CARGO_INSTALL_ROOT; the list equals `cargo install --list` each time, which names the
# crate of a binary in <root>/bin; outdated of a damaged .crates2.json is exit 3.
. "$(dirname "$0")/lib.sh"
CARGO=$(command -v cargo || echo "$HOME/.cargo/bin/cargo")
[ -x "$CARGO" ] || skip "cargo is not installed"
# rustc next to cargo (rustup's proxies), the host's toolchain settings kept; everything cargo writes is scratch.
export PATH="$(dirname "$CARGO"):$PATH"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
T="$SCRATCH"
export CARGO_HOME="$T/cargo-home" CARGO_TARGET_DIR="$T/target" CARGO_NET_OFFLINE=true
unset CARGO_INSTALL_ROOT
mkdir -p "$CARGO_HOME"

crate() { # NAME VERSION [EXTRA-BIN]
    mkdir -p "$T/src/$1/src/bin"
    printf '[package]\nname = "%s"\nversion = "%s"\nedition = "2021"\n\n[dependencies]\n' "$1" "$2" >"$T/src/$1/Cargo.toml"
    echo 'fn main() { println!("hi"); }' >"$T/src/$1/src/main.rs"
    [ -n "${3:-}" ] && echo 'fn main() {}' >"$T/src/$1/src/bin/$3.rs"
    return 0
}
# `cargo install --list` as "NAME VERSION BIN,BIN" lines (its "name vX.Y.Z (source):" header and indented bins).
cargo_list() {
    "$CARGO" install --list "$@" | python3 -c '
import re, sys
rows = []
for line in sys.stdin:
    if not line.startswith(" "):
        m = re.match(r"(\S+) v(\S+)", line)
        rows.append([m.group(1), m.group(2), []])
    else:
        rows[-1][2].append(line.strip())
for n, v, b in rows: print(n, v, ",".join(sorted(b)))' | sort
}
ours() {
    printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for p in d["packages"]: print(p["name"], p["version"])' | sort
}

# Nothing installed: an empty list and a note, not an error.
run_z --json pkg list -m cargo
[ "$CODE" = 0 ] && ok || fail "empty CARGO_HOME: exit $CODE: $ERR"
expect_json 'd["packages"] == [] and d["managers"][0]["status"] == "ok"' "empty CARGO_HOME: nothing installed"
# pkg info over every manager: cargo's "nothing is installed" note answers nothing when another manager knows
# the name (dpkg's bash), so it is held; it is printed when no manager knows the name, with -m cargo, and with -v.
if dpkg-query -W bash >/dev/null 2>&1; then
    run_z pkg info bash
    [ "$CODE" = 0 ] && ok || fail "info bash: exit $CODE: $ERR"
    case "$ERR" in *"nothing is installed with cargo"*) fail "info bash: cargo's note printed: $ERR" ;; *) ok ;; esac
    run_z -v pkg info bash
    expect_contains "$ERR" "nothing is installed with cargo" "info -v bash: the note"
fi
run_z pkg info zs-no-such-crate
[ "$CODE" = 1 ] && ok || fail "info of an unknown name: exit $CODE: $ERR"
expect_contains "$ERR" "nothing is installed with cargo" "info of a name nobody knows: cargo's note says why"
run_z pkg info -m cargo zs-no-such-crate
expect_contains "$ERR" "nothing is installed with cargo" "info -m cargo: the note"

crate zs-alpha 0.1.0
crate zs-beta 1.2.3 zs-beta-extra
for c in zs-alpha zs-beta; do
    "$CARGO" install --offline --quiet --path "$T/src/$c" >>"$T/cargo.log" 2>&1 || fail "cargo install $c: $(tail -3 "$T/cargo.log")"
done
[ -f "$CARGO_HOME/.crates2.json" ] && ok || fail "cargo wrote no .crates2.json"
run_z --json pkg list -m cargo
[ "$CODE" = 0 ] && ok || fail "list: exit $CODE: $ERR"
want=$(cargo_list | cut -d' ' -f1,2)
[ "$(ours)" = "$want" ] && ok || fail "pkg list vs cargo install --list: [$(ours)] vs [$want]"
[ "$want" = "zs-alpha 0.1.0
zs-beta 1.2.3" ] && ok || fail "cargo itself lists both (the differential is not vacuous): $want"
expect_json 'all(set(p) == {"manager", "name", "version", "architecture", "state", "state_abbrev", "installed", "reason", "held"} and p["reason"] == "explicit" for p in d["packages"])' "list: the schema of every manager"

# info: the source (a path source here) and the binaries cargo recorded.
run_z --json pkg info -m cargo zs-beta
[ "$CODE" = 0 ] && ok || fail "info: exit $CODE: $ERR"
bins=$(cargo_list | awk '$1 == "zs-beta" {print $3}')
expect_json 'd["packages"][0]["installed_version"] == "1.2.3" and d["packages"][0]["repository"].startswith("path+file://") and d["packages"][0]["description"] == "binaries: '"${bins//,/, }"'"' "info: version, path source, cargo's binaries ($bins)"

# which: a binary in $CARGO_HOME/bin, by name and by path; a name cargo did not install is nobody's.
run_z --json pkg which -m cargo zs-beta-extra
[ "$CODE" = 0 ] && ok || fail "which: exit $CODE: $ERR"
expect_json '[(o["package"], o["path"]) for o in d["owners"]] == [("zs-beta", "'"$CARGO_HOME"'/bin/zs-beta-extra")]' "which: the crate of the binary"
[ -x "$CARGO_HOME/bin/zs-beta-extra" ] && ok || fail "cargo put no zs-beta-extra in bin"
run_z --json pkg which -m cargo "$CARGO_HOME/bin/zs-alpha"
expect_json '[o["package"] for o in d["owners"]] == ["zs-alpha"]' "which: by path"
expect_exit 1 "which: not a cargo binary" pkg which -m cargo ls

# Reinstalling a new version replaces the record; uninstall removes it (cargo's own commands).
crate zs-alpha 0.2.0
"$CARGO" install --offline --quiet --path "$T/src/zs-alpha" >>"$T/cargo.log" 2>&1 || fail "cargo install zs-alpha 0.2.0"
"$CARGO" uninstall --quiet zs-beta >>"$T/cargo.log" 2>&1 || fail "cargo uninstall zs-beta"
run_z --json pkg list -m cargo
[ "$(ours)" = "$(cargo_list | cut -d' ' -f1,2)" ] && ok || fail "after upgrade and uninstall: [$(ours)] vs [$(cargo_list)]"
expect_json '[(p["name"], p["version"]) for p in d["packages"]] == [("zs-alpha", "0.2.0")]' "after upgrade and uninstall"

# A git source: a local repository (file://, no network), its package id's source is git+...#commit.
if command -v git >/dev/null; then
    crate zs-gamma 0.3.0
    git -C "$T/src/zs-gamma" init -q && git -C "$T/src/zs-gamma" add -A &&
        git -C "$T/src/zs-gamma" -c user.email=t@example.invalid -c user.name=t commit -qm gamma
    CARGO_NET_OFFLINE=false "$CARGO" install --quiet --git "file://$T/src/zs-gamma" >>"$T/cargo.log" 2>&1 ||
        fail "cargo install --git: $(tail -3 "$T/cargo.log")"
    run_z --json pkg list -m cargo
    [ "$(ours)" = "$(cargo_list | cut -d' ' -f1,2)" ] && ok || fail "git source: [$(ours)] vs [$(cargo_list)]"
    head=$(git -C "$T/src/zs-gamma" rev-parse HEAD)
    run_z --json pkg info -m cargo zs-gamma
    expect_json 'd["packages"][0]["repository"] == "git+file://'"$T/src/zs-gamma#$head"'"' "info: the git source and commit"
fi

# CARGO_INSTALL_ROOT: the root cargo installs into (and lists) without --root.
export CARGO_INSTALL_ROOT="$T/other-root"
"$CARGO" install --offline --quiet --path "$T/src/zs-beta" >>"$T/cargo.log" 2>&1 || fail "cargo install into CARGO_INSTALL_ROOT"
run_z --json pkg list -m cargo
[ "$(ours)" = "$(cargo_list | cut -d' ' -f1,2)" ] && ok || fail "CARGO_INSTALL_ROOT: [$(ours)] vs [$(cargo_list)]"
expect_json '[p["name"] for p in d["packages"]] == ["zs-beta"]' "CARGO_INSTALL_ROOT read"
unset CARGO_INSTALL_ROOT

# Only the v1 file (cargo before 1.41, or .crates2.json removed): read the same.
mv "$CARGO_HOME/.crates2.json" "$T/crates2.json.saved"
run_z --json pkg list -m cargo
[ "$(ours)" = "$(cargo_list | cut -d' ' -f1,2)" ] && ok || fail ".crates.toml alone: [$(ours)] vs [$(cargo_list)]"
expect_contains "$(ours)" "zs-alpha 0.2.0" ".crates.toml alone: read"
# A damaged file: one line, exit 3.
printf '{"installs": {"zs-alpha 0.2.0 (path+file' >"$CARGO_HOME/.crates2.json"
run_z pkg list -m cargo
[ "$CODE" = 3 ] && ok || fail "damaged .crates2.json: exit $CODE, wanted 3"
[ "$(printf '%s\n' "$ERR" | grep -c .)" -le 2 ] && ok || fail "damaged .crates2.json: not one line: $ERR"
# outdated of a damaged file: could not check, exit 3 (outdated itself: pkg_upgrade_cargo.sh).
run_z --json pkg outdated -m cargo
[ "$CODE" = 3 ] && ok || fail "outdated: exit $CODE, wanted 3"
expect_json 'd["managers"][0]["status"] == "error"' "outdated: the damaged file is an error"
finish
