#include "doctor/report.hpp"

#include <algorithm>

namespace zsyncctl::doctor {

std::string_view to_string(Status status) {
    switch (status) {
    case Status::ok:
        return "ok";
    case Status::info:
        return "info";
    case Status::warn:
        return "warn";
    case Status::fail:
        return "fail";
    case Status::skip:
        return "skip";
    }
    return "skip";
}

std::size_t Report::count(Status status) const {
    return static_cast<std::size_t>(std::count_if(checks.begin(), checks.end(),
                                                  [&](const CheckResult& c) { return c.status == status; }));
}

bool has_failures(const Report& report, Strict strict) {
    return report.count(Status::fail) > 0 || (strict == Strict::yes && report.count(Status::warn) > 0);
}

} // namespace zsyncctl::doctor
