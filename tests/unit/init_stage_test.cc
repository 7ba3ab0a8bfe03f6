// /init's decisions (tools/init/stage2.cc, stage3.cc, settings.cc, events.cc), driven through
// a fake system seam (init::sys): what stage 2 does on each failure under each
// S6_BEHAVIOUR_IF_STAGE2_FAILS value, with and without a CMD; stop requests and halt; what
// stage 3 does, in which order; the exit-code file in each state; and what each signal and
// each death means.  The decision files are compiled into this test as they are into /init.
// The fake keeps files in a map, names processes by the path they run, and writes a trace
// of what the stages did to the system ("spawn cont-init.d/01", "exitcode 3", "idle", ...);
// a child's end, and the signals that arrive meanwhile, are scripted per program.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/rcsource.hh>
#include <supervise/signame.hh>
#include <supervise/status.hh>

#include "harness.hh"

#include "../../tools/init/stages.hh"
#include "../../tools/init/sys.hh"

namespace {

// How a program the stages start ends.
struct ending {
    int wstatus = 0;     // its wait status (W_EXITCODE)
    int signal_in = 0;   // a signal that reaches /init while it runs (0: none)
    bool hangs = false;  // still running at any deadline; dies of the SIGKILL that follows
    bool slow = false;   // still running at any deadline; then ends with wstatus
    int spawn_errno = 0; // it cannot be started at all: spawn fails with this
};

int exited(int code) { return W_EXITCODE(code, 0); }
int killed(int sig) { return W_EXITCODE(0, sig); }

struct fake_world {
    std::int64_t now = 1000;
    std::map<std::string, std::string> files; // path -> content
    std::set<std::string> dirs;
    std::map<std::string, std::string> problems; // path -> what exec_problem says
    std::map<std::string, ending> endings;       // program name (see name_of) -> its end
    std::map<std::string, init::service_wait> service_waits; // service name -> outcome
    std::set<std::string> install_fails;                      // services that cannot be copied
    bool svscan_listens = true;
    std::deque<bool> reaps;   // what each reap_until_empty returns (default: true)
    int idle_signal = SIGTERM; // what ends an idle wait (a docker stop)
    pid_t next_pid = 100;
    std::map<pid_t, std::string> names; // pid -> program name
    std::vector<std::string> trace;
    std::vector<std::string> cmd_env; // the environment the last CMD was started with
    bool cmd_own_group = false;       // and whether in its own process group
    int stuck = 0;                    // waits that could never end (the fake says stop)
} w;

// A program's name in the trace: its path without "/etc/", or its bare name.
std::string name_of(char const *argv0)
{
    std::string n = argv0;
    return n.rfind("/etc/", 0) == 0 ? n.substr(5) : n;
}

std::string sig_text(int sig)
{
    if (sig >= init::halt_signal(0) && sig <= init::halt_signal(2))
        return "RTMIN+" + std::to_string(sig - SIGRTMIN);
    return std::string(sv::sig_name(sig));
}

std::string pid_text(pid_t pid)
{
    auto it = w.names.find(pid);
    return it == w.names.end() ? std::to_string(pid) : it->second;
}

// Everything the stages wrote on stderr, through a memfd put in place of fd 2.
class stderr_capture {
public:
    stderr_capture()
    {
        mem_ = memfd_create("init-stage-test", MFD_CLOEXEC);
        saved_ = dup(2);
        REQUIRE(mem_ >= 0);
        REQUIRE(saved_ >= 0);
        REQUIRE(dup2(mem_, 2) == 2);
    }
    ~stderr_capture()
    {
        dup2(saved_, 2);
        close(saved_);
        close(mem_);
    }
    std::string text() const
    {
        std::string s;
        char buf[4096];
        ssize_t n;
        for (off_t off = 0; (n = pread(mem_, buf, sizeof buf, off)) > 0; off += n)
            s.append(buf, static_cast<std::size_t>(n));
        return s;
    }
    bool has(std::string const &line) const { return text().find(line) != std::string::npos; }

private:
    int mem_ = -1, saved_ = -1;
};

void reset()
{
    sv::prog = "init";
    w = fake_world{};
    w.dirs = {"/etc", "/run", "/run/s6", "/run/s6/container_environment", "/run/service",
              "/etc/fix-attrs.d", "/etc/cont-init.d", "/etc/services.d", "/etc/cont-finish.d"};
    w.files["/run/s6-linux-init-container-results/exitcode"] = "0\n";
}

void set(std::string const &name, std::string const &value)
{
    w.files["/run/s6/container_environment/" + name] = value + "\n";
}

// A script (or any executable file) at path.
void script(std::string const &path, ending e = {})
{
    w.files[path] = "#!/bin/sh\n";
    w.endings[name_of(path.c_str())] = e;
}

// A service directory in services.d, with a run file unless told otherwise.
void service(std::string const &name, bool with_run = true)
{
    w.dirs.insert("/etc/services.d/" + name);
    if (with_run) w.files["/etc/services.d/" + name + "/run"] = "#!/bin/sh\n";
}

std::string exitcode_file()
{
    return w.files.count("/run/s6-linux-init-container-results/exitcode")
               ? w.files["/run/s6-linux-init-container-results/exitcode"]
               : "(absent)";
}

bool traced(std::string const &line)
{
    return std::find(w.trace.begin(), w.trace.end(), line) != w.trace.end();
}

// The trace's lines that start with one of prefixes, in order.
std::vector<std::string> only(std::vector<std::string> const &prefixes)
{
    std::vector<std::string> v;
    for (auto const &t : w.trace)
        for (auto const &p : prefixes)
            if (t.rfind(p, 0) == 0) {
                v.push_back(t);
                break;
            }
    return v;
}

} // namespace

namespace init::sys {

std::int64_t now_ms() noexcept
{
    return w.now;
}

std::vector<std::string> sorted_entries(std::string const &dir) noexcept
{
    std::set<std::string> names;
    std::string const prefix = dir + "/";
    auto add = [&](std::string const &path) {
        if (path.rfind(prefix, 0) != 0) return;
        std::string rest = path.substr(prefix.size());
        if (rest.find('/') == std::string::npos && rest[0] != '.') names.insert(rest);
    };
    for (auto const &f : w.files) add(f.first);
    for (auto const &d : w.dirs) add(d);
    return {names.begin(), names.end()};
}

bool read_file(std::string const &path, std::string &out) noexcept
{
    auto it = w.files.find(path);
    if (it == w.files.end()) return errno = ENOENT, false;
    out = it->second;
    return true;
}

bool write_file(std::string const &path, std::string_view content) noexcept
{
    w.files[path] = std::string(content);
    if (path == "/run/s6-linux-init-container-results/exitcode")
        w.trace.push_back("exitcode " + std::string(content.substr(0, content.find('\n'))));
    return true;
}

bool exists(std::string const &path) noexcept
{
    if (w.files.count(path) || w.dirs.count(path)) return true;
    return errno = ENOENT, false;
}

bool is_dir(std::string const &path) noexcept
{
    return w.dirs.count(path) != 0;
}

std::string exec_problem(std::string const &path) noexcept
{
    auto it = w.problems.find(path);
    if (it != w.problems.end()) return it->second;
    if (!exists(path)) return "does not exist: No such file or directory";
    return {};
}

void make_dir(std::string const &) noexcept {}
void remove_dir(std::string const &) noexcept {}

bool install_service(context const &, std::string const &from, std::string const &,
                     std::string const &to) noexcept
{
    std::string const name = to.substr(to.rfind('/') + 1);
    if (w.install_fails.count(name)) return errno = ENOSPC, false;
    w.trace.push_back("install " + name);
    w.dirs.insert(to);
    std::map<std::string, std::string> copies;
    for (auto const &f : w.files)
        if (f.first.rfind(from + "/", 0) == 0) copies[to + f.first.substr(from.size())] = f.second;
    w.files.insert(copies.begin(), copies.end());
    return true;
}

std::string our_program(char const *name, bool &search) noexcept
{
    search = true;
    return name;
}

bool container_env(context const &c, std::vector<std::string> &env) noexcept
{
    env = {"PATH=/bin"};
    std::string const dir = c.cfg.env_dir();
    for (auto const &n : sorted_entries(dir)) {
        std::string v = w.files[dir + "/" + n];
        if (!v.empty() && v.back() == '\n') v.pop_back();
        env.push_back(n + "=" + v);
    }
    return true;
}

void v2_etc_links(context const &) noexcept
{
    w.trace.push_back("v2_etc_links");
}

pid_t spawn(context &c, char const *const *argv, char const *const *envp, spawn_how how) noexcept
{
    std::string const name = name_of(argv[0]);
    std::string line = "spawn " + name;
    for (int i = 1; argv[i]; i++) line += std::string(" ") + argv[i];
    w.trace.push_back(line);
    auto const e = w.endings.find(name);
    if (e != w.endings.end() && e->second.spawn_errno) return errno = e->second.spawn_errno, -1;
    if (how.new_pgrp) {
        w.cmd_env.clear();
        for (auto p = envp; p && *p; p++) w.cmd_env.push_back(*p);
        w.cmd_own_group = true;
    }
    pid_t const pid = w.next_pid++;
    w.names[pid] = name;
    c.ev.started.push_back({pid, -1});
    return pid;
}

wake wait_for(context &c, pid_t pid, int &wstatus, std::int64_t deadline_ms,
              bool stoppable) noexcept
{
    if (pid == 0) { // no child in particular: idle until told to stop
        w.trace.push_back("idle");
        on_signal(c, w.idle_signal);
        if (stoppable && c.ev.stop_signal) return wake::stop;
        w.stuck++;
        return wake::stop;
    }
    ending &e = w.endings[w.names[pid]];
    if (e.signal_in) {
        on_signal(c, e.signal_in);
        e.signal_in = 0;
    }
    if (stoppable && c.ev.stop_signal) return wake::stop;
    if (e.slow && deadline_ms >= 0) {
        w.now = deadline_ms;
        return wake::timeout;
    }
    if (e.hangs && deadline_ms >= 0) {
        w.now = deadline_ms;
        w.trace.push_back("timeout " + w.names[pid]);
        return wake::timeout;
    }
    if (e.hangs && deadline_ms < 0 && !traced("signal " + w.names[pid] + " KILL")) {
        w.stuck++; // it would never end
        return wake::stop;
    }
    wstatus = e.hangs ? killed(SIGKILL) : e.wstatus;
    on_reaped(c, pid, wstatus);
    take_reaped(c, pid, wstatus);
    return wake::child;
}

service_wait wait_service(context &c, std::string const &dir, bool need_ready,
                          std::int64_t deadline_ms) noexcept
{
    std::string const name = dir.substr(dir.rfind('/') + 1);
    w.trace.push_back("wait " + name + (need_ready ? " ready" : " up") +
                      (deadline_ms < 0 ? " forever" : ""));
    auto it = w.service_waits.find(name);
    if (it == w.service_waits.end()) return service_wait::up;
    if (it->second == service_wait::stop) on_signal(c, SIGTERM); // a docker stop meanwhile
    return it->second;
}

bool reap_until_empty(context &, std::int64_t deadline_ms) noexcept
{
    w.trace.push_back("reap " + std::to_string(deadline_ms - w.now));
    if (w.reaps.empty()) return true;
    bool const r = w.reaps.front();
    w.reaps.pop_front();
    return r;
}

void signal(pid_t pid, int sig) noexcept
{
    w.trace.push_back("signal " + pid_text(pid) + " " + sig_text(sig));
}

void signal_group(pid_t pgrp, int sig) noexcept
{
    w.trace.push_back("signal group " + pid_text(pgrp) + " " + sig_text(sig));
}

void broadcast(int sig) noexcept
{
    w.trace.push_back("broadcast " + sig_text(sig));
}

bool svscanctl(context const &, char letter) noexcept
{
    w.trace.push_back(std::string("svscanctl ") + letter);
    if (!w.svscan_listens) errno = ENXIO;
    return w.svscan_listens;
}

void give_terminal(pid_t) noexcept {}

void start_tree(context &c) noexcept
{
    if (c.tree_started) return;
    c.tree_started = true;
    w.trace.push_back("start tree");
}

void drop_boot_code() noexcept
{
    w.trace.push_back("drop boot code");
}

void sync_disks() noexcept
{
    w.trace.push_back("sync");
}

void release_logger(context &) noexcept
{
    w.trace.push_back("release_logger");
}

// The v3 service graph's calls (rcrun.cc): services record what was done to them; a
// longrun is up as soon as it is installed, down as soon as it is told.
bool install_longrun(context const &, sv::rc::definition const &d, std::string const &,
                     std::string const &to, std::string const &in, std::string const &out) noexcept
{
    w.trace.push_back("install_longrun " + d.name + (in.empty() ? "" : " in") +
                      (out.empty() ? "" : " out"));
    w.dirs.insert(to);
    return true;
}

int open_fifo(std::string const &path) noexcept
{
    w.trace.push_back("fifo " + path);
    return -1;
}

bool service_status(std::string const &dir, sv::status &st) noexcept
{
    st = {};
    if (!w.dirs.count(dir)) return false;
    st.pid = w.files.count(dir + "/down") ? 0 : 4242;
    st.ready = true;
    return true;
}

bool service_control(std::string const &dir, std::string_view letters) noexcept
{
    w.trace.push_back("control " + dir.substr(dir.rfind('/') + 1) + " " + std::string(letters));
    if (letters == "d") w.files[dir + "/down"] = "";
    return true;
}

void remove_file(std::string const &path) noexcept
{
    w.files.erase(path);
}

int rc_listen(std::string const &) noexcept
{
    return errno = ENOSYS, -1;
}

int rc_accept(int, std::string &) noexcept
{
    return -1;
}

void rc_reply(int, std::string_view) noexcept {}

wake wait_children(context &c, std::vector<pid_t> const &pids, std::int64_t deadline_ms,
                   bool) noexcept
{
    // The first script that ends ends the wait; one that hangs lets time run to the deadline.
    for (pid_t pid : pids) {
        ending &e = w.endings[w.names[pid]];
        if (e.hangs) continue;
        on_reaped(c, pid, e.wstatus);
        return wake::child;
    }
    if (deadline_ms >= 0) w.now = deadline_ms;
    else w.stuck++;
    return wake::timeout;
}

} // namespace init::sys

// --- stage 2 ---------------------------------------------------------------------------------

namespace {

// Stage 2 over a fresh context, with cmd as the CMD (empty: none).
void run_stage2(init::context &c, std::vector<std::string> cmd)
{
    c.cmd = std::move(cmd);
    init::stage2(c);
    CHECK(w.stuck == 0);
}

// The usual image: a fix-attrs file, two cont-init scripts, two services, and a CMD "app".
void usual_image()
{
    w.files["/etc/fix-attrs.d/01-perms"] = "/data true root 0644 0755\n";
    script("/etc/cont-init.d/01-first");
    script("/etc/cont-init.d/02-second");
    service("web");
    service("worker");
    w.endings["app"] = {.wstatus = exited(0)};
}

} // namespace

TEST_CASE("init stage 2: everything succeeds", "[init_stage]")
{
    reset();
    stderr_capture err;
    usual_image();
    w.endings["app"].wstatus = exited(7);
    init::context c;
    SECTION("with a CMD: its status goes to the exit-code file")
    {
        run_stage2(c, {"app", "--flag"});
        CHECK(w.trace == std::vector<std::string>{
                             "v2_etc_links", "spawn fix-attrs /etc/fix-attrs.d/01-perms",
                             "spawn cont-init.d/01-first", "spawn cont-init.d/02-second",
                             "start tree", "install web", "install worker", "svscanctl a",
                             "spawn app --flag", "drop boot code", "exitcode 7"});
        CHECK(c.services == std::vector<std::string>{"web", "worker"});
        CHECK(w.cmd_own_group);
        CHECK(err.has("[cont-init.d] 01-first: executing...\n"));
        CHECK(err.has("[cont-init.d] 01-first: exited 0.\n"));
        CHECK(err.has("[cmd] app exited 7\n"));
        CHECK(c.ev.cmd_pid == 0);
    }
    SECTION("without a CMD: idle until stopped, and nothing written")
    {
        run_stage2(c, {});
        CHECK(w.trace.back() == "idle");
        CHECK(w.trace.end()[-2] == "drop boot code");
        CHECK(!traced("exitcode 0"));
        CHECK(exitcode_file() == "0\n");
        CHECK(c.ev.stop_signal == SIGTERM);
    }
}

TEST_CASE("init stage 2: the supervision tree starts when it is first needed", "[init_stage]")
{
    reset();
    stderr_capture err;
    init::context c;
    SECTION("services: before they are copied, once")
    {
        usual_image();
        run_stage2(c, {"app"});
        CHECK(only({"start tree", "install", "svscanctl", "spawn app"}) ==
              std::vector<std::string>{"start tree", "install web", "install worker",
                                       "svscanctl a", "spawn app"});
    }
    SECTION("no services: once the CMD has run alone for a moment, before the boot's pages go")
    {
        script("/etc/cont-init.d/01-first");
        w.endings["app"] = {.wstatus = exited(4), .slow = true};
        run_stage2(c, {"app"});
        CHECK(only({"spawn", "start tree", "drop boot code", "exitcode"}) ==
              std::vector<std::string>{"spawn cont-init.d/01-first", "spawn app", "start tree",
                                       "drop boot code", "exitcode 4"});
    }
    SECTION("no services, and a CMD gone before that moment: no tree")
    {
        w.endings["app"] = {.wstatus = exited(3)};
        run_stage2(c, {"app"});
        CHECK(only({"spawn", "start tree", "drop boot code", "exitcode"}) ==
              std::vector<std::string>{"spawn app", "drop boot code", "exitcode 3"});
    }
    SECTION("no services and no CMD: before the idle wait")
    {
        run_stage2(c, {});
        CHECK(only({"start tree", "drop boot code", "idle"}) ==
              std::vector<std::string>{"start tree", "drop boot code", "idle"});
    }
    SECTION("a CMD that cannot be started: no tree")
    {
        w.endings["app"] = {.spawn_errno = ENOENT};
        run_stage2(c, {"app"});
        CHECK(!traced("start tree"));
    }
    SECTION("stage 2 failing before anything needed it: no tree")
    {
        usual_image();
        w.endings["cont-init.d/01-first"] = {.wstatus = exited(3)};
        set("S6_BEHAVIOUR_IF_STAGE2_FAILS", "2");
        run_stage2(c, {"app"});
        CHECK(!traced("start tree"));
    }
}

TEST_CASE("init stage 2: a fix-attrs.d failure is never fatal", "[init_stage]")
{
    reset();
    stderr_capture err;
    usual_image();
    auto const behav = GENERATE("0", "1", "2");
    set("S6_BEHAVIOUR_IF_STAGE2_FAILS", behav);
    SECTION("fix-attrs exits 1") { w.endings["fix-attrs"] = {.wstatus = exited(1)}; }
    SECTION("fix-attrs cannot be started") { w.endings["fix-attrs"] = {.spawn_errno = ENOENT}; }
    init::context c;
    run_stage2(c, {"app"});
    CHECK(traced("spawn cont-init.d/02-second"));
    CHECK(traced("install worker"));
    CHECK(traced("spawn app"));
    CHECK(w.trace.back() == "exitcode 0");
}

TEST_CASE("init stage 2: a failing cont-init.d script, per S6_BEHAVIOUR_IF_STAGE2_FAILS",
          "[init_stage]")
{
    reset();
    stderr_capture err;
    usual_image();
    w.endings["cont-init.d/01-first"] = {.wstatus = exited(3)};
    bool const with_cmd = GENERATE(true, false);
    std::vector<std::string> const cmd = with_cmd ? std::vector<std::string>{"app"}
                                                  : std::vector<std::string>{};
    init::context c;
    SECTION("0 (the default): ignored")
    {
        run_stage2(c, cmd);
        CHECK(traced("spawn cont-init.d/02-second"));
        CHECK(traced("install web"));
        CHECK(traced(with_cmd ? "spawn app" : "idle"));
        CHECK(!traced("exitcode 3"));
        CHECK_FALSE(err.has("stage 2 failed"));
    }
    SECTION("1: stage 2 stops there; the container stays up, idle, with the script's code")
    {
        set("S6_BEHAVIOUR_IF_STAGE2_FAILS", "1");
        run_stage2(c, cmd);
        CHECK(only({"spawn", "install", "svscanctl", "exitcode", "idle"}) ==
              std::vector<std::string>{"spawn fix-attrs /etc/fix-attrs.d/01-perms",
                                       "spawn cont-init.d/01-first", "exitcode 3", "idle"});
        CHECK(err.has("[s6-init] stage 2 failed (exit code 3): no services.d, no CMD; the "
                      "container stays up until it is stopped\n"));
        CHECK(c.services.empty());
    }
    SECTION("2: stage 2 stops there, and so does the container")
    {
        set("S6_BEHAVIOUR_IF_STAGE2_FAILS", "2");
        run_stage2(c, cmd);
        CHECK(only({"spawn", "install", "svscanctl", "exitcode", "idle"}) ==
              std::vector<std::string>{"spawn fix-attrs /etc/fix-attrs.d/01-perms",
                                       "spawn cont-init.d/01-first", "exitcode 3"});
        CHECK(err.has("[s6-init] stage 2 failed (exit code 3): stopping\n"));
    }
    SECTION("a value above 2 is taken as 2, with a warning")
    {
        set("S6_BEHAVIOUR_IF_STAGE2_FAILS", "7");
        run_stage2(c, cmd);
        CHECK(w.trace.back() == "exitcode 3");
        CHECK(err.has("init: warning: S6_BEHAVIOUR_IF_STAGE2_FAILS=7 taken as 2\n"));
    }
    SECTION("a value that is not a number is taken as 0, with a warning")
    {
        set("S6_BEHAVIOUR_IF_STAGE2_FAILS", "yes");
        run_stage2(c, cmd);
        CHECK(traced("spawn cont-init.d/02-second"));
        CHECK(err.has("init: warning: invalid value for S6_BEHAVIOUR_IF_STAGE2_FAILS: yes (not a "
                      "number); using the default 0\n"));
    }
}

TEST_CASE("init stage 2: a cont-init.d script that cannot be run gives 126 or 127",
          "[init_stage]")
{
    reset();
    stderr_capture err;
    usual_image();
    set("S6_BEHAVIOUR_IF_STAGE2_FAILS", "2");
    init::context c;
    SECTION("not executable: 126, and the reason")
    {
        w.endings["cont-init.d/01-first"] = {.spawn_errno = EACCES};
        w.problems["/etc/cont-init.d/01-first"] = "is not executable (it needs chmod +x)";
        run_stage2(c, {"app"});
        CHECK(w.trace.back() == "exitcode 126");
        CHECK(err.has("[cont-init.d] 01-first: unable to run /etc/cont-init.d/01-first: it is "
                      "not executable (it needs chmod +x)\n"));
    }
    SECTION("not found: 127")
    {
        w.endings["cont-init.d/01-first"] = {.spawn_errno = ENOENT};
        run_stage2(c, {"app"});
        CHECK(w.trace.back() == "exitcode 127");
    }
    SECTION("ENOEXEC with nothing else to say")
    {
        w.endings["cont-init.d/01-first"] = {.spawn_errno = ENOEXEC};
        run_stage2(c, {"app"});
        CHECK(w.trace.back() == "exitcode 126");
        CHECK(err.has(": it is neither a binary nor a script with a #! line\n"));
    }
}

TEST_CASE("init stage 2: broken services.d entries, per S6_BEHAVIOUR_IF_STAGE2_FAILS",
          "[init_stage]")
{
    reset();
    stderr_capture err;
    usual_image();
    service("norun", false);
    service("crlf");
    w.problems["/etc/services.d/crlf/run"] =
        "has a CRLF line ending in its #! line (convert it to Unix line endings)";
    w.files["/etc/services.d/README"] = "not a service\n";
    bool const with_cmd = GENERATE(true, false);
    std::string const behav = GENERATE("0", "1", "2");
    set("S6_BEHAVIOUR_IF_STAGE2_FAILS", behav);
    std::vector<std::string> const cmd = with_cmd ? std::vector<std::string>{"app"}
                                                  : std::vector<std::string>{};
    init::context c;
    run_stage2(c, cmd);
    if (behav == "0") {
        // Each is reported, and installed anyway.
        CHECK(only({"install"}) == std::vector<std::string>{"install crlf", "install norun",
                                                            "install web", "install worker"});
        CHECK(traced(with_cmd ? "spawn app" : "idle"));
    } else {
        // Every one is reported, then stage 2 fails with 1; nothing installed.
        CHECK(only({"install", "svscanctl", "spawn app"}).empty());
        CHECK(traced("exitcode 1"));
        CHECK(traced("idle") == (behav == "1"));
    }
    CHECK(err.has("[services.d] norun: /etc/services.d/norun/run is missing: a service needs "
                  "an executable run file\n"));
    CHECK(err.has("[services.d] crlf: /etc/services.d/crlf/run has a CRLF line ending in its "
                  "#! line (convert it to Unix line endings)\n"));
    CHECK(err.has("[services.d] README: /etc/services.d/README is not a directory; ignored"));
    CHECK(!traced("install README"));
}

TEST_CASE("init stage 2: a service's log/ and finish are checked too", "[init_stage]")
{
    reset();
    stderr_capture err;
    service("a");
    w.dirs.insert("/etc/services.d/a/log");
    service("b");
    w.files["/etc/services.d/b/finish"] = "";
    w.problems["/etc/services.d/b/finish"] = "is not executable (it needs chmod +x)";
    set("S6_BEHAVIOUR_IF_STAGE2_FAILS", "2");
    init::context c;
    run_stage2(c, {"app"});
    CHECK(err.has("[services.d] a: /etc/services.d/a/log/run is missing"));
    CHECK(err.has("[services.d] b: /etc/services.d/b/finish is not executable"));
    CHECK(w.trace.back() == "exitcode 1");
}

TEST_CASE("init stage 2: S6_CMD_WAIT_FOR_SERVICES, and its timeout per behaviour",
          "[init_stage]")
{
    reset();
    stderr_capture err;
    usual_image();
    w.files["/etc/services.d/worker/notification-fd"] = "3\n";
    w.files["/etc/services.d/web/down"] = "";
    set("S6_CMD_WAIT_FOR_SERVICES", "1");
    set("S6_CMD_WAIT_FOR_SERVICES_MAXTIME", "2000");
    init::context c;
    SECTION("every service up in time: the CMD starts; down services are not waited for")
    {
        run_stage2(c, {"app"});
        CHECK(only({"wait", "spawn app"}) ==
              std::vector<std::string>{"wait worker ready", "spawn app"});
    }
    SECTION("no CMD: no wait")
    {
        w.service_waits["worker"] = init::service_wait::timeout;
        run_stage2(c, {});
        CHECK(only({"wait"}).empty());
        CHECK(w.trace.back() == "idle");
    }
    SECTION("MAXTIME 0: no limit")
    {
        set("S6_CMD_WAIT_FOR_SERVICES_MAXTIME", "0");
        run_stage2(c, {"app"});
        CHECK(traced("wait worker ready forever"));
    }
    SECTION("a timeout")
    {
        w.service_waits["worker"] = init::service_wait::timeout;
        SECTION("0: the CMD starts anyway")
        {
            run_stage2(c, {"app"});
            CHECK(traced("spawn app"));
            CHECK(w.trace.back() == "exitcode 0");
        }
        SECTION("1: 99, no CMD, idle")
        {
            set("S6_BEHAVIOUR_IF_STAGE2_FAILS", "1");
            run_stage2(c, {"app"});
            CHECK(only({"exitcode", "idle", "spawn app"}) ==
                  std::vector<std::string>{"exitcode 99", "idle"});
        }
        SECTION("2: 99, no CMD, stop")
        {
            set("S6_BEHAVIOUR_IF_STAGE2_FAILS", "2");
            run_stage2(c, {"app"});
            CHECK(w.trace.back() == "exitcode 99");
            CHECK(!traced("idle"));
        }
        CHECK(err.has("[s6-init] service worker is not ready after 2000 ms\n"));
    }
    SECTION("a stop request while waiting: stage 2 ends, nothing written")
    {
        w.service_waits["worker"] = init::service_wait::stop;
        set("S6_BEHAVIOUR_IF_STAGE2_FAILS", "2");
        run_stage2(c, {"app"});
        CHECK(w.trace.back() == "wait worker ready");
        CHECK(c.ev.stop_signal == SIGTERM);
    }
}

TEST_CASE("init stage 2: a stop request ends stage 2 where it is", "[init_stage]")
{
    reset();
    stderr_capture err;
    usual_image();
    init::context c;
    SECTION("during fix-attrs")
    {
        w.endings["fix-attrs"] = {.signal_in = SIGTERM};
        run_stage2(c, {"app"});
        CHECK(w.trace.back() == "spawn fix-attrs /etc/fix-attrs.d/01-perms");
    }
    SECTION("during a cont-init.d script: it gets SIGTERM, the next one never runs")
    {
        w.endings["cont-init.d/01-first"] = {.signal_in = SIGINT};
        run_stage2(c, {"app"});
        CHECK(only({"spawn cont", "signal", "exitcode", "install"}) ==
              std::vector<std::string>{"spawn cont-init.d/01-first",
                                       "signal cont-init.d/01-first TERM"});
        CHECK(c.ev.stop_signal == SIGINT);
        CHECK(err.has("[cont-init.d] 01-first: interrupted by a stop request\n"));
    }
    SECTION("halt during a cont-init.d script")
    {
        w.endings["cont-init.d/02-second"] = {.signal_in = init::halt_signal(0)};
        run_stage2(c, {"app"});
        CHECK(c.ev.halt_requested);
        CHECK(!traced("install web"));
    }
}

TEST_CASE("init stage 2: the CMD", "[init_stage]")
{
    reset();
    stderr_capture err;
    usual_image();
    init::context c;
    SECTION("killed by a signal: 128 + the signal")
    {
        w.endings["app"] = {.wstatus = killed(SIGKILL)};
        run_stage2(c, {"app"});
        CHECK(w.trace.back() == "exitcode 137");
    }
    SECTION("not found in PATH: 127")
    {
        w.endings["app"] = {.spawn_errno = ENOENT};
        run_stage2(c, {"app"});
        CHECK(w.trace.back() == "exitcode 127");
        CHECK(err.has("[cmd] unable to run app: not found in PATH\n"));
    }
    SECTION("a path that cannot be executed: 126, with the reason")
    {
        w.endings["/bin/app"] = {.spawn_errno = EACCES};
        w.files["/bin/app"] = "";
        w.problems["/bin/app"] = "is not executable (it needs chmod +x)";
        run_stage2(c, {"/bin/app"});
        CHECK(w.trace.back() == "exitcode 126");
        CHECK(err.has("[cmd] unable to run /bin/app: it is not executable (it needs chmod +x)\n"));
    }
    SECTION("signals are forwarded to its process group while it runs")
    {
        w.endings["app"] = {.wstatus = exited(0), .signal_in = SIGHUP};
        run_stage2(c, {"app"});
        CHECK(traced("signal group app HUP"));
        CHECK(c.ev.stop_signal == 0);
    }
    SECTION("S6_CMD_ARG0 is split on blanks and prepended; the container env is its env")
    {
        set("S6_CMD_ARG0", " s6-setuidgid\tnobody\n");
        set("GREETING", "hello");
        run_stage2(c, {"app", "x"});
        CHECK(traced("spawn s6-setuidgid nobody app x"));
        CHECK(std::find(w.cmd_env.begin(), w.cmd_env.end(), "GREETING=hello") !=
              w.cmd_env.end());
    }
    SECTION("halt while it runs: it gets SIGTERM; the exit-code file keeps what was written")
    {
        // A service's finish script wrote 5, then called halt.
        w.files["/run/s6-linux-init-container-results/exitcode"] = "5\n";
        w.endings["app"] = {.wstatus = killed(SIGTERM), .signal_in = init::halt_signal(1)};
        run_stage2(c, {"app"});
        CHECK(traced("signal group app TERM"));
        CHECK(!traced("exitcode 143"));
        CHECK(exitcode_file() == "5\n");
        CHECK(init::stage3(c) == 5);
    }
}

TEST_CASE("init stage 2: S6_STAGE2_HOOK runs first; its failure is a warning only",
          "[init_stage]")
{
    reset();
    stderr_capture err;
    script("/etc/cont-init.d/01");
    set("S6_STAGE2_HOOK", " hook\tone\n two ");
    set("S6_BEHAVIOUR_IF_STAGE2_FAILS", "2");
    w.endings["hook"] = {.wstatus = exited(3)};
    w.endings["app"] = {.wstatus = exited(0)};
    init::context c;
    run_stage2(c, {"app"});
    auto const hook = std::find(w.trace.begin(), w.trace.end(), "spawn hook one two");
    auto const first = std::find(w.trace.begin(), w.trace.end(), "spawn cont-init.d/01");
    CHECK(hook != w.trace.end());
    CHECK(hook < first);
    CHECK(err.has("/run/s6/basedir/scripts/rc.init: warning: hook  hook\tone\n two  exited "
                  "3\n"));
    CHECK(traced("spawn app"));
    // Blanks only: nothing runs, nothing is said.
    reset();
    stderr_capture quiet;
    set("S6_STAGE2_HOOK", " \t");
    init::context d;
    run_stage2(d, {"app"});
    CHECK(!quiet.has("hook"));
    CHECK(init::sh_fields(" a\tb\n\nc ") == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("init stage 2: S6_RUNTIME_PROFILE moves the .d directories", "[init_stage]")
{
    reset();
    stderr_capture err;
    set("S6_RUNTIME_PROFILE", "dev");
    w.dirs.insert("/etc/cont-profile.d/dev");
    script("/etc/cont-profile.d/dev/cont-init.d/01-dev");
    script("/etc/cont-init.d/01-prod");
    init::context c;
    run_stage2(c, {"app"});
    CHECK(c.cfg.etc_dir == "/etc/cont-profile.d/dev");
    CHECK(traced("spawn cont-profile.d/dev/cont-init.d/01-dev"));
    CHECK(!traced("spawn cont-init.d/01-prod"));
    CHECK_FALSE(err.has("S6_RUNTIME_PROFILE: no"));
}

TEST_CASE("init stage 2: cont-finish.d scripts that will not run are said first",
          "[init_stage]")
{
    reset();
    stderr_capture err;
    script("/etc/cont-finish.d/01-bye");
    w.problems["/etc/cont-finish.d/01-bye"] = "names an interpreter that does not exist: /bin/bash";
    init::context c;
    run_stage2(c, {"app"});
    CHECK(err.has("[cont-finish.d] 01-bye: will not run: /etc/cont-finish.d/01-bye names an "
                  "interpreter that does not exist: /bin/bash\n"));
}

// --- stage 3 ---------------------------------------------------------------------------------

namespace {

// A context as stage 2 leaves it, with s6-svscan running as pid 50.
void with_svscan(init::context &c)
{
    c.svscan = 50;
    c.ev.svscan_watch = 50;
    w.names[50] = "s6-svscan";
}

} // namespace

TEST_CASE("init stage 3: the order of things", "[init_stage]")
{
    reset();
    stderr_capture err;
    script("/etc/cont-finish.d/01-a");
    script("/etc/cont-finish.d/02-b");
    init::context c;
    with_svscan(c);
    SECTION("the defaults")
    {
        CHECK(init::stage3(c) == 0);
        CHECK(w.trace == std::vector<std::string>{
                             "spawn cont-finish.d/01-a", "spawn cont-finish.d/02-b",
                             "svscanctl t", "release_logger", "broadcast TERM",
                             "broadcast CONT", "reap 3000"});
        CHECK(c.ev.svscan_watch == 0);
        CHECK(err.has("[s6-finish] waiting for services.\n"));
        CHECK(err.has("[s6-finish] sending all processes the TERM signal.\n"));
    }
    SECTION("S6_SYNC_DISKS: a sync once the services are down, and one at the end")
    {
        set("S6_SYNC_DISKS", "1");
        init::stage3(c);
        CHECK(only({"svscanctl", "sync", "release", "reap"}) ==
              std::vector<std::string>{"svscanctl t", "sync", "release_logger", "reap 3000",
                                       "sync"});
    }
    SECTION("survivors of the TERM get KILL after S6_KILL_GRACETIME")
    {
        set("S6_KILL_GRACETIME", "250");
        w.reaps = {false, true};
        init::stage3(c);
        CHECK(only({"broadcast", "reap"}) ==
              std::vector<std::string>{"broadcast TERM", "broadcast CONT", "reap 250",
                                       "broadcast KILL", "reap 5000"});
        CHECK_FALSE(err.has("could not be reaped"));
    }
    SECTION("survivors of the KILL are said")
    {
        w.reaps = {false, false};
        init::stage3(c);
        CHECK(err.has("init: warning: some processes could not be reaped\n"));
    }
    SECTION("s6-svscan not listening gets SIGTERM")
    {
        w.svscan_listens = false;
        init::stage3(c);
        CHECK(only({"svscanctl", "signal"}) ==
              std::vector<std::string>{"svscanctl t", "signal s6-svscan TERM"});
    }
    SECTION("s6-svscan still running after S6_SERVICES_GRACETIME")
    {
        set("S6_SERVICES_GRACETIME", "1200");
        w.endings["s6-svscan"] = {.hangs = true};
        init::stage3(c);
        CHECK(traced("timeout s6-svscan"));
        CHECK(err.has("[s6-finish] services still running after 1200 ms\n"));
        CHECK(traced("broadcast TERM"));
    }
    SECTION("no s6-svscan: nothing to tell")
    {
        c.svscan = 0;
        init::stage3(c);
        CHECK(only({"svscanctl", "signal"}).empty());
    }
}

TEST_CASE("init stage 3: cont-finish.d scripts are killed after S6_KILL_FINISH_MAXTIME",
          "[init_stage]")
{
    reset();
    stderr_capture err;
    script("/etc/cont-finish.d/01-slow", {.hangs = true});
    script("/etc/cont-finish.d/02-next");
    init::context c;
    set("S6_KILL_FINISH_MAXTIME", "700");
    c.ev.stop_signal = SIGTERM; // stage 3 scripts are not stoppable
    init::stage3(c);
    CHECK(only({"spawn", "timeout", "signal"}) ==
          std::vector<std::string>{"spawn cont-finish.d/01-slow", "timeout cont-finish.d/01-slow",
                                   "signal cont-finish.d/01-slow KILL",
                                   "spawn cont-finish.d/02-next"});
    CHECK(err.has("[cont-finish.d] 01-slow: still running after 700 ms; killing it\n"));
    CHECK(err.has("[cont-finish.d] 01-slow: exited 137.\n"));
}

TEST_CASE("init stage 3: s6-svscan gone during stage 2", "[init_stage]")
{
    reset();
    stderr_capture err;
    init::context c;
    with_svscan(c);
    w.files["/run/s6-linux-init-container-results/exitcode"] = "3\n";
    SECTION("exit 0 (s6-svscanctl -t, v2's way of stopping): the exit-code file's code")
    {
        init::on_reaped(c, 50, exited(0));
        CHECK(init::stage3(c) == 3);
        CHECK(err.has("[s6-init] s6-svscan exited: stopping\n"));
    }
    SECTION("killed: 111")
    {
        init::on_reaped(c, 50, killed(SIGKILL));
        CHECK(init::stage3(c) == 111);
        CHECK(err.has("[s6-init] s6-svscan died (signal 9): stopping, exit code 111\n"));
    }
    SECTION("exit 1: 111")
    {
        init::on_reaped(c, 50, exited(1));
        CHECK(init::stage3(c) == 111);
        CHECK(err.has("[s6-init] s6-svscan died (exit code 1): stopping, exit code 111\n"));
    }
    // Its pid is forgotten: nothing is sent to it.
    CHECK(c.svscan == 0);
    CHECK(only({"svscanctl", "signal"}).empty());
}

TEST_CASE("init stage 3: the exit code comes from the exit-code file", "[init_stage]")
{
    reset();
    stderr_capture err;
    init::context c;
    std::string const path = "/run/s6-linux-init-container-results/exitcode";
    SECTION("absent: 0")
    {
        w.files.erase(path);
        CHECK(init::stage3(c) == 0);
    }
    SECTION("empty: 0")
    {
        w.files[path] = "";
        CHECK(init::stage3(c) == 0);
    }
    SECTION("a number, modulo 256")
    {
        w.files[path] = "300\n";
        CHECK(init::stage3(c) == 44);
    }
    SECTION("its first line only, trailing blanks and CR removed")
    {
        w.files[path] = "42 \t\r\nwhatever\n";
        CHECK(init::stage3(c) == 42);
    }
    SECTION("garbage: 100, with a warning")
    {
        w.files[path] = "three\n";
        CHECK(init::stage3(c) == 100);
        CHECK(err.has("init: warning: invalid exit code in " + path + ": three\n"));
    }
    SECTION("a negative number is garbage")
    {
        w.files[path] = "-1\n";
        CHECK(init::stage3(c) == 100);
    }
}

// --- events ------------------------------------------------------------------------------------

TEST_CASE("init events: what each signal means", "[init_stage]")
{
    reset();
    init::context c;
    SECTION("without a CMD, TERM INT USR1 USR2 PWR ask for a stop; the first one is kept")
    {
        for (int sig : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGPWR}) {
            init::context d;
            init::on_signal(d, sig);
            CHECK(d.ev.stop_signal == sig);
            CHECK_FALSE(d.ev.halt_requested);
        }
        init::on_signal(c, SIGUSR1);
        init::on_signal(c, SIGTERM);
        CHECK(c.ev.stop_signal == SIGUSR1);
    }
    SECTION("without a CMD, HUP QUIT WINCH TTIN TTOU CHLD do nothing")
    {
        for (int sig : {SIGHUP, SIGQUIT, SIGWINCH, SIGTTIN, SIGTTOU, SIGCHLD})
            init::on_signal(c, sig);
        CHECK(c.ev.stop_signal == 0);
        CHECK(w.trace.empty());
    }
    SECTION("with a CMD, every one of them is forwarded to its process group")
    {
        c.ev.cmd_pid = 300;
        w.names[300] = "app";
        for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPWR, SIGWINCH})
            init::on_signal(c, sig);
        CHECK(w.trace == std::vector<std::string>{
                             "signal group app TERM", "signal group app INT",
                             "signal group app HUP", "signal group app QUIT",
                             "signal group app USR1", "signal group app USR2",
                             "signal group app PWR", "signal group app WINCH"});
        CHECK(c.ev.stop_signal == 0);
    }
    SECTION("halt, poweroff, reboot: a stop; a running CMD gets TERM, never the signal")
    {
        int const which = GENERATE(0, 1, 2);
        c.ev.cmd_pid = 300;
        w.names[300] = "app";
        init::on_signal(c, init::halt_signal(which));
        CHECK(c.ev.halt_requested);
        CHECK(c.ev.stop_signal == SIGTERM);
        CHECK(w.trace == std::vector<std::string>{"signal group app TERM"});
    }
    SECTION("once the CMD is reaped, nothing more is forwarded to its pid")
    {
        c.ev.cmd_pid = 300;
        init::on_reaped(c, 300, exited(0));
        CHECK(c.ev.cmd_pid == -300);
        init::on_signal(c, SIGTERM);
        CHECK(w.trace.empty());
        CHECK(c.ev.stop_signal == SIGTERM);
    }
}

TEST_CASE("init events: deaths", "[init_stage]")
{
    reset();
    init::context c;
    SECTION("a child we started keeps its status until it is taken, once")
    {
        c.ev.started.push_back({400, -1});
        int ws = 0;
        CHECK_FALSE(init::take_reaped(c, 400, ws));
        init::on_reaped(c, 400, exited(4));
        init::on_reaped(c, 999, exited(1)); // an orphan: not recorded
        CHECK(c.ev.started.size() == 1);
        CHECK(init::take_reaped(c, 400, ws));
        CHECK(ws == exited(4));
        CHECK_FALSE(init::take_reaped(c, 400, ws));
    }
    SECTION("s6-svscan's unexpected end is a stop request, as a halt is")
    {
        c.ev.svscan_watch = 50;
        c.ev.cmd_pid = 300;
        w.names[300] = "app";
        init::on_reaped(c, 50, killed(SIGKILL));
        CHECK(c.ev.svscan_watch == 0);
        CHECK(c.ev.svscan_lost == killed(SIGKILL));
        CHECK(c.ev.halt_requested);
        CHECK(c.ev.stop_signal == SIGTERM);
        CHECK(w.trace == std::vector<std::string>{"signal group app TERM"});
    }
    SECTION("wait statuses as exit codes")
    {
        CHECK(init::status_code(exited(0)) == 0);
        CHECK(init::status_code(exited(255)) == 255);
        CHECK(init::status_code(killed(SIGTERM)) == 143);
        CHECK(init::status_code(0x137f) == 255); // stopped: neither
    }
}

TEST_CASE("init events: the kept child (the catch-all logger) restarts at most once a second",
          "[init_stage]")
{
    reset();
    stderr_capture err;
    init::context c;
    char const *argv[] = {"logutil-service", "-f", "/run/s6/uncaught-logs-fifo", nullptr};
    init::keep_running(c, argv, {}, -1, -1);
    CHECK(w.trace ==
          std::vector<std::string>{"spawn logutil-service -f /run/s6/uncaught-logs-fifo"});
    pid_t const first = c.kept.pid;
    REQUIRE(first > 0);
    SECTION("while it runs, nothing to do")
    {
        CHECK(init::tend_kept(c, w.now + 5000) == -1);
        CHECK(w.trace.size() == 1);
    }
    SECTION("dead within its first second: started again once the second is over")
    {
        init::on_reaped(c, first, killed(SIGKILL));
        CHECK(init::tend_kept(c, w.now + 300) == 700);
        CHECK(c.kept.pid == 0);
        CHECK(w.trace.size() == 1);
        CHECK(init::tend_kept(c, w.now + 1000) == -1);
        CHECK(w.trace.size() == 2);
        CHECK(c.kept.pid > first);
    }
    SECTION("dead later: started again at once")
    {
        w.now += 4000;
        init::on_reaped(c, first, exited(1));
        CHECK(init::tend_kept(c, w.now) == -1);
        CHECK(w.trace.size() == 2);
    }
    SECTION("a spawn that fails is said, and tried again a second later")
    {
        init::on_reaped(c, first, exited(1));
        w.now += 2000;
        w.endings["logutil-service"] = {.spawn_errno = ENOMEM};
        CHECK(init::tend_kept(c, w.now) == -1);
        CHECK(c.kept.pid == 0);
        CHECK(err.has("init: warning: unable to spawn logutil-service: "));
        CHECK(init::tend_kept(c, w.now + 999) == 1);
        w.endings["logutil-service"] = {};
        CHECK(init::tend_kept(c, w.now + 1000) == -1);
        CHECK(c.kept.pid > 0);
        CHECK(w.trace.size() == 3);
    }
    SECTION("after stop_keeping, it is left dead")
    {
        init::stop_keeping(c);
        init::on_reaped(c, first, exited(0));
        CHECK(init::tend_kept(c, w.now + 5000) == -1);
        CHECK(w.trace.size() == 1);
    }
}

// --- stage 2 of an s6-overlay v3 image (rcrun.cc) --------------------------------------------

namespace {

// An s6-rc.d source on the real file system (the graph is read from there), with the etc
// dir pointed at it; the fake knows it is a directory.  Scripts of cont-init.d stay fake.
struct v3_source {
    h::tempdir dir;
    std::string etc = dir.path();
    explicit v3_source(init::context &c)
    {
        c.cfg.etc_dir = etc;
        w.dirs.insert(etc + "/s6-overlay/s6-rc.d");
    }
    void def(std::string const &name, std::string const &type,
             std::vector<std::pair<std::string, std::string>> const &files)
    {
        std::string const d = etc + "/s6-overlay/s6-rc.d/" + name;
        h::mkdirs(d);
        h::write_file(d + "/type", type + "\n");
        for (auto const &[f, content] : files) {
            h::mkdirs((d + "/" + f).substr(0, (d + "/" + f).rfind('/')));
            h::write_file(d + "/" + f, content);
        }
    }
    // The usual graph: a (after base) <- b, both in user; late in user2 after legacy-services.
    void usual()
    {
        def("user", "bundle", {{"contents.d/a", ""}, {"contents.d/b", ""}});
        def("user2", "bundle", {{"contents.d/late", ""}});
        def("a", "oneshot", {{"up", "prog-a\n"}, {"dependencies.d/base", ""}});
        def("b", "oneshot", {{"up", "prog-b x\n"}, {"dependencies.d/a", ""}});
        def("late", "oneshot", {{"up", "prog-late\n"}, {"dependencies.d/legacy-services", ""}});
        script(etc + "/cont-init.d/01");
        w.endings["app"] = {.wstatus = exited(5)};
    }
};

} // namespace

TEST_CASE("init stage 2 (v3): the graph in dependency order, then the CMD", "[init_stage]")
{
    reset();
    stderr_capture err;
    init::context c;
    v3_source src(c);
    src.usual();
    run_stage2(c, {"app"});
    CHECK(only({"spawn", "exitcode"}) ==
          std::vector<std::string>{"spawn " + src.etc + "/cont-init.d/01", "spawn prog-a",
                                   "spawn prog-b x", "spawn prog-late", "spawn app",
                                   "exitcode 5"});
    CHECK(err.has("s6-rc: info: service b successfully started\n"));
    CHECK(c.rc.active);
}

TEST_CASE("init stage 2 (v3): a failed oneshot under each behaviour", "[init_stage]")
{
    for (char const *behav : {"0", "1", "2"}) {
        reset();
        stderr_capture err;
        init::context c;
        v3_source src(c);
        src.usual();
        set("S6_BEHAVIOUR_IF_STAGE2_FAILS", behav);
        w.endings["prog-b"] = {.wstatus = exited(3)};
        run_stage2(c, {"app"});
        INFO("behaviour " << behav);
        CHECK(err.has("s6-rc: warning: unable to start service b: command exited 3\n"));
        CHECK(!traced("spawn prog-late")); // it needs b, through legacy-services and user
        bool const stops = std::string(behav) == "2";
        CHECK(traced("spawn app") == !stops);
        CHECK(traced("exitcode 1") == stops);
        CHECK(err.has("s6-rc failed to properly bring all the services up") ==
              (std::string(behav) != "0"));
    }
}

TEST_CASE("init stage 2 (v3): a oneshot past its timeout-up is killed and fails", "[init_stage]")
{
    reset();
    stderr_capture err;
    init::context c;
    v3_source src(c);
    src.usual();
    src.def("a", "oneshot", {{"up", "prog-a\n"}, {"timeout-up", "200\n"}});
    set("S6_BEHAVIOUR_IF_STAGE2_FAILS", "2");
    w.endings["prog-a"] = {.hangs = true};
    run_stage2(c, {"app"});
    CHECK(traced("signal prog-a KILL"));
    CHECK(err.has("unable to start service a: timed out after 200 ms\n"));
    CHECK(!traced("spawn prog-b x"));
    CHECK(traced("exitcode 1"));
    CHECK(!traced("spawn app"));
}

TEST_CASE("init stage 2 (v3): an invalid source stops before anything runs", "[init_stage]")
{
    reset();
    stderr_capture err;
    init::context c;
    v3_source src(c);
    src.usual();
    src.def("b", "oneshot", {{"up", "prog-b\n"}, {"dependencies.d/ghost", ""}});
    run_stage2(c, {"app"});
    CHECK(err.has("[s6-rc] fatal: during dependency resolution for service b: undefined "
                  "service name ghost\n"));
    CHECK(only({"spawn", "exitcode"}) == std::vector<std::string>{"exitcode 1"});
}

TEST_CASE("init stage 3 (v3): the graph down in reverse order, cont-finish.d with it",
          "[init_stage]")
{
    reset();
    stderr_capture err;
    init::context c;
    v3_source src(c);
    src.usual();
    src.def("a", "oneshot", {{"up", "prog-a\n"}, {"down", "unprog-a\n"}, {"dependencies.d/base", ""}});
    src.def("b", "oneshot", {{"up", "prog-b\n"}, {"down", "unprog-b\n"}, {"dependencies.d/a", ""}});
    script(src.etc + "/cont-finish.d/01");
    run_stage2(c, {"app"});
    c.svscan = 0;
    init::stage3(c);
    CHECK(only({"spawn unprog", "spawn " + src.etc + "/cont-finish"}) ==
          std::vector<std::string>{"spawn unprog-b", "spawn unprog-a",
                                   "spawn " + src.etc + "/cont-finish.d/01"});
}
