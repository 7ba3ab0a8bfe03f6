// main() of the shared executable (entries.hh): one table from installed name to program.
#include "entries.hh"

#include <array>

namespace multicall {

namespace {

constexpr std::array table{
    entry{"s6-supervise", supervise_main},
    entry{"s6-svc", svc_main},
    entry{"s6-svok", svok_main},
    entry{"s6-svstat", svstat_main},
    entry{"s6-svwait", svwait_main},
    entry{"s6-svlisten1", svlisten1_main},
    entry{"s6-svdt", svdt_main},
    entry{"s6-svdt-clear", svdt_clear_main},
    entry{"s6-notifyoncheck", notifyoncheck_main},
    entry{"s6-svscan", svscan_main},
    entry{"s6-svscanctl", svscanctl_main},
    entry{"s6-rc", rc_main},
    entry{"s6-log", log_main},
    entry{"s6-tai64n", tai64n_main},
    entry{"s6-tai64nlocal", tai64nlocal_main},
    entry{"logutil-service", logutil_service_main},
    entry{"logutil-newfifo", logutil_newfifo_main},
    entry{"s6-setuidgid", setuidgid_main},
    entry{"s6-envuidgid", envuidgid_main},
    entry{"s6-applyuidgid", applyuidgid_main},
    entry{"s6-envdir", envdir_main},
    entry{"s6-setsid", setsid_main},
    entry{"s6-softlimit", softlimit_main},
    entry{"with-contenv", with_contenv_main},
    entry{"printcontenv", printcontenv_main},
    entry{"fix-attrs", fix_attrs_main},
    entry{"init", init_main},
    entry{"halt", hpr_main},
    entry{"poweroff", hpr_main},
    entry{"reboot", hpr_main},
    entry{"shutdown", hpr_main},
    entry{"s6-mkfifodir", mkfifodir_main},
    entry{"s6-cleanfifodir", cleanfifodir_main},
    entry{"s6-ftrig-notify", ftrig_notify_main},
    entry{"s6-ftrig-wait", ftrig_wait_main},
    entry{"s6-ftrig-listen1", ftrig_listen1_main},
    entry{"s6-ftrig-listen", ftrig_listen_main},
    entry{"s6-ftrigrd", ftrigrd_main},
    entry{"s6-svlink", svlink_main},
    entry{"s6-svunlink", svunlink_main},
    entry{"s6-instance-maker", instance_maker_main},
    entry{"s6-instance-create", instance_create_main},
    entry{"s6-instance-delete", instance_delete_main},
    entry{"s6-instance-control", instance_control_main},
    entry{"s6-instance-status", instance_status_main},
    entry{"s6-instance-list", instance_list_main},
    entry{"s6-usertree-maker", usertree_maker_main},
    entry{"s6-ipcserver-access", ipcserver_access_main},
    entry{"s6-accessrules-cdb-from-fs", accessrules_cdb_from_fs_main},
    entry{"s6-accessrules-fs-from-cdb", accessrules_fs_from_cdb_main},
    entry{"s6-ipcserver-socketbinder", ipcserver_socketbinder_main},
    entry{"s6-ipcclient", ipcclient_main},
    entry{"s6-ipcserverd", ipcserverd_main},
    entry{"s6-ipcserver", ipcserver_main},
    entry{"s6-connlimit", connlimit_main},
    entry{"s6-ioconnect", ioconnect_main},
    entry{"s6-sudo", sudo_main},
    entry{"s6-sudoc", sudoc_main},
    entry{"s6-sudod", sudod_main},
    entry{"s6-fdholder-daemon", fdholder_daemon_main},
    entry{"s6-fdholderd", fdholderd_main},
    entry{"s6-fdholder-store", fdholder_store_main},
    entry{"s6-fdholder-retrieve", fdholder_retrieve_main},
    entry{"s6-fdholder-delete", fdholder_delete_main},
    entry{"s6-fdholder-list", fdholder_list_main},
    entry{"s6-fdholder-getdump", fdholder_getdump_main},
    entry{"s6-fdholder-setdump", fdholder_setdump_main},
    entry{"s6-fdholder-transferdump", fdholder_transferdump_main},
    entry{"s6-setlock", setlock_main},
    entry{"s6lockd", s6lockd_main},
    entry{"s6-svlisten", svlisten_main},
    entry{"s6-permafailon", permafailon_main},
    entry{"s6-svperms", svperms_main},
    entry{"s6-fghack", fghack_main},
    entry{"s6-socklog", socklog_main},
    entry{"ucspilogd", ucspilogd_main},
    entry{"envsubst", envsubst_main},
    entry{"s6lockd-helper", s6lockd_helper_main},
};

} // namespace

std::span<entry const> entries() noexcept { return table; }

std::string_view invoked_name(char const *argv0) noexcept
{
    std::string_view name = argv0 ? argv0 : "";
    if (auto slash = name.rfind('/'); slash != name.npos) name.remove_prefix(slash + 1);
    return name;
}

entry const &lookup(char const *argv0) noexcept
{
    std::string_view const name = invoked_name(argv0);
    for (entry const &e : table)
        if (e.name == name) return e;
    return table[0];
}

} // namespace multicall

int main(int argc, char **argv)
{
    return multicall::lookup(argc > 0 ? argv[0] : nullptr).main(argc, argv);
}
