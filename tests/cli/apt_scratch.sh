# Helpers for the tests that run real apt/dpkg into a scratch root (source after lib.sh). See
# shared/reference real-managers.md: apt pointed at a local repository, dpkg at a scratch admin dir.

# apt_scratch_root ROOT REPO: an empty dpkg root whose apt reads the trusted local repository REPO.
apt_scratch_root() {
    local r=$1
    mkdir -p "$2" "$r/etc/apt/sources.list.d" "$r/etc/apt/preferences.d" "$r/etc/apt/apt.conf.d" \
        "$r/var/lib/apt/lists/partial" "$r/var/cache/apt/archives/partial" "$r/var/lib/dpkg/updates" \
        "$r/var/lib/dpkg/info" "$r/var/log"
    : >"$r/var/lib/dpkg/status"
    echo "deb [trusted=yes] file:$2 ./" >"$r/etc/apt/sources.list"
}

# apt_update ROOT NAME: `apt-get update` inside ROOT with the same Dir/dpkg options zsyncctl's plan for
# NAME uses (the index update is not part of pkg install); false (with the log's tail) when it fails.
apt_update() {
    local opts o
    opts=$("$ZSYNCCTL" --json --root "$1" pkg install -n "apt:$2" | python3 -c "
import json,sys
a=json.load(sys.stdin)['argv']
print('\n'.join(a[i+1] for i,x in enumerate(a) if x=='-o' and a[i+1].startswith(('Dir','DPkg::Options::=--root','DPkg::Options::=--admindir','DPkg::Options::=--force-not-root','Debug'))))")
    # Never the host's apt: without the root's Dir options this would refresh the host's lists.
    if ! printf '%s\n' "$opts" | grep -q '^Dir'; then
        echo "apt_update: no Dir options for $1 in zsyncctl's plan for apt:$2; not running apt-get update"
        return 1
    fi
    local args=()
    while IFS= read -r o; do args+=(-o "$o"); done <<<"$opts"
    timeout 60 apt-get -q "${args[@]}" update >"$SCRATCH/update.log" 2>&1 && return 0
    tail -5 "$SCRATCH/update.log"
    return 1
}

# Skips the test when the Debian tools these tests need are missing.
for tool in apt-get dpkg-deb dpkg-scanpackages dpkg-query; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages apt, dpkg-dev)"
done
