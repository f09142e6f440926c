// libFuzzer target: apt's Status-Fd lines and the install progress trackers. Every line is parsed; the
// apt tracker is fed the lines as status-fd output and the step trackers (pacman/apk/zypper/dnf counted
// steps, Homebrew's ==> steps) as manager output. A percentage must stay within 0..100, never go
// backwards, stay below 100 until the run is finished, and be 100 after a successful finish.
#include "fuzz_split.hpp"
#include "pkg/install/apt_status.hpp"
#include "pkg/install/progress.hpp"
#include "util/strings.hpp"

namespace {

void check_update(const std::optional<zsyncctl::pkg::ProgressUpdate>& update, int& last) {
    if (update && update->percent) {
        int p = *update->percent;
        zsyncctl::fuzz::check(p >= last && p >= 0 && p < 100);
        last = p;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zsyncctl;
    using fuzz::check;
    std::string_view input = fuzz::as_text(data, size);
    auto lines = util::split_lines(input);
    for (std::string_view line : lines) {
        if (auto parsed = pkg::parse_apt_status_line(line)) {
            check(parsed->percent >= 0 && parsed->percent <= 100);
        }
    }
    for (pkg::Operation op : {pkg::Operation::install, pkg::Operation::remove}) {
        pkg::ProgressTracker apt(pkg::ProgressStyle::apt_status_fd, op);
        pkg::ProgressTracker counted(pkg::ProgressStyle::counted_steps, op);
        pkg::ProgressTracker brew(pkg::ProgressStyle::brew_steps, op);
        int apt_last = 0;
        int counted_last = 0;
        int brew_last = 0;
        for (std::string_view line : lines) {
            check_update(apt.on_status_line(line), apt_last);
            check_update(apt.on_output_line(line), apt_last);
            check_update(counted.on_output_line(line), counted_last);
            check_update(brew.on_output_line(line), brew_last);
        }
        (void)apt.last_state();
        check(apt.finish(true).percent == 100);
        auto failed = counted.finish(false).percent;
        check(!failed || *failed < 100);
    }
    return 0;
}
