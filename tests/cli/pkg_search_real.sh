#!/usr/bin/env bash
# `zsyncctl pkg search` against real package managers: apt lists made by apt-get update from a local repo
# of .debs built here (compared with apt-cache search on the same lists), a pacman sync db made by repo-add
# (compared with pacman -Ss), and dnf over a createrepo_c repo when available.
. "$(dirname "$0")/lib.sh"

T="$SCRATCH/real"
mkdir -p "$T"
names() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(sorted(r["name"] for r in d["results"])))'; }
ran=0

# ---- apt ----
if command -v dpkg-deb >/dev/null && command -v dpkg-scanpackages >/dev/null && command -v apt-cache >/dev/null; then
    ran=1
    mkdir -p "$T/repo"
    mkdeb() { # name version description long
        local d="$T/build/$1"
        mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$1"
        printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: Test <t@example.org>\nDescription: %s\n %s\n' \
            "$1" "$2" "$3" "$4" >"$d/DEBIAN/control"
        echo "$1" >"$d/usr/share/doc/$1/README"
        dpkg-deb -b "$d" "$T/repo/${1}_${2}_all.deb" >/dev/null
    }
    mkdeb zs-hello 1.2.3-1 "Greeter for the search tests" "Prints a friendly greeting."
    mkdeb zs-hello 1.10.0-1 "Greeter for the search tests" "Prints a friendly greeting, newer."
    mkdeb zs-world 2:0.1-1 "World map viewer" "Mentions a Hello in the long description."
    mkdeb zs-tilde 1.0~rc1-1 "Tilde versioned tool" "Unrelated."
    mkdeb zs-other 0.5-1 "Something else entirely" "Nothing to see."
    (cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null)
    R="$T/aptroot"
    mkdir -p "$R/etc/apt/sources.list.d" "$R/etc/apt/preferences.d" "$R/etc/apt/apt.conf.d" "$R/var/lib/apt/lists/partial" \
        "$R/var/cache/apt/archives/partial" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/info" "$R/var/log"
    printf 'Package: zs-world\nStatus: install ok installed\nVersion: 2:0.1-1\nArchitecture: all\nDescription: World map viewer\n\n' >"$R/var/lib/dpkg/status"
    echo "deb [trusted=yes] file:$T/repo ./" >"$R/etc/apt/sources.list"
    APTO=(-o "Dir=$R" -o "Dir::State::status=$R/var/lib/dpkg/status" -o "Dir::Etc::SourceList=$R/etc/apt/sources.list"
        -o "Dir::Etc::SourceParts=$R/etc/apt/sources.list.d" -o "Dir::Etc::Parts=$R/etc/apt/apt.conf.d"
        -o "Dir::Cache=$R/var/cache/apt" -o Debug::NoLocking=1)
    apt-get "${APTO[@]}" -q update >"$T/apt-update.log" 2>&1 || fail "apt-get update failed: $(tail -3 "$T/apt-update.log")"
    ls "$R/var/lib/apt/lists/" | grep -q Packages && ok || fail "apt-get update wrote no Packages list"
    for q in hello zs- world tilde nomatchatall; do
        want=$(apt-cache "${APTO[@]}" search "$q" 2>/dev/null | awk '{print $1}' | sort | tr '\n' ' ' | sed 's/ $//')
        run_z --root "$R" --json pkg search "$q" --manager apt
        got=$(printf '%s' "$OUT" | names)
        [ "$got" = "$want" ] && ok || fail "apt search '$q': zsyncctl [$got] vs apt-cache [$want]"
    done
    run_z --root "$R" --json pkg search zs-hello --manager apt --exact
    expect_json 'd["results"][0]["version"] == "1.10.0-1" and len(d["results"]) == 1' "newest version per name"
    want_ver=$(apt-cache "${APTO[@]}" policy zs-hello 2>/dev/null | awk '/Candidate:/{print $2}')
    expect_json "d['results'][0]['version'] == '$want_ver'" "same version apt would pick"
    run_z --root "$R" --json pkg search world --manager apt
    expect_json 'd["results"][0]["installed"] is True' "installed mark from dpkg status"
    # The index is reused while the lists hold, and rebuilt when they change.
    ls "$XDG_CACHE_HOME/zsyncctl/search/"apt-*.idx >/dev/null 2>&1 && ok || fail "no apt index written"
    mkdeb zs-newcomer 1-1 "Brand new hello package" "x"
    (cd "$T/repo" && dpkg-scanpackages . /dev/null >Packages 2>/dev/null)
    apt-get "${APTO[@]}" -q update >/dev/null 2>&1
    run_z --root "$R" --json pkg search newcomer --manager apt
    expect_json 'len(d["results"]) == 1' "index rebuilt after apt-get update"

    # A list whose stanza lost its blank line (two Package fields: apt reads the last of each field) and
    # whose last stanza has no final newline, then a second list: apt-cache ends a stanza at each file's
    # end. Search and pkg outdated must both read them as apt-cache does (issue 15).
    R5="$T/aptroot5"
    mkdir -p "$R5/etc/apt/sources.list.d" "$R5/etc/apt/preferences.d" "$R5/etc/apt/apt.conf.d" \
        "$R5/var/lib/apt/lists/partial" "$R5/var/cache/apt/archives/partial" "$R5/var/lib/dpkg/updates"
    printf 'deb [trusted=yes] http://a.invalid/debian x main\ndeb [trusted=yes] http://b.invalid/debian x main\n' \
        >"$R5/etc/apt/sources.list"
    printf 'Package: zs-aa\nVersion: 1\nArchitecture: amd64\nDescription: first thing\nPackage: zs-bb\nVersion: 2\nArchitecture: amd64\nDescription: second thing\n\nPackage: zs-cc\nVersion: 3\nArchitecture: amd64\nDescription: third thing' \
        >"$R5/var/lib/apt/lists/a.invalid_debian_dists_x_main_binary-amd64_Packages"
    printf 'Package: zs-dd\nVersion: 4\nArchitecture: amd64\nDescription: fourth thing\n' \
        >"$R5/var/lib/apt/lists/b.invalid_debian_dists_x_main_binary-amd64_Packages"
    printf 'Package: zs-aa\nStatus: install ok installed\nVersion: 0.5\nArchitecture: amd64\nDescription: first thing\n\nPackage: zs-bb\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\nDescription: second thing\n\nPackage: zs-cc\nStatus: install ok installed\nVersion: 2\nArchitecture: amd64\nDescription: third thing' \
        >"$R5/var/lib/dpkg/status"
    echo amd64 >"$R5/var/lib/dpkg/arch"
    APT5=(-o "Dir=$R5/" -o "Dir::State::status=$R5/var/lib/dpkg/status" -o APT::Architecture=amd64
        -o APT::Architectures::=amd64 -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
    want=$(apt-cache "${APT5[@]}" search thing 2>/dev/null | awk '{print $1}' | sort | tr '\n' ' ' | sed 's/ $//')
    run_z --root "$R5" --json pkg search thing --manager apt
    got=$(printf '%s' "$OUT" | names)
    [ -n "$want" ] && [ "$got" = "$want" ] && ok || fail "stanza without blank line: zsyncctl [$got] vs apt-cache [$want]"
    # Per package: installed version and candidate as apt-cache policy states them.
    want=$(for p in zs-aa zs-bb zs-cc zs-dd; do apt-cache "${APT5[@]}" policy "$p" 2>/dev/null |
        awk -v p="$p" '/Installed:/{i=$2} /Candidate:/{c=$2} END{if (c != "") print p, i, c}'; done)
    got=$(printf '%s' "$OUT" | python3 -c 'import json,sys
for r in sorted(json.load(sys.stdin)["results"], key=lambda r: r["name"]):
    print(r["name"], r["installed_version"] or "(none)", r["candidate"])')
    [ "$got" = "$want" ] && ok || fail "installed/candidate vs apt-cache policy: zsyncctl [$got] vs [$want]"
    # pkg outdated (the inventory's reader of the same lists) agrees: what apt would upgrade.
    want=$(printf '%s\n' "$want" | awk '$2 != "(none)" && $2 != $3 {print $1 "=" $3}' | sort | tr '\n' ' ' | sed 's/ $//')
    TIMEOUT=60 run_z --root "$R5" --json pkg outdated -m apt
    got=$(printf '%s' "$OUT" | python3 -c 'import json,sys
d=json.load(sys.stdin)
print(" ".join(sorted(r["name"] + "=" + r["candidate"] for r in d["outdated"] if not r["skipped"])))')
    [ -n "$want" ] && [ "$got" = "$want" ] && ok || fail "pkg outdated vs apt-cache policy: zsyncctl [$got] vs apt [$want] ($ERR)"
fi

# ---- pacman ----
if command -v repo-add >/dev/null && command -v pacman >/dev/null && command -v bsdtar >/dev/null; then
    ran=1
    mkdir -p "$T/prepo"
    mkpkg() { # name ver desc [extra .PKGINFO lines: "provides = x=1" "group = g" ...]
        local b="$T/pbuild/$1" extra
        mkdir -p "$b/usr/share/$1"
        echo hi >"$b/usr/share/$1/file"
        printf 'pkgname = %s\npkgbase = %s\npkgver = %s\npkgdesc = %s\nbuilddate = 1700000000\nsize = 3\narch = any\nlicense = MIT\n' \
            "$1" "$1" "$2" "$3" >"$b/.PKGINFO"
        for extra in "${@:4}"; do echo "$extra" >>"$b/.PKGINFO"; done
        (cd "$b" && bsdtar -czf "$T/prepo/$1-$2-any.pkg.tar.gz" .PKGINFO usr)
        repo-add -q "$T/prepo/testrepo.db.tar.gz" "$T/prepo/$1-$2-any.pkg.tar.gz" >/dev/null 2>&1
    }
    mkpkg zs-hello 1.2.3-1 "Hello world for the search tests"
    mkpkg zs-tool 0.5-2 "Command line tool that says hello"
    mkpkg zs-other 3.0-1 "Unrelated package"
    # Provides and groups, as pacman -Ss matches them (python -> python3, vim -> xxd, openssl -> libcrypto).
    mkpkg zs-python 3.12.1-1 "Next generation of the language" "provides = zs-python3=3.12.1" "provides = zs-python-pip"
    mkpkg zs-vim 1:9.1.0-1 "Vi Improved editor" "provides = zs-xxd" "group = zs-editors" "group = zs-base"
    mkpkg zs-openssl 3.3.0-1 "Toolkit for TLS" "provides = zs-libcrypto.so=3-64" "provides = zs-libssl.so>=3" "group = zs-base"
    P="$T/proot"
    mkdir -p "$P/etc" "$P/var/lib/pacman" "$P/var/cache/pacman/pkg" "$P/var/log"
    printf '[options]\nArchitecture = auto\nSigLevel = Never\n\n[testrepo]\nServer = file://%s\n' "$T/prepo" >"$P/etc/pacman.conf"
    # Cache and log inside the scratch root: never the host's /var/cache/pacman or /var/log/pacman.log.
    PAC=(pacman --config "$P/etc/pacman.conf" --root "$P" --dbpath "$P/var/lib/pacman" --cachedir "$P/var/cache/pacman/pkg"
        --logfile "$P/var/log/pacman.log" --color never --noconfirm)
    "${PAC[@]}" -Sy >"$T/pacman-sync.log" 2>&1 || fail "pacman -Sy failed: $(tail -3 "$T/pacman-sync.log")"
    "${PAC[@]}" -S zs-tool >"$T/pacman-install.log" 2>&1 || true
    for q in hello zs- unrelated nomatchatall zs-python3 python3 zs-xxd xxd zs-libcrypto libcrypto libssl.so zs-editors editors zs-base \
        ZS-BASE pip 3-64 zs-vim vim improved; do
        want=$("${PAC[@]}" -Ss "$q" 2>/dev/null | awk '!/^ /{sub(/^[^\/]*\//,"",$1); print $1}' | sort | tr '\n' ' ' | sed 's/ $//')
        run_z --root "$P" --json pkg search "$q" --manager pacman
        got=$(printf '%s' "$OUT" | names)
        [ "$got" = "$want" ] && ok || fail "pacman search '$q': zsyncctl [$got] vs pacman -Ss [$want]"
    done
    # Matched by a provided name or a group: ranked after name matches, before description matches.
    run_z --root "$P" --json pkg search zs-python --manager pacman
    expect_json '[r["name"] for r in d["results"]][0] == "zs-python"' "pacman: exact name first"
    run_z --root "$P" --json pkg search xxd --manager pacman
    expect_json '[r["name"] for r in d["results"]] == ["zs-vim"] and d["results"][0]["version"] == "1:9.1.0-1"' "pacman: xxd finds vim through provides (epoch kept)"
    if "${PAC[@]}" -Q zs-tool >/dev/null 2>&1; then
        run_z --root "$P" --json pkg search zs-tool --manager pacman --exact
        expect_json 'd["results"][0]["installed"] is True and d["results"][0]["version"] == "0.5-2"' "pacman installed mark"
    fi
fi

# ---- dnf over an rpm-md repo ----
if command -v rpmbuild >/dev/null && command -v createrepo_c >/dev/null && command -v dnf >/dev/null; then
    ran=1
    mkdir -p "$T/rpm/SPECS" "$T/rrepo" "$T/repos.d" "$T/dnfroot"
    RPM_SCRATCH_HELPERS_ONLY=1 . "$TESTS_DIR/rpm_scratch.sh"
    if zs_hello_rpm "$T" 2>"$T/rpmbuild.err"; then
        printf '[zstest]\nname=zstest\nbaseurl=file://%s\ngpgcheck=0\nenabled=1\n' "$T/rrepo" >"$T/repos.d/test.repo"
        # A dnf wrapper that points the real dnf at the scratch repo; zsyncctl adds its own search flags.
        mkdir -p "$T/bin"
        cat >"$T/bin/dnf" <<SH
#!/bin/sh
exec /usr/bin/dnf --installroot=$T/dnfroot --setopt=reposdir=$T/repos.d --releasever=40 --setopt=cachedir=$T/dnfcache "\$@"
SH
        chmod +x "$T/bin/dnf"
        TIMEOUT=60 PATH="$T/bin:$PATH" run_z --json pkg search hello --manager dnf --timeout 50
        expect_json '[r["name"] for r in d["results"]] == ["zs-hello"] and d["results"][0]["description"] == "A test package for search"' "real dnf search"
        # Nothing found in a configured repository is "ok, 0 results"; with no repository at all the real
        # dnf prints only "No matches found." and exits 0, so zsyncctl asks dnf repolist and says so.
        TIMEOUT=60 PATH="$T/bin:$PATH" run_z --json pkg search zznomatch --manager dnf --timeout 50
        expect_json '[(m["name"], m["status"]) for m in d["managers"]] == [("dnf", "ok")] and d["results"] == []' "real dnf: no match in a configured repository is ok, 0 results"
        mkdir -p "$T/norepos.d"
        sed "s|reposdir=$T/repos.d|reposdir=$T/norepos.d|" "$T/bin/dnf" >"$T/bin/dnf.new" && chmod +x "$T/bin/dnf.new" && mv "$T/bin/dnf.new" "$T/bin/dnf"
        [ -z "$(PATH="$T/bin:$PATH" dnf --quiet repolist --enabled 2>/dev/null)" ] && ok || fail "the real dnf still lists a repository with an empty reposdir"
        TIMEOUT=60 PATH="$T/bin:$PATH" run_z --json pkg search hello --manager dnf --timeout 50
        expect_json '[(m["name"], m["status"]) for m in d["managers"]] == [("dnf", "no_repositories")] and "repolist" in d["managers"][0]["error"]' "real dnf without a repository: no_repositories, not 0 results"
    else
        fail "rpmbuild failed: $(cat "$T/rpmbuild.err")"
    fi
fi

[ "$ran" = 1 ] || skip "none of dpkg-dev/apt, pacman+repo-add+bsdtar, dnf+createrepo_c is installed"
finish
