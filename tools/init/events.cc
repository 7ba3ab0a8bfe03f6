// What a signal or the death of a child means to /init, and when the kept child (the
// catch-all logger) starts again (see context.hh).  The wait loop (loop.cc) reads the signals
// from the signalfd and reaps the children; the decisions are here, over the context, and
// signals and spawns go through the seam.
#include "context.hh"
#include "sys.hh"

#include <csignal>
#include <sys/wait.h>

#include <supervise/diag.hh>

namespace init {

void request_stop(context &c) noexcept
{
    c.ev.halt_requested = true;
    if (!c.ev.stop_signal) c.ev.stop_signal = SIGTERM;
    if (c.ev.cmd_pid > 0) sys::signal_group(c.ev.cmd_pid, SIGTERM);
}

void on_reaped(context &c, pid_t pid, int wstatus) noexcept
{
    if (pid == c.ev.cmd_pid) c.ev.cmd_pid = -pid; // gone: stop forwarding signals to it
    if (pid == c.ev.svscan_watch) {
        c.ev.svscan_watch = 0;
        c.ev.svscan_lost = wstatus;
        request_stop(c);
    }
    for (auto &r : c.ev.started)
        if (r.pid == pid) r.wstatus = wstatus;
}

void on_signal(context &c, int sig) noexcept
{
    if (sig == SIGCHLD || sig == SIGTTIN || sig == SIGTTOU) return;
    if (sig >= halt_signal(0) && sig <= halt_signal(2)) {
        request_stop(c);
        return;
    }
    // While the CMD runs it gets every forwardable signal, as tini does: it decides when
    // the container ends, and its real status becomes the container's.
    if (c.ev.cmd_pid > 0) {
        sys::signal_group(c.ev.cmd_pid, sig);
        return;
    }
    switch (sig) {
    case SIGTERM: case SIGINT: case SIGUSR1: case SIGUSR2: case SIGPWR:
        if (!c.ev.stop_signal) c.ev.stop_signal = sig;
        return;
    default: return; // HUP, QUIT, WINCH: nothing to do without a CMD
    }
}

bool take_reaped(context &c, pid_t pid, int &wstatus) noexcept
{
    auto &v = c.ev.started;
    for (auto it = v.begin(); it != v.end(); ++it)
        if (it->pid == pid && it->wstatus != -1) {
            wstatus = it->wstatus;
            v.erase(it);
            return true;
        }
    return false;
}

int status_code(int wstatus) noexcept
{
    if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
    return 255;
}

namespace {

void start_kept(context &c) noexcept
{
    keeper &k = c.kept;
    k.next = sys::now_ms() + 1000;
    k.pid = sys::spawn(c, k.argv, nullptr, k.how);
    if (k.pid < 0) {
        sv::warn_sys("unable to spawn ", k.argv[0]);
        k.pid = 0;
    }
}

} // namespace

void keep_running(context &c, char const *const *argv, spawn_how how, int from, int to) noexcept
{
    c.kept.argv = argv;
    c.kept.how = how;
    c.kept.drain_from = from;
    c.kept.drain_to = to;
    start_kept(c);
}

void stop_keeping(context &c) noexcept
{
    c.kept.argv = nullptr;
}

int tend_kept(context &c, std::int64_t now) noexcept
{
    keeper &k = c.kept;
    if (!k.argv) return -1;
    if (k.pid > 0) {
        int ws;
        if (!take_reaped(c, k.pid, ws)) return -1;
        k.pid = 0;
    }
    if (now < k.next) return static_cast<int>(k.next - now);
    start_kept(c);
    return -1;
}

} // namespace init
