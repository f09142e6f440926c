#!/usr/bin/env bash
# The detection cache on the host file system stays correct although it no longer stats every candidate:
# it is validated by the stamps of the directories detection looked in (a directory's mtime changes when an
# entry is added, removed or renamed), the candidate executables themselves and symlinks. A manager binary
# (apk, a copy of /bin/true) is installed, replaced, removed, symlinked and retargeted in a PATH directory
# of real files; after each change the next `pkg managers` and `doctor` must see it (the oracle is a fresh
# `--no-cache` detection of the same machine), and an unchanged machine must be a cache hit. Also: a PATH
# directory that does not exist yet and appears later, a damaged cache file (ignored and rewritten), and
# doctor writing nothing even when the cache is stale.
. "$(dirname "$0")/lib.sh"

D="$SCRATCH/bin"           # a PATH directory we control
LATER="$SCRATCH/later/bin" # on PATH, created only later
mkdir -p "$D" "$SCRATCH/t1" "$SCRATCH/t2" "$SCRATCH/home"
# A private HOME: the cache depends on directories under HOME, which other programs change all the time.
export HOME="$SCRATCH/home"
export PATH_UNDER_TEST="$D:$LATER:/usr/bin:/bin"

# pkg managers with the test PATH; sets OUT/ERR/CODE.
pm() {
    OUT=$(PATH="$PATH_UNDER_TEST" timeout -k 2 20 "$ZSYNCCTL" pkg managers --json -v "$@" 2>"$SCRATCH/stderr")
    CODE=$?
    ERR=$(cat "$SCRATCH/stderr")
}

# The apk entry of the last OUT as "path" or "-" when not detected.
apk_of() {
    printf '%s' "$OUT" | python3 -c "
import json, sys
d = [m for m in json.load(sys.stdin) if m['name'] == 'apk']
print(d[0]['path'] if d else '-')"
}

# After a change: the next run is fresh and agrees with --no-cache, the one after is a cache hit.
check_step() {
    local what=$1 want=$2
    pm
    [ "$CODE" -eq 0 ] && ok || fail "$what: exit $CODE ($ERR)"
    expect_contains "$ERR" "detection: fresh" "$what: the change invalidates the cache"
    local got
    got=$(apk_of)
    [ "$got" = "$want" ] && ok || fail "$what: apk is '$got', want '$want'"
    local cached=$OUT
    pm --no-cache
    [ "$(apk_of)" = "$want" ] && ok || fail "$what: --no-cache says '$(apk_of)'"
    [ "$cached" = "$OUT" ] && ok || fail "$what: cached document differs from a fresh detection"
    # The cache also depends on shared directories (/usr/bin, /var/lib, ...) that other processes on this
    # machine may change between two runs: a miss is allowed if the stamp that moved is shown and the
    # next run (the cache rewritten) hits.
    local file before_hit attempt
    file=$(find "$XDG_CACHE_HOME/zsyncctl" -name 'managers-*.tsv' | head -1)
    for attempt in 1 2 3; do
        before_hit=$(cat "$file" 2>/dev/null)
        pm
        case "$ERR" in
        *"detection: from cache"*) break ;;
        *) echo "note: $what: miss, attempt $attempt; stamps that moved:" >&2
           diff <(echo "$before_hit") "$file" | grep '^[<>] d' >&2 ;;
        esac
    done
    expect_contains "$ERR" "detection: from cache" "$what: unchanged machine is a cache hit"
    [ "$(apk_of)" = "$want" ] && ok || fail "$what: from cache apk is '$(apk_of)'"
    # doctor reads the same cache: it sees the change too.
    OUT=$(PATH="$PATH_UNDER_TEST" timeout -k 2 20 "$ZSYNCCTL" doctor --json 2>/dev/null)
    got=$(printf '%s' "$OUT" | python3 -c "
import json, sys
d = [m for m in json.load(sys.stdin)['facts']['package_managers'] if m['name'] == 'apk']
print(d[0]['path'] if d else '-')")
    [ "$got" = "$want" ] && ok || fail "$what: doctor says apk is '$got', want '$want'"
}

pm
[ "$CODE" -eq 0 ] && ok || fail "first run: exit $CODE ($ERR)"
pm
expect_contains "$ERR" "detection: from cache" "second run reads the cache"
[ "$(apk_of)" = - ] && ok || fail "apk detected before it was installed"

# Install, replace by rename (what package managers do), replace by a non-executable, remove.
cp /bin/true "$D/apk"
check_step "install" "$D/apk"
cp /bin/true "$D/apk.new" && mv "$D/apk.new" "$D/apk"
check_step "replace by rename" "$D/apk"
printf 'not a program\n' >"$D/apk.new" && mv "$D/apk.new" "$D/apk"
check_step "replaced by a non-executable" "-"
rm "$D/apk"
check_step "remove" "-"

# chmod: the directory does not change, the candidate's own stamp does.
cp /bin/true "$D/apk"
check_step "install again" "$D/apk"
chmod a-x "$D/apk"
check_step "chmod -x" "-"
chmod a+x "$D/apk"
check_step "chmod +x" "$D/apk"
rm "$D/apk"
check_step "remove again" "-"

# A symlink, retargeted to a missing file, whose target then appears and vanishes again: neither the
# link's directory nor the link changes in the last two steps.
cp /bin/true "$SCRATCH/t1/apk"
ln -s "$SCRATCH/t1/apk" "$D/apk"
check_step "symlink" "$D/apk"
ln -sfn "$SCRATCH/t2/apk" "$D/apk"
check_step "symlink retargeted to a missing file" "-"
cp /bin/true "$SCRATCH/t2/apk"
check_step "the new target appears" "$D/apk"
rm "$SCRATCH/t2/apk"
check_step "the target vanishes" "-"
rm "$D/apk"

# A PATH directory that did not exist when the cache was written.
mkdir -p "$LATER"
cp /bin/true "$LATER/apk"
check_step "a missing PATH directory appears with a manager" "$LATER/apk"

# A damaged cache (truncated, garbage, a hostile line) is ignored, never trusted, and rewritten.
cache=$(find "$XDG_CACHE_HOME/zsyncctl" -name 'managers-*.tsv' | head -1)
[ -n "$cache" ] && ok || fail "no managers-*.tsv cache file in $XDG_CACHE_HOME/zsyncctl"
good=$(cat "$cache")
for damage in truncate garbage bigcount badid; do
    case $damage in
    truncate) head -c 100 <<<"$good" >"$cache" ;;
    garbage) head -c 3000 /dev/urandom >"$cache" ;;
    bigcount) printf '%s' "$good" | sed 's/^d\t1\t[0-9]*/d\t1\t99999999999999999999999/' >"$cache" ;;
    badid) printf '%s\n' "$good" | sed 's/^m\tapk\t/m\tno-such-manager\t/' >"$cache" ;;
    esac
    pm
    [ "$CODE" -eq 0 ] && ok || fail "$damage cache: exit $CODE ($ERR)"
    expect_contains "$ERR" "detection: fresh" "$damage cache ignored"
    [ "$(apk_of)" = "$LATER/apk" ] && ok || fail "$damage cache: apk is '$(apk_of)'"
    pm
    expect_contains "$ERR" "detection: from cache" "$damage cache rewritten"
done

# doctor writes nothing, also when the cache is stale (it detects for itself and leaves the file alone).
rm "$LATER/apk"
before=$(find "$XDG_CACHE_HOME" -printf '%p %s %T@\n' | sort)
OUT=$(PATH="$PATH_UNDER_TEST" timeout -k 2 20 "$ZSYNCCTL" doctor --json 2>/dev/null)
printf '%s' "$OUT" | grep -q '"package_managers"' && ok || fail "doctor --json printed no package_managers"
after=$(find "$XDG_CACHE_HOME" -printf '%p %s %T@\n' | sort)
[ "$before" = "$after" ] && ok || fail "doctor changed the cache directory: $(diff <(echo "$before") <(echo "$after"))"
printf '%s' "$OUT" | grep -q "$LATER/apk" && fail "doctor used the stale cache (apk was removed)" || ok

finish
