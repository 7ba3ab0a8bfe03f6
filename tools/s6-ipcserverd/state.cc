#include "state.hh"

namespace ipcd {

void normalise(table &t) noexcept
{
    if (!t.maxconn) t.maxconn = 1;
    if (t.maxconn > absolute_maxconn) t.maxconn = absolute_maxconn;
    if (!t.lookup || t.localmaxconn > t.maxconn) t.localmaxconn = t.maxconn;
}

bool admit(table const &t, uid_t uid, unsigned &count) noexcept
{
    count = 0;
    for (unsigned i = 0; i < t.nconn; i++) count += t.conns[i].uid == uid;
    return count < t.localmaxconn;
}

void add(table &t, pid_t pid, uid_t uid) noexcept { t.conns[t.nconn++] = {pid, uid}; }

bool remove(table &t, pid_t pid, uid_t &uid) noexcept
{
    unsigned i = 0;
    while (i < t.nconn && t.conns[i].pid != pid) i++;
    if (i == t.nconn) return false;
    uid = t.conns[i].uid;
    t.conns[i] = t.conns[--t.nconn];
    return true;
}

} // namespace ipcd
