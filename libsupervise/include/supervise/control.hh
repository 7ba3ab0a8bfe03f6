// Control FIFOs (supervise/control, .s6-svscan/control) and the supervisor lock.
//
// Client side: open the FIFO O_WRONLY|O_NONBLOCK.  ENXIO means nobody holds the read end, i.e.
// no supervisor is listening; then the fd goes blocking and the whole command string is written
// in one write(), so the supervisor sees all the letters of one call together.
// Supervisor side: mkfifo 0600, hold the read end (non-blocking) and an unused write end so
// reads never see EOF.  Liveness is told by a POSIX record lock (fcntl F_WRLCK, whole file) on
// supervise/lock, which clients probe with F_GETLK.
#pragma once

#include <string_view>

#include <supervise/fd.hh>

namespace sv {

// The valid command letters of s6-supervise 2.11 (every other byte is ignored).
inline constexpr std::string_view supervise_letters = "abqhkti12pcyroduDUxOQ";

enum class control_result {
    ok,
    not_listening, // ENXIO, or the control directory does not exist
    bad_ctldir,    // the control directory exists but something is wrong with it (errno set)
    no_dir,        // DIR itself cannot be opened (errno set)
    sys_error,     // any other failure (errno set)
};

// Writes cmd (possibly empty) to DIR/CTLDIR/control, where CTLDIR is "supervise" or
// ".s6-svscan", classifying failures the way s6 2.11's s6-svc and s6-svscanctl do.
control_result send_control(std::string_view dir, std::string_view ctldir,
                            std::string_view cmd) noexcept;

// Result of probing a lock file.
enum class lock_state { held, free, missing, error };

// Probes DIR/supervise/lock (or any lock path) with F_GETLK, as s6-svok and s6-svstat do.
lock_state lock_probe(char const *path) noexcept;

// Opens (creating, mode 0644) and write-locks a lock file without blocking.  Returns the fd,
// or -1 with errno set (EWOULDBLOCK/EAGAIN/EACCES: someone else holds it).
int lock_take(char const *path) noexcept;

// The supervisor's side of a control FIFO: creates path as a FIFO (mode 0600) if missing and
// opens the read end non-blocking plus a write end kept only so that the reader never sees EOF.
// Returns false with errno set; EEXIST if path exists but is not a FIFO.
bool control_listen(char const *path, unique_fd &rd, unique_fd &wr) noexcept;

} // namespace sv
