// libFuzzer target: rpm header blobs as rpmdb.sqlite's Packages table stores them. The bytes are parsed with
// the file lists read; ASan catches any read outside the blob. A parsed header always has a name and version,
// every file path it lists is at most twice the blob (a dirname and a basename from its data store), and the
// whole list at most 64 times the blob.
#include "fuzz_split.hpp"
#include "pkg/inventory/rpm_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zsyncctl;
    using fuzz::check;
    std::string_view blob = fuzz::as_text(data, size);
    auto header = pkg::parse_rpm_header(blob, pkg::RpmFiles::read);
    if (header) {
        check(!header->name.empty() && !header->version.empty());
        check(header->name.size() < size && header->version.size() < size);
        for (const auto& f : header->files) {
            check(f.size() <= 2 * size);
        }
        std::size_t total = 0;
        for (const auto& f : header->files) {
            total += f.size();
        }
        check(total <= 64 * size); // the expansion cap: a hostile blob cannot make a huge file list
        check(!pkg::rpm_evr(*header).empty());
    }
    auto without_files = pkg::parse_rpm_header(blob, pkg::RpmFiles::skip);
    check(without_files.has_value() == header.has_value());
    check(!without_files || without_files->files.empty());
    return 0;
}
