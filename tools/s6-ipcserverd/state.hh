// s6-ipcserverd's bookkeeping: the connections it serves, in an array reserved once from -c,
// and the decisions over them (admit a client, forget a dead child).  A uid's count is
// counted from that array when a client comes: at most -c entries, next to a fork and exec.
// One array, not a second one of counts per uid, so an idle server touches one page of it.
// Plain functions over plain data, so the unit tests drive them directly.
#pragma once

#include <cstddef>
#include <span>
#include <sys/types.h>

namespace ipcd {

// s6's ABSOLUTE_MAXCONN: -c is capped here.
inline constexpr unsigned absolute_maxconn = 1000;
// -c and -C when not given.
inline constexpr unsigned default_maxconn = 40;

struct conn {
    pid_t pid;
    uid_t uid;
};

struct table {
    // No default member values: the daemon's one table is all zero bits, in .bss (see
    // default_maxconn for what s6-ipcserverd starts from).
    unsigned maxconn;           // -c
    unsigned localmaxconn;      // -C
    bool lookup;                // -p (default) / -P
    std::span<conn> conns;      // maxconn slots
    unsigned nconn = 0;
};

// Applies s6-ipcserverd's rules to the options: maxconn in 1..absolute_maxconn, and
// localmaxconn at most maxconn (equal to it without lookup, where every client is uid 0).
void normalise(table &t) noexcept;

// Whether a new client with uid may be served: false when that uid already has
// localmaxconn connections.  count is the uid's count before this connection.
bool admit(table const &t, uid_t uid, unsigned &count) noexcept;

// Records a child serving uid.
void add(table &t, pid_t pid, uid_t uid) noexcept;

// Forgets the child pid; false when it is not ours (an orphan).  uid is the one it served.
bool remove(table &t, pid_t pid, uid_t &uid) noexcept;

// True while another connection can be taken (the listening socket is watched only then).
inline bool room(table const &t) noexcept { return t.nconn < t.maxconn; }

} // namespace ipcd
