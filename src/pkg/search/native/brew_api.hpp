#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "core/runtime.hpp"
#include "pkg/search/search_index.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// Packages of one Homebrew API document: Homebrew 6's joint document (api/internal/packages.<bottle_tag>
/// .jws.json: objects keyed by name under "formulae" and "casks", stable_version plus "_revision", Ruby
/// symbols as ":name" strings, aliases and renames searched as other names), or 5.x's formula.json (an
/// array of formulae: name, desc, versions.stable, aliases) or cask.json (tokens, name[], desc, version),
/// either plain or wrapped in the signed JWS envelope `{"payload": "<JSON text>", "signatures": [...]}`.
/// Each record's kind is "formula" or "cask", so a formula and a cask of the same name stay two results.
/// Fails with parse when the text is none of these.
util::Result<std::vector<IndexRecord>> parse_brew_api(std::string_view text);

/// brew's own API cache files present under the root ($HOMEBREW_CACHE/api, else ~/.cache/Homebrew/api
/// or ~/Library/Caches/Homebrew/api): Homebrew 6's internal/packages.<bottle_tag>.jws.json (the newest
/// when several), else 5.x's formula.jws.json/cask.jws.json, else formula.json/cask.json.
std::vector<std::filesystem::path> brew_cached_api_files(const util::Root& root);

/// Names installed in any Homebrew prefix under the root: formulae (Cellar/<name>) as "<name>", casks
/// (Caskroom/<token>) as "cask:<token>".
std::vector<std::string> brew_installed_names(const util::Root& root);

/// Downloads formula.json and cask.json from $ZSYNCCTL_BREW_API_URL (default https://formulae.brew.sh/api)
/// into zsyncctl's HTTP cache with net::HttpClient::fetch_cached on `runtime`'s loop, revalidating
/// (If-None-Match) when the copy is older than $HOMEBREW_API_AUTO_UPDATE_SECS (default 450); returns the
/// cached body paths; the future completes on the loop or the pool. Fails with cancelled when `token` is
/// cancelled, network/not_found (no libcurl) errors otherwise; a failed revalidation falls back to the cached
/// copy.
core::Future<std::vector<std::filesystem::path>> fetch_brew_api_async(core::Runtime& runtime,
                                                                      const core::CancellationToken& token);

/// fetch_brew_api_async, waited for on the calling thread (never on a pool thread: the download finishes
/// on the pool). Fails the same way.
util::Result<std::vector<std::filesystem::path>> fetch_brew_api(core::Runtime& runtime,
                                                                const core::CancellationToken& token);

/// The Homebrew search index over API documents `files` (brew's cache or fetched ones) with the installed
/// marks of the root, cached like apt_index. Fails with io/parse for an unreadable or bad document.
util::Result<PackageIndex> homebrew_index_from(const util::Root& root,
                                               const std::filesystem::path& cache_file,
                                               const std::vector<std::filesystem::path>& files);

/// The Homebrew search index: brew's own cache when present, else the API fetched on `runtime`
/// (fetch_brew_api); cached like apt_index. Fails like fetch_brew_api, or with parse for a bad document.
util::Result<PackageIndex> homebrew_index(const util::Root& root, const std::filesystem::path& cache_file,
                                          core::Runtime& runtime, const core::CancellationToken& token);

} // namespace zsyncctl::pkg
