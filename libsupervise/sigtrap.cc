#include <supervise/sigtrap.hh>

#include <cerrno>
#include <sys/signalfd.h>
#include <unistd.h>

#include <supervise/diag.hh>

namespace sv {

namespace {

// Set once, at the first trap, and grown by later ones: what never changes after start-up.
sigset_t child_mask;
bool trapped_yet = false;

void absorb(int) {}

} // namespace

int signal_trap(sigset_t const &sigs) noexcept
{
    sigset_t old;
    if (sigprocmask(SIG_BLOCK, &sigs, &old) < 0) return -1;
    int const fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        int const e = errno;
        sigprocmask(SIG_SETMASK, &old, nullptr);
        errno = e;
        return -1;
    }
    if (!trapped_yet) child_mask = old, trapped_yet = true;
    for (int s = 1; s < NSIG; s++)
        if (sigismember(&sigs, s) == 1) sigdelset(&child_mask, s);
    return fd;
}

int signal_trap(std::initializer_list<int> sigs) noexcept
{
    sigset_t set;
    sigemptyset(&set);
    for (int s : sigs)
        if (sigaddset(&set, s) < 0) return -1;
    return signal_trap(set);
}

int signal_trap_or_die(sigset_t const &sigs) noexcept
{
    int const fd = signal_trap(sigs);
    if (fd < 0) die_sys(exitcode::system, "unable to trap signals");
    return fd;
}

int signal_trap_or_die(std::initializer_list<int> sigs) noexcept
{
    int const fd = signal_trap(sigs);
    if (fd < 0) die_sys(exitcode::system, "unable to trap signals");
    return fd;
}

int signal_next(int fd) noexcept
{
    signalfd_siginfo si;
    for (;;) {
        ssize_t const r = ::read(fd, &si, sizeof si);
        if (r == static_cast<ssize_t>(sizeof si)) return static_cast<int>(si.ssi_signo);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) return 0;
        if (r >= 0) errno = EIO; // the kernel hands out whole records: never seen
        return -1;
    }
}

sigset_t const &signal_child_mask() noexcept
{
    if (!trapped_yet) sigprocmask(SIG_SETMASK, nullptr, &child_mask);
    return child_mask;
}

bool signal_restore() noexcept
{
    return sigprocmask(SIG_SETMASK, &signal_child_mask(), nullptr) == 0;
}

bool signal_absorb(int sig) noexcept
{
    struct sigaction sa {};
    sa.sa_handler = absorb;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, nullptr) == 0;
}

} // namespace sv
