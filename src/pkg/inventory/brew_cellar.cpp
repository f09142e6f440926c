#include "pkg/inventory/brew_cellar.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <nlohmann/json.hpp>

#include "pkg/inventory/brew_version.hpp"

namespace zsyncctl::pkg {

namespace {

namespace fs = std::filesystem;

// Entry names of a directory inside the root that are directories themselves, without dot-names, sorted.
util::Result<std::vector<std::string>> subdirs(const util::Root& root, const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    fs::directory_iterator it(root.resolve(dir), ec);
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) {
        return names;
    }
    if (ec) {
        return util::fail(ec == std::errc::permission_denied ? util::ErrorKind::permission_denied
                                                             : util::ErrorKind::io,
                          "cannot read " + dir + ": " + ec.message());
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (!name.empty() && name.front() != '.' && root.is_directory(dir + "/" + name)) {
            names.push_back(std::move(name));
        }
    }
    if (ec) {
        return util::fail(util::ErrorKind::io, "cannot read " + dir + ": " + ec.message());
    }
    std::sort(names.begin(), names.end());
    return names;
}

// The target of the symlink `logical` (its parent resolved inside the root), or empty when it is none.
std::string link_target(const util::Root& root, const std::string& logical) {
    auto slash = logical.rfind('/');
    if (slash == std::string::npos) {
        return {};
    }
    fs::path host = root.resolve(logical.substr(0, slash == 0 ? 1 : slash)) / logical.substr(slash + 1);
    char buf[4096];
    ssize_t n = ::readlink(host.c_str(), buf, sizeof buf);
    return n > 0 && static_cast<std::size_t>(n) < sizeof buf ? std::string(buf, static_cast<std::size_t>(n))
                                                             : std::string();
}

// The keg `link` points to when it points into Cellar/<name>/ ("../Cellar/foo/1.2" -> "1.2"), else empty.
std::string keg_of_link(const util::Root& root, const std::string& link, const std::string& name) {
    std::string target = link_target(root, link);
    std::string needle = "Cellar/" + name + "/";
    auto at = target.find(needle);
    if (at == std::string::npos || (at != 0 && target[at - 1] != '/')) {
        return {};
    }
    std::string keg = target.substr(at + needle.size());
    while (!keg.empty() && keg.back() == '/') {
        keg.pop_back();
    }
    return keg.find('/') == std::string::npos ? keg : std::string();
}

struct Receipt {
    bool read = false; // a receipt was there and is JSON
    bool damaged = false;
    InstallReason reason = InstallReason::unknown;
    int scheme = 0;
    std::string tap; // source.tap: "homebrew/core", "user/tap"
};

Receipt read_receipt(const util::Root& root, const std::string& file) {
    Receipt r;
    auto text = root.read(file, 4u << 20);
    if (!text) {
        return r;
    }
    auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (!doc.is_object()) {
        r.damaged = true;
        return r;
    }
    r.read = true;
    if (auto it = doc.find("installed_on_request"); it != doc.end() && it->is_boolean()) {
        r.reason = it->get<bool>() ? InstallReason::explicit_install : InstallReason::dependency;
    }
    if (auto src = doc.find("source"); src != doc.end() && src->is_object()) {
        if (auto t = src->find("tap"); t != src->end() && t->is_string()) {
            r.tap = t->get<std::string>();
        }
        if (auto v = src->find("versions"); v != src->end() && v->is_object()) {
            if (auto s = v->find("version_scheme"); s != v->end() && s->is_number_integer()) {
                r.scheme = s->get<int>();
            }
        }
    }
    return r;
}

util::Result<void> read_formulae(const util::Root& root, BrewPrefix& out,
                                 const core::CancellationToken& token) {
    const std::string cellar = out.prefix + "/Cellar";
    auto racks = subdirs(root, cellar);
    if (!racks) {
        return util::fail(racks.error());
    }
    for (const auto& name : *racks) {
        if (token.is_cancelled()) {
            return util::fail(util::ErrorKind::cancelled, "cancelled");
        }
        auto kegs = subdirs(root, cellar + "/" + name);
        if (!kegs) {
            return util::fail(kegs.error());
        }
        if (kegs->empty()) {
            continue; // a rack without kegs is nothing installed (brew skips it too)
        }
        BrewInstalled f;
        f.name = name;
        std::sort(kegs->begin(), kegs->end(), [](const std::string& a, const std::string& b) {
            return compare_brew_pkg_versions(a, b) < 0;
        });
        f.versions = *kegs;
        std::string linked = keg_of_link(root, out.prefix + "/opt/" + name, name);
        if (linked.empty()) {
            linked = keg_of_link(root, out.prefix + "/var/homebrew/linked/" + name, name);
        }
        f.linked = std::find(kegs->begin(), kegs->end(), linked) != kegs->end();
        f.version = f.linked ? linked : kegs->back();
        for (const auto& keg : *kegs) {
            Receipt r = read_receipt(root, cellar + "/" + name + "/" + keg + "/INSTALL_RECEIPT.json");
            f.schemes.push_back(r.scheme);
            if (r.damaged) {
                out.damaged.push_back(name + " " + keg);
            }
            if (keg == f.version) {
                f.reason = r.reason;
                f.tap = r.tap;
            }
        }
        // A pin is the symlink var/homebrew/pinned/<name> to the pinned keg (formula_pin.rb).
        f.pinned = !link_target(root, out.prefix + "/var/homebrew/pinned/" + name).empty();
        out.packages.push_back(std::move(f));
    }
    return util::ok();
}

util::Result<void> read_casks(const util::Root& root, BrewPrefix& out, const core::CancellationToken& token) {
    const std::string caskroom = out.prefix + "/Caskroom";
    auto tokens = subdirs(root, caskroom);
    if (!tokens) {
        return util::fail(tokens.error());
    }
    for (const auto& cask : *tokens) {
        if (token.is_cancelled()) {
            return util::fail(util::ErrorKind::cancelled, "cancelled");
        }
        // cask.rb timestamped_versions: .metadata/<version>/<timestamp>, sorted by timestamp; the last is
        // the installed one when its Casks/<token>.{json,rb} exists (installed_caskfile).
        const std::string meta = caskroom + "/" + cask + "/.metadata";
        std::string best_version;
        std::string best_stamp;
        auto versions = subdirs(root, meta);
        if (!versions) {
            continue;
        }
        for (const auto& v : *versions) {
            auto stamps = subdirs(root, meta + "/" + v);
            if (!stamps) {
                continue;
            }
            for (const auto& s : *stamps) {
                if (best_stamp.empty() || s > best_stamp) {
                    best_stamp = s;
                    best_version = v;
                }
            }
        }
        if (best_stamp.empty()) {
            continue;
        }
        const std::string casks = meta + "/" + best_version + "/" + best_stamp + "/Casks/" + cask;
        if (!root.exists(casks + ".json") && !root.exists(casks + ".rb")) {
            continue;
        }
        BrewInstalled c;
        c.name = cask;
        c.cask = true;
        c.version = best_version;
        c.versions = {best_version};
        c.linked = true;
        c.reason = InstallReason::explicit_install;
        Receipt r = read_receipt(root, meta + "/INSTALL_RECEIPT.json");
        if (r.damaged) {
            out.damaged.push_back(cask + " " + best_version);
        } else if (r.read && r.reason != InstallReason::unknown) {
            c.reason = r.reason;
        }
        c.pinned = !link_target(root, out.prefix + "/var/homebrew/pinned_casks/" + cask).empty() ||
                   root.exists(out.prefix + "/var/homebrew/pinned_casks/" + cask);
        out.packages.push_back(std::move(c));
    }
    return util::ok();
}

} // namespace

util::Result<BrewPrefix> read_brew_prefix(const util::Root& root, const core::CancellationToken& token) {
    std::vector<std::string> candidates;
    if (const char* p = std::getenv("HOMEBREW_PREFIX"); p != nullptr && *p == '/') {
        std::string prefix = p;
        while (prefix.size() > 1 && prefix.back() == '/') {
            prefix.pop_back();
        }
        candidates.push_back(prefix);
    }
    for (const char* p : {"/opt/homebrew", "/usr/local", "/home/linuxbrew/.linuxbrew"}) {
        candidates.emplace_back(p);
    }
    if (auto home = root.home(); home && root.is_host()) {
        candidates.push_back(home->string() + "/.linuxbrew");
    } else if (const char* h = std::getenv("HOME"); h != nullptr && *h == '/') {
        candidates.push_back(std::string(h) + "/.linuxbrew");
    }
    BrewPrefix out;
    for (const auto& c : candidates) {
        if (!root.is_directory(c + "/Cellar") && !root.is_directory(c + "/Caskroom")) {
            continue;
        }
        if (out.prefix.empty()) {
            out.prefix = c;
        } else if (c != out.prefix &&
                   std::find(out.others.begin(), out.others.end(), c) == out.others.end()) {
            out.others.push_back(c);
        }
    }
    // A brew that has installed nothing yet has no Cellar: its prefix is read as empty.
    for (std::size_t i = 0; i < candidates.size() && out.prefix.empty(); ++i) {
        if (root.exists(candidates[i] + "/bin/brew")) {
            out.prefix = candidates[i];
        }
    }
    if (out.prefix.empty()) {
        return util::fail(util::ErrorKind::not_found,
                          "no Homebrew prefix with a Cellar, a Caskroom or bin/brew",
                          "set HOMEBREW_PREFIX to Homebrew's prefix");
    }
    if (auto r = read_formulae(root, out, token); !r) {
        return util::fail(r.error());
    }
    if (auto r = read_casks(root, out, token); !r) {
        return util::fail(r.error());
    }
    std::stable_sort(out.packages.begin(), out.packages.end(), [](const auto& a, const auto& b) {
        return a.name != b.name ? a.name < b.name : (!a.cask && b.cask);
    });
    return out;
}

} // namespace zsyncctl::pkg
