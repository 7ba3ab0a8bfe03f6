// Passing a fork for an exec'd copy of ourselves (libsupervise/fork_self.cc): the running
// executable is recognised by inode, and a forked child that calls self_image_run shows
// the new argv as its command line and the program's name as its comm, keeps the fds that
// were open without FD_CLOEXEC at self_image_init time and loses the others.  The parent
// reads all of that from /proc while the child waits on a pipe.  On a kernel that refuses
// PR_SET_MM_MAP, self_image_init fails and the tests that need it say so and stop.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/fork_self.hh>

#include "harness.hh"

namespace {

std::string proc_file(pid_t pid, char const *name)
{
    return h::read_existing("/proc/" + std::to_string(pid) + "/" + name);
}

bool fd_open_in(pid_t pid, int fd)
{
    std::string const p = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
    struct stat st;
    return ::lstat(p.c_str(), &st) == 0;
}

// self_image_init, or the test SKIPPED where the kernel (or /proc) does not allow it.
void need_self_image(sv::self_image &img)
{
    if (!sv::self_image_init(img))
        h::skip(std::string("self_image_init failed (") + std::strerror(errno) +
                "): fork_self not testable here");
}

} // namespace

TEST_CASE("fork_self: the running executable is known by its inode", "[fork_self]")
{
    sv::self_image img;
    need_self_image(img);
    CHECK(img.ok);
    CHECK(sv::self_image_is(img, "/proc/self/exe"));
    CHECK_FALSE(sv::self_image_is(img, "/bin/sh"));
    CHECK_FALSE(sv::self_image_is(img, "/nonexistent/s6pp"));

    // A copy is another file, even with the same content.
    h::tempdir t;
    std::string const copy = t / "copy";
    h::write_file(copy, h::read_existing("/proc/self/exe"));
    CHECK_FALSE(sv::self_image_is(img, copy.c_str()));
    std::string const link = t / "link";
    char self[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    REQUIRE(n > 0);
    self[n] = 0;
    REQUIRE(::symlink(self, link.c_str()) == 0);
    CHECK(sv::self_image_is(img, link.c_str()));

    sv::self_image none;
    CHECK_FALSE(sv::self_image_is(none, "/proc/self/exe"));
}

namespace {

// For the child of the identity case: the pipe end it waits on.
int become_go = -1;

int become_main(int argc, char **argv)
{
    // argv: the new one, on the new stack, where the kernel reads the command line.
    if (argc != 2 || std::strcmp(argv[0], "s6-fake") != 0 ||
        std::strcmp(argv[1], "svc with spaces") != 0)
        return 11;
    char x;
    while (::read(become_go, &x, 1) < 0 && errno == EINTR) {}
    return 0;
}

} // namespace

TEST_CASE("fork_self: a forked child takes the new command line, name and fds", "[fork_self]")
{
    // go: the child waits on it (so it must be kept); stray: open without FD_CLOEXEC too;
    // priv: close-on-exec, so the child must lose it.
    int go[2];
    REQUIRE(::pipe(go) == 0);
    sv::unique_fd go_rd(go[0]), go_wr(go[1]);
    sv::unique_fd stray(::open("/dev/null", O_RDONLY));
    REQUIRE(stray);
    REQUIRE(sv::set_cloexec(go_wr.get(), true));
    sv::self_image img;
    need_self_image(img);
    sv::unique_fd priv(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    REQUIRE(priv);
    // Above any fd we inherited, so it falls in the last range that is closed.
    sv::unique_fd priv_high(fcntl(priv.get(), F_DUPFD_CLOEXEC, 900));
    REQUIRE(priv_high);

    become_go = go_rd.get();
    h::child c([&] {
        char a0[] = "s6-fake", a1[] = "svc with spaces";
        char *argv[] = {a0, a1};
        sv::self_image_run(img, "/some/where/s6-fake", argv, become_main);
        return 10; // self_image_run failed
    });
    int const pid = c.pid();
    std::string const want("s6-fake\0svc with spaces\0", 24);
    // The command line comes first, then the name, then fds are closed in ascending ranges,
    // priv_high's last: wait for all three.
    REQUIRE(h::wait_until([&] {
        return proc_file(pid, "cmdline") == want && proc_file(pid, "comm") == "s6-fake\n" &&
               !fd_open_in(pid, priv_high.get());
    }));
    CHECK(fd_open_in(pid, go_rd.get()));
    CHECK(fd_open_in(pid, stray.get()));
    CHECK_FALSE(fd_open_in(pid, go_wr.get()));
    CHECK_FALSE(fd_open_in(pid, priv.get()));
    CHECK_FALSE(fd_open_in(pid, priv_high.get()));
    // The environment is untouched.
    CHECK(proc_file(pid, "environ") == proc_file(::getpid(), "environ"));
    go_wr.reset();
    CHECK(c.exit_code() == 0);
}

TEST_CASE("fork_self: an argv that does not fit the fresh stack changes nothing", "[fork_self]")
{
    sv::self_image img;
    need_self_image(img);
    h::child c([&] {
        // The smallest fresh stack (128 KiB), and a command line bigger than it.
        rlimit rl{};
        if (getrlimit(RLIMIT_STACK, &rl) < 0) return 12;
        rl.rlim_cur = 128 * 1024;
        if (setrlimit(RLIMIT_STACK, &rl) < 0) return 13;
        std::string const before = h::read_file("/proc/self/cmdline");
        std::string big(200 * 1024, 'x');
        char a0[] = "s6-big";
        char *argv[] = {a0, big.data()};
        if (sv::self_image_run(img, "/x/s6-big", argv, become_main)) return 10;
        if (errno != E2BIG) return 11;
        if (h::read_file("/proc/self/cmdline") != before) return 14;
        return 0;
    });
    CHECK(c.exit_code() == 0);
}

namespace {

// For the child of the fresh-stack case: what it is given, and where its old stack was.
sv::self_image fresh_img;
alignas(4096) char parents_own[3 * 4096]; // stands for s6-svscan's table

struct mapping
{
    std::uintptr_t lo = 0, hi = 0;
};

mapping mapping_named(std::string const &name)
{
    for (auto const &line : h::lines_of(h::read_file("/proc/self/maps")))
        if (line.size() > name.size() &&
            line.compare(line.size() - name.size(), name.size(), name) == 0) {
            mapping m;
            m.lo = std::strtoull(line.c_str(), nullptr, 16);
            m.hi = std::strtoull(line.c_str() + line.find('-') + 1, nullptr, 16);
            return m;
        }
    return {};
}

// The pages of [lo, hi) that are in memory, from /proc/self/pagemap (bit 63).
int present_pages(std::uintptr_t lo, std::uintptr_t hi)
{
    sv::unique_fd fd(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
    if (!fd) return -1;
    long const page = sysconf(_SC_PAGESIZE);
    int n = 0;
    for (std::uintptr_t a = lo; a < hi; a += static_cast<std::uintptr_t>(page)) {
        std::uint64_t v = 0;
        if (::pread(fd.get(), &v, sizeof v, static_cast<off_t>(a / page * 8)) != sizeof v) return -1;
        n += static_cast<int>(v >> 63);
    }
    return n;
}

// Writes a deep stack, as a parent's loop leaves it behind.
[[gnu::noinline]] int dirty_stack(int depth)
{
    volatile char block[16384];
    for (std::size_t i = 0; i < sizeof block; i += 512) block[i] = static_cast<char>(i);
    return depth ? dirty_stack(depth - 1) + block[512] : block[512];
}

int fresh_main(int argc, char **argv)
{
    // argv: ours, on the new stack, and the kernel's command line.
    if (argc != 2 || std::strcmp(argv[0], "s6-fresh") != 0 ||
        std::strcmp(argv[1], "svc") != 0 || argv[2])
        return 10;
    if (h::read_file("/proc/self/cmdline") != std::string("s6-fresh\0svc\0", 13)) return 11;
    if (h::read_file("/proc/self/comm") != "s6-fresh\n") return 12;
    // This frame is not on the old stack, and the old stack is gone but for its top page
    // and what lies above it (the environment, the auxiliary vector).
    mapping const old = mapping_named("[stack]");
    int local = 0;
    auto const here = reinterpret_cast<std::uintptr_t>(&local);
    if (!old.lo || (here >= old.lo && here < old.hi)) return 13;
    long const page = sysconf(_SC_PAGESIZE);
    std::uintptr_t const top = fresh_img.start_stack & ~static_cast<std::uintptr_t>(page - 1);
    if (present_pages(old.lo, top) != 0) return 14;
    if (present_pages(top, old.hi) < 1) return 15;
    // The region we were told to forget holds no page (a read maps the zero page: count
    // first), and reads as zeros.
    if (present_pages(reinterpret_cast<std::uintptr_t>(parents_own),
                      reinterpret_cast<std::uintptr_t>(parents_own) + sizeof parents_own) != 0)
        return 16;
    for (char c : parents_own)
        if (c) return 17;
    return std::getenv("PATH") ? 42 : 18; // the environment is still there
}

} // namespace

TEST_CASE("fork_self: a forked child runs main on a fresh stack, letting its parent's go",
          "[fork_self]")
{
    need_self_image(fresh_img);
    std::memset(parents_own, 'x', sizeof parents_own);
    h::child c([&] {
        if (dirty_stack(4) == -1) return 1;
        char a0[] = "s6-fresh", a1[] = "svc";
        char *argv[] = {a0, a1};
        sv::region const forget[] = {{parents_own, sizeof parents_own}};
        sv::self_image_run(fresh_img, "/x/s6-fresh", argv, fresh_main, forget);
        return 2; // self_image_run failed
    });
    CHECK(c.exit_code() == 42);
}

namespace {

// The resident KiB of our executable's read-only mappings (code, constants), from smaps.
long readonly_exe_rss_kib()
{
    char exe[4096];
    ssize_t const n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    std::string const self(exe, static_cast<std::size_t>(n));
    long sum = 0;
    bool in = false;
    for (auto const &line : h::lines_of(h::read_file("/proc/self/smaps"))) {
        if (line.empty()) continue;
        if (std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') < 16) {
            // "start-end perms offset dev inode path": read-only ones of our own file.
            auto const perms = line.substr(line.find(' ') + 1, 4);
            in = perms[1] != 'w' && line.size() >= self.size() &&
                 line.compare(line.size() - self.size(), self.size(), self) == 0;
        } else if (in && line.rfind("Rss:", 0) == 0) {
            sum += std::strtol(line.c_str() + 4, nullptr, 10);
        }
    }
    return sum;
}

int (*volatile kept_pointer)(char const *) = nullptr; // set at run time: writable data

int ten(char const *) { return 10; }

} // namespace

TEST_CASE("fork_self: a daemon lets go of its start-up's read-only pages, and runs on",
          "[fork_self]")
{
    h::child c([&] {
        kept_pointer = ten;
        long const before = readonly_exe_rss_kib();
        sv::drop_startup_code();
        long const after = readonly_exe_rss_kib();
        if (before <= 0) return 1;
        if (after >= before) return 2;          // nothing was let go
        if (kept_pointer("x") != 10) return 3; // writable data untouched
        return std::strlen("still here") == 10 ? 0 : 4;
    });
    CHECK(c.exit_code() == 0);
}

TEST_CASE("fork_self: dropping start-up pages lets go of the stack under the caller",
          "[fork_self]")
{
    h::child c([&] {
        mapping const st = mapping_named("[stack]");
        if (!st.lo) return 1;
        if (dirty_stack(4) == -1) return 2; // 80 kB of start-up under this frame
        long const page = sysconf(_SC_PAGESIZE);
        int local = 0;
        auto const here = reinterpret_cast<std::uintptr_t>(&local) & ~(page - 1);
        // Leave 4 pages for this frame's callees (drop, and the count itself).
        std::uintptr_t const below = here - 4 * static_cast<std::uintptr_t>(page);
        if (present_pages(st.lo, below) < 8) return 3; // the dirtying did not show
        sv::drop_startup_code();
        if (present_pages(st.lo, below) != 0) return 4;
        return dirty_stack(1) == -1 ? 5 : 0; // and the stack works as before
    });
    CHECK(c.exit_code() == 0);
}
