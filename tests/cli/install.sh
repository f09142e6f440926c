#!/usr/bin/env bash
# `meson install` into a DESTDIR puts the binary, the man page and the three completion scripts where
# the system looks for them, and the installed binary runs.
. "$TESTS_DIR/lib.sh"

dest="$SCRATCH/dest"
if ! timeout 100 meson install -C "$BUILD_ROOT" --no-rebuild --quiet --destdir "$dest" >"$SCRATCH/install.log" 2>&1; then
    fail "meson install failed: $(tail -5 "$SCRATCH/install.log")"
    finish
fi
prefix=$(meson introspect "$BUILD_ROOT" --buildoptions | python3 -c \
    'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
root="$dest$prefix"
bashdir=share/bash-completion/completions
if pkg-config --exists bash-completion 2>/dev/null; then
    bashdir=$(pkg-config --define-variable=datadir="$prefix/share" --variable=completionsdir bash-completion)
    bashdir=${bashdir#"$prefix"/}
fi
for f in bin/zsyncctl share/man/man1/zsyncctl.1 "$bashdir/zsyncctl" share/zsh/site-functions/_zsyncctl \
    share/fish/vendor_completions.d/zsyncctl.fish; do
    [ -s "$root/$f" ] && ok || fail "not installed: $prefix/$f"
done
[ -x "$root/bin/zsyncctl" ] && ok || fail "installed binary is not executable"
ZSYNCCTL="$root/bin/zsyncctl" run_z --version
[ "$CODE" -eq 0 ] && ok || fail "installed zsyncctl --version: exit $CODE"
expect_contains "$OUT" "zsyncctl" "installed binary prints its version"
cmp -s "$root/share/man/man1/zsyncctl.1" "$SOURCE_ROOT/man/zsyncctl.1" && ok || fail "installed man page differs"
"$root/bin/zsyncctl" completion zsh | cmp -s - "$root/share/zsh/site-functions/_zsyncctl" && ok ||
    fail "installed zsh completion differs from the binary's"
finish
