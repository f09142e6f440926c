#include "pkg/inventory/rpm_header.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>

namespace zsyncctl::pkg {

namespace {

// Tags (rpmtag.h) and types (rpm's rpmTagType) read here.
constexpr std::uint32_t k_name = 1000;
constexpr std::uint32_t k_version = 1001;
constexpr std::uint32_t k_release = 1002;
constexpr std::uint32_t k_epoch = 1003;
constexpr std::uint32_t k_summary = 1004;
constexpr std::uint32_t k_install_time = 1008;
constexpr std::uint32_t k_size = 1009;
constexpr std::uint32_t k_arch = 1022;
constexpr std::uint32_t k_old_filenames = 1027;
constexpr std::uint32_t k_dir_indexes = 1116;
constexpr std::uint32_t k_basenames = 1117;
constexpr std::uint32_t k_dirnames = 1118;
constexpr std::uint32_t k_long_size = 5009;

constexpr std::uint32_t k_type_int32 = 4;
constexpr std::uint32_t k_type_int64 = 5;
constexpr std::uint32_t k_type_string = 6;
constexpr std::uint32_t k_type_string_array = 8;
constexpr std::uint32_t k_type_i18nstring = 9;

// rpm's own limits (hdrchkTags/hdrchkData): a header past them is refused by headerImport too.
constexpr std::uint32_t k_max_tags = 0xffff;
constexpr std::uint32_t k_max_data = 256u << 20;
// The bytes of one header's expanded file list: DIRNAMES are shared, so a hostile blob could name one long
// directory a million times. Real packages stay far below both caps (their lists expand to a few times the
// blob: a directory is shared by its basenames, and the blob also holds digests, owners, modes).
constexpr std::size_t k_max_file_bytes = std::size_t(64) << 20;
constexpr std::size_t k_max_file_bytes_per_blob_byte = 64;

std::uint32_t be32(const char* p) {
    unsigned char b[4];
    std::memcpy(b, p, 4);
    return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
}

struct Entry {
    std::uint32_t type = 0;
    std::uint32_t offset = 0;
    std::uint32_t count = 0;
};

// The data store and accessors that never read past it.
struct Store {
    std::string_view data;

    // `count` NUL-terminated strings from `offset`; nullopt when one runs past the store.
    std::optional<std::vector<std::string_view>> strings(const Entry& e, std::uint32_t max_count) const {
        if (e.count == 0 || e.count > max_count || e.offset >= data.size()) {
            return std::nullopt;
        }
        std::vector<std::string_view> out;
        out.reserve(std::min<std::size_t>(e.count, 4096));
        std::size_t at = e.offset;
        for (std::uint32_t i = 0; i < e.count; ++i) {
            if (at >= data.size()) {
                return std::nullopt;
            }
            std::size_t end = data.find('\0', at);
            if (end == std::string_view::npos) {
                return std::nullopt;
            }
            out.push_back(data.substr(at, end - at));
            at = end + 1;
        }
        return out;
    }

    std::optional<std::string_view> string(const Entry& e) const {
        if (e.type != k_type_string && e.type != k_type_i18nstring && e.type != k_type_string_array) {
            return std::nullopt;
        }
        // SUMMARY is an I18N string array: its first entry is the C locale's.
        Entry first = e;
        first.count = 1;
        auto s = strings(first, 1);
        if (!s) {
            return std::nullopt;
        }
        return s->front();
    }

    // `count` big-endian integers of `width` bytes; nullopt when they do not fit.
    std::optional<std::vector<std::uint64_t>> ints(const Entry& e, std::size_t width) const {
        if (e.count == 0 || e.offset > data.size() || (data.size() - e.offset) / width < e.count) {
            return std::nullopt;
        }
        std::vector<std::uint64_t> out;
        out.reserve(e.count);
        for (std::uint32_t i = 0; i < e.count; ++i) {
            const char* p = data.data() + e.offset + std::size_t(i) * width;
            out.push_back(width == 8 ? (std::uint64_t(be32(p)) << 32) | be32(p + 4) : be32(p));
        }
        return out;
    }
};

} // namespace

std::optional<RpmHeader> parse_rpm_header(std::string_view blob, RpmFiles files) {
    if (blob.size() < 8) {
        return std::nullopt;
    }
    std::uint32_t il = be32(blob.data());
    std::uint32_t dl = be32(blob.data() + 4);
    if (il == 0 || il > k_max_tags || dl > k_max_data || (blob.size() - 8) / 16 < il ||
        blob.size() - 8 - std::size_t(il) * 16 < dl) {
        return std::nullopt;
    }
    Store store{blob.substr(8 + std::size_t(il) * 16, dl)};
    Entry name, version, release, epoch, summary, install_time, size, long_size, arch, old_files, dir_indexes,
        basenames, dirnames;
    for (std::uint32_t i = 0; i < il; ++i) {
        const char* p = blob.data() + 8 + std::size_t(i) * 16;
        Entry e{be32(p + 4), be32(p + 8), be32(p + 12)};
        switch (be32(p)) {
        case k_name:
            name = e;
            break;
        case k_version:
            version = e;
            break;
        case k_release:
            release = e;
            break;
        case k_epoch:
            epoch = e;
            break;
        case k_summary:
            summary = e;
            break;
        case k_install_time:
            install_time = e;
            break;
        case k_size:
            size = e;
            break;
        case k_long_size:
            long_size = e;
            break;
        case k_arch:
            arch = e;
            break;
        case k_old_filenames:
            old_files = e;
            break;
        case k_dir_indexes:
            dir_indexes = e;
            break;
        case k_basenames:
            basenames = e;
            break;
        case k_dirnames:
            dirnames = e;
            break;
        default:
            break;
        }
    }
    auto n = store.string(name);
    auto v = store.string(version);
    auto r = store.string(release);
    if (!n || !v || !r || n->empty() || v->empty()) {
        return std::nullopt;
    }
    RpmHeader out;
    out.name = std::string(*n);
    out.version = std::string(*v);
    out.release = std::string(*r);
    if (auto a = store.string(arch)) {
        out.arch = std::string(*a);
    }
    if (auto s = store.string(summary)) {
        out.summary = std::string(*s);
    }
    auto first_int = [&](const Entry& e, std::uint32_t type,
                         std::size_t width) -> std::optional<std::uint64_t> {
        if (e.type != type) {
            return std::nullopt;
        }
        auto values = store.ints(e, width);
        return values ? std::optional<std::uint64_t>(values->front()) : std::nullopt;
    };
    if (auto e = first_int(epoch, k_type_int32, 4)) {
        out.epoch = static_cast<std::uint32_t>(*e);
    }
    if (auto t = first_int(install_time, k_type_int32, 4)) {
        out.install_time = static_cast<std::int64_t>(*t);
    }
    if (auto s = first_int(long_size, k_type_int64, 8); s && *s <= std::uint64_t(INT64_MAX)) {
        out.size = static_cast<std::int64_t>(*s);
    } else if (auto s32 = first_int(size, k_type_int32, 4)) {
        out.size = static_cast<std::int64_t>(*s32);
    }
    if (files == RpmFiles::skip) {
        return out;
    }
    if (basenames.type == k_type_string_array && dirnames.type == k_type_string_array &&
        dir_indexes.type == k_type_int32) {
        auto base = store.strings(basenames, dl);
        auto dirs = store.strings(dirnames, dl);
        auto index = store.ints(dir_indexes, 4);
        if (base && dirs && index) {
            std::size_t n_files = std::min(base->size(), index->size());
            std::size_t bytes = 0;
            std::size_t cap = std::min(k_max_file_bytes, blob.size() * k_max_file_bytes_per_blob_byte);
            for (std::size_t i = 0; i < n_files; ++i) {
                if ((*index)[i] >= dirs->size()) {
                    continue;
                }
                std::string_view dir = (*dirs)[(*index)[i]];
                bytes += dir.size() + (*base)[i].size();
                if (bytes > cap) {
                    break;
                }
                out.files.push_back(std::string(dir) + std::string((*base)[i]));
            }
        }
    } else if (old_files.type == k_type_string_array) {
        if (auto paths = store.strings(old_files, dl)) {
            for (auto p : *paths) {
                out.files.emplace_back(p);
            }
        }
    }
    return out;
}

std::string rpm_evr(const RpmHeader& header) {
    std::string out;
    if (header.epoch && *header.epoch != 0) {
        out = std::to_string(*header.epoch) + ":";
    }
    out += header.version;
    if (!header.release.empty()) {
        out += "-" + header.release;
    }
    return out;
}

} // namespace zsyncctl::pkg
