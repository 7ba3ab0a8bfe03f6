// The three stages of /init (stages.cc); main.cc runs them in order.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace init {

// What the stages share.
struct boot {
    std::vector<std::string> cmd;      // the CMD: argv after /init
    bool keep_env = false;             // S6_KEEP_ENV
    pid_t svscan = 0;                  // our s6-svscan, 0 if not running
    std::vector<std::string> services; // names copied from /etc/services.d
};

// Runtime dirs, env dump, s6-svscan.  Dies (111) only if /run cannot be set up.
void stage1(boot &b) noexcept;
// fix-attrs.d, cont-init.d, services.d, the CMD (or idling until told to stop).  Records the
// exit code in the exitcode file; returns when it is time for stage 3.
void stage2(boot &b) noexcept;
// cont-finish.d, services down, TERM/KILL to everything; returns the container's exit code.
int stage3(boot &b) noexcept;

} // namespace init
