#!/bin/bash
# RubyGems for real: `pkg list/outdated/info/upgrade -m gem` with the real gem, a scratch GEM_HOME and a
# source made by `gem generate_index`, served on 127.0.0.1 (static_index_server.py) and configured in the
# user's gemrc (GEMRC). The list equals `gem list --local` (versions grouped as gem shows them, the default
# gems of the Ruby install included); after 1.1 is published, outdated equals `gem outdated` (exit 100);
# upgrade on a pseudo-terminal is answered y and installs 1.1; --all upgrades the rest with `gem update`;
# Ctrl-C in the middle of a download exits 130 with the gem directory consistent; the source gone is a
# one-line error, exit 3 (gem outdated itself prints nothing and exits 0).
. "$TESTS_DIR/lib.sh"
command -v gem >/dev/null || skip "gem is not installed"

T="$SCRATCH"
DRIVE="$TESTS_DIR/pty_drive.py"
REPO="$T/repo"
mkdir -p "$REPO/gems" "$T/home" "$T/control" "$T/build" "$T/gems"
unset GEM_PATH GEM_HOME GEMRC GEM_SPEC_CACHE BUNDLE_GEMFILE RUBYOPT RUBYLIB
export HOME="$T/home" GEM_HOME="$T/gems" GEM_PATH="$T/gems" GEMRC="$T/gemrc" GEM_SPEC_CACHE="$T/speccache"

# publish NAME VERSION: gem build, then the source's index is generated again.
publish() {
    local d="$T/build/$1-$2"
    mkdir -p "$d/lib"
    echo "module ZsTest; VERSION = '$2'; end" >"$d/lib/$1.rb"
    cat >"$d/$1.gemspec" <<EOF
Gem::Specification.new do |s|
  s.name = "$1"
  s.version = "$2"
  s.summary = "zsyncctl test gem $1"
  s.authors = ["zsyncctl tests"]
  s.license = "MIT"
  s.files = ["lib/$1.rb"]
end
EOF
    (cd "$d" && gem build "$1.gemspec" -o "$REPO/gems/$1-$2.gem") >>"$T/gem.log" 2>&1 || fail "gem build $1 $2"
    gem generate_index --directory "$REPO" >>"$T/gem.log" 2>&1 || fail "gem generate_index"
}
# gem list's lines from pkg list's JSON: "name (v1, default: v2, v3 platform)", newest first as pkg list
# sorts them.
grouped() {
    printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
rows = {}
for p in d["packages"]:
    v = ("default: " if p["state"] == "default" else "") + p["version"] + (" " + p["architecture"] if p["architecture"] else "")
    rows.setdefault(p["name"], []).append(v)
for n in sorted(rows): print("%s (%s)" % (n, ", ".join(rows[n])))'
}

mkfifo "$T/srv.in"
python3 "$TESTS_DIR/static_index_server.py" "$REPO" "$T/control" <"$T/srv.in" >"$T/srv.port" &
SRV=$!
exec 9>"$T/srv.in"
for _ in $(seq 50); do [ -s "$T/srv.port" ] && break; sleep 0.1; done
PORT=$(cat "$T/srv.port")
[ -n "$PORT" ] || { kill "$SRV"; fail "gem source server did not start"; finish; }
printf -- ':sources:\n- http://127.0.0.1:%s/\n:backtrace: false\n' "$PORT" >"$GEMRC"

publish zs-up 1.0
publish zs-other 1.0
gem install --no-document zs-up zs-other >>"$T/gem.log" 2>&1 || fail "gem install: $(tail -3 "$T/gem.log")"
[ -f "$T/gems/specifications/zs-up-1.0.gemspec" ] && ok || fail "gem did not install into the scratch GEM_HOME"

TIMEOUT=60 run_z --json --no-cache pkg list -m gem
[ "$CODE" = 0 ] && ok || fail "pkg list -m gem: exit $CODE ($ERR)"
same "pkg list vs gem list --local" "$(grouped)" "$(gem list --local)"
expect_contains "$(grouped)" "zs-up (1.0)" "the scratch gems are listed"

TIMEOUT=60 expect_exit 0 "nothing outdated at 1.0" --no-cache pkg outdated -m gem

publish zs-up 1.1
publish zs-other 1.1
TIMEOUT=60 run_z --json --no-cache pkg outdated -m gem
[ "$CODE" = 100 ] && ok || fail "some outdated: exit $CODE, wanted 100 ($ERR)"
want=$(gem outdated | sort)
same "pkg outdated vs gem outdated" "$(printf '%s' "$OUT" | python3 -c 'import json,sys
for x in json.load(sys.stdin)["outdated"]: print("%s (%s < %s)" % (x["name"], x["installed_version"], x["candidate"]))' | sort)" "$want"
expect_contains "$want" "zs-up (1.0 < 1.1)" "gem itself sees 1.1 (the differential is not vacuous)"

TIMEOUT=60 run_z --no-cache pkg info -m gem zs-up
expect_contains "$OUT" "zsyncctl test gem zs-up" "pkg info: the summary from the gemspec"
expect_contains "$OUT" "1.1" "pkg info: the candidate"

PTY_DEADLINE=90 python3 "$DRIVE" "$T/up.tty" --expect "[Y/n]" --send 'y\r' -- \
    "$ZSYNCCTL" --no-cache pkg upgrade -m gem zs-up
code=$?
t=$(tr -d '\r' <"$T/up.tty")
[ "$code" -eq 0 ] && ok || fail "pkg upgrade zs-up exited $code: $t"
expect_contains "$(gem list --local zs-up)" "1.1" "zs-up 1.1 installed"
expect_contains "$(gem list --local zs-other)" "zs-other (1.0)" "zs-other left alone"

TIMEOUT=120 run_z --no-cache pkg upgrade -m gem --all --yes
[ "$CODE" = 0 ] && ok || fail "pkg upgrade --all: exit $CODE ($ERR)"
expect_contains "$(gem list --local zs-other)" "1.1" "--all: zs-other 1.1 installed (gem update)"
TIMEOUT=60 run_z --json --no-cache pkg list -m gem
same "pkg list vs gem list --local after the upgrades" "$(grouped)" "$(gem list --local)"

# Ctrl-C while gem downloads zs-up 1.2 (gem has no simulation: the first request is the run's).
publish zs-up 1.2
echo 1 >"$T/control/slow"
PTY_DEADLINE=90 python3 "$DRIVE" "$T/int.tty" --wait-file "$T/control/hit" --send '\x03' -- \
    "$ZSYNCCTL" --no-cache pkg upgrade -m gem zs-up --yes
code=$?
rm -f "$T/control/slow"
[ "$code" -eq 130 ] && ok || fail "Ctrl-C during the upgrade: exit $code, wanted 130: $(tr -d '\r' <"$T/int.tty" | tail -c 600)"
for v in 1.0 1.1 1.2; do # a version's spec and its files are there together or not at all
    [ -f "$T/gems/specifications/zs-up-$v.gemspec" ] && spec=1 || spec=0
    [ -d "$T/gems/gems/zs-up-$v" ] && files=1 || files=0
    [ "$spec" = "$files" ] && ok || fail "zs-up $v after Ctrl-C: spec $spec, files $files"
done
expect_contains "$(gem list --local zs-up)" "1.1" "zs-up 1.1 is still installed after Ctrl-C"

# The source gone: gem outdated prints nothing and exits 0; zsyncctl reads its --debug log, exit 3.
exec 9>&-
wait "$SRV" 2>/dev/null
TIMEOUT=60 run_z --no-cache pkg outdated -m gem
[ "$CODE" = 3 ] && ok || fail "source down: exit $CODE, wanted 3 ($ERR)"
[ "$(printf '%s\n' "$ERR" | grep -c .)" -le 2 ] && ok || fail "source down: error not short: $ERR"
expect_contains "$ERR" "127.0.0.1:$PORT" "source down: the error names the source"
finish
