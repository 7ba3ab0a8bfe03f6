// s6-log allocates nothing once it runs.  This program replaces malloc, calloc, realloc and
// the aligned allocators (operator new ends in malloc) with counting versions that forward
// to glibc's, links s6-log's own sources (all but main.cc), and runs the logger in a forked
// child: the child sets everything up as main.cc does, starts counting, runs the loop to the
// end of its input and the logdirs' finalization, and reports the count to the parent.  The
// parent is the world around the logger: it feeds stdin, sends signals, and lifts a file-size
// limit that made the writes fail.
//
// Covered while counting: lines through every kind of action (stamps, prefixes, logdirs,
// stdout, alerts, status files), hundreds of rotations with trimming to n and S, processors
// (forked, reaped through SIGCHLD, their output archived), SIGALRM, write errors with their
// warnings and retries, SIGTERM's byte-at-a-time last line, and selection.  Regexes are the
// one exception the test spells out: glibc's regexec builds its DFA lazily, allocating the
// first time it meets a new state; after the same lines have been matched once, nothing.
//
// Replacing malloc needs dynamic linking; under the sanitizers (which own malloc) the test
// reports itself skipped.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/logscript.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

#include "../../tools/s6-log/loop.hh"

#ifndef S6LOG_ALLOC_UNCOUNTED
namespace {
std::atomic<long> allocations{0};
bool counting = false;
void count() noexcept
{
    if (counting) allocations.fetch_add(1, std::memory_order_relaxed);
}
} // namespace

extern "C" {
void *__libc_malloc(std::size_t);
void *__libc_calloc(std::size_t, std::size_t);
void *__libc_realloc(void *, std::size_t);
void *__libc_memalign(std::size_t, std::size_t);
void __libc_free(void *);

void *malloc(std::size_t n)
{
    count();
    return __libc_malloc(n);
}
void *calloc(std::size_t k, std::size_t n)
{
    count();
    return __libc_calloc(k, n);
}
void *realloc(void *p, std::size_t n)
{
    count();
    return __libc_realloc(p, n);
}
void *memalign(std::size_t a, std::size_t n)
{
    count();
    return __libc_memalign(a, n);
}
void *aligned_alloc(std::size_t a, std::size_t n)
{
    count();
    return __libc_memalign(a, n);
}
int posix_memalign(void **p, std::size_t a, std::size_t n)
{
    count();
    *p = __libc_memalign(a, n);
    return *p ? 0 : ENOMEM;
}
void free(void *p)
{
    __libc_free(p);
}
}
#endif

namespace {

namespace ls = sv::logscript;

// The world's side of a running logger.
struct child
{
    pid_t pid = -1;
    int in = -1;     // its stdin
    int report = -1; // the allocation count, once it has finished
};

// Forks a logger on script in dir, with stderr to dir/stderr.  before_counting runs in the
// child after set-up, just before the count starts (the regex warm-up).
template <class F> child start(h::tempdir const &dir, std::vector<std::string> script,
                               F before_counting)
{
    int in[2], rep[2];
    REQUIRE(pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(pipe2(rep, O_CLOEXEC) == 0);
    child c;
    c.pid = fork();
    REQUIRE(c.pid >= 0);
    if (c.pid) {
        close(in[0]);
        close(rep[1]);
        c.in = in[1];
        c.report = rep[0];
        return c;
    }
    // The logger.  No Catch2 here: failures are exit codes.
    close(in[1]); // or stdin never ends
    close(rep[0]);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGXFSZ, SIG_IGN); // a write past RLIMIT_FSIZE then fails with EFBIG
    if (chdir(dir.c_str()) < 0) _exit(90);
    int err = open("stderr", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    int null = open("/dev/null", O_WRONLY);
    if (err < 0 || null < 0 || dup2(in[0], 0) < 0 || dup2(null, 1) < 0 || dup2(err, 2) < 0)
        _exit(91);
    sv::set_nonblock(0, true);
    sv::prog = "s6-log";
    s6log::file_mode = 0644;
    std::vector<char const *> args;
    for (auto &s : script)
        args.push_back(s.c_str());
    static ls::script sc; // lives until _exit
    if (ls::parse(args, sc) != ls::error::none) _exit(92);
    static std::vector<s6log::logdir> lds(sc.logdirs.size());
    for (std::size_t i = 0; i < lds.size(); i++) {
        lds[i].spec = sc.logdirs[i];
        s6log::init_failure f;
        if (!s6log::logdir_init(lds[i], f)) _exit(93);
    }
    static s6log::logger lg;
    lg.setup(s6log::settings{}, sc, lds);
    before_counting(sc);
#ifndef S6LOG_ALLOC_UNCOUNTED
    allocations = 0;
    counting = true;
#endif
    lg.run();
#ifndef S6LOG_ALLOC_UNCOUNTED
    counting = false;
    long n = allocations.load();
#else
    long n = -1;
#endif
    (void)!write(rep[1], &n, sizeof n);
    _exit(0);
}

child start(h::tempdir const &dir, std::vector<std::string> script)
{
    return start(dir, std::move(script), [](ls::script const &) {});
}

// Waits (bounded) for the logger to finish; returns its allocation count, or fails.
long finish(child &c)
{
    if (c.in >= 0) close(c.in);
    int st = -1;
    bool done = h::wait_until([&] { return waitpid(c.pid, &st, WNOHANG) == c.pid; }, 30000);
    if (!done) {
        kill(c.pid, SIGKILL);
        waitpid(c.pid, &st, 0);
    }
    REQUIRE(done);
    REQUIRE(WIFEXITED(st));
    REQUIRE(WEXITSTATUS(st) == 0);
    long n = -2;
    REQUIRE(read(c.report, &n, sizeof n) == sizeof n);
    close(c.report);
    return n;
}

// Lines of 20..119 bytes, numbered, from a fixed seed.
std::string make_lines(int count, char const *tag = "line")
{
    std::string all;
    unsigned x = 12345;
    for (int i = 0; i < count; i++) {
        x = x * 1103515245 + 12345;
        std::string l = std::string(tag) + " " + std::to_string(i) + " ";
        l.append(20 + (x >> 16) % 100 - std::min<std::size_t>(l.size(), 20), 'a' + i % 26);
        all += l + "\n";
    }
    return all;
}

// Every archive in name order, then current, of dir.
std::string all_logs(std::string const &dir)
{
    std::vector<std::string> names;
    for (auto const &e : std::filesystem::directory_iterator(dir)) {
        auto n = e.path().filename().string();
        if (ls::is_archive_name(n)) names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    std::string s;
    for (auto &n : names)
        s += h::read_file(dir + "/" + n);
    return s + h::read_file(dir + "/current");
}

std::size_t archives(std::string const &dir)
{
    std::size_t k = 0;
    for (auto const &e : std::filesystem::directory_iterator(dir))
        k += ls::is_archive_name(e.path().filename().string());
    return k;
}

std::uintmax_t archive_bytes(std::string const &dir)
{
    std::uintmax_t n = 0;
    for (auto const &e : std::filesystem::directory_iterator(dir))
        if (ls::is_archive_name(e.path().filename().string())) n += e.file_size();
    return n;
}

// Bytes written to a pipe and not read yet.
int unread(int fd)
{
    int n = -1;
    ioctl(fd, FIONREAD, &n);
    return n;
}

void skip_if_uncounted()
{
#ifdef S6LOG_ALLOC_UNCOUNTED
    h::skip("malloc cannot be replaced in this build (sanitizers)");
#endif
}

} // namespace

TEST_CASE("s6-log allocates nothing: the counter counts", "[s6log-alloc]")
{
    skip_if_uncounted();
#ifndef S6LOG_ALLOC_UNCOUNTED
    // Without this, a zero below would prove nothing.
    allocations = 0;
    counting = true;
    void *volatile p = std::malloc(10);
    auto *q = new std::string(100, 'x');
    counting = false;
    std::free(p);
    delete q;
    CHECK(allocations.load() >= 2);
#endif
}

TEST_CASE("s6-log allocates nothing: lines, every action, rotations, trimming, SIGALRM, "
          "SIGTERM",
          "[s6log-alloc]")
{
    skip_if_uncounted();
    h::tempdir t;
    auto c = start(t, {"f", "t", "s4096", "n3", "./a", "T", "pPFX", "s4096", "S9000", "./b",
                       "1", "E20", "2", "^60", "=./status"});
    std::string input = make_lines(800);
    REQUIRE(sv::write_full(c.in, input));
    REQUIRE(h::wait_until([&] { return h::read_file(t / "status").find("line 799 ") !=
                                        std::string::npos; }));
    kill(c.pid, SIGALRM);
    // SIGTERM with a line in progress: it is finished byte by byte, and what follows it is
    // left unread.
    REQUIRE(sv::write_full(c.in, "partial "));
    REQUIRE(h::wait_until([&] { return unread(c.in) == 0; })); // in the logger's buffer
    kill(c.pid, SIGTERM);
    REQUIRE(sv::write_full(c.in, "end\nleft unread\n"));
    CHECK(finish(c) == 0);
    CHECK(archives(t / "a") == 3);
    CHECK(archives(t / "b") >= 3);
    CHECK(archive_bytes(t / "b") <= 9000);
    std::string a = all_logs(t / "a");
    CHECK(a.find("line 799 ") != std::string::npos);
    CHECK(a.find("partial end\n") != std::string::npos);
    CHECK(a.find("left unread") == std::string::npos);
    CHECK(h::read_file(t / "stderr").find("s6-log: alert: ") != std::string::npos);
}

TEST_CASE("s6-log allocates nothing: processors, forked and reaped", "[s6log-alloc]")
{
    skip_if_uncounted();
    h::tempdir t;
    auto c = start(t, {"?tr a-z A-Z", "s4096", "n100", "./p"});
    std::string input = make_lines(2000);
    REQUIRE(sv::write_full(c.in, input));
    CHECK(finish(c) == 0);
    CHECK(archives(t / "p") >= 10);
    std::string logs = all_logs(t / "p");
    std::string upper = input;
    for (auto &ch : upper)
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    // The archives are processed (upper case), current is not.
    std::string cur = h::read_file(t / "p/current");
    CHECK(logs == upper.substr(0, upper.size() - cur.size()) + cur);
}

TEST_CASE("s6-log allocates nothing: write errors, warnings and retries", "[s6log-alloc]")
{
    skip_if_uncounted();
    h::tempdir t;
    // The child starts with a 20 000-byte file size limit: current's writes fail with EFBIG
    // until the parent lifts it.
    rlimit small{20000, RLIM_INFINITY}, old;
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    auto c = start(t, {"r20", "s999999", "./e"});
    REQUIRE(setrlimit(RLIMIT_FSIZE, &old) == 0);
    std::string input = make_lines(1000);
    REQUIRE(input.size() > 40000);
    REQUIRE(sv::write_full(c.in, input));
    auto warnings = [&] {
        std::string e = h::read_file(t / "stderr"), w =
            "s6-log: warning: unable to write to ./e/current: File too large\n";
        std::size_t k = 0;
        for (auto i = e.find(w); i != std::string::npos; i = e.find(w, i + 1))
            k++;
        return k;
    };
    REQUIRE(h::wait_until([&] { return warnings() >= 3; }));
    rlimit none{RLIM_INFINITY, RLIM_INFINITY};
    REQUIRE(prlimit(c.pid, RLIMIT_FSIZE, &none, nullptr) == 0);
    CHECK(finish(c) == 0);
    CHECK(h::read_file(t / "e/current") == input);
}

TEST_CASE("s6-log allocates nothing: selection by regex, once glibc's DFA is built",
          "[s6log-alloc]")
{
    skip_if_uncounted();
    h::tempdir t;
    std::string input = make_lines(3000) + make_lines(3000, "fatal");
    // The child first matches every line once, as the loop will (the DFA glibc builds on the
    // way is kept in the compiled regex), then runs the loop over the same lines.
    auto c = start(t, {"-", "+^line [0-9]*5 ", "./sel", "-", "+fatal", "E10", "2"},
                   [&](ls::script const &sc) {
                       std::size_t at = 0;
                       while (at < input.size()) {
                           std::size_t e = input.find('\n', at);
                           std::string line = input.substr(at, e - at);
                           ls::select(sc, line.c_str(), [](std::size_t) {});
                           at = e + 1;
                       }
                   });
    REQUIRE(sv::write_full(c.in, input));
    CHECK(finish(c) == 0);
    std::string sel = h::read_file(t / "sel/current");
    CHECK(sel.find("line 15 ") != std::string::npos);
    CHECK(sel.find("line 16 ") == std::string::npos);
    CHECK(h::read_file(t / "stderr").find("s6-log: alert: fatal 0 aa...\n") !=
          std::string::npos);
}
