// s6-fdholder-retrieve [ -D ] [ -t timeout ] socket id prog...: s6 2.11.3.2's client that
// gets the fd held under id from a fd-holder daemon and execs prog with it as stdin; -D
// also removes it from the daemon.  Exit: 1 refused (EPERM, ENOENT no such id), 100 usage,
// 111 no daemon, 126/127 prog cannot be run.
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/fdholder.hh>
#include <supervise/opts.hh>

namespace {
constexpr std::string_view usage = "s6-fdholder-retrieve [ -D ] [ -t timeout ] socket id prog...";
}

int fdholder_retrieve_main(int argc, char **argv)
{
    sv::prog = "s6-fdholder-retrieve";
    unsigned t = 0;
    bool del = false;
    sv::opt_parser opts{argc, argv, "Dt:"};
    while (int c = opts.next()) {
        if (c == 'D') del = true;
        else if (c != 't' || !sv::scan_uint(opts.arg(), t)) sv::die_usage(usage);
    }
    auto const rest = opts.operands();
    if (rest.size() < 3) sv::die_usage(usage);
    std::int64_t const deadline = sv::fdh::deadline_in(t);
    int const sock = sv::fdh::connect_or_die(rest[0], deadline);
    int const fd = sv::fdh::retrieve(sock, rest[1], del, deadline);
    if (fd < 0) sv::die_sys(1, "unable to retrieve fd for id ", rest[1]);
    ::close(sock);
    if (fd == 0) {
        if (fcntl(0, F_SETFD, 0) < 0) sv::die_sys(sv::exitcode::system, "unable to uncoe stdin");
    } else {
        if (dup2(fd, 0) < 0) sv::die_sys(sv::exitcode::system, "unable to move fd");
        ::close(fd);
    }
    sv::exec_or_die(rest.data() + 2);
}
