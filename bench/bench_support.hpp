#pragma once

// Helpers shared by the C++ benchmarks: error exit, statistics, "--name N" option parsing.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace bench {

/// The program name in messages; set it first thing in main().
inline std::string g_program = "bench";

/// Prints "PROGRAM: WHAT" to stderr and exits 1.
[[noreturn]] inline void die(const std::string& what) {
    std::fprintf(stderr, "%s: %s\n", g_program.c_str(), what.c_str());
    std::exit(1);
}

/// The value at `percent` (0..100) of the sorted samples; 0 for none.
inline double percentile(std::vector<double> samples, unsigned percent) {
    if (samples.empty()) {
        return 0;
    }
    std::sort(samples.begin(), samples.end());
    return samples[std::min(samples.size() - 1, samples.size() * percent / 100)];
}

/// The median of the samples; 0 for none.
inline double median(std::vector<double> samples) {
    return percentile(std::move(samples), 50);
}

/// A positive decimal count; dies on anything else.
inline std::size_t parse_count(const char* text) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(text, &end, 10);
    if (end == text || *end != '\0' || v == 0) {
        die(std::string("bad number '") + text + "'");
    }
    return static_cast<std::size_t>(v);
}

/// Parses "--name VALUE" pairs: names in `counts` take a positive count into their field, any other name
/// goes to `other` (which returns false for an unknown one). Dies with `usage` on an unknown name or a
/// missing value.
inline void parse_options(int argc, char** argv, const char* usage,
                          std::initializer_list<std::pair<const char*, std::size_t*>> counts,
                          const std::function<bool(const std::string&, const char*)>& other = {}) {
    if (argc % 2 == 0) {
        die(std::string("usage: ") + usage);
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string key = argv[i];
        bool known = false;
        for (const auto& [name, field] : counts) {
            if (key == name) {
                *field = parse_count(argv[i + 1]);
                known = true;
            }
        }
        if (!known && !(other && other(key, argv[i + 1]))) {
            die("unknown option " + key + "; usage: " + usage);
        }
    }
}

} // namespace bench
