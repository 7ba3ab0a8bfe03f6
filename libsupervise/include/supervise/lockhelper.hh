// Timed locks through a helper process: the s6lockd-helper pipe protocol of s6 2.11.3.2, and the
// way s6-setlock opens and locks its file (s6lockd_openandlock in s6), which the helper shares.
//
// Unix cannot give up waiting for a lock at a deadline, so a client that wants one (s6-setlock
// -t, s6lockd) has a child wait for it instead, and kills the child if the deadline passes:
//
//   client                                         helper
//   spawn HELPER, argv {"s6lockd-helper", "r"|"w", FILE}, an empty environment,
//   its fd 0 = read end of pipe A, its fd 1 = write end of pipe B
//                                                  open FILE (lockfile_open below), lock it,
//                                                  waiting as long as it takes
//                                       <-- B --   the one byte '!': the lock is held
//   (the deadline passes first: SIGTERM the helper)
//   keep the write end of A open as long as the
//   lock is wanted; s6-setlock hands it to prog    read one byte from fd 0: a byte or EOF
//                                                  -> exit 0, which drops the lock
//
// Only the first byte of argv[1] counts: 'w' asks for an exclusive lock, anything else for a
// shared one.  A helper that cannot open or lock FILE says so on its fd 2 and exits (111 or 1)
// without writing, so the client reads EOF on B.  The client's ends of both pipes are
// non-blocking and close-on-exec; the helper's ends are blocking.
#pragma once

#include <cstdint>
#include <sys/types.h>

#include <supervise/fd.hh>

namespace sv {

// The byte a helper writes once it holds the lock.
inline constexpr char lockhelper_ack = '!';
// The helper's name: its argv[0], and its file name in the libexec directory.
inline constexpr char lockhelper_name[] = "s6lockd-helper";

// Which step of lockfile_open failed, for the message s6 prints about it.
enum class lockfile_step { open_write, open_read, create, lock };

// Opens file as s6-setlock does and locks it with lock_fd (a POSIX record lock on the whole
// file, as skalibs' fd_lock takes):
//   exclusive: opened write-only, created (mode 0666 minus the umask) if missing;
//   shared:    opened read-only; if missing, created as above, closed, and opened read-only.
// The open never blocks (O_NONBLOCK, left set as stock leaves it: a FIFO is not waited on).
// The fd is deliberately NOT close-on-exec: s6-setlock execs into its program with it, and
// the record lock lasts as long as that fd stays open.  Returns the fd, or -1 with errno set
// and step telling where it failed; a busy lock with wait false gives EBUSY, as in s6.
int lockfile_open(char const *file, bool exclusive, bool wait, lockfile_step &step) noexcept;

// lockfile_open, or dies with s6's message: "unable to open FILE for writing" / "for reading",
// "unable to create FILE" (exit 111), "unable to lock FILE" (exit 1).
int lockfile_open_or_die(char const *file, bool exclusive, bool wait) noexcept;

// The client's side of one helper.
struct lockhelper_child {
    pid_t pid = 0;
    unique_fd ack;  // read end of B, where the '!' arrives
    unique_fd hold; // write end of A: the lock lasts until every copy of it is closed
};

// Spawns the helper at helper_path for file (argv and environment as above).  True, or false
// with errno set if a pipe or the spawn failed (a failed exec included).
bool lockhelper_start(char const *helper_path, char const *file, bool exclusive,
                      lockhelper_child &out) noexcept;

enum class lockhelper_answer {
    acquired,  // '!' arrived
    pending,   // nothing yet
    closed,    // EOF: the helper exited without the lock (errno EPIPE, as s6 reports it)
    garbage,   // some other byte
    timed_out, // (lockhelper_wait only) the deadline passed; errno ETIMEDOUT
    error,     // read or poll failed; errno set
};

// Reads the helper's answer from the non-blocking ack fd without waiting.
lockhelper_answer lockhelper_read(int ack_fd) noexcept;

// Waits for the answer until the absolute monotonic deadline (ms; -1: none).  A deadline
// already past still looks once without waiting, as s6's iopause does.
lockhelper_answer lockhelper_wait(int ack_fd, std::int64_t deadline_ms) noexcept;

// The helper's side once it holds the lock: writes the ack to out, then blocks until in gives
// a byte or EOF.  0 on success; -1 with errno set, wrote_ack telling which step failed.
int lockhelper_hold(int in, int out, bool &wrote_ack) noexcept;

} // namespace sv
