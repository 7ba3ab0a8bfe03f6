#include <supervise/autosvc.hh>

#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/opts.hh>
#include <supervise/sibling.hh>

namespace sv {

std::string script_quote(std::string_view s)
{
    std::string q = "\"";
    quote_escapes(q, s, "\"");
    q += '"';
    return q;
}

void quote_escapes(std::string &q, std::string_view s, std::string_view also)
{
    static constexpr char hex[] = "0123456789abcdef";
    static constexpr std::string_view controls = "\a\b\t\n\v\f\r";
    static constexpr std::string_view letters = "abtnvfr";
    for (char ch : s) {
        auto const c = static_cast<unsigned char>(ch);
        if (ch == '\\' || (ch && also.find(ch) != also.npos)) {
            q += '\\';
            q += ch;
        } else if (auto i = controls.find(ch); ch && i != std::string_view::npos) {
            q += '\\';
            q += letters[i];
        } else if (c < 0x20 || c > 0x7e) {
            q += "\\0x";
            q += hex[c >> 4];
            q += hex[c & 15];
        } else {
            q += ch;
        }
    }
}

std::string script_paths::shebang() const
{
    return "#!" + std::string(shebang_dir) + "/execlineb -P\n";
}

std::string script_paths::execline(std::string_view name) const
{
    return std::string(execline_dir) + "/" + std::string(name);
}

std::string script_paths::s6(std::string_view name) const
{
    return our_program(name);
}

script_paths const configured_paths{S6PP_EXECLINE_SHEBANGDIR, S6PP_EXECLINE_BINDIR};

namespace {

template <class T>
std::string decimal(T v)
{
    char buf[24];
    return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// Creates (or truncates) path with content, mode 0666 minus the umask.
bool write_new(std::string const &path, std::string_view content) noexcept
{
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    return fd && write_full(fd.get(), content);
}

bool fail(write_failure &f, char const *verb, std::string path) noexcept
{
    int const e = errno;
    f.verb = verb;
    f.path = std::move(path);
    errno = e;
    return false;
}

// mkdir dir 0755 with the umask out of the way; the umask is returned through old.
bool make_dir(std::string const &dir, mode_t &old) noexcept
{
    old = ::umask(0);
    bool ok = ::mkdir(dir.c_str(), 0755) == 0;
    int const e = errno;
    ::umask(old);
    errno = e;
    return ok;
}

// run's mode in a directory that is not for s6-rc: what the umask lets a new file have, plus
// x wherever r is allowed (0755 for umask 022, 0700 for 077).
bool make_runnable(std::string const &run, mode_t umask_, write_failure &f) noexcept
{
    mode_t const m = ~umask_ & 0666;
    if (::chmod(run.c_str(), m | ((m >> 2) & 0111)) < 0) return fail(f, "chmod", run);
    if (!(m & 0400)) warn("weird umask, check permissions manually on ", run);
    return true;
}

} // namespace

std::string logger_run(script_paths const &p, logger_conf const &c)
{
    std::string s = p.shebang();
    if (c.user) s += p.s6("s6-setuidgid") + " " + script_quote(c.user) + "\n";
    s += p.s6("s6-log") + " -bd3 -- ";
    if (c.stamptype & 1) s += "t ";
    if (c.stamptype & 2) s += "T ";
    s += "n" + decimal(c.nfiles) + " s" + decimal(c.filesize) + " ";
    if (c.maxsize) s += "S" + decimal(c.maxsize) + " ";
    if (c.prefix) s += "p" + std::string(c.prefix) + " ";
    s += script_quote(c.dir) + "\n";
    return s;
}

bool write_service(std::string const &dir, unsigned nfd, std::string_view run,
                   char const *rc_logger, write_failure &f) noexcept
{
    mode_t um;
    if (!make_dir(dir, um)) return fail(f, "mkdir", dir);
    if (nfd && !write_new(dir + "/notification-fd", decimal(nfd) + "\n"))
        return fail(f, "write to", dir + "/notification-fd");
    std::string const runfile = dir + "/run";
    {
        unique_fd fd(::open(runfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
        if (!fd) return fail(f, "open", runfile);
        if (!write_full(fd.get(), run)) return fail(f, "write to", runfile);
    }
    if (!rc_logger) return make_runnable(runfile, um, f);
    if (!write_new(dir + "/type", "longrun\n")) return fail(f, "write to", dir + "/type");
    if (*rc_logger && !write_new(dir + "/producer-for", std::string(rc_logger) + "\n"))
        return fail(f, "write to", dir + "/producer-for");
    return true;
}

bool write_logger(std::string const &dir, std::string_view run, char const *rc_service,
                  char const *rc_pipeline, write_failure &f) noexcept
{
    mode_t um;
    if (!make_dir(dir, um)) return fail(f, "mkdir", dir);
    if (!write_new(dir + "/notification-fd", "3\n"))
        return fail(f, "write to", dir + "/notification-fd");
    std::string const runfile = dir + "/run";
    if (!write_new(runfile, run)) {
        int const e = errno;
        ::unlink(runfile.c_str()); // stock removes a run it could not finish
        errno = e;
        return fail(f, "write to", runfile);
    }
    if (!rc_service) return make_runnable(runfile, um, f);
    if (!write_new(dir + "/type", "longrun\n")) return fail(f, "write to", dir + "/type");
    if (!write_new(dir + "/consumer-for", std::string(rc_service) + "\n"))
        return fail(f, "write to", dir + "/consumer-for");
    if (rc_pipeline && !write_new(dir + "/pipeline-name", std::string(rc_pipeline) + "\n"))
        return fail(f, "write to", dir + "/pipeline-name");
    return true;
}

bool logger_option(int opt, char const *arg, logger_conf &c, bool &ok) noexcept
{
    unsigned long long n64 = 0;
    switch (opt) {
    case 'l': c.user = arg; break;
    case 't': ok = scan_uint(arg, c.stamptype); break;
    case 'n': ok = scan_uint(arg, c.nfiles); break;
    case 's': ok = scan_uint64(arg, n64), c.filesize = n64; break;
    case 'S': ok = scan_uint64(arg, n64), c.maxsize = n64; break;
    case 'P': c.prefix = arg; break;
    default: return false;
    }
    return true;
}

rc_names parse_rc_names(std::string_view arg, bool logger_required, bool have_logdir)
{
    std::string_view const bad_form =
        logger_required ? "argument to -r must be: service/logger or service/logger/pipeline"
                        : "argument to -r must be: service or service/logger or "
                          "service/logger/pipeline";
    rc_names n;
    if (arg.find('\n') != arg.npos)
        die(exitcode::usage, "newlines", " are forbidden in s6-rc names");
    if (arg.starts_with('/')) die(exitcode::usage, "service", " name cannot be empty");
    auto const s1 = arg.find('/');
    n.service = arg.substr(0, s1);
    if (s1 == arg.npos) {
        if (logger_required) die(exitcode::usage, bad_form);
        if (have_logdir)
            die(exitcode::usage, "logdir specified (-L) but logger name not specified (-r)");
        return n;
    }
    n.has_logger = true;
    std::string_view logger = arg.substr(s1 + 1);
    if (logger.empty()) die(exitcode::usage, bad_form);
    if (logger[0] == '/') die(exitcode::usage, "logger", " name cannot be empty");
    if (!logger_required && !have_logdir)
        die(exitcode::usage, "logger specifiec (-r) but logdir not specified (-L)");
    auto const s2 = logger.find('/');
    n.logger = logger.substr(0, s2);
    if (s2 != logger.npos) {
        n.has_pipeline = true;
        n.pipeline = logger.substr(s2 + 1);
        if (n.pipeline.empty()) die(exitcode::usage, "pipeline", " name cannot be empty");
        if (n.pipeline.find('/') != n.pipeline.npos)
            die(exitcode::usage, "slashes", " are forbidden in s6-rc names");
    }
    return n;
}

} // namespace sv
