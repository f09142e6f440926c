// libFuzzer target: the cgroup and affinity parsers behind Config::optimal() (cpu.max, cfs quota/period,
// cpuset lists). Input: up to three NUL-separated fields.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "platform/cpu_budget.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string_view fields[3];
    for (auto& f : fields) {
        std::size_t nul = input.find('\0');
        f = input.substr(0, nul);
        input = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
    }
    using namespace zsyncctl::platform;
    if (auto n = parse_cpu_list_count(fields[0]); n && *n == 0) {
        __builtin_trap(); // a list that parses names at least one CPU
    }
    if (auto q = parse_cgroup2_cpu_max(fields[0]); q && !(*q > 0)) {
        __builtin_trap(); // a quota that parses is a positive number of CPUs
    }
    if (auto q = parse_cgroup1_quota(fields[1], fields[2]); q && !(*q > 0)) {
        __builtin_trap();
    }
    return 0;
}
