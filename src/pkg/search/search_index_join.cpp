// PackageIndex joined with a small overlay index (apt's installed state, rebuilt alone when dpkg's status
// changes), and the reading back of one record's text that the overlay's build needs.
#include "pkg/search/search_index.hpp"

#include <algorithm>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

#include "util/fs.hpp"

namespace zsyncctl::pkg {

namespace {
// The haystack's separators, as search_index.cpp writes them.
constexpr char k_name_end = '\x01';
constexpr char k_provides = '\x03';

std::string_view cstr_in(std::string_view data, std::size_t pos) {
    if (pos >= data.size()) {
        return {};
    }
    std::size_t end = data.find('\0', pos);
    return data.substr(pos, (end == std::string_view::npos ? data.size() : end) - pos);
}
} // namespace

struct PackageIndex::Overlay {
    PackageIndex index; // its bytes hold the names and versions below
    std::unordered_set<std::string_view> masked;
    std::unordered_map<std::string_view, std::string_view> installed; // base record -> installed version
};

PackageIndex
PackageIndex::overlaid(PackageIndex base, PackageIndex overlay, const std::vector<std::string_view>& masked,
                       const std::vector<std::pair<std::string_view, std::string_view>>& installed) {
    auto joined = std::make_shared<Overlay>();
    joined->index = std::move(overlay); // moved, its storage stays where the views point
    joined->masked.reserve(masked.size());
    joined->masked.insert(masked.begin(), masked.end());
    joined->installed.reserve(installed.size());
    joined->installed.insert(installed.begin(), installed.end());
    base.m_overlay = std::move(joined);
    return base;
}

std::vector<SearchHit> PackageIndex::search(const SearchQuery& query) const {
    // The matches are gathered as references first (12 bytes each) and read into hits once their number is
    // known: one exact allocation for the hits, no vector regrown with 31k of them.
    std::vector<HitRef> refs;
    auto full = [&] {
        return query.limit != 0 && refs.size() >= query.limit;
    };
    std::vector<SearchHit> over;
    if (!m_overlay) {
        search_refs(query, [&](const HitRef& r) {
            refs.push_back(r);
            return !full();
        });
    } else {
        // The overlay's few hits are merged into the base's as they stream by.
        m_overlay->index.search_refs(query, [&](const HitRef& r) {
            over.push_back(m_overlay->index.hit_from(r));
            return true;
        });
        std::uint32_t next = 0;
        auto take_over = [&] {
            HitRef r;
            r.record = next++;
            r.overlay = true;
            refs.push_back(r);
        };
        std::string store;
        search_refs(query, [&](const HitRef& r) {
            std::string_view name = shown_name(r.record, store);
            if (m_overlay->masked.count(name) != 0) {
                return true;
            }
            while (next < over.size() && over[next].name < name && !full()) {
                take_over();
            }
            if (!full()) {
                refs.push_back(r);
            }
            return !full();
        });
        while (next < over.size() && !full()) {
            take_over();
        }
    }
    std::vector<SearchHit> hits;
    hits.reserve(refs.size());
    util::prefault_for_write(hits.data(), refs.size() * sizeof(SearchHit)); // 31k hits: ~1,800 pages
    // The hits copy their text out of the index, in record order: a mapped text section is let go of
    // behind them, like the haystack during the scan (31k hits touch most of its pages).
    static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    auto text_base = reinterpret_cast<std::uintptr_t>(m_bytes.data() + m_at.text_off);
    std::uintptr_t dropped = text_base & ~(page - 1);
    for (const auto& r : refs) {
        if (r.overlay) {
            hits.push_back(std::move(over[r.record]));
        } else {
            fill_hit(r, hits.emplace_back()); // in place: no SearchHit built aside and moved in
        }
        if (!r.overlay && m_overlay && !m_overlay->installed.empty()) {
            auto it = m_overlay->installed.find(hits.back().name);
            if (it != m_overlay->installed.end()) {
                // The side file is data like any other: sanitized as hit_at sanitizes the record's fields.
                hits.back().installed = true;
                hits.back().installed_version = sanitize_index_field(it->second);
            }
        }
        if (m_mapped && !r.overlay) {
            auto upto = (text_base + u32_at(m_at.text_index_off + std::size_t(r.record) * 4)) & ~(page - 1);
            if (upto >= dropped + (std::uintptr_t(256) << 10)) {
                (void)::madvise(reinterpret_cast<void*>(dropped), upto - dropped, MADV_DONTNEED);
                dropped = upto;
            }
        }
    }
    return hits;
}

bool PackageIndex::record_text(std::string_view name, std::string_view& summary,
                               std::string_view& folded_long) const {
    if (m_at.count == 0 || m_at.hay_off < m_at.text_off || m_at.hay_off > m_bytes.size()) {
        return false;
    }
    std::string_view text = m_bytes.substr(m_at.text_off, m_at.hay_off - m_at.text_off);
    auto name_at = [&](std::size_t record) {
        return cstr_in(text, u32_at(m_at.text_index_off + record * 4));
    };
    // The records are sorted by name (a damaged index only makes the search miss).
    std::size_t lo = 0;
    std::size_t hi = m_at.count;
    while (lo < hi) {
        std::size_t mid = lo + (hi - lo) / 2;
        if (name_at(mid) < name) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo >= m_at.count || name_at(lo) != name) {
        return false;
    }
    std::size_t pos = u32_at(m_at.text_index_off + lo * 4);
    for (int field = 0; field < 2; ++field) { // name, version
        pos += cstr_in(text, pos).size() + 1;
    }
    summary = cstr_in(text, pos);
    std::size_t start = u32_at(m_at.hay_index_off + lo * 4);
    std::size_t next = lo + 1 < m_at.count ? u32_at(m_at.hay_index_off + (lo + 1) * 4) : m_at.hay_size;
    if (start >= next || next > m_at.hay_size) {
        return false;
    }
    std::string_view rec(m_bytes.data() + m_at.hay_off + start, next - start);
    std::size_t name_end = rec.find(k_name_end);
    if (name_end == std::string_view::npos) {
        return false;
    }
    std::string_view body = rec.substr(name_end + 1);
    body = body.substr(0, body.find(k_provides));
    // The summary has no newline (sanitized without); the long text follows the first one.
    std::size_t nl = body.find('\n');
    folded_long = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    return true;
}

} // namespace zsyncctl::pkg
