#!/usr/bin/env bash
# `pkg outdated -m cargo` / `pkg upgrade -m cargo` with the real cargo against a local registry on 127.0.0.1
# (crates.io replaced in a scratch $CARGO_HOME/config.toml: a sparse registry, or a git index for a cargo older
# than 1.68, which has no sparse protocol - CI's Debian 12 cargo 0.66 - ZS_CARGO_INDEX=git forces it; the
# cache file layout is the same for both). Two tiny bin crates are packaged by
# `cargo package` and published as index lines + .crate files: zs-up and zs-feat (installed with
# --features extra) at 1.0.0, plus zs-local from a path. Then zs-up 1.1.0, a yanked 1.2.0 and a 2.0.0-beta.1
# are published and zs-feat 1.1.0: outdated does not see them before cargo fetched the index (no implicit
# refresh: the cache file is byte-identical after it), sees them after cargo's own fetch; the candidate equals
# the version a fresh `cargo install zs-up` picks (the oracle), zs-feat is skipped (its features would be
# lost), zs-local is shown skipped "installed from a path". Upgrade --all runs `cargo install --locked
# zs-up@1.1.0` and leaves the others: `cargo install --list` after it.
. "$(dirname "$0")/lib.sh"
CARGO=$(command -v cargo || echo "$HOME/.cargo/bin/cargo")
[ -x "$CARGO" ] || skip "cargo is not installed"
export PATH="$(dirname "$CARGO"):$PATH"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
T="$SCRATCH"
export CARGO_HOME="$T/cargo-home" CARGO_TARGET_DIR="$T/target" CARGO_NET_RETRY=0 CARGO_HTTP_TIMEOUT=10
unset CARGO_INSTALL_ROOT CARGO_NET_OFFLINE CARGO_REGISTRIES_CRATES_IO_PROTOCOL
mkdir -p "$CARGO_HOME" "$T/reg/dl" "$T/control"
minor=$("$CARGO" --version | sed -n 's/^cargo 1\.\([0-9]*\).*/\1/p')
MODE=${ZS_CARGO_INDEX:-$([ "${minor:-0}" -ge 68 ] && echo sparse || echo git)}
command -v git >/dev/null || [ "$MODE" = sparse ] || skip "a git index needs git"

crate() { # NAME VERSION: packaged into $T/target/package/NAME-VERSION.crate
    local d="$T/src/$1-$2"
    mkdir -p "$d/src"
    printf '[package]\nname = "%s"\nversion = "%s"\nedition = "2021"\nlicense = "MIT"\ndescription = "t"\n\n[features]\nextra = []\n\n[dependencies]\n' "$1" "$2" >"$d/Cargo.toml"
    echo "fn main() { println!(\"$1 $2\"); }" >"$d/src/main.rs"
    (cd "$d" && "$CARGO" package --offline --no-verify --allow-dirty --quiet) >>"$T/cargo.log" 2>&1 ||
        fail "cargo package $1 $2: $(tail -3 "$T/cargo.log")"
}
# publish NAME VERSION [yanked]: the .crate served, its line appended to the index file (sparse layout).
publish() {
    python3 - "$T" "$1" "$2" "${3:-}" <<'EOF'
import hashlib, json, os, sys
t, name, vers, yanked = sys.argv[1:]
data = open(f"{t}/target/package/{name}-{vers}.crate", "rb").read()
open(f"{t}/reg/dl/{name}-{vers}.crate", "wb").write(data)
path = f"{t}/reg/{name[:2]}/{name[2:4]}/{name}"
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "a") as f:
    f.write(json.dumps({"name": name, "vers": vers, "deps": [], "cksum": hashlib.sha256(data).hexdigest(),
                        "features": {"extra": []}, "yanked": yanked == "yanked"}) + "\n")
EOF
    if [ "$MODE" = git ]; then
        git -C "$T/reg" add -A && git -C "$T/reg" -c user.email=t@example.invalid -c user.name=t commit -qm "$1 $2"
    fi
}
cargo_list() { "$CARGO" install --list | sed -n 's/^\([^ ]*\) v\([^ :]*\).*/\1 \2/p' | sort; }
outdated_rows() {
    printf '%s' "$OUT" | python3 -c '
import json, sys
for o in json.load(sys.stdin)["outdated"]: print(o["name"], o["installed_version"], o["candidate"], o["skip_reason"])'
}

mkfifo "$T/srv.in"
python3 "$TESTS_DIR/static_index_server.py" "$T/reg" "$T/control" <"$T/srv.in" >"$T/srv.port" &
exec 9>"$T/srv.in"
for _ in $(seq 50); do [ -s "$T/srv.port" ] && break; sleep 0.1; done
PORT=$(cat "$T/srv.port")
[ -n "$PORT" ] || { fail "registry server did not start"; finish; }
printf '{"dl": "http://127.0.0.1:%s/dl/{crate}-{version}.crate"}\n' "$PORT" >"$T/reg/config.json"
if [ "$MODE" = git ]; then
    git -C "$T/reg" init -q && git -C "$T/reg" add -A &&
        git -C "$T/reg" -c user.email=t@example.invalid -c user.name=t commit -qm config
    url="file://$T/reg"
else
    url="sparse+http://127.0.0.1:$PORT/"
fi
printf '[source.crates-io]\nreplace-with = "zs-local"\n\n[source.zs-local]\nregistry = "%s"\n' "$url" >"$CARGO_HOME/config.toml"

for v in 1.0.0 1.1.0 1.2.0 2.0.0-beta.1; do crate zs-up "$v"; done
for v in 1.0.0 1.1.0; do crate zs-feat "$v"; done
publish zs-up 1.0.0
publish zs-feat 1.0.0
"$CARGO" install --quiet zs-up >>"$T/cargo.log" 2>&1 || fail "cargo install zs-up: $(tail -3 "$T/cargo.log")"
"$CARGO" install --quiet zs-feat --features extra >>"$T/cargo.log" 2>&1 || fail "cargo install zs-feat: $(tail -3 "$T/cargo.log")"
mkdir -p "$T/src/zs-local/src"
printf '[package]\nname = "zs-local"\nversion = "0.1.0"\nedition = "2021"\n' >"$T/src/zs-local/Cargo.toml"
echo 'fn main() {}' >"$T/src/zs-local/src/main.rs"
"$CARGO" install --offline --quiet --path "$T/src/zs-local" >>"$T/cargo.log" 2>&1 || fail "cargo install --path zs-local"
[ "$(cargo_list)" = "zs-feat 1.0.0
zs-local 0.1.0
zs-up 1.0.0" ] && ok || fail "cargo installed: $(cargo_list)"
cache=$(find "$CARGO_HOME/registry/index" -path '*/.cache/zs/-u/zs-up' | head -1)
[ -n "$cache" ] && ok || fail "$MODE index: cargo wrote no cache file for zs-up"

# 1. Nothing newer: exit 0; the path install shown skipped, not checked.
run_z --json pkg outdated -m cargo
[ "$CODE" = 0 ] && ok || fail "nothing newer: exit $CODE ($ERR)"
[ "$(outdated_rows)" = "zs-local 0.1.0 None installed from a path, not checked" ] && ok || fail "nothing newer: $(outdated_rows)"

# 2. Newer versions published: not seen until cargo fetches the index (no implicit refresh).
publish zs-up 1.1.0
publish zs-up 1.2.0 yanked
publish zs-up 2.0.0-beta.1
publish zs-feat 1.1.0
sum=$(sha256sum <"$cache")
run_z --json pkg outdated -m cargo
[ "$CODE" = 0 ] && ok || fail "before cargo's fetch: exit $CODE ($ERR)"
[ "$(sha256sum <"$cache")" = "$sum" ] && ok || fail "pkg outdated changed cargo's index cache"

# cargo's own fetch (what cargo install/update does): a lockfile of a scratch project naming both crates.
mkdir -p "$T/probe/src" && touch "$T/probe/src/lib.rs"
printf '[package]\nname = "probe"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\nzs-up = "*"\nzs-feat = "*"\n' >"$T/probe/Cargo.toml"
(cd "$T/probe" && "$CARGO" generate-lockfile --quiet) >>"$T/cargo.log" 2>&1 || fail "cargo generate-lockfile: $(tail -3 "$T/cargo.log")"
run_z --json pkg outdated -m cargo
[ "$CODE" = 100 ] && ok || fail "after cargo's fetch: exit $CODE, wanted 100 ($ERR)"
[ "$(outdated_rows)" = "zs-feat 1.0.0 1.1.0 installed with chosen features
zs-local 0.1.0 None installed from a path, not checked
zs-up 1.0.0 1.1.0 None" ] && ok || fail "after cargo's fetch: $(outdated_rows)"
expect_json '"index cache" in d["managers"][0]["note"]' "the note says where candidates come from"
# The oracle: the version cargo itself installs for `cargo install zs-up` (no version) in a fresh root.
"$CARGO" install --quiet --root "$T/oracle" zs-up >>"$T/cargo.log" 2>&1 || fail "oracle install: $(tail -3 "$T/cargo.log")"
picked=$("$CARGO" install --list --root "$T/oracle" | sed -n 's/^zs-up v\([^:]*\):$/\1/p')
[ "$picked" = 1.1.0 ] && ok || fail "cargo itself picked '$picked' (yanked 1.2.0 and the beta are not candidates)"
run_z pkg outdated -m cargo
expect_contains "$OUT" "installed with chosen features, would be skipped" "text: the skip reason"

# 3. Upgrade: the dry run names the exact candidate and --locked; --all leaves the skipped ones.
TIMEOUT=60 run_z pkg upgrade -m cargo --all --dry-run
[ "$CODE" = 0 ] && ok || fail "--dry-run: exit $CODE ($ERR)"
expect_contains "$OUT$ERR" "cargo install --color never --locked zs-up@1.1.0" "--dry-run: the command"
[ "$(cargo_list)" = "zs-feat 1.0.0
zs-local 0.1.0
zs-up 1.0.0" ] && ok || fail "--dry-run changed something: $(cargo_list)"
TIMEOUT=120 run_z pkg upgrade -m cargo --all --yes
[ "$CODE" = 0 ] && ok || fail "upgrade --all: exit $CODE ($ERR)"
expect_contains "$OUT$ERR" "skipping zs-feat (installed with chosen features)" "zs-feat named as skipped"
[ "$(cargo_list)" = "zs-feat 1.0.0
zs-local 0.1.0
zs-up 1.1.0" ] && ok || fail "after the upgrade: $(cargo_list)"
[ "$("$CARGO_HOME/bin/zs-up")" = "zs-up 1.1.0" ] && ok || fail "the zs-up binary is not 1.1.0's"
run_z --json pkg outdated -m cargo
[ "$CODE" = 0 ] && ok || fail "after the upgrade: exit $CODE ($ERR)"
# A name that is skipped: nothing run.
TIMEOUT=60 run_z pkg upgrade -m cargo zs-feat --yes
[ "$CODE" = 0 ] && ok || fail "upgrade of a skipped name: exit $CODE ($ERR)"
[ "$(cargo_list | grep zs-feat)" = "zs-feat 1.0.0" ] && ok || fail "zs-feat was upgraded"

# 4. A damaged cache file: that crate is not checked (said in the note), the rest still answered.
printf '\003\002\000' >"$cache"
run_z --json pkg outdated -m cargo
[ "$CODE" = 0 ] && ok || fail "damaged cache: exit $CODE ($ERR)"
expect_json '"not checked: zs-up" in d["managers"][0]["note"]' "damaged cache: zs-up not checked"
finish
