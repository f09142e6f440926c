#!/usr/bin/env bash
# Cold apt index build at scale: zsyncctl's native apt search with no index (read every Packages list,
# build the index, search it) against `apt-cache search` with no binary cache (apt parses the same lists
# and builds its cache in memory), on synthetic Packages lists of N packages (realistic fields: long
# descriptions, Depends, Provides on some, hashes) in a scratch root. Interleaved A B A B, ratio per pair
# (bench/pairs.py); CPU and peak RSS per size. Goals (issue 16): CPU <= 0.5x the build before the change
# (compare the printed cpu ratios of two builds), peak RSS <= apt-cache's at every size, growing linearly.
#   bench/pkg_index_scale.sh [path/to/zsyncctl] [sizes] [rounds]
set -euo pipefail
exe=$(realpath "${1:-build-rel/zsyncctl}")
sizes=${2:-"50000 200000 500000"}
rounds=${3:-3}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v apt-cache >/dev/null || { echo "pkg_index_scale.sh: apt-cache missing" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# gen N FILE: N synthetic stanzas shaped like Debian's (about 900 bytes each).
gen() {
    python3 - "$1" "$2" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(42)
words = ("library tool data utility python module for the and with support files development "
         "runtime server client network graphics audio documentation plugin bindings shared "
         "interface command line parser compression format extension kernel driver").split()
sections = ["libs", "utils", "python", "devel", "net", "graphics", "sound", "doc", "admin", "misc"]
with open(path, "w") as f:
    for i in range(n):
        name = f"{rnd.choice(['lib', 'python3-', 'golang-', 'node-', ''])}{rnd.choice(words)}{i}"
        desc = " ".join(rnd.choice(words) for _ in range(6))
        long = "\n".join(" " + " ".join(rnd.choice(words) for _ in range(12)) for _ in range(rnd.randint(2, 6)))
        deps = ", ".join(f"lib{rnd.choice(words)}{rnd.randrange(n)} (>= {rnd.randint(1, 9)}.{rnd.randint(0, 20)})"
                         for _ in range(rnd.randint(1, 5)))
        f.write(f"Package: {name}\nVersion: {rnd.randint(0, 3)}:{rnd.randint(1, 20)}.{rnd.randint(0, 99)}-{rnd.randint(1, 5)}\n"
                f"Installed-Size: {rnd.randint(10, 90000)}\nMaintainer: Bench Team <bench@example.org>\n"
                f"Architecture: {rnd.choice(['amd64', 'amd64', 'all'])}\n")
        if i % 20 == 0:
            f.write(f"Provides: virtual-{rnd.choice(words)}, {name}-api (= 1)\n")
        f.write(f"Depends: {deps}\nDescription: {desc}\n{long}\n"
                f"Homepage: https://example.org/{name}\nDescription-md5: {rnd.getrandbits(128):032x}\n"
                f"Section: {rnd.choice(sections)}\nPriority: optional\n"
                f"Filename: pool/main/{name[0]}/{name}/{name}_1.0_amd64.deb\nSize: {rnd.randint(1000, 10**7)}\n"
                f"SHA256: {rnd.getrandbits(256):064x}\n\n")
PY
}

for n in $sizes; do
    root="$tmp/root$n"
    mkdir -p "$root/etc/apt/sources.list.d" "$root/etc/apt/preferences.d" "$root/etc/apt/apt.conf.d" \
        "$root/var/lib/apt/lists/partial" "$root/var/lib/dpkg/updates" "$root/var/cache/apt/archives/partial"
    : >"$root/var/lib/dpkg/status"
    echo "deb [trusted=yes] http://bench.invalid/debian bench main" >"$root/etc/apt/sources.list"
    gen "$n" "$root/var/lib/apt/lists/bench.invalid_debian_dists_bench_main_binary-amd64_Packages"
    apt_opts="-o Dir=$root/ -o Dir::State::status=$root/var/lib/dpkg/status -o APT::Architecture=amd64"
    apt_opts+=" -o APT::Architectures::=amd64 -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache="
    mb=$(($(stat -c %s "$root/var/lib/apt/lists/bench.invalid_debian_dists_bench_main_binary-amd64_Packages") >> 20))
    # --no-cache: zsyncctl builds its index every run and keeps it in memory only (the cold path).
    python3 "$top/bench/pairs.py" --label "cold n=$n (${mb} MiB)" --rounds "$rounds" --warmup 1 --any-exit \
        "apt-cache $apt_opts search zstdbench" \
        "$exe --no-cache --root $root pkg search zstdbench --manager apt"
    # The cold build as a first search makes it, each tool writing its cache: apt-cache its binary cache
    # (pkgcache.bin/srcpkgcache.bin, removed before each run), zsyncctl its index file (the cache dir
    # emptied before each run). zsyncctl writes the index straight to the file (never whole in memory).
    c="$tmp/cache$n"
    mkdir -p "$c/apt"
    python3 "$top/bench/pairs.py" --label "cold n=$n with caches" --rounds "$rounds" --warmup 1 --any-exit \
        "sh -c 'rm -f \"\$0\"/pkgcache.bin \"\$0\"/srcpkgcache.bin; exec apt-cache \$1 -o Dir::Cache::pkgcache=\"\$0\"/pkgcache.bin -o Dir::Cache::srcpkgcache=\"\$0\"/srcpkgcache.bin search zstdbench' $c/apt '${apt_opts% -o Dir::Cache::pkgcache=*}'" \
        "sh -c 'rm -rf \"\$0\"/zs; export XDG_CACHE_HOME=\"\$0\"/zs; exec \"\$1\" --root \"\$2\" pkg search zstdbench --manager apt' $c $exe $root"
    # The same figures for the apt-cache answer itself (it must list what zsyncctl lists).
    a=$(apt-cache $apt_opts search python3-library1 | wc -l)
    z=$("$exe" --no-cache --root "$root" pkg search python3-library1 --manager apt 2>/dev/null | wc -l)
    echo "cold n=$n check: apt-cache $a lines, zsyncctl $z lines for 'python3-library1'"
done

# A dpkg status change against a warm search: bench/apt_status_change.sh, which changes the status file
# outside the timed span (a `touch` inside it, as this script once did, counted one more exec).
bash "$top/bench/apt_status_change.sh" "$exe" "" "$((rounds * 7))"
