// s6-fghack: keep a daemon that insists on backgrounding itself in the foreground, as s6
// 2.11.3.2's s6-fghack (after daemontools' fghack) does.  It runs prog... as its child with 31
// copies of the write end of a pipe, the "hackpipe", and waits for the read end to see
// end-of-file: that happens only once every copy is closed, in prog and in whatever prog
// forked off, so a daemon that forks and lets its parent exit is still waited for, unless it
// closes every fd it did not open.  prog gets the copies on the very fds stock's child has
// them on (3, 4, 5, 7 and up when only 0-2 were open), so fd 3 is one of them.
// Exit: prog's exit code; 102 if something wrote on the hackpipe; 111 if prog could not be run
// (not 126/127: stock reports the exec failure as a system error), if prog was killed by a
// signal, or on a system error; 100 without prog.
// Deliberate difference: when prog is killed, stock names its first argument (argv[2], or
// nothing) in "... crashed"; we name prog.
#include <array>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/spawn.hh>

namespace {

constexpr std::string_view usage = "s6-fghack prog...";
// Stock dup()s the write end 30 times besides the one it had: 31 copies in all.
constexpr int extra_copies = 30;
// Stock's exit code when something wrote on the hackpipe.
constexpr int exit_wrote_on_hackpipe = 102;

} // namespace

int fghack_main(int argc, char **argv)
{
    sv::prog = "s6-fghack";
    if (argc < 2) sv::die_usage(usage);

    // The fds are arranged so that prog gets the very fds stock's child has: stock makes the
    // hackpipe (a, b) and a second pipe (c, d) to learn about exec failures, and the child
    // closes a and c, then dup()s b 30 times into the lowest free fds.  Here the copies are
    // made before spawning, without close-on-exec on purpose: 29 into c's slot and the free
    // fds above d, then the read end moves out of a, which becomes the 30th copy.  d is held
    // (close-on-exec) until prog runs, as stock's d is.  A program that writes to fd 3, as
    // many do for readiness, then hits the hackpipe under both.
    int p[2], q[2];
    if (pipe2(p, O_CLOEXEC) < 0) sv::die_sys(sv::exitcode::system, "unable to create hackpipe");
    if (pipe2(q, O_CLOEXEC) < 0) sv::die_sys(sv::exitcode::system, "unable to create coepipe");
    int const a = p[0];
    sv::unique_fd wr(p[1]), hole(q[1]);
    close(q[0]);
    std::array<sv::unique_fd, extra_copies> copies;
    for (int i = 0; i < extra_copies - 1; i++) {
        copies[i].reset(fcntl(wr.get(), F_DUPFD, 3));
        if (!copies[i]) sv::die_sys(sv::exitcode::system, "unable to dup hackpipe");
    }
    sv::unique_fd rd(fcntl(a, F_DUPFD_CLOEXEC, 3));
    if (!rd || dup2(wr.get(), a) < 0) sv::die_sys(sv::exitcode::system, "unable to dup hackpipe");
    copies[extra_copies - 1].reset(a);

    // prog runs as it would after fork and exec: our signal mask, our PATH search.
    sigset_t mask;
    sigprocmask(SIG_SETMASK, nullptr, &mask);
    sv::spawn_opts o;
    o.search_path = true;
    o.mask = &mask;
    o.from[0] = o.to[0] = wr.get(); // the original write end loses close-on-exec
    pid_t const pid = sv::spawn(argv[1], argv + 1, o);
    if (!pid) sv::die_sys(sv::exitcode::system, "unable to exec ", argv[1]);
    wr.reset();
    hole.reset();
    for (auto &c : copies)
        c.reset();

    char c;
    ssize_t r;
    while ((r = read(rd.get(), &c, 1)) < 0 && errno == EINTR) {
    }
    if (r < 0) sv::die_sys(sv::exitcode::system, "unable to read on hackpipe");
    if (r > 0) sv::die(exit_wrote_on_hackpipe, argv[1], " wrote on hackpipe");

    int wstat;
    while (waitpid(pid, &wstat, 0) < 0)
        if (errno != EINTR) sv::die_sys(sv::exitcode::system, "unable to wait_pid");
    if (WIFSIGNALED(wstat)) sv::die(sv::exitcode::system, argv[1], " crashed");
    return WEXITSTATUS(wstat);
}
