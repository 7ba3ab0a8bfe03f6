// Stage 2 of /init (see main.cc for the overview): fix-attrs.d, cont-init.d, services.d, the
// CMD.  Every decision is here, over the context; the system is behind the seam (sys.hh).
//
// What a failure does depends on S6_BEHAVIOUR_IF_STAGE2_FAILS (behav below):
//   fix-attrs.d fails         never fatal: reported, stage 2 goes on (all behaviours)
//   a cont-init.d script      0: ignored.  1 and 2: stage 2 ends there; its code goes to the
//   exits non-zero               exit-code file, and no services, no CMD start
//   a services.d entry is     0: reported, installed anyway.  1 and 2: as a cont-init.d
//   broken                       failure, with code 1 (every broken entry is reported first)
//   S6_CMD_WAIT_FOR_SERVICES  0: the CMD starts anyway.  1 and 2: code 99 and no CMD
//   times out
// and then 1 keeps the container up, idle, until it is told to stop, while 2 stops it.  A
// stop request (a signal, halt) ends stage 2 wherever it is.
#include "stages.hh"
#include "sys.hh"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <supervise/diag.hh>

namespace init {

std::string explain_exec_failure(std::string const &path, int e) noexcept
{
    std::string why = sys::exec_problem(path);
    if (!why.empty()) return why;
    if (e == ENOEXEC) return "is neither a binary nor a script with a #! line";
    return std::string("cannot be executed: ") + strerror(e);
}

int run_script(context &c, std::string_view tag, std::string const &dir,
               std::string const &name, unsigned maxtime_ms, bool stoppable) noexcept
{
    std::string path = dir + "/" + name;
    char const *argv[] = {path.c_str(), nullptr};
    say(c, "[", tag, "] ", name, ": executing...");
    pid_t pid = sys::spawn(c, argv, nullptr, {});
    if (pid < 0) {
        int e = errno;
        int code = e == ENOENT ? sv::exitcode::exec_not_found : sv::exitcode::exec_failed;
        complain("[", tag, "] ", name, ": unable to run ", path, ": it ",
                 explain_exec_failure(path, e));
        say(c, "[", tag, "] ", name, ": exited ", sv::dec(code), ".");
        return code;
    }
    int ws = 0;
    std::int64_t deadline = maxtime_ms ? sys::now_ms() + maxtime_ms : -1;
    switch (sys::wait_for(c, pid, ws, deadline, stoppable)) {
    case wake::child:
    case wake::fd: // no wake_fd is set while a script runs
        break;
    case wake::stop:
        sys::signal(pid, SIGTERM); // stage 3's broadcast will reap it
        say(c, "[", tag, "] ", name, ": interrupted by a stop request");
        return -1;
    case wake::timeout:
        complain("[", tag, "] ", name, ": still running after ", sv::dec(maxtime_ms),
                 " ms; killing it");
        sys::signal(pid, SIGKILL);
        sys::wait_for(c, pid, ws, -1, false);
        break;
    }
    int code = status_code(ws);
    say(c, "[", tag, "] ", name, ": exited ", sv::dec(code), ".");
    return code;
}

namespace {

// Stops after stage 2 has failed (behav 1), or without a CMD: the container stays up, idle,
// until it is told to stop.
void idle(context &c) noexcept
{
    sys::start_tree(c);
    sys::drop_boot_code();
    int ws;
    for (wake w; (w = sys::wait_for(c, 0, ws, -1, true)) != wake::stop;)
        if (w == wake::fd) rc_serve(c); // an s6-rc request
}

// S6_STAGE2_HOOK, as v3's rc.init runs it first thing, before the service database is
// compiled (so that the hook may patch /etc/s6-overlay/s6-rc.d): its value read as a
// setting, split into sh's fields (`$hook`), run with stage 2's environment, waited for.
// A failure is a warning at verbosity 1 and above, in rc.init's words, and nothing more:
// 3.1.5.0 goes on whatever the hook did (S6_BEHAVIOUR_IF_STAGE2_FAILS plays no part).  A
// hook that cannot be run is sh's "not found": code 127 (126 for any other exec error).
// False if a stop request came while it ran.
bool run_stage2_hook(context &c) noexcept
{
    std::string hook;
    if (!setting(c, "S6_STAGE2_HOOK", hook)) return true;
    std::vector<std::string> const words = sh_fields(hook);
    if (words.empty()) return true;
    std::vector<char const *> argv;
    for (auto const &w : words) argv.push_back(w.c_str());
    argv.push_back(nullptr);
    int code;
    pid_t const pid =
        sys::spawn(c, argv.data(), nullptr, {.devnull_stdin = true, .search_path = true});
    if (pid < 0) {
        int const e = errno;
        code = e == ENOENT ? sv::exitcode::exec_not_found : sv::exitcode::exec_failed;
        complain("[s6-init] S6_STAGE2_HOOK: unable to run ", words[0], ": it ",
                 e == ENOENT && !strchr(argv[0], '/') ? std::string("is not found in PATH")
                                                      : explain_exec_failure(words[0], e));
    } else {
        int ws = 0;
        if (sys::wait_for(c, pid, ws, -1, true) == wake::stop) {
            sys::signal(pid, SIGTERM); // stage 3's broadcast reaps it
            return false;
        }
        code = status_code(ws);
    }
    if (code > 0 && c.cfg.verbosity > 0)
        complain("/run/s6/basedir/scripts/rc.init: warning: hook ", hook, " exited ",
                 sv::dec(code));
    return true;
}

// S6_BEHAVIOUR_IF_STAGE2_FAILS, and S6_RUNTIME_PROFILE's etc dir.
unsigned read_behaviour(context &c) noexcept
{
    unsigned const behav = num_setting(c, "S6_BEHAVIOUR_IF_STAGE2_FAILS", 0);
    if (behav > 2) warning(c, "S6_BEHAVIOUR_IF_STAGE2_FAILS=", sv::dec(behav), " taken as 2");
    if (std::string const etc = profile_etc(c); etc != "/etc") {
        c.cfg.etc_dir = etc;
        if (!sys::exists(c.cfg.etc_dir))
            warning_sys(c, "S6_RUNTIME_PROFILE: no ", c.cfg.etc_dir);
    }
    return behav;
}

// Says, before anything runs, what will fail later: each cont-finish.d script that cannot
// be executed (cont-init.d scripts are diagnosed as they run, services.d before the copy).
void check_finish_scripts(context const &c) noexcept
{
    std::string const dir = c.cfg.etc("cont-finish.d");
    for (auto const &n : sys::sorted_entries(dir)) {
        std::string const path = dir + "/" + n;
        std::string const why = sys::exec_problem(path);
        if (!why.empty()) complain("[cont-finish.d] ", n, ": will not run: ", path, " ", why);
    }
}

} // namespace

// fix-attrs.d: never fatal (s6-overlay v2).  Each file goes to our fix-attrs, with the
// container's S6_FIX_ATTRS_HIDDEN.  False if a stop signal interrupted it.
bool fix_attrs(context &c) noexcept
{
    std::string const dir = c.cfg.etc("fix-attrs.d");
    auto const names = sys::sorted_entries(dir);
    if (names.empty()) return true;
    bool search;
    std::string const fa = sys::our_program("fix-attrs", search);
    std::string hidden = "S6_FIX_ATTRS_HIDDEN=", v;
    if (setting(c, "S6_FIX_ATTRS_HIDDEN", v)) hidden += v;
    char const *env_path = getenv("PATH");
    std::string const path = std::string("PATH=") + (env_path ? env_path : "");
    char const *envp[] = {path.c_str(), hidden.c_str(), nullptr};
    for (auto const &n : names) {
        std::string f = dir + "/" + n;
        char const *argv[] = {fa.c_str(), f.c_str(), nullptr};
        say(c, "[fix-attrs.d] ", n, ": applying...");
        pid_t pid = sys::spawn(c, argv, envp, {.search_path = search});
        int ws = 0, code = sv::exitcode::exec_failed;
        if (pid < 0) warning_sys(c, "unable to spawn ", fa);
        else if (sys::wait_for(c, pid, ws, -1, true) == wake::stop) return false;
        else code = status_code(ws);
        say(c, "[fix-attrs.d] ", n, ": exited ", sv::dec(code), ".");
    }
    return true;
}

namespace {

// cont-init.d, in order.  With behav 0 failures are ignored; otherwise the first one ends
// the loop, its code in failed.  False if a stop request came.
bool cont_init(context &c, unsigned behav, int &failed) noexcept
{
    std::string const dir = c.cfg.etc("cont-init.d");
    for (auto const &n : sys::sorted_entries(dir)) {
        if (c.ev.stop_signal) return false;
        int code = run_script(c, "cont-init.d", dir, n, 0, true);
        if (code < 0) return false;
        if (code && behav) {
            failed = code;
            break;
        }
    }
    return !c.ev.stop_signal;
}

// What is wrong with the service directory dir, in one line naming the file and the fix, or
// "" if nothing is.
std::string service_problem(std::string const &dir) noexcept
{
    bool const has_log = sys::is_dir(dir + "/log");
    struct {
        char const *file;
        bool required;
    } const files[] = {{"/run", true}, {"/finish", false}, {"/log/run", has_log},
                       {"/log/finish", false}};
    for (auto const &f : files) {
        std::string const path = dir + f.file;
        if (!sys::exists(path)) {
            if (f.required) return path + " is missing: a service needs an executable run file";
            continue;
        }
        std::string const why = sys::exec_problem(path);
        if (!why.empty()) return path + " " + why;
    }
    return {};
}

} // namespace

// services.d entries that s6-supervise could not run: said now, one line each.  Returns the
// failure code: 1 if one is broken and behav is not 0, else 0.
int check_services(context const &c, unsigned behav) noexcept
{
    int failed = 0;
    std::string const dir = c.cfg.etc("services.d");
    for (auto const &n : sys::sorted_entries(dir)) {
        std::string const sdir = dir + "/" + n;
        if (!sys::is_dir(sdir)) {
            // Ignored, as s6-overlay ignores it, but not silently.
            complain("[services.d] ", n, ": ", sdir, " is not a directory; ignored (a "
                     "service is a directory with an executable run file)");
            continue;
        }
        std::string const why = service_problem(sdir);
        if (why.empty()) continue;
        complain("[services.d] ", n, ": ", why);
        if (behav) failed = 1;
    }
    return failed;
}

// Copies each directory of services.d into the scan dir (through a staging dir on the same
// file system, so s6-svscan never sees half a copy) and tells s6-svscan to rescan.
void services_up(context &c) noexcept
{
    std::string const src = c.cfg.etc("services.d");
    auto names = sys::sorted_entries(src);
    if (names.empty()) return;
    sys::start_tree(c); // it starts while they are copied; the rescan waits in its FIFO
    std::string const staging = c.cfg.under_run("/s6/services-staging");
    sys::make_dir(staging);
    for (auto const &n : names) {
        std::string from = src + "/" + n;
        if (!sys::is_dir(from)) continue;
        std::string to = c.cfg.scan_dir() + "/" + n;
        if (!sys::install_service(c, from, staging + "/" + n, to)) {
            warning_sys(c, "unable to copy ", from, " to ", to);
            continue;
        }
        c.services.push_back(n);
    }
    sys::remove_dir(staging);
    if (!sys::svscanctl(c, 'a')) warning_sys(c, "unable to tell s6-svscan to rescan ",
                                              c.cfg.scan_dir());
}

// S6_CMD_WAIT_FOR_SERVICES: waits until every copied service without a down file is up
// (ready, if it has notification-fd).  False on timeout or stop.
bool wait_services(context &c, unsigned maxtime) noexcept
{
    std::int64_t const deadline = maxtime ? sys::now_ms() + maxtime : -1;
    for (auto const &n : c.services) {
        std::string dir = c.cfg.scan_dir() + "/" + n;
        if (sys::exists(dir + "/down")) continue;
        bool const need_ready = sys::exists(dir + "/notification-fd");
        switch (sys::wait_service(c, dir, need_ready, deadline)) {
        case service_wait::up: break;
        case service_wait::stop: return false;
        case service_wait::timeout:
            complain("[s6-init] service ", n, " is not ", need_ready ? "ready" : "up", " after ",
                     sv::dec(maxtime), " ms");
            return false;
        }
    }
    return true;
}

namespace {

// Ends stage 2 after a failure (behav 1 or 2) with code: recorded, then idle (1) or not (2).
void failed_stage2(context &c, unsigned behav, int code) noexcept
{
    write_exitcode(c, code);
    if (behav == 1) {
        complain("[s6-init] stage 2 failed (exit code ", sv::dec(code),
                 "): no services.d, no CMD; the container stays up until it is stopped");
        idle(c);
    } else {
        complain("[s6-init] stage 2 failed (exit code ", sv::dec(code), "): stopping");
    }
}

// The CMD's argv: S6_CMD_ARG0 split as v3's rc.init splits it (`$arg0 "$@"`: sh's fields,
// on spaces, tabs and newlines; v2 split on newlines only), then the CMD.
std::vector<std::string> cmd_words(context const &c) noexcept
{
    std::vector<std::string> words;
    std::string arg0;
    if (setting(c, "S6_CMD_ARG0", arg0)) words = sh_fields(arg0);
    words.insert(words.end(), c.cmd.begin(), c.cmd.end());
    return words;
}

// How long the CMD runs alone, without s6-svscan, unless something is sent to the tree
// (run_cmd).  Long enough for a small CMD's start; nothing waits for it.
constexpr int tree_grace_ms = 20;

// Runs the CMD in its own process group with the container environment, and waits for it;
// returns its exit code (128+signal if killed).
int run_cmd(context &c) noexcept
{
    std::vector<std::string> const words = cmd_words(c);
    std::vector<char const *> argv;
    for (auto const &w : words) argv.push_back(w.c_str());
    argv.push_back(nullptr);

    // The environment: ours (KEEP_ENV), or PATH plus the container environment dump.
    std::vector<std::string> env;
    std::vector<char const *> envp;
    if (!c.cfg.keep_env) {
        if (!sys::container_env(c, env)) warning_sys(c, "unable to read ", c.cfg.env_dir());
        for (auto const &e : env) envp.push_back(e.c_str());
        envp.push_back(nullptr);
    }
    // S6_LOGGING 1: v2's CMD still writes to the container's output; 2 (and v3's 1, whose
    // logger echoes every line to the container's stderr): to the logger.
    spawn_how how{.new_pgrp = true, .search_path = true};
    if (c.cfg.logging == 1 && !c.cfg.v3_logger) {
        how.out = c.log.console_out.get();
        how.err = c.log.console_err.get();
    }
    pid_t pid = sys::spawn(c, argv.data(), c.cfg.keep_env ? nullptr : envp.data(), how);
    if (pid < 0) {
        int e = errno;
        int code = e == ENOENT ? sv::exitcode::exec_not_found : sv::exitcode::exec_failed;
        if (e == ENOENT && !strchr(argv[0], '/'))
            complain("[cmd] unable to run ", words[0], ": not found in PATH");
        else
            complain("[cmd] unable to run ", words[0], ": it ", explain_exec_failure(words[0], e));
        return code;
    }
    c.ev.cmd_pid = pid;
    // A terminal on stdin: give the CMD the foreground, as s6-setsid -g did in v2.
    sys::give_terminal(pid);
    int ws = 0;
    wake w = wake::fd;
    if (!c.tree_started) {
        // The CMD's first moments are its own.  Starting the tree (a fork, and the pages
        // its start-up maps) and letting go of our boot's pages is page-table work, and on a
        // virtual machine that stalls the page faults of the CMD's own start on the other
        // processors: it doubled their cost here.  So the tree starts at the first command
        // sent to it (a write into the control FIFO we hold), or tree_grace_ms after the
        // CMD, whichever comes first, and not at all if the CMD is gone by then.
        int const was = c.ev.wake_fd;
        c.ev.wake_fd = c.scan_control_r.get();
        w = sys::wait_for(c, pid, ws, sys::now_ms() + tree_grace_ms, false);
        c.ev.wake_fd = was;
        if (w != wake::child) sys::start_tree(c);
    }
    sys::drop_boot_code(); // the CMD is on its way: what follows is waiting
    if (w != wake::child)
        while (sys::wait_for(c, pid, ws, -1, false) == wake::fd) rc_serve(c); // s6-rc's
    c.ev.cmd_pid = 0;
    return status_code(ws);
}

// v2's sequence: fix-attrs.d, cont-init.d, services.d and the wait for them.  False if
// stage 2 ends there.
bool v2_sequence(context &c, unsigned behav) noexcept
{
    if (!fix_attrs(c)) return false;
    int failed = 0;
    if (!cont_init(c, behav, failed)) return false;
    if (!failed) failed = check_services(c, behav);
    if (failed) {
        failed_stage2(c, behav, failed);
        return false;
    }
    services_up(c);
    if (!c.cmd.empty() && num_setting(c, "S6_CMD_WAIT_FOR_SERVICES", 0) &&
        !wait_services(c, num_setting(c, "S6_CMD_WAIT_FOR_SERVICES_MAXTIME", 5000))) {
        if (c.ev.stop_signal) return false;
        if (behav) {
            write_exitcode(c, sv::exitcode::timeout);
            if (behav == 1) idle(c);
            return false;
        }
    }
    return true;
}

} // namespace

void stage2(context &c) noexcept
{
    if (!run_stage2_hook(c)) return;
    unsigned const behav = read_behaviour(c);
    sys::v2_etc_links(c);
    check_finish_scripts(c);
    if (!(has_rc_source(c) ? rc_stage2(c, behav) : v2_sequence(c, behav))) return;
    if (c.ev.stop_signal) return;
    if (c.cmd.empty()) return idle(c);

    int code = run_cmd(c);
    say(c, "[cmd] ", c.cmd[0], " exited ", sv::dec(code));
    // Stopped by halt and friends: the exit-code file has the last word (what a finish
    // script wrote before calling halt, say), not the SIGTERM the CMD got from us.
    if (!c.ev.halt_requested) write_exitcode(c, code);
}

} // namespace init
