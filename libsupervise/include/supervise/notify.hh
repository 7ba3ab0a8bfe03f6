// Readiness notification, the s6 way: a daemon that is ready writes a newline to the fd its
// supervisor (or whoever started it) gave it, then closes that fd.  s6-svscan -d,
// s6-notifyoncheck and every daemon with a readiness option use this one function.
#pragma once

namespace sv {

// Writes "\n" to fd (retrying on EINTR) and closes fd, whatever the write did.  True if the
// newline was written; false with errno set if not (a reader that went away: EPIPE).
bool notify_ready(int fd) noexcept;

} // namespace sv
