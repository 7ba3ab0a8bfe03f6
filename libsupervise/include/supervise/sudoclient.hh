// The client side of one s6-sudo session (sudo.hh has the protocol), as s6-sudoc runs it on
// a connection to s6-sudod.  s6-sudoc runs it on fds 6 and 7; s6-sudo runs it in-process on
// the socket it connected, where stock s6-sudo would exec s6-ipcclient and s6-sudoc.
#pragma once

#include <span>

namespace sv {

struct sudo_client_opts {
    unsigned timeout_conn = 0; // -t: ms up to the server's confirmation (0: no limit)
    unsigned timeout_run = 0;  // -T: ms for the program's run (0: no limit)
};

// Reads the server's banner from rfd, sends args, env and this process's fds 0, 1 and 2 on
// wfd, closes fds 0 and 1 (the server has its own copies), waits for the confirmation and the
// program's status.  rfd and wfd are made non-blocking.  Returns s6-sudoc's exit code: the
// program's, 128 + the signal that killed it, or 128 for a code above 127.  Dies with
// s6-sudoc's messages and codes (100 wrong banner, 111 otherwise) under sv::prog.
int sudo_client_run(int rfd, int wfd, std::span<char const *const> args,
                    std::span<char const *const> env, sudo_client_opts const &o) noexcept;

} // namespace sv
