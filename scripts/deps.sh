# Package lists per package manager, sourced by scripts/quickstart.sh. One place to add a dependency.
# BUILD_*: what building zsyncctl needs. TEST_*: what the whole test suite needs on top (real package
# managers for the integration tests, shells for completion tests, servers, ...). BENCH_*: bench/run.sh.

BUILD_APT=(meson ninja-build pkg-config g++ cmake git libcli11-dev nlohmann-json3-dev doctest-dev
    libcurl4-openssl-dev liburing-dev libarchive-dev)
TEST_APT=(python3 procps strace chromium chromium-driver python3-selenium dpkg-dev apt pacman-package-manager makepkg libarchive-tools createrepo-c rpm dnf libcurl4 bash-completion zsh fish groff-base time clang-format gpg tmux
    # package managers that live detection (tests/cli/pkg_live.sh) finds with their real versions
    zypper nix-bin flatpak ruby
    # Debian 12's cargo 0.66 (no sparse protocol: tests/cli/pkg_upgrade_cargo.sh serves it a git index)
    cargo)
# TEST_UNPACK_APT: packages a test needs files of but that must not be installed on the machine: they are
# downloaded and unpacked (never configured) under ~/.cache/zsyncctl-test-debs/NAME. dnf-plugins-core:
# the real versionlock plugin for tests/cli/pkg_dnf_root.sh (installed, its enabled-by-default plugins
# would change every dnf the other tests run).
TEST_UNPACK_APT=(dnf-plugins-core)
# BENCH_*: what bench/run.sh needs on top of the build (the peers we measure against, the timer).
BENCH_APT=(libboost-dev hyperfine)
# CI_*: what .ci/run needs beyond the test suite (clang: the sanitizer + libFuzzer build).
CI_APT=(clang)

BUILD_DNF=(meson ninja-build pkgconf-pkg-config gcc-c++ cmake git cli11-devel json-devel doctest-devel
    libcurl-devel liburing-devel libarchive-devel)
TEST_DNF=(python3 procps-ng bash-completion zsh fish groff-base)

BUILD_PACMAN=(meson ninja pkgconf gcc cmake git cli11 nlohmann-json doctest curl liburing libarchive)
TEST_PACMAN=(python procps-ng bash-completion zsh fish groff)
