// Signal traps (libsupervise/sigtrap.cc): a trapped signal is blocked and read, in order, from
// the trap's fd; the mask the process started with comes back, minus the trapped signals, for
// children; an absorbed signal does nothing to us and is back at its default after exec.
//
// Each case runs in a forked child, so the masks and dispositions it changes never reach the
// test runner; the child's exit code says which check failed (0: all passed).
#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>

#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/sigtrap.hh>

#include "harness.hh"

namespace {

int in_child(int (*fn)())
{
    h::child c(fn);
    return c.exit_code();
}

bool blocked(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_SETMASK, nullptr, &cur);
    return sigismember(&cur, sig) == 1;
}

} // namespace

TEST_CASE("signal_trap: trapped signals are blocked and read from the fd", "[sigtrap]")
{
    CHECK(in_child([] {
              int fd = sv::signal_trap({SIGUSR1, SIGUSR2, SIGCHLD});
              if (fd < 0) return 1;
              if (!blocked(SIGUSR1) || !blocked(SIGCHLD) || blocked(SIGHUP)) return 2;
              if ((fcntl(fd, F_GETFL) & O_NONBLOCK) == 0) return 3;
              if ((fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0) return 4;
              if (sv::signal_next(fd) != 0) return 5; // nothing pending yet
              kill(getpid(), SIGUSR2);                // blocked: still alive
              pollfd p{fd, POLLIN, 0};
              if (poll(&p, 1, 5000) != 1) return 6;
              if (sv::signal_next(fd) != SIGUSR2) return 7;
              if (sv::signal_next(fd) != 0) return 8;
              // Standard signals queue once each, and come out in signal-number order.
              kill(getpid(), SIGUSR2);
              kill(getpid(), SIGUSR1);
              kill(getpid(), SIGUSR1);
              if (sv::signal_next(fd) != SIGUSR1) return 9;
              if (sv::signal_next(fd) != SIGUSR2) return 10;
              if (sv::signal_next(fd) != 0) return 11;
              return 0;
          }) == 0);
}

TEST_CASE("signal_trap takes a sigset_t too, and a second trap adds to the first",
          "[sigtrap]")
{
    CHECK(in_child([] {
              sigset_t s;
              sigemptyset(&s);
              sigaddset(&s, SIGTERM);
              int a = sv::signal_trap(s);
              int b = sv::signal_trap({SIGHUP});
              if (a < 0 || b < 0) return 1;
              if (!blocked(SIGTERM) || !blocked(SIGHUP)) return 2;
              kill(getpid(), SIGHUP);
              if (sv::signal_next(a) != 0) return 3; // each fd reads its own signals
              if (sv::signal_next(b) != SIGHUP) return 4;
              sigset_t const &cm = sv::signal_child_mask();
              if (sigismember(&cm, SIGTERM) || sigismember(&cm, SIGHUP)) return 5;
              return 0;
          }) == 0);
}

TEST_CASE("signal_child_mask is the starting mask minus what was trapped", "[sigtrap]")
{
    CHECK(in_child([] {
              // We start with SIGUSR1 and SIGWINCH blocked, as a parent might leave us.
              sigset_t start;
              sigemptyset(&start);
              sigaddset(&start, SIGUSR1);
              sigaddset(&start, SIGWINCH);
              sigprocmask(SIG_SETMASK, &start, nullptr);
              if (sv::signal_trap({SIGUSR1, SIGCHLD}) < 0) return 1;
              sigset_t const &cm = sv::signal_child_mask();
              if (sigismember(&cm, SIGUSR1) || sigismember(&cm, SIGCHLD)) return 2;
              if (!sigismember(&cm, SIGWINCH)) return 3; // inherited, not ours: kept
              if (!sv::signal_restore()) return 4;
              if (blocked(SIGUSR1) || blocked(SIGCHLD) || !blocked(SIGWINCH)) return 5;
              return 0;
          }) == 0);
}

TEST_CASE("signal_absorb: the signal does nothing, and exec resets it", "[sigtrap]")
{
    CHECK(in_child([] {
              if (!sv::signal_absorb(SIGPIPE)) return 1;
              int p[2];
              if (pipe(p) < 0) return 2;
              close(p[0]);
              errno = 0;
              if (write(p[1], "x", 1) != -1 || errno != EPIPE) return 3; // alive, EPIPE
              struct sigaction sa;
              sigaction(SIGPIPE, nullptr, &sa);
              if (sa.sa_handler == SIG_IGN || sa.sa_handler == SIG_DFL) return 4;
              // A shell run through exec sees SIGPIPE at its default: "trap" lists nothing.
              char const *argv[] = {"sh", "-c", "kill -PIPE $$; exit 9", nullptr};
              pid_t pid = fork();
              if (pid == 0) {
                  execv("/bin/sh", const_cast<char **>(argv));
                  _exit(8);
              }
              int st;
              if (waitpid(pid, &st, 0) != pid) return 5;
              return WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE ? 0 : 6;
          }) == 0);
}

TEST_CASE("signal_trap_or_die: one wording, exit 111, and the mask left alone on failure",
          "[sigtrap]")
{
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    sv::unique_fd rd(p[0]), wr(p[1]);
    h::child c([&] {
        rd.reset();
        if (::dup2(wr.get(), 2) < 0) return 3;
        // No fd left for the signalfd: signal_trap fails with EMFILE, and undoes its blocking.
        rlimit rl{};
        getrlimit(RLIMIT_NOFILE, &rl);
        int top = 0;
        for (int fd = 0; fd < 64; fd++)
            if (fcntl(fd, F_GETFD) >= 0) top = fd;
        rl.rlim_cur = static_cast<rlim_t>(top + 1);
        while (fcntl(0, F_DUPFD, 0) >= 0) {} // fill every slot below the limit
        setrlimit(RLIMIT_NOFILE, &rl);
        if (sv::signal_trap({SIGUSR1}) >= 0 || errno != EMFILE || blocked(SIGUSR1)) return 4;
        sv::prog = "prog";
        sv::signal_trap_or_die({SIGUSR1});
        return 5;
    });
    wr.reset();
    int st = c.wait(10000);
    REQUIRE(st != -1);
    REQUIRE(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 111);
    std::string err;
    sv::read_all(rd.get(), err);
    CHECK(err == "prog: fatal: unable to trap signals: Too many open files\n");
}

TEST_CASE("signal_next on a bad fd is an error", "[sigtrap]")
{
    errno = 0;
    CHECK(sv::signal_next(-1) == -1);
    CHECK(errno == EBADF);
}
