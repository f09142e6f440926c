#include "doctor/checks_internal.hpp"

#include "pkg/detect/paths.hpp"
#include "pkg/registry/registry.hpp"
#include "platform/io_uring_probe.hpp"
#include "util/strings.hpp"
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>

namespace zsyncctl::doctor::detail {

void check_homebrew_arch(const CheckInput& in, CheckResult& r) {
    const auto& brew = in.options.homebrew;
    if (brew.installs.empty()) {
        set(r, Status::skip, "no Homebrew installation found");
        return;
    }
    const pkg::HomebrewFindings::Install* native = nullptr;
    const pkg::HomebrewFindings::Install* foreign = nullptr;
    for (const auto& i : brew.installs) {
        ev(r, "brew " + i.prefix, i.native ? "native" : i.mismatch);
        if (i.native && native == nullptr) {
            native = &i;
        } else if (!i.native && foreign == nullptr) {
            foreign = &i;
        }
    }
    if (foreign == nullptr) {
        set(r, Status::ok, "Homebrew at " + brew.installs.front().prefix + " matches this machine's arch");
    } else if (native != nullptr) {
        set(r, Status::warn,
            "Homebrew at " + foreign->prefix + " does not match this machine (" + foreign->mismatch +
                "); the native one at " + native->prefix + " is used",
            "eval \"$(" + native->prefix + "/bin/brew shellenv)\"   # put the native brew first on PATH");
    } else {
        set(r, Status::warn,
            "the only Homebrew, at " + foreign->prefix + ", does not match this machine (" +
                foreign->mismatch + ")",
            "/bin/bash -c \"$(curl -fsSL "
            "https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh)\"   "
            "# install the native Homebrew");
    }
}

void check_homebrew_multiple(const CheckInput& in, CheckResult& r) {
    const auto& brew = in.options.homebrew;
    if (brew.installs.empty()) {
        set(r, Status::skip, "no Homebrew installation found");
        return;
    }
    if (!brew.multiple()) {
        set(r, Status::ok, "one Homebrew prefix: " + brew.installs.front().prefix);
        return;
    }
    std::vector<std::string> prefixes;
    std::string preferred = brew.installs.front().prefix;
    for (const auto& i : brew.installs) {
        prefixes.push_back(i.prefix);
        if (i.preferred) {
            preferred = i.prefix;
        }
    }
    set(r, Status::warn,
        std::to_string(prefixes.size()) + " Homebrew prefixes (" + util::join(prefixes, ", ") +
            "): formulae and PATH order can disagree",
        "eval \"$(" + preferred + "/bin/brew shellenv)\"   # use " + preferred + " first");
}

} // namespace zsyncctl::doctor::detail
