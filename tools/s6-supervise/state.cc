// The state x event table of s6-supervise, as in s6 2.11 (supervise-protocol.md §7, §8, §10).
// Every action is a plain function; the table is constexpr so that unit tests can walk it.
#include "state.hh"

#include <csignal>
#include <sys/wait.h>

#include <supervise/control.hh>
#include <supervise/diag.hh>

namespace svd {

namespace {

using action = void (*)(supervisor &, int) noexcept;

constexpr std::int64_t kill_repeat_ms = 5000; // SIGKILL again every 5 s until the child dies
constexpr std::int64_t throttle_ms = 1000;    // at least 1 s between two starts

// Signals sent by the letters a b q h k t i 1 2 y, indexed by letter.
int letter_signal(int ev) noexcept
{
    switch (sv::supervise_letters[static_cast<std::size_t>(ev - ev_letter0)]) {
    case 'a': return SIGALRM;
    case 'b': return SIGABRT;
    case 'q': return SIGQUIT;
    case 'h': return SIGHUP;
    case 'k': return SIGKILL;
    case 't': return SIGTERM;
    case 'i': return SIGINT;
    case '1': return SIGUSR1;
    case '2': return SIGUSR2;
    case 'y': return SIGWINCH;
    default: return 0;
    }
}

pid_t pid_of(supervisor const &s) noexcept { return static_cast<pid_t>(s.status.pid); }

void set_wantup(supervisor &s, bool up) noexcept
{
    s.status.wantup = up;
    sys::write_status(s.status);
}

// Tries to start ./run now.  On success: UP (or stays in the LAST variant), status and 'u'.
void try_start(supervisor &s) noexcept
{
    std::int64_t retry = 0;
    pid_t pid = sys::spawn_run(&retry);
    if (!pid) {
        s.timer = sys::now_ms() + retry;
        return;
    }
    s.st = state::up;
    s.ready_at = -1;
    s.timer = -1;
    s.status.pid = static_cast<std::uint64_t>(pid);
    s.status.stamp = sys::now_tain();
    s.status.ready = false;
    s.status.finishing = false;
    sys::write_status(s.status);
    sys::notify("u");
}

// The service is down and ready again (finish ended, or there was none): the "D" moment.
// events is "D", "OD" (finish exited 125) or "dD" (finish could not be started).
void become_down(supervisor &s, std::string_view events) noexcept
{
    bool const last = s.st == state::lastup || s.st == state::lastfinish;
    s.status.pid = 0;
    s.status.finishing = false;
    s.status.ready = true;
    s.status.readystamp = sys::now_tain();
    sys::write_status(s.status);
    sys::notify(events);
    if (last) sys::quit();
    s.st = state::down;
    // The throttle: one second after readiness if the run was ready, else after now.
    std::int64_t const now = sys::now_ms();
    s.timer = (s.ready_at >= 0 ? s.ready_at : now) + throttle_ms;
}

// run died: record it, start finish (FINISH / LASTFINISH) or go down at once.
void run_died(supervisor &s, int) noexcept
{
    bool const last = s.st == state::lastup;
    sys::close_notification();
    s.status.wstat = static_cast<std::uint16_t>(s.wstat);
    s.status.paused = false;
    s.status.ready = false;
    s.status.stamp = sys::now_tain();
    s.timer = -1;
    sys::record_death(s.status.stamp, s.wstat);
    pid_t fpid = sys::spawn_finish(s.wstat);
    if (!fpid) {
        // No finish phase: what stock s6 shows when ./finish is missing or cannot be run.
        s.status.finishing = true;
        s.status.pid = 0;
        s.st = last ? state::lastfinish : state::finish;
        become_down(s, "dD");
        return;
    }
    s.st = last ? state::lastfinish : state::finish;
    s.status.pid = static_cast<std::uint64_t>(fpid);
    s.status.finishing = true;
    sys::write_status(s.status);
    sys::notify("d");
    std::uint32_t const t = sys::timeout_finish_ms();
    s.timer = t ? sys::now_ms() + t : -1;
}

void finish_died(supervisor &s, int) noexcept
{
    bool const permanent = WIFEXITED(s.wstat) && WEXITSTATUS(s.wstat) == 125;
    if (permanent) s.status.wantup = false;
    become_down(s, permanent ? "OD" : "D");
}

// --- actions -------------------------------------------------------------------------------

void nop(supervisor &, int) noexcept {}

void timer_down(supervisor &s, int) noexcept
{
    if (s.status.wantup)
        try_start(s);
    else
        s.timer = -1;
}

void timer_up(supervisor &s, int) noexcept
{
    // timeout-kill expired: SIGKILL, and again every 5 s.
    sys::send_signal(pid_of(s), SIGKILL);
    s.timer = sys::now_ms() + kill_repeat_ms;
}

void timer_finish(supervisor &s, int) noexcept
{
    sv::warn("finish script lifetime reached maximum value - sending it a SIGKILL");
    sys::send_signal(pid_of(s), SIGCONT);
    sys::send_signal(pid_of(s), SIGKILL);
    s.timer = sys::now_ms() + kill_repeat_ms;
}

void letter_kill(supervisor &s, int ev) noexcept { sys::send_signal(pid_of(s), letter_signal(ev)); }

void pause_up(supervisor &s, int) noexcept
{
    sys::send_signal(pid_of(s), SIGSTOP);
    s.status.paused = true;
    sys::write_status(s.status);
}

void cont_up(supervisor &s, int) noexcept
{
    sys::send_signal(pid_of(s), SIGCONT);
    s.status.paused = false;
    sys::write_status(s.status);
}

void restart_up(supervisor &s, int) noexcept { sys::send_signal(pid_of(s), sys::down_signal()); }

// d while up: want down, down signal then SIGCONT, and the timeout-kill timer.
void down_up(supervisor &s, int) noexcept
{
    s.status.wantup = false;
    s.status.paused = false;
    sys::write_status(s.status);
    sys::send_signal(pid_of(s), sys::down_signal());
    sys::send_signal(pid_of(s), SIGCONT);
    std::uint32_t const t = sys::timeout_kill_ms();
    s.timer = t ? sys::now_ms() + t : -1;
}

void down_file_up(supervisor &s, int ev) noexcept
{
    sys::create_down_file();
    down_up(s, ev);
}

void want_down(supervisor &s, int) noexcept { set_wantup(s, false); }
void want_up(supervisor &s, int) noexcept { set_wantup(s, true); }

void want_down_file(supervisor &s, int) noexcept
{
    sys::create_down_file();
    set_wantup(s, false);
}

void want_up_file(supervisor &s, int) noexcept
{
    sys::remove_down_file();
    set_wantup(s, true);
}

// u, U, o while down: start at once, whatever the throttle says.
void up_down(supervisor &s, int) noexcept
{
    set_wantup(s, true);
    try_start(s);
}

void up_file_down(supervisor &s, int) noexcept
{
    sys::remove_down_file();
    up_down(s, 0);
}

void once_down(supervisor &s, int) noexcept
{
    set_wantup(s, false);
    try_start(s);
}

void exit_now(supervisor &, int) noexcept { sys::quit(); }

void last_up(supervisor &s, int) noexcept
{
    sys::reopen_stdio_devnull();
    s.st = state::lastup;
}

void last_finish(supervisor &s, int) noexcept
{
    sys::reopen_stdio_devnull();
    s.st = state::lastfinish;
}

void term_up(supervisor &s, int ev) noexcept
{
    down_up(s, ev);
    // Unlike x and SIGHUP, stock's SIGTERM leaves stdin and stdout as they are (up_term).
    s.st = state::lastup;
}

void term_lastup(supervisor &s, int) noexcept { sys::send_signal(pid_of(s), sys::down_signal()); }

void reopen_only(supervisor &, int) noexcept { sys::reopen_stdio_devnull(); }

void int_alive(supervisor &s, int) noexcept
{
    sys::send_signal_group(pid_of(s), SIGINT);
    sys::quit();
}

// --- the table -----------------------------------------------------------------------------

struct row {
    action a[n_events];
};

// Builds one state's row: the fixed events first, then the 21 letters in
// "abqhkti12pcyroduDUxOQ" order.
constexpr row make_row(action timeout, action died, action term, action hup, action quit,
                       action intr, action sig, action p, action c, action r, action o, action d,
                       action u, action D, action U, action x, action O, action Q) noexcept
{
    return row{{timeout, died, term, hup, quit, intr,
                sig, sig, sig, sig, sig, sig, sig, sig, sig, // a b q h k t i 1 2
                p, c, sig,                                   // p c y
                r, o, d, u, D, U, x, O, Q}};
}

constexpr row table[n_states] = {
    // down
    make_row(timer_down, nop, exit_now, exit_now, exit_now, exit_now, nop, nop, nop, nop,
             once_down, want_down, up_down, want_down_file, up_file_down, exit_now, want_down,
             want_down_file),
    // up
    make_row(timer_up, run_died, term_up, last_up, exit_now, int_alive, letter_kill, pause_up,
             cont_up, restart_up, want_down, down_up, want_up, down_file_up, want_up_file,
             last_up, want_down, want_down_file),
    // finish
    make_row(timer_finish, finish_died, last_finish, last_finish, exit_now, int_alive, nop, nop,
             nop, nop, want_down, want_down, want_up, want_down_file, want_up_file, last_finish,
             want_down, want_down_file),
    // lastup
    make_row(timer_up, run_died, term_lastup, reopen_only, exit_now, int_alive, letter_kill,
             pause_up, cont_up, restart_up, want_down, down_up, want_up, down_file_up,
             want_up_file, nop, want_down, want_down_file),
    // lastfinish
    make_row(timer_finish, finish_died, nop, reopen_only, exit_now, int_alive, nop, nop, nop,
             nop, want_down, want_down, want_up, want_down_file, want_up_file, nop, want_down,
             want_down_file),
};

} // namespace

int event_of_letter(unsigned char c) noexcept
{
    auto at = sv::supervise_letters.find(static_cast<char>(c));
    if (!c || at == std::string_view::npos) return -1;
    return ev_letter0 + static_cast<int>(at);
}

void dispatch(supervisor &s, int ev) noexcept
{
    table[static_cast<int>(s.st)].a[ev](s, ev);
}

void on_ready(supervisor &s) noexcept
{
    s.ready_at = sys::now_ms();
    s.status.ready = true;
    s.status.readystamp = sys::now_tain();
    sys::write_status(s.status);
    sys::notify("U");
}

void start(supervisor &s, bool want_up) noexcept
{
    s.st = state::down;
    s.status = {};
    s.status.stamp = sys::now_tain();
    s.status.readystamp = s.status.stamp;
    s.status.wantup = want_up;
    s.status.ready = true;
    sys::write_status(s.status);
    sys::notify("s");
    s.timer = sys::now_ms(); // fires at once: start if wanted up
}

} // namespace svd
