// s6-setlock: take a lock on a file, then exec into a program that keeps it, as s6 2.11.3.2's
// s6-setlock does.  The lock is a POSIX record lock on the whole file (exclusive with -w, the
// default; shared with -r), held through an fd left open across the exec, so it lasts as long
// as the program and whatever inherits that fd.  -N waits for the lock (the default), -n gives
// up at once (exit 1, "Device or resource busy").  With -t MS, s6-setlock does not wait itself:
// it spawns s6lockd-helper (supervise/lockhelper.hh), which waits for the lock and holds it,
// and gives up after MS milliseconds (exit 1, "Connection timed out"), killing the helper; the
// program then inherits the pipe whose closing lets the helper go.  Of -n, -N and -t the last
// one wins.  Stock has no -d (exit 100).  Exit codes: 1 lock not taken, 100 usage, 111 system
// error, 126/127 exec failure; otherwise the program's own.
//
// Our helper is looked for next to this executable first (the build tree), then in the
// compiled-in libexec directory, never at stock s6's path.
#include <csignal>
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/fd.hh>
#include <supervise/lockhelper.hh>
#include <supervise/opts.hh>
#include <supervise/sibling.hh>
#include <supervise/tai64n.hh>

#ifndef S6PP_LIBEXECDIR
#define S6PP_LIBEXECDIR "/usr/local/libexec/s6pp"
#endif

namespace {

constexpr std::string_view usage =
    "s6-setlock [ -r | -w ] [ -n | -N | -t timeout ] lockfile prog...";

enum class wait_mode { block, nonblock, timed };

// Takes the lock through a helper, giving up at the deadline; returns the fd to hand on.
int lock_through_helper(char const *file, bool exclusive, unsigned timeout_ms) noexcept
{
    std::int64_t const deadline = sv::mono_ms() + timeout_ms;
    sv::path_buf helper;
    if (!sv::sibling_path(sv::lockhelper_name, S6PP_LIBEXECDIR, helper))
        sv::die_sys(sv::exitcode::system, "unable to find ", sv::lockhelper_name);
    sv::lockhelper_child child;
    if (!sv::lockhelper_start(helper.c_str(), file, exclusive, child))
        sv::die_sys(sv::exitcode::system, "unable to spawn ", helper.view());
    switch (sv::lockhelper_wait(child.ack.get(), deadline)) {
    case sv::lockhelper_answer::acquired:
        break;
    case sv::lockhelper_answer::timed_out:
        // As stock: the helper is told to go, and not waited for.
        ::kill(child.pid, SIGTERM);
        sv::die_sys(sv::exitcode::negative, "unable to acquire lock");
    case sv::lockhelper_answer::garbage:
        sv::die(sv::exitcode::system, "helper sent garbage ack");
    default:
        sv::die_sys(sv::exitcode::system, "unable to read ack from helper");
    }
    child.ack.reset();
    // The program inherits the helper's end of the bargain: the lock goes when it closes.
    if (!sv::set_cloexec(child.hold.get(), false))
        sv::die_sys(sv::exitcode::system, "unable to uncoe fd to helper");
    return child.hold.release();
}

} // namespace

int setlock_main(int argc, char **argv)
{
    sv::prog = "s6-setlock";
    bool exclusive = true;
    wait_mode mode = wait_mode::block;
    unsigned timeout = 0;

    sv::opt_parser opts{argc, argv, "nNrwt:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'n': mode = wait_mode::nonblock; break;
        case 'N': mode = wait_mode::block; break;
        case 'r': exclusive = false; break;
        case 'w': exclusive = true; break;
        case 't':
            if (!sv::scan_uint(opts.arg(), timeout)) sv::die_usage(usage);
            mode = wait_mode::timed;
            break;
        default: sv::die_usage(usage);
        }
    }
    auto args = opts.operands();
    if (args.size() < 2) sv::die_usage(usage);

    // The fd is left open (not close-on-exec) on purpose: it is what holds the lock.
    if (mode == wait_mode::timed)
        lock_through_helper(args[0], exclusive, timeout);
    else
        sv::lockfile_open_or_die(args[0], exclusive, mode == wait_mode::block);
    sv::exec_or_die(args.data() + 1);
}
