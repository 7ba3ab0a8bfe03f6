// The s6-rc command at run time (tools/s6-rc): /init answers its requests on RUN/s6/rc.sock
// (libsupervise rcctl.hh) over the graph it started, with s6-rc's meaning and exit codes:
//   change (-u)   the named services and all they depend on go up        0, 1 failed, 2 timeout
//   change (-d)   the named services and all that depends on them go down,
//                 those with flag-essential (and what they need) spared unless -D
//   list          the named services' atoms, one per line
//   -a            adds the services that are up to the selection
//   an unknown name                                                       3
// The wait loop watches the socket while the CMD runs or /init idles (stage2.cc); a request
// is answered at once, its transitions carried out by the same loop as the boot's.
#include "stages.hh"
#include "sys.hh"

#include <algorithm>

#include <supervise/diag.hh>
#include <supervise/rcctl.hh>

namespace init {
namespace {

sv::rc::reply answer(context &c, std::string const &bytes) noexcept
{
    rc_run &r = c.rc;
    sv::rc::request q;
    if (!sv::rc::unpack(bytes, q) || (q.op != "change" && q.op != "list"))
        return {100, "", "s6-rc: fatal: invalid request\n"};
    std::vector<unsigned> atoms;
    for (auto const &n : q.names)
        if (!r.g.expand(n, atoms))
            return {3, "", "s6-rc: fatal: " + n + " is not a recognized identifier\n"};
    if (q.has('a'))
        for (unsigned a = 0; a < r.state.size(); a++)
            if (r.state[a] == svstate::up && std::find(atoms.begin(), atoms.end(), a) == atoms.end())
                atoms.push_back(a);
    if (q.op == "list") {
        std::string out;
        for (unsigned a = 0; a < r.state.size(); a++)
            if (std::find(atoms.begin(), atoms.end(), a) != atoms.end())
                out += r.g.def_of(a).name + "\n";
        return {0, out, ""};
    }
    bool const up = !q.has('d') && !q.has('D');
    std::vector<bool> wanted = rc_closure(r, atoms, up);
    std::string err;
    if (!up && !q.has('D')) {
        for (unsigned a : atoms)
            if (r.g.def_of(a).essential)
                err += "s6-rc: warning: service " + r.g.def_of(a).name +
                       " is marked as essential, not stopping it\n";
        rc_spare_essentials(r, wanted);
    }
    if (up) // a service that failed may be tried again
        for (unsigned a = 0; a < r.state.size(); a++)
            if (wanted[a] && r.state[a] == svstate::failed) r.state[a] = svstate::down;
    std::int64_t const deadline = q.timeout_ms ? sys::now_ms() + q.timeout_ms : -1;
    unsigned const behav = num_setting(c, "S6_BEHAVIOUR_IF_STAGE2_FAILS", 0);
    switch (rc_drive(c, wanted, up, behav, deadline)) {
    case progress::done: return {0, "", err};
    case progress::blocked:
        return {1, "", err + "s6-rc: warning: some services could not be brought up\n"};
    case progress::working: break;
    }
    if (c.ev.stop_signal) return {1, "", err + "s6-rc: fatal: the container is stopping\n"};
    return {2, "", err + "s6-rc: fatal: timed out\n"};
}

} // namespace

void rc_listen(context &c) noexcept
{
    std::string const path = sv::rc::socket_path(c.cfg.run_dir);
    c.rc.listener.reset(sys::rc_listen(path));
    if (!c.rc.listener) return warning_sys(c, "unable to listen on ", path, " (s6-rc will not work)");
    c.ev.wake_fd = c.rc.listener.get();
}

void rc_serve(context &c) noexcept
{
    std::string bytes;
    sv::unique_fd conn(sys::rc_accept(c.rc.listener.get(), bytes));
    if (!conn) return;
    // While the request is carried out, the wait loop watches for children and signals only.
    c.ev.wake_fd = -1;
    sv::rc::reply const rep = answer(c, bytes);
    c.ev.wake_fd = c.rc.listener.get();
    sys::rc_reply(conn.get(), sv::rc::pack(rep));
}

} // namespace init
