#!/usr/bin/env bash
# `zsyncctl pkg search` on a real pseudo-terminal (pty_drive.py): ranking and "N of M shown" over this
# machine's real apt lists, results streamed below the board as each manager answers (a slow manager on
# a scratch PATH: the property is our orchestration), offline / no-repositories statuses, and hostile bytes
# (OSC 52, CSI, C1, bidi) from a real apt Packages list, a real pacman sync database and a command
# manager's output: none of them reaches the terminal.
. "$(dirname "$0")/lib.sh"

python3 -c 'import pty' 2>/dev/null || skip "python3 has no pty module"
DRIVE="$SOURCE_ROOT/tests/cli/pty_drive.py"
FIX="$SOURCE_ROOT/tests/fixtures/search"
BIN="$SCRATCH/bin"
mkdir -p "$BIN" "$SCRATCH/home"
export PATH="$BIN:/usr/bin:/bin"
export HOME="$SCRATCH/home"
export COLUMNS=100
# The fakes answer without a network: a proxy setting turns off the registry-host check (tested on its
# own below).
export https_proxy=http://127.0.0.1:9
ran=0

# pty RUN_NAME ARGS...: zsyncctl on a pseudo-terminal; the transcript is in $SCRATCH/RUN_NAME, the exit in PTY.
pty() {
    local name=$1
    shift
    PTY_DEADLINE=40 python3 "$DRIVE" "$SCRATCH/$name" -- "$ZSYNCCTL" --color never "$@"
    PTY=$?
}

# transcript_check NAME PYTHON: evaluates PYTHON (an expression, or statements that set `ok`) with `t` bound
# to the transcript (str, UTF-8 decoded).
transcript_check() {
    python3 - "$SCRATCH/$1" "$2" <<'PY'
import re, sys
t = open(sys.argv[1], "rb").read().decode("utf-8", errors="replace")
ns = {"t": t, "re": re}
try:
    result = eval(sys.argv[2], ns)
except SyntaxError:  # statements: the last one sets ok
    exec(sys.argv[2], ns)
    result = ns["ok"]
sys.exit(0 if result else 1)
PY
}

host_apt=0
if ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 && grep -q '^Package: hello$' <(/usr/lib/apt/apt-helper cat-file /var/lib/apt/lists/*_Packages* 2>/dev/null); then
    host_apt=1
fi

# ---- Ranking over the real lists: the exact match first, --limit keeps it and says how many there were.
if [ "$host_apt" = 1 ]; then
    ran=1
    pty rank pkg search hello -m apt --limit 1
    [ "$PTY" = 0 ] && ok || fail "ranking on a terminal: exit $PTY"
    transcript_check rank 're.search(r"apt \(1 of \d+ shown\)\r?\n +hello +\S", t)' && ok ||
        fail "ranking: 'hello' is not the one result shown: $(tail -c 600 "$SCRATCH/rank")"
    expect_exit 0 "ranking, JSON" --json pkg search hello -m apt --limit 3
    expect_json 'd["results"][0]["name"] == "hello" and d["managers"][0]["total"] > 3 and d["managers"][0]["count"] == 3' "JSON: exact match first, total reported"
    # -m takes one value per occurrence: the query after it is the query.
    expect_exit 0 "-m before the query" --json pkg search -m apt hello --exact
    expect_json '[r["name"] for r in d["results"]] == ["hello"]' "-m apt hello --exact"
fi

# ---- Streaming: apt answers at once, cargo after 3 s; apt's results are on the terminal before cargo's
# board line says it finished (they used to wait for the slowest manager).
cat >"$BIN/cargo" <<SH
#!/bin/sh
sleep 3
cat "$FIX/cli/cargo.out"
SH
chmod +x "$BIN/cargo"
if [ "$host_apt" = 1 ]; then
    pty stream pkg search hello -m apt,cargo --limit 2
    [ "$PTY" = 0 ] && ok || fail "streaming: exit $PTY"
    transcript_check stream '
a = t.find("apt (2 of ")
c = re.search(r"cargo +(\d+ of )?\d+ results?", t)
ok = a >= 0 and c is not None and a < c.start()' && ok ||
        fail "streaming: apt's results came after cargo finished: $(tail -c 900 "$SCRATCH/stream" | od -c | tail -30)"
    # The board is redrawn above the results (cursor up over them) once cargo finishes.
    transcript_check stream 't.find("cargo (") >= 0 and t.rfind("\x1b[") > t.find("apt (2 of ")' && ok ||
        fail "streaming: no board redraw after the first results"
fi

# ---- Offline and no repositories are statuses of their own; when no manager answered, exit 3.
cat >"$BIN/gem" <<'SH'
#!/bin/sh
echo 'ERROR:  Could not find a valid gem in any repository (Gem::RemoteFetcher::UnknownHostError)' >&2
echo '    no such name (https://rubygems.org/api/v1/search.json?query=hello)' >&2
exit 0
SH
cat >"$BIN/cargo" <<'SH'
#!/bin/sh
echo 'error: failed to retrieve search results from the registry at https://crates.io' >&2
echo '' >&2
echo 'Caused by:' >&2
echo '  [6] Could not resolve hostname (Could not resolve host: crates.io)' >&2
exit 101
SH
cat >"$BIN/dnf" <<'SH'
#!/bin/sh
echo 'Error: There are no enabled repositories in "/etc/yum.repos.d", "/etc/yum/repos.d", "/etc/distro.repos.d".' >&2
exit 1
SH
cat >"$BIN/zypper" <<'SH'
#!/bin/sh
echo 'Warning: No repositories defined. Operating only with the installed resolvables. Nothing can be installed.'
exit 0
SH
cat >"$BIN/npm" <<'SH'
#!/bin/sh
echo 'npm error code E404' >&2
echo 'npm error 404 Not Found - GET https://registry.npmjs.org/-/v1/search?text=hello - Not found' >&2
echo 'npm error A complete log of this run can be found in: /root/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log' >&2
exit 1
SH
chmod +x "$BIN"/*
ran=1
pty offline pkg search hello -m gem,cargo,dnf,zypper,npm
[ "$PTY" = 3 ] && ok || fail "no manager answered: exit $PTY, wanted 3"
transcript_check offline 'all(re.search(m + r" +offline", t) for m in ("gem", "cargo"))' && ok ||
    fail "offline managers not shown as offline: $(tail -c 1200 "$SCRATCH/offline")"
transcript_check offline 'all(re.search(m + r" +no repositories", t) for m in ("dnf", "zypper"))' && ok ||
    fail "managers without repositories not shown as such: $(tail -c 1200 "$SCRATCH/offline")"
transcript_check offline '"0 results" not in t and "no package matches" not in t and "no manager answered" in t' && ok ||
    fail "offline shown as 0 results / nothing found: $(tail -c 1200 "$SCRATCH/offline")"
transcript_check offline '"E404 404 Not Found" in t and "_logs" not in t' && ok ||
    fail "npm's error is not its E404 line: $(tail -c 1200 "$SCRATCH/offline")"
# The same as --json-lines status records: "offline" is not "found nothing".
expect_exit 3 "json-lines status records" pkg search hello -m gem,dnf --json-lines
printf '%s\n' "$OUT" | python3 -c '
import json, sys
st = {d["manager"]: d["status"] for d in map(json.loads, sys.stdin) if d.get("type") == "status"}
sys.exit(0 if st == {"gem": "offline", "dnf": "no_repositories"} else 1)' && ok || fail "json-lines status records: $OUT"

# Without a proxy, a network-only manager whose registry host cannot be resolved is offline at once and
# never runs (this machine: only when crates.io does not resolve here).
if ! getent ahosts crates.io >/dev/null 2>&1; then
    cat >"$BIN/cargo" <<SH
#!/bin/sh
touch "$SCRATCH/cargo-ran"
sleep 20
SH
    chmod +x "$BIN/cargo"
    start=$(date +%s%N)
    https_proxy= pty dns pkg search hello -m cargo
    took=$(( ($(date +%s%N) - start) / 1000000 ))
    [ "$PTY" = 3 ] && ok || fail "unresolvable registry: exit $PTY, wanted 3"
    transcript_check dns 're.search(r"cargo +offline", t) and "cannot resolve crates.io" in t' && ok ||
        fail "unresolvable registry: not reported offline: $(tail -c 800 "$SCRATCH/dns")"
    [ ! -e "$SCRATCH/cargo-ran" ] && ok || fail "cargo ran although crates.io cannot be resolved"
    [ "$took" -lt 5000 ] && ok || fail "the offline check took ${took} ms"
fi

# ---- Hostile bytes: OSC 52 (clipboard), a title, CSI clear screen, 8-bit CSI/OSC (C1), bidi overrides.
EVIL=$(printf 'Evil \033]52;c;cm0gLXJmIH4K\007clip \033]0;pwned\033\\title \033[2J\033[Hclear \302\23331m c1 \302\2350;pwned\302\234 \342\200\256bidi\342\201\246iso\342\201\251 end')
# no_hostile NAME: the terminal saw the package but none of the hostile bytes; the only escape sequences
# are zsyncctl's own board controls (cursor up/down, erase line, cursor visibility, colours).
no_hostile() {
    transcript_check "$1" '
own = re.compile(r"\x1b\[(\d*[ABK]|\?25[lh]|[0-9;]*m)")
rest = own.sub("", t)
ok = "zs-evil" in t and "\x1b" not in rest and "pwned" not in t and "52;c" not in t
ok = ok and not any(0x80 <= ord(ch) <= 0x9f for ch in t)
ok = ok and not any(0x202a <= ord(ch) <= 0x202e or 0x2066 <= ord(ch) <= 0x2069 for ch in t)' && ok ||
        fail "$1: hostile bytes reached the terminal: $(od -c "$SCRATCH/$1" | grep -m3 '033\|302\|342')"
}
# A command manager's output.
cat >"$BIN/apk" <<SH
#!/bin/sh
printf '%s\n' "zs-evil-1.0-r0 - $EVIL"
SH
chmod +x "$BIN/apk"
pty hostile-cmd pkg search zs-evil -m apk
[ "$PTY" = 0 ] && ok || fail "hostile command output: exit $PTY"
no_hostile hostile-cmd
pty hostile-cmd-plain -q pkg search zs-evil -m apk
no_hostile hostile-cmd-plain
transcript_check hostile-cmd-plain '"\x1b" not in t' && ok || fail "plain output on a terminal has an escape"
# A real apt Packages list (apt-get update from a local repository into a scratch root).
if command -v apt-get >/dev/null; then
    R="$SCRATCH/aptroot"
    REPO="$SCRATCH/repo"
    mkdir -p "$REPO" "$R/etc/apt/sources.list.d" "$R/etc/apt/preferences.d" "$R/etc/apt/apt.conf.d" \
        "$R/var/lib/apt/lists/partial" "$R/var/cache/apt/archives/partial" "$R/var/lib/dpkg"
    # (A zero-byte status is valid for dpkg but the native apt reader's fix for it is another branch's.)
    printf 'Package: zs-base\nStatus: install ok installed\nVersion: 1\nArchitecture: all\nDescription: base\n\n' >"$R/var/lib/dpkg/status"
    printf 'Package: zs-evil\nVersion: 1.0\nArchitecture: all\nMaintainer: T <t@example.org>\nFilename: zs-evil_1.0_all.deb\nSize: 1\nDescription: %s\n long %s\n\n' \
        "$EVIL" "$EVIL" >"$REPO/Packages"
    echo "deb [trusted=yes] file:$REPO ./" >"$R/etc/apt/sources.list"
    APTO=(-o "Dir=$R" -o "Dir::State::status=$R/var/lib/dpkg/status" -o "Dir::Etc::SourceList=$R/etc/apt/sources.list"
        -o "Dir::Etc::SourceParts=$R/etc/apt/sources.list.d" -o "Dir::Etc::Parts=$R/etc/apt/apt.conf.d"
        -o "Dir::Cache=$R/var/cache/apt" -o Debug::NoLocking=1)
    if apt-get "${APTO[@]}" -q update >"$SCRATCH/apt-update.log" 2>&1; then
        [ "$(apt-cache "${APTO[@]}" search zs-evil | awk '{print $1}')" = zs-evil ] && ok || fail "apt-cache does not see the hostile package"
        pty hostile-apt --no-cache --root "$R" pkg search zs-evil -m apt
        [ "$PTY" = 0 ] && ok || fail "hostile apt list: exit $PTY"
        no_hostile hostile-apt
    else
        fail "apt-get update of the hostile list failed: $(tail -3 "$SCRATCH/apt-update.log")"
    fi
fi
# A real pacman sync database (repo-add, pacman -Sy into a scratch root).
if command -v repo-add >/dev/null && command -v pacman >/dev/null && command -v bsdtar >/dev/null; then
    b="$SCRATCH/pbuild"
    mkdir -p "$b/usr/share/zs-evil" "$SCRATCH/prepo" "$SCRATCH/proot/etc" "$SCRATCH/proot/var/lib/pacman"
    echo hi >"$b/usr/share/zs-evil/file"
    printf 'pkgname = zs-evil\npkgbase = zs-evil\npkgver = 1.0-1\npkgdesc = %s\nbuilddate = 1700000000\nsize = 3\narch = any\nlicense = MIT\n' "$EVIL" >"$b/.PKGINFO"
    (cd "$b" && bsdtar -czf "$SCRATCH/prepo/zs-evil-1.0-1-any.pkg.tar.gz" .PKGINFO usr)
    repo-add -q "$SCRATCH/prepo/evil.db.tar.gz" "$SCRATCH/prepo/zs-evil-1.0-1-any.pkg.tar.gz" >/dev/null 2>&1
    P="$SCRATCH/proot"
    printf '[options]\nArchitecture = auto\nSigLevel = Never\n\n[evil]\nServer = file://%s\n' "$SCRATCH/prepo" >"$P/etc/pacman.conf"
    if pacman --config "$P/etc/pacman.conf" --root "$P" --dbpath "$P/var/lib/pacman" --noconfirm -Sy >"$SCRATCH/pacman.log" 2>&1; then
        pty hostile-pacman --no-cache --root "$P" pkg search zs-evil -m pacman
        [ "$PTY" = 0 ] && ok || fail "hostile pacman db: exit $PTY"
        no_hostile hostile-pacman
    else
        fail "pacman -Sy of the hostile db failed: $(tail -3 "$SCRATCH/pacman.log")"
    fi
fi

# ---- The board on a real 80-column terminal (tmux) over results wider than it: apt's long names and
# versions. Each result line is fitted to the width; a wrapped one made the board's redraw (it moves up
# by rows) land on the results. The screen tmux shows must have the board once, at the top, then every
# result apt-cache finds, one row each.
if command -v tmux >/dev/null && command -v apt-get >/dev/null; then
    ran=1
    W="$SCRATCH/wrap"
    R="$W/root"
    mkdir -p "$W/repo" "$R/etc/apt/sources.list.d" "$R/etc/apt/preferences.d" "$R/etc/apt/apt.conf.d" \
        "$R/var/lib/apt/lists/partial" "$R/var/cache/apt/archives/partial" "$R/var/lib/dpkg"
    printf 'Package: zs-base\nStatus: install ok installed\nVersion: 1\nArchitecture: all\nDescription: base\n\n' >"$R/var/lib/dpkg/status"
    for i in 0 1 2 3 4 5 6 7; do
        extra=$(printf -- '-extra%.0s' $(seq 0 $((i % 3))))
        printf 'Package: zswrap-library-with-a-rather-long-name-%s%s\nVersion: 1:2.%s.0~git20261205.abcdef%s+dfsg-%subuntu1~bpo12\nArchitecture: all\nMaintainer: T <t@example.org>\nFilename: x_%s.deb\nSize: 1\nDescription: zswrap package %s with a description long enough to be cut on any terminal\n long\n\n' \
            "$i" "$extra" "$i" "$i" "$i" "$i" "$i" >>"$W/repo/Packages"
    done
    echo "deb [trusted=yes] file:$W/repo ./" >"$R/etc/apt/sources.list"
    APTW=(-o "Dir=$R" -o "Dir::State::status=$R/var/lib/dpkg/status" -o "Dir::Etc::SourceList=$R/etc/apt/sources.list"
        -o "Dir::Etc::SourceParts=$R/etc/apt/sources.list.d" -o "Dir::Etc::Parts=$R/etc/apt/apt.conf.d"
        -o "Dir::Cache=$R/var/cache/apt" -o Debug::NoLocking=1)
    if apt-get "${APTW[@]}" -q update >"$SCRATCH/apt-wrap.log" 2>&1; then
        want=$(apt-cache "${APTW[@]}" search zswrap | wc -l)
        TM=(tmux -L "zs-wrap-$$" -f /dev/null)
        "${TM[@]}" new-session -d -x 80 -y 40 -s w \
            "'$ZSYNCCTL' --color never --no-cache --root '$R' pkg search zswrap -m apt,cargo; echo EXIT=\$?; sleep 120"
        for _ in $(seq 100); do
            "${TM[@]}" capture-pane -p -t w >"$SCRATCH/wrap-screen" 2>/dev/null
            grep -q '^EXIT=' "$SCRATCH/wrap-screen" && break
            sleep 0.2
        done
        "${TM[@]}" kill-server 2>/dev/null
        python3 - "$SCRATCH/wrap-screen" "$want" <<'PY' && ok || fail "80-column board over wide results: $(cat "$SCRATCH/wrap-screen")"
import sys
rows = [r.rstrip() for r in open(sys.argv[1], encoding="utf-8")]
want = int(sys.argv[2])
assert "EXIT=0" in rows, "did not finish with exit 0"
assert want == 8, f"apt-cache found {want}"
assert rows[0].startswith("\u2713 apt") and rows[0].split()[2:4] == ["8", "results"], rows[0]
assert sum(r.startswith("\u2713 apt") for r in rows) == 1, "the board's apt line is on the screen twice"
h = rows.index("apt (8)")
results = rows[h + 1:h + 1 + want]
assert all(r.startswith("    zswrap-library-with-a-rather-long-name-") for r in results), results
shown = {r.split()[0] for r in results}
assert len(shown) == want or all("\u2026" in r for r in results), results
assert all(len(r) <= 80 for r in rows), "a row wider than the terminal"
PY
    else
        fail "apt-get update of the wide list failed: $(tail -3 "$SCRATCH/apt-wrap.log")"
    fi
fi

[ "$ran" = 1 ] || skip "nothing to run"
finish
