// The shared executable: every s6pp program is an entry point in one file, installed under
// each program's name, and the table that routes a name to its program.
//
// Each program keeps its own folder of tools/ and its body in a function with a real name
// (supervise_main in tools/s6-supervise/main.cc, svc_main in tools/s6-svc/main.cc, ...), the
// folder's name without "s6-", dashes made underscores.  One file instead of 74 glibc-static
// executables: the C++ runtime and libc are in it once (a static program's floor is ~740 KB),
// so the install shrinks from 44 MB to a few, and every process of a container, PID 1, the
// supervisors, the loggers and the one-shot clients, shares the same pages.  s6-svscan can also
// start a supervisor by forking and calling supervise_main() instead of exec'ing
// (fork_self.hh).  The names are links to the one file; the kernel names each process after
// the link it was started through, so ps and /proc/PID/comm still show the program's name.
#pragma once

#include <span>
#include <string_view>

// Each program's entry point, defined in tools/<its name>/main.cc (tools/meson.build's
// tool_names order).
int supervise_main(int argc, char **argv);
int svc_main(int argc, char **argv);
int svok_main(int argc, char **argv);
int svstat_main(int argc, char **argv);
int svwait_main(int argc, char **argv);
int svlisten1_main(int argc, char **argv);
int svdt_main(int argc, char **argv);
int svdt_clear_main(int argc, char **argv);
int notifyoncheck_main(int argc, char **argv);
int svscan_main(int argc, char **argv);
int svscanctl_main(int argc, char **argv);
int rc_main(int argc, char **argv);
int log_main(int argc, char **argv);
int tai64n_main(int argc, char **argv);
int tai64nlocal_main(int argc, char **argv);
int logutil_service_main(int argc, char **argv);
int logutil_newfifo_main(int argc, char **argv);
int setuidgid_main(int argc, char **argv);
int envuidgid_main(int argc, char **argv);
int applyuidgid_main(int argc, char **argv);
int envdir_main(int argc, char **argv);
int setsid_main(int argc, char **argv);
int softlimit_main(int argc, char **argv);
int with_contenv_main(int argc, char **argv);
int printcontenv_main(int argc, char **argv);
int fix_attrs_main(int argc, char **argv);
int init_main(int argc, char **argv);
int hpr_main(int argc, char **argv); // halt poweroff reboot shutdown (init/hpr.cc)
int mkfifodir_main(int argc, char **argv);
int cleanfifodir_main(int argc, char **argv);
int ftrig_notify_main(int argc, char **argv);
int ftrig_wait_main(int argc, char **argv);
int ftrig_listen1_main(int argc, char **argv);
int ftrig_listen_main(int argc, char **argv);
int ftrigrd_main(int argc, char **argv);
int svlink_main(int argc, char **argv);
int svunlink_main(int argc, char **argv);
int instance_maker_main(int argc, char **argv);
int instance_create_main(int argc, char **argv);
int instance_delete_main(int argc, char **argv);
int instance_control_main(int argc, char **argv);
int instance_status_main(int argc, char **argv);
int instance_list_main(int argc, char **argv);
int usertree_maker_main(int argc, char **argv);
int ipcserver_access_main(int argc, char **argv);
int accessrules_cdb_from_fs_main(int argc, char **argv);
int accessrules_fs_from_cdb_main(int argc, char **argv);
int ipcserver_socketbinder_main(int argc, char **argv);
int ipcclient_main(int argc, char **argv);
int ipcserverd_main(int argc, char **argv);
int ipcserver_main(int argc, char **argv);
int connlimit_main(int argc, char **argv);
int ioconnect_main(int argc, char **argv);
int sudo_main(int argc, char **argv);
int sudoc_main(int argc, char **argv);
int sudod_main(int argc, char **argv);
int fdholder_daemon_main(int argc, char **argv);
int fdholderd_main(int argc, char **argv);
int fdholder_store_main(int argc, char **argv);
int fdholder_retrieve_main(int argc, char **argv);
int fdholder_delete_main(int argc, char **argv);
int fdholder_list_main(int argc, char **argv);
int fdholder_getdump_main(int argc, char **argv);
int fdholder_setdump_main(int argc, char **argv);
int fdholder_transferdump_main(int argc, char **argv);
int setlock_main(int argc, char **argv);
int s6lockd_main(int argc, char **argv);
int svlisten_main(int argc, char **argv);
int permafailon_main(int argc, char **argv);
int svperms_main(int argc, char **argv);
int fghack_main(int argc, char **argv);
int socklog_main(int argc, char **argv);
int ucspilogd_main(int argc, char **argv);
int envsubst_main(int argc, char **argv);
int s6lockd_helper_main(int argc, char **argv);

namespace multicall {

struct entry {
    std::string_view name; // the installed name
    int (*main)(int, char **);
};

// Every installed name of the shared executable, s6-supervise first.
std::span<entry const> entries() noexcept;

// The name a program was started under: the last path component of argv0.
std::string_view invoked_name(char const *argv0) noexcept;

// The entry for the name argv0 was started under; s6-supervise's for a name not in the
// table (a copy under another name still supervises, as s6-supervise always did).
entry const &lookup(char const *argv0) noexcept;

} // namespace multicall
