// The control FIFO reader of s6-supervise: every byte a client writes into supervise/control
// goes through event_of_letter and, when it is a command, into the state x event table.  The
// input is a byte stream; bytes with the high bit set stand for the other events (a timer
// going off, run or finish dying, a signal, readiness), so the fuzzer walks the whole table.
// state.cc is linked with the fake system seam below, as in tests/unit.
#include "fuzz.hh"

#include <csetjmp>
#include <csignal>

#include <supervise/status.hh>

#include "../tools/s6-supervise/state.hh"

namespace {
std::int64_t now = 1000000;
pid_t next_pid = 100;
std::jmp_buf quit_jump;
} // namespace

namespace svd::sys {
std::int64_t now_ms() noexcept { return now; }
sv::tain now_tain() noexcept
{
    return {sv::tai64_base + static_cast<std::uint64_t>(now / 1000), 0};
}
void write_status(sv::status const &s) noexcept
{
    // What a reader would see: the 35 bytes unpack to what was packed.
    char b[sv::status_size];
    sv::status_pack(b, s);
    fz::check(sv::status_unpack(b) == s);
}
void notify(std::string_view) noexcept {}
void send_signal(pid_t, int) noexcept {}
void send_signal_group(pid_t, int) noexcept {}
pid_t spawn_run(std::int64_t *retry_ms) noexcept
{
    if (next_pid % 7 == 0) {
        next_pid++;
        *retry_ms = 10000;
        return 0;
    }
    return next_pid++;
}
pid_t spawn_finish(int) noexcept { return next_pid % 3 ? next_pid++ : 0; }
void close_notification() noexcept {}
void record_death(sv::tain, int) noexcept {}
int down_signal() noexcept { return SIGTERM; }
std::uint32_t timeout_kill_ms() noexcept { return 2000; }
std::uint32_t timeout_finish_ms() noexcept { return 5000; }
void create_down_file() noexcept {}
void remove_down_file() noexcept {}
void reopen_stdio_devnull() noexcept {}
void quit() noexcept { std::longjmp(quit_jump, 1); }
} // namespace svd::sys

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    static svd::supervisor s;
    now = 1000000;
    next_pid = 100;
    s = svd::supervisor{};
    if (setjmp(quit_jump)) return 0;
    svd::start(s, size && (data[0] & 1));
    for (std::size_t i = 1; i < size; i++) {
        unsigned char b = data[i];
        if (b < 0x80) {
            int ev = svd::event_of_letter(b);
            if (ev >= 0) svd::dispatch(s, ev);
            continue;
        }
        now += (b & 0x0f) * 500;
        switch ((b >> 4) & 7) {
        case 0: svd::dispatch(s, svd::ev_timeout); break;
        case 1: s.wstat = b & 0x0f; svd::dispatch(s, svd::ev_died); break;          // killed
        case 2: s.wstat = (b & 0x0f) << 8; svd::dispatch(s, svd::ev_died); break;   // exited
        case 3: svd::dispatch(s, svd::ev_term); break;
        case 4: svd::dispatch(s, svd::ev_hup); break;
        case 5: svd::dispatch(s, svd::ev_quit); break;
        case 6: svd::dispatch(s, svd::ev_int); break;
        case 7: svd::on_ready(s); break;
        }
        // The table's invariants: a known state, and "up" only with a child.
        fz::check(static_cast<int>(s.st) < svd::n_states);
        if (s.st == svd::state::up || s.st == svd::state::lastup) fz::check(s.status.pid != 0);
    }
    return 0;
}
