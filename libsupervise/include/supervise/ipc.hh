// Unix-domain sockets as s6's local servers and clients use them (skalibs' ipc_* calls):
// binding with the PATH.lock guard, connecting, the local path and the peer's credentials.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sys/types.h>

namespace sv {

// The longest socket path (sun_path less its terminating NUL).
inline constexpr std::size_t ipc_path_max = 107;

// A new Unix socket, stream or datagram, non-blocking and close-on-exec as asked.  The fd,
// or -1 with errno set.
int ipc_socket(bool datagram, bool nonblock, bool cloexec) noexcept;

// Binds s to path.  -1 with errno set; EPROTO when path is longer than ipc_path_max.
int ipc_bind(int s, char const *path) noexcept;

// Binds s to path over whatever was there, as skalibs' ipc_bind_reuse_lock_perms does:
// takes an exclusive lock on PATH.lock (made mode 0600; EBUSY when another process holds it),
// sets SO_REUSEADDR, removes path (a stale socket, or any other non-directory), and binds
// with the umask ~perms & 0777 (perms 0: the umask as it is).  On success *lockfd holds the
// lock (close-on-exec: it lasts until the binder execs or exits; the file stays behind).
// -1 with errno set on failure.
int ipc_bind_reuse(int s, char const *path, unsigned perms, int *lockfd) noexcept;

// Connects s to the socket at path.  False with errno set (EPROTO: path too long;
// EINPROGRESS for a non-blocking socket still connecting, or an interrupted connect).
bool ipc_connect(int s, char const *path) noexcept;

// A new stream socket (close-on-exec, blocking) connected to path, waiting for the server to
// take the connection until the absolute monotonic deadline (ms, -1 = none), as skalibs'
// ipc_timed_connect.  The fd, or -1 with errno set (ETIMEDOUT at the deadline).
int ipc_connect_until(char const *path, std::int64_t deadline_ms) noexcept;

// The path s is bound to, up to its first NUL, into buf (len bytes, NUL-terminated, cut to
// fit).  -1 with errno set.
int ipc_local(int s, char *buf, std::size_t len) noexcept;

// Accepts a connection on s, non-blocking and close-on-exec as asked; the peer's path (if
// path is not null) goes into path as ipc_local puts it.  The fd, or -1 with errno set.
int ipc_accept(int s, char *path, std::size_t len, bool nonblock, bool cloexec) noexcept;

// The credentials of the process at the other end of the connected socket s (SO_PEERCRED).
// False with errno set.
bool ipc_peer(int s, uid_t &uid, gid_t &gid, pid_t *pid = nullptr) noexcept;

} // namespace sv
