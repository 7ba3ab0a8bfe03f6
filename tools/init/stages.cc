// Stages 1, 2 and 3 of /init (see main.cc for the overview).
#include "stages.hh"
#include "sys.hh"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/envdir.hh>
#include <supervise/fd.hh>
#include <supervise/opts.hh>
#include <supervise/sibling.hh>
#include <supervise/status.hh>
#include <supervise/tai64n.hh>

#ifndef S6PP_BINDIR
#define S6PP_BINDIR "/usr/local/bin"
#endif

extern char **environ;

namespace init {
namespace {

constexpr char const *scan_dir = "/run/service";
constexpr char const *control_path = "/run/service/.s6-svscan/control";
constexpr char const *results_dir = "/run/s6-linux-init-container-results";
constexpr char const *exitcode_path = "/run/s6-linux-init-container-results/exitcode";
constexpr char const *staging_dir = "/run/s6/services-staging";
constexpr char const *docker_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool keep_env = false;

// One progress line on stderr, as s6-overlay prints them ("[cont-init.d] NAME: exited 0.").
template <class... A>
void say(A const &...a) noexcept
{
    std::string line;
    (line.append(std::string_view(a)), ...);
    line += '\n';
    sv::write_full(2, line);
}

// An S6_* setting.  Read late, like v2's printcontenv: from the container environment dump
// (so a cont-init script can change it), or from our own environment under S6_KEEP_ENV.
bool setting(char const *name, std::string &out) noexcept
{
    out.clear();
    if (keep_env) {
        char const *v = getenv(name);
        if (!v) return false;
        out = v;
        return true;
    }
    std::string path = std::string(sv::container_env_path) + "/" + name;
    if (!read_file(path.c_str(), out)) return false;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return true;
}

// A numeric setting: unset or empty gives def; anything but decimal digits gives def and a
// warning (s6-overlay silently falls back; we say so).
unsigned num_setting(char const *name, unsigned def) noexcept
{
    std::string v;
    if (!setting(name, v) || v.empty()) return def;
    unsigned u;
    if (sv::scan_uint(v, u)) return u;
    sv::warn("invalid value for ", name, ": ", v, " (not a number); using the default ",
             sv::dec(def));
    return def;
}

void write_exitcode(int code) noexcept
{
    if (!write_file(exitcode_path, std::string(sv::dec(code)) + "\n"))
        sv::warn_sys("unable to write ", exitcode_path);
}

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
        say("[", tag, "] ", name, ": unable to run ", path, ": it ", explain_exec_failure(path.c_str(), e));
        say("[", tag, "] ", name, ": exited ", sv::dec(code), ".");
        return code;
    }
    int ws = 0;
    std::int64_t deadline = maxtime_ms ? sv::mono_ms() + maxtime_ms : -1;
    switch (wait_for(pid, ws, deadline, stoppable)) {
    case wake::child:
        break;
    case wake::stop:
        kill(pid, SIGTERM); // stage 3's broadcast will reap it
        say("[", tag, "] ", name, ": interrupted by a stop request");
        return -1;
    case wake::timeout:
        say("[", tag, "] ", name, ": still running after ", sv::dec(maxtime_ms),
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
    sv::unique_fd fd(open(control_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    return fd && sv::write_full(fd.get(), &c, 1);
}

void make_var_run() noexcept
{
    struct stat st;
    if (lstat("/var/run", &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            char buf[PATH_MAX];
            ssize_t n = readlink("/var/run", buf, sizeof buf - 1);
            std::string_view t(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
            if (t != "/run" && t != "../run" && t != "/run/")
                sv::warn("/var/run is a link to ", t, ", not to /run");
            return;
        }
        // An empty directory is replaced; one with content is left alone (with a warning)
        // rather than wiped as s6-overlay v3's preinit does.
        if (!S_ISDIR(st.st_mode) || rmdir("/var/run") < 0) {
            sv::warn("/var/run exists and is not a link to /run; leaving it alone");
            return;
        }
    } else {
        mkdir("/var", 0755);
    }
    if (symlink("/run", "/var/run") < 0) sv::warn_sys("unable to link /var/run to /run");
}

// One file per variable: the value plus a newline, as s6-linux-init -s writes it (read back
// by with-contenv with s6-envdir -Lf semantics, which removes that newline).
void dump_env() noexcept
{
    char const *dir = sv::container_env_path;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        sv::warn_sys("unable to mkdir ", dir);
        return;
    }
    for (char **e = environ; *e; e++) {
        std::string_view kv = *e;
        auto eq = kv.find('=');
        if (eq == 0 || eq == kv.npos) continue;
        std::string_view n = kv.substr(0, eq);
        if (n[0] == '.' || n.find('/') != n.npos) continue; // not representable as a file
        std::string path = std::string(dir) + "/" + std::string(n);
        std::string val = std::string(kv.substr(eq + 1)) + "\n";
        if (!write_file(path.c_str(), val)) sv::warn_sys("unable to write ", path);
    }
}

// /run/s6/basedir/bin/{halt,poweroff,reboot,shutdown}, s6-overlay v3's paths, as links to us.
void link_hpr() noexcept
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return;
    self[n] = 0;
    mkdir("/run/s6/basedir", 0755);
    mkdir("/run/s6/basedir/bin", 0755);
    for (char const *name : {"halt", "poweroff", "reboot", "shutdown"}) {
        std::string l = std::string("/run/s6/basedir/bin/") + name;
        symlink(self, l.c_str());
    }
}

void start_svscan(boot &b) noexcept
{
    sv::path_buf exe;
    if (!sv::sibling_path("s6-svscan", S6PP_BINDIR, exe)) {
        sv::warn_sys("unable to find s6-svscan");
        return;
    }
    // Neither next to us nor in the compile-time bindir (a copied /init): try $PATH.
    bool const found = access(exe.c_str(), X_OK) == 0;
    char const *argv[] = {found ? exe.c_str() : "s6-svscan", scan_dir, nullptr};
    pid_t pid = spawn(argv, nullptr,
                      {.devnull_stdin = true, .new_session = true, .search_path = !found});
    if (pid < 0) {
        sv::warn_sys("unable to spawn ", exe.view(), "; no supervision tree");
        return;
    }
    b.svscan = pid;
    // Wait (bounded) until it listens on its control FIFO, so the rescan in stage 2 lands.
    std::int64_t const give_up = sv::mono_ms() + 5000;
    while (!sv::unique_fd(open(control_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC))) {
        int ws;
        if (sv::mono_ms() >= give_up) {
            sv::warn("s6-svscan does not listen on ", control_path, " after 5 s");
            return;
        }
        if (wait_for(pid, ws, sv::mono_ms() + 10, false) == wake::child) {
            sv::warn("s6-svscan exited with code ", sv::dec(status_code(ws)));
            b.svscan = 0;
            return;
        }
    }
}

// Stops after stage 2 has failed (BEHAV 1): the container stays up, idle, until stopped.
void idle() noexcept
{
    int ws;
    while (wait_for(0, ws, -1, true) != wake::stop) {}
}

// Copies each directory of /etc/services.d into the scan dir (through a staging dir on the
// same file system, so s6-svscan never sees half a copy) and tells s6-svscan to rescan.
void services_up(boot &b) noexcept
{
    std::string const src = "/etc/services.d";
    auto names = sorted_entries(src.c_str());
    if (names.empty()) return;
    mkdir(staging_dir, 0755);
    for (auto const &n : names) {
        struct stat st;
        std::string from = src + "/" + n, tmp = std::string(staging_dir) + "/" + n;
        if (stat(from.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) continue;
        std::string to = std::string(scan_dir) + "/" + n;
        rm_rf(tmp.c_str());
        if (!copy_tree(from, tmp) || rename(tmp.c_str(), to.c_str()) < 0) {
            sv::warn_sys("unable to copy ", from, " to ", to);
            continue;
        }
        b.services.push_back(n);
    }
    rmdir(staging_dir);
    if (!svscanctl('a')) sv::warn_sys("unable to tell s6-svscan to rescan ", scan_dir);
}

// S6_CMD_WAIT_FOR_SERVICES: waits until every copied service without a down file is up
// (ready, if it has notification-fd).  False on timeout or stop.
bool wait_services(boot const &b, unsigned maxtime) noexcept
{
    std::int64_t const deadline = maxtime ? sv::mono_ms() + maxtime : -1;
    for (auto const &n : b.services) {
        std::string dir = std::string(scan_dir) + "/" + n;
        if (access((dir + "/down").c_str(), F_OK) == 0) continue;
        bool const need_ready = access((dir + "/notification-fd").c_str(), F_OK) == 0;
        for (;;) {
            sv::status st;
            if (sv::status_read(dir, st) && st.is_up() && (!need_ready || st.ready)) break;
            int ws;
            std::int64_t next = sv::mono_ms() + 20;
            if (deadline >= 0 && next > deadline) next = deadline;
            if (wait_for(0, ws, next, true) == wake::stop) return false;
            if (deadline >= 0 && sv::mono_ms() >= deadline) {
                say("[s6-init] service ", n, " is not ", need_ready ? "ready" : "up",
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
        if (!sv::envdir_read(sv::container_env_path, sv::envdir_flag::noclamp |
                             sv::envdir_flag::verbatim, '\n', changes))
            sv::warn_sys("unable to read ", sv::container_env_path);
        env = sv::env_merged(changes);
        for (auto const &e : env) envp.push_back(e.c_str());
        envp.push_back(nullptr);
    }
    pid_t pid = spawn(argv.data(), keep_env ? nullptr : envp.data(),
                      {.new_pgrp = true, .search_path = true});
    if (pid < 0) {
        int e = errno;
        int code = e == ENOENT ? sv::exitcode::exec_not_found : sv::exitcode::exec_failed;
        if (e == ENOENT && !strchr(argv[0], '/'))
            say("[cmd] unable to run ", words[0], ": not found in PATH");
        else
            say("[cmd] unable to run ", words[0], ": it ", explain_exec_failure(argv[0], e));
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

} // namespace

void stage1(boot &b) noexcept
{
    umask(022);
    if (!getenv("PATH")) setenv("PATH", docker_path, 1);
    keep_env = b.keep_env = sv::keep_env(getenv("S6_KEEP_ENV"));
    if (mkdir("/run", 0755) < 0 && errno != EEXIST)
        sv::die_sys(sv::exitcode::system, "unable to mkdir /run");
    // Whatever a previous run of this container left is stale (s6-overlay #379).
    for (char const *d : {"/run/s6", scan_dir, results_dir}) {
        if (!rm_rf(d)) sv::warn_sys("unable to remove stale ", d);
        if (mkdir(d, 0755) < 0 && errno != EEXIST)
            sv::die_sys(sv::exitcode::system, "unable to mkdir ", d);
    }
    make_var_run();
    write_exitcode(0);
    write_file("/run/s6/init.pid", std::string(sv::dec(getpid())) + "\n");
    link_hpr();
    if (!keep_env) {
        dump_env();
        // From here on, stages and the supervision tree see PATH only, as in s6-overlay.
        std::string path = getenv("PATH");
        clearenv();
        setenv("PATH", path.c_str(), 1);
    }
    start_svscan(b);
}

void stage2(boot &b) noexcept
{
    unsigned const behav = num_setting("S6_BEHAVIOUR_IF_STAGE2_FAILS", 0);
    if (behav > 2) sv::warn("S6_BEHAVIOUR_IF_STAGE2_FAILS=", sv::dec(behav), " taken as 2");

    // fix-attrs.d: never fatal (s6-overlay v2).  Each file goes to our fix-attrs.
    sv::path_buf fa;
    sv::sibling_path("fix-attrs", S6PP_BINDIR, fa);
    for (auto const &n : sorted_entries("/etc/fix-attrs.d")) {
        std::string f = "/etc/fix-attrs.d/" + n;
        char const *argv[] = {fa.c_str(), f.c_str(), nullptr};
        say("[fix-attrs.d] ", n, ": applying...");
        pid_t pid = spawn(argv, nullptr, {});
        int ws = 0, code = sv::exitcode::exec_failed;
        if (pid < 0) sv::warn_sys("unable to spawn ", fa.view());
        else if (wait_for(pid, ws, -1, true) == wake::stop) return;
        else code = status_code(ws);
        say("[fix-attrs.d] ", n, ": exited ", sv::dec(code), ".");
    }

    // cont-init.d: with BEHAV 0 failures are ignored; otherwise the first one stops stage 2.
    int failed = 0;
    for (auto const &n : sorted_entries("/etc/cont-init.d")) {
        if (stop_signal) return;
        int code = run_script("cont-init.d", "/etc/cont-init.d", n, 0, true);
        if (code < 0) return;
        if (code && behav) {
            failed = code;
            break;
        }
    }
    if (stop_signal) return;
    if (failed) {
        write_exitcode(failed);
        if (behav == 1) {
            say("[s6-init] stage 2 failed (exit code ", sv::dec(failed),
                "): no services.d, no CMD; the container stays up until it is stopped");
            idle();
        } else {
            say("[s6-init] stage 2 failed (exit code ", sv::dec(failed), "): stopping");
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
    write_exitcode(code);
}

int stage3(boot &b) noexcept
{
    unsigned const finish_max = num_setting("S6_KILL_FINISH_MAXTIME", 5000);
    unsigned const services_grace = num_setting("S6_SERVICES_GRACETIME", 3000);
    unsigned const kill_grace = num_setting("S6_KILL_GRACETIME", 3000);

    for (auto const &n : sorted_entries("/etc/cont-finish.d"))
        run_script("cont-finish.d", "/etc/cont-finish.d", n, finish_max, false);

    if (b.svscan > 0) {
        say("[s6-finish] waiting for services.");
        if (!svscanctl('t')) kill(b.svscan, SIGTERM);
        int ws;
        if (wait_for(b.svscan, ws, sv::mono_ms() + services_grace, false) == wake::timeout)
            say("[s6-finish] services still running after ", sv::dec(services_grace), " ms");
    }

    say("[s6-finish] sending all processes the TERM signal.");
    broadcast(SIGTERM);
    broadcast(SIGCONT);
    if (!reap_until_empty(sv::mono_ms() + kill_grace)) {
        say("[s6-finish] sending all processes the KILL signal.");
        broadcast(SIGKILL);
        if (!reap_until_empty(sv::mono_ms() + 5000))
            sv::warn("some processes could not be reaped");
    }

    // The exit code: the exitcode file's first line (the CMD's status, or what a service or
    // script wrote before halt), modulo 256; empty or absent means 0.
    std::string txt;
    read_file(exitcode_path, txt);
    txt = txt.substr(0, txt.find('\n'));
    while (!txt.empty() && (txt.back() == ' ' || txt.back() == '\t' || txt.back() == '\r'))
        txt.pop_back();
    if (txt.empty()) return 0;
    unsigned long long v;
    if (!sv::scan_uint64(txt, v)) {
        sv::warn("invalid exit code in ", exitcode_path, ": ", txt);
        return sv::exitcode::usage;
    }
    return static_cast<int>(v % 256);
}

} // namespace init
