#include "state.hh"

namespace ipcd {

void normalise(table &t) noexcept
{
    if (!t.maxconn) t.maxconn = 1;
    if (t.maxconn > absolute_maxconn) t.maxconn = absolute_maxconn;
    if (!t.lookup || t.localmaxconn > t.maxconn) t.localmaxconn = t.maxconn;
}

namespace {
unsigned find_uid(table const &t, uid_t uid) noexcept
{
    unsigned i = 0;
    while (i < t.nuid && t.uids[i].uid != uid) i++;
    return i;
}
} // namespace

bool admit(table const &t, uid_t uid, unsigned &count) noexcept
{
    unsigned const i = find_uid(t, uid);
    count = i < t.nuid ? t.uids[i].count : 0;
    return count < t.localmaxconn;
}

void add(table &t, pid_t pid, uid_t uid) noexcept
{
    unsigned const i = find_uid(t, uid);
    if (i < t.nuid) t.uids[i].count++;
    else t.uids[t.nuid++] = {uid, 1};
    t.conns[t.nconn++] = {pid, uid};
}

bool remove(table &t, pid_t pid, uid_t &uid) noexcept
{
    unsigned i = 0;
    while (i < t.nconn && t.conns[i].pid != pid) i++;
    if (i == t.nconn) return false;
    uid = t.conns[i].uid;
    t.conns[i] = t.conns[--t.nconn];
    unsigned const j = find_uid(t, uid);
    if (j < t.nuid && !--t.uids[j].count) t.uids[j] = t.uids[--t.nuid];
    return true;
}

} // namespace ipcd
