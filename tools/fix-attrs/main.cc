// fix-attrs [ FILE... ]: set owners and modes from rule lines read from the FILEs (or stdin),
// as s6-overlay's fix-attrs.d mechanism does.
//
// Each line is "PATH-GLOB RECURSE ACCOUNT[,FALLBACK] FMODE DMODE"; the grammar, the account
// fallback rules of s6-overlay v2 and the symlink-safe tree walk are in libsupervise
// (fixattrs.hh).  Unlike v2 (whose loop ignored errors) and v3 (whose sh -e stopped at the
// first one), a failing line is reported with its source and line number, the other lines are
// still applied, and the exit code says whether everything worked.  Dot-files are included in
// recursions only with S6_FIX_ATTRS_HIDDEN set to a non-zero value.
//
// Exit codes: 0 every line applied; 1 at least one line failed (malformed, unknown account,
// or a chown/chmod that failed); 100 usage; 111 an input could not be read.
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/fixattrs.hh>
#include <supervise/passwd.hh>

namespace {

// Reports apply failures as "SOURCE:LINE: unable to WHAT PATH: ERR".
struct reporter final : sv::fixattrs_reporter
{
    std::string_view src;
    sv::dec line{0};
    void fail(std::string_view what, std::string_view path) noexcept override
    {
        sv::warn_sys(src, ":", line, ": unable to ", what, " ", path);
    }
};

// Reads all of fd; false with errno set on failure.
bool slurp(int fd, std::string &out) noexcept
{
    char buf[8192];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return false;
        if (r == 0) return true;
        out.append(buf, static_cast<std::size_t>(r));
    }
}

// Applies one rule line; returns false if anything about it failed.
bool do_line(std::string_view src, unsigned lineno, std::string_view text, bool hidden) noexcept
{
    sv::dec const ln(lineno);
    sv::fixattrs_rule rule;
    std::string why;
    switch (sv::fixattrs_parse(text, rule, why)) {
    case sv::fixattrs_line::skip:
        return true;
    case sv::fixattrs_line::bad:
        sv::warn(src, ":", ln, ": malformed line: ", why);
        return false;
    case sv::fixattrs_line::rule:
        break;
    }
    uid_t uid;
    gid_t gid;
    std::string bad;
    switch (sv::fixattrs_resolve(rule, uid, gid, bad)) {
    case sv::uidgid_status::ok:
        break;
    case sv::uidgid_status::unknown_user:
        sv::warn(src, ":", ln, ": unknown user: ", bad, " (and no fallback uid:gid given)");
        return false;
    case sv::uidgid_status::unknown_group:
        sv::warn(src, ":", ln, ": unknown group: ", bad, " (and no fallback uid:gid given)");
        return false;
    case sv::uidgid_status::groups_error:
        sv::warn_sys(src, ":", ln, ": unable to read ", sv::group_file);
        return false;
    }
    // As s6-overlay v2's elglob -0: a pattern matching nothing does nothing.
    std::vector<std::string> paths;
    if (!sv::glob_paths(rule.path, paths)) {
        sv::warn_sys(src, ":", ln, ": unable to expand ", rule.path);
        return false;
    }
    reporter rep;
    rep.src = src;
    rep.line = ln;
    std::size_t failures = 0;
    for (auto const &p : paths)
        failures += sv::fixattrs_apply(p.c_str(), uid, gid, rule.fmode, rule.dmode, rule.recurse,
                                       hidden, rep);
    return failures == 0;
}

// Processes every line of one input; returns the number of failed lines.
unsigned do_input(std::string_view src, std::string_view text, bool hidden) noexcept
{
    unsigned failed = 0, lineno = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (!do_line(src, ++lineno, line, hidden)) failed++;
    }
    return failed;
}

} // namespace

int fix_attrs_main(int argc, char **argv)
{
    sv::prog = "fix-attrs";
    // No options; "--" may end them so that a file named "-x" can be given.
    int first = 1;
    if (first < argc && argv[first][0] == '-' && argv[first][1]) {
        if (argv[first][1] != '-' || argv[first][2]) sv::die_usage("fix-attrs [ file... ]");
        first++;
    }
    bool const hidden = sv::fixattrs_hidden(std::getenv("S6_FIX_ATTRS_HIDDEN"));
    unsigned failed = 0;
    bool unreadable = false;
    std::string text;
    if (first == argc) {
        if (!slurp(0, text)) sv::die_sys(sv::exitcode::system, "unable to read stdin");
        failed += do_input("stdin", text, hidden);
    }
    for (int i = first; i < argc; i++) {
        std::string_view name = argv[i];
        text.clear();
        sv::unique_fd fd(name == "-" ? dup(0) : open(argv[i], O_RDONLY | O_CLOEXEC));
        if (!fd || !slurp(fd.get(), text)) {
            sv::warn_sys("unable to read ", name == "-" ? "stdin" : name);
            unreadable = true;
            continue;
        }
        failed += do_input(name == "-" ? "stdin" : name, text, hidden);
    }
    if (unreadable) return sv::exitcode::system;
    return failed ? sv::exitcode::negative : sv::exitcode::ok;
}
