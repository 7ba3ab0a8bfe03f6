// s6-log's logdir engine: start-up recovery, writing, the rotation sequence, processors,
// archiving and trimming, finalization.  The steps, their order, the file names and modes and
// the warnings are s6 2.11.3.2's; see s6log.hh for the rotation states.
//
// Where we deliberately differ from s6 2.11.3.2:
//  - a write never goes on into the new current while a rotation waits for its processor
//    (s6 can start a second rotation over the `previous` a processor is still reading);
//  - writes stop at the first line boundary past s - l (logscript::write_span), so where a
//    file is cut does not depend on how the input was chunked;
//  - the processor always gets its fd 5 (s6 2.11.3.2 closes it with exactly one logdir).
#include "s6log.hh"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/fd.hh>
#include <supervise/tai64n.hh>

namespace s6log {

unsigned verbosity = 1;
mode_t file_mode = 0644;

namespace ls = sv::logscript;

char *queue::reserve(std::size_t n) noexcept
{
    if (cap - tail >= n) return p + tail;
    if (head) {
        std::memmove(p, p + head, tail - head);
        tail -= head;
        head = 0;
        if (cap - tail >= n) return p + tail;
    }
    std::size_t ncap = cap ? cap : 65536;
    while (ncap - tail < n)
        ncap *= 2;
    auto *np = static_cast<char *>(std::realloc(p, ncap));
    if (!np) sv::die_sys(111, "unable to allocate memory");
    p = np;
    cap = ncap;
    return p + tail;
}

namespace {

std::int64_t now_ms() noexcept
{
    return sv::mono_ms();
}

sv::path_buf in(logdir const &ld, std::string_view name) noexcept
{
    return sv::path_buf(ld.spec.path, "/", name);
}

// Deletes the oldest archives beyond n (and beyond S bytes in all).  Returns -1 (errno set)
// if the directory cannot be read.
int trim(logdir const &ld) noexcept
{
    DIR *d = opendir(sv::path_buf(ld.spec.path).c_str());
    if (!d) return -1;
    std::vector<ls::archive> list;
    int e = 0;
    for (;;) {
        errno = 0;
        dirent *de = readdir(d);
        if (!de) {
            e = errno;
            break;
        }
        if (!ls::is_archive_name(de->d_name)) continue;
        ls::archive a;
        std::memcpy(a.name, de->d_name, 28);
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, 0) < 0) {
            if (verbosity) sv::warn_sys("unable to stat ", in(ld, de->d_name).view());
            continue;
        }
        a.size = static_cast<std::uint64_t>(st.st_size);
        list.push_back(a);
    }
    closedir(d);
    if (e) {
        errno = e;
        return -1;
    }
    std::size_t k = ls::trim_plan(list, ld.spec.n, ld.spec.max_total);
    for (std::size_t i = 0; i < k; i++) {
        auto p = in(ld, list[i].name);
        if (unlink(p.c_str()) < 0 && verbosity) sv::warn_sys("unable to unlink ", p.view());
    }
    return 0;
}

// Archives DIR/name as @<now>.suffix: link then unlink (a file that already has a second
// link only loses this name, which heals a crash between the two), then trims.  A missing
// file is not an error.
int finish(logdir const &ld, char const *name, char suffix) noexcept
{
    auto x = in(ld, name);
    struct stat st;
    if (stat(x.c_str(), &st) < 0) return errno == ENOENT ? 0 : -1;
    if (st.st_nlink == 1) {
        // A fresh stamp for every archive.  (s6 2.11.3.2 reuses one stamp for the whole
        // start-up recovery, so a previous and a current left together get the same name and
        // the second link fails with EEXIST.)  Should the clock not have moved, try again.
        for (int tries = 0;; tries++) {
            char label[sv::tain_label_size], arch[27];
            sv::tain_fmt(label, sv::tain_now());
            ls::archive_name(arch, label, suffix);
            auto y = in(ld, std::string_view(arch, 27));
            if (link(x.c_str(), y.c_str()) == 0) break;
            if (errno != EEXIST || tries == 100) return -1;
        }
    }
    if (unlink(x.c_str()) < 0) return -1;
    return trim(ld);
}

// Puts fd on target (closing what was there); fd itself is closed.
bool fd_move(int target, int fd) noexcept
{
    if (fd == target) return sv::set_cloexec(fd, false);
    if (dup2(fd, target) < 0) return false;
    close(fd);
    return true;
}

[[noreturn]] void exec_processor(logdir const &ld) noexcept
{
    sv::prog = "s6-log (processor child)";
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    char const *dir = ld.spec.path.data();
    if (chdir(dir) < 0) sv::die_sys(111, "unable to chdir to ", dir);
    struct step
    {
        char const *name;
        int flags;
        int target;
        char const *verb;
    };
    // Opened in this order so that no target is taken by a file still needed: stdin is the
    // old current, stdout the output, fd 4 the last state, fd 5 the next one.
    static constexpr step steps[] = {
        {"previous", O_RDONLY, 0, "open_readb "},
        {"processed", O_WRONLY | O_CREAT | O_TRUNC, 1, "open_trunc "},
        {"state", O_RDONLY, 4, "open_readb "},
        {"newstate", O_WRONLY | O_CREAT | O_TRUNC, 5, "open_trunc "},
    };
    for (auto const &s : steps) {
        int fd = open(s.name, s.flags, 0666);
        if (fd < 0) sv::die_sys(111, "unable to ", s.verb, dir, "/", s.name);
        if (!fd_move(s.target, fd)) sv::die_sys(111, "unable to fd_move ", dir, "/", s.name);
    }
    char const *cmd = ld.spec.processor.data();
    if (ld.spec.processor_sh) {
        char const *argv[] = {"/bin/sh", "-c", cmd, nullptr};
        sv::exec_or_die(argv);
    }
    // "!": execlineb from PATH, then where Debian installs it (where s6 2.11.3.2 looks).
    char const *argv[] = {"execlineb", "-Pc", cmd, nullptr};
    sv::exec_path(argv);
    if (errno == ENOENT) {
        argv[0] = "/usr/lib/execline/bin/execlineb";
        sv::exec_or_die(argv);
    }
    sv::die_sys(126, "unable to exec execlineb");
}

bool fail(logdir &ld) noexcept
{
    ld.deadline = now_ms() + ld.spec.retry_ms;
    return false;
}

// Runs the rotation from its current step; true once the logdir is writable again.
bool rotator(logdir &ld) noexcept
{
    auto const dir = ld.spec.path;
    auto const current = in(ld, "current"), previous = in(ld, "previous");
    switch (ld.state) {
    case rot::start:
        if (fsync(ld.fd) < 0) {
            if (verbosity) sv::warn_sys("unable to fd_sync ", current.view());
            return fail(ld);
        }
        ld.state = rot::rename;
        [[fallthrough]];
    case rot::rename:
        if (rename(current.c_str(), previous.c_str()) < 0) {
            if (verbosity)
                sv::warn_sys("unable to rename ", current.view(), " to ", previous.view());
            return fail(ld);
        }
        ld.state = rot::newcurrent;
        [[fallthrough]];
    case rot::newcurrent: {
        int fd =
            open(current.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0666);
        if (fd < 0) {
            if (verbosity) sv::warn_sys("unable to open_append ", current.view());
            return fail(ld);
        }
        if (fchmod(fd, file_mode) < 0) {
            close(fd);
            if (verbosity) sv::warn_sys("unable to fd_chmod ", current.view());
            return fail(ld);
        }
        close(ld.fd);
        ld.fd = fd;
        ld.b = 0;
        ld.state = rot::chmodprevious;
        [[fallthrough]];
    }
    case rot::chmodprevious:
        if (chmod(previous.c_str(), file_mode | S_IXUSR) < 0) {
            if (verbosity) sv::warn_sys("unable to chmod ", previous.view());
            return fail(ld);
        }
        if (!ld.spec.processor.empty()) {
            ld.state = rot::runprocessor;
            return rotator(ld);
        }
        ld.state = rot::finishprevious;
        [[fallthrough]];
    case rot::finishprevious:
        if (finish(ld, "previous", 's') < 0) {
            if (verbosity) sv::warn_sys("unable to finish previous .s to logdir ", dir);
            return fail(ld);
        }
        ld.state = rot::writable;
        ld.deadline = 0;
        return true;
    case rot::runprocessor: {
        pid_t pid = fork();
        if (pid < 0) {
            if (verbosity) sv::warn_sys("unable to fork processor for logdir ", dir);
            return fail(ld);
        }
        if (!pid) exec_processor(ld);
        ld.pid = pid;
        ld.deadline = never;
        ld.state = rot::waitprocessor;
        return false;
    }
    case rot::waitprocessor:
        return false;
    case rot::syncprocessed: {
        auto x = in(ld, "processed");
        int fd = open(x.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0666);
        if (fd < 0) {
            if (verbosity) sv::warn_sys("unable to open_append ", x.view());
            return fail(ld);
        }
        if (fsync(fd) < 0 || fchmod(fd, file_mode | S_IXUSR) < 0) {
            if (verbosity) sv::warn_sys("unable to fd_sync ", x.view());
            close(fd);
            return fail(ld);
        }
        close(fd);
        ld.state = rot::syncnewstate;
        [[fallthrough]];
    }
    case rot::syncnewstate: {
        auto x = in(ld, "newstate");
        int fd = open(x.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0666);
        if (fd < 0) {
            if (verbosity) sv::warn_sys("unable to open_append ", x.view());
            return fail(ld);
        }
        if (fsync(fd) < 0) {
            if (verbosity) sv::warn_sys("unable to fd_sync ", x.view());
            close(fd);
            return fail(ld);
        }
        close(fd);
        ld.state = rot::unlinkprevious;
        [[fallthrough]];
    }
    case rot::unlinkprevious:
        if (unlink(previous.c_str()) < 0 && errno != ENOENT) {
            if (verbosity) sv::warn_sys("unable to unlink ", previous.view());
            return fail(ld);
        }
        ld.state = rot::renamestate;
        [[fallthrough]];
    case rot::renamestate: {
        auto ns = in(ld, "newstate"), st = in(ld, "state");
        if (rename(ns.c_str(), st.c_str()) < 0) {
            if (verbosity) sv::warn_sys("unable to rename ", ns.view(), " to ", st.view());
            return fail(ld);
        }
        ld.state = rot::finishprocessed;
        [[fallthrough]];
    }
    case rot::finishprocessed:
        if (finish(ld, "processed", 's') < 0) {
            if (verbosity) sv::warn_sys("unable to finish processed .s to logdir ", dir);
            return fail(ld);
        }
        ld.state = rot::writable;
        ld.deadline = 0;
        return true;
    case rot::writable:
        return true;
    case rot::endfchmod:
    case rot::end:
        break;
    }
    sv::die(101, "inconsistent state in rotator()");
}

// Writes the queue out, rotating on the way; stops at an error (retried after r ms) or at a
// rotation that cannot finish now.
void flush(logdir &ld) noexcept
{
    while (ld.out.size()) {
        std::size_t n =
            ls::write_span(ld.out.data(), ld.out.size(), ld.b, ld.spec.s, ld.spec.tolerance);
        ssize_t r = write(ld.fd, ld.out.data(), n);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            if (r < 0 && errno == EAGAIN) return;
            if (!r) errno = EIO;
            if (verbosity) sv::warn_sys("unable to write to ", ld.spec.path, "/current");
            fail(ld);
            return;
        }
        char last = ld.out.data()[r - 1];
        ld.b += static_cast<std::uint64_t>(r);
        ld.out.consume(static_cast<std::size_t>(r));
        if (ls::rotate_after_write(ld.b, ld.spec.s, ld.spec.tolerance, last)) {
            ld.state = rot::start;
            if (!rotator(ld)) return;
        }
    }
}

} // namespace

void logdir_init(logdir &ld) noexcept
{
    char const *dir = ld.spec.path.data();
    if (mkdir(dir, S_IRWXU | S_ISGID) < 0 && errno != EEXIST)
        sv::die_sys(111, "unable to mkdir ", dir);
    auto lock = in(ld, "lock");
    ld.fdlock = open(lock.c_str(), O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0666);
    if (ld.fdlock < 0) sv::die_sys(111, "unable to open ", lock.view());
    struct flock fl
    {
    };
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(ld.fdlock, F_SETLK, &fl) < 0) {
        if (errno == EAGAIN || errno == EACCES) errno = EBUSY;
        sv::die_sys(111, "unable to lock ", lock.view());
    }
    // The lock fd lives as long as the process: that is what holds the lock.
    auto current = in(ld, "current");
    struct stat st;
    bool clean = false;
    if (stat(current.c_str(), &st) < 0) {
        if (errno != ENOENT) sv::die_sys(111, "unable to stat ", current.view());
    } else
        clean = st.st_mode & S_IXUSR;
    if (!clean) {
        // The last run did not finalize: recover the pieces of an interrupted rotation, keep
        // the unfinished current as a .u archive, and start afresh.
        unlink(in(ld, "state").c_str());
        unlink(in(ld, "newstate").c_str());
        auto processed = in(ld, "processed");
        struct stat pst;
        if (stat(processed.c_str(), &pst) < 0) {
            if (errno != ENOENT) sv::die_sys(111, "unable to stat ", processed.view());
            pst.st_mode = 0;
        }
        if (pst.st_mode & S_IXUSR) {
            unlink(in(ld, "previous").c_str());
            if (finish(ld, "processed", 's') < 0)
                sv::die_sys(111, "unable to finish processed .s for logdir ", dir);
        } else {
            unlink(processed.c_str());
            if (finish(ld, "previous", 'u') < 0)
                sv::die_sys(111, "unable to finish previous .u for logdir ", dir);
        }
        if (finish(ld, "current", 'u') < 0)
            sv::die_sys(111, "unable to finish current .u for logdir ", dir);
        auto state = in(ld, "state");
        int fd = open(state.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC, 0666);
        if (fd < 0) sv::die_sys(111, "unable to open_trunc ", state.view());
        close(fd);
        st.st_size = 0;
    }
    ld.fd = open(current.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0666);
    if (ld.fd < 0) sv::die_sys(111, "unable to open_append ", current.view());
    if (fchmod(ld.fd, file_mode) < 0) sv::die_sys(111, "unable to fd_chmod ", current.view());
    ld.b = static_cast<std::uint64_t>(st.st_size);
    ld.deadline = 0;
}

void rotation_start(logdir &ld) noexcept
{
    ld.state = rot::start;
    rotator(ld);
}

void rotate_or_flush(logdir &ld) noexcept
{
    if (ld.state != rot::writable && !rotator(ld)) return;
    if (ls::rotate_before_flush(ld.b, ld.spec.s)) {
        ld.state = rot::start;
        if (!rotator(ld)) return;
    }
    flush(ld);
}

void processor_died(logdir &ld, int wstat) noexcept
{
    ld.pid = 0;
    if (WIFSIGNALED(wstat) || WEXITSTATUS(wstat)) {
        if (verbosity)
            sv::warn(WIFSIGNALED(wstat) ? "processor crashed in " : "processor failed in ",
                     ld.spec.path);
        ld.state = rot::runprocessor;
        fail(ld);
        return;
    }
    ld.state = rot::syncprocessed;
    rotator(ld);
}

bool finalize(logdir &ld) noexcept
{
    if (ld.state == rot::end) return true;
    if (ld.state == rot::writable) {
        if (fsync(ld.fd) < 0) {
            if (verbosity) sv::warn_sys("unable to fd_sync ", ld.spec.path, "/current");
            return fail(ld);
        }
        ld.state = rot::endfchmod;
    }
    if (fchmod(ld.fd, file_mode | S_IXUSR) < 0) {
        if (verbosity) sv::warn_sys("unable to fd_chmod ", ld.spec.path, "/current");
        return fail(ld);
    }
    ld.state = rot::end;
    return true;
}

} // namespace s6log
