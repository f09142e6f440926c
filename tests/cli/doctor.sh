#!/usr/bin/env bash
# zsyncctl doctor end to end: every fixture root asserted field by field through --json, the exit codes,
# check selection, a golden text report, and the live doctor against nproc, uname -r and /etc/os-release.
. "$TESTS_DIR/lib.sh"

ROOTS="$SOURCE_ROOT/tests/fixtures/roots"

# doctor_json NAME: runs `zsyncctl --root ROOTS/NAME doctor --json` (exit 0 or 1 are both reports).
doctor_json() {
    run_z --root "$ROOTS/$1" doctor --json
    if [ "$CODE" -ne 0 ] && [ "$CODE" -ne 1 ]; then
        fail "$1: doctor --json exit $CODE (stderr: ${ERR:0:300})"
    else
        ok
    fi
}

# The contract keys exist in every report.
CONTRACT='d["schema_version"] == 2 and all(k in d["facts"]["os"] for k in ("name", "arch", "distro", "kernel"))
 and all(k in d["facts"]["os"]["distro"] for k in ("id", "id_like", "version_id"))
 and isinstance(d["facts"]["os"]["distro"]["id_like"], list)
 and "release" in d["facts"]["os"]["kernel"]
 and isinstance(d["facts"]["cpu"]["online"], int) and isinstance(d["facts"]["cpu"]["effective"], int)
 and "total_bytes" in d["facts"]["memory"]
 and "container" in d["facts"]["virtualization"] and d["facts"]["virtualization"]["wsl"] in (None, 1, 2)
 and isinstance(d["facts"]["io"]["io_uring"]["usable"], bool) and isinstance(d["facts"]["io"]["io_uring"]["reason"], str)
 and isinstance(d["facts"]["io"]["epoll"], bool) and isinstance(d["facts"]["package_managers"], list)
 and all(isinstance(m["name"], str) for m in d["facts"]["package_managers"])
 and all(set(m["paths"]) == {"prefix", "bin", "lib", "include", "pkg_config", "keg_only"} for m in d["facts"]["package_managers"])
 and all(m["paths"]["prefix"] is None or isinstance(m["paths"]["prefix"], str) for m in d["facts"]["package_managers"])
 and d["facts"]["io"]["event_loop"]["backend"] in ("io_uring", "epoll") and d["facts"]["io"]["event_loop"]["reason"]
 and all(set(("id", "status", "summary", "fix")) <= set(c) and c["status"] in ("ok", "info", "warn", "fail", "skip") for c in d["checks"])
 and d["recommendation"]["execution_model"] in ("blocking", "thread_pool")
 and d["recommendation"]["io_backend"] in ("io_uring", "epoll") and d["recommendation"]["threads"] >= 1'

# expect_all NAME EXPR...: evaluates every expression over the JSON in $OUT in one python3 run; each
# false or failing expression is reported on its own.
expect_all() {
    local name=$1 result line
    shift
    result=$(printf '%s' "$OUT" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception as e:
    print("BAD not JSON: %s" % e)
    sys.exit(0)
for expr in sys.argv[1:]:
    try:
        good = bool(eval("(" + expr + "\n)", {"d": d}))
    except Exception as e:
        good = False
        expr += "  (raised %r)" % e
    print(("OK " if good else "BAD ") + expr.replace("\n", " "))
' "$@")
    while IFS= read -r line; do
        case "$line" in
        OK*) ok ;;
        BAD*) fail "$name: JSON check failed: ${line#BAD }" ;;
        esac
    done <<<"$result"
}

check() { # check NAME EXPR...: JSON assertions on the fixture's report
    local name=$1
    shift
    doctor_json "$name"
    expect_all "$name" "$CONTRACT" 'd["overrides"]["root"] is not None' "$@"
}

F='d["facts"]'
status_of() { printf '[c["status"] for c in d["checks"] if c["id"] == "%s"][0]' "$1"; }

check debian-12 \
    "$F[\"os\"][\"distro\"][\"id\"] == 'debian'" "$F[\"os\"][\"distro\"][\"id_like\"] == []" \
    "$F[\"os\"][\"distro\"][\"version_id\"] == '12'" "$F[\"os\"][\"kernel\"][\"release\"] == '6.1.0-18-amd64'" \
    "$F[\"os\"][\"kernel\"][\"version\"] == '6.1.0'" "$F[\"os\"][\"libc\"] == {'name': 'glibc', 'version': '2.36'}" \
    "$F[\"cpu\"][\"online\"] == 8" "$F[\"cpu\"][\"effective\"] == 8" "$F[\"cpu\"][\"quota\"] is None" \
    "$F[\"memory\"][\"total_bytes\"] == 16318776 * 1024" "$F[\"memory\"][\"cgroup_limit_bytes\"] is None" \
    "$F[\"virtualization\"][\"container\"] is None" "$F[\"virtualization\"][\"wsl\"] is None" \
    "$F[\"io\"][\"io_uring\"][\"usable\"] is True" "$F[\"io\"][\"io_uring\"][\"sysctl_disabled\"] is None" \
    "$F[\"limits\"][\"nofile\"] == {'soft': 1024, 'hard': 524288}" \
    "d[\"recommendation\"][\"threads\"] == 8" "d[\"recommendation\"][\"execution_model\"] == 'thread_pool'" \
    "$(status_of doctor.root) == 'info'" "$(status_of iouring.opcodes) == 'skip'"

check ubuntu-24.04 \
    "$F[\"os\"][\"distro\"][\"id\"] == 'ubuntu'" "$F[\"os\"][\"distro\"][\"id_like\"] == ['debian']" \
    "$F[\"os\"][\"distro\"][\"version_id\"] == '24.04'" "$F[\"os\"][\"distro\"][\"version_codename\"] == 'noble'" \
    "$F[\"os\"][\"kernel\"][\"release\"] == '6.8.0-31-generic'" "$F[\"os\"][\"libc\"][\"version\"] == '2.39'" \
    "$F[\"cpu\"][\"online\"] == 4" "$F[\"io\"][\"io_uring\"][\"sysctl_disabled\"] == 0" \
    "$F[\"io\"][\"io_uring\"][\"usable\"] is True"

check fedora-40 \
    "$F[\"os\"][\"distro\"][\"id\"] == 'fedora'" "$F[\"os\"][\"distro\"][\"version_id\"] == '40'" \
    "$F[\"os\"][\"distro\"][\"pretty_name\"] == 'Fedora Linux 40 (Workstation Edition)'" \
    "$F[\"os\"][\"kernel\"][\"version\"] == '6.8.5'" "$F[\"os\"][\"libc\"] == {'name': 'glibc', 'version': '2.39'}" \
    "$F[\"cpu\"][\"online\"] == 12"

check arch \
    "$F[\"os\"][\"distro\"][\"id\"] == 'arch'" "$F[\"os\"][\"distro\"][\"version_id\"] is None" \
    "$F[\"os\"][\"distro\"][\"rolling\"] is True" "$F[\"os\"][\"distro\"][\"pretty_name\"] == 'Arch Linux'" \
    "$F[\"os\"][\"distro\"][\"source\"] == '/etc/os-release'" "$F[\"os\"][\"kernel\"][\"release\"] == '6.9.1-arch1-1'" \
    "$F[\"cpu\"][\"effective\"] == 16" "d[\"recommendation\"][\"threads\"] == 16"

check alpine-3.20 \
    "$F[\"os\"][\"distro\"][\"id\"] == 'alpine'" "$F[\"os\"][\"distro\"][\"version_id\"] == '3.20.0'" \
    "$F[\"os\"][\"libc\"][\"name\"] == 'musl'" "$F[\"os\"][\"kernel\"][\"release\"] == '6.6.31-0-lts'" \
    "$F[\"cpu\"][\"online\"] == 2" "$F[\"limits\"][\"nofile\"][\"hard\"] == 4096"

check opensuse-tumbleweed \
    "$F[\"os\"][\"distro\"][\"id\"] == 'opensuse-tumbleweed'" "$F[\"os\"][\"distro\"][\"id_like\"] == ['opensuse', 'suse']" \
    "$F[\"os\"][\"distro\"][\"version_id\"] == '20240601'" "$F[\"os\"][\"distro\"][\"rolling\"] is True" \
    "$F[\"os\"][\"distro\"][\"source\"] == '/usr/lib/os-release'"

check nixos-24.05 \
    "$F[\"os\"][\"distro\"][\"id\"] == 'nixos'" "$F[\"os\"][\"distro\"][\"version_id\"] == '24.05'" \
    "$F[\"os\"][\"distro\"][\"id_like\"] == []" "$F[\"os\"][\"kernel\"][\"release\"] == '6.6.32'" \
    "$F[\"os\"][\"libc\"][\"name\"] is None"

check rocky-9 \
    "$F[\"os\"][\"distro\"][\"id\"] == 'rocky'" "$F[\"os\"][\"distro\"][\"id_like\"] == ['rhel', 'centos', 'fedora']" \
    "$F[\"os\"][\"distro\"][\"version_id\"] == '9.4'" "$F[\"os\"][\"kernel\"][\"version\"] == '5.14.0'" \
    "$F[\"os\"][\"libc\"][\"version\"] == '2.34'" \
    "$F[\"cpu\"][\"online\"] == 8" "$F[\"cpu\"][\"leaf_quota\"] is None" "$F[\"cpu\"][\"quota\"] == 1.0" \
    "$F[\"cpu\"][\"effective\"] == 1" "$(status_of cpu.quota.ancestors) == 'info'" \
    "d[\"recommendation\"][\"threads\"] == 1" "d[\"recommendation\"][\"execution_model\"] == 'blocking'"

check wsl2 \
    "$F[\"virtualization\"][\"wsl\"] == 2" "$F[\"virtualization\"][\"container\"] is None" \
    "$F[\"os\"][\"distro\"][\"id\"] == 'ubuntu'" "$F[\"os\"][\"kernel\"][\"release\"] == '5.15.153.1-microsoft-standard-WSL2'" \
    "$(status_of env.virt) == 'info'"

check docker-cgroup2-quota \
    "$F[\"virtualization\"][\"container\"] == 'docker'" "$F[\"cpu\"][\"online\"] == 8" \
    "$F[\"cpu\"][\"quota\"] == 1.5" "$F[\"cpu\"][\"cgroup_version\"] == 2" "$F[\"cpu\"][\"effective\"] == 2" \
    "$F[\"memory\"][\"cgroup_limit_bytes\"] == 536870912" "$F[\"pids\"][\"cgroup_limit\"] == 100" \
    "$F[\"io\"][\"io_uring\"][\"usable\"] is False" "'seccomp' in $F[\"io\"][\"io_uring\"][\"reason\"]" \
    "$F[\"io\"][\"io_uring\"][\"seccomp\"] == 2" "d[\"recommendation\"][\"io_backend\"] == 'epoll'" \
    "d[\"recommendation\"][\"threads\"] == 2" "$(status_of tasks.limit) == 'warn'" \
    "$(status_of iouring.setup) == 'warn'" \
    "'seccomp' in [c['fix'] for c in d['checks'] if c['id'] == 'iouring.setup'][0]"

check cgroup1-quota \
    "$F[\"cpu\"][\"cgroup_version\"] == 1" "$F[\"cpu\"][\"quota\"] == 2.0" "$F[\"cpu\"][\"online\"] == 16" \
    "$F[\"cpu\"][\"effective\"] == 2" "$F[\"cpu\"][\"quota_source\"] == '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us'" \
    "$F[\"memory\"][\"cgroup_limit_bytes\"] == 1073741824" "$F[\"pids\"][\"cgroup_limit\"] is None" \
    "$F[\"virtualization\"][\"container\"] == 'docker'" "$F[\"os\"][\"distro\"][\"version_id\"] == '20.04'" \
    "$(status_of cpu.quota) == 'info'"

check io-uring-disabled \
    "$F[\"io\"][\"io_uring\"][\"usable\"] is False" "$F[\"io\"][\"io_uring\"][\"sysctl_disabled\"] == 2" \
    "'io_uring_disabled=2' in $F[\"io\"][\"io_uring\"][\"reason\"]" "d[\"recommendation\"][\"io_backend\"] == 'epoll'" \
    "$(status_of iouring.sysctl) == 'warn'" \
    "[c['fix'] for c in d['checks'] if c['id'] == 'iouring.sysctl'][0] == 'sudo sysctl -w kernel.io_uring_disabled=0'"

# Broken: unknowns are null, nothing crashes. Also a FIFO where os-release belongs (must not hang) and a
# directory where /proc/self/limits belongs (checked in).
BROKEN="$SCRATCH/broken"
cp -a "$ROOTS/broken" "$BROKEN"
mkdir -p "$BROKEN/etc" && mkfifo "$BROKEN/etc/os-release"
ROOTS_SAVED=$ROOTS
ROOTS=$SCRATCH
check broken \
    "$F[\"os\"][\"distro\"][\"id\"] is None" "$F[\"os\"][\"distro\"][\"version_id\"] is None" \
    "$F[\"os\"][\"kernel\"][\"release\"] is None" "$F[\"memory\"][\"total_bytes\"] is None" \
    "$F[\"cpu\"][\"quota\"] is None" "$F[\"cpu\"][\"effective\"] >= 1" "$F[\"limits\"][\"nofile\"] is None" \
    "$F[\"io\"][\"io_uring\"][\"usable\"] is False" "'unknown' in $F[\"io\"][\"io_uring\"][\"reason\"]" \
    "$(status_of platform.os) == 'warn'" "$(status_of platform.kernel) == 'warn'"
ROOTS=$ROOTS_SAVED
run_z --root "$BROKEN" doctor
expect_contains "$OUT" "unknown (no os-release)" "broken: text marks the unknown distro"

# A root that does not exist is a usage error (exit 2, one line), never a report of made-up facts.
run_z --root "$SCRATCH/does-not-exist" doctor --json
if [ "$CODE" -eq 2 ] && [ -z "$OUT" ] && [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ]; then ok; else
    fail "missing root: exit $CODE, stdout '${OUT:0:100}', stderr '$ERR'"
fi

# Exit codes and selection.
expect_exit 0 "selected checks" --root "$ROOTS/debian-12" doctor platform.os cpu.quota --json
expect_json 'sorted(c["id"] for c in d["checks"]) == ["cpu.quota", "platform.os"]' "only the named checks run"
expect_exit 2 "unknown check id" --root "$ROOTS/debian-12" doctor no.such.check
expect_contains "$ERR" "unknown check 'no.such.check'" "unknown check error"
expect_contains "$ERR" "iouring.setup" "unknown check lists the valid ids"
expect_exit 0 "warnings without --strict" --root "$ROOTS/io-uring-disabled" doctor
expect_exit 1 "warnings with --strict" --root "$ROOTS/io-uring-disabled" doctor --strict
expect_exit 1 "forced io_uring that is disabled fails" --root "$ROOTS/io-uring-disabled" --io-backend io_uring doctor --json
expect_json '[c["status"] for c in d["checks"] if c["id"] == "runtime.recommendation"][0] == "fail"' "forced io_uring"
expect_json '[c["status"] for c in d["checks"] if c["id"] == "config.overrides"][0] == "info"' "override reported"
expect_exit 0 "list checks" doctor --list-checks
expect_contains "$OUT" "iouring.sysctl" "--list-checks lists ids"
[ "$(printf '%s\n' "$OUT" | wc -l)" -ge 16 ] && ok || fail "--list-checks lists at least 16 checks"
# What each check checks, in words: no function calls, C++ scopes or kernel constants.
jargon=$(printf '%s\n' "$OUT" | grep -E '\(\)|::|RLIMIT_|IORING_|sched_|io_uring_setup' || true)
[ -z "$jargon" ] && ok || fail "--list-checks shows implementation terms: $jargon"

# The event loop doctor reports is the one the runtime really creates, and `auto` is no override.
run_z doctor --json
expect_json 'd["facts"]["io"]["event_loop"]["requested"] == "auto" and d["facts"]["io"]["event_loop"]["source"] == "default"' "default backend"
expect_json '[c["status"] for c in d["checks"] if c["id"] == "config.overrides"] == ["ok"]' "no override by default"
usable=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin)["facts"]["io"]["io_uring"]; print(int(d["usable"] and d["compiled_in"]))')
if [ "$usable" = 1 ]; then
    expect_json 'd["facts"]["io"]["event_loop"]["backend"] == "io_uring" and d["facts"]["io"]["event_loop"]["reason"] == "auto: io_uring works here"' "auto uses io_uring where it works"
    run_z --io-backend io_uring doctor --json
    expect_json 'd["facts"]["io"]["event_loop"]["backend"] == "io_uring" and d["facts"]["io"]["event_loop"]["reason"] == "forced by --io-backend"' "forced io_uring"
else
    expect_json 'd["facts"]["io"]["event_loop"]["backend"] == "epoll" and d["facts"]["io"]["event_loop"]["reason"].startswith("auto: ")' "auto falls back to epoll, saying why"
fi
run_z --io-backend auto doctor --json
expect_json '[c["status"] for c in d["checks"] if c["id"] == "config.overrides"] == ["ok"]' "--io-backend auto is not an override"
expect_json 'd["facts"]["io"]["event_loop"]["source"] == "default"' "--io-backend auto: the default"
run_z --io-backend epoll doctor --json
expect_json 'd["facts"]["io"]["event_loop"]["backend"] == "epoll" and d["facts"]["io"]["event_loop"]["reason"] == "forced by --io-backend"' "forced epoll"
expect_json '[c["status"] for c in d["checks"] if c["id"] == "config.overrides"] == ["info"]' "--io-backend epoll is an override"
ZSYNCCTL_IO_BACKEND=epoll run_z doctor --json
expect_json 'd["facts"]["io"]["event_loop"]["source"] == "ZSYNCCTL_IO_BACKEND"' "backend from the environment"
run_z --io-backend epoll doctor
expect_contains "$OUT" "Event loop:      epoll (forced by --io-backend)" "text shows the loop's backend and why"

# -q: only the checks that warn or fail (with their fixes), nothing else.
run_z --root "$ROOTS/io-uring-disabled" doctor
full=$OUT
run_z -q --root "$ROOTS/io-uring-disabled" doctor
[ "$CODE" -eq 0 ] && ok || fail "-q doctor: exit $CODE"
[ -n "$OUT" ] && ok || fail "-q doctor printed nothing for a root with warnings"
other=$(printf '%s\n' "$OUT" | grep -vE '^\[(!|✗)\] |^    fix: ' || true)
[ -z "$other" ] && ok || fail "-q doctor prints more than problems: $other"
[ "$(printf '%s\n' "$OUT" | grep -c '^\[')" -eq "$(printf '%s\n' "$full" | grep -cE '^\[(!|✗)\]')" ] && ok ||
    fail "-q doctor does not print every warning and failure"

# The text's last line counts what the JSON summary counts (info apart from ok).
for root in io-uring-disabled debian-12; do
    run_z --root "$ROOTS/$root" doctor --json
    want=$(printf '%s' "$OUT" | python3 -c 'import json,sys; s=json.load(sys.stdin)["summary"]; print("%d ok, %d info, %d warning%s, %d failure%s, %d skipped" % (s["ok"], s["info"], s["warn"], "" if s["warn"] == 1 else "s", s["fail"], "" if s["fail"] == 1 else "s", s["skip"]))')
    run_z --root "$ROOTS/$root" doctor
    expect_contains "$(printf '%s\n' "$OUT" | tail -1)" "$want" "$root: text summary counts as the JSON does"
done

# Overrides are announced.
ZSYNCCTL_OS=macos ZSYNCCTL_ARCH=arm64 run_z --root "$ROOTS/debian-12" doctor
expect_contains "$OUT" "overrides active (--root" "override banner"
expect_contains "$OUT" "ZSYNCCTL_OS=macos" "OS override banner"
ZSYNCCTL_ARCH=arm64 run_z doctor --json
expect_json 'd["overrides"]["arch"] == "arm64" and d["facts"]["os"]["arch"] == "arm64"' "arch override in JSON"
ZSYNCCTL_ARCH=arm64 run_z doctor platform.arch
expect_contains "$OUT" "no emulation to check" "an arch override skips the emulation check instead of calling it native"
ZSYNCCTL_OS=bogusos expect_exit 2 "unknown ZSYNCCTL_OS" doctor
expect_contains "$(cat "$SCRATCH/stderr")" "unknown OS in ZSYNCCTL_OS" "unknown ZSYNCCTL_OS named"
ZSYNCCTL_ARCH=bogus expect_exit 2 "unknown ZSYNCCTL_ARCH" pkg managers
ZSYNCCTL_ARCH=aarch64 expect_exit 0 "aarch64 is arm64" pkg managers
ZSYNCCTL_ROOT="$ROOTS/alpine-3.20" run_z doctor --json
expect_json 'd["facts"]["os"]["distro"]["id"] == "alpine" and d["overrides"]["root"] is not None' "ZSYNCCTL_ROOT"

# Package managers come from the registry's detection, through the same root; Homebrew checks follow it.
R="$SCRATCH/brew-both"
for f in opt/homebrew/bin/brew usr/local/bin/brew usr/bin/pacman; do
    mkdir -p "$R/$(dirname "$f")" && printf '#!/bin/sh\n' >"$R/$f" && chmod +x "$R/$f"
done
mkdir -p "$R/etc" && printf 'ID=arch\nNAME="Arch Linux"\n' >"$R/etc/os-release"
PATH=/usr/bin:/bin ZSYNCCTL_OS=macos ZSYNCCTL_ARCH=arm64 run_z --root "$R" doctor --json
expect_json '"homebrew" in [m["name"] for m in d["facts"]["package_managers"]]' "doctor lists Homebrew"
expect_json '[c["status"] for c in d["checks"] if c["id"] == "pkg.homebrew.arch"] == ["warn"]' "Intel brew on arm64 warns"
expect_json '[c["status"] for c in d["checks"] if c["id"] == "pkg.homebrew.multiple"] == ["warn"]' "two brews warn"
expect_json 'all(c["fix"] for c in d["checks"] if c["id"].startswith("pkg.homebrew"))' "Homebrew warnings carry a fix"
PATH=/usr/bin:/bin run_z --root "$R" doctor --json
expect_json '"pacman" in [m["name"] for m in d["facts"]["package_managers"]]' "doctor lists pacman from the root's PATH"
run_z doctor --json
expect_json '"apt" in [m["name"] for m in d["facts"]["package_managers"]] and all(m["path"] for m in d["facts"]["package_managers"])' "live doctor lists apt with a path"

# Versions are probed only when asked (doctor spawns no process by default).
expect_json 'all(m["version"] is None for m in d["facts"]["package_managers"])' "no versions without --versions"
apt_version=$(dpkg-query -W -f='${Version}' apt 2>/dev/null | sed 's/[^0-9.].*//')
if [ -n "$apt_version" ]; then
    run_z doctor --json --versions
    expect_json "[m['version'] for m in d['facts']['package_managers'] if m['name'] == 'apt'] == ['$apt_version']" "doctor --versions reads apt's real version"
fi

# Golden text (colour off, durations and the fixture path normalised).
run_z --color never --root "$ROOTS/docker-cgroup2-quota" doctor -v
# The event loop is the host's (the runtime runs here, whatever the root).
printf '%s\n' "$OUT" | sed -E -e 's/[0-9]+\.[0-9]{3} ms/N ms/g' -e "s#$ROOTS#ROOTS#g" \
    -e 's/^  Event loop: .*/  Event loop:      (this host'"'"'s)/' >"$SCRATCH/golden.txt"
if diff -u "$SOURCE_ROOT/tests/golden/doctor-docker-cgroup2-quota.txt" "$SCRATCH/golden.txt" >"$SCRATCH/golden.diff"; then
    ok
else
    fail "golden text differs: $(head -40 "$SCRATCH/golden.diff")"
fi

# Live: agrees with nproc, uname -r and /etc/os-release.
run_z doctor --json
if [ "$CODE" -ne 0 ] && [ "$CODE" -ne 1 ]; then fail "live doctor exit $CODE: $ERR"; else ok; fi
expect_json "d['facts']['cpu']['effective'] == $(nproc)" "live effective CPUs == nproc"
expect_json "d['facts']['os']['kernel']['release'] == '$(uname -r)'" "live kernel == uname -r"
expect_json 'd["overrides"]["root"] is None' "live: no root override"
if [ -r /etc/os-release ]; then
    LIVE_ID=$( . /etc/os-release; printf '%s' "${ID:-linux}")
    LIVE_VERSION=$( . /etc/os-release; printf '%s' "${VERSION_ID:-}")
    expect_json "d['facts']['os']['distro']['id'] == '$LIVE_ID'" "live distro id"
    expect_json "(d['facts']['os']['distro']['version_id'] or '') == '$LIVE_VERSION'" "live version id"
fi
run_z doctor
expect_contains "$OUT" "Checks" "live text has checks"
case "$OUT" in *" ok, "*" info, "*" warning"*" failure"*) ok ;; *) fail "live text lacks the summary line" ;; esac

finish
