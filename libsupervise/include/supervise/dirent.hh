// Reading a directory without allocating: getdents64 into the caller's buffer, so a daemon
// that reads directories in its loop (s6-svscan's scan, a supervisor's fifodir) stays off
// the heap.  Kept apart from fd.hh because <dirent.h> declares names (scandir) that callers
// use for their own things.
#pragma once

#include <cerrno>
#include <dirent.h>
#include <span>
#include <sys/types.h>

namespace sv {

// Calls f(name) for each entry of the directory open on dfd ("." and ".." too), read with
// getdents64 into buf, which must be 8-byte aligned and hold one entry (a dirent64 with a
// 255-byte name): nothing is allocated, unlike readdir's 32 kB.  f returns true to go on.
// 0 at the end or once f said stop, -1 with errno set if a read failed (after the entries
// read before it were seen).
template <class F>
int each_dirent(int dfd, std::span<char> buf, F &&f) noexcept
{
    for (;;) {
        ssize_t const n = ::getdents64(dfd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (!n) return 0;
        for (ssize_t off = 0; off < n;) {
            auto const *d = reinterpret_cast<dirent64 const *>(buf.data() + off);
            off += d->d_reclen;
            if (!f(static_cast<char const *>(d->d_name))) return 0;
        }
    }
}

} // namespace sv
