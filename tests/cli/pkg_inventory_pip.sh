#!/bin/bash
# pip for real: `pkg list/outdated/info/upgrade -m pip` with the real pip in a scratch venv and a PEP 503
# simple index on 127.0.0.1 (static_index_server.py serving hand-made wheels; the index URL in the user's
# pip configuration, PIP_CONFIG_FILE). The list equals `pip list --format=json` (dependency vs explicit from
# REQUESTED); after 1.1 is published, outdated equals `pip list --outdated --format=json` (both versions,
# exit 100) and a PIP_CONSTRAINT pin is shown as skipped; upgrade on a pseudo-terminal shows pip's own
# simulation, is answered y, upgrades zs-up one package at a time and leaves the pinned one; Ctrl-C in the
# middle of a download exits 130 with the venv consistent (old or new version, `pip check` clean); the
# index gone is a one-line error, exit 3.
. "$TESTS_DIR/lib.sh"
python3 -c 'import ensurepip, venv' 2>/dev/null || skip "python3 has no venv/ensurepip"

T="$SCRATCH"
DRIVE="$TESTS_DIR/pty_drive.py"
IDX="$T/index/simple"
mkdir -p "$IDX" "$T/home" "$T/control" "$T/wheels"
# Nothing of the host's pip configuration: its PIP_* variables, config files and caches.
for v in $(env | sed -n 's/^\(PIP_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
unset VIRTUAL_ENV PYTHONPATH PYTHONHOME PYTHONUSERBASE
export HOME="$T/home" PIP_CONFIG_FILE="$T/pip.conf" PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    XDG_CONFIG_HOME="$T/home/.config" PYTHONNOUSERSITE=1

# wheel NAME VERSION [REQUIRES]: a pure-Python wheel written by hand (no setuptools/wheel needed offline).
wheel() {
    local name=$1 version=$2
    shift 2
    python3 "$TESTS_DIR/make_wheel.py" "$IDX/$name" "$name" "$version" ${1:+--requires "$1"} || fail "wheel $name $version"
}
json_lines() { # KEY PYTHON-FORMAT over d[KEY] of $OUT
    printf '%s' "$OUT" | python3 -c "
import json,sys
d=json.load(sys.stdin)
for x in d[sys.argv[1]]: print($2)" "$1" | sort
}
canon() { python3 -c 'import re,sys
for l in sys.stdin: print(re.sub(r"[-_.]+", "-", l.split(" ")[0]).lower(), *l.split()[1:])' | sort; }

mkfifo "$T/srv.in"
python3 "$TESTS_DIR/static_index_server.py" "$T/index" "$T/control" <"$T/srv.in" >"$T/srv.port" &
SRV=$!
exec 9>"$T/srv.in"
for _ in $(seq 50); do [ -s "$T/srv.port" ] && break; sleep 0.1; done
PORT=$(cat "$T/srv.port")
[ -n "$PORT" ] || { kill "$SRV"; fail "index server did not start"; finish; }
printf '[global]\nindex-url = http://127.0.0.1:%s/simple/\n' "$PORT" >"$PIP_CONFIG_FILE"

wheel zs-dep 1.0
wheel zs-up 1.0 zs-dep
wheel zs-pinned 1.0
python3 -m venv "$T/venv" || { fail "python3 -m venv"; finish; }
export PATH="$T/venv/bin:$PATH"
PIP="$T/venv/bin/python -m pip"
$PIP install zs-up zs-pinned >"$T/pip.log" 2>&1 || fail "pip install: $(tail -3 "$T/pip.log")"

# The list, natively, equals pip's own (names as pip compares them, versions as pip prints them).
TIMEOUT=60 run_z --json --no-cache pkg list -m pip
[ "$CODE" = 0 ] && ok || fail "pkg list -m pip: exit $CODE ($ERR)"
same "pkg list vs pip list --format=json" "$(json_lines packages 'x["name"]+" "+x["version"]' | canon)" \
    "$($PIP list --format=json | python3 -c 'import json,sys
for x in json.load(sys.stdin): print(x["name"], x["version"])' | canon)"
expect_json '{p["name"]: p["reason"] for p in d["packages"]}.get("zs-dep") == "dependency"' "zs-dep (pulled in) is a dependency"
expect_json '{p["name"]: p["reason"] for p in d["packages"]}.get("zs-up") == "explicit"' "zs-up (asked for) is explicit"
run_z pkg paths pip
expect_contains "$OUT" "$T/venv" "pkg paths pip names the venv"

# pkg remove without a manager finds what pip has installed (pip has no search to ask): from its database,
# as pkg list reads it. The oracle: pip itself no longer has it.
wheel zs-gone 1.0
$PIP install zs-gone >>"$T/pip.log" 2>&1 || fail "pip install zs-gone: $(tail -3 "$T/pip.log")"
TIMEOUT=60 run_z --json --no-cache pkg remove --dry-run zs-gone
expect_json 'd["manager"] == "pip" and d["candidates"] == ["pip"] and d["argv"][-1] == "zs-gone"' "remove: pip chosen from what it has installed"
TIMEOUT=60 run_z --no-cache pkg remove --yes zs-gone
[ "$CODE" = 0 ] && ok || fail "pkg remove --yes zs-gone: exit $CODE ($ERR)"
expect_contains "$ERR" "among what every package manager here has installed" "the lookup says where it looks"
$PIP show zs-gone >/dev/null 2>&1 && fail "pip still has zs-gone" || ok
TIMEOUT=60 expect_exit 1 "removing what nobody has installed" --no-cache pkg remove --yes zs-gone
expect_contains "$ERR" "no detected package manager has zs-gone installed" "nobody has it now"
# A wheel given as a path: its kind names pip (nothing is searched), and pip installs the file.
wheel zs-file 2.0
whl=$(ls "$IDX"/zs-file/*.whl)
TIMEOUT=60 run_z --no-cache pkg install --yes "$whl"
[ "$CODE" = 0 ] && ok || fail "pkg install --yes WHEEL: exit $CODE ($ERR)"
expect_contains "$ERR" "using pip: it installs $whl" "the wheel's kind chose pip"
[ "$($PIP show zs-file 2>/dev/null | sed -n 's/^Version: //p')" = 2.0 ] && ok || fail "pip show zs-file: $($PIP show zs-file 2>&1 | head -3)"
$PIP uninstall -y zs-file >>"$T/pip.log" 2>&1

TIMEOUT=60 expect_exit 0 "nothing outdated at 1.0" --no-cache pkg outdated -m pip

wheel zs-up 1.1 zs-dep
wheel zs-pinned 1.1
TIMEOUT=60 run_z --json --no-cache pkg outdated -m pip
[ "$CODE" = 100 ] && ok || fail "some outdated: exit $CODE, wanted 100 ($ERR)"
want=$($PIP list --outdated --format=json | python3 -c 'import json,sys
for x in json.load(sys.stdin): print(x["name"], x["version"], "->", x["latest_version"])' | canon)
same "pkg outdated vs pip list --outdated" "$(json_lines outdated 'x["name"]+" "+x["installed_version"]+" -> "+x["candidate"]' | canon)" "$want"
expect_contains "$want" "zs-up 1.0 -> 1.1" "pip itself sees 1.1 (the differential is not vacuous)"

TIMEOUT=60 run_z --no-cache pkg info -m pip zs_up
expect_contains "$OUT" "zsyncctl test package zs-up" "pkg info: the summary from METADATA"
expect_contains "$OUT" "1.1" "pkg info: the candidate"

# A constraints file pins zs-pinned: outdated shows it as skipped, upgrade leaves it.
echo "zs-pinned==1.0  # held back" >"$T/constraints.txt"
export PIP_CONSTRAINT="$T/constraints.txt"
TIMEOUT=60 run_z --json --no-cache pkg outdated -m pip
expect_json '{p["name"]: p["skip_reason"] for p in d["outdated"]} == {"zs-pinned": "pinned", "zs-up": None}' "the pinned package is skipped, zs-up is not"

PTY_DEADLINE=90 python3 "$DRIVE" "$T/up.tty" --expect "[Y/n]" --send 'y\r' -- \
    "$ZSYNCCTL" --no-cache pkg upgrade -m pip --all
code=$?
t=$(tr -d '\r' <"$T/up.tty")
[ "$code" -eq 0 ] && ok || fail "pkg upgrade --all exited $code: $t"
expect_contains "$t" "zs-up (1.1)" "the confirmation shows pip's simulation"
expect_contains "$t" "skipping zs-pinned (pinned)" "the pinned package is named as skipped"
got=$($PIP list --format=json | python3 -c 'import json,sys
print(" ".join(x["name"]+"="+x["version"] for x in json.load(sys.stdin) if x["name"].startswith("zs-")))')
same "after the upgrade" "$got" "zs-dep=1.0 zs-pinned=1.0 zs-up=1.1"

# Ctrl-C while pip downloads zs-up 1.2: with --yes, pip's simulation requests the wheel once, the run a second time.
wheel zs-up 1.2 zs-dep
echo 2 >"$T/control/slow"
PTY_DEADLINE=90 python3 "$DRIVE" "$T/int.tty" --wait-file "$T/control/hit" --send '\x03' -- \
    "$ZSYNCCTL" --no-cache pkg upgrade -m pip zs-up --yes
code=$?
rm -f "$T/control/slow"
[ "$code" -eq 130 ] && ok || fail "Ctrl-C during the upgrade: exit $code, wanted 130: $(tr -d '\r' <"$T/int.tty" | tail -c 600)"
v=$($PIP list --format=json | python3 -c 'import json,sys
print(next((x["version"] for x in json.load(sys.stdin) if x["name"] == "zs-up"), "missing"))')
case "$v" in 1.1 | 1.2) ok ;; *) fail "zs-up after Ctrl-C: $v" ;; esac
$PIP check >"$T/check.log" 2>&1 && ok || fail "pip check after Ctrl-C: $(cat "$T/check.log")"

# The index gone: pip itself prints [] and exits 0; zsyncctl reads pip's log and says so, exit 3.
exec 9>&-
wait "$SRV" 2>/dev/null
TIMEOUT=60 run_z --no-cache pkg outdated -m pip
[ "$CODE" = 3 ] && ok || fail "index down: exit $CODE, wanted 3 ($ERR)"
[ "$(printf '%s\n' "$ERR" | grep -c .)" -le 2 ] && ok || fail "index down: error not short: $ERR"
expect_contains "$ERR" "127.0.0.1:$PORT" "index down: the error names the index"

# An index whose host does not resolve (RFC 2606 .invalid, the real getent): said at once, not after pip
# tried every distribution's page in turn.
if command -v getent >/dev/null && ! getent ahosts zs-index.invalid >/dev/null 2>&1; then
    PIP_INDEX_URL=http://zs-index.invalid/simple TIMEOUT=60 run_z --no-cache pkg outdated -m pip
    [ "$CODE" = 3 ] && ok || fail "index host unresolvable: exit $CODE, wanted 3 ($ERR)"
    expect_contains "$ERR" "cannot resolve zs-index.invalid" "unresolvable index: named"
fi
finish
