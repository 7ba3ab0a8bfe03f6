// s6-setuidgid ACCOUNT PROG...: run PROG as ACCOUNT, with the results of s6 2.11.3.2.
//
// Stock s6-setuidgid is a chain-loader over two other programs:
//   ""          exec PROG unchanged
//   "UID:GID"   exec s6-applyuidgid -u UID -g GID -G "" -- PROG...   (numeric ids only)
//   NAME        exec s6-envuidgid NAME /usr/bin/s6-applyuidgid -Uz -- PROG...
// We run the same two engines in this one process, on the very argument vectors stock would
// build, so every outcome is the same: ids, groups (always set: the primary gid plus each
// group listing the user, never the caller's), the environment (UID/GID/GIDLIST removed in
// the NAME case), exit codes, and even the messages, which carry the name of the chain
// element stock would have printed them from ("s6-envuidgid: fatal: unknown user: X").
// Quirks come along: NAME is parsed as s6-envuidgid's first argument, so "-x" is a usage
// error and "--" makes the helper's path the account name, exactly as in stock.
#include <cstring>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/uidgid.hh>

namespace {
// The program stock's s6-envuidgid execs next; compared by address below.
constexpr char const *applyuidgid_path = "/usr/bin/s6-applyuidgid";
} // namespace

int setuidgid_main(int argc, char **argv)
{
    sv::prog = "s6-setuidgid";
    if (argc < 3) sv::die_usage("s6-setuidgid username prog...");
    char *account = argv[1];
    char **prog = argv + 2;
    if (!*account) sv::exec_or_die(prog);

    std::vector<char const *> chain;
    char *colon = std::strchr(account, ':');
    if (colon) {
        *colon = 0;
        chain = {"s6-applyuidgid", "-u", account, "-g", colon + 1, "-G", "", "--"};
    } else
        chain = {"s6-envuidgid", account, applyuidgid_path, "-Uz", "--"};
    for (char **p = prog; *p; p++)
        chain.push_back(*p);
    int n = static_cast<int>(chain.size());
    chain.push_back(nullptr);

    char const *const *next = chain.data();
    if (!colon) {
        sv::prog = "s6-envuidgid";
        next = sv::envuidgid_main(n, chain.data());
        if (next[0] != applyuidgid_path) sv::exec_or_die(next); // only with odd accounts
        n = 0;
        while (next[n])
            n++;
    }
    sv::prog = "s6-applyuidgid";
    sv::exec_or_die(sv::applyuidgid_main(n, next));
}
