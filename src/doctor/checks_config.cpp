#include "doctor/checks_internal.hpp"

#include "pkg/detect/paths.hpp"
#include "pkg/registry/registry.hpp"
#include "platform/io_uring_probe.hpp"
#include "util/strings.hpp"
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>

namespace zsyncctl::doctor::detail {

void check_overrides(const CheckInput& in, CheckResult& r) {
    std::vector<std::string> active;
    if (!in.options.requested_backend_source.empty()) {
        active.push_back("I/O backend " + std::string(core::to_string(in.options.requested_backend)) +
                         " (from " + in.options.requested_backend_source + ")");
    }
    if (in.facts.overrides.os) {
        active.push_back("ZSYNCCTL_OS=" + in.facts.identity.os);
    }
    if (in.facts.overrides.arch) {
        active.push_back("ZSYNCCTL_ARCH=" + in.facts.identity.arch);
    }
    for (const auto& a : active) {
        ev(r, "override", a);
    }
    if (active.empty()) {
        set(r, Status::ok, "no overrides: every setting is the default");
    } else {
        set(r, Status::info, "overrides active: " + util::join(active, ", "));
    }
}

void check_root(const CheckInput& in, CheckResult& r) {
    if (in.facts.overrides.root) {
        ev(r, "root", in.facts.overrides.root_dir);
        set(r, Status::info, "readings come from " + in.facts.overrides.root_dir + ", not the live system");
    } else {
        set(r, Status::ok, "readings come from the live system (/)");
    }
}

void check_recommendation(const CheckInput& in, CheckResult& r) {
    const auto& rec = in.recommendation;
    ev(r, "reason", rec.reason);
    for (const auto& f : rec.findings) {
        ev(r, "config." + f.field, f.message);
    }
    std::string summary = "recommended: " + std::string(core::to_string(rec.execution_model)) + ", " +
                          std::string(core::to_string(rec.io_backend)) + ", " + std::to_string(rec.threads) +
                          " thread(s)";
    const auto& u = in.facts.io_uring;
    if (in.options.requested_backend == core::IoBackend::io_uring &&
        !(u.usable && in.options.io_uring_compiled_in)) {
        set(r, Status::fail,
            "io_uring was requested (" + in.options.requested_backend_source + ") but " +
                (in.options.io_uring_compiled_in ? "it is not usable here: " + u.reason
                                                 : std::string("this build has no io_uring support")),
            "zsyncctl --io-backend auto ...   (or unset ZSYNCCTL_IO_BACKEND)");
        return;
    }
    for (const auto& f : rec.findings) {
        if (f.severity == core::ConfigFinding::Severity::error) {
            set(r, Status::fail, summary + "; the config is refused: " + f.message, f.fix);
            return;
        }
    }
    set(r, Status::ok, summary);
}

} // namespace zsyncctl::doctor::detail
