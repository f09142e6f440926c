#!/usr/bin/env bash
# Live detection on this machine: the Debian packages that provide managers (scripts/deps.sh TEST_APT)
# must be detected, with the version their own package reports.
. "$(dirname "$0")/lib.sh"

command -v dpkg-query >/dev/null || skip "not a Debian-family machine (no dpkg-query)"

TIMEOUT=60 expect_exit 0 "live pkg managers --versions" pkg managers --json --versions --timeout 30 --no-cache
JSON=$OUT

# upstream DEBVERSION: "2:1.19~1" -> "1.19", "4.18.0+dfsg-1" -> "4.18.0"
upstream() { printf '%s' "$1" | sed -E 's/^[0-9]+://; s/[-+~].*$//'; }

checked=0
while read -r id package; do
    status=$(dpkg-query -W -f '${db:Status-Abbrev}' "$package" 2>/dev/null) || continue
    case "$status" in ii*) ;; *) continue ;; esac
    want=$(upstream "$(dpkg-query -W -f '${Version}' "$package")")
    got=$(printf '%s' "$JSON" | python3 -c "
import json,sys
d=[m for m in json.load(sys.stdin) if m['name']=='$id']
print(d[0]['version'] or 'null:' + str(d[0].get('version_error')) if d else 'not-detected')")
    case "$got" in
    "$want"*) ok ;;
    *) fail "$id (Debian package $package $want): zsyncctl says '$got'" ;;
    esac
    checked=$((checked + 1))
done <<'LIST'
apt apt
dpkg dpkg
pacman pacman-package-manager
dnf dnf
zypper zypper
rpm rpm
nix nix-bin
flatpak flatpak
gem ruby-rubygems
go golang-go
LIST

[ "$checked" -gt 2 ] || skip "only $checked manager packages installed (run scripts/quickstart.sh test deps)"
printf 'checked %d live managers\n' "$checked"
finish
