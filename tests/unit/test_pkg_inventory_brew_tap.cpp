#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "pkg/inventory/brew_tap.hpp"

using namespace zsyncctl::pkg;

// Homebrew's own expectations for Version.detect (Library/Homebrew/test/version_spec.rb, "::detect"),
// url -> version, in its order.
TEST_CASE("brew_version_from_url agrees with Homebrew's version_spec.rb") {
    const std::vector<std::pair<const char*, const char*>> cases = {
        {"https://brew.sh/foo.bar.la.1.14.zip", "1.14"},
        {"https://brew.sh/grc_1.1.tar.gz", "1.1"},
        {"https://brew.sh/boost_1_39_0.tar.bz2", "1.39.0"},
        {"https://erlang.org/download/otp_src_R13B.tar.gz", "R13B"},
        {"https://github.com/erlang/otp/tarball/OTP_R15B01", "R15B01"},
        {"https://github.com/erlang/otp/tarball/OTP_R15B03-1", "R15B03-1"},
        {"https://kent.dl.sourceforge.net/sourceforge/p7zip/p7zip_9.04_src_all.tar.bz2", "9.04"},
        {"https://github.com/sam-github/libnet/tarball/libnet-1.1.4", "1.1.4"},
        {"https://codeload.github.com/gsamokovarov/jump/tar.gz/v0.7.1", "0.7.1"},
        {"https://camaya.net/download/gloox-1.0-beta7.tar.bz2", "1.0-beta7"},
        {"http://sphinxsearch.com/downloads/sphinx-1.10-beta.tar.gz", "1.10-beta"},
        {"https://kent.dl.sourceforge.net/sourceforge/astyle/astyle_1.23_macosx.tar.gz", "1.23"},
        {"http://www.sfr-fresh.com/linux/misc/dos2unix-3.1.tar.gz", "3.1"},
        {"https://brew.sh/foo-arse-1.1-2.tar.gz", "1.1-2"},
        {"https://brew.sh/3.3.04-1.tar.gz", "3.3.04-1"},
        {"https://brew.sh/v1.2-20200102.tar.gz", "1.2-20200102"},
        {"https://brew.sh/v3.6.6-0.2.tar.gz", "3.6.6-0.2"},
        {"https://brew.sh/foo_bar.45.tar.gz", "45"},
        {"https://brew.sh/foo_bar45.tar.gz", "45"},
        {"https://brew.sh/foo-bar-la.1.2.3.tar.gz", "1.2.3"},
        {"https://brew.sh/foo_bar-1.21.tar.gz", "1.21"},
        {"https://sourceforge.net/foo_bar-1.21.tar.gz/download", "1.21"},
        {"https://sf.net/foo_bar-1.21.tar.gz/download", "1.21"},
        {"https://github.com/lloyd/yajl/tarball/1.0.5", "1.0.5"},
        {"https://github.com/lloyd/yajl/tarball/v1.2.34", "1.2.34"},
        {"https://brew.sh/mad-0.15.1b.tar.gz", "0.15.1b"},
        {"https://kent.dl.sourceforge.net/sourceforge/lame/lame-398-2.tar.gz", "398-2"},
        {"ftp://ftp.ruby-lang.org/pub/ruby/1.9/ruby-1.9.1-p243.tar.gz", "1.9.1-p243"},
        {"http://www.alcyone.com/binaries/omega/omega-0.80.2-src.tar.gz", "0.80.2"},
        {"https://downloads.xiph.org/releases/vorbis/libvorbis-1.2.2rc1.tar.bz2", "1.2.2rc1"},
        {"https://ftp.mozilla.org/pub/mozilla.org/js/js-1.8.0-rc1.tar.gz", "1.8.0-rc1"},
        {"http://rephial.org/downloads/3.0/angband-3.0.9b-src.tar.gz", "3.0.9b"},
        {"https://www.monkey.org/~provos/libevent-1.4.14b-stable.tar.gz", "1.4.14b"},
        {"https://ftp.de.debian.org/debian/pool/main/s/sl/sl_3.03.orig.tar.gz", "3.03"},
        {"https://ftp.de.debian.org/debian/pool/main/m/mmv/mmv_1.01b.orig.tar.gz", "1.01b"},
        {"https://deb.debian.org/debian/pool/main/e/example/example_1.orig.tar.gz", "1"},
        {"https://deb.debian.org/debian/pool/main/e/example/example_20040914.orig.tar.gz", "20040914"},
        {"https://downloads.sf.net/project/machomebrew/mirror/ImageMagick-6.7.5-7.tar.bz2", "6.7.5-7"},
        {"https://brew.sh/dada-v2017-04-17.tar.gz", "2017-04-17"},
        {"https://registry.npmjs.org/@angular/cli/-/cli-1.3.0-beta.1.tgz", "1.3.0-beta.1"},
        {"https://github.com/dlang/dmd/archive/v2.074.0-beta1.tar.gz", "2.074.0-beta1"},
        {"https://github.com/dlang/dmd/archive/v2.074.0-rc1.tar.gz", "2.074.0-rc1"},
        {"https://github.com/premake/premake-core/releases/download/v5.0.0-alpha10/"
         "premake-5.0.0-alpha10-src.zip",
         "5.0.0-alpha10"},
        {"https://mirrors.jenkins-ci.org/war/1.486/jenkins.war", "1.486"},
        {"https://github.com/hechoendrupal/DrupalConsole/releases/download/0.10.11/drupal.phar", "0.10.11"},
        {"https://github.com/clojure/clojurescript/releases/download/r1.9.293/cljs.jar", "1.9.293"},
        {"https://github.com/fibjs/fibjs/releases/download/v0.6.1/fullsrc.zip", "0.6.1"},
        {"https://wwwlehre.dhbw-stuttgart.de/~sschulz/WORK/E_DOWNLOAD/V_1.9/E.tgz", "1.9"},
        {"https://github.com/JustArchi/ArchiSteamFarm/releases/download/2.3.2.0/ASF.zip", "2.3.2.0"},
        {"https://people.gnome.org/~newren/eg/download/1.7.5.2/eg", "1.7.5.2"},
        {"https://www.antlr.org/download/antlr-3.4-complete.jar", "3.4"},
        {"https://cdn.nuxeo.com/nuxeo-9.2/nuxeo-server-9.2-tomcat.zip", "9.2"},
        {"https://search.maven.org/remotecontent?filepath=com/facebook/presto/presto-cli/0.181/"
         "presto-cli-0.181-executable.jar",
         "0.181"},
        {"https://search.maven.org/remotecontent?filepath=org/apache/orc/orc-tools/1.2.3/"
         "orc-tools-1.2.3-uber.jar",
         "1.2.3"},
        {"https://www.apache.org/dyn/closer.cgi?path=/cassandra/1.2.0/apache-cassandra-1.2.0-rc2-bin.tar.gz",
         "1.2.0-rc2"},
        {"https://www.ijg.org/files/jpegsrc.v8d.tar.gz", "8d"},
        {"https://www.haskell.org/ghc/dist/7.0.4/ghc-7.0.4-x86_64-apple-darwin.tar.bz2", "7.0.4"},
        {"https://www.haskell.org/ghc/dist/7.0.4/ghc-7.0.4-i386-apple-darwin.tar.bz2", "7.0.4"},
        {"https://pypy.org/download/pypy-1.4.1-osx.tar.bz2", "1.4.1"},
        {"https://www.openssl.org/source/openssl-0.9.8s.tar.gz", "0.9.8s"},
        {"ftp://ftp.visi.com/users/hawkeyd/X/Xaw3d-1.5E.tar.gz", "1.5E"},
    };
    for (const auto& c : cases) {
        const std::string url =
            c.first; // doctest's CAPTURE is a lambda: clang 14 refuses structured bindings
        CAPTURE(url);
        CHECK(brew_version_from_url(url) == c.second);
    }
    // Version.parse's NULL: nothing to read.
    CHECK(brew_version_from_url("https://brew.sh/blah.tar").empty());
    CHECK(brew_version_from_url("foo").empty());
    // A hostile length is unknown, not a crash (std::regex recurses per character); the longest taken works.
    const std::string digits(1000, '7');
    CHECK(brew_version_from_url("https://e.com/a-" + digits + ".tar.gz") == digits);
    CHECK(brew_version_from_url("https://e.com/a-" + std::string(1u << 20, '1') + ".tar.gz").empty());
    CHECK(parse_brew_formula("class A < Formula\n  url \"https://e.com/" + std::string(1u << 20, '9') +
                             "\"\nend\n")
              .version.empty());
    // CGI.unescape before parsing.
    CHECK(brew_version_from_url("https://example.com/dl/tool%2D2.5.1.tar.gz") == "2.5.1");
}

TEST_CASE("parse_brew_formula reads the stable version without Ruby") {
    // An explicit version wins over the url's; blocks (bottle, head, resource, def, test heredocs) skipped.
    auto f = parse_brew_formula(R"RB(class Mytool < Formula
  desc "A tool"
  homepage "https://example.com"
  url "https://example.com/mytool-0.4.0.tar.gz"
  version "0.4.1"
  sha256 "abc"
  license "MIT"
  revision 2
  version_scheme 1

  bottle do
    root_url "https://example.com/bottles"
    sha256 cellar: :any, x86_64_linux: "def"
  end

  head do
    url "https://github.com/u/mytool.git", branch: "main"
    version "9.9"
  end

  resource "extra" do
    url "https://example.com/extra-7.0.tar.gz"
  end

  def install
    (bin/"mytool").write <<~EOS
      #!/bin/sh
      version "8.8"
      end
      end
    EOS
  end
end
)RB");
    CHECK(f.found);
    CHECK(f.version == "0.4.1");
    CHECK(f.revision == 2);
    CHECK(f.version_scheme == 1);
    CHECK(f.pkg_version() == "0.4.1_2");
    CHECK(f.desc == "A tool");

    // No version line: Version.detect of the url, or of its tag: when there is one.
    CHECK(parse_brew_formula("class A < Formula\n  url \"https://example.com/a-1.2.3.tar.gz\"\nend\n")
              .version == "1.2.3");
    CHECK(parse_brew_formula("class A < Formula\n  url \"https://github.com/u/a.git\",\n      tag:      "
                             "\"v2.0.1\",\n      revision: \"0123abcd\"\n  license \"MIT\"\nend\n")
              .version == "2.0.1");
    CHECK(parse_brew_formula("class A < Formula\n  url \"https://github.com/u/a.git\", tag: \"v2.0.1\", "
                             "revision: \"0123abcd\"\nend\n")
              .version == "2.0.1");
    // A stable block's url wins over the top level's.
    CHECK(parse_brew_formula("class A < Formula\n  stable do\n    url \"https://e.com/a-3.1.tar.gz\"\n  end\n"
                             "  head \"https://e.com/a.git\"\nend\n")
              .version == "3.1");
    // Interpolation is not a version; nothing readable stays unknown.
    auto interpolated = parse_brew_formula(
        "class A < Formula\n  version \"#{MAJOR}.1\"\n  url \"https://e.com/a.tar\"\nend\n");
    CHECK(interpolated.found);
    CHECK(interpolated.version.empty());
    CHECK(interpolated.pkg_version().empty());
    CHECK(parse_brew_formula("not ruby at all").version.empty());
}

// Tap formulae whose url is inside on_macos/on_linux (and on_arm/on_intel, `if Hardware::CPU.arm?`) blocks:
// Homebrew evaluates the blocks of the machine it runs on, so the version comes from that block's url.
TEST_CASE("parse_brew_formula reads the url of the platform's block") {
    // jarp0l/homebrew-tap Formula/chalk.rb as published (with its version line), then the same file without
    // that line, the shape of taps whose version is only in the urls.
    const std::string chalk_head = R"RB(class Chalk < Formula
  desc "Chalk allows you to follow code from development, through builds and into production."
  homepage "https://crashoverride.com"
)RB";
    const std::string chalk_body = R"RB(  license "GPL-3.0"

  on_macos do
    url "https://dl.crashoverride.run/chalk/chalk-0.4.3-darwin-arm64"    
    sha256 "11e2b87f51ff84ac131c9316670445eb4eb2f24b80382e8a82602905fe992030"

    def install
      bin.install "chalk-0.4.3-darwin-arm64" => "chalk"
    end
  end

  on_linux do
    if Hardware::CPU.arm? && Hardware::CPU.is_64_bit?
      url "https://dl.crashoverride.run/chalk/chalk-0.4.3-linux-arm64"
      sha256 "caff4e443f082c305d92c43984714c6dd1c6a7d42f63e4b1eeffd43e0480358c"

      def install
        bin.install "chalk-0.4.3-linux-arm64" => "chalk"
      end
    end
    if Hardware::CPU.intel? && Hardware::CPU.is_64_bit?
      url "https://dl.crashoverride.run/chalk/chalk-0.4.3-linux-x86_64"
      sha256 "a533a2ece32ecb25e5cb63b05ac180d8e8f9366dc54997f7475caa35729e742b"

      def install
        bin.install "chalk-0.4.3-linux-x86_64" => "chalk"
      end
    end
  end
end
)RB";
    const BrewPlatform linux_intel{true, false};
    const BrewPlatform linux_arm{true, true};
    const BrewPlatform mac_arm{false, true};
    CHECK(parse_brew_formula(chalk_head + "  version \"0.4.3\"\n" + chalk_body, linux_intel).version ==
          "0.4.3");
    const std::string unversioned = chalk_head + chalk_body;
    CHECK(parse_brew_formula(unversioned, linux_intel).version ==
          brew_version_from_url("https://dl.crashoverride.run/chalk/chalk-0.4.3-linux-x86_64"));
    CHECK(parse_brew_formula(unversioned, linux_arm).version ==
          brew_version_from_url("https://dl.crashoverride.run/chalk/chalk-0.4.3-linux-arm64"));
    CHECK(parse_brew_formula(unversioned, mac_arm).version ==
          brew_version_from_url("https://dl.crashoverride.run/chalk/chalk-0.4.3-darwin-arm64"));
    CHECK(parse_brew_formula(unversioned, linux_intel).desc.starts_with("Chalk allows"));

    // on_linux/on_macos with on_arm/on_intel and if/else (the generated shape of goreleaser-style taps):
    // the block of this platform, whatever comes later in the file. (The platform is in the directory:
    // Version.detect reads "-linux-amd64" stems as a version of their own.)
    const std::string nested = R"RB(class Tool < Formula
  desc "A tool"
  homepage "https://example.com"
  on_macos do
    if Hardware::CPU.arm?
      url "https://example.com/releases/darwin-arm64/tool-2.1.0.tar.gz"
    else
      url "https://example.com/releases/darwin-amd64/tool-2.0.9.tar.gz"
    end
  end
  on_linux do
    on_arm do
      url "https://example.com/releases/linux-arm64/tool-2.0.8.tar.gz"
    end
    on_intel do
      url "https://example.com/releases/linux-amd64/tool-2.0.7.tar.gz"
    end
  end
  def install
    bin.install "tool"
  end
end
)RB";
    CHECK(parse_brew_formula(nested, linux_intel).version == "2.0.7");
    CHECK(parse_brew_formula(nested, linux_arm).version == "2.0.8");
    CHECK(parse_brew_formula(nested, mac_arm).version == "2.1.0");
    CHECK(parse_brew_formula(nested, BrewPlatform{false, false}).version == "2.0.9");

    // cargo-dist's `if Hardware::CPU.type == :arm ... else ... end` at the top level; elsif chains.
    const std::string dist = "class D < Formula\n  if Hardware::CPU.type == :arm\n    url "
                             "\"https://e.com/aarch64/d-1.5.0.tar.xz\"\n  else\n    url "
                             "\"https://e.com/x86_64/d-1.4.0.tar.xz\"\n  end\nend\n";
    CHECK(parse_brew_formula(dist, linux_intel).version == "1.4.0");
    CHECK(parse_brew_formula(dist, linux_arm).version == "1.5.0");
    const std::string chain =
        "class C < Formula\n  if OS.mac?\n    url \"https://e.com/c-1.0.tar.gz\"\n"
        "  elsif OS.linux? && Hardware::CPU.intel?\n    url \"https://e.com/c-2.0.tar.gz\"\n"
        "  else\n    url \"https://e.com/c-3.0.tar.gz\"\n  end\nend\n";
    CHECK(parse_brew_formula(chain, linux_intel).version == "2.0");
    CHECK(parse_brew_formula(chain, linux_arm).version == "3.0");
    CHECK(parse_brew_formula(chain, mac_arm).version == "1.0");

    // Only Ruby could decide (a formula method, or/||): not read, the version stays unknown.
    CHECK(parse_brew_formula(
              "class U < Formula\n  if build.with? \"x\"\n    url \"https://e.com/u-1.0.tar.gz\"\n"
              "  end\nend\n",
              linux_intel)
              .version.empty());
    CHECK(parse_brew_formula(
              "class U < Formula\n  if OS.linux? || Hardware::CPU.arm?\n    url "
              "\"https://e.com/u-1.0.tar.gz\"\n  else\n    url \"https://e.com/u-2.0.tar.gz\"\n  "
              "end\nend\n",
              linux_intel)
              .version.empty());
    // The other platform's block only: unknown on this one.
    CHECK(parse_brew_formula("class M < Formula\n  on_macos do\n    url \"https://e.com/m-1.0.tar.gz\"\n  "
                             "end\nend\n",
                             linux_intel)
              .version.empty());
}
