#include <supervise/ipcclient.hh>

#include <string>

#include <supervise/diag.hh>
#include <supervise/ipc.hh>

namespace sv {

int ipc_client_connect_or_die(char const *path, ipc_client_opts const &o,
                              std::vector<env_change> &changes) noexcept
{
    int const s = ipc_socket(false, false, false);
    if (s < 0) die_sys(exitcode::system, "unable to create socket");
    if (o.bindpath && ipc_bind(s, o.bindpath) < 0)
        die_sys(exitcode::system, "unable to bind socket to ", o.bindpath);
    if (!ipc_connect(s, path)) die_sys(exitcode::system, "unable to connect to ", path);
    if (o.verbosity >= 2) info("s6-ipcclient: connected to ", path);

    changes.push_back({"PROTO", "IPC"});
    if (o.localname) {
        std::string name = o.localname;
        if (name.size() > ipc_path_max) name.resize(ipc_path_max);
        changes.push_back({"IPCLOCALPATH", name});
    } else {
        char local[ipc_path_max + 1];
        // No local path known: IPCLOCALPATH is removed rather than set.
        if (ipc_local(s, local, sizeof local) < 0) changes.push_back({"IPCLOCALPATH", {}, true});
        else changes.push_back({"IPCLOCALPATH", local});
    }
    return s;
}

} // namespace sv
