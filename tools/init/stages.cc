// Stages 1, 2 and 3 of /init (see main.cc for the overview).
#include "stages.hh"
#include "context.hh"
#include "sys.hh"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/envdir.hh>
#include <supervise/fd.hh>
#include <supervise/fifodir.hh>
#include <supervise/opts.hh>
#include <supervise/status.hh>
#include <supervise/tai64n.hh>

namespace init {
namespace {

constexpr char const *docker_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Runs one stage script (no arguments) and returns its exit code (128+signal if killed),
// 126/127 if it could not be started, or -1 if a stop signal came first (stoppable only).
// A script still running at maxtime_ms (0: no limit) is SIGKILLed.
int run_script(std::string_view tag, std::string const &dir, std::string const &name,
               unsigned maxtime_ms, bool stoppable) noexcept
{
    std::string path = dir + "/" + name;
    char const *argv[] = {path.c_str(), nullptr};
    say("[", tag, "] ", name, ": executing...");
    pid_t pid = spawn(argv, nullptr, {});
    if (pid < 0) {
        int e = errno;
        int code = e == ENOENT ? sv::exitcode::exec_not_found : sv::exitcode::exec_failed;
        complain("[", tag, "] ", name, ": unable to run ", path, ": it ",
                 explain_exec_failure(path.c_str(), e));
        say("[", tag, "] ", name, ": exited ", sv::dec(code), ".");
        return code;
    }
    int ws = 0;
    std::int64_t deadline = maxtime_ms ? sv::mono_ms() + maxtime_ms : -1;
    switch (wait_for(pid, ws, deadline, stoppable)) {
    case wake::child:
    case wake::fd: // no wake_fd is set while a script runs
        break;
    case wake::stop:
        kill(pid, SIGTERM); // stage 3's broadcast will reap it
        say("[", tag, "] ", name, ": interrupted by a stop request");
        return -1;
    case wake::timeout:
        complain("[", tag, "] ", name, ": still running after ", sv::dec(maxtime_ms),
                 " ms; killing it");
        kill(pid, SIGKILL);
        wait_for(pid, ws, -1, false);
        break;
    }
    int code = status_code(ws);
    say("[", tag, "] ", name, ": exited ", sv::dec(code), ".");
    return code;
}

// Writes one control letter to s6-svscan; false if nobody listens.
bool svscanctl(char c) noexcept
{
    std::string const ctl = scan_dir() + "/.s6-svscan/control";
    sv::unique_fd fd(open(ctl.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    return fd && sv::write_full(fd.get(), &c, 1);
}

void start_svscan(boot &b) noexcept
{
    bool search;
    std::string const exe = our_program("s6-svscan", search);
    std::string const scan = scan_dir();
    char const *argv[] = {exe.c_str(), scan.c_str(), nullptr};
    pid_t pid = spawn(argv, nullptr,
                      {.devnull_stdin = true, .new_session = true, .search_path = search});
    if (pid < 0) {
        warning_sys("unable to spawn ", exe, "; no supervision tree");
        return;
    }
    b.svscan = pid;
    // Wait (bounded) until it listens on its control FIFO, so the rescan in stage 2 lands.
    std::string const ctl = scan + "/.s6-svscan/control";
    std::int64_t const give_up = sv::mono_ms() + 5000;
    while (!sv::unique_fd(open(ctl.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC))) {
        int ws;
        if (sv::mono_ms() >= give_up) {
            warning("s6-svscan does not listen on ", ctl, " after 5 s");
            break;
        }
        if (wait_for(pid, ws, sv::mono_ms() + 10, false) == wake::child) {
            warning("s6-svscan exited with code ", sv::dec(status_code(ws)));
            b.svscan = 0; // no tree from the start: go on without one
            return;
        }
    }
    svscan_pid = pid; // from now on, its exit stops the container
}

// Stops after stage 2 has failed (BEHAV 1): the container stays up, idle, until stopped.
void idle() noexcept
{
    int ws;
    while (wait_for(0, ws, -1, true) != wake::stop) {}
}

// What is wrong with the service directory dir, in one line naming the file and the fix, or
// "" if nothing is.
std::string service_problem(std::string const &dir) noexcept
{
    struct stat st;
    bool const has_log = stat((dir + "/log").c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    struct {
        char const *file;
        bool required;
    } const files[] = {{"/run", true}, {"/finish", false}, {"/log/run", has_log},
                       {"/log/finish", false}};
    for (auto const &f : files) {
        std::string const path = dir + f.file;
        if (stat(path.c_str(), &st) < 0) {
            if (f.required) return path + " is missing: a service needs an executable run file";
            continue;
        }
        std::string const why = exec_problem(path.c_str());
        if (!why.empty()) return path + " " + why;
    }
    return {};
}

// Copies each directory of services.d into the scan dir (through a staging dir on the same
// file system, so s6-svscan never sees half a copy) and tells s6-svscan to rescan.
void services_up(boot &b) noexcept
{
    std::string const src = etc_dir + "/services.d";
    auto names = sorted_entries(src.c_str());
    if (names.empty()) return;
    std::string const staging = under_run("/s6/services-staging");
    mkdir(staging.c_str(), 0755);
    for (auto const &n : names) {
        struct stat st;
        std::string from = src + "/" + n, tmp = staging + "/" + n;
        if (stat(from.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) continue;
        std::string to = scan_dir() + "/" + n;
        rm_rf(tmp.c_str());
        if (!copy_tree(from, tmp, link_exec) || rename(tmp.c_str(), to.c_str()) < 0) {
            warning_sys("unable to copy ", from, " to ", to);
            continue;
        }
        b.services.push_back(n);
    }
    rmdir(staging.c_str());
    if (!svscanctl('a')) warning_sys("unable to tell s6-svscan to rescan ", scan_dir());
}

// S6_CMD_WAIT_FOR_SERVICES: waits until every copied service without a down file is up
// (ready, if it has notification-fd).  False on timeout or stop.  Each service's event/
// fifodir wakes us when its state changes (subscribed to before the status is read, so no
// change can slip in between), as s6-svwait does.
bool wait_services(boot const &b, unsigned maxtime) noexcept
{
    std::int64_t const deadline = maxtime ? sv::mono_ms() + maxtime : -1;
    for (auto const &n : b.services) {
        std::string dir = scan_dir() + "/" + n;
        if (access((dir + "/down").c_str(), F_OK) == 0) continue;
        bool const need_ready = access((dir + "/notification-fd").c_str(), F_OK) == 0;
        sv::listener events;
        // Without a subscription (s6-supervise has not made event/ yet and we could not
        // either), a 20 ms poll of the status file does the job.
        bool const subscribed = events.subscribe(dir + "/event");
        struct watching { // wait_for watches the subscription while we are here
            explicit watching(int fd) noexcept { wake_fd = fd; }
            ~watching() { wake_fd = -1; }
        } const w_guard(subscribed ? events.fd() : -1);
        for (;;) {
            sv::status st;
            if (sv::status_read(dir, st) && st.is_up() && (!need_ready || st.ready)) break;
            int ws;
            std::int64_t next = subscribed ? deadline : sv::mono_ms() + 20;
            if (deadline >= 0 && (next < 0 || next > deadline)) next = deadline;
            wake const w = wait_for(0, ws, next, true);
            if (w == wake::fd) {
                char buf[64];
                events.wait(buf, sizeof buf, 0);
            }
            if (w == wake::stop) return false;
            if (deadline >= 0 && sv::mono_ms() >= deadline) {
                complain("[s6-init] service ", n, " is not ", need_ready ? "ready" : "up",
                         " after ", sv::dec(maxtime), " ms");
                return false;
            }
        }
    }
    return true;
}

// Runs the CMD in its own process group with the container environment, and waits for it;
// returns its exit code (128+signal if killed).
int run_cmd(boot const &b) noexcept
{
    std::vector<std::string> words;
    std::string arg0;
    // S6_CMD_ARG0 is split on blanks and newlines (v3 splits on spaces, v2 on newlines).
    if (setting("S6_CMD_ARG0", arg0)) {
        std::size_t i = 0;
        while (i < arg0.size()) {
            auto j = arg0.find_first_of(" \t\n", i);
            if (j == arg0.npos) j = arg0.size();
            if (j > i) words.push_back(arg0.substr(i, j - i));
            i = j + 1;
        }
    }
    words.insert(words.end(), b.cmd.begin(), b.cmd.end());
    std::vector<char const *> argv;
    for (auto const &w : words) argv.push_back(w.c_str());
    argv.push_back(nullptr);

    // The environment: ours (KEEP_ENV), or PATH plus the container environment dump, read as
    // with-contenv reads it, so what cont-init scripts wrote there reaches the CMD.
    std::vector<std::string> env;
    std::vector<char const *> envp;
    if (!keep_env) {
        std::vector<sv::env_change> changes;
        if (!sv::envdir_read(env_dir().c_str(), sv::envdir_flag::noclamp |
                             sv::envdir_flag::verbatim, '\n', changes))
            warning_sys("unable to read ", env_dir());
        env = sv::env_merged(changes);
        for (auto const &e : env) envp.push_back(e.c_str());
        envp.push_back(nullptr);
    }
    // S6_LOGGING 1: the CMD still writes to the container's output; 2: to the logger too.
    spawn_how how{.new_pgrp = true, .search_path = true};
    if (logging == 1) {
        how.out = console_out;
        how.err = console_err;
    }
    pid_t pid = spawn(argv.data(), keep_env ? nullptr : envp.data(), how);
    if (pid < 0) {
        int e = errno;
        int code = e == ENOENT ? sv::exitcode::exec_not_found : sv::exitcode::exec_failed;
        if (e == ENOENT && !strchr(argv[0], '/'))
            complain("[cmd] unable to run ", words[0], ": not found in PATH");
        else
            complain("[cmd] unable to run ", words[0], ": it ", explain_exec_failure(argv[0], e));
        return code;
    }
    cmd_pid = pid;
    // A terminal on stdin: give the CMD the foreground, as s6-setsid -g did in v2.
    if (isatty(0)) tcsetpgrp(0, pid);
    int ws = 0;
    wait_for(pid, ws, -1, false);
    cmd_pid = 0;
    return status_code(ws);
}

// fix-attrs.d: never fatal (s6-overlay v2).  Each file goes to our fix-attrs, with the
// container's S6_FIX_ATTRS_HIDDEN.  False if a stop signal interrupted it.
bool fix_attrs() noexcept
{
    std::string const dir = etc_dir + "/fix-attrs.d";
    auto const names = sorted_entries(dir.c_str());
    if (names.empty()) return true;
    bool search;
    std::string const fa = our_program("fix-attrs", search);
    std::string hidden = "S6_FIX_ATTRS_HIDDEN=", v;
    if (setting("S6_FIX_ATTRS_HIDDEN", v)) hidden += v;
    std::string const path = std::string("PATH=") + getenv("PATH");
    char const *envp[] = {path.c_str(), hidden.c_str(), nullptr};
    for (auto const &n : names) {
        std::string f = dir + "/" + n;
        char const *argv[] = {fa.c_str(), f.c_str(), nullptr};
        say("[fix-attrs.d] ", n, ": applying...");
        pid_t pid = spawn(argv, envp, {.search_path = search});
        int ws = 0, code = sv::exitcode::exec_failed;
        if (pid < 0) warning_sys("unable to spawn ", fa);
        else if (wait_for(pid, ws, -1, true) == wake::stop) return false;
        else code = status_code(ws);
        say("[fix-attrs.d] ", n, ": exited ", sv::dec(code), ".");
    }
    return true;
}

// Says, before anything runs, what will fail later: each cont-finish.d script that cannot
// be executed (cont-init.d scripts are diagnosed as they run, services.d before the copy).
void check_finish_scripts() noexcept
{
    std::string const dir = etc_dir + "/cont-finish.d";
    for (auto const &n : sorted_entries(dir.c_str())) {
        std::string const path = dir + "/" + n;
        std::string const why = exec_problem(path.c_str());
        if (!why.empty()) complain("[cont-finish.d] ", n, ": will not run: ", path, " ", why);
    }
}

} // namespace

void stage1(boot &b) noexcept
{
    umask(022);
    if (!getenv("PATH")) setenv("PATH", docker_path, 1);
    keep_env = b.keep_env = sv::keep_env(getenv("S6_KEEP_ENV"));
    verbosity = live_setting("S6_VERBOSITY", 2);
    setup_run_dir();
    // Whatever a previous run of this container left is stale (s6-overlay #379).
    for (char const *rel : {"/s6", "/service", "/s6-linux-init-container-results"}) {
        std::string const d = under_run(rel);
        if (!rm_rf(d.c_str())) warning_sys("unable to remove stale ", d);
        if (mkdir(d.c_str(), 0755) < 0 && errno != EEXIST)
            sv::die_sys(sv::exitcode::system, "unable to mkdir ", d);
    }
    struct statvfs vfs;
    link_exec = statvfs(run_dir.c_str(), &vfs) == 0 && (vfs.f_flag & ST_NOEXEC);
    if (link_exec)
        say("[s6-init] ", run_dir, " is mounted noexec: services.d programs are linked, not copied");
    make_var_run();
    write_exitcode(0);
    v2_links();
    write_file(under_run("/s6/init.pid").c_str(), std::string(sv::dec(getpid())) + "\n");
    link_hpr();
    logging = live_setting("S6_LOGGING", 0);
    if (!keep_env) {
        dump_env();
        // From here on, stages and the supervision tree see PATH only, as in s6-overlay
        // (and S6_RUNTIME_DIR, without which our tools would not find the run-time dir).
        std::string path = getenv("PATH");
        char const *rd = getenv("S6_RUNTIME_DIR");
        std::string runtime = rd ? rd : "";
        clearenv();
        setenv("PATH", path.c_str(), 1);
        if (!runtime.empty()) setenv("S6_RUNTIME_DIR", runtime.c_str(), 1);
    }
    if (logging) start_logger();
    start_svscan(b);
}

void stage2(boot &b) noexcept
{
    unsigned const behav = num_setting("S6_BEHAVIOUR_IF_STAGE2_FAILS", 0);
    if (behav > 2) warning("S6_BEHAVIOUR_IF_STAGE2_FAILS=", sv::dec(behav), " taken as 2");
    std::string profile;
    if (setting("S6_RUNTIME_PROFILE", profile) && !profile.empty()) {
        etc_dir = "/etc/cont-profile.d/" + profile;
        struct stat st;
        if (stat(etc_dir.c_str(), &st) < 0) warning_sys("S6_RUNTIME_PROFILE: no ", etc_dir);
    }
    v2_etc_links();
    check_finish_scripts();
    if (!fix_attrs()) return;

    // cont-init.d: with BEHAV 0 failures are ignored; otherwise the first one stops stage 2.
    int failed = 0;
    std::string const init_dir = etc_dir + "/cont-init.d";
    for (auto const &n : sorted_entries(init_dir.c_str())) {
        if (stop_signal) return;
        int code = run_script("cont-init.d", init_dir, n, 0, true);
        if (code < 0) return;
        if (code && behav) {
            failed = code;
            break;
        }
    }
    if (stop_signal) return;

    // services.d entries that s6-supervise could not run: said now, one line each.
    std::string const services_dir = etc_dir + "/services.d";
    if (!failed) {
        for (auto const &n : sorted_entries(services_dir.c_str())) {
            struct stat st;
            std::string const dir = services_dir + "/" + n;
            if (stat(dir.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) {
                // Ignored, as s6-overlay ignores it, but not silently.
                complain("[services.d] ", n, ": ", dir, " is not a directory; ignored (a "
                         "service is a directory with an executable run file)");
                continue;
            }
            std::string const why = service_problem(dir);
            if (why.empty()) continue;
            complain("[services.d] ", n, ": ", why);
            if (behav) failed = 1;
        }
    }
    if (failed) {
        write_exitcode(failed);
        if (behav == 1) {
            complain("[s6-init] stage 2 failed (exit code ", sv::dec(failed),
                     "): no services.d, no CMD; the container stays up until it is stopped");
            idle();
        } else {
            complain("[s6-init] stage 2 failed (exit code ", sv::dec(failed), "): stopping");
        }
        return;
    }

    services_up(b);
    if (!b.cmd.empty() && num_setting("S6_CMD_WAIT_FOR_SERVICES", 0) &&
        !wait_services(b, num_setting("S6_CMD_WAIT_FOR_SERVICES_MAXTIME", 5000))) {
        if (stop_signal) return;
        if (behav == 1) {
            write_exitcode(sv::exitcode::timeout);
            idle();
            return;
        }
        if (behav >= 2) {
            write_exitcode(sv::exitcode::timeout);
            return;
        }
    }
    if (stop_signal) return;

    if (b.cmd.empty()) {
        idle();
        return;
    }
    int code = run_cmd(b);
    say("[cmd] ", b.cmd[0], " exited ", sv::dec(code));
    // Stopped by halt and friends: the exit-code file has the last word (what a finish
    // script wrote before calling halt, say), not the SIGTERM the CMD got from us.
    if (!halt_requested) write_exitcode(code);
}

int stage3(boot &b) noexcept
{
    unsigned const finish_max = num_setting("S6_KILL_FINISH_MAXTIME", 5000);
    unsigned const services_grace = num_setting("S6_SERVICES_GRACETIME", 3000);
    unsigned const kill_grace = num_setting("S6_KILL_GRACETIME", 3000);
    bool const sync_disks = num_setting("S6_SYNC_DISKS", 0) != 0;

    svscan_pid = 0; // its exit is expected from now on
    if (svscan_lost >= 0) {
        // Already reaped: forget it, lest its pid, reused by now, get our signals.
        b.svscan = 0;
        bool const killed = WIFSIGNALED(svscan_lost);
        int const n = killed ? WTERMSIG(svscan_lost) : WEXITSTATUS(svscan_lost);
        if (!killed && n == 0) {
            say("[s6-init] s6-svscan exited: stopping");
        } else {
            complain("[s6-init] s6-svscan died (", killed ? "signal " : "exit code ",
                     sv::dec(n), "): stopping, exit code 111");
            write_exitcode(sv::exitcode::system);
        }
    }

    std::string const finish_dir = etc_dir + "/cont-finish.d";
    for (auto const &n : sorted_entries(finish_dir.c_str()))
        run_script("cont-finish.d", finish_dir, n, finish_max, false);

    if (b.svscan > 0) {
        say("[s6-finish] waiting for services.");
        if (!svscanctl('t')) kill(b.svscan, SIGTERM);
        int ws;
        if (wait_for(b.svscan, ws, sv::mono_ms() + services_grace, false) == wake::timeout)
            say("[s6-finish] services still running after ", sv::dec(services_grace), " ms");
    }
    if (sync_disks) sync();

    // The catch-all logger ignores TERM and reads until every writer is gone, so it drains
    // whatever the processes below still write before they die.
    release_logger();
    say("[s6-finish] sending all processes the TERM signal.");
    broadcast(SIGTERM);
    broadcast(SIGCONT);
    if (!reap_until_empty(sv::mono_ms() + kill_grace)) {
        say("[s6-finish] sending all processes the KILL signal.");
        broadcast(SIGKILL);
        if (!reap_until_empty(sv::mono_ms() + 5000))
            warning("some processes could not be reaped");
    }
    if (sync_disks) sync();

    // The exit code: the exitcode file's first line (the CMD's status, or what a service or
    // script wrote before halt), modulo 256; empty or absent means 0.
    std::string txt;
    std::string const path = exitcode_path();
    read_file(path.c_str(), txt);
    txt = txt.substr(0, txt.find('\n'));
    while (!txt.empty() && (txt.back() == ' ' || txt.back() == '\t' || txt.back() == '\r'))
        txt.pop_back();
    if (txt.empty()) return 0;
    unsigned long long v;
    if (!sv::scan_uint64(txt, v)) {
        sv::warn("invalid exit code in ", path, ": ", txt);
        return sv::exitcode::usage;
    }
    return static_cast<int>(v % 256);
}

} // namespace init
