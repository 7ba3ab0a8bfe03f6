// The three stages of /init; main.cc runs them in order over one context.  Stage 1
// (runtime.cc) sets up the system; stages 2 (stage2.cc) and 3 (stage3.cc) are decisions over
// the context, with the system behind the seam (sys.hh), so that unit tests can drive them.
#pragma once

#include <string>
#include <string_view>

#include "context.hh"

namespace init {

// Runtime dirs, env dump, s6-svscan.  Dies (100 or 111) only if the run-time dir cannot be
// set up.
void stage1(context &c) noexcept;
// fix-attrs.d, cont-init.d, services.d, the CMD (or idling until told to stop).  Records the
// exit code in the exitcode file; returns when it is time for stage 3.
void stage2(context &c) noexcept;
// cont-finish.d, services down, TERM/KILL to everything; returns the container's exit code.
int stage3(context &c) noexcept;

// Runs one stage script dir/name (no arguments) and returns its exit code (128+signal if
// killed), 126/127 if it could not be started, or -1 if a stop signal came first (stoppable
// only).  A script still running at maxtime_ms (0: no limit) is SIGKILLed.  Logged under
// "[tag] name: ...".
int run_script(context &c, std::string_view tag, std::string const &dir,
               std::string const &name, unsigned maxtime_ms, bool stoppable) noexcept;

// Why an executable could not be run, in words: "is not executable (it needs chmod +x)",
// "has a CRLF line ending in its #! line (...)", "names an interpreter that does not exist:
// /bin/bash", and so on; spawn_errno is what sys::spawn reported.
std::string explain_exec_failure(std::string const &path, int spawn_errno) noexcept;

} // namespace init
