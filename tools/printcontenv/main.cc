// printcontenv NAME: print the value of one container environment variable followed by a
// newline, as s6-overlay v3's printcontenv does; the overlay's own scripts read their S6_*
// settings this way.
//
// The value is the one with-contenv would give the variable: the file NAME in
// /run/s6/container_environment (or /var/run/s6/... when only that exists), read whole, with
// one trailing newline removed.  (v3's script cats the file and adds a newline, so it prints
// a stray blank line after values dumped with a trailing newline; command substitution hides
// the difference.)  With S6_KEEP_ENV set, the live environment is used instead, and like v3
// an empty value counts as unset.
//
// Exit codes: 0 printed; 1 not set (no such file, a 0-byte file, or unset/empty under
// S6_KEEP_ENV); 100 no NAME or a NAME that cannot be a variable file ('/', '=', leading '.');
// 111 the file exists but cannot be read, or stdout fails.
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/envdir.hh>
#include <supervise/fd.hh>
#include <supervise/out.hh>

namespace {

int print(std::string_view value) noexcept
{
    sv::out_buf out(1);
    out.put(value).put('\n');
    if (!out.flush()) sv::die_sys(sv::exitcode::system, "unable to write to stdout");
    return 0;
}

} // namespace

int printcontenv_main(int argc, char **argv)
{
    sv::prog = "printcontenv";
    if (argc < 2) sv::die(sv::exitcode::usage, "too few arguments");
    std::string_view name = argv[1];
    if (!sv::envdir_name_ok(name) || name.find('/') != std::string_view::npos)
        sv::die(sv::exitcode::usage, "invalid variable name: ", name);

    if (sv::keep_env(std::getenv("S6_KEEP_ENV"))) {
        char const *v = std::getenv(argv[1]);
        if (!v || !*v) return sv::exitcode::negative;
        return print(v);
    }

    sv::path_buf file(sv::container_env_dir(), "/", name);
    sv::unique_fd fd(open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) {
        if (errno == ENOENT || errno == ENOTDIR) return sv::exitcode::negative;
        sv::die_sys(sv::exitcode::system, "unable to open ", file.view());
    }
    sv::set_nonblock(fd.get(), false); // non-blocking only so that opening a FIFO cannot hang
    std::string content;
    if (!sv::read_all(fd.get(), content))
        sv::die_sys(sv::exitcode::system, "unable to read ", file.view());
    std::string value;
    if (!sv::envdir_value(content, sv::envdir_flag::verbatim | sv::envdir_flag::noclamp, '\n',
                          value))
        return sv::exitcode::negative;
    return print(value);
}
