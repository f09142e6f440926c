#!/usr/bin/env bash
# `pkg list/outdated/info/which -m homebrew`, natively: brew cannot run here, so the prefix is built in the
# real on-disk formats (Cellar/<name>/<version>/INSTALL_RECEIPT.json with the key set of a real receipt,
# opt/ links, var/homebrew/pinned*, Caskroom/<token>/.metadata/<version>/<timestamp>/Casks/<token>.json)
# and the API cache is Homebrew 6's api/internal/packages.<tag>.jws.json (the search test's recorded
# fixture, with entries added in the same shape) plus executables.txt. What is expected follows brew's own
# rules (formula.rb outdated_kegs, cask.rb outdated_version, version.rb), spelled out at each check.
. "$(dirname "$0")/lib.sh"

FIX="$SOURCE_ROOT/tests/fixtures/search/homebrew"
R="$SCRATCH/root"
P="$R/home/linuxbrew/.linuxbrew"
API="$R/home/u/.cache/Homebrew/api/internal"
mkdir -p "$P/Cellar" "$P/Caskroom" "$P/opt" "$P/bin" "$P/var/homebrew/pinned" "$P/var/homebrew/pinned_casks" "$API"
unset HOMEBREW_PREFIX HOMEBREW_CACHE
export HOME=/home/u

# The recorded Homebrew 6 document, with formulae and casks added in the same shape (stable_version,
# revision, version_scheme; version, auto_updates).
python3 - "$FIX/packages.x86_64_linux.jws.json" "$API/packages.x86_64_linux.jws.json" <<'PY'
import json, sys
env = json.load(open(sys.argv[1]))
doc = json.loads(env["payload"])
doc["formulae"]["hello"] = {"desc": "Program providing model for GNU coding standards and practices",
                            "homepage": "https://www.gnu.org/software/hello/", "license": "GPL-3.0-or-later",
                            "stable_version": "2.12.1", "revision": 1, "executables": ["hello"]}
doc["formulae"]["zstd"] = {"desc": "Zstandard is a real-time compression algorithm", "stable_version": "1.5.7"}
doc["formulae"]["jq"] = {"desc": "Lightweight and flexible command-line JSON processor", "stable_version": "1.9"}
doc["formulae"]["vtool"] = {"desc": "Release after a candidate", "stable_version": "1.2.0"}
doc["formulae"]["wget"] = {"desc": "Internet file retriever", "stable_version": "1.25.0", "executables": ["wget"]}
doc["formulae"]["neovim"] = {"desc": "Ambitious Vim-fork focused on extensibility and agility", "stable_version": "0.11.0"}
doc["casks"]["iterm2"] = {"version": "3.5.14", "sha256": "0" * 64, "desc": "Terminal emulator as alternative to Apple's Terminal app",
                          "names": ["iTerm2"], "tap_string": "homebrew/cask"}
doc["casks"]["firefox"] = {"version": "140.0", "sha256": "1" * 64, "desc": "Web browser", "names": ["Mozilla Firefox"],
                           "tap_string": "homebrew/cask"}
env["payload"] = json.dumps(doc)
json.dump(env, open(sys.argv[2], "w"))
PY
printf 'docker:docker\nhello:hello\nripgrep:rg\nwget:wget\n' >"$API/executables.txt"

# keg NAME VERSION ON_REQUEST [SCHEME [TAP]]: a keg with a receipt of a real receipt's keys (Homebrew 4.4's
# portable-ruby INSTALL_RECEIPT.json).
keg() {
    mkdir -p "$P/Cellar/$1/$2/bin"
    cat >"$P/Cellar/$1/$2/INSTALL_RECEIPT.json" <<JSON
{"homebrew_version": "6.0.2", "used_options": [], "unused_options": [], "built_as_bottle": true,
 "poured_from_bottle": true, "loaded_from_api": true, "installed_as_dependency": $([ "$3" = true ] && echo false || echo true),
 "installed_on_request": $3, "changed_files": [], "time": 1750000000, "source_modified_time": 1749000000,
 "compiler": "gcc-12", "aliases": [], "runtime_dependencies": [],
 "source": {"tap": "${5:-homebrew/core}", "tap_git_head": "1c6b1ffb4b0e6e1b1c4c6f2e0f3a1d5e7c9b2a4d", "spec": "stable",
            "path": "", "versions": {"stable": "$2", "head": null, "version_scheme": ${4:-0}}},
 "arch": "x86_64", "built_on": {"os": "Linux", "os_version": "Ubuntu 22.04.5 LTS", "cpu_family": "zen3", "glibc_version": "2.35", "oldest_cpu_family": "core2"}}
JSON
}
link() { ln -sfn "../Cellar/$1/$2" "$P/opt/$1"; }  # opt/NAME -> the linked keg
keg ripgrep 14.1.0 true; link ripgrep 14.1.0
ln -s ../Cellar/ripgrep/14.1.0/bin/rg "$P/bin/rg"
keg docker 28.1.1 true; link docker 28.1.1
# bar: the keg 0.5.0 is newer than the API's 0.4.0_5, but the API's version_scheme 1 is higher than the
# keg's 0: any different pkg_version is outdated.
keg bar 0.5.0 true 0; link bar 0.5.0
# hello: two kegs; opt/ points to the older one. The newer keg equals the API's pkg_version 2.12.1_1 but is
# not linked, so brew still calls hello outdated (an unlinked current keg). Installed as a dependency.
keg hello 2.9 false; keg hello 2.12.1_1 false; link hello 2.9
# zstd: pinned (the pin is a link to the keg), outdated -> shown skipped.
keg zstd 1.5.6 true; link zstd 1.5.6
ln -s ../../../Cellar/zstd/1.5.6 "$P/var/homebrew/pinned/zstd"
# jq 1.10 against the API's 1.9: numbers compare as numbers, not text, so it is not outdated.
keg jq 1.10 true; link jq 1.10
# vtool 1.2.0rc1 against 1.2.0: a release candidate is older than the release.
keg vtool 1.2.0rc1 true; link vtool 1.2.0rc1
# libfoo: not in the API (a tap's formula), and its receipt is damaged.
mkdir -p "$P/Cellar/libfoo/1.0"; printf '{"installed_on_request": tr' >"$P/Cellar/libfoo/1.0/INSTALL_RECEIPT.json"
# Tap formulae (the receipt's source.tap): their versions are in the tap's Ruby files (the checkout under
# <prefix>/Homebrew/Library/Taps/USER/homebrew-TAP), never in the API, and a core formula of the same name
# (wget, 1.25.0 in the API) is another package: not compared. mytool's file is a GoReleaser-made one (as
# in goreleaser's own tap): `version` at the top, urls per platform; wget's is in a shard directory
# (Formula/w/, as homebrew-core lays them out), a source formula whose version brew derives from the url.
keg mytool 0.3.0 true 0 someuser/tools; link mytool 0.3.0
keg wget 1.20.0 true 0 someuser/tools; link wget 1.20.0
TAP="$P/Homebrew/Library/Taps/someuser/homebrew-tools"
mkdir -p "$TAP/Formula/w"
cat >"$TAP/Formula/mytool.rb" <<'RB'
# typed: false
# frozen_string_literal: true

# This file was generated by GoReleaser. DO NOT EDIT.
class Mytool < Formula
  desc "A tool made by a release pipeline"
  homepage "https://github.com/someuser/mytool"
  version "0.4.0"
  license "MIT"

  on_macos do
    if Hardware::CPU.intel?
      url "https://github.com/someuser/mytool/releases/download/v0.4.0/mytool_Darwin_x86_64.tar.gz"
      sha256 "3f1c3c1d0b3b5f6b4b0c8b1f2a8a6d3f7e3a0c1d2b3c4d5e6f708192a3b4c5d6"

      def install
        bin.install "mytool"
      end
    end
    if Hardware::CPU.arm?
      url "https://github.com/someuser/mytool/releases/download/v0.4.0/mytool_Darwin_arm64.tar.gz"
      sha256 "4f1c3c1d0b3b5f6b4b0c8b1f2a8a6d3f7e3a0c1d2b3c4d5e6f708192a3b4c5d6"

      def install
        bin.install "mytool"
      end
    end
  end

  on_linux do
    if Hardware::CPU.intel? and Hardware::CPU.is_64_bit?
      url "https://github.com/someuser/mytool/releases/download/v0.4.0/mytool_Linux_x86_64.tar.gz"
      sha256 "5f1c3c1d0b3b5f6b4b0c8b1f2a8a6d3f7e3a0c1d2b3c4d5e6f708192a3b4c5d6"

      def install
        bin.install "mytool"
      end
    end
  end

  test do
    system "#{bin}/mytool", "--version"
  end
end
RB
cat >"$TAP/Formula/w/wget.rb" <<'RB'
class Wget < Formula
  desc "Internet file retriever (a patched build)"
  homepage "https://www.gnu.org/software/wget/"
  url "https://ftp.gnu.org/gnu/wget/wget-1.20.0.tar.gz"
  sha256 "8a057925c74c059d9e37de63a63b450da66c5c1c8cef869a6c4f8a4b7dd9f5d9"
  license "GPL-3.0-or-later"

  head do
    url "https://git.savannah.gnu.org/git/wget.git", branch: "master"
    depends_on "autoconf" => :build
  end

  depends_on "pkgconf" => :build
  depends_on "openssl@3"

  def install
    system "./configure", "--prefix=#{prefix}", "--with-ssl=openssl"
    system "make", "install"
  end

  test do
    system bin/"wget", "-O", File::NULL, "https://google.com"
  end
end
RB
# A HEAD keg only (brew install --HEAD): brew outdated leaves it out without --fetch-HEAD; shown skipped.
keg neovim HEAD-1a2b3c4 true; link neovim HEAD-1a2b3c4
# An empty rack is nothing installed.
mkdir -p "$P/Cellar/gone"

# cask TOKEN VERSION TIMESTAMP: .metadata/<version>/<timestamp>/Casks/<token>.json as brew 6 writes it.
cask() {
    mkdir -p "$P/Caskroom/$1/$2" "$P/Caskroom/$1/.metadata/$2/$3/Casks"
    printf '{"token": "%s", "version": "%s"}\n' "$1" "$2" >"$P/Caskroom/$1/.metadata/$2/$3/Casks/$1.json"
}
cask caffeine latest 20260601120000.000                 # version :latest: never outdated without --greedy
cask docker 4.40.0,187762 20260401090000.000            # the older install, an older timestamp
cask docker 4.41.0,190000 20260501090000.000            # the newest timestamp wins; auto_updates true
cask iterm2 3.5.0 20260301080000.000                    # outdated
cask firefox 139.0 20260301080000.000                   # outdated, pinned
ln -s ../../../Caskroom/firefox "$P/var/homebrew/pinned_casks/firefox"

run_z --root "$R" --json pkg list -m homebrew
[ "$CODE" = 0 ] && ok || fail "list: exit $CODE: $ERR"
expect_json '[(p["name"], p["version"], p["state"], p["reason"], p["held"]) for p in d["packages"]] == [
  ("bar", "0.5.0", "formula", "explicit", False), ("caffeine", "latest", "cask", "explicit", False),
  ("docker", "28.1.1", "formula", "explicit", False), ("docker", "4.41.0,190000", "cask", "explicit", False),
  ("firefox", "139.0", "cask", "explicit", True), ("hello", "2.9", "formula", "dependency", False),
  ("iterm2", "3.5.0", "cask", "explicit", False), ("jq", "1.10", "formula", "explicit", False),
  ("libfoo", "1.0", "formula", "unknown", False), ("mytool", "0.3.0", "formula", "explicit", False),
  ("neovim", "HEAD-1a2b3c4", "formula", "explicit", False), ("ripgrep", "14.1.0", "formula", "explicit", False),
  ("vtool", "1.2.0rc1", "formula", "explicit", False), ("wget", "1.20.0", "formula", "explicit", False),
  ("zstd", "1.5.6", "formula", "explicit", True)]' \
  "list: kegs (the linked one), casks (the newest timestamp), reasons from the receipts, pins"
# The schema is the one every manager has.
expect_json 'all(set(p) - {"origin"} == {"manager", "name", "version", "architecture", "state", "state_abbrev", "installed", "reason", "held"} for p in d["packages"])' "list: the same keys as other managers"
expect_json '{p["name"]: p["origin"] for p in d["packages"] if "origin" in p} == {"mytool": "someuser/tools", "wget": "someuser/tools"}' "list: a tap formula names its tap"
expect_json 'd["managers"][0]["status"] == "ok" and "libfoo 1.0" in d["managers"][0]["note"]' "damaged receipt: named in the note, not a failure"
run_z --root "$R" pkg list -m homebrew
[ "$(printf '%s\n' "$ERR" | grep -c 'INSTALL_RECEIPT')" = 1 ] && ok || fail "damaged receipt: one line on stderr: $ERR"

run_z --root "$R" --json pkg outdated -m homebrew
[ "$CODE" = 100 ] && ok || fail "outdated: exit $CODE, wanted 100: $ERR"
expect_json 'sorted((o["name"], o["installed_version"], o["candidate"], o["skip_reason"]) for o in d["outdated"]) == [
  ("bar", "0.5.0", "0.4.0_5", None), ("docker", "4.41.0,190000", "4.42.0,195023", "auto-updates"),
  ("firefox", "139.0", "140.0", "pinned"), ("hello", "2.9", "2.12.1_1", None), ("iterm2", "3.5.0", "3.5.14", None),
  ("mytool", "0.3.0", "0.4.0", None), ("neovim", "HEAD-1a2b3c4", None, "HEAD, upgrade with --fetch-HEAD"),
  ("ripgrep", "14.1.0", "14.1.1", None), ("vtool", "1.2.0rc1", "1.2.0", None), ("zstd", "1.5.6", "1.5.7", "pinned")]' \
  "outdated as brew decides it: version_scheme, unlinked current keg, rc < release, 1.10 > 1.9, :latest never, pins skipped, HEAD kegs not checked, tap formulae from their tap (wget current there, not compared with core)"
expect_json '"libfoo" in d["managers"][0]["note"]' "a formula missing from the API is named, not guessed"
run_z --root "$R" pkg outdated -m homebrew
expect_contains "$OUT" "pinned, would be skipped" "text: a pinned formula is shown skipped"
expect_contains "$OUT" "-> ?  HEAD, upgrade with --fetch-HEAD, would be skipped" "text: a HEAD keg, no candidate"

# More tap formulae (tap other/stuff keeps them in HomebrewFormula/): a revision bump (2.1_1 -> 2.1_2), a
# git tag (Version.detect reads the tag:, v1.1.0 -> 1.1.0) on a pinned keg, a version only Ruby could
# compute (unknown: ?), and a tap that is not there any more (not checked).
keg srctool 2.1_1 true 0 other/stuff; link srctool 2.1_1
keg gittool 1.0.0 true 0 other/stuff; link gittool 1.0.0
ln -s ../../../Cellar/gittool/1.0.0 "$P/var/homebrew/pinned/gittool"
keg oddtool 1.0 true 0 other/stuff; link oddtool 1.0
keg gonetool 1.0 true 0 gone/away; link gonetool 1.0
TAP2="$P/Homebrew/Library/Taps/other/homebrew-stuff/HomebrewFormula"
mkdir -p "$TAP2"
printf '%s\n' 'class Srctool < Formula' '  desc "Built from source"' '  homepage "https://example.com/srctool"' \
    '  url "https://example.com/releases/srctool-2.1.tar.xz"' '  sha256 "0000000000000000000000000000000000000000000000000000000000000000"' \
    '  license "BSD-2-Clause"' '  revision 2' '' '  livecheck do' '    url :homepage' '    regex(/srctool[._-]v?(\d+(?:\.\d+)+)\.t/i)' '  end' '' \
    '  def install' '    system "make", "PREFIX=#{prefix}", "install"' '  end' 'end' >"$TAP2/srctool.rb"
printf '%s\n' 'class Gittool < Formula' '  desc "From a git tag"' '  homepage "https://github.com/other/gittool"' \
    '  url "https://github.com/other/gittool.git",' '      tag:      "v1.1.0",' '      revision: "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"' \
    '  license "Apache-2.0"' '  head "https://github.com/other/gittool.git", branch: "main"' '' \
    '  def install' '    system "go", "build", *std_go_args' '  end' 'end' >"$TAP2/gittool.rb"
printf '%s\n' 'class Oddtool < Formula' '  MAJOR = 2' '  desc "Computes its version"' '  homepage "https://example.com"' \
    '  url "https://example.com/download/latest"' '  version "#{MAJOR}.0"' '  def install; end' 'end' >"$TAP2/oddtool.rb"
run_z --root "$R" --json pkg outdated -m homebrew
expect_json 'sorted((o["name"], o["installed_version"], o["candidate"], o["skip_reason"]) for o in d["outdated"] if o["name"].endswith("tool") and o["name"] != "vtool") == [
  ("gittool", "1.0.0", "1.1.0", "pinned"), ("gonetool", "1.0", None, "tap formula gone/away, not checked"),
  ("mytool", "0.3.0", "0.4.0", None), ("oddtool", "1.0", None, "tap formula other/stuff, version not readable without Ruby"),
  ("srctool", "2.1_1", "2.1_2", None)]' "tap formulae: revision, tag, pin, unknown, missing tap"
run_z --root "$R" pkg outdated -m homebrew
expect_contains "$OUT" "-> ?  tap formula other/stuff, version not readable without Ruby, would be skipped" "text: an unknown tap version is ?"
for n in srctool gittool oddtool gonetool; do rm -rf "$P/Cellar/$n" "$P/opt/$n" "$P/var/homebrew/pinned/$n"; done
# pkg info of a tap's formula: its tap's version, desc and name, not the core formula wget of the API.
run_z --root "$R" --json pkg info -m homebrew wget
expect_json '[(i["installed_version"], i["candidate"], i["repository"], i["description"]) for i in d["packages"]] == [("1.20.0", "1.20.0", "someuser/tools", "Internet file retriever (a patched build)")]' "info: a tap formula from its tap"

run_z --root "$R" --json pkg which -m homebrew rg
[ "$CODE" = 0 ] && ok || fail "which rg: exit $CODE: $ERR"
expect_json '[(o["package"], o["path"]) for o in d["owners"]] == [("ripgrep", "/home/linuxbrew/.linuxbrew/bin/rg")]' "which: bin/rg links into ripgrep's keg"
run_z --root "$R" --json pkg which -m homebrew wget
[ "$CODE" = 1 ] && ok || fail "which wget: exit $CODE, wanted 1: $ERR"
expect_json '[(p["package"], p["repository"]) for p in d["providers"]] == [("wget", "homebrew/core")]' "which: could be installed from executables.txt"
run_z --root "$R" pkg which -m homebrew wget
expect_contains "$OUT" "could be installed from homebrew/core: wget" "which: text names the formula"

# Everything current but pinned ones: exit 0. Relink hello to its current keg, drop the others.
link hello 2.12.1_1
for n in bar ripgrep vtool mytool wget neovim; do rm -rf "$P/Cellar/$n" "$P/opt/$n"; done
rm -rf "$P/Caskroom/iterm2" "$P/Caskroom/docker"
run_z --root "$R" --json pkg outdated -m homebrew
[ "$CODE" = 0 ] && ok || fail "only pinned outdated: exit $CODE, wanted 0: $OUT $ERR"
expect_json 'sorted(o["name"] for o in d["outdated"]) == ["firefox", "zstd"] and all(o["skipped"] for o in d["outdated"])' "only pinned ones left, skipped"

# ripgrep removed, its bin/rg link left dangling: no owner, the formula that would provide it instead.
run_z --root "$R" --json pkg which -m homebrew rg
expect_json 'd["owners"] == [] and [p["package"] for p in d["providers"]] == ["ripgrep"]' "which: a dangling link is nobody's"
run_z --root "$R" --json pkg info -m homebrew hello
[ "$CODE" = 0 ] && ok || fail "info: exit $CODE: $ERR"
expect_json '[(i["name"], i["installed_version"], i["candidate"], i["repository"], i["reason"]) for i in d["packages"]] == [("hello", "2.12.1_1", "2.12.1_1", "homebrew/core", "dependency")]' "info: installed keg, API candidate"
expect_json 'd["packages"][0]["description"].startswith("Program providing model")' "info: the API's desc"
run_z --root "$R" --json pkg info -m homebrew docker
expect_json 'sorted((i["repository"], i["installed_version"], i["candidate"]) for i in d["packages"]) == [("homebrew/cask", None, "4.42.0,195023"), ("homebrew/core", "28.1.1", "28.1.1")]' "info: a formula and a cask of one name"

# HOMEBREW_PREFIX names the prefix (inside the root); another prefix is named in a note.
mkdir -p "$R/opt/homebrew/Cellar/tree/2.2.1"
HOMEBREW_PREFIX=/opt/homebrew run_z --root "$R" --json pkg list -m homebrew
expect_json '[p["name"] for p in d["packages"]] == ["tree"] and "/home/linuxbrew/.linuxbrew" in d["managers"][0]["note"]' "HOMEBREW_PREFIX first, the other prefix named"

# A damaged API cache: one line, exit 3, no crash. No cache at all: the same, with a hint (never a download).
printf '{"payload": "{not json' >"$API/packages.x86_64_linux.jws.json"
run_z --root "$R" pkg outdated -m homebrew
[ "$CODE" = 3 ] && ok || fail "damaged API: exit $CODE, wanted 3: $ERR"
[ "$(printf '%s\n' "$ERR" | grep -c .)" -le 2 ] && ok || fail "damaged API: not one line: $ERR"
rm -rf "$R/home/u/.cache"
ZSYNCCTL_BREW_API_URL=http://127.0.0.1:9 run_z --root "$R" pkg outdated -m homebrew
[ "$CODE" = 3 ] && ok || fail "no API cache: exit $CODE, wanted 3: $ERR"
expect_contains "$ERR" "brew update" "no API cache: the hint"
# Hostile names are sanitized before the terminal.
mkdir -p "$P/Cellar/$(printf 'evil\033[31m')/1.0"
run_z --root "$R" pkg list -m homebrew
case "$OUT" in *$'\033'*) fail "an escape sequence reached the terminal" ;; *) ok ;; esac
# A brew that installed nothing yet (bin/brew, no Cellar): an empty list, not an error.
B="$SCRATCH/fresh"; mkdir -p "$B/home/linuxbrew/.linuxbrew/bin"; : >"$B/home/linuxbrew/.linuxbrew/bin/brew"
run_z --root "$B" --json pkg list -m homebrew
[ "$CODE" = 0 ] && ok || fail "fresh brew: exit $CODE: $ERR"
expect_json 'd["packages"] == []' "fresh brew: nothing installed"
# No prefix at all: a one-line error with a hint.
E="$SCRATCH/empty"; mkdir -p "$E"
run_z --root "$E" pkg list -m homebrew
[ "$CODE" = 3 ] && ok || fail "no prefix: exit $CODE, wanted 3"
expect_contains "$ERR" "HOMEBREW_PREFIX" "no prefix: the hint"
finish
