// util::find_bytes (the warm search's scan) vs glibc's memmem(3) and std::string_view::find, all three
// finding every occurrence of a query in the same haystack, interleaved round by round (A B C A B C ...),
// the ratio taken per round. The haystack: the lower-cased text of dpkg's status file repeated to 16 MiB
// (or, without one, generated words from a fixed seed), like the search index's haystack of names and
// descriptions.
//   bench_find [--rounds N] [--mib N]
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bench_support.hpp"
#include "util/find.hpp"

namespace {

std::string make_haystack(std::size_t bytes) {
    std::string text;
    if (std::ifstream in("/var/lib/dpkg/status"); in) {
        std::stringstream all;
        all << in.rdbuf();
        text = all.str();
    }
    if (text.size() < 4096) {
        std::mt19937 rng(42);
        const char* words[] = {"lib", "data", "files", "the", "for", "python", "module", "tool", "server"};
        text.clear();
        while (text.size() < 1 << 20) {
            text += words[rng() % 9];
            text += rng() % 7 == 0 ? '\n' : ' ';
        }
    }
    for (char& c : text) {
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    std::string hay;
    hay.reserve(bytes + text.size());
    while (hay.size() < bytes) {
        hay += text;
    }
    hay.resize(bytes);
    return hay;
}

template <typename Find>
std::pair<double, std::size_t> time_all(std::string_view hay, std::string_view needle, Find find) {
    auto start = std::chrono::steady_clock::now();
    std::size_t count = 0;
    for (std::size_t pos = 0;;) {
        std::size_t at = find(hay.substr(pos), needle);
        if (at == std::string_view::npos) {
            break;
        }
        ++count;
        pos += at + 1;
    }
    std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    return {took.count(), count};
}

} // namespace

int main(int argc, char** argv) {
    bench::g_program = "bench_find";
    std::size_t rounds = 15;
    std::size_t mib = 16;
    bench::parse_options(argc, argv, "bench_find [--rounds N] [--mib N]",
                         {{"--rounds", &rounds}, {"--mib", &mib}});
    const std::string hay = make_haystack(mib << 20);
    auto ours = [](std::string_view h, std::string_view n) {
        return zsyncctl::util::find_bytes(h, n);
    };
    auto libc = [](std::string_view h, std::string_view n) {
        const void* hit = ::memmem(h.data(), h.size(), n.data(), n.size());
        return hit == nullptr ? std::string_view::npos
                              : static_cast<std::size_t>(static_cast<const char*>(hit) - h.data());
    };
    auto stdlib = [](std::string_view h, std::string_view n) {
        return h.find(n);
    };
    std::printf(
        "haystack %zu MiB, %zu interleaved rounds; ratio = peer time / find_bytes time (> 1: faster)\n", mib,
        rounds);
    for (std::string_view needle : {"zstd", "python3", "lib", "e", "libreoffice-l10n", "zzzzqq"}) {
        std::vector<double> vs_memmem, vs_find, ours_ms;
        std::size_t found = 0;
        for (std::size_t r = 0; r < rounds; ++r) {
            auto [a, na] = time_all(hay, needle, ours);
            auto [b, nb] = time_all(hay, needle, libc);
            auto [c, nc] = time_all(hay, needle, stdlib);
            if (na != nb || na != nc) {
                bench::die("the three disagree on '" + std::string(needle) + "'");
            }
            found = na;
            ours_ms.push_back(a);
            vs_memmem.push_back(b / a);
            vs_find.push_back(c / a);
        }
        std::printf("%-18s %7zu hits  find_bytes %7.2f ms  vs memmem %5.2fx  vs string_view::find %5.2fx\n",
                    std::string(needle).c_str(), found, bench::median(ours_ms), bench::median(vs_memmem),
                    bench::median(vs_find));
    }
    return 0;
}
