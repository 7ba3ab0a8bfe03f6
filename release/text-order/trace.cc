// trace: which code of one executable its processes run, instruction by instruction.
//
//   trace OUTDIR BINARY MARK -- COMMAND [ARG...]
//
// Runs COMMAND under ptrace and follows every process it forks, vforks or execs.  A process
// whose executable is BINARY is single-stepped and the address of every instruction it runs
// is kept; any other process runs freely, still followed, so that a shell that execs BINARY
// is caught.  A process's addresses are kept by phase: "start" first; "drop" from when it
// reaches the address MARK (hex, 0 for none), where the daemons that drop their start-up
// pages do so; "idle" from when trace gets SIGUSR1, which the workload sends once its
// servers have served and idle, so that what they run to exit is told apart (trace then
// makes the file OUTDIR/idle).
//
// Each process image writes OUTDIR/PID.N when it ends or execs: a first line with its
// argv[0], then one line per phase: its name and the addresses, in hex.  x86_64
// only: it is a tool for making tools/hot-text.ld on a developer's machine, not a shipped
// program.
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __x86_64__
#error "trace reads x86_64 registers"
#endif

namespace {

struct image
{
    bool ours = false;
    bool fresh = true; // not yet seen stopped: its first stop is the attach SIGSTOP
    std::string argv0;
    std::vector<std::pair<char const *, std::set<unsigned long>>> phases{{"start", {}}};
};

std::string outdir;
std::string binary; // realpath
unsigned long mark = 0;
std::map<pid_t, image> images;
std::map<pid_t, int> written; // images written per pid, for the file names
volatile sig_atomic_t idle = 0;

[[noreturn]] void die(char const *what)
{
    std::fprintf(stderr, "trace: fatal: %s: %s\n", what, std::strerror(errno));
    std::exit(111);
}

std::string exe_of(pid_t pid)
{
    char link[64], buf[PATH_MAX];
    std::snprintf(link, sizeof link, "/proc/%d/exe", pid);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    return n < 0 ? std::string() : std::string(buf, size_t(n));
}

std::string argv0_of(pid_t pid)
{
    std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline");
    std::string a;
    std::getline(f, a, '\0');
    return a;
}

void describe(pid_t pid, image &im)
{
    im.ours = exe_of(pid) == binary;
    im.argv0 = argv0_of(pid);
}

void flush(pid_t pid, image &im)
{
    if (!im.ours) return;
    std::string path = outdir + "/" + std::to_string(pid) + "." + std::to_string(written[pid]++);
    FILE *f = std::fopen(path.c_str(), "w");
    if (!f) die(path.c_str());
    std::fprintf(f, "%s\n", im.argv0.c_str());
    for (auto const &[name, addrs] : im.phases) {
        std::fprintf(f, "%s", name);
        for (unsigned long a : addrs)
            std::fprintf(f, " %lx", a);
        std::fputc('\n', f);
    }
    if (std::fclose(f) != 0) die(path.c_str());
}

void resume(pid_t pid, image const &im, int sig)
{
    if (ptrace(im.ours ? PTRACE_SINGLESTEP : PTRACE_CONT, pid, nullptr, (void *)(long)sig) < 0 &&
        errno != ESRCH)
        die("ptrace resume");
}

void record(pid_t pid, image &im)
{
    errno = 0;
    long pc = ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(user_regs_struct, rip), nullptr);
    if (errno) return;
    if (mark && (unsigned long)pc == mark)
        im.phases.emplace_back("drop", std::set<unsigned long>{});
    im.phases.back().second.insert((unsigned long)pc);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 6 || std::strcmp(argv[4], "--") != 0) {
        std::fputs("trace: usage: trace OUTDIR BINARY MARK -- COMMAND [ARG...]\n", stderr);
        return 100;
    }
    outdir = argv[1];
    char real[PATH_MAX];
    if (!realpath(argv[2], real)) die(argv[2]);
    binary = real;
    mark = std::strtoul(argv[3], nullptr, 16);

    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
        raise(SIGSTOP);
        execvp(argv[5], argv + 5);
        _exit(127);
    }
    struct sigaction sa
    {
    };
    sa.sa_handler = [](int) { idle = 1; };
    sigaction(SIGUSR1, &sa, nullptr); // no SA_RESTART: it interrupts the wait
    int st;
    if (waitpid(child, &st, 0) < 0) die("waitpid");
    long opts = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL;
    if (ptrace(PTRACE_SETOPTIONS, child, nullptr, (void *)opts) < 0) die("ptrace setoptions");
    images[child].fresh = false;
    resume(child, images[child], 0);

    int status = 0;
    for (;;) {
        pid_t pid = waitpid(-1, &st, __WALL);
        if (idle == 1) {
            idle = 2;
            for (auto &[p, im] : images)
                im.phases.emplace_back("idle", std::set<unsigned long>{});
            std::string path = outdir + "/idle"; // the workload waits for it
            if (FILE *f = std::fopen(path.c_str(), "w")) std::fclose(f);
        }
        if (pid < 0) {
            if (errno == EINTR) continue;
            if (errno == ECHILD) break;
            die("waitpid");
        }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            auto it = images.find(pid);
            if (it != images.end()) {
                flush(pid, it->second);
                images.erase(it);
            }
            if (pid == child) status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            continue;
        }
        if (!WIFSTOPPED(st)) continue;
        bool known = images.count(pid);
        image &im = images[pid];
        if (!known) describe(pid, im); // a new child: the same image as its parent
        int sig = WSTOPSIG(st);
        int event = st >> 16;
        if (sig == SIGTRAP && event == PTRACE_EVENT_EXEC) {
            flush(pid, im);
            im = image{};
            im.fresh = false;
            describe(pid, im);
            resume(pid, im, 0);
        } else if (sig == SIGTRAP && event == PTRACE_EVENT_EXIT) {
            std::string a = argv0_of(pid); // a supervisor forked by s6-svscan renames itself
            if (!a.empty()) im.argv0 = a;
            resume(pid, im, 0);
        } else if (sig == SIGTRAP && event) {
            resume(pid, im, 0); // fork, vfork, clone: the child reports on its own
        } else if (sig == SIGTRAP) {
            if (im.ours) record(pid, im);
            resume(pid, im, 0);
        } else if (sig == SIGSTOP && im.fresh) {
            im.fresh = false;
            resume(pid, im, 0);
        } else {
            resume(pid, im, sig);
        }
    }
    return status;
}
