#include "pkg/install/install_choice.hpp"

#include <algorithm>
#include <memory>

#include "pkg/search/search.hpp"

namespace zsyncctl::pkg {

namespace {

// The board's view of the runs: one merged report per manager.
ManagerSearchProgress merged_progress(const std::vector<std::unique_ptr<SearchRun>>& runs,
                                      const std::vector<std::vector<bool>>& returned,
                                      const std::vector<std::string>& searched) {
    ManagerSearchProgress p;
    for (const auto& run : runs) {
        p.elapsed_ms = std::max(p.elapsed_ms, run->elapsed_ms());
    }
    for (std::size_t m = 0; m < searched.size(); ++m) {
        ManagerReport merged;
        merged.manager = searched[m];
        merged.status = ManagerStatus::ok;
        bool finished = true;
        for (std::size_t n = 0; n < runs.size(); ++n) {
            if (!returned[n][m]) {
                finished = false;
                continue;
            }
            const ManagerReport& r = runs[n]->reports()[m];
            merged.elapsed_ms = std::max(merged.elapsed_ms, r.elapsed_ms);
            if (r.status != ManagerStatus::ok && merged.status == ManagerStatus::ok) {
                merged.status = r.status;
                merged.error = r.error;
            }
            merged.hits.insert(merged.hits.end(), r.hits.begin(), r.hits.end());
            merged.total += r.total;
        }
        p.reports.push_back(std::move(merged));
        p.finished.push_back(finished);
    }
    return p;
}

} // namespace

util::Result<ManagerSearchResult>
find_managers_with(const std::vector<std::string>& names, Operation operation, const util::Root& root,
                   bool use_cache, std::chrono::milliseconds timeout, core::Runtime& runtime,
                   const std::function<void(const ManagerSearchProgress&)>& progress,
                   const std::vector<std::string>* only) {
    ManagerSearchResult result;
    for (const std::string& m :
         only != nullptr ? *only : default_search_managers(root, use_cache ? UseCache::yes : UseCache::no)) {
        const Manager* manager = find_installable_manager(m);
        if (manager != nullptr && can_perform(*manager, operation) &&
            std::find(result.searched.begin(), result.searched.end(), m) == result.searched.end()) {
            result.searched.push_back(m);
        }
    }
    if (result.searched.empty() && only != nullptr) {
        return result;
    }
    if (result.searched.empty()) {
        return util::fail(util::ErrorKind::not_found,
                          "no package manager that can " + std::string(to_string(operation)) +
                              " by name was detected here",
                          "name one with --manager M or M:NAME");
    }
    // One search per name, all running at once; each covers every searched manager.
    std::vector<std::unique_ptr<SearchRun>> runs;
    for (const std::string& name : names) {
        SearchRequest request;
        request.query.text = name;
        request.query.mode = MatchMode::exact;
        request.managers = result.searched;
        request.timeout = timeout;
        request.root = root;
        request.use_cache = use_cache;
        auto run = SearchRun::start(std::move(request), runtime);
        if (!run) {
            return util::fail(std::move(run).error());
        }
        runs.push_back(std::move(*run));
    }
    // Each search ends its managers at `timeout`; the extra time only bounds a search that would not.
    auto deadline = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(5);
    std::vector<std::vector<bool>> returned(runs.size(), std::vector<bool>(result.searched.size(), false));
    // Without a board each run is waited for in turn; with one, the wait is cut into ticks.
    const auto tick = progress ? std::chrono::milliseconds(80) : std::chrono::milliseconds::max();
    for (std::size_t n = 0; n < runs.size(); ++n) {
        while (!runs[n]->all_returned()) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                break;
            }
            auto index = runs[n]->next_finished(std::min(left, tick));
            if (index) {
                returned[n][*index] = true;
            }
            if (progress) {
                for (std::size_t other = n + 1; other < runs.size(); ++other) {
                    while (auto more = runs[other]->next_finished(std::chrono::milliseconds(0))) {
                        returned[other][*more] = true;
                    }
                }
                progress(merged_progress(runs, returned, result.searched));
            }
        }
    }
    if (progress) {
        progress(merged_progress(runs, returned, result.searched));
    }

    std::vector<ManagerCandidate> found;
    for (std::size_t m = 0; m < result.searched.size(); ++m) {
        ManagerCandidate candidate;
        candidate.manager = result.searched[m];
        candidate.all_installed = true;
        bool has_all = true;
        for (std::size_t n = 0; n < names.size() && has_all; ++n) {
            if (!returned[n][m]) {
                result.failures.push_back(result.searched[m] + ": no answer");
                has_all = false;
                break;
            }
            const ManagerReport& report = runs[n]->reports()[m];
            if (report.status != ManagerStatus::ok) {
                std::string failure = report.manager + ": " + std::string(to_string(report.status));
                if (!report.error.empty()) {
                    failure += " (" + report.error + ")";
                }
                if (std::find(result.failures.begin(), result.failures.end(), failure) ==
                    result.failures.end()) {
                    result.failures.push_back(std::move(failure));
                }
                has_all = false;
                break;
            }
            auto hit = std::find_if(report.hits.begin(), report.hits.end(), [&](const SearchHit& h) {
                return query_matches({names[n], MatchMode::exact, 0}, h.name, {});
            });
            if (hit == report.hits.end()) {
                has_all = false;
                break;
            }
            candidate.versions.push_back(hit->version);
            candidate.all_installed = candidate.all_installed && hit->installed;
        }
        if (has_all) {
            found.push_back(std::move(candidate));
        }
    }
    if (operation == Operation::remove) { // only a manager that has them installed can remove them
        std::erase_if(found, [](const ManagerCandidate& c) { return !c.all_installed; });
    }
    result.candidates = std::move(found);
    return result;
}

} // namespace zsyncctl::pkg
