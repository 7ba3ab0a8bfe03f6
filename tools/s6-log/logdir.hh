// s6-log's logdir engine: start-up recovery and locking, writing current, the rotation
// sequence, processors, archiving and trimming, finalization (logdir.cc), and the seam
// (sys::) through which it touches the system.  logdir.cc is pure decisions over a logdir
// struct; sys.cc implements the seam with real system calls, and the unit tests
// (tests/unit/s6log_logdir_test.cc) replace it with a fake file system.
#pragma once

#include <cstdint>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>

#include <supervise/fd.hh>
#include <supervise/logscript.hh>
#include <supervise/tai64n.hh>

#include "queue.hh"

namespace s6log {

// The steps of a rotation, in order, as in s6's rotator.  A failing step is retried from
// where it failed after the logdir's r milliseconds.
enum class rot : std::uint8_t {
    writable,        // not rotating
    start,           // fsync current
    rename,          // current -> previous
    newcurrent,      // open a new current
    chmodprevious,   // previous gets u+x
    finishprevious,  // no processor: archive previous as .s, trim
    runprocessor,    // fork the processor
    waitprocessor,   // wait for it (SIGCHLD)
    syncprocessed,   // fsync processed, give it u+x
    syncnewstate,    // fsync newstate
    unlinkprevious,  // remove previous
    renamestate,     // newstate -> state
    finishprocessed, // archive processed as .s, trim
    endfchmod,       // finalization: current gets u+x
    end,             // finalized
};

inline constexpr std::int64_t never = INT64_MAX;

struct logdir
{
    sv::logscript::logdir_spec spec;
    queue out;
    int fd = -1;         // current, O_APPEND
    int fdlock = -1;     // lock, held for the whole run
    std::uint64_t b = 0; // bytes in current
    pid_t pid = 0;       // running processor
    rot state = rot::writable;
    std::int64_t deadline = 0; // monotonic ms before which nothing is tried again

    // Has something left to do: data to write or a rotation under way.
    bool busy() const noexcept { return out.size() || state != rot::writable; }
};

// Set once at start-up, before any logdir is touched.
extern unsigned verbosity;
extern mode_t file_mode; // 0666 & ~umask: the mode of current; archives add u+x

// Why logdir_init failed: s6-log dies with "unable to VERB DIR[/NAME]: strerror(err)", exit
// 111.
struct init_failure
{
    char const *verb = "";
    std::string_view dir;
    char const *name = nullptr; // a file in dir, or null for dir itself
    int err = 0;
};

// Creates (mkdir, one level), locks and recovers a logdir, then opens current, exactly as
// s6-log does at start-up.  False on the first failure, which is described in f.
bool logdir_init(logdir &ld, init_failure &f) noexcept;

// Starts a rotation now (SIGALRM, or size reached).  Runs as many steps as it can.
void rotation_start(logdir &ld) noexcept;

// Goes on with a rotation under way (if any), then writes out the queue: s6's
// rotate_or_flush.  Call when the logdir's deadline has passed.
void rotate_or_flush(logdir &ld) noexcept;

// The processor of ld has exited with wstat.
void processor_died(logdir &ld, int wstat) noexcept;

// One finalization attempt: fsync current and give it u+x.  True when done.
bool finalize(logdir &ld) noexcept;

// DIR/name for a logdir (logdir_init checks that every name fits).
inline sv::path_buf logdir_file(logdir const &ld, std::string_view name) noexcept
{
    return sv::path_buf(ld.spec.path, "/", name);
}

// Archives DIR/name as @<now>.suffix: link then unlink (a file that already has a second link
// only loses this name, which heals a crash between the two), then trims the logdir.  A
// missing file is not an error.  0, or -1 with errno set.  (archive.cc)
int archive(logdir const &ld, char const *name, char suffix) noexcept;

// What the engine needs from the system.  Each call is the system call of the same name
// (files are created with mode 0666, less the umask), -1 with errno set on failure.
namespace sys {
int open(char const *path, int flags) noexcept;
ssize_t write(int fd, void const *buf, std::size_t n) noexcept;
int fsync(int fd) noexcept;
int fchmod(int fd, mode_t mode) noexcept;
int close(int fd) noexcept;
int chmod(char const *path, mode_t mode) noexcept;
int stat(char const *path, struct stat &st) noexcept;
int rename(char const *from, char const *to) noexcept;
int link(char const *from, char const *to) noexcept;
int unlink(char const *path) noexcept;
int mkdir(char const *path, mode_t mode) noexcept;
// Opens path for locking (created if missing); then takes an exclusive lock on it without
// waiting, EBUSY when another process holds it.
int lock_open(char const *path) noexcept;
int lock(int fd) noexcept;

// Receives the names in a directory, one call each.
struct dir_visitor
{
    virtual void entry(char const *name) noexcept = 0;

protected:
    ~dir_visitor() = default;
};
// Lists dir into v (without allocating); 0, or -1 with errno set if it cannot be read.
int scan_dir(char const *dir, dir_visitor &v) noexcept;

// Forks the processor of a logdir (spec.processor, run in the logdir on previous, processed,
// state and newstate); its pid, or -1 with errno set if the fork failed.
pid_t spawn_processor(sv::logscript::logdir_spec const &spec) noexcept;

std::int64_t now_ms() noexcept; // monotonic, for deadlines
sv::tain now_tain() noexcept;   // wall clock, for archive names
} // namespace sys

} // namespace s6log
