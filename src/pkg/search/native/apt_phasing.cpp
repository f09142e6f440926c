#include "pkg/search/native/apt_phasing.hpp"

#include <sys/stat.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>

#include "util/fs.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {} // namespace

std::optional<std::string> apt_conf_value(std::string_view conf_text, std::string_view key) {
    // apt.conf's grammar in tokens: `KEY "VALUE";`, `KEY { ... };` (KEY may hold "::"), comments as
    // #, // and /* */.
    std::vector<std::string> scopes;
    std::string pending;
    std::optional<std::string> found;
    std::size_t i = 0;
    const std::size_t n = conf_text.size();
    while (i < n) {
        char c = conf_text[i];
        if (c == '#' || (c == '/' && i + 1 < n && conf_text[i + 1] == '/')) {
            i = conf_text.find('\n', i);
            i = i == std::string_view::npos ? n : i;
        } else if (c == '/' && i + 1 < n && conf_text[i + 1] == '*') {
            i = conf_text.find("*/", i + 2);
            i = i == std::string_view::npos ? n : i + 2;
        } else if (c == '"') {
            std::size_t close = conf_text.find('"', i + 1);
            if (close == std::string_view::npos) {
                break;
            }
            if (!pending.empty()) {
                std::string full;
                for (const auto& scope : scopes) {
                    full += scope + "::";
                }
                if (util::iequals(full + pending, key)) {
                    found = std::string(conf_text.substr(i + 1, close - i - 1));
                }
                pending.clear();
            }
            i = close + 1;
        } else if (c == '{') {
            scopes.push_back(pending);
            pending.clear();
            ++i;
        } else if (c == '}') {
            if (!scopes.empty()) {
                scopes.pop_back();
            }
            pending.clear();
            ++i;
        } else if (c == ';') {
            pending.clear();
            ++i;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            ++i;
        } else {
            std::size_t end = conf_text.find_first_of(" \t\r\n{};\"#", i);
            end = end == std::string_view::npos ? n : end;
            pending = std::string(conf_text.substr(i, end - i));
            i = end;
        }
    }
    return found;
}

bool apt_conf_bool(std::string_view value, bool fallback) {
    for (std::string_view yes : {"true", "yes", "on", "with", "enable", "1"}) {
        if (util::iequals(value, yes)) {
            return true;
        }
    }
    for (std::string_view no : {"false", "no", "off", "without", "disable", "0"}) {
        if (util::iequals(value, no)) {
            return false;
        }
    }
    return fallback;
}

bool apt_in_chroot() {
    const char* fake = std::getenv("FAKECHROOT");
    const char* preload = std::getenv("LD_PRELOAD");
    if (fake != nullptr && std::strcmp(fake, "true") == 0 && std::getenv("FAKECHROOT_BASE") != nullptr &&
        preload != nullptr && std::strstr(preload, "libfakechroot.so") != nullptr) {
        return true;
    }
    // debianutils' ischroot compares init's mount table with ours first (readable without privileges),
    // then the inode of / with /proc/1/root's.
    auto init_mounts = util::read_file("/proc/1/mountinfo", 16u << 20);
    auto own_mounts = util::read_file("/proc/self/mountinfo", 16u << 20);
    if (init_mounts && own_mounts) {
        return *init_mounts != *own_mounts;
    }
    struct stat self {};
    struct stat init {};
    if (::stat("/", &self) != 0 || ::stat("/proc/1/root", &init) != 0) {
        return true; // `ischroot -t`: what cannot be told counts as a chroot
    }
    return self.st_dev != init.st_dev || self.st_ino != init.st_ino;
}

AptPhasing read_apt_phasing(const util::Root& root, const std::vector<std::string>& conf_files) {
    AptPhasing out;
    std::optional<std::string> machine_id;
    std::optional<std::string> policy;
    std::optional<std::string> always;
    std::optional<std::string> never;
    std::optional<std::string> um_always;
    std::optional<std::string> um_never;
    for (const auto& file : conf_files) {
        auto text = root.read(file, 1u << 20);
        if (!text || (!util::icontains(*text, "Phase") && !util::icontains(*text, "Machine-ID"))) {
            continue;
        }
        auto take = [&](std::optional<std::string>& into, std::string_view key) {
            if (auto v = apt_conf_value(*text, key)) {
                into = std::move(v);
            }
        };
        take(machine_id, "APT::Machine-ID");
        take(policy, "APT::Get::Phase-Policy");
        take(always, "APT::Get::Always-Include-Phased-Updates");
        take(never, "APT::Get::Never-Include-Phased-Updates");
        take(um_always, "Update-Manager::Always-Include-Phased-Updates");
        take(um_never, "Update-Manager::Never-Include-Phased-Updates");
    }
    if (machine_id && !machine_id->empty()) {
        out.machine_id = *machine_id;
    } else if (auto text = root.read("/etc/machine-id", 4096)) {
        out.machine_id = std::string(text->substr(0, text->find('\n')));
    }
    out.phase_policy = policy && apt_conf_bool(*policy, false);
    out.always_include =
        always ? apt_conf_bool(*always, false) : um_always && apt_conf_bool(*um_always, false);
    out.never_include = never ? apt_conf_bool(*never, false) : um_never && apt_conf_bool(*um_never, false);
    out.include_everything = std::getenv("SOURCE_DATE_EPOCH") != nullptr || apt_in_chroot();
    return out;
}

int phased_update_percentage(std::string_view field) {
    field = util::trim(field);
    int value = 100;
    auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (field.empty() || ec != std::errc() || end != field.data() + field.size() || value < 0 ||
        value > 100) {
        return 100;
    }
    return value;
}

unsigned int apt_phase_draw(std::string_view seed_text) {
    // seed_seq and minstd_rand are specified exactly by the standard; uniform_int_distribution is not, so
    // its draw is spelled out as libstdc++ (apt's library) makes it for a generator narrower than its
    // type: reject values past the last whole multiple of 101, then divide.
    std::seed_seq seed(seed_text.begin(), seed_text.end());
    std::minstd_rand rand(seed);
    constexpr std::uint64_t k_span = std::minstd_rand::max() - std::minstd_rand::min(); // 2147483645
    constexpr std::uint64_t k_values = 101;                                             // 0..100
    constexpr std::uint64_t k_scaling = k_span / k_values;
    constexpr std::uint64_t k_past = k_values * k_scaling;
    std::uint64_t value = 0;
    do {
        value = static_cast<std::uint64_t>(rand()) - std::minstd_rand::min();
    } while (value >= k_past);
    return static_cast<unsigned int>(value / k_scaling);
}

bool apt_phase_excluded(const AptPhasing& phasing, std::string_view source, std::string_view source_version,
                        int percentage) {
    if (percentage >= 100 || phasing.phase_policy || phasing.always_include) {
        return false;
    }
    if (phasing.never_include) {
        return true;
    }
    if (phasing.machine_id.empty() || phasing.include_everything) {
        return false;
    }
    // The very draw apt makes (same standard library algorithms, same seed text), so every machine lands
    // in the same phase as apt puts it.
    std::string seed_text =
        std::string(source) + "-" + std::string(source_version) + "-" + phasing.machine_id;
    return apt_phase_draw(seed_text) > static_cast<unsigned int>(percentage);
}

} // namespace zsyncctl::pkg
