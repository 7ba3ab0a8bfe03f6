// The client end of s6's local UCSPI (s6-ipcclient): a Unix stream socket connected to a
// server's path, and the environment the client's program gets with it.  s6-ipcclient execs
// a program with these; s6-sudo uses them in-process, where stock s6-sudo would exec
// s6-ipcclient.
#pragma once

#include <vector>

#include <supervise/envdir.hh>

namespace sv {

struct ipc_client_opts {
    char const *bindpath = nullptr;  // -p: bind the socket here before connecting
    char const *localname = nullptr; // -l: IPCLOCALPATH's value instead of the bound path
    unsigned verbosity = 1;          // 2 or more: "connected to PATH" on stderr
};

// Connects to path as s6-ipcclient does and returns the socket (inheritable, as the program
// it execs keeps it).  changes gets
// PROTO=IPC and IPCLOCALPATH (-l's name cut to ipc_path_max, else the bound path; removed
// when the socket is not bound).  Dies (111) with s6-ipcclient's messages under sv::prog.
int ipc_client_connect_or_die(char const *path, ipc_client_opts const &o,
                              std::vector<env_change> &changes) noexcept;

} // namespace sv
