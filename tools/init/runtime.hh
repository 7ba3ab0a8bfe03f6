// The real side of /init that stage 1 and main.cc use directly (the stages' decisions go
// through the seam, sys.hh): the signalfd, the kept child, stage 1's file-system work and the
// catch-all logger.
#pragma once

#include <string>

#include "context.hh"

namespace init {

// loop.cc

// Traps the signals /init handles (read from c.ev.signals).  Dies (111) on failure.
void signals_init(context &c) noexcept;

// The one child /init keeps running on its own, the catch-all logger: started now with argv
// (which must stay valid) as how says, and started again, at most once a second, whenever it
// dies while sys::wait_for or sys::reap_until_empty runs, until stop_keeping().  While it is
// down, we copy what can be read from its input, drain_from, to drain_to ourselves, so that
// nothing waits for it: with a logger that cannot run at all, the lines end up there, not
// blocked.  drain_from must be non-blocking, and a description of its own (the writers must
// not see its flags).
void keep_running(context &c, char const *const *argv, spawn_how how, int drain_from,
                  int drain_to) noexcept;
void stop_keeping(context &c) noexcept;

// runtime.cc: stage 1's file-system work, in the order stage 1 calls them.

// Chooses and prepares the run-time directory (cfg.run_dir); exits 100 if there is none.
void setup_run_dir(context &c) noexcept;
// /var/run -> /run, as s6-overlay makes it (root only, and only for the real /run).
void make_var_run(context const &c) noexcept;
// s6-overlay v2's paths under the run-time dir, as links to ours.
void v2_links(context const &c) noexcept;
// RUN/s6/basedir/bin/{halt,poweroff,reboot,shutdown}, s6-overlay v3's paths.
void link_hpr(context const &c) noexcept;
// The environment, one file per variable, in cfg.env_dir().
void dump_env(context const &c) noexcept;

// logger.cc

// S6_LOGGING: starts the catch-all logger and sends our stdout and stderr to it.
void start_logger(context &c) noexcept;

} // namespace init
