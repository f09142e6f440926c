#pragma once

namespace zsyncctl::util {

/// `value` rounded to the nearest integer, halves away from zero (what std::llround returns), for
/// |value| < 2^52, which the callers' bounded timeouts are. Written here instead of std::llround because
/// that was the binary's only libm function: without it the loader maps no libm at start-up. Never fails.
constexpr long long round_to_integer(double value) {
    auto whole = static_cast<long long>(value); // towards zero
    double rest = value - static_cast<double>(whole);
    if (rest >= 0.5) {
        return whole + 1;
    }
    if (rest <= -0.5) {
        return whole - 1;
    }
    return whole;
}

} // namespace zsyncctl::util
