#include "doctor/report.hpp"

#include <algorithm>
#include <array>

#include "util/enum_names.hpp"

namespace zsyncctl::doctor {

namespace {

constexpr std::array<util::EnumName<Status>, 5> k_status_names{{
    {Status::ok, "ok"},
    {Status::info, "info"},
    {Status::warn, "warn"},
    {Status::fail, "fail"},
    {Status::skip, "skip"},
}};

} // namespace

std::string_view to_string(Status status) {
    return util::enum_name(k_status_names, status, "skip");
}

std::size_t Report::count(Status status) const {
    return static_cast<std::size_t>(std::count_if(checks.begin(), checks.end(),
                                                  [&](const CheckResult& c) { return c.status == status; }));
}

bool has_failures(const Report& report, Strict strict) {
    return report.count(Status::fail) > 0 || (strict == Strict::yes && report.count(Status::warn) > 0);
}

} // namespace zsyncctl::doctor
