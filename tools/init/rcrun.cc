// Stage 2 and the stop of stage 3 for an s6-overlay v3 image (one with
// /etc/s6-overlay/s6-rc.d): the image's s6-rc source read into a graph (libsupervise
// rcsource), joined by s6-overlay's own services, started and stopped by dependencies.  The
// decisions over the graph are rcgraph.cc's; this file carries them out through the seam.
//
// s6-overlay v3 compiles its database at every boot and runs `s6-rc -u change top`, where
//   top              = base + user + user2 + legacy-services
//   base             = fix-attrs + legacy-cont-init (oneshots; the second depends on the first)
//   legacy-services  depends on base and user: the /etc/services.d copy (and its wait)
// and user services usually depend on base, user2 ones on legacy-services.  Ours are the
// same graph, with s6-overlay's three oneshots done by /init itself ("builtins").  A oneshot's
// up is its lexed argv, exec'd as s6-rc execs it; a longrun becomes a service directory in
// the scan directory, up when s6-supervise says so (ready, with notification-fd).
#include "rcgraph.hh"
#include "stages.hh"
#include "sys.hh"

#include <algorithm>
#include <cerrno>
#include <csignal>

#include <supervise/diag.hh>
#include <supervise/status.hh>

namespace init {
namespace {

namespace rc = sv::rc;

// s6-overlay's own services, done by /init (rc::definition::builtin).
enum builtin { b_fix_attrs, b_cont_init, b_legacy_services };

void add_builtins(rc::graph &g, rc::error &err, bool &ok) noexcept
{
    auto add = [&](char const *name, rc::kind k, int tag, std::vector<std::string> deps,
                   std::vector<std::string> contents) {
        if (!ok) return;
        rc::definition d;
        d.name = name;
        d.type = k;
        d.builtin = tag;
        d.deps = std::move(deps);
        d.contents = std::move(contents);
        ok = rc::add_definition(g, std::move(d), err);
    };
    for (char const *b : {"user", "user2"})
        if (g.find(b) < 0) add(b, rc::kind::bundle, -1, {}, {});
    add("fix-attrs", rc::kind::oneshot, b_fix_attrs, {}, {});
    add("legacy-cont-init", rc::kind::oneshot, b_cont_init, {"fix-attrs"}, {});
    add("base", rc::kind::bundle, -1, {}, {"fix-attrs", "legacy-cont-init"});
    add("legacy-services", rc::kind::oneshot, b_legacy_services, {"user", "base"}, {});
    add("top", rc::kind::bundle, -1, {}, {"base", "user", "user2", "legacy-services"});
}

std::string svc_dir(context const &c, std::string const &name)
{
    return c.cfg.scan_dir() + "/" + name;
}

std::string fifo_of(context const &c, std::string const &consumer)
{
    return c.cfg.under_run("/s6/rc-pipes/") + consumer;
}

// cont-init.d as v3 runs it: every script, whatever the others did; a failure fails the
// oneshot only under S6_BEHAVIOUR_IF_STAGE2_FAILS 2.
int cont_init_v3(context &c, unsigned behav) noexcept
{
    std::string const dir = c.cfg.etc("cont-init.d");
    bool failed = false;
    for (auto const &n : sys::sorted_entries(dir)) {
        int const code = run_script(c, "cont-init.d", dir, n, 0, true);
        if (code < 0) return -1;
        failed = failed || code != 0;
    }
    if (failed && behav) warning(c, "some cont-init.d scripts exited nonzero");
    return failed && behav >= 2 ? 1 : 0;
}

// A builtin's up (start) or down: its exit code, or -1 if a stop request came.
int run_builtin(context &c, int tag, bool start, unsigned behav) noexcept
{
    if (!start) {
        if (tag == b_cont_init) run_finish_scripts(c);
        if (tag == b_legacy_services) legacy_services_down(c);
        return 0;
    }
    switch (tag) {
    case b_fix_attrs: return fix_attrs(c) ? 0 : -1;
    case b_cont_init: return cont_init_v3(c, behav);
    default: break;
    }
    if (int const bad = check_services(c, behav); bad && behav >= 2) return 1;
    services_up(c);
    if (num_setting(c, "S6_CMD_WAIT_FOR_SERVICES", 0) &&
        !wait_services(c, num_setting(c, "S6_CMD_WAIT_FOR_SERVICES_MAXTIME", 5000)))
        return c.ev.stop_signal ? -1 : behav >= 2 ? 1 : 0;
    return 0;
}

// Starts a longrun: its service directory into the scan dir (or, if it is there from an
// earlier start, told to go up again).
bool start_longrun(context &c, rc::definition const &d) noexcept
{
    std::string const to = svc_dir(c, d.name);
    if (sys::is_dir(to)) {
        sys::remove_file(to + "/down");
        return sys::service_control(to, "u");
    }
    std::string const in = d.consumer_for.empty() ? "" : fifo_of(c, d.name);
    std::string const out = d.producer_for.empty() ? "" : fifo_of(c, d.producer_for);
    std::string const staging = c.cfg.under_run("/s6/services-staging");
    sys::make_dir(staging);
    bool const ok = sys::install_longrun(c, d, staging + "/" + d.name, to, in, out);
    sys::remove_dir(staging);
    return ok && sys::svscanctl(c, 'a');
}

// Stops a longrun as s6-rc does: a down file first (so that nothing brings it back up by
// itself), then s6-svc -d.
bool stop_longrun(context &c, rc::definition const &d) noexcept
{
    std::string const dir = svc_dir(c, d.name);
    sys::write_file(dir + "/down", "");
    return sys::service_control(dir, "d");
}

void report(context const &c, rc::definition const &d, bool up, int code) noexcept
{
    if (code == 0) return say(c, "s6-rc: info: service ", d.name, " successfully ",
                              up ? "started" : "stopped");
    complain("s6-rc: warning: unable to ", up ? "start" : "stop", " service ", d.name,
             ": command exited ", sv::dec(code));
}

// Begins atom a's transition (up or down).  Builtins and empty scripts finish at once.
void begin(context &c, unsigned a, bool up, unsigned behav) noexcept
{
    rc_run &r = c.rc;
    rc::definition const &d = r.g.def_of(a);
    say(c, "s6-rc: info: service ", d.name, ": ", up ? "starting" : "stopping");
    std::uint32_t const limit = up ? d.timeout_up : d.timeout_down;
    r.deadline[a] = limit ? sys::now_ms() + limit : -1;
    svstate const done = up ? svstate::up : svstate::down;
    svstate const fail = up ? svstate::failed : svstate::down;
    if (d.builtin >= 0) {
        int const code = run_builtin(c, d.builtin, up, behav);
        r.state[a] = code == 0 ? done : fail;
        if (code >= 0) report(c, d, up, code);
        return;
    }
    if (d.type == rc::kind::longrun) {
        bool const ok = up ? start_longrun(c, d) : stop_longrun(c, d);
        if (!ok) warning_sys(c, "unable to ", up ? "start" : "stop", " ", svc_dir(c, d.name));
        r.state[a] = ok ? (up ? svstate::starting : svstate::stopping) : fail;
        return;
    }
    auto const &words = up ? d.up : d.down;
    if (words.empty()) {
        r.state[a] = done;
        return report(c, d, up, 0);
    }
    std::vector<char const *> argv;
    for (auto const &w : words) argv.push_back(w.c_str());
    argv.push_back(nullptr);
    pid_t const pid = sys::spawn(c, argv.data(), nullptr, {.devnull_stdin = true,
                                                           .search_path = true});
    if (pid < 0) {
        int const e = errno;
        complain("s6-rc: warning: unable to run ", words[0], " for service ", d.name, ": it ",
                 explain_exec_failure(words[0], e));
        r.state[a] = fail;
        return report(c, d, up, e == ENOENT ? 127 : 126);
    }
    r.pid[a] = pid;
    r.state[a] = up ? svstate::starting : svstate::stopping;
}

// Looks at atom a in flight at time now: its script's end, its supervisor's word, its
// deadline.
void check(context &c, unsigned a, std::int64_t now) noexcept
{
    rc_run &r = c.rc;
    rc::definition const &d = r.g.def_of(a);
    bool const up = r.state[a] == svstate::starting;
    svstate const done = up ? svstate::up : svstate::down;
    svstate const fail = up ? svstate::failed : svstate::down;
    int ws;
    if (r.pid[a] > 0 && take_reaped(c, r.pid[a], ws)) {
        r.pid[a] = 0;
        int const code = status_code(ws);
        r.state[a] = code == 0 ? done : fail;
        return report(c, d, up, code);
    }
    if (d.type == rc::kind::longrun) {
        sv::status st;
        bool const have = sys::service_status(svc_dir(c, d.name), st);
        bool const need_ready = sys::exists(svc_dir(c, d.name) + "/notification-fd");
        bool const reached = up ? have && st.is_up() && (!need_ready || st.ready)
                                : !have || st.pid == 0;
        if (reached) {
            r.state[a] = done;
            return report(c, d, up, 0);
        }
    }
    if (r.deadline[a] >= 0 && now >= r.deadline[a]) {
        complain("s6-rc: warning: unable to ", up ? "start" : "stop", " service ", d.name,
                 ": timed out after ", sv::dec(up ? d.timeout_up : d.timeout_down), " ms");
        if (r.pid[a] > 0) {
            sys::signal(r.pid[a], SIGKILL);
            sys::wait_for(c, r.pid[a], ws, -1, false);
            r.pid[a] = 0;
        }
        r.state[a] = fail;
    }
}

} // namespace

progress rc_drive(context &c, std::vector<bool> const &wanted, bool up, unsigned behav,
               std::int64_t deadline) noexcept
{
    rc_run &r = c.rc;
    std::int64_t began = sys::now_ms(); // the last transition's start
    for (;;) {
        for (bool again = true; again;) {
            auto const next = up ? rc_startable(r, wanted) : rc_stoppable(r, wanted);
            again = !next.empty();
            if (again) began = sys::now_ms();
            for (unsigned a : next) begin(c, a, up, behav);
            if (up && c.ev.stop_signal) return progress::working;
        }
        progress const p = up ? rc_start_progress(r, wanted) : rc_stop_progress(r, wanted);
        if (p != progress::working) return p;
        std::int64_t const now = sys::now_ms();
        if (deadline >= 0 && now >= deadline) return progress::working;
        // Scripts wake us when they end; supervisors are looked at every 2 ms for the first
        // 250 ms of a transition (most services go up or down within that, and each layer of
        // a chain of longruns waits for the one before), every 10 ms after that.
        std::vector<pid_t> pids;
        bool longrun_moving = false;
        for (unsigned a = 0; a < r.state.size(); a++) {
            if (r.pid[a] > 0) pids.push_back(r.pid[a]);
            bool const moving = r.state[a] == svstate::starting || r.state[a] == svstate::stopping;
            longrun_moving = longrun_moving || (moving && r.g.def_of(a).type == rc::kind::longrun);
        }
        std::int64_t until = rc_next_deadline(r);
        if (deadline >= 0 && (until < 0 || deadline < until)) until = deadline;
        int const tick = now - began < 250 ? 2 : 10;
        if (longrun_moving && (until < 0 || now + tick < until)) until = now + tick;
        if (sys::wait_children(c, pids, until, up) == wake::stop) return progress::working;
        std::int64_t const t = sys::now_ms();
        for (unsigned a = 0; a < r.state.size(); a++)
            if (r.state[a] == svstate::starting || r.state[a] == svstate::stopping) check(c, a, t);
    }
}

namespace {

// Reads the image's source and builds the graph; false (said) on an error.
bool load(context &c) noexcept
{
    rc::error err;
    std::string const src = c.cfg.etc("s6-overlay/s6-rc.d");
    bool ok = rc::read_source(src, c.rc.g, err, {"user", "user2"});
    if (ok) add_builtins(c.rc.g, err, ok);
    if (ok) ok = rc::resolve(c.rc.g, err);
    if (!ok) {
        complain("[s6-rc] fatal: ", err.message);
        complain("[s6-init] stage 2 failed (exit code ", sv::dec(err.code),
                 "): the s6-rc source is invalid; stopping");
        write_exitcode(c, err.code);
        return false;
    }
    rc_reset(c.rc);
    sys::make_dir(c.cfg.under_run("/s6/rc-pipes"));
    for (unsigned a = 0; a < c.rc.g.atoms.size(); a++) {
        rc::definition const &d = c.rc.g.def_of(a);
        if (d.consumer_for.empty()) continue;
        int const fd = sys::open_fifo(fifo_of(c, d.name));
        if (fd < 0) warning_sys(c, "unable to make the FIFO ", fifo_of(c, d.name));
        c.rc.fifos.emplace_back(fd);
    }
    return true;
}

} // namespace

bool has_rc_source(context const &c) noexcept
{
    return sys::is_dir(c.cfg.etc("s6-overlay/s6-rc.d"));
}

bool rc_stage2(context &c, unsigned behav) noexcept
{
    c.rc.active = true;
    sys::start_tree(c); // its start overlaps the source's compilation
    if (!load(c)) return false;
    std::vector<bool> wanted;
    rc_select(c.rc, "top", wanted);
    unsigned const maxtime = num_setting(c, "S6_CMD_WAIT_FOR_SERVICES_MAXTIME", 5000);
    std::int64_t const deadline = maxtime ? sys::now_ms() + maxtime : -1;
    progress const p = rc_drive(c, wanted, true, behav, deadline);
    if (c.ev.stop_signal) return false;
    rc_listen(c);
    if (p == progress::done) return true;
    int const code = p == progress::blocked ? 1 : 2; // s6-rc's: failed, timed out
    if (p == progress::working)
        complain("s6-rc: fatal: timed out (S6_CMD_WAIT_FOR_SERVICES_MAXTIME=", sv::dec(maxtime),
                 ")");
    if (!behav) return true;
    complain("[s6-init] warning: s6-rc failed to properly bring all the services up (exit code ",
             sv::dec(code), ")");
    if (behav < 2) return true;
    complain("[s6-init] stage 2 failed: stopping the container");
    write_exitcode(c, code);
    return false;
}

void rc_stop(context &c, unsigned grace) noexcept
{
    rc_run &r = c.rc;
    // A oneshot whose up still runs gets the final broadcast; a longrun on its way up goes
    // down with the others.
    for (unsigned a = 0; a < r.state.size(); a++) {
        if (r.state[a] != svstate::starting) continue;
        r.state[a] = r.g.def_of(a).type == rc::kind::longrun ? svstate::up : svstate::failed;
    }
    std::vector<bool> const all(r.state.size(), true);
    std::int64_t const deadline = sys::now_ms() + grace;
    while (rc_drive(c, all, false, 0, deadline) == progress::working) {
        // Out of time: what is still stopping is left to the broadcast, and what depends on
        // nothing still running goes on down.
        for (auto &s : r.state)
            if (s == svstate::stopping) s = svstate::down;
    }
}

} // namespace init
