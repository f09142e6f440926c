# Sourced after lib.sh by the tests that run the real rpm, rpmbuild and dnf on a scratch root: skips unless
# they are installed, then sets T (the test's scratch directory), R (the root, created) and a HOME whose
# .rpmmacros gives the root a distribution's database layout. Debian's rpm keeps its database in ~/.rpmdb
# (%_dbpath); a distribution's is /var/lib/rpm, and rpmbuild, rpm and dnf all read HOME's .rpmmacros.
# With RPM_SCRATCH_HELPERS_ONLY=1 it only defines the helpers (for tests that check the tools themselves).

# zs_hello_rpm DIR: the zs-hello noarch rpm the search tests share, built by rpmbuild under DIR/rpm and put
# in the rpm-md repository DIR/rrepo (createrepo_c). Fails with rpmbuild's last lines on stderr.
zs_hello_rpm() {
    mkdir -p "$1/rpm/SPECS" "$1/rrepo"
    cat >"$1/rpm/SPECS/zs-hello.spec" <<'SPEC'
Name: zs-hello
Version: 1.0
Release: 1
Summary: A test package for search
License: MIT
BuildArch: noarch
%description
Hello.
%install
mkdir -p %{buildroot}/usr/share/zs-hello
echo hi > %{buildroot}/usr/share/zs-hello/file
%files
/usr/share/zs-hello/file
SPEC
    rpmbuild --define "_topdir $1/rpm" -bb "$1/rpm/SPECS/zs-hello.spec" >"$1/rpmbuild.log" 2>&1 ||
        { tail -3 "$1/rpmbuild.log" >&2; return 1; }
    cp "$1"/rpm/RPMS/noarch/*.rpm "$1/rrepo/" && createrepo_c -q "$1/rrepo"
}
[ "${RPM_SCRATCH_HELPERS_ONLY:-}" = 1 ] && return 0

for tool in rpmbuild rpm dnf createrepo_c python3; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages rpm, dnf, createrepo-c)"
done
T="$SCRATCH"
R="$T/root"
export HOME="$T/home"
mkdir -p "$HOME" "$R"
printf '%%_dbpath /var/lib/rpm\n' >"$HOME/.rpmmacros"
