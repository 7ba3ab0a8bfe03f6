// Locking a file: the one lock primitive, as skalibs' fd_lock / fd_unlock / fd_islocked are
// for s6.
//
// s6 2.11.3.2 (through skalibs 2.13) locks with POSIX record locks: fcntl F_SETLK / F_SETLKW
// on the whole file (l_whence SEEK_SET, l_start 0, l_len 0), F_WRLCK for an exclusive lock,
// F_RDLCK for a shared one, and probes with F_GETLK.  We take the very same locks, so a stock
// s6-supervise and ours exclude each other on supervise/lock, and a stock s6-svok or
// s6-svstat sees our supervisor as running.
//
// A POSIX record lock belongs to the process: a child does not inherit it, and closing ANY fd
// of that file in the process drops it.  Where a lock must pass to a child (s6-supervise's
// lock-fd), lock_fd_inherited takes an open-file-description lock instead, which the kernel
// makes conflict with record locks, so the two kinds still exclude each other.
#pragma once

#include <sys/types.h>

namespace sv {

// Takes a POSIX record lock on the whole file behind fd: exclusive (F_WRLCK, fd open for
// writing) or shared (F_RDLCK, fd open for reading); waits for it when wait is true.  0 on
// success; -1 with errno set: EWOULDBLOCK when another holds it and wait is false (EACCES and
// EAGAIN are both reported as EWOULDBLOCK), else the fcntl error.  Retries on EINTR when
// waiting.
int lock_fd(int fd, bool exclusive, bool wait) noexcept;

// The same with an open-file-description lock (F_OFD_SETLK / F_OFD_SETLKW): it belongs to the
// open file description, so it survives fork and exec in whoever inherits fd, and is dropped
// only when the last fd of that description is closed.
int lock_fd_inherited(int fd, bool exclusive, bool wait) noexcept;

// Releases the record lock held through fd (F_UNLCK, whole file).  0, or -1 with errno set.
int unlock_fd(int fd) noexcept;

// Opens path for locking as s6 opens its lock files: created with mode (minus the umask) if
// missing, never blocking (a FIFO in its place is not waited on), close-on-exec.  It is opened
// read-write, so both kinds of lock can be taken, or write-only where read access is denied
// (stock s6 opens write-only).  The fd, or -1 with errno set.
int lock_open(char const *path, mode_t mode = 0644) noexcept;

// lock_open, then an exclusive lock without waiting.  The fd, or -1 with errno set
// (EWOULDBLOCK: another process holds the lock).  Callers that report the opening and the
// locking apart, as s6 does ("unable to open X" / "unable to lock X"), call the two in turn.
int lock_take(char const *path, mode_t mode = 0644) noexcept;

// Result of probing a lock file.
enum class lock_state { held, free, missing, error };

// Probes path with F_GETLK, as s6-svok and s6-svstat probe DIR/supervise/lock: held if any
// process (or open file description) has a lock on it; missing if the file does not exist;
// error with errno set.  It never blocks: a FIFO there is opened without waiting for a writer
// (and is free, as stock finds it).
lock_state lock_probe(char const *path) noexcept;

} // namespace sv
