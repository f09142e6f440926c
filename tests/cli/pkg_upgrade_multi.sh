#!/bin/bash
# `pkg upgrade --all` with two real managers of different lock families at once: apt/dpkg and pacman on
# the same scratch root (apt_scratch.sh; pacman's db, cache and log under the same --root), both with an
# upgrade published. On a real pseudo-terminal both transactions are shown before one question, `y`
# upgrades both. That they ran at the same time is shown by the managers themselves: pacman is kept
# waiting (a db.lck owned by a process of the test) until apt's new postinst, run by dpkg mid-transaction,
# removes it; the postinst then waits for pacman's log to say the upgrade happened. In sequence that
# cannot happen (apt first: pacman never ran during the postinst; pacman first: it waits for ever).
# Then piped with --yes (plain lines, no board) and SIGINT while dpkg runs a postinst: exit 130, the
# postinst finished, both databases consistent. Last, --json: one NDJSON event stream naming each manager.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/apt_scratch.sh"
for tool in pacman repo-add bsdtar; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages pacman-package-manager, libarchive-tools)"
done
python3 -c 'import pty' 2>/dev/null || skip "python3 has no pty module"

T="$SCRATCH"
R="$T/root"
DRIVE="$TESTS_DIR/pty_drive.py"
export ZSYNCCTL_APT_OPTIONS="DPkg::Options::=--force-script-chrootless"
mkdir -p "$T/repo" "$T/prepo"
# deb NAME VERSION [POSTINST-BODY]: a package whose postinst (run by dpkg, chrootless) is BODY.
deb() {
    local d="$T/build/$1-$2"
    rm -rf "$d"
    mkdir -p "$d/DEBIAN" "$d/usr/share/$1"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: multi test %s\n' \
        "$1" "$2" "$1" >"$d/DEBIAN/control"
    if [ -n "${3:-}" ]; then
        printf '#!/bin/sh\n%s\n' "$3" >"$d/DEBIAN/postinst"
        chmod 755 "$d/DEBIAN/postinst"
    fi
    echo "$1 $2" >"$d/usr/share/$1/version"
    dpkg-deb -b "$d" "$T/repo/$1_$2_all.deb" >/dev/null || fail "dpkg-deb $1 $2"
}
mkpkg() { # NAME VERSION
    local b="$T/pbuild/$1-$2"
    mkdir -p "$b/usr/share/$1"
    echo "$2" >"$b/usr/share/$1/version"
    printf 'pkgname = %s\npkgbase = %s\npkgver = %s\npkgdesc = multi test %s\nbuilddate = 1700000000\nsize = 3\narch = any\nlicense = MIT\n' \
        "$1" "$1" "$2" "$1" >"$b/.PKGINFO"
    (cd "$b" && bsdtar -czf "$T/prepo/$1-$2-any.pkg.tar.gz" .PKGINFO usr)
    repo-add -q "$T/prepo/testrepo.db.tar.gz" "$T/prepo/$1-$2-any.pkg.tar.gz" >/dev/null 2>&1 || fail "repo-add $1"
    # pacman fetches a db only when it is newer than its copy (whole seconds): each publication is later.
    PUB=$((${PUB:-$(date +%s)} + 5))
    touch -d "@$PUB" "$T/prepo/testrepo.db.tar.gz"
}
publish_apt() {
    (cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages"
    why=$(apt_update "$R" zs-a) || fail "apt-get update failed: $why"
}
aver() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Version}' "$1" 2>/dev/null; }
PAC=(pacman --config "$R/etc/pacman.conf" --root "$R" --dbpath "$R/var/lib/pacman" --cachedir "$R/var/cache/pacman/pkg"
    --logfile "$R/var/log/pacman.log" --color never --noconfirm)
pver() { "${PAC[@]}" -Q "$1" 2>/dev/null | awk '{print $2}'; }
audit_clean() { # WHAT
    local a
    a=$(dpkg --root="$R" --audit 2>&1)
    [ -z "$a" ] && ok || fail "$1: dpkg --audit on the scratch root: $a"
}
Z=(--no-cache --root "$R")

# The root: apt's scratch layout plus pacman's, one package of each installed at 1.0.
deb zs-a 1.0
deb zs-aslow 1.0
apt_scratch_root "$R" "$T/repo"
mkdir -p "$R/var/lib/pacman" "$R/var/cache/pacman/pkg"
printf '[options]\nArchitecture = auto\nSigLevel = Never\n\n[testrepo]\nServer = file://%s\n' "$T/prepo" >"$R/etc/pacman.conf"
mkpkg zs-p 1.0-1
publish_apt
TIMEOUT=120 expect_exit 0 "install the apt 1.0 versions" "${Z[@]}" pkg install --yes apt:zs-a apt:zs-aslow
TIMEOUT=60 expect_exit 0 "first pacman sync" "${Z[@]}" pkg refresh -m pacman
"${PAC[@]}" -S zs-p >"$T/pacman.log" 2>&1 || fail "pacman -S: $(tail -3 "$T/pacman.log")"
[ "$(pver zs-p)" = "1.0-1" ] && ok || fail "zs-p 1.0-1 not installed: $(pver zs-p)"

# The upgrades. zs-aslow 2.0's postinst opens pacman's gate and waits for pacman to upgrade.
deb zs-a 2.0
deb zs-aslow 2.0 'echo "postinst start $(date +%s.%N)" >>"$DPKG_ROOT/multi.log"
rm -f "$DPKG_ROOT/var/lib/pacman/db.lck"
i=0
while [ $i -lt 200 ] && ! grep -q "upgraded zs-p (1.0-1 -> 2.0-1)" "$DPKG_ROOT/var/log/pacman.log" 2>/dev/null; do sleep 0.1; i=$((i+1)); done
if grep -q "upgraded zs-p (1.0-1 -> 2.0-1)" "$DPKG_ROOT/var/log/pacman.log" 2>/dev/null; then echo "pacman upgraded during the postinst" >>"$DPKG_ROOT/multi.log"; else echo "no pacman during the postinst" >>"$DPKG_ROOT/multi.log"; fi
echo "postinst end $(date +%s.%N)" >>"$DPKG_ROOT/multi.log"'
publish_apt
mkpkg zs-p 2.0-1
TIMEOUT=60 expect_exit 0 "pacman refresh" "${Z[@]}" pkg refresh -m pacman
TIMEOUT=60 expect_exit 100 "both outdated" --json "${Z[@]}" pkg outdated -m apt,pacman
expect_json "sorted(p['manager']+':'+p['name'] for p in d['outdated'])==['apt:zs-a','apt:zs-aslow','pacman:zs-p']" "apt and pacman both have upgrades"

# Without a terminal and without --yes: refused, nothing run.
TIMEOUT=60 expect_exit 2 "no terminal, no --yes" "${Z[@]}" pkg upgrade --all -m apt -m pacman </dev/null
expect_contains "$ERR" "refusing to upgrade with apt, pacman" "names both managers"
# --json --dry-run: one plan document per line, one per manager, each with its manager's own transaction.
TIMEOUT=60 expect_exit 0 "--json dry run with two managers" --json "${Z[@]}" pkg upgrade --all --dry-run -m apt,pacman
printf '%s\n' "$OUT" | python3 -c '
import json, sys
docs = [json.loads(l) for l in sys.stdin if l.strip()]
ups = {d["manager"]: sorted(u["name"] for u in d["transaction"]["upgrade"]) for d in docs}
sys.exit(0 if ups == {"apt": ["zs-a", "zs-aslow"], "pacman": ["zs-p"]} else 1)' && ok ||
    fail "--json dry run: not one plan line per manager with its transaction: $OUT"

# The gate: pacman's db.lck, held (as pacman writes it) by a process of the test, not of zsyncctl.
sleep 120 &
GATE=$!
trap 'kill $GATE 2>/dev/null; rm -rf "$SCRATCH"' EXIT
echo "$GATE" >"$R/var/lib/pacman/db.lck"
PTY_DEADLINE=120 python3 "$DRIVE" "$T/yes.tty" --expect "[Y/n]" --send 'y\r' -- "$ZSYNCCTL" "${Z[@]}" pkg upgrade --all -m apt -m pacman
code=$?
kill "$GATE" 2>/dev/null
t=$(tr -d '\r' <"$T/yes.tty")
[ "$code" -eq 0 ] && ok || fail "confirmed upgrade exited $code: ${t: -1500}"
expect_contains "$t" "apt will:" "apt's transaction shown"
expect_contains "$t" "pacman will:" "pacman's transaction shown"
expect_contains "$t" "Upgrade 3 packages with apt, pacman? [Y/n]" "one question for both"
[ "$(grep -c '\[Y/n\]' <<<"$t")" = "1" ] && ok || fail "asked more than once: $t"
expect_contains "$t" "upgraded 2 packages" "apt's line on the board"
expect_contains "$t" "upgraded 1 package" "pacman's line on the board"
expect_contains "$t" "upgraded with apt, pacman" "the result"
[ "$(aver zs-a)" = "2.0" ] && [ "$(aver zs-aslow)" = "2.0" ] && ok || fail "apt packages not upgraded: $(aver zs-a) $(aver zs-aslow)"
[ "$(pver zs-p)" = "2.0-1" ] && ok || fail "zs-p not upgraded: $(pver zs-p)"
log=$(cat "$R/multi.log" 2>/dev/null)
expect_contains "$log" "pacman upgraded during the postinst" "pacman (lock family pacman-db) ran while dpkg (family dpkg) was mid-transaction"
# The managers' own logs agree: pacman's upgrade is inside apt's transaction (apt's history.log).
python3 - "$R/var/log/apt/history.log" "$R/var/log/pacman.log" <<'EOF' && ok || fail "apt's and pacman's logs: $(cat "$R/var/log/apt/history.log" "$R/var/log/pacman.log")"
import datetime, re, sys
history, pacman = open(sys.argv[1]).read(), open(sys.argv[2]).read()
block = [b for b in history.split("\n\n") if re.search(r"zs-aslow:\w+ \(1\.0, 2\.0\)", b)][0]
when = lambda key: datetime.datetime.strptime(re.search(key + r": (.*)", block).group(1), "%Y-%m-%d  %H:%M:%S")
p = re.search(r"\[([^]]*)\] \[ALPM\] upgraded zs-p \(1.0-1 -> 2.0-1\)", pacman).group(1)
p = datetime.datetime.strptime(p[:19], "%Y-%m-%dT%H:%M:%S")
sys.exit(0 if when("Start-Date") <= p <= when("End-Date") else 1)
EOF
audit_clean "after the upgrade"
[ ! -e "$R/var/lib/pacman/db.lck" ] && ok || fail "db.lck left behind"

# Piped, --yes: plain lines per manager (no board); SIGINT while dpkg runs zs-aslow 3.0's postinst.
deb zs-aslow 3.0 'echo start >>"$DPKG_ROOT/slow.log"; sleep 4; echo done >>"$DPKG_ROOT/slow.log"'
publish_apt
mkpkg zs-p 3.0-1
TIMEOUT=60 expect_exit 0 "pacman refresh" "${Z[@]}" pkg refresh -m pacman
timeout 120 "$ZSYNCCTL" "${Z[@]}" pkg upgrade --all --yes -m apt -m pacman >"$T/intr.out" 2>"$T/intr.err" &
Zpid=$!
for _ in $(seq 1 300); do [ -s "$R/slow.log" ] && break; sleep 0.1; done
[ -s "$R/slow.log" ] && ok || fail "the postinst never started: $(cat "$T/intr.err")"
kill -INT "$Zpid"
wait "$Zpid"
code=$?
err=$(cat "$T/intr.err")
[ "$code" -eq 130 ] && ok || fail "SIGINT mid-upgrade exited $code, wanted 130: $err"
grep -q done "$R/slow.log" && ok || fail "the postinst did not finish: $(cat "$R/slow.log")"
expect_contains "$err" "apt: " "plain per-manager lines when piped"
case "$err" in *$'\x1b['*) fail "escape sequences on a pipe: $err" ;; *) ok ;; esac
expect_contains "$err" "every running manager was waited for" "the interruption names the wait"
audit_clean "after SIGINT"
[ "$(aver zs-aslow)" = "3.0" ] && ok || fail "zs-aslow after SIGINT: $(aver zs-aslow) (dpkg finished the transaction)"
[ ! -e "$R/var/lib/pacman/db.lck" ] && ok || fail "db.lck left behind after SIGINT"
"${PAC[@]}" -Dk >/dev/null 2>&1 && ok || fail "pacman -Dk: $("${PAC[@]}" -Dk 2>&1 | tail -3)"

# --json with both managers: NDJSON events on stdout, every one naming its manager; a plan per manager with
# the transaction it agreed to, then its progress and one done event each; the databases say both upgraded.
deb zs-a 4.0
publish_apt
mkpkg zs-p 4.0-1
TIMEOUT=60 expect_exit 0 "pacman refresh" "${Z[@]}" pkg refresh -m pacman
TIMEOUT=120 expect_exit 0 "--json upgrade with two managers" --json "${Z[@]}" pkg upgrade --all --yes -m apt,pacman
printf '%s\n' "$OUT" >"$T/events.ndjson"
python3 - "$T/events.ndjson" <<'EOF2' && ok || fail "--json events: $(head -c 1500 "$T/events.ndjson")"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert all(e.get("manager") in ("apt", "pacman") for e in events), "an event without its manager"
plans = {e["manager"]: e for e in events if e["event"] == "plan"}
assert sorted(u["name"] for u in plans["apt"]["transaction"]["upgrade"]) == ["zs-a"], plans
assert [u["name"] for u in plans["pacman"]["transaction"]["upgrade"]] == ["zs-p"], plans
done = {e["manager"]: e for e in events if e["event"] == "done"}
assert all(done[m]["success"] and done[m]["result"] == "upgraded" for m in ("apt", "pacman")), done
for m in ("apt", "pacman"):
    kinds = [e["event"] for e in events if e["manager"] == m]
    assert kinds[0] == "plan" and kinds[-1] == "done" and "start" in kinds, (m, kinds)
assert any(e["event"] == "progress" and e["manager"] == "apt" for e in events), "no apt progress"
EOF2
[ "$(aver zs-a)" = "4.0" ] && ok || fail "zs-a after the --json run: $(aver zs-a)"
[ "$(pver zs-p)" = "4.0-1" ] && ok || fail "zs-p after the --json run: $(pver zs-p)"
audit_clean "after the --json run"

finish
