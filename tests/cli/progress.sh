#!/bin/bash
# What an install shows while it runs: the bar's spinner turns on a timer while the manager is silent (a
# real pseudo-terminal, pty_drive.py), JSON does not repeat identical progress events, and in lines mode a
# failing real pip's output is printed once, not again in the "last output" block. Install logs and the
# detection cache are pruned by age and count.
. "$TESTS_DIR/lib.sh"

BIN="$SCRATCH/bin"
mkdir -p "$BIN" "$SCRATCH/root"
# An apt-get that answers the simulation, then stays silent for 1.5 s (apt reading its lists) before it
# reports, through its Status-Fd, the same download event three times and the install.
cat >"$BIN/apt-get" <<'SH'
#!/bin/bash
for name; do :; done
case " $* " in *" -s "*) echo "Inst $name (1.0 local [all])"; exit 0 ;; esac
fd=
prev=
for a; do
    [ "$prev" = -o ] && case "$a" in APT::Status-Fd=*) fd=${a#APT::Status-Fd=} ;; esac
    prev=$a
done
sleep 1.5
for _ in 1 2 3; do echo "dlstatus:1:0.0000:Retrieving file 1 of 1" >&"$fd"; done
echo "pmstatus:$name:50.0000:Unpacking $name (amd64)" >&"$fd"
echo "pmstatus:$name:100.0000:Installed $name (amd64)" >&"$fd"
exit 0
SH
chmod 755 "$BIN/apt-get"
for t in timeout cat sleep bash; do ln -s "$(command -v "$t")" "$BIN/$t"; done
R=(--root "$SCRATCH/root")

# --- the spinner turns during the silent 1.5 s (at 10 frames a second: at least 5 distinct redraws)
if python3 -c 'import pty' 2>/dev/null; then
    PTY_DEADLINE=30 "$TESTS_DIR/pty_drive.py" "$SCRATCH/bar.txt" -- \
        env PATH="$BIN" "$ZSYNCCTL" "${R[@]}" pkg install -y apt:zs-hello >/dev/null 2>&1
    code=$?
    [ "$code" = 0 ] && ok || fail "install on a terminal: exit $code: $(tr '\r' '\n' <"$SCRATCH/bar.txt" | tail -5)"
    python3 - "$SCRATCH/bar.txt" <<'PY' && ok || fail "the spinner did not turn while apt-get was silent: $(tr '\r' '\n' <"$SCRATCH/bar.txt" | head -20)"
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
frames = [f for f in text.split("\r") if re.match(r"[|/\\-] install: waiting for the package manager", f)]
glyphs = {f[0] for f in frames}
assert len(frames) >= 5 and len(glyphs) == 4, (len(frames), glyphs)
PY
else
    fail "python3 has no pty module"
fi

# --- JSON: the three identical download events are one; the run's log prunes old logs by age and count
logs="$XDG_CACHE_HOME/zsyncctl/logs"
mkdir -p "$logs" && chmod 700 "$XDG_CACHE_HOME/zsyncctl" "$logs"
for i in $(seq 1 60); do : >"$logs/install-apt-old$i.log"; done
touch -d '40 days ago' "$logs"/install-apt-old1?.log
OUT=$(PATH="$BIN" timeout -k 2 20 "$ZSYNCCTL" --json "${R[@]}" pkg install -y apt:zs-hello 2>"$SCRATCH/err")
code=$?
[ "$code" = 0 ] && ok || fail "json install: exit $code: $(cat "$SCRATCH/err")"
n=$(printf '%s\n' "$OUT" | grep -c '"Retrieving file 1 of 1"')
[ "$n" = 1 ] && ok || fail "identical progress events repeated: $n of them in: $OUT"
n=$(find "$logs" -name '*.log' | wc -l)
[ "$n" -le 50 ] && ok || fail "install logs not pruned by count: $n left (keep 50)"
old=$(find "$logs" -name 'install-apt-old1?.log' | wc -l)
[ "$old" = 0 ] && ok || fail "install logs older than 30 days not pruned: $old left"
# The detection cache keeps at most 16 managers-*.tsv, none older than 30 days.
cache="$XDG_CACHE_HOME/zsyncctl"
for i in $(seq 1 30); do printf '{}' >"$cache/managers-old$i.tsv"; done
touch -d '40 days ago' "$cache"/managers-old2?.tsv
PATH="$BIN" timeout 20 "$ZSYNCCTL" pkg managers >/dev/null 2>&1
n=$(find "$cache" -maxdepth 1 -name 'managers-*.tsv' | wc -l)
[ "$n" -le 16 ] && [ "$n" -ge 1 ] && ok || fail "detection cache not pruned by count: $n files (keep 16)"
old=$(find "$cache" -maxdepth 1 -name 'managers-old2?.tsv' | wc -l)
[ "$old" = 0 ] && ok || fail "detection cache files older than 30 days not pruned: $old left"

# --- lines mode: a failing real pip prints each line of its output once
if pip=$(command -v pip3 || command -v pip); then
    empty="$SCRATCH/no-wheels"
    mkdir -p "$empty"
    # No index and an empty links directory: pip fails at once, offline, and installs nothing.
    PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_FIND_LINKS="$empty" TIMEOUT=60 \
        run_z pkg install -y --manager pip zsyncctl-surely-not-a-package
    [ "$CODE" = 1 ] && ok || fail "failing pip ($pip): exit $CODE: $ERR"
    n=$(printf '%s\n' "$ERR" | grep -c 'No matching distribution found')
    [ "$n" = 1 ] && ok || fail "pip's error printed $n times (wanted once) in lines mode: $ERR"
    expect_contains "$ERR" "pip failed with exit code 1" "the failure is said"
else
    echo "note: pip not installed, the lines-mode check did not run"
fi

finish
