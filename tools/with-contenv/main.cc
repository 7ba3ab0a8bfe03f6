// with-contenv PROG...: run PROG with the container's environment, as s6-overlay v3's
// with-contenv does ("emptyenv -p; s6-envdir -Lf /run/s6/container_environment; exec PROG").
//
// The environment is REPLACED: everything is dropped but PATH, then each file of
// /run/s6/container_environment (or /var/run/s6/container_environment when only that exists)
// sets its variable: the whole file with exactly one trailing newline removed, NUL bytes made
// newlines, a 0-byte file unsetting the variable, a PATH file overriding the kept PATH.  PROG
// is then looked up in the resulting PATH.  With S6_KEEP_ENV set (and not 0) nothing changes.
//
// It is mostly used as a script interpreter ("#!/command/with-contenv sh"), so when PROG
// cannot be run the message says why in terms of that use: a name ending in a carriage return
// means the script has DOS line endings (the kernel hands us "sh\r"), and the script the #!
// line came from is named.  Exit codes: 100 usage, 111 unreadable environment directory,
// 126/127 when PROG cannot be executed / is not found.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/envdir.hh>
#include <supervise/exec.hh>
#include <supervise/fd.hh>

namespace {

// True if file starts with a "#!" line naming with-contenv: we are its interpreter.
bool is_our_script(char const *file) noexcept
{
    sv::unique_fd fd(open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) return false;
    char buf[256];
    ssize_t r = sv::read_full(fd.get(), buf, sizeof buf);
    if (r < 2 || buf[0] != '#' || buf[1] != '!') return false;
    std::string_view line(buf, static_cast<std::size_t>(r));
    line = line.substr(0, line.find('\n'));
    return line.find("with-contenv") != std::string_view::npos;
}

[[noreturn]] void exec_failed(char **argv) noexcept
{
    int const err = errno;
    int const code = err == ENOENT ? sv::exitcode::exec_not_found : sv::exitcode::exec_failed;
    std::string name = argv[0];
    bool const cr = !name.empty() && name.back() == '\r';
    if (cr) name.replace(name.size() - 1, 1, "\\r"); // printed visibly, not as a raw CR
    std::string where;
    if (argv[1] && is_our_script(argv[1])) {
        where = " (named in the #! line of ";
        where += argv[1];
        where += ")";
    }
    std::string hint;
    if (cr)
        hint = "; the name ends with a carriage return: the script has DOS (CRLF) line endings,"
               " convert it to Unix (LF) line endings";
    else if (err == ENOENT && !std::strchr(argv[0], '/')) {
        char const *path = std::getenv("PATH");
        hint = "; not found in PATH=";
        hint += path ? path : "(unset, so /usr/bin:/bin)";
    } else if (err == ENOENT && access(argv[0], F_OK) == 0)
        hint = "; the file exists, so its own #! interpreter is missing";
    sv::die(code, "unable to exec ", name, where, ": ", std::strerror(err), hint);
}

} // namespace

int with_contenv_main(int argc, char **argv)
{
    sv::prog = "with-contenv";
    if (argc < 2) sv::die_usage("with-contenv prog...");
    char **prog = argv + 1;
    if (!sv::keep_env(std::getenv("S6_KEEP_ENV"))) {
        char const *dir = sv::container_env_dir();
        std::vector<sv::env_change> changes;
        if (!sv::envdir_read(dir, sv::envdir_flag::verbatim | sv::envdir_flag::noclamp, '\n',
                             changes))
            sv::die_sys(sv::exitcode::system, "unable to envdir ", dir);
        char const *p = std::getenv("PATH");
        std::string path = p ? p : "";
        bool const had_path = p != nullptr;
        if (clearenv() != 0 || (had_path && setenv("PATH", path.c_str(), 1) < 0) ||
            !sv::env_apply(changes))
            sv::die_sys(sv::exitcode::system, "unable to set up the environment");
    }
    sv::exec_path(prog);
    exec_failed(prog);
}
