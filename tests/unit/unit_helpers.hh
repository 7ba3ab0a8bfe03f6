// Small helpers shared by the unit tests: a self-removing temporary directory, whole-file
// read/write, and a forked child that is always reaped.  Tests only; the library never uses
// any of this.
#pragma once

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <supervise/fifodir.hh>
#include <supervise/status.hh>
#include <supervise/tai64n.hh>

namespace unit {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class temp_dir {
public:
    temp_dir()
    {
        char const *base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/s6pp-unit.XXXXXX";
        if (!::mkdtemp(tmpl.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp");
        path_ = tmpl;
    }
    temp_dir(temp_dir const &) = delete;
    temp_dir &operator=(temp_dir const &) = delete;
    ~temp_dir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }

    std::string const &str() const noexcept { return path_; }
    char const *c_str() const noexcept { return path_.c_str(); }
    // path / rel
    std::string operator/(std::string_view rel) const { return path_ + "/" + std::string(rel); }

private:
    std::string path_;
};

// Sets the umask for a scope (tests run one at a time, so the process-wide umask is ours).
struct umask_guard {
    mode_t old;
    explicit umask_guard(mode_t m) noexcept : old(::umask(m)) {}
    umask_guard(umask_guard const &) = delete;
    umask_guard &operator=(umask_guard const &) = delete;
    ~umask_guard() { ::umask(old); }
};

// Replaces path with exactly content (mode 0644).  Throws on failure.
inline void write_file(std::string const &path, std::string_view content)
{
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path);
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t w = ::write(fd, content.data() + done, content.size() - done);
        if (w < 0) {
            int e = errno;
            ::close(fd);
            throw std::system_error(e, std::generic_category(), "write " + path);
        }
        done += static_cast<std::size_t>(w);
    }
    ::close(fd);
}

// The whole content of path.  Throws on failure.
inline std::string read_file(std::string const &path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path);
    std::string s;
    char buf[4096];
    for (;;) {
        ssize_t r = ::read(fd, buf, sizeof buf);
        if (r < 0) {
            int e = errno;
            ::close(fd);
            throw std::system_error(e, std::generic_category(), "read " + path);
        }
        if (r == 0) break;
        s.append(buf, static_cast<std::size_t>(r));
    }
    ::close(fd);
    return s;
}

// A service directory as a supervisor would leave it, with no supervisor: DIR/event (a
// fifodir) and DIR/supervise/status for a service that is up (pid set) or down, ready or not.
inline void make_fake_service(std::string const &dir, bool up, bool ready)
{
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    REQUIRE(::mkdir((dir + "/supervise").c_str(), 0700) == 0);
    REQUIRE(sv::fifodir_make((dir + "/event").c_str()));
    sv::status st;
    st.pid = up ? 4242 : 0;
    st.ready = ready;
    st.wantup = true;
    REQUIRE(sv::status_write(dir, st));
}

inline bool exists(std::string const &path)
{
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

// lstat's st_mode, or 0 if path does not exist.
inline mode_t mode_of(std::string const &path)
{
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0 ? st.st_mode : 0;
}

// Waits until fd is readable or deadline_ms (monotonic, absolute) passes.  True if readable.
inline bool wait_readable(int fd, std::int64_t deadline_ms)
{
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        int t = sv::poll_timeout(deadline_ms, sv::mono_ms());
        int r = ::poll(&p, 1, t);
        if (r > 0) return true;
        if (r == 0 && t == 0) return false;
        if (r < 0 && errno != EINTR) return false;
    }
}

// A forked child that is SIGKILLed (if still running) and reaped on destruction, so a failed
// REQUIRE in the parent never leaves it behind.
class child {
public:
    // Forks; in the child, runs fn() and _exits with its return value.  fn must not return
    // into Catch2 or throw.
    template <class F>
    explicit child(F fn)
    {
        pid_ = ::fork();
        if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
        if (pid_ == 0) ::_exit(fn());
    }
    child(child const &) = delete;
    child &operator=(child const &) = delete;
    ~child()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int st;
            while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {}
        }
    }

    pid_t pid() const noexcept { return pid_; }

    // Waits (polling, up to timeout_ms) for the child to exit; returns its wait status, or -1
    // on timeout.
    int wait(std::int64_t timeout_ms)
    {
        std::int64_t const deadline = sv::mono_ms() + timeout_ms;
        for (;;) {
            int st;
            pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) {
                pid_ = -1;
                return st;
            }
            if (r < 0 && errno != EINTR) return -1;
            if (sv::mono_ms() >= deadline) return -1;
            ::poll(nullptr, 0, 5);
        }
    }

private:
    pid_t pid_ = -1;
};

} // namespace unit
