// s6-fdholder-getdump [ -t timeout ] socket prog...: s6 2.11.3.2's client that takes every
// fd a fd-holder daemon holds and execs prog with them open, described in its environment:
//     S6_FD#=n, and for each i in 0..n-1: S6_FD_i=fd, S6_FDID_i=id, and S6_FDLIMIT_i=@label
//     (the TAI64N limit) when the fd has one (else S6_FDLIMIT_i is removed).
// The daemon keeps its copies.  Exit: 1 refused (EPERM: S6_FDHOLDER_GETDUMP not granted),
// 100 usage, 111 no daemon, 126/127 prog cannot be run.
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/fdholder.hh>
#include <supervise/tai64n.hh>

extern char **environ;

namespace {
constexpr std::string_view usage = "s6-fdholder-getdump [ -t timeout ] socket prog...";

// Sets (value non-null) or removes NAME in env, a list of "NAME=VALUE" strings.
void set_var(std::vector<std::string> &env, std::string const &name, char const *value)
{
    std::erase_if(env, [&](std::string const &e) {
        return e.size() > name.size() && e.compare(0, name.size(), name) == 0 &&
               e[name.size()] == '=';
    });
    if (value) env.push_back(name + '=' + value);
}
} // namespace

int fdholder_getdump_main(int argc, char **argv)
{
    sv::prog = "s6-fdholder-getdump";
    unsigned t;
    auto const rest = sv::fdh::timeout_and_operands(argc, argv, 2, usage, t);
    std::int64_t const deadline = sv::fdh::deadline_in(t);
    int const sock = sv::fdh::connect_or_die(rest[0], deadline);
    std::vector<sv::fdh::dump_entry> dump;
    if (!sv::fdh::getdump(sock, dump, deadline)) sv::die_sys(1, "unable to get dump");
    ::close(sock);

    std::vector<std::string> env;
    for (char **e = environ; *e; e++) env.emplace_back(*e);
    sv::tain const now = sv::tain_now();
    set_var(env, "S6_FD#", std::to_string(dump.size()).c_str());
    for (std::size_t i = 0; i < dump.size(); i++) {
        auto const &d = dump[i];
        if (fcntl(d.fd, F_SETFD, 0) < 0) sv::die_sys(sv::exitcode::system, "unable to uncoe");
        std::string const n = std::to_string(i);
        set_var(env, "S6_FD_" + n, std::to_string(d.fd).c_str());
        set_var(env, "S6_FDID_" + n, d.id.c_str());
        char label[sv::tain_label_size + 1] = {};
        if (!sv::fdh::limit_is_infinite(d.limit, now)) sv::tain_fmt(label, d.limit);
        set_var(env, "S6_FDLIMIT_" + n, label[0] ? label : nullptr);
    }
    std::vector<char const *> envp;
    for (auto const &e : env) envp.push_back(e.c_str());
    envp.push_back(nullptr);
    sv::exec_or_die(rest.data() + 1, envp.data());
}
