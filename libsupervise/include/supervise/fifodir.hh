// The event/ fifodir: how s6-supervise tells listeners what happened.
//
// A listener subscribes by creating a FIFO named
//     ftrig1:@<24 hex: its TAI64N>:<6 random [A-Za-z0-9]>      (exactly 39 characters)
// in the fifodir: it mkfifo's the name with a leading dot (mode 0600), opens it for reading
// (non-blocking) and for writing (so it never reads EOF), then renames it to the final name,
// which makes the subscription atomic.  The notifier writes its event bytes to every name of
// that exact shape, opening each O_WRONLY|O_NONBLOCK and unlinking those with no reader (ENXIO)
// or a broken pipe (EPIPE).  This is the scheme stock s6-ftrigrd uses, so stock listeners and
// ours wake up for either supervisor.
#pragma once

#include <cstdint>
#include <string_view>
#include <sys/types.h>

#include <supervise/fd.hh>

namespace sv {

inline constexpr std::string_view ftrig_prefix = "ftrig1:@";
inline constexpr std::size_t ftrig_name_len = 39;

// Creates a fifodir as skalibs' ftrigw_fifodir_make does.  A private one (the default, as
// s6-supervise makes event/) is mkdir 0700, chown(-1, getegid()), chmod 03730: only our group
// may subscribe.  A public one (s6-svlink -P) keeps its group and gets 01733: anyone may.  An
// existing directory is left as it is, unless force is set: then it is given the mode (and
// group) asked for.  False with errno set on failure: ENOTDIR if path exists and is not a
// directory, EACCES if it exists and belongs to another user than our real uid.
bool fifodir_make(char const *path, bool is_public = false, bool force = false) noexcept;

// The same with any group, as s6-mkfifodir -g does (skalibs' ftrigw_fifodir_make): gid -1
// makes a public fifodir (mkdir 0700, chmod 01733, group left alone), any other gid a private
// one owned by that group (chown, chmod 03730).  An existing directory must belong to our real
// uid (else EACCES) and be a directory (else ENOTDIR); it is left as it is unless force is
// set, and then given the mode (and group) asked for.
bool fifodir_make_group(char const *path, gid_t gid, bool force) noexcept;

// Writes events (one or more bytes, in one write) to every listener FIFO in the fifodir.
// Never blocks; stale FIFOs are unlinked.  Returns the number of listeners that got the whole
// write, or -1 with errno set if the fifodir could not be opened or read (ftrigw_notifyb).
// A reader that goes away between open and write raises SIGPIPE: callers catch or ignore it.
int fifodir_notify(char const *path, std::string_view events) noexcept;

// Removes the stale listener FIFOs of a fifodir: those of the listener shape that nobody
// reads (opening them for writing fails with ENXIO), which a listener killed with SIGKILL
// leaves behind.  Live FIFOs and names of other shapes are left alone.  0, or -1 with errno
// set (the fifodir cannot be read, or an unlink failed; the others are still removed).
int fifodir_clean(char const *path) noexcept;

// True if name has the shape of a listener FIFO name.
bool is_listener_name(std::string_view name) noexcept;

// One subscription to a fifodir.  Unsubscribes (unlinks its FIFO) on destruction.
class listener {
public:
    listener() noexcept = default;
    listener(listener const &) = delete;
    listener &operator=(listener const &) = delete;
    ~listener() { unsubscribe(); }

    // Subscribes to the fifodir at eventdir.  If the directory is missing it is created first
    // as s6's listeners do (the outcome of that step is ignored).  False with errno set.
    bool subscribe(std::string_view eventdir) noexcept;

    // Subscribes to the fifodir at eventdir, which must exist (s6-ftrigrd never creates one):
    // the FIFO steps of the contract above.  False with errno set (ENOENT: no fifodir).
    bool attach(std::string_view eventdir) noexcept;

    // The read end, for poll(); readable when events arrive.
    int fd() const noexcept { return rd_.get(); }

    // Waits for event bytes until the absolute monotonic deadline (ms, or -1 for none).
    // Returns the number of bytes read, 0 on timeout, -1 with errno set on error.
    ssize_t wait(char *buf, std::size_t n, std::int64_t deadline_ms) noexcept;

    void unsubscribe() noexcept;

private:
    unique_fd rd_, wr_;
    path_buf path_;
};

} // namespace sv
