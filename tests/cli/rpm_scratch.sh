# Sourced after lib.sh by the tests that run the real rpm, rpmbuild and dnf on a scratch root: skips unless
# they are installed, then sets T (the test's scratch directory), R (the root, created) and a HOME whose
# .rpmmacros gives the root a distribution's database layout. Debian's rpm keeps its database in ~/.rpmdb
# (%_dbpath); a distribution's is /var/lib/rpm, and rpmbuild, rpm and dnf all read HOME's .rpmmacros.
for tool in rpmbuild rpm dnf createrepo_c python3; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages rpm, dnf, createrepo-c)"
done
T="$SCRATCH"
R="$T/root"
export HOME="$T/home"
mkdir -p "$HOME" "$R"
printf '%%_dbpath /var/lib/rpm\n' >"$HOME/.rpmmacros"
