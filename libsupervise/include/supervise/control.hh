// Control FIFOs (supervise/control, .s6-svscan/control) and the supervisor lock.
//
// Client side: open the FIFO O_WRONLY|O_NONBLOCK.  ENXIO means nobody holds the read end, i.e.
// no supervisor is listening; then the fd goes blocking and the whole command string is written
// in one write(), so the supervisor sees all the letters of one call together.
// Supervisor side: mkfifo 0600, hold the read end (non-blocking) and an unused write end so
// reads never see EOF.  Liveness is told by a POSIX record lock (fcntl F_WRLCK, whole file) on
// supervise/lock, which clients probe with F_GETLK: lock_take and lock_probe, in lock.hh.
#pragma once

#include <string_view>

#include <supervise/fd.hh>
#include <supervise/lock.hh>

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

// Why control_listen failed: the step s6 names in its message.
enum class listen_error {
    none,
    mkfifo,     // "unable to mkfifo PATH"
    stat,       // "unable to stat PATH"
    not_fifo,   // "PATH is not a FIFO" (errno EEXIST)
    open_read,  // "unable to open PATH for reading"
    open_write, // "unable to open PATH for writing"
};

// The supervisor's side of a control FIFO: creates path as a FIFO (mode 0600, minus the umask)
// if missing and opens the read end non-blocking plus a write end kept only so that the reader
// never sees EOF.  Returns false with errno set (EEXIST if path exists but is not a FIFO), and
// the failed step in *why if why is given.
bool control_listen(char const *path, unique_fd &rd, unique_fd &wr,
                    listen_error *why = nullptr) noexcept;

// control_listen, dying on failure with s6-supervise's and s6-svscan's messages: exit 100 if
// path is not a FIFO, else 111.
void control_listen_or_die(char const *path, unique_fd &rd, unique_fd &wr) noexcept;

} // namespace sv
