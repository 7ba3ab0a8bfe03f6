// The s6-svscan service table (tools/s6-svscan/state.cc), driven through a fake system seam:
// the control letters and how one write's letters combine (reap -> scan -> kill), the signals'
// fixed meanings and default actions, which supervisor gets which signal (svscan-protocol.md
// §9), the scan rules (§4), the reaper and its pipe "black magic" (§6), spawn failures and
// their retries, and the finish phase (§10).  state.cc is compiled into this test as it is
// into the daemon.  Supervisors are fake pids; the scan directory is a real temporary one,
// because the scanner identifies services by the (dev, inode) of what stat() finds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csetjmp>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/diag.hh>

#include "../../tools/s6-svscan/state.hh"
#include "harness.hh"

namespace {

// One spawn_supervise call.
struct spawned
{
    std::string name;
    pid_t pid;
    int fd, target;
    bool console;
};

// What the fake system records, and how it answers.
struct fake_world
{
    std::int64_t now = 1000000;
    pid_t next_pid = 100;
    std::vector<spawned> spawns;        // successful spawn_supervise calls, in order
    std::map<pid_t, std::string> names; // pid -> the name its supervisor was given
    std::set<std::string> fork_fails;   // spawn_supervise returns 0 (EAGAIN) for these
    std::set<std::string> exec_fails;   // spawn_supervise returns -1 for these
    std::vector<std::string> kills;     // "NAME:SIGNAME"
    std::deque<pid_t> dead;             // what wait_child reports, in order
    int wait_errno = 0;                 // once dead is empty, fail with this (0: no error)
    int blocking_waits = 0;
    bool have_script = false; // spawn_signal_script succeeds
    std::vector<int> scripts; // the signals whose script was spawned
    int stdout_releases = 0, console_restores = 0;
    std::string panicked;
    std::jmp_buf panic_jump;
} w;

void reset()
{
    sv::prog = "s6-svscan";
    w.now = 1000000;
    w.next_pid = 100;
    w.spawns.clear();
    w.names.clear();
    w.fork_fails.clear();
    w.exec_fails.clear();
    w.kills.clear();
    w.dead.clear();
    w.wait_errno = 0;
    w.blocking_waits = 0;
    w.have_script = false;
    w.scripts.clear();
    w.stdout_releases = w.console_restores = 0;
    w.panicked.clear();
}

char const *sig_text(int sig)
{
    switch (sig) {
    case SIGTERM:
        return "TERM";
    case SIGHUP:
        return "HUP";
    default:
        return "other";
    }
}

} // namespace

namespace svs::sys {
std::int64_t now_ms() noexcept
{
    return w.now;
}
pid_t spawn_supervise(char const *name, int fd, int target, bool console) noexcept
{
    if (w.fork_fails.count(name)) return errno = EAGAIN, 0;
    if (w.exec_fails.count(name)) return -1;
    pid_t pid = w.next_pid++;
    w.spawns.push_back({name, pid, fd, target, console});
    w.names[pid] = name;
    return pid;
}
pid_t wait_child(int *wstat, bool block) noexcept
{
    *wstat = 0;
    if (block) w.blocking_waits++;
    if (!w.dead.empty()) {
        pid_t p = w.dead.front();
        w.dead.pop_front();
        return p;
    }
    if (w.wait_errno) return errno = w.wait_errno, -1;
    if (block) return errno = ECHILD, -1; // a real blocking wait would hang: no children left
    return 0;
}
void send_signal(pid_t pid, int sig) noexcept
{
    auto it = w.names.find(pid);
    w.kills.push_back((it == w.names.end() ? "?" : it->second) + ":" + sig_text(sig));
}
bool spawn_signal_script(int sig) noexcept
{
    if (!w.have_script) return errno = ENOENT, false;
    w.scripts.push_back(sig);
    return true;
}
void release_stdout() noexcept
{
    w.stdout_releases++;
}
void restore_console() noexcept
{
    w.console_restores++;
}
void panic(char const *what) noexcept
{
    w.panicked = what;
    std::longjmp(w.panic_jump, 1);
}
} // namespace svs::sys

namespace {

// A scanner over a fixed table, as main.cc reserves it from -c.
struct table
{
    svs::service tab[16];
    svs::scanner s;
    explicit table(unsigned max = 16)
    {
        s.tab = tab;
        s.max = max;
    }
};

// A real scan directory, made the cwd for the scope (the scanner reads ".").
struct scandir
{
    h::tempdir dir;
    int oldcwd;
    scandir() : oldcwd(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC))
    {
        REQUIRE(oldcwd >= 0);
        REQUIRE(::chdir(dir.c_str()) == 0);
    }
    ~scandir()
    {
        if (::fchdir(oldcwd) < 0) std::abort(); // the other tests would run in a removed dir
        ::close(oldcwd);
    }
    scandir(scandir const &) = delete;
    scandir &operator=(scandir const &) = delete;
    void service(std::string const &name, bool logged = false)
    {
        REQUIRE(::mkdir(name.c_str(), 0755) == 0);
        if (logged) REQUIRE(::mkdir((name + "/log").c_str(), 0755) == 0);
    }
};

// Everything written to fd 2 during the scope (the warnings).
struct stderr_capture
{
    h::tempdir dir;
    int saved = ::dup(2);
    stderr_capture()
    {
        int fd = ::open((dir / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        ::dup2(fd, 2);
        ::close(fd);
    }
    ~stderr_capture()
    {
        ::dup2(saved, 2);
        ::close(saved);
    }
    stderr_capture(stderr_capture const &) = delete;
    stderr_capture &operator=(stderr_capture const &) = delete;
    std::string text() const { return h::read_existing(dir / "err"); }
};

// The entry for directory NAME (found as the scanner finds it), or nullptr.
svs::service *entry(table &t, std::string const &name)
{
    struct stat st;
    if (::stat(name.c_str(), &st) < 0) return nullptr;
    for (unsigned i = 0; i < t.s.n; i++)
        if (t.tab[i].dev == st.st_dev && t.tab[i].ino == st.st_ino) return &t.tab[i];
    return nullptr;
}

std::vector<std::string> spawned_names()
{
    std::vector<std::string> v;
    for (auto const &sp : w.spawns)
        v.push_back(sp.name);
    std::sort(v.begin(), v.end());
    return v;
}

std::vector<std::string> sorted_kills()
{
    auto v = w.kills;
    std::sort(v.begin(), v.end());
    return v;
}

pid_t pid_of(std::string const &name)
{
    for (auto const &sp : w.spawns)
        if (sp.name == name) return sp.pid;
    FAIL("no supervisor was started for " << name);
    return 0;
}

bool fd_open(int fd)
{
    return fd >= 0 && ::fcntl(fd, F_GETFD) >= 0;
}

// Feeds the bytes of one control write.
void control(table &t, std::string_view bytes)
{
    for (char c : bytes)
        REQUIRE(svs::on_control(t.s, c));
}

// One loop turn; true if the state code panicked.
bool turn(table &t)
{
    if (setjmp(w.panic_jump)) return true;
    svs::run_pending(t.s);
    return false;
}

// The scanner's first turn (start-up reaps and scans at once), with the kill log cleared.
void first_turn(table &t)
{
    REQUIRE(t.s.want_reap);
    REQUIRE(t.s.want_scan);
    REQUIRE(!turn(t));
    w.kills.clear();
}

// Hides a service directory from the scanner, keeping its inode (as a rename does).
void hide(std::string const &name)
{
    REQUIRE(::rename(name.c_str(), ("." + name).c_str()) == 0);
}
void unhide(std::string const &name)
{
    REQUIRE(::rename(("." + name).c_str(), name.c_str()) == 0);
}

} // namespace

// ---------------------------------------------------------------------------------------
// Control letters and signals: flags only.

TEST_CASE("svscan control: z a b h i t q n N are the commands, nothing else", "[svscan_state]")
{
    for (int c = 0; c < 256; c++) {
        table t;
        svs::scanner const before = t.s;
        bool const known =
            std::string_view("zabhitqnN").find(static_cast<char>(c)) != std::string_view::npos;
        INFO("byte " << c);
        CHECK(svs::on_control(t.s, static_cast<char>(c)) == known);
        if (!known) {
            // An unknown byte changes nothing (main.cc only warns about it).
            CHECK(t.s.want_reap == before.want_reap);
            CHECK(t.s.want_scan == before.want_scan);
            CHECK(t.s.want_kill == before.want_kill);
            CHECK(t.s.cont == before.cont);
            CHECK(t.s.wait_all == before.wait_all);
        }
    }
}

TEST_CASE("svscan control: what each letter asks for", "[svscan_state]")
{
    // wantkill: 1 = active entries too, 2 = SIGTERM to services, 4 = SIGTERM to loggers.
    struct row
    {
        char c;
        bool reap, scan, cont, wait;
        unsigned kill;
    };
    row const rows[] = {
        {'z', true, false, true, true, 0},    {'a', false, true, true, true, 0},
        {'b', false, false, false, false, 0}, {'h', false, true, true, true, 2},
        {'i', false, false, false, true, 3},  {'t', false, false, false, true, 3},
        {'q', false, false, false, true, 7},  {'n', false, false, true, true, 2},
        {'N', false, false, true, true, 6},
    };
    for (row const &r : rows) {
        INFO("letter " << r.c);
        table t;
        t.s.want_reap = t.s.want_scan = false; // as after the first turn
        REQUIRE(svs::on_control(t.s, r.c));
        CHECK(t.s.want_reap == r.reap);
        CHECK(t.s.want_scan == r.scan);
        CHECK(t.s.cont == r.cont);
        CHECK(t.s.wait_all == r.wait);
        CHECK(t.s.want_kill == r.kill);
    }
}

TEST_CASE("svscan control: letters of one write add up; a later kill request replaces",
          "[svscan_state]")
{
    auto after = [](std::string_view bytes) {
        table t;
        t.s.want_reap = t.s.want_scan = false;
        control(t, bytes);
        return t.s;
    };
    svs::scanner s = after("za");
    CHECK((s.want_reap && s.want_scan && s.want_kill == 0 && s.cont));

    s = after("an"); // s6-overlay's services-down: scan, then prune
    CHECK((s.want_scan && s.want_kill == 2 && s.cont));
    s = after("na");
    CHECK((s.want_scan && s.want_kill == 2 && s.cont));

    // n, N, h, t, q replace wantkill, they do not OR into it.
    CHECK(after("qn").want_kill == 2);
    CHECK(after("nq").want_kill == 7);
    CHECK(after("Nn").want_kill == 2);
    CHECK(after("nN").want_kill == 6);
    CHECK(after("th").want_kill == 2);
    CHECK(after("ht").want_kill == 3);
    CHECK(after("qt").want_kill == 3);
    s = after("qn");
    CHECK(!s.cont); // still leaving: only the kill request was replaced

    // b keeps a pending kill (tb signals everyone) but gives up the waiting.
    s = after("tb");
    CHECK((!s.cont && !s.wait_all && s.want_kill == 3));
    s = after("b");
    CHECK((!s.cont && !s.wait_all && s.want_kill == 0));
    s = after("bn");
    CHECK((!s.cont && !s.wait_all && s.want_kill == 2));
    // ...while a t, i or q after b asks for the waiting again.  Stock 2.11.3.2 agrees on tb,
    // bt and qn (checked with a service that ignores SIGTERM: after bt and qn it keeps
    // waiting, after qn without having signalled anyone).
    s = after("bt");
    CHECK((!s.cont && s.wait_all && s.want_kill == 3));
}

TEST_CASE("svscan signals: fixed meanings, scripts, and default actions", "[svscan_state]")
{
    reset();
    {
        table t;
        t.s.want_reap = t.s.want_scan = false;
        svs::on_signal(t.s, SIGCHLD);
        CHECK((t.s.want_reap && !t.s.want_scan && t.s.cont));
        svs::on_signal(t.s, SIGALRM);
        CHECK(t.s.want_scan);
        svs::on_signal(t.s, SIGABRT);
        CHECK((!t.s.cont && !t.s.wait_all && t.s.want_kill == 0));
    }
    // The fixed signals never look for a script, even when one would run.
    w.have_script = true;
    {
        table t;
        for (int sig : {SIGCHLD, SIGALRM, SIGABRT})
            svs::on_signal(t.s, sig);
        CHECK(w.scripts.empty());
        CHECK(!t.s.cont);
    }

    struct row
    {
        int sig;
        bool scan, cont;
        unsigned kill;
    };
    row const defaults[] = {
        {SIGHUP, true, true, 2},    {SIGINT, false, false, 3},  {SIGTERM, false, false, 3},
        {SIGQUIT, false, false, 7}, {SIGUSR1, false, true, 0},  {SIGUSR2, false, true, 0},
        {SIGPWR, false, true, 0},   {SIGWINCH, false, true, 0},
    };
    for (row const &r : defaults) {
        INFO("signal " << r.sig);
        // No script: the default action.
        w.have_script = false;
        w.scripts.clear();
        table t;
        t.s.want_reap = t.s.want_scan = false;
        svs::on_signal(t.s, r.sig);
        CHECK(w.scripts.empty());
        CHECK(t.s.want_scan == r.scan);
        CHECK(t.s.cont == r.cont);
        CHECK(t.s.want_kill == r.kill);
        CHECK(t.s.wait_all);
        // A script that could be spawned replaces the default action entirely.
        w.have_script = true;
        table u;
        u.s.want_reap = u.s.want_scan = false;
        svs::on_signal(u.s, r.sig);
        CHECK(w.scripts == std::vector<int>{r.sig});
        CHECK((!u.s.want_scan && !u.s.want_reap && u.s.cont && u.s.want_kill == 0));
    }
}

TEST_CASE("svscan deadline: lower_deadline only ever moves it earlier", "[svscan_state]")
{
    table t;
    t.s.deadline = -1; // none
    svs::lower_deadline(t.s, 5000);
    CHECK(t.s.deadline == 5000);
    svs::lower_deadline(t.s, 7000);
    CHECK(t.s.deadline == 5000);
    svs::lower_deadline(t.s, 3000);
    CHECK(t.s.deadline == 3000);
}

// ---------------------------------------------------------------------------------------
// Scanning.

TEST_CASE("svscan scan: one supervisor per service directory, and nothing else", "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    d.service("a");
    d.service("b");
    d.service(".hidden");                            // dot names are skipped
    h::write_file(d.dir / "file", "x");           // not a directory
    REQUIRE(::mkfifo("fifo", 0600) == 0);            // not a directory
    REQUIRE(::symlink("file", "link-to-file") == 0); // not a directory once followed
    d.service("target");
    REQUIRE(::symlink("target", "link-to-dir") == 0); // the same directory as target
    d.service("other");
    REQUIRE(::symlink("other", "alias") == 0); // ...and as other

    first_turn(t);
    CHECK(t.s.n == 4);
    auto names = spawned_names();
    REQUIRE(names.size() == 4);
    // A directory reached through two names is supervised once, under the name met first.
    CHECK(names[0] == "a");
    CHECK((names[1] == "alias" || names[1] == "b"));
    CHECK(std::count(names.begin(), names.end(), "a") == 1);
    CHECK(std::count(names.begin(), names.end(), "b") == 1);
    CHECK(std::count(names.begin(), names.end(), "alias") +
              std::count(names.begin(), names.end(), "other") ==
          1);
    CHECK(std::count(names.begin(), names.end(), "target") +
              std::count(names.begin(), names.end(), "link-to-dir") ==
          1);
    for (auto const &sp : w.spawns) {
        CHECK(sp.fd < 0); // unlogged: nothing redirected
        CHECK(!sp.console);
    }
    for (unsigned i = 0; i < t.s.n; i++) {
        CHECK(t.tab[i].active);
        CHECK(!t.tab[i].logged);
        CHECK(!t.tab[i].special);
    }
    CHECK(t.s.deadline == -1); // no -t, nothing to retry

    // A second scan starts nothing new; neither does a rename (the inode is the identity).
    w.spawns.clear();
    REQUIRE(::rename("a", "renamed") == 0);
    t.s.want_scan = true;
    REQUIRE(!turn(t));
    CHECK(w.spawns.empty());
    CHECK(t.s.n == 4);
    CHECK(entry(t, "renamed")->active);
}

TEST_CASE("svscan scan: nothing happens unless a scan was asked for", "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    d.service("a");
    t.s.want_scan = false;
    REQUIRE(!turn(t));
    CHECK(w.spawns.empty());
    t.s.want_scan = true;
    REQUIRE(!turn(t));
    CHECK(w.spawns.size() == 1);
    CHECK(!t.s.want_scan);
    CHECK(!t.s.want_reap);
}

TEST_CASE("svscan scan: -t sets the next scan; none without it", "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    t.s.rescan_ms = 500;
    first_turn(t);
    CHECK(t.s.deadline == w.now + 500);
    table u;
    u.s.deadline = 12345;
    first_turn(u);
    CHECK(u.s.deadline == -1);
}

TEST_CASE("svscan scan: a log/ directory gets a logger, started first, and a held pipe",
          "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    d.service("svc", true);
    first_turn(t);
    REQUIRE(w.spawns.size() == 2);
    // The logger first, so it is there to read when the service starts writing.
    CHECK(w.spawns[0].name == "svc/log");
    CHECK(w.spawns[1].name == "svc");
    svs::service *e = entry(t, "svc");
    REQUIRE(e);
    CHECK(e->logged);
    CHECK(e->pid[0] == w.spawns[1].pid);
    CHECK(e->pid[1] == w.spawns[0].pid);
    // Logger: stdin = the read end; service: stdout = the write end.  Nothing else.
    CHECK(w.spawns[0].fd == e->p[0]);
    CHECK(w.spawns[0].target == 0);
    CHECK(w.spawns[1].fd == e->p[1]);
    CHECK(w.spawns[1].target == 1);
    // We hold both ends, close-on-exec, for the entry's lifetime.
    CHECK(::fcntl(e->p[0], F_GETFD) == FD_CLOEXEC);
    CHECK(::fcntl(e->p[1], F_GETFD) == FD_CLOEXEC);
    CHECK(t.s.n == 1); // a logged service counts once
    svs::close_pipes(t.s);
}

TEST_CASE("svscan scan: log must be a directory, and is looked at once", "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    d.service("plain");
    h::write_file(d.dir / "plain/log", "not a directory");
    d.service("later");
    first_turn(t);
    CHECK(spawned_names() == std::vector<std::string>{"later", "plain"});
    CHECK(!entry(t, "plain")->logged);
    // log/ appearing afterwards changes nothing until the entry is dropped and found again.
    REQUIRE(::mkdir("later/log", 0755) == 0);
    w.spawns.clear();
    t.s.want_scan = true;
    REQUIRE(!turn(t));
    CHECK(w.spawns.empty());
    CHECK(!entry(t, "later")->logged);
}

TEST_CASE("svscan scan: s6-svscan-log is never logged and gets the console", "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    d.service("s6-svscan-log", true);
    d.service("x");
    first_turn(t);
    CHECK(spawned_names() == std::vector<std::string>{"s6-svscan-log", "x"});
    svs::service *e = entry(t, "s6-svscan-log");
    CHECK(e->special);
    CHECK(!e->logged);
    CHECK(e->p[0] == svs::pipe_closed);
    for (auto const &sp : w.spawns) {
        CHECK(sp.console == (sp.name == "s6-svscan-log"));
        CHECK(sp.fd < 0);
    }
    CHECK(!entry(t, "x")->special);
}

TEST_CASE("svscan scan: a dangling symlink warns and retries in 3 s", "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    REQUIRE(::symlink("nowhere", "dangling") == 0);
    d.service("ok");
    stderr_capture err;
    first_turn(t);
    CHECK(err.text() == "s6-svscan: warning: unable to stat dangling: "
                        "No such file or directory\n");
    CHECK(t.s.deadline == w.now + 3000);
    CHECK(spawned_names() == std::vector<std::string>{"ok"});
}

TEST_CASE("svscan scan: more directories than -c allows are skipped with a warning",
          "[svscan_state]")
{
    reset();
    scandir d;
    table t(2);
    d.service("a");
    d.service("b");
    d.service("c");
    stderr_capture err;
    first_turn(t);
    CHECK(t.s.n == 2);
    CHECK(w.spawns.size() == 2);
    std::string const msg = err.text();
    CHECK(msg.rfind("s6-svscan: warning: unable to start supervisor for ", 0) == 0);
    CHECK(msg.find(": too many services\n") != std::string::npos);
    CHECK(std::count(msg.begin(), msg.end(), '\n') == 1);
}

TEST_CASE("svscan scan: a vanished service keeps running; the scan drops only idle entries",
          "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    d.service("gone");
    d.service("stays");
    first_turn(t);
    pid_t const gone = pid_of("gone");
    svs::service *e = entry(t, "gone");
    REQUIRE(e);
    hide("gone");
    t.s.want_scan = true;
    REQUIRE(!turn(t));
    CHECK(w.kills.empty()); // a scan never signals anything
    REQUIRE(t.s.n == 2);    // kept while its supervisor runs, inactive
    CHECK(!e->active);
    CHECK(e->pid[0] == gone);
    // Its supervisor dies: the reaper drops the inactive entry at once.
    w.dead.push_back(gone);
    t.s.want_reap = true;
    REQUIRE(!turn(t));
    CHECK(t.s.n == 1);
    CHECK(t.s.deadline == -1); // no restart planned for an inactive entry
}

// ---------------------------------------------------------------------------------------
// Reaping and restarts.

TEST_CASE("svscan reap: a dead supervisor of an active service is back 1 s later", "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    d.service("a");
    first_turn(t);
    pid_t const old = pid_of("a");
    w.dead = {old, 4242}; // and an orphan, reaped with nothing more
    t.s.want_reap = true;
    REQUIRE(!turn(t));
    CHECK(w.dead.empty());
    svs::service *e = entry(t, "a");
    CHECK(e->pid[0] == 0);
    CHECK(e->restart_after[0] == w.now + 1000);
    CHECK(t.s.deadline == w.now + 1000);
    // A scan before then leaves it down and keeps the deadline.
    w.spawns.clear();
    w.now += 500;
    t.s.want_scan = true;
    REQUIRE(!turn(t));
    CHECK(w.spawns.empty());
    CHECK(t.s.deadline == w.now + 500);
    // The scan the deadline triggers restarts it.
    w.now += 500;
    t.s.want_scan = true;
    REQUIRE(!turn(t));
    CHECK(spawned_names() == std::vector<std::string>{"a"});
    CHECK(e->pid[0] == w.spawns[0].pid);
    CHECK(t.s.deadline == -1);
}

TEST_CASE("svscan reap: waitpid errors", "[svscan_state]")
{
    reset();
    table t;
    SECTION("ECHILD ends the pass quietly")
    {
        w.wait_errno = ECHILD;
        t.s.want_scan = false;
        CHECK(!turn(t));
        CHECK(w.panicked.empty());
        CHECK(!t.s.want_reap);
    }
    SECTION("anything else is a panic (.s6-svscan/crash)")
    {
        w.wait_errno = EINVAL;
        t.s.want_scan = false;
        CHECK(turn(t));
        CHECK(w.panicked == "wait_nohang");
    }
}

TEST_CASE("svscan reap: an inactive logged entry loses its pipe when either side dies",
          "[svscan_state]")
{
    for (int first : {0, 1}) {
        INFO((first ? "logger" : "service") << " dies first");
        reset();
        scandir d;
        table t;
        d.service("svc", true);
        first_turn(t);
        svs::service *e = entry(t, "svc");
        int const r = e->p[0], wr = e->p[1];
        pid_t const pids[2] = {e->pid[0], e->pid[1]};
        hide("svc");
        t.s.want_scan = true;
        REQUIRE(!turn(t));
        REQUIRE(!e->active);
        CHECK(fd_open(r)); // the scan alone closes nothing while a supervisor runs
        w.dead.push_back(pids[first]);
        t.s.want_reap = true;
        REQUIRE(!turn(t));
        REQUIRE(t.s.n == 1);
        CHECK(!fd_open(r));
        CHECK(!fd_open(wr));
        CHECK(e->p[0] == svs::pipe_closed);
        CHECK(e->p[1] == svs::pipe_closed);
        w.dead.push_back(pids[!first]);
        t.s.want_reap = true;
        REQUIRE(!turn(t));
        CHECK(t.s.n == 0);
        CHECK(!t.s.want_scan);
    }
}

TEST_CASE("svscan reap: an entry being dismantled is not reused when its directory returns",
          "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    d.service("svc", true);
    first_turn(t);
    svs::service *e = entry(t, "svc");
    pid_t const svc = e->pid[0], logger = e->pid[1];
    hide("svc");
    t.s.want_scan = true;
    REQUIRE(!turn(t));
    w.dead.push_back(svc); // the service side dies: the pipe is gone
    t.s.want_reap = true;
    REQUIRE(!turn(t));
    REQUIRE(e->p[0] == svs::pipe_closed);

    // The directory comes back while the old logger still runs: marked, left alone.
    unhide("svc");
    w.spawns.clear();
    t.s.want_scan = true;
    REQUIRE(!turn(t));
    CHECK(w.spawns.empty());
    CHECK(e->p[0] == svs::pipe_closed_refound);
    CHECK(!e->active);
    CHECK(t.s.n == 1);

    // The old logger dies: the entry goes and a new scan is asked for...
    w.dead.push_back(logger);
    svs::on_control(t.s, 'z');
    svs::reap(t.s);
    CHECK(t.s.n == 0);
    CHECK(t.s.want_scan);
    // ...which gives the directory a fresh entry, a new pipe and both supervisors.
    REQUIRE(!turn(t));
    CHECK(spawned_names() == std::vector<std::string>{"svc", "svc/log"});
    svs::service *f = entry(t, "svc");
    REQUIRE(f);
    CHECK(f->logged);
    CHECK(f->active);
    CHECK(fd_open(f->p[0]));
    CHECK(fd_open(f->p[1]));
    svs::close_pipes(t.s);
}

TEST_CASE("svscan spawn: a failed fork is retried in 4 s, a failed exec in 1 s", "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    d.service("nofork");
    d.service("noexec");
    w.fork_fails.insert("nofork");
    w.exec_fails.insert("noexec");
    stderr_capture err;
    first_turn(t);
    CHECK(w.spawns.empty());
    CHECK(err.text().find("s6-svscan: warning: unable to fork for nofork: ") == 0);
    CHECK(entry(t, "nofork")->restart_after[0] == w.now + 4000);
    CHECK(entry(t, "noexec")->restart_after[0] == w.now + 1000);
    CHECK(t.s.deadline == w.now + 1000);
    CHECK(t.s.n == 2); // the entries exist, with no supervisor

    w.exec_fails.clear();
    w.fork_fails.clear();
    w.now += 1000;
    t.s.want_scan = true;
    REQUIRE(!turn(t));
    CHECK(spawned_names() == std::vector<std::string>{"noexec"});
    CHECK(t.s.deadline == w.now + 3000); // nofork's retry
    w.now += 3000;
    t.s.want_scan = true;
    REQUIRE(!turn(t));
    CHECK(spawned_names() == std::vector<std::string>{"noexec", "nofork"});
}

// ---------------------------------------------------------------------------------------
// Who gets which signal.

namespace {

// Active: a (unlogged), b (+ b/log), s6-svscan-log.  Inactive (hidden since the last scan,
// supervisors still running): c (unlogged), d (+ d/log).
void kill_setup(scandir &d, table &t)
{
    d.service("a");
    d.service("b", true);
    d.service("s6-svscan-log");
    d.service("c");
    d.service("d", true);
    first_turn(t);
    REQUIRE(w.spawns.size() == 7);
    hide("c");
    hide("d");
    t.s.want_scan = true;
    REQUIRE(!turn(t));
    REQUIRE(t.s.n == 5);
    w.kills.clear();
}

} // namespace

TEST_CASE("svscan kill: which supervisors get which signal (protocol §9)", "[svscan_state]")
{
    struct row
    {
        char const *letters;
        std::vector<std::string> kills; // sorted
    };
    row const rows[] = {
        // h, n: inactive only; services TERM, loggers HUP.
        {"n", {"c:TERM", "d/log:HUP", "d:TERM"}},
        {"h", {"c:TERM", "d/log:HUP", "d:TERM"}},
        // N: inactive only; everything TERM.
        {"N", {"c:TERM", "d/log:TERM", "d:TERM"}},
        // t, i: everything; services TERM, loggers and s6-svscan-log HUP.
        {"t",
         {"a:TERM", "b/log:HUP", "b:TERM", "c:TERM", "d/log:HUP", "d:TERM", "s6-svscan-log:HUP"}},
        {"i",
         {"a:TERM", "b/log:HUP", "b:TERM", "c:TERM", "d/log:HUP", "d:TERM", "s6-svscan-log:HUP"}},
        // q: everything TERM.
        {"q",
         {"a:TERM", "b/log:TERM", "b:TERM", "c:TERM", "d/log:TERM", "d:TERM",
          "s6-svscan-log:TERM"}},
        // The last request wins.
        {"qn", {"c:TERM", "d/log:HUP", "d:TERM"}},
        {"nq",
         {"a:TERM", "b/log:TERM", "b:TERM", "c:TERM", "d/log:TERM", "d:TERM",
          "s6-svscan-log:TERM"}},
        // Nothing asked, nothing sent.
        {"z", {}},
        {"a", {}},
        {"b", {}},
    };
    for (row const &r : rows) {
        INFO("letters " << r.letters);
        reset();
        scandir d;
        table t;
        kill_setup(d, t);
        control(t, r.letters);
        REQUIRE(!turn(t));
        CHECK(sorted_kills() == r.kills);
        CHECK(t.s.want_kill == 0);
        // The pass runs once per request.
        w.kills.clear();
        REQUIRE(!turn(t));
        CHECK(w.kills.empty());
        svs::close_pipes(t.s);
    }
}

TEST_CASE("svscan kill: one write acts as reap, then scan, then kill", "[svscan_state]")
{
    SECTION("n alone acts on the last scan; an scans first, so it prunes what just went")
    {
        reset();
        scandir d;
        table t;
        d.service("a");
        first_turn(t);
        hide("a");
        control(t, "n");
        REQUIRE(!turn(t));
        CHECK(w.kills.empty()); // still active as far as the last scan knows

        reset();
        scandir d2;
        table u;
        d2.service("a");
        first_turn(u);
        hide("a");
        control(u, "na"); // order within the write does not matter
        REQUIRE(!turn(u));
        CHECK(w.kills == std::vector<std::string>{"a:TERM"});
    }
    SECTION("h = a + n")
    {
        reset();
        scandir d;
        table t;
        d.service("a");
        d.service("b");
        first_turn(t);
        hide("a");
        control(t, "h");
        REQUIRE(!turn(t));
        CHECK(w.kills == std::vector<std::string>{"a:TERM"});
    }
    SECTION("z before a: a supervisor that died is reaped before the scan sees its entry")
    {
        reset();
        scandir d;
        table t;
        d.service("a");
        first_turn(t);
        pid_t const old = pid_of("a");
        hide("a");
        t.s.want_scan = true;
        REQUIRE(!turn(t)); // inactive, still running
        w.dead.push_back(old);
        unhide("a");
        w.spawns.clear();
        control(t, "az");
        REQUIRE(!turn(t));
        // The reap dropped the inactive entry, so the scan made a new one and started it at
        // once; scanning first would have found the old pid and waited a second.
        CHECK(spawned_names() == std::vector<std::string>{"a"});
        CHECK(entry(t, "a")->pid[0] == w.spawns[0].pid);
    }
}

// ---------------------------------------------------------------------------------------
// Finish phase.

TEST_CASE("svscan finish: t signals, closes the pipes, restores the console, waits for all",
          "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    kill_setup(d, t);
    int const bp = entry(t, "b")->p[0];
    control(t, "t");
    REQUIRE(!t.s.cont);
    // Every supervisor dies, in some order, with an orphan in between.
    for (auto const &sp : w.spawns) {
        w.dead.push_back(sp.pid);
        if (sp.name == "a") w.dead.push_back(9999);
    }
    svs::finish(t.s);
    CHECK(sorted_kills() == std::vector<std::string>{"a:TERM", "b/log:HUP", "b:TERM", "c:TERM",
                                                     "d/log:HUP", "d:TERM", "s6-svscan-log:HUP"});
    CHECK(!fd_open(bp));
    CHECK(w.stdout_releases == 1); // there is an s6-svscan-log entry
    CHECK(w.console_restores == 1);
    CHECK(w.dead.empty());
    CHECK(w.blocking_waits == 8);
    for (unsigned i = 0; i < t.s.n; i++)
        CHECK((t.tab[i].pid[0] == 0 && t.tab[i].pid[1] == 0));
}

TEST_CASE("svscan finish: wait_all stops when the last supervisor is gone", "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    d.service("a");
    d.service("b", true);
    first_turn(t);
    control(t, "q");
    for (auto const &sp : w.spawns)
        w.dead.push_back(sp.pid);
    w.dead.push_back(7777); // exits after the last supervisor: not waited for
    svs::finish(t.s);
    CHECK(w.dead == std::deque<pid_t>{7777});
    CHECK(w.blocking_waits == 3);
    CHECK(w.stdout_releases == 0); // no s6-svscan-log: our stdout stays
}

TEST_CASE("svscan finish: wait_all gives up with a warning when waitpid fails", "[svscan_state]")
{
    reset();
    scandir d;
    table t;
    d.service("a");
    first_turn(t);
    control(t, "t");
    stderr_capture err;
    svs::finish(t.s); // nothing dies: the fake's blocking wait says ECHILD
    CHECK(err.text() == "s6-svscan: warning: unable to wait for all s6-supervise processes: "
                        "No child processes\n");
    CHECK(w.panicked.empty());
}

TEST_CASE("svscan finish: b does not wait, and signals only what was pending", "[svscan_state]")
{
    for (char const *letters : {"b", "tb"}) {
        INFO("letters " << letters);
        reset();
        scandir d;
        table t;
        d.service("a");
        d.service("b", true);
        first_turn(t);
        int const bp = entry(t, "b")->p[1];
        control(t, letters);
        w.dead.push_back(pid_of("a")); // already dead: reaped by the one non-blocking pass
        svs::finish(t.s);
        if (letters[1])
            CHECK(sorted_kills() == std::vector<std::string>{"a:TERM", "b/log:HUP", "b:TERM"});
        else
            CHECK(w.kills.empty());
        CHECK(w.blocking_waits == 0);
        CHECK(w.dead.empty());
        CHECK(!fd_open(bp)); // the pipes are closed all the same
        CHECK(w.console_restores == 1);
        CHECK(w.stdout_releases == 0);
    }
}
