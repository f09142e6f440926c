// PackageIndex joined with a small overlay index (apt's installed state, rebuilt alone when dpkg's status
// changes), and the reading back of one record's text that the overlay's build needs.
#include "pkg/search/search_index.hpp"

#include <algorithm>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

#include "pkg/search/search_index_format.hpp"
#include "util/fs.hpp"
#include "util/sanitize.hpp"

namespace zsyncctl::pkg {

// The overlay's name lists are read where the side file is mapped, with a cursor that walks each once in
// record order (record order is name order): no vector and no hash table is built per search. Built per
// search from the side file's ~2,000 names, two hash tables had cost a python3 search a tenth of its
// instructions, and the vectors that replaced them ~30 fresh pages (~0.4 ms here) even when nothing matched.
struct PackageIndex::Overlay {
    PackageIndex index; // its bytes hold the lists below
    PackedNames masked;
    PackedNames installed; // base record name -> installed version
};

std::string_view PackedNames::string_at(std::size_t pos) const {
    std::uint32_t len = 0;
    std::memcpy(&len, m_bytes.data() + pos, 4);
    return m_bytes.substr(pos + 4, len);
}

void PackedNames::append(std::string& out, std::string_view text) {
    auto len = static_cast<std::uint32_t>(text.size());
    char b[4];
    std::memcpy(b, &len, 4);
    out.append(b, 4);
    out.append(text);
}

std::vector<std::pair<std::string_view, std::string_view>> PackedNames::entries() const {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    out.reserve(m_count);
    for (std::size_t pos = 0; pos < m_bytes.size(); pos = next(pos)) {
        std::string_view name = string_at(pos);
        out.emplace_back(name, m_width > 1 ? string_at(pos + 4 + name.size()) : name);
    }
    return out;
}

std::size_t PackedNames::next(std::size_t pos) const {
    for (int i = 0; i < m_width; ++i) {
        pos += 4 + string_at(pos).size();
    }
    return pos;
}

std::optional<PackedNames> PackedNames::take(std::string_view& bytes, std::size_t count, int width) {
    PackedNames list;
    list.m_width = width < 1 ? 1 : width;
    std::size_t pos = 0;
    std::string_view previous;
    while (count == std::string_view::npos ? pos < bytes.size() : list.m_count < count) {
        std::string_view name;
        for (int i = 0; i < list.m_width; ++i) {
            std::uint32_t len = 0;
            if (bytes.size() - pos < 4) {
                return std::nullopt;
            }
            std::memcpy(&len, bytes.data() + pos, 4);
            if (bytes.size() - pos - 4 < len) {
                return std::nullopt;
            }
            if (i == 0) {
                name = bytes.substr(pos + 4, len);
            }
            pos += 4 + std::size_t(len);
        }
        if (list.m_count > 0 && name < previous) {
            return std::nullopt;
        }
        previous = name;
        ++list.m_count;
    }
    list.m_bytes = bytes.substr(0, pos);
    bytes.remove_prefix(pos);
    return list;
}

std::optional<std::string_view> PackedNames::find(Cursor& at, std::string_view key) const {
    if (at.previous != std::string::npos && string_at(at.previous) >= key) {
        at = Cursor{}; // asked out of order (only a damaged index does): the walk starts over
    }
    while (at.pos < m_bytes.size()) {
        std::string_view name = string_at(at.pos);
        if (name > key) {
            return std::nullopt;
        }
        if (name == key) {
            return m_width > 1 ? string_at(at.pos + 4 + name.size()) : name;
        }
        at.previous = at.pos;
        at.pos = next(at.pos);
    }
    return std::nullopt;
}

PackageIndex PackageIndex::overlaid(PackageIndex base, PackageIndex overlay, PackedNames masked,
                                    PackedNames installed) {
    auto joined = std::make_shared<Overlay>();
    joined->index = std::move(overlay); // moved, its storage stays where the lists point
    joined->masked = masked;
    joined->installed = installed;
    base.m_overlay = std::move(joined);
    return base;
}

namespace {
// The names a binary search over an index's records reads (log2 of 64k records), to weigh it against
// reading the names of the hits one by one.
constexpr std::size_t k_name_probes = 16;
// The references find_refs makes room for before it knows that a query is broad (64 KiB: below
// HugeAllocator's threshold).
constexpr std::size_t k_refs_first = 4096;
} // namespace

void PackageIndex::find_refs(const SearchQuery& query, HitRefs& refs, std::vector<SearchHit>& over) const {
    // The matches are gathered as references first (16 bytes each) and read into hits once their number is
    // known: one exact allocation for the hits, no vector regrown with 31k of them. The references get room
    // for 4,096 first, then, if they fill it, for every record at once: a broad query's (31k for "lib")
    // in transparent huge pages (HugeAllocator), touched only as they fill, and never copied to a doubled
    // vector; a narrow one never touches more than its few pages.
    const std::size_t most = m_at.count + (m_overlay ? m_overlay->index.m_at.count : 0);
    const std::size_t room = query.limit != 0 ? std::min(most, query.limit) : most;
    refs.reserve(std::min(room, k_refs_first));
    auto add = [&](const HitRef& r) {
        if (refs.size() == refs.capacity()) {
            refs.reserve(room);
        }
        refs.push_back(r);
    };
    auto full = [&] {
        return query.limit != 0 && refs.size() >= query.limit;
    };
    if (!m_overlay) {
        search_refs(query, [&](const HitRef& r) {
            add(r);
            return !full();
        });
        return;
    }
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
        add(r);
    };
    // A hit is hidden when the overlay masks its name, and the overlay's hits are merged in before the first
    // base hit whose name sorts after theirs. The first hits are checked by their names. A broad query
    // (31k hits for "lib", each name read again by the ranking) then switches to record numbers, once
    // reading its names costs more than finding the records by binary search (the records are sorted by
    // their names as shown, prepare() in search_index_build.cpp): the masked names' records, and for each
    // overlay hit the first record whose name sorts after its name. Both ways give the same answer.
    const std::size_t by_name = k_name_probes * (m_overlay->masked.size() + over.size());
    std::size_t seen = 0;
    std::string store;
    PackedNames::Cursor masked_at;
    std::vector<std::uint32_t> hidden; // ascending
    std::vector<std::size_t> slot(over.size());
    std::size_t h = 0;
    auto place = [&] {
        for (const auto& entry : records_named(m_overlay->masked)) {
            hidden.push_back(entry.first);
        }
        for (std::size_t i = 0; i < over.size(); ++i) {
            slot[i] = first_record_from(over[i].name, true, store);
        }
    };
    search_refs(query, [&](const HitRef& r) {
        if (seen++ < by_name) {
            std::string_view name = shown_name(r.record, store);
            if (m_overlay->masked.find(masked_at, name)) {
                return true;
            }
            while (next < over.size() && over[next].name < name && !full()) {
                take_over();
            }
        } else {
            if (seen == by_name + 1) {
                place();
            }
            while (h < hidden.size() && hidden[h] < r.record) {
                ++h;
            }
            if (h < hidden.size() && hidden[h] == r.record) {
                return true;
            }
            while (next < over.size() && slot[next] <= r.record && !full()) {
                take_over();
            }
        }
        if (!full()) {
            add(r);
        }
        return !full();
    });
    while (next < over.size() && !full()) {
        take_over();
    }
}

std::vector<std::pair<std::uint32_t, std::string_view>>
PackageIndex::records_named(const PackedNames& list) const {
    std::vector<std::pair<std::uint32_t, std::string_view>> out;
    std::string store;
    for (const auto& [name, value] : list.entries()) {
        for (std::size_t r = first_record_from(name, false, store);
             r < m_at.count && shown_name(r, store) == name; ++r) {
            out.emplace_back(static_cast<std::uint32_t>(r), value);
        }
    }
    // Already in order unless a damaged list repeats a name out of place; a record named twice keeps the
    // list's first entry first.
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
}

std::size_t PackageIndex::first_record_from(std::string_view name, bool after, std::string& store) const {
    std::size_t lo = 0;
    std::size_t hi = m_at.count;
    while (lo < hi) {
        std::size_t mid = lo + (hi - lo) / 2;
        std::string_view at = shown_name(mid, store);
        if (after ? at <= name : at < name) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

void PackageIndex::prefetch_ahead(const HitRefs& refs, std::size_t i) const {
    // Far enough ahead for memory to answer (16 and 32 reads: "lib"'s printing 7.5-9.2 -> 5.6-6.6 ms).
    constexpr std::size_t k_text_ahead = 16;
    constexpr std::size_t k_index_ahead = 32;
    if (i + k_index_ahead < refs.size() && !refs[i + k_index_ahead].overlay) {
        __builtin_prefetch(m_bytes.data() + m_at.text_index_off +
                           std::size_t(refs[i + k_index_ahead].record) * 4);
    }
    if (i + k_text_ahead < refs.size() && !refs[i + k_text_ahead].overlay) {
        // A record's text is ~90 bytes: its line and the next.
        const std::size_t text_size = m_at.hay_off - m_at.text_off;
        const std::size_t pos = u32_at(m_at.text_index_off + std::size_t(refs[i + k_text_ahead].record) * 4);
        if (pos < text_size) {
            __builtin_prefetch(m_bytes.data() + m_at.text_off + pos);
        }
        if (pos + 64 < text_size) {
            __builtin_prefetch(m_bytes.data() + m_at.text_off + pos + 64);
        }
    }
}

void PackageIndex::read_ref(const HitRef& ref, PackedNames::Cursor& installed_at, SearchHit& hit) const {
    fill_hit(ref, hit);
    if (m_overlay && m_overlay->installed.size() != 0) {
        if (auto version = m_overlay->installed.find(installed_at, hit.name)) {
            // The side file is data like any other: sanitized as hit_at sanitizes the record's fields.
            hit.installed = true;
            hit.installed_version = sanitize_index_field(*version);
        }
    }
}

std::vector<SearchHit> PackageIndex::search(const SearchQuery& query) const {
    HitRefs refs;
    std::vector<SearchHit> over;
    find_refs(query, refs, over);
    std::vector<SearchHit> hits;
    hits.reserve(refs.size());
    util::prefault_for_write(hits.data(), refs.size() * sizeof(SearchHit)); // 31k hits: ~1,800 pages
    // The hits copy their text out of the index, in record order: a mapped text section is let go of
    // behind them, like the haystack during the scan (31k hits touch most of its pages).
    static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    auto text_base = reinterpret_cast<std::uintptr_t>(m_bytes.data() + m_at.text_off);
    std::uintptr_t dropped = text_base & ~(page - 1);
    PackedNames::Cursor installed_at;
    for (const auto& r : refs) {
        if (r.overlay) {
            hits.push_back(std::move(over[r.record]));
            continue;
        }
        read_ref(r, installed_at, hits.emplace_back()); // in place: no SearchHit built aside and moved in
        if (m_mapped) {
            auto upto = (text_base + u32_at(m_at.text_index_off + std::size_t(r.record) * 4)) & ~(page - 1);
            if (upto >= dropped + (std::uintptr_t(256) << 10)) {
                (void)::madvise(reinterpret_cast<void*>(dropped), upto - dropped, MADV_DONTNEED);
                dropped = upto;
            }
        }
    }
    return hits;
}

// search()'s hits as references: read one at a time into the caller's SearchHit, ranked by moving the
// 16-byte references. The text pages a read touches stay mapped (the reads come in rank order, not in
// record order, so nothing is let go of behind them as search() does).
class PackageIndex::Hits final : public HitSource {
public:
    Hits(PackageIndex index, HitRefs refs, std::vector<SearchHit> over)
        : m_index(std::move(index)), m_refs(std::move(refs)), m_over(std::move(over)) {
        for (SearchHit& hit : m_over) {
            sanitize_hit(hit);
        }
    }

    std::size_t size() const override { return m_refs.size(); }

    void read(std::size_t i, SearchHit& hit) const override {
        m_index.prefetch_ahead(m_refs, i);
        const HitRef& r = m_refs[i];
        if (r.overlay) {
            hit = m_over[r.record]; // sanitized when taken
            return;
        }
        m_index.fill_hit(r, hit);
        if (const auto* version = installed_by_overlay(r.record)) {
            // The side file is data like any other: sanitized as hit_at sanitizes the record's fields.
            hit.installed = true;
            hit.installed_version = sanitize_index_field(*version);
        }
        // No sanitize_hit() here, unlike SearchRun's for a vector of hits: every field came through
        // hit_at's or sanitize_index_field's sanitizer just now, and it would check the safe fields again
        // (a third of a hit's reading). The unit tests compare both paths on hostile and damaged indexes.
    }

    bool view(std::size_t i, HitView& hit) const override {
        m_index.prefetch_ahead(m_refs, i);
        const HitRef& r = m_refs[i];
        if (r.overlay || !m_index.view_at(r.record, hit, m_view_store)) {
            return false; // read() gives these
        }
        if (const auto* version = installed_by_overlay(r.record)) {
            hit.installed = true;
            // Sanitized as read() sanitizes it.
            if (util::is_terminal_safe(*version)) {
                hit.installed_version = *version;
            } else {
                m_view_store[4] = sanitize_index_field(*version);
                hit.installed_version = m_view_store[4];
            }
        }
        return true;
    }

    void rank(const SearchQuery& query) override {
        std::string name_store;
        std::string description_store;
        // The names are in hand here, in record order: the installed versions are looked up on the way. A
        // broad query has many more hits than the list has names: each name's records are found by binary
        // search instead (records_named), as find_refs places the masked names.
        const PackedNames* installed = installed_list();
        if (installed != nullptr && m_refs.size() > k_name_probes * installed->size()) {
            m_installed = m_index.records_named(*installed);
            installed = nullptr;
        }
        PackedNames::Cursor installed_at;
        auto order = rank_order(
            query, m_refs.size(),
            [&](std::size_t i) -> std::string_view {
                const HitRef& r = m_refs[i];
                if (r.overlay) {
                    return m_over[r.record].name;
                }
                // The text as read() gives it: sanitized only when not already safe.
                std::string_view name = m_index.shown_name(r.record, name_store);
                if (installed != nullptr) {
                    if (auto version = installed->find(installed_at, name)) {
                        m_installed.emplace_back(r.record, *version);
                    }
                }
                return name;
            },
            [&](std::size_t i) -> std::string_view {
                const HitRef& r = m_refs[i];
                if (r.overlay) {
                    return m_over[r.record].description;
                }
                std::string_view description = m_index.summary_of(r.record);
                if (!util::is_terminal_safe(description)) {
                    description_store = sanitize_index_field(description);
                    description = description_store;
                }
                return description;
            });
        m_installed_known = true;
        mark_installed();
        permute_in_place(m_refs, order);
    }

    void truncate(std::size_t n) override {
        if (n < m_refs.size()) {
            m_refs.resize(n);
        }
    }

private:
    // The installed version the overlay gives base record `record`, or nullptr.
    const std::string_view* installed_by_overlay(std::uint32_t record) const {
        look_up_installed(); // when read before rank(), which does it on the way
        if (!m_installed_bits.empty() && (m_installed_bits[record / 64] >> (record % 64) & 1) == 0) {
            return nullptr; // nearly every record: a bit, not a binary search
        }
        auto it = std::lower_bound(m_installed.begin(), m_installed.end(), record,
                                   [](const auto& entry, std::uint32_t r) { return entry.first < r; });
        return it != m_installed.end() && it->first == record ? &it->second : nullptr;
    }

    // The overlay's list of installed versions; nullptr when there is none (or it is empty).
    const PackedNames* installed_list() const {
        if (m_installed_known || !m_index.m_overlay || m_index.m_overlay->installed.size() == 0) {
            return nullptr;
        }
        return &m_index.m_overlay->installed;
    }

    // The overlay's installed versions of the base records found, looked up while the references are in
    // record order (one walk of the list, as search() does): reads come in rank order, and a cursor walk
    // restarted per read would cost a broad query a walk of the list per hit. rank() does it on its way.
    void look_up_installed() const {
        if (m_installed_known) {
            return;
        }
        const PackedNames* installed = installed_list();
        if (installed != nullptr) {
            PackedNames::Cursor at;
            std::string store;
            for (const HitRef& r : m_refs) {
                if (r.overlay) {
                    continue;
                }
                if (auto version = installed->find(at, m_index.shown_name(r.record, store))) {
                    m_installed.emplace_back(r.record, *version);
                }
            }
        }
        m_installed_known = true;
        mark_installed();
    }

    // A bit per base record for the records in m_installed.
    void mark_installed() const {
        m_installed_bits.assign(m_installed.empty() ? 0 : (m_index.size() + 63) / 64, 0);
        for (const auto& entry : m_installed) {
            m_installed_bits[entry.first / 64] |= std::uint64_t(1) << (entry.first % 64);
        }
    }

    PackageIndex m_index;
    HitRefs m_refs; // in record order until rank()
    std::vector<SearchHit> m_over;
    mutable std::vector<std::pair<std::uint32_t, std::string_view>> m_installed; // record -> version
    mutable bool m_installed_known = false;
    mutable std::vector<std::uint64_t> m_installed_bits; // empty: m_installed is
    mutable std::string m_view_store[5];                 // view()'s sanitized fields
};

std::unique_ptr<HitSource> PackageIndex::search_lazily(const SearchQuery& query) const {
    HitRefs refs;
    std::vector<SearchHit> over;
    find_refs(query, refs, over);
    return std::make_unique<Hits>(*this, std::move(refs), std::move(over));
}

bool PackageIndex::record_text(std::string_view name, std::string_view& summary,
                               std::string_view& folded_long) const {
    if (m_at.count == 0 || m_at.hay_off < m_at.text_off || m_at.hay_off > m_bytes.size()) {
        return false;
    }
    // The records are sorted by name as shown (a damaged index only makes the search miss).
    std::string store;
    const std::size_t lo = first_record_from(name, false, store);
    if (lo >= m_at.count || shown_name(lo, store) != name) {
        return false;
    }
    summary = summary_of(lo);
    std::size_t start = u32_at(m_at.hay_index_off + lo * 4);
    std::size_t next = lo + 1 < m_at.count ? u32_at(m_at.hay_index_off + (lo + 1) * 4) : m_at.hay_size;
    if (start >= next || next > m_at.hay_size) {
        return false;
    }
    std::string_view rec(m_bytes.data() + m_at.hay_off + start, next - start);
    std::size_t name_end = rec.find(index_format::k_name_end);
    if (name_end == std::string_view::npos) {
        return false;
    }
    std::string_view body = rec.substr(name_end + 1);
    body = body.substr(0, body.find(index_format::k_provides));
    // The summary has no newline (sanitized without); the long text follows the first one.
    std::size_t nl = body.find('\n');
    folded_long = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    return true;
}

} // namespace zsyncctl::pkg
