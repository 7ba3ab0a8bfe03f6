// s6-fdholderd's access rules: who may connect (-i directory or -x cdb, by uid and gid) and
// what the matching rule's environment lets the client do.
#include "rules.hh"

#include <string_view>

#include <supervise/accessrules.hh>
#include <supervise/diag.hh>
#include <supervise/ipc.hh>

namespace fdhd {

namespace {

// One of the S6_FDHOLDER_*_REGEX variables: 1 compiled, 0 not this variable, -1 invalid.
int make_re(regex_t &re, std::string_view var, std::string_view name, unsigned verbosity)
{
    if (var.size() <= name.size() || var.substr(0, name.size()) != name ||
        var[name.size()] != '=')
        return 0;
    char const *value = var.data() + name.size() + 1; // NUL-terminated in the env block
    int const r = regcomp(&re, value, REG_EXTENDED | REG_NOSUB);
    if (!r) return 1;
    if (verbosity) {
        char err[256];
        regerror(r, &re, err, sizeof err);
        sv::warn("invalid ", name, " value: ", std::string_view(value), ": ",
                 std::string_view(err));
    }
    return -1;
}

void default_re(regex_t &re) { regcomp(&re, ".^", REG_EXTENDED | REG_NOSUB); }

// The rights a rule's environment (NAME=VALUE strings, each ending in a NUL) grants: as in
// stock, the first valid occurrence of each regex wins, and an invalid regex refuses the
// client.  False (nothing left allocated) for an invalid one.
bool grant_rights(std::string_view env, fdhd::client &c, unsigned verbosity)
{
    unsigned flags = 0, done = 0;
    while (!env.empty()) {
        std::size_t const end = env.find('\0');
        std::string_view const var = env.substr(0, end);
        env.remove_prefix(end == env.npos ? env.size() : end + 1);
        if (var.starts_with("S6_FDHOLDER_GETDUMP=")) flags |= fdhd::may_getdump;
        if (var.starts_with("S6_FDHOLDER_SETDUMP=")) flags |= fdhd::may_setdump;
        if (var.starts_with("S6_FDHOLDER_LIST=")) flags |= fdhd::may_list;
        for (unsigned bit : {1u, 2u}) {
            if (done & bit) continue;
            int const r = make_re(bit == 1 ? c.rre : c.wre, var,
                                  bit == 1 ? "S6_FDHOLDER_RETRIEVE_REGEX"
                                           : "S6_FDHOLDER_STORE_REGEX",
                                  verbosity);
            if (r < 0) {
                if (done & 1) regfree(&c.rre);
                if (done & 2) regfree(&c.wre);
                if (verbosity) sv::warn_sys("unable to parse_env");
                return false;
            }
            done |= r ? bit : 0;
        }
    }
    if (!(done & 1)) default_re(c.rre);
    if (!(done & 2)) default_re(c.wre);
    c.flags = flags;
    return true;
}

} // namespace

bool admit(rules_t const &rules, int fd, fdhd::client &c, unsigned verbosity)
{
    uid_t uid;
    gid_t gid;
    if (!sv::ipc_peer(fd, uid, gid)) {
        if (verbosity) sv::warn_sys("unable to getpeereid");
        return false;
    }
    sv::access_grant g;
    auto const v = rules.is_cdb ? sv::access_uidgid_cdb(uid, gid, rules.db, g)
                                : sv::access_uidgid_fs(uid, gid, rules.path, g);
    if (v != sv::access_verdict::allow) {
        if (verbosity && v == sv::access_verdict::error)
            sv::warn_sys("error while checking rules");
        return false;
    }
    if (!g.exec.empty() && verbosity)
        sv::warn("unused exec string in rules for uid ", sv::dec(uid), " gid ", sv::dec(gid));
    return grant_rights(g.env, c, verbosity);
}

} // namespace fdhd
