// s6-ipcserver-socketbinder [ -d | -D ] [ -b backlog ] [ -M | -m ] [ -a perms ] [ -B ] path
// prog...: binds a Unix socket to path, makes it the listening fd 0, and execs prog (usually
// s6-ipcserverd), as s6 2.11.3.2 does.
//
// With -d (the default) it binds over an old socket: it locks PATH.lock (the file stays
// behind; the lock is released at the exec), removes whatever non-directory is at path, and
// binds; with -D a path in use is an error.  -m makes a datagram socket instead of a stream
// one, -B a blocking one, -b the listen backlog (0: no listen()), -a the socket file's mode
// (default 0777, octal).
#include <cerrno>
#include <climits>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/ipc.hh>
#include <supervise/opts.hh>

namespace {
constexpr std::string_view usage = "s6-ipcserver-socketbinder [ -d | -D ] [ -b backlog ] "
                                   "[ -M | -m ] [ -a perms ] [ -B ] path prog...";

} // namespace

int ipcserver_socketbinder_main(int argc, char **argv)
{
    sv::prog = "s6-ipcserver-socketbinder";
    unsigned backlog = SOMAXCONN;
    bool reuse = true, datagram = false, nonblock = true;
    unsigned perms = 0777;
    sv::opt_parser opts{argc, argv, "DdMmBb:a:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'D': reuse = false; break;
        case 'd': reuse = true; break;
        case 'M': datagram = false; break;
        case 'm': datagram = true; break;
        case 'B': nonblock = false; break;
        case 'b':
            if (!sv::scan_uint(opts.arg(), backlog)) sv::die_usage(usage);
            break;
        case 'a':
            if (!sv::scan_octal(opts.arg(), perms)) sv::die_usage(usage);
            break;
        default: sv::die_usage(usage);
        }
    }
    auto const rest = opts.operands();
    if (rest.size() < 2) sv::die_usage(usage);
    char const *path = rest[0];

    // The socket becomes fd 0: the lowest free fd once 0 is closed.
    ::close(0);
    int const s = sv::ipc_socket(datagram, nonblock, false);
    if (s < 0) sv::die_sys(sv::exitcode::system, "unable to create socket");
    if (s != 0) {
        if (::dup2(s, 0) < 0) sv::die_sys(sv::exitcode::system, "unable to create socket");
        ::close(s);
    }
    {
        int lockfd;
        mode_t const old = ::umask(~perms & 0777);
        if ((reuse ? sv::ipc_bind_reuse(0, path, 0, &lockfd) : sv::ipc_bind(0, path)) < 0)
            sv::die_sys(sv::exitcode::system, "unable to bind to ", path);
        ::umask(old);
    }
    if (backlog && ::listen(0, static_cast<int>(backlog > INT_MAX ? INT_MAX : backlog)) < 0)
        sv::die_sys(sv::exitcode::system, "unable to listen to ", path);
    sv::exec_or_die(rest.data() + 1);
}
