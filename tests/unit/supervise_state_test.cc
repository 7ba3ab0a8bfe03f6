// The s6-supervise state x event table, driven through a fake system seam: every state meets
// every event, and the effects are checked against s6 2.11's rules (supervise-protocol.md §7,
// §8, §10).  state.cc is compiled into this test as it is into the daemon.
#include <catch2/catch.hpp>

#include <csetjmp>
#include <csignal>
#include <string>
#include <sys/wait.h>

#include "../../tools/s6-supervise/state.hh"

namespace {

// What the fake system records.
struct fake_world {
    std::int64_t now = 1000000;   // the monotonic clock, ms
    std::int64_t wall_shift = 0;  // how far the wall clock has been stepped from it, ms
    std::string log;         // one token per effect, space-separated
    std::string events;      // what notify() sent
    int status_writes = 0;
    pid_t next_pid = 100;
    bool run_fails = false;   // spawn_run fails (exec error)
    bool has_finish = true;
    int down_sig = SIGTERM;
    std::uint32_t tkill = 0, tfinish = 5000;
    bool quitted = false;
    std::jmp_buf quit_jump;
} w;

void reset()
{
    w.now = 1000000;
    w.wall_shift = 0;
    w.log.clear();
    w.events.clear();
    w.status_writes = 0;
    w.next_pid = 100;
    w.run_fails = false;
    w.has_finish = true;
    w.down_sig = SIGTERM;
    w.tkill = 0;
    w.tfinish = 5000;
    w.quitted = false;
}

void note(std::string const &s) { w.log += s + " "; }

} // namespace

namespace svd::sys {
std::int64_t now_ms() noexcept { return w.now; }
sv::tain now_tain() noexcept { return {sv::tai64_base + static_cast<std::uint64_t>((w.now + w.wall_shift) / 1000), 0}; }
void write_status(sv::status const &) noexcept { w.status_writes++; }
void notify(std::string_view e) noexcept { w.events += e; }
void send_signal(pid_t pid, int sig) noexcept { note("kill:" + std::to_string(pid) + ":" + std::to_string(sig)); }
void send_signal_group(pid_t pid, int sig) noexcept { note("killpg:" + std::to_string(pid) + ":" + std::to_string(sig)); }
pid_t spawn_run(std::int64_t *retry_ms) noexcept
{
    if (w.run_fails) {
        *retry_ms = 10000;
        note("run-failed");
        return 0;
    }
    note("run");
    return w.next_pid++;
}
pid_t spawn_finish(int) noexcept
{
    if (!w.has_finish) return 0;
    note("finish");
    return w.next_pid++;
}
void close_notification() noexcept {}
void record_death(sv::tain, int) noexcept { note("tally"); }
int down_signal() noexcept { return w.down_sig; }
std::uint32_t timeout_kill_ms() noexcept { return w.tkill; }
std::uint32_t timeout_finish_ms() noexcept { return w.tfinish; }
void create_down_file() noexcept { note("mkdown"); }
void remove_down_file() noexcept { note("rmdown"); }
void reopen_stdio_devnull() noexcept { note("devnull"); }
void quit() noexcept
{
    w.quitted = true;
    notify("x");
    std::longjmp(w.quit_jump, 1);
}
} // namespace svd::sys

namespace {

using svd::state;

int letter(char c) { return svd::event_of_letter(static_cast<unsigned char>(c)); }

// Feeds an event; returns true if the supervisor quit.
bool feed(svd::supervisor &s, int ev)
{
    if (setjmp(w.quit_jump)) return true;
    svd::dispatch(s, ev);
    return false;
}

// A supervisor brought into the given state through real transitions.
svd::supervisor in_state(state st, bool wantup = true)
{
    svd::supervisor s;
    svd::start(s, wantup);
    if (st == state::down) return s;
    REQUIRE(!feed(s, letter('u')));
    REQUIRE(s.st == state::up);
    if (!wantup) REQUIRE(!feed(s, letter('o')));
    if (st == state::lastup) REQUIRE(!feed(s, letter('x')));
    if (st == state::finish || st == state::lastfinish) {
        if (st == state::lastfinish) REQUIRE(!feed(s, letter('x')));
        s.wstat = SIGKILL;
        REQUIRE(!feed(s, svd::ev_died));
    }
    REQUIRE(s.st == st);
    w.log.clear();
    w.events.clear();
    w.status_writes = 0;
    return s;
}

} // namespace

TEST_CASE("state table: start-up writes status, sends s and starts when wanted up", "[state]")
{
    reset();
    svd::supervisor s;
    svd::start(s, true);
    CHECK(w.events == "s");
    CHECK(s.status.wantup);
    CHECK(s.status.ready);
    CHECK(s.timer == w.now);
    REQUIRE(!feed(s, svd::ev_timeout));
    CHECK(s.st == state::up);
    CHECK(w.events == "su");

    reset();
    svd::supervisor t;
    svd::start(t, false);
    REQUIRE(!feed(t, svd::ev_timeout));
    CHECK(t.st == state::down);
    CHECK(t.timer == -1);
}

TEST_CASE("state table: every letter is known and nothing else is", "[state]")
{
    for (int c = 0; c < 256; c++) {
        bool valid = std::string_view("abqhkti12pcyroduDUxOQ").find(static_cast<char>(c)) !=
                         std::string_view::npos && c != 0;
        CHECK((svd::event_of_letter(static_cast<unsigned char>(c)) >= 0) == valid);
    }
}

TEST_CASE("state table: every state x event pair is handled", "[state]")
{
    // Walk the whole table: no pair may crash, and the invariants hold.
    for (state st : {state::down, state::up, state::finish, state::lastup, state::lastfinish}) {
        for (int ev = 0; ev < svd::n_events; ev++) {
            reset();
            auto s = in_state(st);
            pid_t const pid = static_cast<pid_t>(s.status.pid);
            s.wstat = 0;
            bool q = feed(s, ev);
            INFO("state " << int(st) << " event " << ev << " log: " << w.log << " events: " << w.events);
            // x is always the last event sent, and only when quitting.
            CHECK(q == (w.events.find('x') != std::string::npos));
            if (q) CHECK(w.events.back() == 'x');
            // Nothing is ever sent to pid 0.
            CHECK(w.log.find("kill:0:") == std::string::npos);
            // In down, no signal letter sends anything.
            if (st == state::down && ev >= svd::ev_letter0) CHECK(w.log.find("kill") == std::string::npos);
            // In finish states the signal letters are ignored.
            if ((st == state::finish || st == state::lastfinish) && ev >= svd::ev_letter0)
                CHECK(w.log.find("kill") == std::string::npos);
            // "up" in the status means a run process exists.
            if (!q) CHECK(s.status.is_up() == (s.st == state::up || s.st == state::lastup));
            (void)pid;
        }
    }
}

TEST_CASE("state table: signal letters while up go to the pid only", "[state]")
{
    struct {
        char c;
        int sig;
    } const map[] = {{'a', SIGALRM}, {'b', SIGABRT}, {'q', SIGQUIT}, {'h', SIGHUP},  {'k', SIGKILL},
                     {'t', SIGTERM}, {'i', SIGINT},  {'1', SIGUSR1}, {'2', SIGUSR2}, {'y', SIGWINCH}};
    for (auto m : map) {
        reset();
        auto s = in_state(state::up);
        REQUIRE(!feed(s, letter(m.c)));
        CHECK(w.log == "kill:" + std::to_string(s.status.pid) + ":" + std::to_string(m.sig) + " ");
        CHECK(w.status_writes == 0);
        CHECK(w.events.empty());
        CHECK(s.st == state::up);
    }
}

TEST_CASE("state table: d sends the down signal then SIGCONT and arms timeout-kill; r does not CONT", "[state]")
{
    reset();
    w.down_sig = SIGHUP;
    w.tkill = 700;
    auto s = in_state(state::up);
    auto pid = std::to_string(s.status.pid);
    REQUIRE(!feed(s, letter('d')));
    CHECK(w.log == "kill:" + pid + ":" + std::to_string(SIGHUP) + " kill:" + pid + ":" + std::to_string(SIGCONT) + " ");
    CHECK(!s.status.wantup);
    CHECK(s.timer == w.now + 700);
    w.log.clear();
    w.now += 700;
    REQUIRE(!feed(s, svd::ev_timeout));
    CHECK(w.log == "kill:" + pid + ":9 ");
    CHECK(s.timer == w.now + 5000);

    reset();
    auto r = in_state(state::up);
    REQUIRE(!feed(r, letter('r')));
    CHECK(w.log == "kill:" + std::to_string(r.status.pid) + ":15 ");
    CHECK(r.status.wantup);
}

TEST_CASE("state table: death runs finish, then down with the throttle", "[state]")
{
    reset();
    auto s = in_state(state::up);
    s.wstat = 3 << 8;
    REQUIRE(!feed(s, svd::ev_died));
    CHECK(s.st == state::finish);
    CHECK(w.log == "tally finish ");
    CHECK(w.events == "d");
    CHECK(s.status.finishing);
    CHECK(s.status.wstat == (3 << 8));
    CHECK(s.timer == w.now + 5000); // timeout-finish
    s.wstat = 0;
    w.now += 10;
    REQUIRE(!feed(s, svd::ev_died));
    CHECK(s.st == state::down);
    CHECK(w.events == "dD");
    CHECK(s.status.ready);
    CHECK(s.status.pid == 0);
    CHECK(s.timer == w.now + 1000); // not ready during the run: one second from now
}

TEST_CASE("state table: a run ready long ago restarts at once", "[state]")
{
    reset();
    w.has_finish = false;
    auto s = in_state(state::up);
    svd::on_ready(s);
    CHECK(w.events == "U");
    w.now += 5000;
    s.wstat = SIGKILL;
    REQUIRE(!feed(s, svd::ev_died));
    CHECK(w.events == "UdD");
    CHECK(s.timer <= w.now);
}

// The wall clock stepped back or forward (an NTP step, an operator's date -s): the status
// stamps follow it, as stock's do (s6-supervise reads them with tain_wallclock_read), while
// the throttle and every timer run on the monotonic clock, as stock's stopwatch does.  The
// fake wall clock is the monotonic one plus w.wall_shift.
TEST_CASE("state table: a wall clock step moves the stamps, never the throttle or the timers",
          "[state][clock]")
{
    auto wall = [] {
        return sv::tain{sv::tai64_base + static_cast<std::uint64_t>((w.now + w.wall_shift) / 1000),
                        0};
    };
    for (std::int64_t const jump : {-3600000LL, -900000LL, 86400000LL, 1000LL}) {
        INFO("jump " << jump);
        reset();
        w.now = 100000000000; // far enough from 0 for the wall clock to go back an hour
        w.has_finish = false;
        auto s = in_state(state::up);
        // Ready 200 ms after the start, the wall clock having jumped in between.
        w.now += 200;
        w.wall_shift += jump;
        svd::on_ready(s);
        CHECK(s.ready_at == w.now);
        CHECK(s.status.readystamp == wall());
        // Dead 300 ms later, after a second jump: restarted one second after readiness, on the
        // monotonic clock, whichever way the wall clock went.
        w.now += 300;
        w.wall_shift += jump;
        s.wstat = SIGKILL;
        REQUIRE(!feed(s, svd::ev_died));
        REQUIRE(s.st == state::down);
        CHECK(s.status.stamp == wall());
        CHECK(s.timer == s.ready_at + 1000);
        CHECK(s.timer == w.now + 700);
        // (main.cc's loop fires the timer when sv::mono_ms() reaches it.)
        w.now = s.timer;
        w.wall_shift -= 3 * jump;
        REQUIRE(!feed(s, svd::ev_timeout));
        CHECK(s.st == state::up);
        CHECK(s.status.stamp == wall());

        // Never ready: one second after the death, again on the monotonic clock.
        w.wall_shift += jump;
        w.now += 50;
        s.wstat = 0;
        REQUIRE(!feed(s, svd::ev_died));
        CHECK(s.timer == w.now + 1000);

        // timeout-kill and timeout-finish deadlines likewise.
        w.now = s.timer;
        REQUIRE(!feed(s, svd::ev_timeout));
        REQUIRE(s.st == state::up);
        w.tkill = 2000;
        REQUIRE(!feed(s, letter('d')));
        w.wall_shift -= jump;
        CHECK(s.timer == w.now + 2000);
    }
}

TEST_CASE("state table: finish exiting 125 clears wantup and sends OD", "[state]")
{
    reset();
    auto s = in_state(state::finish);
    s.wstat = 125 << 8;
    REQUIRE(!feed(s, svd::ev_died));
    CHECK(w.events == "OD");
    CHECK(!s.status.wantup);
}

TEST_CASE("state table: exec failure of run retries in 10 s without a status change", "[state]")
{
    reset();
    w.run_fails = true;
    svd::supervisor s;
    svd::start(s, true);
    int writes = w.status_writes;
    REQUIRE(!feed(s, svd::ev_timeout));
    CHECK(s.st == state::down);
    CHECK(s.timer == w.now + 10000);
    CHECK(w.status_writes == writes);
    CHECK(w.events == "s");
}

TEST_CASE("state table: x and signals to the supervisor", "[state]")
{
    reset();
    auto s = in_state(state::down);
    CHECK(feed(s, letter('x')));

    reset();
    auto u = in_state(state::up);
    REQUIRE(!feed(u, letter('x')));
    CHECK(u.st == state::lastup);
    CHECK(w.log == "devnull ");
    u.wstat = 0;
    REQUIRE(!feed(u, svd::ev_died));
    CHECK(u.st == state::lastfinish);
    u.wstat = 0;
    CHECK(feed(u, svd::ev_died));
    CHECK(w.events == "dDx");

    reset();
    auto t = in_state(state::up);
    REQUIRE(!feed(t, svd::ev_term));
    CHECK(t.st == state::lastup);
    CHECK(!t.status.wantup);
    CHECK(w.log.find("devnull") == std::string::npos); // as stock: SIGTERM keeps stdio

    reset();
    auto q = in_state(state::up);
    CHECK(feed(q, svd::ev_quit));
    CHECK(w.log.find("kill") == std::string::npos); // the service is left running

    reset();
    auto i = in_state(state::up);
    CHECK(feed(i, svd::ev_int));
    CHECK(w.log == "killpg:" + std::to_string(i.status.pid) + ":2 ");
}

TEST_CASE("state table: commands in down and finish", "[state]")
{
    reset();
    auto s = in_state(state::down, false);
    REQUIRE(!feed(s, letter('o')));
    CHECK(s.st == state::up);
    CHECK(!s.status.wantup);

    reset();
    auto f = in_state(state::finish);
    REQUIRE(!feed(f, letter('u')));
    CHECK(f.st == state::finish); // u in finish does not start now
    CHECK(f.status.wantup);
    REQUIRE(!feed(f, letter('D')));
    CHECK(w.log == "mkdown ");
    CHECK(!f.status.wantup);
    REQUIRE(!feed(f, letter('U')));
    CHECK(w.log == "mkdown rmdown ");
    CHECK(f.status.wantup);
    CHECK(f.st == state::finish);
}
