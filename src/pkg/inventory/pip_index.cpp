#include "pkg/inventory/pip_index.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <utility>

#include "core/process.hpp"
#include "pkg/search/host_check.hpp"
#include "util/root.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? std::string(value) : std::string();
}

// The host of an index URL ("https://user@host:port/simple" -> "host"); empty for a URL without a host
// (file://) or not a URL.
std::string url_host(std::string_view url) {
    auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return {};
    }
    std::string_view rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (auto at = rest.rfind('@'); at != std::string_view::npos) {
        rest = rest.substr(at + 1);
    }
    if (!rest.empty() && rest.front() == '[') {
        return std::string(rest.substr(0, rest.find(']') + 1));
    }
    return std::string(rest.substr(0, rest.find(':')));
}

// The options pip's `list` reads of its index, as they stand after every source so far: a later source's
// value replaces an earlier one (pip's order: global, user, site files, PIP_CONFIG_FILE, then PIP_*).
struct IndexConfig {
    std::optional<std::string> index_url;
    std::optional<std::string> extra_index_url; ///< whitespace-separated URLs
    std::optional<std::string> no_index;
};

bool truthy(std::string_view value) {
    return value == "1" || value == "true" || value == "yes" || value == "on";
}

// One pip.conf (INI) read into `config`: keys of [global], then of [list] (which win within the file);
// indented lines continue a value.
void read_conf(const std::string& path, IndexConfig& config) {
    auto text = util::Root().read(path, 1u << 20);
    if (!text) {
        return;
    }
    IndexConfig sections[2]; // global, list
    IndexConfig* section = nullptr;
    std::optional<std::string>* last = nullptr;
    for (std::string_view line : util::split_lines(*text)) {
        bool continuation = !line.empty() && (line.front() == ' ' || line.front() == '\t');
        std::string_view item = util::trim(line);
        if (item.empty() || item.front() == '#' || item.front() == ';') {
            continue;
        }
        if (continuation && last != nullptr) {
            **last += " " + std::string(item);
            continue;
        }
        last = nullptr;
        if (item.front() == '[') {
            std::string_view name = util::trim(item.substr(1, item.find(']') - 1));
            section = name == "global" ? &sections[0] : name == "list" ? &sections[1] : nullptr;
            continue;
        }
        auto eq = item.find_first_of("=:");
        if (section == nullptr || eq == std::string_view::npos) {
            continue;
        }
        std::string key(util::trim(item.substr(0, eq)));
        std::replace(key.begin(), key.end(), '_', '-');
        std::string value(util::trim(item.substr(eq + 1)));
        if (key == "index-url") {
            last = &section->index_url;
        } else if (key == "extra-index-url") {
            last = &section->extra_index_url;
        } else if (key == "no-index") {
            last = &section->no_index;
        } else {
            continue;
        }
        *last = value;
    }
    for (const IndexConfig& s : sections) {
        for (auto [from, to] : {std::pair{&s.index_url, &config.index_url},
                                std::pair{&s.extra_index_url, &config.extra_index_url},
                                std::pair{&s.no_index, &config.no_index}}) {
            if (*from) {
                *to = *from;
            }
        }
    }
}

void add_urls(std::string_view text, std::vector<std::string>& urls) {
    for (std::string_view url : util::split(text, ' ')) {
        if (!util::trim(url).empty()) {
            urls.emplace_back(util::trim(url));
        }
    }
}

} // namespace

std::vector<std::string> pip_index_hosts(const std::string& executable) {
    IndexConfig config;
    std::string config_file = env_or_empty("PIP_CONFIG_FILE");
    if (config_file != "/dev/null") {
        std::vector<std::string> files = {"/etc/pip.conf", "/etc/xdg/pip/pip.conf"};
        std::string home = env_or_empty("HOME");
        std::string xdg = env_or_empty("XDG_CONFIG_HOME");
        if (!home.empty()) {
            files.push_back(home + "/.pip/pip.conf");
        }
        files.push_back((xdg.empty() ? home + "/.config" : xdg) + "/pip/pip.conf");
        // The site configuration: sys.prefix/pip.conf, the prefix being the directory above the bin/ pip
        // is in (a venv's or an installation's).
        auto bin = executable.rfind('/');
        if (bin != std::string::npos && bin > 0) {
            auto prefix = executable.rfind('/', bin - 1);
            if (prefix != std::string::npos) {
                files.push_back(executable.substr(0, prefix) + "/pip.conf");
            }
        }
        if (!config_file.empty()) {
            files.push_back(config_file);
        }
        for (const std::string& file : files) {
            read_conf(file, config);
        }
    }
    for (auto [name, option] : {std::pair{"PIP_INDEX_URL", &config.index_url},
                                std::pair{"PIP_EXTRA_INDEX_URL", &config.extra_index_url},
                                std::pair{"PIP_NO_INDEX", &config.no_index}}) {
        if (std::string value = env_or_empty(name); !value.empty()) {
            *option = value;
        }
    }
    if (config.no_index && truthy(*config.no_index)) {
        return {};
    }
    std::vector<std::string> urls;
    add_urls(config.index_url ? *config.index_url : std::string("https://pypi.org/simple"), urls);
    if (config.extra_index_url) {
        add_urls(*config.extra_index_url, urls);
    }
    std::vector<std::string> hosts;
    for (const std::string& url : urls) {
        std::string host = url_host(url);
        if (host.empty()) {
            return {}; // a file:// index or something unreadable: let pip decide
        }
        if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) {
            hosts.push_back(host);
        }
    }
    return hosts;
}

std::string unresolvable_pip_index(const std::string& executable, const core::CancellationToken& token) {
    std::vector<std::string> hosts = pip_index_hosts(executable);
    std::string getent = hosts.empty() ? std::string() : resolve_checker();
    if (getent.empty()) {
        return {};
    }
    for (const std::string& host : hosts) {
        HostLookup lookup = read_resolve_check(core::run_process(resolve_check(getent, host), token));
        if (lookup != HostLookup::unresolvable && lookup != HostLookup::timed_out) {
            return {};
        }
    }
    return hosts.front();
}

} // namespace zsyncctl::pkg
