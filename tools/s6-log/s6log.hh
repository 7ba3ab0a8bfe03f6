// What s6-log's main loop (main.cc) and its logdir engine (state.cc) share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sys/types.h>

#include <supervise/logscript.hh>

namespace s6log {

// A growable byte queue: records are appended at the tail and written out from the head.
// s6-log keeps every byte it has accepted until it is written, so this only grows (and dies
// on out-of-memory, exit 111, as s6 does).
struct queue
{
    char *p = nullptr;
    std::size_t head = 0, tail = 0, cap = 0;

    std::size_t size() const noexcept { return tail - head; }
    char const *data() const noexcept { return p + head; }
    // Room for n more bytes at the tail; returns where to write them.
    char *reserve(std::size_t n) noexcept;
    void commit(std::size_t n) noexcept { tail += n; }
    void consume(std::size_t n) noexcept
    {
        head += n;
        if (head == tail) head = tail = 0;
    }
    void clear() noexcept { head = tail = 0; }
};

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
    int fdlock = -1;     // lock, held (fcntl write lock) for the whole run
    std::uint64_t b = 0; // bytes in current
    pid_t pid = 0;       // running processor
    rot state = rot::writable;
    std::int64_t deadline = 0; // monotonic ms before which nothing is tried again

    // Has something left to do: data to write or a rotation under way.
    bool busy() const noexcept { return out.size() || state != rot::writable; }
};

// Set by main before any logdir is touched.
extern unsigned verbosity;
extern mode_t file_mode; // 0666 & ~umask: the mode of current; archives add u+x

// Creates (mkdir, one level), locks and recovers a logdir, then opens current, exactly as
// s6-log does at start-up; any failure is fatal (exit 111).
void logdir_init(logdir &ld) noexcept;

// Starts a rotation now (SIGALRM, or size reached).  Runs as many steps as it can.
void rotation_start(logdir &ld) noexcept;

// Goes on with a rotation under way (if any), then writes out the queue: s6's
// rotate_or_flush.  Call when the logdir's deadline has passed.
void rotate_or_flush(logdir &ld) noexcept;

// The processor of ld has exited with wstat.
void processor_died(logdir &ld, int wstat) noexcept;

// One finalization attempt: fsync current and give it u+x.  True when done.
bool finalize(logdir &ld) noexcept;

} // namespace s6log
