// s6-log's logdir engine (tools/s6-log/logdir.cc) driven through a fake file system in
// place of its sys:: seam: start-up recovery and the lock, rotation on s (with l), trimming to
// n archives and S bytes, retry deadlines (r), the processor's flow and its failures, write
// errors (ENOSPC, EIO) that keep every byte, and finalization.  The expectations are s6
// 2.11.3.2's (reference/s6-log.md §5-§10); the warnings are checked word for word.
#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <memory>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <supervise/diag.hh>

#include "../../tools/s6-log/logdir.hh"

namespace {

using s6log::rot;

struct inode
{
    std::string data;
    mode_t mode = 0644;
    bool dir = false;
};
using node = std::shared_ptr<inode>;

// The fake world: files by path, open fds, a clock, failures to inject, processors started.
struct fake_world
{
    std::map<std::string, node> files;
    std::map<int, node> fds;
    int next_fd = 10;
    std::int64_t now = 1000000;
    std::uint64_t tai_nano = 0;
    std::map<std::string, int> fail; // "op" or "op:path" -> errno, until erased
    std::size_t write_max = SIZE_MAX; // short writes
    std::vector<std::string> spawned;
    pid_t next_pid = 500;
    int writes = 0;

    int failing(std::string const &op, std::string const &path = "") const
    {
        auto i = fail.find(op + ":" + path);
        if (i != fail.end()) return i->second;
        i = fail.find(op);
        return i != fail.end() ? i->second : 0;
    }
    node find(std::string const &p) const
    {
        auto i = files.find(p);
        return i == files.end() ? nullptr : i->second;
    }
    bool has(std::string const &p) const { return files.count(p); }
    std::string const &content(std::string const &p) { return files.at(p)->data; }
    mode_t mode(std::string const &p) { return files.at(p)->mode; }
    // Names in dir, sorted.
    std::vector<std::string> list(std::string const &dir) const
    {
        std::vector<std::string> v;
        for (auto const &[p, n] : files)
            if (p.size() > dir.size() + 1 && p.compare(0, dir.size() + 1, dir + "/") == 0 &&
                p.find('/', dir.size() + 1) == std::string::npos)
                v.push_back(p.substr(dir.size() + 1));
        return v;
    }
    std::vector<std::string> archives(std::string const &dir) const
    {
        std::vector<std::string> v;
        for (auto &n : list(dir))
            if (n[0] == '@') v.push_back(n);
        return v;
    }
};

fake_world w;

int err(int e)
{
    errno = e;
    return -1;
}

// What s6-log printed on fd 2 while f ran.
template <class F> std::string stderr_of(F &&f)
{
    int mem = memfd_create("stderr", MFD_CLOEXEC);
    int saved = dup(2);
    dup2(mem, 2);
    f();
    dup2(saved, 2);
    close(saved);
    std::string out(static_cast<std::size_t>(lseek(mem, 0, SEEK_END)), '\0');
    pread(mem, out.data(), out.size(), 0);
    close(mem);
    return out;
}

} // namespace

namespace s6log::sys {

int open(char const *path, int flags) noexcept
{
    if (int e = w.failing("open", path)) return err(e);
    node n = w.find(path);
    if (!n) {
        if (!(flags & O_CREAT)) return err(ENOENT);
        n = std::make_shared<inode>();
        n->mode = 0666 & ~022;
        w.files[path] = n;
    }
    if (flags & O_TRUNC) n->data.clear();
    w.fds[w.next_fd] = n;
    return w.next_fd++;
}
ssize_t write(int fd, void const *buf, std::size_t n) noexcept
{
    w.writes++;
    if (int e = w.failing("write")) return err(e);
    if (n > w.write_max) n = w.write_max;
    w.fds.at(fd)->data.append(static_cast<char const *>(buf), n);
    return static_cast<ssize_t>(n);
}
int fsync(int) noexcept
{
    if (int e = w.failing("fsync")) return err(e);
    return 0;
}
int fchmod(int fd, mode_t mode) noexcept
{
    if (int e = w.failing("fchmod")) return err(e);
    w.fds.at(fd)->mode = mode;
    return 0;
}
int close(int fd) noexcept
{
    return w.fds.erase(fd) ? 0 : err(EBADF);
}
int chmod(char const *path, mode_t mode) noexcept
{
    if (int e = w.failing("chmod", path)) return err(e);
    node n = w.find(path);
    if (!n) return err(ENOENT);
    n->mode = mode;
    return 0;
}
int stat(char const *path, struct stat &st) noexcept
{
    node n = w.find(path);
    if (!n) return err(ENOENT);
    st = {};
    st.st_mode = (n->dir ? S_IFDIR : S_IFREG) | n->mode;
    st.st_size = static_cast<off_t>(n->data.size());
    st.st_nlink = 0;
    for (auto const &[p, m] : w.files)
        st.st_nlink += m == n;
    return 0;
}
int rename(char const *from, char const *to) noexcept
{
    if (int e = w.failing("rename", from)) return err(e);
    node n = w.find(from);
    if (!n) return err(ENOENT);
    w.files.erase(from);
    w.files[to] = n;
    return 0;
}
int link(char const *from, char const *to) noexcept
{
    if (int e = w.failing("link", from)) return err(e);
    node n = w.find(from);
    if (!n) return err(ENOENT);
    if (w.has(to)) return err(EEXIST);
    w.files[to] = n;
    return 0;
}
int unlink(char const *path) noexcept
{
    if (int e = w.failing("unlink", path)) return err(e);
    return w.files.erase(path) ? 0 : err(ENOENT);
}
int mkdir(char const *path, mode_t mode) noexcept
{
    if (int e = w.failing("mkdir", path)) return err(e);
    if (w.has(path)) return err(EEXIST);
    auto n = std::make_shared<inode>();
    n->dir = true;
    n->mode = mode & 07777;
    w.files[path] = n;
    return 0;
}
int lock_open(char const *path) noexcept
{
    return open(path, O_WRONLY | O_CREAT);
}
int lock(int) noexcept
{
    if (int e = w.failing("lock")) return err(e);
    return 0;
}
int scan_dir(char const *dir, dir_visitor &v) noexcept
{
    if (int e = w.failing("scan_dir")) return err(e);
    for (auto const &n : w.list(dir))
        v.entry(n.c_str());
    return 0;
}
pid_t spawn_processor(sv::logscript::logdir_spec const &spec) noexcept
{
    if (int e = w.failing("fork")) return err(e);
    w.spawned.push_back(std::string(spec.processor));
    return w.next_pid++;
}
std::int64_t now_ms() noexcept
{
    return w.now;
}
sv::tain now_tain() noexcept
{
    // Moves on by a nanosecond at each reading, so that archive names differ.
    return {sv::tai64_base + 37 + static_cast<std::uint64_t>(w.now / 1000),
            static_cast<std::uint32_t>(w.tai_nano++)};
}

} // namespace s6log::sys

namespace {

constexpr char const *dir = "/log";

// A fresh world and a logdir spec with the given s, l, n, S and r.
s6log::logdir fresh(std::uint32_t s = 4096, std::uint32_t l = 2000, std::uint32_t n = 10,
                    std::uint64_t S = 0, std::uint32_t r = 2000)
{
    w = fake_world{};
    sv::prog = "s6-log"; // other test cases set their own
    s6log::verbosity = 1;
    s6log::file_mode = 0644;
    s6log::logdir ld;
    ld.spec.path = dir;
    ld.spec.s = s;
    ld.spec.tolerance = l;
    ld.spec.n = n;
    ld.spec.max_total = S;
    ld.spec.retry_ms = r;
    ld.out.init(1 << 20);
    return ld;
}

void init_ok(s6log::logdir &ld)
{
    s6log::init_failure f;
    REQUIRE(s6log::logdir_init(ld, f));
}

// Appends count lines of exactly len bytes (newline included) to the logdir's queue.
std::string lines(s6log::logdir &ld, int count, std::size_t len = 100, char c = 'x')
{
    std::string all;
    for (int i = 0; i < count; i++)
        all += std::string(len - 1, c) + "\n";
    std::memcpy(ld.out.reserve(all.size()), all.data(), all.size());
    ld.out.commit(all.size());
    return all;
}

std::string path(std::string const &name)
{
    return std::string(dir) + "/" + name;
}

// Every archive in name order, then current.
std::string all_logs()
{
    std::string s;
    for (auto &a : w.archives(dir))
        s += w.content(path(a));
    return s + w.content(path("current"));
}

} // namespace

TEST_CASE("s6-log logdir: a new logdir is created, locked and given current and state",
          "[s6log]")
{
    auto ld = fresh();
    init_ok(ld);
    CHECK(w.find(dir)->dir);
    CHECK(w.find(dir)->mode == (S_IRWXU | S_ISGID));
    CHECK(w.list(dir) == std::vector<std::string>{"current", "lock", "state"});
    CHECK(w.mode(path("current")) == 0644);
    CHECK(w.content(path("state")).empty());
    CHECK(ld.b == 0);
    CHECK(ld.fdlock >= 0);
    CHECK(w.fds.count(ld.fd));
    CHECK(w.archives(dir).empty());
}

TEST_CASE("s6-log logdir: a cleanly finalized current is appended to", "[s6log]")
{
    auto ld = fresh();
    w.files[dir] = std::make_shared<inode>(inode{"", 02700, true});
    w.files[path("current")] = std::make_shared<inode>(inode{"old line\n", 0744});
    init_ok(ld);
    CHECK(ld.b == 9);
    CHECK(w.mode(path("current")) == 0644); // u+x taken off while running
    CHECK(w.archives(dir).empty());
    CHECK_FALSE(w.has(path("state"))); // no recovery
}

TEST_CASE("s6-log logdir: an unclean logdir is recovered at start-up", "[s6log]")
{
    SECTION("current without u+x and an unprocessed previous become .u archives")
    {
        auto ld = fresh();
        w.files[dir] = std::make_shared<inode>(inode{"", 02700, true});
        w.files[path("current")] = std::make_shared<inode>(inode{"cur\n", 0644});
        w.files[path("previous")] = std::make_shared<inode>(inode{"prev\n", 0744});
        w.files[path("processed")] = std::make_shared<inode>(inode{"half", 0644});
        w.files[path("newstate")] = std::make_shared<inode>(inode{"ns", 0644});
        init_ok(ld);
        auto a = w.archives(dir);
        REQUIRE(a.size() == 2);
        CHECK(a[0].substr(25) == ".u");
        CHECK(a[1].substr(25) == ".u");
        CHECK(w.content(path(a[0])) == "prev\n"); // previous is archived first
        CHECK(w.content(path(a[1])) == "cur\n");
        CHECK(w.list(dir) == std::vector<std::string>{a[0], a[1], "current", "lock", "state"});
        CHECK(w.content(path("current")).empty());
        CHECK(ld.b == 0);
    }
    SECTION("a crash between link and unlink: the archive already made is kept, no other")
    {
        auto ld = fresh();
        w.files[dir] = std::make_shared<inode>(inode{"", 02700, true});
        auto cur = std::make_shared<inode>(inode{"cur\n", 0644});
        w.files[path("current")] = cur;
        w.files[path("@400000000000000000000001.u")] = cur;
        init_ok(ld);
        CHECK(w.archives(dir) == std::vector<std::string>{"@400000000000000000000001.u"});
        CHECK(w.content(path("current")).empty());
    }
    SECTION("a processed file with u+x was complete: it becomes the .s archive")
    {
        auto ld = fresh();
        w.files[dir] = std::make_shared<inode>(inode{"", 02700, true});
        w.files[path("previous")] = std::make_shared<inode>(inode{"prev\n", 0744});
        w.files[path("processed")] = std::make_shared<inode>(inode{"PREV\n", 0744});
        init_ok(ld);
        auto a = w.archives(dir);
        REQUIRE(a.size() == 1);
        CHECK(a[0].substr(25) == ".s");
        CHECK(w.content(path(a[0])) == "PREV\n");
        CHECK_FALSE(w.has(path("previous")));
    }
}

TEST_CASE("s6-log logdir: the lock, and other start-up failures", "[s6log]")
{
    SECTION("a lock held elsewhere: nothing else is touched")
    {
        auto ld = fresh();
        w.fail["lock"] = EBUSY;
        s6log::init_failure f;
        CHECK_FALSE(s6log::logdir_init(ld, f));
        CHECK(std::string(f.verb) == "lock ");
        CHECK(f.dir == dir);
        CHECK(std::string(f.name) == "lock");
        CHECK(f.err == EBUSY);
        CHECK(w.list(dir) == std::vector<std::string>{"lock"});
    }
    SECTION("the lock file cannot be opened")
    {
        auto ld = fresh();
        w.fail["open:/log/lock"] = EACCES;
        s6log::init_failure f;
        CHECK_FALSE(s6log::logdir_init(ld, f));
        CHECK(std::string(f.verb) == "open ");
        CHECK(f.err == EACCES);
    }
    SECTION("mkdir fails (one level only)")
    {
        auto ld = fresh();
        w.fail["mkdir"] = ENOENT;
        s6log::init_failure f;
        CHECK_FALSE(s6log::logdir_init(ld, f));
        CHECK(std::string(f.verb) == "mkdir ");
        CHECK(f.name == nullptr);
        CHECK(f.err == ENOENT);
    }
    SECTION("current cannot be archived during recovery")
    {
        auto ld = fresh();
        w.files[dir] = std::make_shared<inode>(inode{"", 02700, true});
        w.files[path("current")] = std::make_shared<inode>(inode{"cur\n", 0644});
        w.fail["link:/log/current"] = EPERM;
        s6log::init_failure f;
        CHECK_FALSE(s6log::logdir_init(ld, f));
        CHECK(std::string(f.verb) == "finish current .u for logdir ");
        CHECK(f.err == EPERM);
    }
}

TEST_CASE("s6-log logdir: rotation at the first line boundary past s - l", "[s6log]")
{
    auto ld = fresh(4096, 2000); // threshold 2096: 100-byte lines cut at 2100
    init_ok(ld);
    auto input = lines(ld, 50); // 5000 bytes
    s6log::rotate_or_flush(ld);
    CHECK(ld.out.size() == 0);
    CHECK(ld.state == rot::writable);
    auto a = w.archives(dir);
    REQUIRE(a.size() == 2);
    for (auto &x : a) {
        CHECK(x.substr(25) == ".s");
        CHECK(w.content(path(x)).size() == 2100);
        CHECK(w.mode(path(x)) == 0744); // previous got u+x
    }
    CHECK(w.content(path("current")).size() == 800);
    CHECK(ld.b == 800);
    CHECK(all_logs() == input);
    CHECK_FALSE(w.has(path("previous")));

    SECTION("l0: archives reach s")
    {
        auto ld0 = fresh(4096, 0);
        init_ok(ld0);
        lines(ld0, 50);
        s6log::rotate_or_flush(ld0);
        auto a0 = w.archives(dir);
        REQUIRE(a0.size() == 1);
        CHECK(w.content(path(a0[0])).size() == 4100);
    }
}

TEST_CASE("s6-log logdir: a current at s after a partial line is rotated first", "[s6log]")
{
    auto ld = fresh(4096, 2000);
    init_ok(ld);
    std::string big(5000, 'y'); // no newline: written whole, then b >= s
    std::memcpy(ld.out.reserve(big.size()), big.data(), big.size());
    ld.out.commit(big.size());
    s6log::rotate_or_flush(ld);
    CHECK(w.archives(dir).empty()); // no newline: no rotation after the write
    CHECK(ld.b == 5000);
    lines(ld, 1);
    s6log::rotate_or_flush(ld); // b >= s: rotated before the next write, mid-line
    auto a = w.archives(dir);
    REQUIRE(a.size() == 1);
    CHECK(w.content(path(a[0])) == big);
    CHECK(w.content(path("current")).size() == 100);
}

TEST_CASE("s6-log logdir: n keeps the newest archives, S their total size", "[s6log]")
{
    SECTION("n3")
    {
        auto ld = fresh(4096, 2000, 3);
        init_ok(ld);
        auto input = lines(ld, 6 * 21, 100, 'a'); // six rotations of 2100 bytes
        s6log::rotate_or_flush(ld);
        auto a = w.archives(dir);
        CHECK(a.size() == 3);
        CHECK(all_logs() == input.substr(input.size() - 3 * 2100));
    }
    SECTION("n0 keeps none")
    {
        auto ld = fresh(4096, 2000, 0);
        init_ok(ld);
        lines(ld, 3 * 21);
        s6log::rotate_or_flush(ld);
        CHECK(w.archives(dir).empty());
    }
    SECTION("s4096 S5000 keeps two archives of 2100 bytes")
    {
        auto ld = fresh(4096, 2000, 10, 5000);
        init_ok(ld);
        lines(ld, 5 * 21);
        s6log::rotate_or_flush(ld);
        CHECK(w.archives(dir).size() == 2);
    }
    SECTION("more old archives than one directory pass holds")
    {
        auto ld = fresh(4096, 2000, 5);
        w.files[dir] = std::make_shared<inode>(inode{"", 02700, true});
        for (int i = 0; i < 70; i++) {
            char name[32];
            std::snprintf(name, sizeof name, "@4000000000000000000000%02x.s", i);
            w.files[path(name)] = std::make_shared<inode>(inode{"old\n", 0744});
        }
        w.files[path("current")] = std::make_shared<inode>(inode{"", 0744});
        init_ok(ld);
        CHECK(w.archives(dir).size() == 70); // trimming happens at archiving
        lines(ld, 21);
        s6log::rotate_or_flush(ld);
        auto a = w.archives(dir);
        REQUIRE(a.size() == 5);
        CHECK(a[0] == "@400000000000000000000042.s"); // the four newest old ones...
        CHECK(w.content(path(a[4])).size() == 2100); // ...and the new one
    }
}

TEST_CASE("s6-log logdir: write errors keep every byte and retry after r ms", "[s6log]")
{
    auto ld = fresh(99999, 2000, 10, 0, 300);
    init_ok(ld);
    auto input = lines(ld, 10);
    SECTION("ENOSPC and EIO warn, and the data waits")
    {
        for (int e : {ENOSPC, EIO}) {
            w.fail["write"] = e;
            auto text = stderr_of([&] { s6log::rotate_or_flush(ld); });
            CHECK(text == std::string("s6-log: warning: unable to write to /log/current: ") +
                              std::strerror(e) + "\n");
            CHECK(ld.out.size() == input.size());
            CHECK(ld.deadline == w.now + 300);
            CHECK(ld.busy());
            w.now += 300;
        }
        w.fail.clear();
        s6log::rotate_or_flush(ld);
        CHECK(w.content(path("current")) == input);
        CHECK(ld.out.size() == 0);
    }
    SECTION("a write of 0 bytes counts as EIO")
    {
        w.write_max = 0;
        auto text = stderr_of([&] { s6log::rotate_or_flush(ld); });
        CHECK(text == "s6-log: warning: unable to write to /log/current: Input/output error\n");
        CHECK(ld.out.size() == input.size());
    }
    SECTION("short writes: the rest follows in order")
    {
        w.write_max = 7;
        s6log::rotate_or_flush(ld);
        CHECK(w.content(path("current")) == input);
        CHECK(w.writes == static_cast<int>((input.size() + 6) / 7));
    }
    SECTION("-q: no warning, same retries")
    {
        s6log::verbosity = 0;
        w.fail["write"] = ENOSPC;
        CHECK(stderr_of([&] { s6log::rotate_or_flush(ld); }).empty());
        CHECK(ld.deadline == w.now + 300);
    }
}

TEST_CASE("s6-log logdir: a failed rotation step is retried from where it failed", "[s6log]")
{
    auto ld = fresh(4096, 2000, 10, 0, 500);
    init_ok(ld);
    auto input = lines(ld, 30);
    w.fail["rename:/log/current"] = EXDEV;
    auto text = stderr_of([&] { s6log::rotate_or_flush(ld); });
    CHECK(text == "s6-log: warning: unable to rename /log/current to /log/previous: Invalid "
                  "cross-device link\n");
    CHECK(ld.state == rot::rename); // fsync done, rename to do
    CHECK(ld.deadline == w.now + 500);
    CHECK(ld.out.size() == 900); // nothing written into the full current meanwhile
    w.fail.clear();
    w.now += 500;
    s6log::rotate_or_flush(ld);
    CHECK(ld.state == rot::writable);
    CHECK(w.archives(dir).size() == 1);
    CHECK(all_logs() == input);

    SECTION("archiving fails: the logdir stays unwritable until it succeeds")
    {
        auto ld2 = fresh(4096, 2000, 10, 0, 500);
        init_ok(ld2);
        lines(ld2, 30);
        w.fail["link:/log/previous"] = EIO;
        auto t2 = stderr_of([&] { s6log::rotate_or_flush(ld2); });
        CHECK(t2 == "s6-log: warning: unable to finish previous .s to logdir /log: Input/output "
                    "error\n");
        CHECK(ld2.state == rot::finishprevious);
        CHECK(ld2.b == 0); // the new current is open
        w.fail.clear();
        s6log::rotate_or_flush(ld2);
        CHECK(ld2.state == rot::writable);
        CHECK(w.content(path("current")).size() == 900);
    }
}

TEST_CASE("s6-log logdir: SIGALRM's rotation and finalization", "[s6log]")
{
    auto ld = fresh();
    init_ok(ld);
    lines(ld, 3);
    s6log::rotate_or_flush(ld);
    s6log::rotation_start(ld);
    CHECK(ld.state == rot::writable);
    REQUIRE(w.archives(dir).size() == 1);
    CHECK(w.content(path(w.archives(dir)[0])).size() == 300);

    w.fail["fsync"] = EIO;
    auto text = stderr_of([&] { CHECK_FALSE(s6log::finalize(ld)); });
    CHECK(text == "s6-log: warning: unable to fd_sync /log/current: Input/output error\n");
    CHECK(ld.deadline == w.now + 2000);
    w.fail.clear();
    CHECK(s6log::finalize(ld));
    CHECK(ld.state == rot::end);
    CHECK(w.mode(path("current")) == 0744);
}

TEST_CASE("s6-log logdir: the processor's flow, its failures and retries", "[s6log]")
{
    auto ld = fresh(4096, 2000, 10, 0, 700);
    ld.spec.processor = "tr a-z A-Z";
    init_ok(ld);
    w.files[path("state")]->data = "state 0";
    lines(ld, 30, 100, 'p'); // 3000 bytes: one rotation, then 900 more for the new current
    s6log::rotate_or_flush(ld);
    REQUIRE(w.spawned == std::vector<std::string>{"tr a-z A-Z"});
    CHECK(ld.state == rot::waitprocessor);
    CHECK(ld.pid == 500);
    CHECK(ld.deadline == s6log::never);
    CHECK(w.mode(path("previous")) == 0744);
    CHECK(ld.out.size() == 900); // no write while the processor works
    s6log::rotate_or_flush(ld);
    CHECK(ld.out.size() == 900);

    // What a processor leaves: processed on its stdout, newstate on fd 5.
    auto run_processor = [] {
        w.files[path("processed")] = std::make_shared<inode>(inode{"PROCESSED\n", 0644});
        w.files[path("newstate")] = std::make_shared<inode>(inode{"state 1", 0644});
    };

    SECTION("exit 0: processed becomes the .s archive, newstate the state")
    {
        run_processor();
        s6log::processor_died(ld, 0);
        CHECK(ld.state == rot::writable);
        CHECK(ld.pid == 0);
        auto a = w.archives(dir);
        REQUIRE(a.size() == 1);
        CHECK(w.content(path(a[0])) == "PROCESSED\n");
        CHECK(w.mode(path(a[0])) == 0744);
        CHECK(w.content(path("state")) == "state 1");
        CHECK_FALSE(w.has(path("previous")));
        CHECK_FALSE(w.has(path("newstate")));
        CHECK_FALSE(w.has(path("processed")));
        s6log::rotate_or_flush(ld);
        CHECK(w.content(path("current")).size() == 900);
    }
    SECTION("a failure or a crash: warned, and run again after r ms on the same previous")
    {
        auto t1 = stderr_of([&] { s6log::processor_died(ld, 1 << 8); });
        CHECK(t1 == "s6-log: warning: processor failed in /log\n");
        CHECK(ld.state == rot::runprocessor);
        CHECK(ld.deadline == w.now + 700);
        CHECK(w.has(path("previous")));
        w.now += 700;
        s6log::rotate_or_flush(ld);
        CHECK(w.spawned.size() == 2);
        CHECK(ld.pid == 501);
        auto t2 = stderr_of([&] { s6log::processor_died(ld, SIGKILL); });
        CHECK(t2 == "s6-log: warning: processor crashed in /log\n");
        w.now += 700;
        s6log::rotate_or_flush(ld);
        CHECK(w.spawned.size() == 3);
        run_processor();
        s6log::processor_died(ld, 0);
        CHECK(ld.state == rot::writable);
        CHECK(w.archives(dir).size() == 1);
    }
    SECTION("fork fails: warned, retried after r ms")
    {
        // Back to the step before the fork, as after a failed run.
        stderr_of([&] { s6log::processor_died(ld, 1 << 8); });
        w.fail["fork"] = EAGAIN;
        w.now += 700;
        auto t = stderr_of([&] { s6log::rotate_or_flush(ld); });
        CHECK(t == "s6-log: warning: unable to fork processor for logdir /log: Resource "
                   "temporarily unavailable\n");
        CHECK(ld.state == rot::runprocessor);
        CHECK(ld.deadline == w.now + 700);
        w.fail.clear();
        w.now += 700;
        s6log::rotate_or_flush(ld);
        CHECK(ld.state == rot::waitprocessor);
    }
    SECTION("syncing processed fails: retried from there, not rerun")
    {
        run_processor();
        w.fail["fsync"] = EIO;
        auto t = stderr_of([&] { s6log::processor_died(ld, 0); });
        CHECK(t == "s6-log: warning: unable to fd_sync /log/processed: Input/output error\n");
        CHECK(ld.state == rot::syncprocessed);
        w.fail.clear();
        w.now += 700;
        s6log::rotate_or_flush(ld);
        CHECK(ld.state == rot::writable);
        CHECK(w.spawned.size() == 1);
        CHECK(w.content(path("state")) == "state 1");
    }
}
