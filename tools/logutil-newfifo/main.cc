// logutil-newfifo [ -m mode ] [ -o owner ] fifo: (re)create the FIFO a logger reads from,
// with the given mode (octal, default 0600) and owner (a user name, default root), as
// s6-overlay v2's logutil-newfifo did with s6-rmrf, s6-mkfifo, s6-envuidgid and s6-chown.
//
// v2 ran each step under execline's `if`, so any failing step ends the program with exit 1
// (after the step's fatal message); we keep that.  What v2 did around it is left out: it first
// waited up to 5 s for an s6-fdholderd service (shipped down, so the wait normally timed out
// and nothing was created at all), and last stored the FIFO's read end in that fd holder.
// Here the FIFO is simply recreated, which is what every caller wanted (and what v3 does).
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/opts.hh>
#include <supervise/uidgid.hh>

namespace {

constexpr std::string_view usage = "logutil-newfifo [ -m mode ] [ -o owner ] fifo";

// Removes path and, if it is a directory, everything under it (s6-rmrf).  A missing path is
// fine.  False with errno set on failure.
bool rmrf_at(int dirfd, char const *name)
{
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return true;
    if (errno != EISDIR && errno != EPERM) return false;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return false;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return false;
    }
    bool ok = true;
    while (dirent *e = readdir(d)) {
        if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
        if (!rmrf_at(::dirfd(d), e->d_name)) {
            ok = false;
            break;
        }
    }
    int saved = errno;
    closedir(d);
    errno = saved;
    return ok && (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT);
}

} // namespace

int logutil_newfifo_main(int argc, char **argv)
{
    sv::prog = "logutil-newfifo";
    char const *mode_arg = "0600";
    char const *owner = "root";
    sv::opt_parser opts{argc, argv, "m:o:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'm':
            mode_arg = opts.arg();
            break;
        case 'o':
            owner = opts.arg();
            break;
        default:
            sv::die_usage(usage);
        }
    }
    auto rest = opts.operands();
    if (rest.empty()) return sv::exitcode::step_failed;
    char const *fifo = rest[0];

    // s6-mkfifo -m: an octal number; the execute bits are always masked off.
    unsigned mode = 0;
    std::string_view m(mode_arg);
    if (m.empty() || m.find_first_not_of("01234567") != std::string_view::npos) {
        sv::die(sv::exitcode::step_failed, "invalid mode: ", m);
    }
    for (char c : m)
        mode = mode * 8 + static_cast<unsigned>(c - '0');

    if (!rmrf_at(AT_FDCWD, fifo)) {
        sv::die_sys(sv::exitcode::step_failed, "unable to remove ", fifo);
    }
    umask(S_IXUSR | S_IXGRP | S_IXOTH);
    if (mkfifo(fifo, mode & 07777) < 0) {
        sv::die_sys(sv::exitcode::step_failed, "unable to mkfifo ", fifo);
    }
    sv::uidgid_spec spec; // s6-envuidgid -- owner: a user name that must exist
    std::string bad;
    switch (sv::resolve_uidgid(owner, spec, bad)) {
    case sv::uidgid_status::ok:
        break;
    case sv::uidgid_status::groups_error:
        sv::die_sys(sv::exitcode::step_failed, "unable to read the group file");
    default:
        sv::die(sv::exitcode::step_failed, "unknown user: ", bad);
    }
    if (chown(fifo, spec.uid, spec.gid) < 0) {
        sv::die_sys(sv::exitcode::step_failed, "unable to chown ", fifo);
    }
    return 0;
}
