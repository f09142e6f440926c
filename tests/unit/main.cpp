#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <csignal>

namespace {

// The tests send themselves and their children the stop signals a terminal sends. A test binary started as a
// script's background job (CI runs the suite that way) inherits SIGINT and SIGQUIT ignored, and the runtime
// keeps a signal ignored at start ignored, in children too (nohup relies on it): every test starts from the
// defaults a terminal gives instead. Tests about an inherited ignore set it themselves.
const bool g_default_stop_signals = [] {
    for (int sig : {SIGINT, SIGQUIT, SIGTERM, SIGHUP}) {
        std::signal(sig, SIG_DFL);
    }
    return true;
}();

} // namespace
