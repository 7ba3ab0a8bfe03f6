// The real side of /init that stage 1 and main.cc use directly (the stages' decisions go
// through the seam, sys.hh): the signalfd, stage 1's file-system work and the catch-all
// logger.
#pragma once

#include <string>

#include "context.hh"

namespace init {

// loop.cc

// Traps the signals /init handles (read from c.ev.signals).  Dies (111) on failure.
void signals_init(context &c) noexcept;


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
