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

// The pieces of stage 2 and 3 that the v3 service graph (rcrun.cc) runs as s6-overlay's own
// oneshots: fix-attrs.d (false if a stop request came), the check of services.d (1 if an
// entry is broken and behav is not 0), its copy into the scan dir, the wait for it
// (S6_CMD_WAIT_FOR_SERVICES; false on timeout or stop), cont-finish.d, and services.d down
// (within S6_SERVICES_GRACETIME).
bool fix_attrs(context &c) noexcept;
int check_services(context const &c, unsigned behav) noexcept;
void services_up(context &c) noexcept;
bool wait_services(context &c, unsigned maxtime) noexcept;
void run_finish_scripts(context &c) noexcept;
void legacy_services_down(context &c) noexcept;

// rcrun.cc: an s6-overlay v3 image's graph.  has_rc_source: the image has
// ETC/s6-overlay/s6-rc.d.  rc_stage2 reads it and starts everything (top), as s6-overlay's
// `s6-rc -u change top` would; false if stage 2 must end there (an invalid source, a
// failure under S6_BEHAVIOUR_IF_STAGE2_FAILS 2, a stop request).  rc_stop brings every
// service down in reverse dependency order, waiting at most grace ms in all.
bool has_rc_source(context const &c) noexcept;
// One start (up) or stop of the atoms in wanted, until it is done or blocked, deadline (-1:
// none) passes, or (a start only) a stop request comes; behav is S6_BEHAVIOUR_IF_STAGE2_FAILS
// for s6-overlay's own services.
progress rc_drive(context &c, std::vector<bool> const &wanted, bool up, unsigned behav,
                  std::int64_t deadline) noexcept;
// rcserve.cc: the s6-rc command's socket opened (and watched by the wait loop from now on),
// and one of its requests answered.
void rc_listen(context &c) noexcept;
void rc_serve(context &c) noexcept;
bool rc_stage2(context &c, unsigned behav) noexcept;
void rc_stop(context &c, unsigned grace) noexcept;

// Why an executable could not be run, in words: "is not executable (it needs chmod +x)",
// "has a CRLF line ending in its #! line (...)", "names an interpreter that does not exist:
// /bin/bash", and so on; spawn_errno is what sys::spawn reported.
std::string explain_exec_failure(std::string const &path, int spawn_errno) noexcept;

} // namespace init
