#include "pkg/inventory/rpm_reason.hpp"

#include <charconv>

#include "pkg/inventory/sqlite_reader.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// history.sqlite of a machine with years of transactions is tens of MB.
constexpr std::size_t k_max_history_bytes = std::size_t(1) << 30;

// libdnf's TransactionItemAction and TransactionItemReason values (TransactionItem.hpp,
// TransactionItemReason.hpp), as history.sqlite stores them.
constexpr int k_action_remove = 8;
constexpr int k_reason_user = 2;
constexpr int k_reason_unknown = 0;

// Actions 3, 5, 7 and 10 are the replaced side (downgraded, obsoleted, upgraded, reinstalled); state 1 is a
// finished transaction. Later rows win: ordered as libdnf's "ORDER BY trans_id DESC LIMIT 1" picks.
constexpr const char* k_sql =
    "SELECT i.name || char(9) || i.arch || char(9) || ti.action || char(9) || ti.reason "
    "FROM trans_item ti JOIN trans t ON ti.trans_id = t.id JOIN rpm i USING (item_id) "
    "WHERE t.state = 1 AND ti.action NOT IN (3, 5, 7, 10) ORDER BY ti.trans_id, ti.id";

int to_int(std::string_view s) {
    int v = -1;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

} // namespace

util::Result<RpmReasons> dnf_install_reasons(const util::Root& root, std::string_view reasons_file) {
    std::string path(reasons_file);
    auto bytes = root.read(path, k_max_history_bytes);
    if (!bytes) {
        return util::fail(std::move(bytes).error());
    }
    // dnf leaves its -wal behind (it holds the last transactions until a checkpoint): read as SQLite would.
    if (auto wal = root.read(path + "-wal", k_max_history_bytes)) {
        sqlite_apply_wal(*bytes, *wal);
    }
    RpmReasons out;
    auto queried = sqlite_query_blobs(*bytes, k_sql, [&](std::string_view row) {
        auto f = util::split(row, '\t');
        if (f.size() != 4) {
            return true;
        }
        int action = to_int(f[2]);
        int reason = to_int(f[3]);
        InstallReason r = InstallReason::dependency;
        if (action == k_action_remove || reason == k_reason_unknown || reason < 0) {
            r = InstallReason::unknown;
        } else if (reason == k_reason_user) {
            r = InstallReason::explicit_install;
        }
        out[{std::string(f[0]), std::string(f[1])}] = r;
        return true;
    });
    if (!queried) {
        return util::fail(queried.error().kind,
                          "cannot read dnf's history " + root.resolve(path).string() + ": " +
                              queried.error().message,
                          queried.error().hint);
    }
    return out;
}

util::Result<std::map<std::string, bool, std::less<>>> zypper_auto_installed(const util::Root& root,
                                                                             std::string_view reasons_file) {
    auto text = root.read(reasons_file);
    if (!text) {
        return util::fail(std::move(text).error());
    }
    std::map<std::string, bool, std::less<>> out;
    for (auto line : util::split(*text, '\n')) {
        auto name = util::trim(line);
        if (!name.empty() && name.front() != '#') {
            out.emplace(std::string(name), true);
        }
    }
    return out;
}

void apply_rpm_reasons(const util::Root& root, const Manager& manager,
                       std::vector<InstalledPackage>& packages, std::vector<PackageInfo>& info,
                       std::string& note) {
    const std::string_view file = manager.inventory.reasons_file;
    if (file.empty() || (packages.empty() && info.empty())) {
        return;
    }
    auto add_note = [&](const util::Error& e) {
        // No record at all: the manager never ran here (packages installed by rpm alone); nothing to say.
        if (e.kind != util::ErrorKind::not_found) {
            note += std::string(note.empty() ? "" : "; ") + "explicit or dependency not known: " + e.message;
        }
    };
    if (manager.inventory.method == InventoryMethod::rpm_dnf) {
        auto reasons = dnf_install_reasons(root, file);
        if (!reasons) {
            add_note(reasons.error());
            return;
        }
        auto find = [&](const std::string& name, const std::string& arch) {
            auto it = reasons->find({name, arch});
            return it == reasons->end() ? InstallReason::unknown : it->second;
        };
        for (auto& p : packages) {
            p.reason = find(p.name, p.architecture);
        }
        for (auto& i : info) {
            if (!i.installed.empty()) {
                i.reason = find(i.name, i.architecture);
            }
        }
    } else if (manager.inventory.method == InventoryMethod::zypper_xml) {
        auto autos = zypper_auto_installed(root, file);
        if (!autos) {
            add_note(autos.error());
            return;
        }
        auto find = [&](const std::string& name) {
            return autos->count(name) != 0 ? InstallReason::dependency : InstallReason::explicit_install;
        };
        for (auto& p : packages) {
            p.reason = find(p.name);
        }
        for (auto& i : info) {
            if (!i.installed.empty()) {
                i.reason = find(i.name);
            }
        }
    }
}

} // namespace zsyncctl::pkg
