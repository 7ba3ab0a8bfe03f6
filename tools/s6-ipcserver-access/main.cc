// s6-ipcserver-access [ -v verbosity ] [ -e | -E ] [ -l localname ] [ -i rulesdir | -x rulesfile ]
// prog...: the access-control step of a UCSPI local server, as in s6 2.11.3.2.
//
// It reads the client's credentials from ${PROTO}REMOTEEUID and ${PROTO}REMOTEEGID (set by
// s6-ipcserverd), looks them up in the rules (libsupervise/accessrules.hh has the search
// order and the formats) and either exits 1 (denied, or no rule) or execs prog with the
// rule's environment changes.  With -e (the default) it also sets ${PROTO}LOCALPATH to the
// server socket's path (or to -l's name); with -E it removes the UCSPI variables instead,
// keeping only the rule's own env.  A rule with an exec file runs that command line through
// execlineb instead of prog.  Verbosity 1 logs what is allowed, 2 also what is denied.
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

#include <supervise/accessrules.hh>
#include <supervise/cdb.hh>
#include <supervise/diag.hh>
#include <supervise/envdir.hh>
#include <supervise/ipc.hh>
#include <supervise/opts.hh>

namespace {

constexpr std::string_view usage = "s6-ipcserver-access [ -v verbosity ] [ -e | -E ] "
                                   "[ -l localname ] [ -i rulesdir | -x rulesfile ] prog...";

enum class rules_kind { none, dir, cdb };

// ${PROTO}<suffix>'s value as an id: exits 100 when it is unset or not a number.
unsigned credential(std::string const &proto, char const *suffix)
{
    std::string const name = proto + suffix;
    char const *v = std::getenv(name.c_str());
    if (!v) sv::die(sv::exitcode::usage, name, " not set");
    unsigned id = 0;
    if (!sv::scan_uint(v, id)) sv::die(sv::exitcode::usage, "invalid $", name);
    return id;
}

sv::access_verdict check(rules_kind kind, char const *rules, uid_t uid, gid_t gid,
                         unsigned verbosity, sv::access_grant &g)
{
    sv::access_verdict v = sv::access_verdict::allow;
    char const *what = "";
    switch (kind) {
    case rules_kind::none:
        if (verbosity >= 2) sv::warn("invoked without a ruleset!");
        return sv::access_verdict::allow;
    case rules_kind::dir:
        v = sv::access_uidgid_fs(uid, gid, rules, g);
        what = "fs";
        break;
    case rules_kind::cdb: {
        sv::cdb db;
        if (!db.open(rules)) sv::die_sys(sv::exitcode::system, "unable to cdb_init ", rules);
        v = sv::access_uidgid_cdb(uid, gid, db, g);
        what = "cdb";
        break;
    }
    }
    if (v == sv::access_verdict::error)
        sv::die_sys(sv::exitcode::system, "unable to check ", what, " ruleset in ", rules);
    return v;
}

} // namespace

int ipcserver_access_main(int argc, char **argv)
{
    sv::prog = "s6-ipcserver-access";
    unsigned verbosity = 1;
    bool doenv = true;
    char const *localname = nullptr;
    char const *rules = nullptr;
    rules_kind kind = rules_kind::none;
    sv::opt_parser opts{argc, argv, "v:Eel:i:x:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'v':
            if (!sv::scan_uint(opts.arg(), verbosity)) sv::die_usage(usage);
            break;
        case 'E': doenv = false; break;
        case 'e': doenv = true; break;
        case 'l': localname = opts.arg(); break;
        case 'i':
            rules = opts.arg();
            kind = rules_kind::dir;
            break;
        case 'x':
            rules = opts.arg();
            kind = rules_kind::cdb;
            break;
        default: sv::die_usage(usage);
        }
    }
    auto const rest = opts.operands();
    if (rest.empty() || !*rest[0]) sv::die_usage(usage);

    char const *proto_env = std::getenv("PROTO");
    if (!proto_env) sv::die(sv::exitcode::usage, "PROTO not set");
    std::string const proto = proto_env;
    uid_t const uid = credential(proto, "REMOTEEUID");
    gid_t const gid = credential(proto, "REMOTEEGID");

    sv::access_grant g;
    sv::access_verdict const v = check(kind, rules, uid, gid, verbosity, g);
    if (v != sv::access_verdict::allow) {
        if (verbosity >= 2) {
            errno = v == sv::access_verdict::deny ? EACCES : ENOENT;
            sv::info_sys("deny pid ", sv::dec(::getpid()), " uid ", sv::dec(uid), " gid ",
                         sv::dec(gid));
        }
        return sv::exitcode::negative;
    }
    if (verbosity)
        sv::info("allow pid ", sv::dec(::getpid()), " uid ", sv::dec(uid), " gid ", sv::dec(gid));

    std::vector<sv::env_change> changes = sv::env_changes_parse(g.env);
    if (doenv) {
        char local[sv::ipc_path_max + 1];
        if (!localname) {
            if (sv::ipc_local(0, local, sizeof local) < 0)
                sv::die_sys(sv::exitcode::system, "unable to ipc_local");
            localname = local;
        }
        changes.push_back({proto + "LOCALPATH", localname});
    } else {
        for (char const *suffix : {"", "REMOTEEUID", "REMOTEEGID", "REMOTEPATH", "LOCALPATH",
                                   "CONNNUM"})
            changes.push_back({*suffix ? proto + suffix : std::string("PROTO"), {}, true});
    }
    if (!g.exec.empty()) {
        char const *execline[] = {"execlineb", "-Pc", g.exec.c_str(), nullptr};
        sv::exec_changed_or_die(execline, changes);
    }
    sv::exec_changed_or_die(rest.data(), changes);
}
