#!/usr/bin/env bash
# libcurl is loaded on demand (src/net/curl_api.cpp): the binary must not link it, so commands that do
# not fetch never pay its start-up cost.
. "$(dirname "$0")/lib.sh"

command -v ldd >/dev/null || skip "ldd is not installed"

libs=$(ldd "$ZSYNCCTL" 2>&1)
# Guard against a vacuous pass: ldd must have resolved the C library at least.
expect_contains "$libs" "libc.so" "ldd lists the binary's libraries"
case "$libs" in
*libcurl*) fail "zsyncctl links libcurl at start-up: $(printf '%s\n' "$libs" | grep libcurl)" ;;
*) ok ;;
esac

# At run time too: --version never loads libcurl, a fetching command does (LD_DEBUG=files lists every
# object the dynamic loader opens, dlopen() included).
loaded=$(LD_DEBUG=files "$ZSYNCCTL" --version 2>&1 >/dev/null)
expect_contains "$loaded" "file=" "LD_DEBUG reports loaded objects"
case "$loaded" in
*libcurl*) fail "zsyncctl --version loaded libcurl" ;;
*) ok ;;
esac
printf 'local\n' >"$SCRATCH/local.txt"
# file:// is read by zsyncctl itself (its deadline and Ctrl-C hold there too): no libcurl; http loads it,
# even when the connection is then refused (port 1 on loopback).
loaded=$(LD_DEBUG=files "$ZSYNCCTL" fetch "file://$SCRATCH/local.txt" 2>&1 >/dev/null)
case "$loaded" in
*libcurl*) fail "zsyncctl fetch file:// loaded libcurl" ;;
*) ok ;;
esac
loaded=$(LD_DEBUG=files "$ZSYNCCTL" fetch --timeout 5 "http://127.0.0.1:1/" 2>&1 >/dev/null)
expect_contains "$loaded" "file=libcurl.so.4" "zsyncctl fetch loads libcurl on demand"

finish
