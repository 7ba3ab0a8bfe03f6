// s6-log's logdir engine: start-up recovery, writing, the rotation sequence, processors,
// archiving and trimming, finalization.  The steps, their order, the file names and modes and
// the warnings are s6 2.11.3.2's; see logdir.hh for the rotation states.  Every system call
// goes through sys:: (sys.cc, or a fake in the unit tests), and nothing here allocates.
//
// Where we deliberately differ from s6 2.11.3.2:
//  - a write never goes on into the new current while a rotation waits for its processor
//    (s6 can start a second rotation over the `previous` a processor is still reading);
//  - writes stop at the first line boundary past s - l (logscript::write_span), so where a
//    file is cut does not depend on how the input was chunked;
//  - the processor always gets its fd 5 (s6 2.11.3.2 closes it with exactly one logdir);
//  - every archive gets a fresh stamp (s6 2.11.3.2 reuses one for the whole start-up
//    recovery, so a previous and a current left together collide).
#include "logdir.hh"

#include <cerrno>
#include <fcntl.h>
#include <sys/wait.h>

#include <supervise/diag.hh>

namespace s6log {

unsigned verbosity = 1;
mode_t file_mode = 0644;

namespace {

namespace ls = sv::logscript;

constexpr int append_flags = O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC;
constexpr int trunc_flags = O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC;

bool fail(logdir &ld) noexcept
{
    ld.deadline = sys::now_ms() + ld.spec.retry_ms;
    return false;
}

// fsync (and, for processed, u+x) a file the processor wrote.
bool sync_file(logdir &ld, char const *name, bool exec) noexcept
{
    auto x = logdir_file(ld, name);
    int fd = sys::open(x.c_str(), append_flags);
    if (fd < 0) {
        if (verbosity) sv::warn_sys("unable to open_append ", x.view());
        return fail(ld);
    }
    bool ok = sys::fsync(fd) == 0 && (!exec || sys::fchmod(fd, file_mode | S_IXUSR) == 0);
    if (!ok && verbosity) sv::warn_sys("unable to fd_sync ", x.view());
    sys::close(fd);
    return ok || fail(ld);
}

// Rotation steps 1 to 4: current becomes previous (u+x), a new current is opened.
bool rotate_current(logdir &ld) noexcept
{
    auto const current = logdir_file(ld, "current"), previous = logdir_file(ld, "previous");
    switch (ld.state) {
    case rot::start:
        if (sys::fsync(ld.fd) < 0) {
            if (verbosity) sv::warn_sys("unable to fd_sync ", current.view());
            return fail(ld);
        }
        ld.state = rot::rename;
        [[fallthrough]];
    case rot::rename:
        if (sys::rename(current.c_str(), previous.c_str()) < 0) {
            if (verbosity)
                sv::warn_sys("unable to rename ", current.view(), " to ", previous.view());
            return fail(ld);
        }
        ld.state = rot::newcurrent;
        [[fallthrough]];
    case rot::newcurrent: {
        int fd = sys::open(current.c_str(), append_flags);
        if (fd < 0) {
            if (verbosity) sv::warn_sys("unable to open_append ", current.view());
            return fail(ld);
        }
        if (sys::fchmod(fd, file_mode) < 0) {
            sys::close(fd);
            if (verbosity) sv::warn_sys("unable to fd_chmod ", current.view());
            return fail(ld);
        }
        sys::close(ld.fd);
        ld.fd = fd;
        ld.b = 0;
        ld.state = rot::chmodprevious;
        [[fallthrough]];
    }
    case rot::chmodprevious:
        if (sys::chmod(previous.c_str(), file_mode | S_IXUSR) < 0) {
            if (verbosity) sv::warn_sys("unable to chmod ", previous.view());
            return fail(ld);
        }
        ld.state = ld.spec.processor.empty() ? rot::finishprevious : rot::runprocessor;
        return true;
    default:
        return true;
    }
}

// The processor's part of a rotation, once it has exited 0: processed and newstate are
// synced, previous goes, newstate becomes state.
bool settle_processed(logdir &ld) noexcept
{
    switch (ld.state) {
    case rot::syncprocessed:
        if (!sync_file(ld, "processed", true)) return false;
        ld.state = rot::syncnewstate;
        [[fallthrough]];
    case rot::syncnewstate:
        if (!sync_file(ld, "newstate", false)) return false;
        ld.state = rot::unlinkprevious;
        [[fallthrough]];
    case rot::unlinkprevious: {
        auto previous = logdir_file(ld, "previous");
        if (sys::unlink(previous.c_str()) < 0 && errno != ENOENT) {
            if (verbosity) sv::warn_sys("unable to unlink ", previous.view());
            return fail(ld);
        }
        ld.state = rot::renamestate;
        [[fallthrough]];
    }
    case rot::renamestate: {
        auto ns = logdir_file(ld, "newstate"), st = logdir_file(ld, "state");
        if (sys::rename(ns.c_str(), st.c_str()) < 0) {
            if (verbosity) sv::warn_sys("unable to rename ", ns.view(), " to ", st.view());
            return fail(ld);
        }
        ld.state = rot::finishprocessed;
        return true;
    }
    default:
        return true;
    }
}

// Archives previous (no processor) or processed as .s; the logdir is then writable.
bool archive_rotated(logdir &ld, char const *name) noexcept
{
    if (archive(ld, name, 's') < 0) {
        if (verbosity)
            sv::warn_sys("unable to finish ", name, " .s to logdir ", ld.spec.path);
        return fail(ld);
    }
    ld.state = rot::writable;
    ld.deadline = 0;
    return true;
}

// Runs the rotation from its current step; true once the logdir is writable again.
bool rotator(logdir &ld) noexcept
{
    switch (ld.state) {
    case rot::writable:
        return true;
    case rot::start:
    case rot::rename:
    case rot::newcurrent:
    case rot::chmodprevious:
        if (!rotate_current(ld)) return false;
        return rotator(ld);
    case rot::finishprevious:
        return archive_rotated(ld, "previous");
    case rot::runprocessor: {
        pid_t pid = sys::spawn_processor(ld.spec);
        if (pid < 0) {
            if (verbosity)
                sv::warn_sys("unable to fork processor for logdir ", ld.spec.path);
            return fail(ld);
        }
        ld.pid = pid;
        ld.deadline = never;
        ld.state = rot::waitprocessor;
        return false;
    }
    case rot::waitprocessor:
        return false;
    case rot::syncprocessed:
    case rot::syncnewstate:
    case rot::unlinkprevious:
    case rot::renamestate:
        if (!settle_processed(ld)) return false;
        [[fallthrough]];
    case rot::finishprocessed:
        return archive_rotated(ld, "processed");
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
        ssize_t r = sys::write(ld.fd, ld.out.data(), n);
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

bool failed(init_failure &f, logdir const &ld, char const *verb, char const *name) noexcept
{
    f.err = errno;
    f.verb = verb;
    f.dir = ld.spec.path;
    f.name = name;
    return false;
}

// The last run did not finalize: recover the pieces of an interrupted rotation, keep the
// unfinished current as a .u archive, and start afresh with an empty state.
bool recover(logdir &ld, init_failure &f) noexcept
{
    sys::unlink(logdir_file(ld, "state").c_str());
    sys::unlink(logdir_file(ld, "newstate").c_str());
    auto processed = logdir_file(ld, "processed");
    struct stat pst;
    if (sys::stat(processed.c_str(), pst) < 0) {
        if (errno != ENOENT) return failed(f, ld, "stat ", "processed");
        pst.st_mode = 0;
    }
    if (pst.st_mode & S_IXUSR) {
        sys::unlink(logdir_file(ld, "previous").c_str());
        if (archive(ld, "processed", 's') < 0)
            return failed(f, ld, "finish processed .s for logdir ", nullptr);
    } else {
        sys::unlink(processed.c_str());
        if (archive(ld, "previous", 'u') < 0)
            return failed(f, ld, "finish previous .u for logdir ", nullptr);
    }
    if (archive(ld, "current", 'u') < 0)
        return failed(f, ld, "finish current .u for logdir ", nullptr);
    auto state = logdir_file(ld, "state");
    int fd = sys::open(state.c_str(), trunc_flags);
    if (fd < 0) return failed(f, ld, "open_trunc ", "state");
    sys::close(fd);
    return true;
}

} // namespace

bool logdir_init(logdir &ld, init_failure &f) noexcept
{
    // Every file name built below must fit: the longest is an archive's.
    if (ld.spec.path.size() + 29 > PATH_MAX) {
        errno = ENAMETOOLONG;
        return failed(f, ld, "mkdir ", nullptr);
    }
    char const *dir = ld.spec.path.data(); // an argument: NUL-terminated
    if (sys::mkdir(dir, S_IRWXU | S_ISGID) < 0 && errno != EEXIST)
        return failed(f, ld, "mkdir ", nullptr);
    auto lock = logdir_file(ld, "lock");
    ld.fdlock = sys::lock_open(lock.c_str());
    if (ld.fdlock < 0) return failed(f, ld, "open ", "lock");
    if (sys::lock(ld.fdlock) < 0) return failed(f, ld, "lock ", "lock");
    // The lock fd lives as long as the process: that is what holds the lock.
    auto current = logdir_file(ld, "current");
    struct stat st;
    bool clean = false;
    if (sys::stat(current.c_str(), st) < 0) {
        if (errno != ENOENT) return failed(f, ld, "stat ", "current");
    } else
        clean = st.st_mode & S_IXUSR;
    if (!clean) {
        if (!recover(ld, f)) return false;
        st.st_size = 0;
    }
    ld.fd = sys::open(current.c_str(), append_flags);
    if (ld.fd < 0) return failed(f, ld, "open_append ", "current");
    if (sys::fchmod(ld.fd, file_mode) < 0) return failed(f, ld, "fd_chmod ", "current");
    ld.b = static_cast<std::uint64_t>(st.st_size);
    ld.deadline = 0;
    return true;
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
        if (sys::fsync(ld.fd) < 0) {
            if (verbosity) sv::warn_sys("unable to fd_sync ", ld.spec.path, "/current");
            return fail(ld);
        }
        ld.state = rot::endfchmod;
    }
    if (sys::fchmod(ld.fd, file_mode | S_IXUSR) < 0) {
        if (verbosity) sv::warn_sys("unable to fd_chmod ", ld.spec.path, "/current");
        return fail(ld);
    }
    ld.state = rot::end;
    return true;
}

} // namespace s6log
