#include "pkg/search/native/brew_api.hpp"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "net/http_client.hpp"
#include "util/fs.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

std::string str(const nlohmann::json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string env_or(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// A value of Homebrew 6's API: Ruby symbols are strings with a leading ':' (":latest"), and real strings
// starting with ':' or '\\' are escaped with a leading '\\'.
std::string brew_value(const nlohmann::json& o, const char* key) {
    std::string v = str(o, key);
    if (!v.empty() && (v.front() == ':' || v.front() == '\\')) {
        v.erase(0, 1);
    }
    return v;
}

// Homebrew 6's joint document (api/internal/packages.<bottle_tag>.jws.json payload): objects keyed by
// name under "formulae" and "casks", with aliases and renames beside them. A formula and a cask of the
// same name are two records, told apart by their kind.
std::vector<IndexRecord> parse_brew_packages(const nlohmann::json& doc) {
    std::unordered_map<std::string, std::string> other_names; // "formula:x"/"cask:x" -> aliases, old names
    for (auto [key, kind] : {std::pair{"formula_aliases", "formula:"},
                             std::pair{"formula_renames", "formula:"}, std::pair{"cask_renames", "cask:"}}) {
        auto it = doc.find(key);
        if (it == doc.end() || !it->is_object()) {
            continue;
        }
        for (const auto& [from, to] : it->items()) {
            if (to.is_string()) {
                other_names[kind + to.get<std::string>()] += from + " ";
            }
        }
    }
    std::vector<IndexRecord> records;
    if (auto formulae = doc.find("formulae"); formulae != doc.end() && formulae->is_object()) {
        for (const auto& [name, f] : formulae->items()) {
            if (!f.is_object()) {
                continue;
            }
            IndexRecord r;
            r.name = name;
            r.version = brew_value(f, "stable_version");
            if (auto rev = f.find("revision");
                rev != f.end() && rev->is_number_integer() && rev->get<long>() > 0) {
                r.version += "_" + std::to_string(rev->get<long>());
            }
            r.summary = str(f, "desc");
            r.kind = "formula";
            if (auto aliases = f.find("aliases"); aliases != f.end() && aliases->is_array()) {
                for (const auto& a : *aliases) {
                    if (a.is_string()) {
                        r.long_text += a.get<std::string>() + " ";
                    }
                }
            }
            r.long_text += other_names["formula:" + name];
            records.push_back(std::move(r));
        }
    }
    if (auto casks = doc.find("casks"); casks != doc.end() && casks->is_object()) {
        for (const auto& [token, c] : casks->items()) {
            if (!c.is_object()) {
                continue;
            }
            IndexRecord r;
            r.name = token;
            r.version = brew_value(c, "version");
            r.summary = str(c, "desc");
            r.kind = "cask";
            if (auto names = c.find("names"); names != c.end() && names->is_array()) {
                for (const auto& n : *names) {
                    if (n.is_string()) {
                        r.long_text += n.get<std::string>() + " ";
                    }
                }
            }
            r.long_text += other_names["cask:" + token];
            records.push_back(std::move(r));
        }
    }
    return records;
}

} // namespace

util::Result<std::vector<IndexRecord>> parse_brew_api(std::string_view text) {
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_object() && doc.contains("payload") && doc["payload"].is_string()) {
        doc = nlohmann::json::parse(doc["payload"].get<std::string>(), nullptr, false);
    }
    if (!doc.is_discarded() && doc.is_object() && (doc.contains("formulae") || doc.contains("casks"))) {
        auto records = parse_brew_packages(doc);
        for (auto& r : records) {
            r.name = util::sanitize_terminal(r.name);
            r.version = util::sanitize_terminal(r.version);
            r.summary = util::sanitize_terminal(r.summary);
        }
        return records;
    }
    if (doc.is_discarded() || !doc.is_array()) {
        return util::fail(util::ErrorKind::parse, "not a Homebrew API document (formula.json / cask.json)");
    }
    std::vector<IndexRecord> records;
    for (const auto& item : doc) {
        if (!item.is_object()) {
            continue;
        }
        IndexRecord r;
        if (item.contains("token")) { // a cask
            r.name = str(item, "token");
            r.version = str(item, "version");
            r.summary = str(item, "desc");
            r.kind = "cask";
            if (auto names = item.find("name"); names != item.end() && names->is_array()) {
                for (const auto& n : *names) {
                    if (n.is_string()) {
                        r.long_text += n.get<std::string>() + " ";
                    }
                }
            }
        } else {
            r.name = str(item, "name");
            r.summary = str(item, "desc");
            r.kind = "formula";
            if (auto versions = item.find("versions"); versions != item.end() && versions->is_object()) {
                r.version = str(*versions, "stable");
            }
            if (auto aliases = item.find("aliases"); aliases != item.end() && aliases->is_array()) {
                for (const auto& a : *aliases) {
                    if (a.is_string()) {
                        r.long_text += a.get<std::string>() + " ";
                    }
                }
            }
        }
        if (!r.name.empty()) {
            r.name = util::sanitize_terminal(r.name);
            r.summary = util::sanitize_terminal(r.summary);
            records.push_back(std::move(r));
        }
    }
    return records;
}

std::vector<std::filesystem::path> brew_cached_api_files(const util::Root& root) {
    // Logical directories (inside the root); every file below them is resolved by its whole logical path,
    // so a symlinked "api" or cache file is followed inside the root and never out of it.
    std::vector<std::string> dirs;
    if (const char* c = std::getenv("HOMEBREW_CACHE"); c != nullptr && *c == '/') {
        dirs.push_back(std::string(c) + "/api");
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
        dirs.push_back(std::string(home) + "/.cache/Homebrew/api");
        dirs.push_back(std::string(home) + "/Library/Caches/Homebrew/api");
    }
    std::error_code ec;
    for (const auto& dir : dirs) {
        std::vector<std::filesystem::path> files;
        // Homebrew 6 keeps only api/internal/packages.<bottle_tag>.jws.json (brew update deletes the others
        // of 5.x, and those of other bottle tags); the newest one when several are left.
        std::filesystem::path internal = root.resolve(dir + "/internal");
        std::filesystem::file_time_type newest{};
        std::filesystem::path packages;
        for (std::filesystem::directory_iterator it(internal, ec), end; !ec && it != end; it.increment(ec)) {
            std::string name = it->path().filename().string();
            if (name.rfind("packages.", 0) != 0 || name.size() < 18 ||
                name.compare(name.size() - 9, 9, ".jws.json") != 0) {
                continue;
            }
            std::filesystem::path file = root.resolve(dir + "/internal/" + name);
            auto mtime = std::filesystem::last_write_time(file, ec);
            if (!ec && std::filesystem::is_regular_file(file, ec) && (packages.empty() || mtime > newest)) {
                packages = file;
                newest = mtime;
            }
        }
        ec.clear();
        if (!packages.empty()) {
            return {packages};
        }
        for (const char* kind : {"formula", "cask"}) {
            for (const char* suffix : {".jws.json", ".json"}) {
                std::filesystem::path file = root.resolve(dir + "/" + kind + suffix);
                if (std::filesystem::is_regular_file(file, ec)) {
                    files.push_back(file);
                    break;
                }
            }
        }
        if (!files.empty()) {
            return files;
        }
    }
    return {};
}

std::vector<std::string> brew_installed_names(const util::Root& root) {
    std::vector<std::string> prefixes = {"/opt/homebrew", "/usr/local", "/home/linuxbrew/.linuxbrew"};
    if (const char* p = std::getenv("HOMEBREW_PREFIX"); p != nullptr && *p != '\0') {
        prefixes.insert(prefixes.begin(), p);
    }
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& prefix : prefixes) {
        for (const char* sub : {"/Cellar", "/Caskroom"}) {
            std::filesystem::directory_iterator it(root.resolve(prefix + sub), ec);
            if (ec) {
                continue;
            }
            for (const auto& e : it) {
                names.push_back((std::string_view(sub) == "/Caskroom" ? "cask:" : "") +
                                e.path().filename().string());
            }
        }
    }
    return names;
}

// The largest API document accepted, decoded (see fetch_brew_api_async).
constexpr std::uint64_t k_brew_api_max_bytes = 96ULL << 20;

core::Future<std::vector<std::filesystem::path>> fetch_brew_api_async(core::Runtime& runtime,
                                                                      const core::CancellationToken& token) {
    using Bodies = std::vector<std::filesystem::path>;
    auto created = net::HttpClient::create(runtime);
    if (!created) {
        return core::Future<Bodies>::ready(util::fail(std::move(created).error()));
    }
    std::string base = env_or("ZSYNCCTL_BREW_API_URL", "https://formulae.brew.sh/api");
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    long max_age = 450;
    if (auto v = util::parse_int(env_or("HOMEBREW_API_AUTO_UPDATE_SECS", "450")); v && *v >= 0) {
        max_age = static_cast<long>(*v);
    }
    // The client must outlive its transfers: the state that the completions share owns it.
    struct State {
        std::unique_ptr<net::HttpClient> client;
        std::mutex mutex;
        Bodies bodies = Bodies(2);
        std::size_t remaining = 0;
        std::optional<util::Error> error;
        core::Promise<Bodies> promise;
        core::CancellationToken token;
    };
    auto state = std::make_shared<State>();
    state->client = std::move(*created);
    state->token = token;
    core::Future<Bodies> result = state->promise.future();
    // Both documents are requested at once; a copy the server confirmed within brew's own refresh
    // interval is used without asking again.
    std::vector<std::pair<std::size_t, core::Future<net::CachedResponse>>> pending;
    std::size_t slot = 0;
    for (const char* kind : {"formula", "cask"}) {
        net::CachedRequest request;
        request.url = base + "/" + kind + ".json";
        request.cache_key = std::string("brew-") + kind;
        request.stale_on_error = net::StaleOnError::yes; // a stale copy beats nothing
        request.connect_timeout = std::chrono::seconds(10);
        // Decoded size cap: the real documents are ~30 MB (formula) and ~15 MB (cask); a gzip bomb stops here
        // instead of at the client's generic 512 MiB. The search deadline ends the transfer through `token`.
        request.max_body_size = k_brew_api_max_bytes;
        request.token = token;
        auto entry = state->client->cache().lookup(request.cache_key, request.url);
        if (entry && *entry && std::time(nullptr) - (*entry)->validated_at < max_age) {
            state->bodies[slot++] = (*entry)->body_path;
            continue;
        }
        pending.emplace_back(slot++, state->client->fetch_cached(std::move(request)));
    }
    if (pending.empty()) {
        state->promise.set(std::move(state->bodies));
        return result;
    }
    state->remaining = pending.size();
    for (auto& [index, future] : pending) {
        future.on_complete([state, index = index](util::Result<net::CachedResponse> fetched) {
            std::unique_lock lock(state->mutex);
            if (fetched) {
                state->bodies[index] = fetched->body_path;
            } else if (!state->error) {
                // A 404 from the API is a failed search, not a manager that is absent (not_found = skipped).
                state->error =
                    state->token.is_cancelled()
                        ? util::make_error(util::ErrorKind::cancelled, "Homebrew API download cancelled")
                        : util::make_error(util::ErrorKind::network, fetched.error().message);
            }
            if (--state->remaining != 0) {
                return;
            }
            auto error = std::move(state->error);
            Bodies bodies = std::move(state->bodies);
            lock.unlock();
            if (error) {
                state->promise.set_error(std::move(*error));
            } else {
                state->promise.set(std::move(bodies));
            }
        });
    }
    return result;
}

util::Result<std::vector<std::filesystem::path>> fetch_brew_api(core::Runtime& runtime,
                                                                const core::CancellationToken& token) {
    return fetch_brew_api_async(runtime, token).wait();
}

util::Result<PackageIndex> homebrew_index_from(const util::Root& root,
                                               const std::filesystem::path& cache_file,
                                               const std::vector<std::filesystem::path>& files) {
    std::vector<SourceStamp> stamps = stamp_files(files);
    std::vector<std::string> installed = brew_installed_names(root);
    // Installing or removing a formula changes the installed marks, so they are part of the key.
    SourceStamp marks;
    marks.path = "installed:" + util::join(installed, ",");
    stamps.push_back(marks);
    return load_or_build_index(
        cache_file, std::move(stamps), [&]() -> util::Result<std::vector<IndexRecord>> {
            std::unordered_set<std::string> installed_set(installed.begin(), installed.end());
            std::vector<IndexRecord> records;
            std::unordered_set<std::string> seen;
            for (const auto& file : files) {
                auto text = util::read_file(file, 256u << 20);
                if (!text) {
                    return util::fail(std::move(text).error());
                }
                auto parsed = parse_brew_api(*text);
                if (!parsed) {
                    return util::fail(util::ErrorKind::parse, file.string() + ": " + parsed.error().message);
                }
                for (auto& r : *parsed) {
                    // A formula and a cask may share a name: both are results.
                    bool cask = r.kind == "cask";
                    if (seen.insert((cask ? "cask:" : "formula:") + r.name).second) {
                        r.installed = installed_set.count((cask ? "cask:" : "") + r.name) != 0;
                        records.push_back(std::move(r));
                    }
                }
            }
            return records;
        });
}

util::Result<PackageIndex> homebrew_index(const util::Root& root, const std::filesystem::path& cache_file,
                                          core::Runtime& runtime, const core::CancellationToken& token) {
    std::vector<std::filesystem::path> files = brew_cached_api_files(root);
    if (files.empty()) {
        auto fetched = fetch_brew_api(runtime, token);
        if (!fetched) {
            return util::fail(std::move(fetched).error());
        }
        files = std::move(*fetched);
    }
    return homebrew_index_from(root, cache_file, files);
}

} // namespace zsyncctl::pkg
