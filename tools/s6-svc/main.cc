// s6-svc: send one-letter commands to the s6-supervise of a service directory, as s6 2.11.3.2's
// s6-svc does.  The letters are written, in command-line order, in a single write() to
// DIR/supervise/control.  With -w (wait for u, U, d, D, r or R) stock s6-svc execs
// s6-svlisten1 (when there are letters) or s6-svwait (when there are none); we do the same
// work in-process instead: subscribe to DIR/event and read the status, then send the letters,
// then wait, with exactly the semantics, messages (under those tools' names) and exit codes
// the exec'd tool would give.  Only the first servicedir is used, as in 2.11.
#include <cerrno>
#include <string_view>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/opts.hh>
#include <supervise/svlisten.hh>
#include <supervise/svwait.hh>

namespace {

constexpr std::string_view usage = "s6-svc [ -wu | -wU | -wd | -wD | -wr | -wR ] [ -T timeout ] "
                                   "[ -abqhkti12pcyroduDUxOQ ] servicedir";

// s6-svc keeps its letters in a 63-byte buffer after a leading '-': 62 letters at most.
constexpr std::size_t max_letters = 62;

// Reports the outcome of a send the way s6-svc's direct mode does and returns its exit code
// (0 on success).  The message is always "fatal": in -w mode with letters stock s6-svc runs
// as a child of s6-svlisten1, which ignores that child's death and goes on waiting, so the
// same line is printed and the wait continues.
int report(std::string_view dir, sv::control_result r) noexcept
{
    switch (r) {
    case sv::control_result::ok:
        return sv::exitcode::ok;
    case sv::control_result::not_listening:
        sv::fatal_line("unable to control ", dir, ": supervisor not listening");
        return sv::exitcode::usage;
    case sv::control_result::bad_ctldir:
        sv::fatal_line_sys("something is wrong with the ", dir, "/supervise directory");
        return sv::exitcode::usage;
    case sv::control_result::no_dir:
    case sv::control_result::sys_error:
        break;
    }
    sv::fatal_line_sys("unable to control ", dir);
    return sv::exitcode::system;
}

} // namespace

int svc_main(int argc, char **argv)
{
    sv::prog = "s6-svc";
    char cmd[max_letters];
    std::size_t len = 0;
    unsigned timeout = 0;
    char wait_letter = 0;

    sv::opt_parser opts{argc, argv, "abqhkti12pcyroduDUxOQT:w:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'T':
            if (!sv::scan_uint(opts.arg(), timeout)) sv::die_usage(usage);
            break;
        case 'w':
            // Only the first character counts: -wuu is -wu.
            if (!opts.arg()[0] ||
                std::string_view("dDuUrR").find(opts.arg()[0]) == std::string_view::npos)
                sv::die_usage(usage);
            wait_letter = opts.arg()[0];
            break;
        case '?':
            sv::die_usage(usage);
        default:
            if (len == max_letters) sv::die(sv::exitcode::usage, "too many commands");
            cmd[len++] = static_cast<char>(c);
        }
    }
    auto operands = opts.operands();
    if (operands.empty()) sv::die_usage(usage);
    if (operands.size() > 1) sv::warn("ignoring extra arguments");
    std::string_view const dir = operands[0];
    if (dir.empty()) sv::die(sv::exitcode::usage, "invalid service path");
    std::string_view const letters(cmd, len);

    if (!wait_letter) return report(dir, sv::send_control(dir, "supervise", letters));

    sv::wait_goal goal;
    sv::wait_goal_scan(wait_letter, goal);
    if (wait_letter == 'U' || wait_letter == 'R') {
        // -wU / -wR make no sense without readiness notification: fall back to -wu / -wr.
        sv::path_buf fn(dir, "/notification-fd");
        if (!fn.ok()) errno = ENAMETOOLONG;
        if (!fn.ok() || access(fn.c_str(), F_OK) < 0) {
            if (errno != ENOENT) sv::die_sys(sv::exitcode::system, "unable to access ", fn.view());
            goal.ready = false;
            sv::warn(fn.view(), " not present - ignoring request for readiness notification");
        }
    }

    // From here on stock runs s6-svlisten1 (with letters) or s6-svwait (without), so their
    // names head the messages.
    bool const listen1 = len > 0;
    sv::prog = listen1 ? "s6-svlisten1" : "s6-svwait";
    std::int64_t const deadline = sv::wait_deadline(timeout);
    char const *dirs[] = {operands[0]};
    sv::svlisten listener;
    sv::wait_init_or_die(listener, dirs);
    if (listen1) {
        // What s6-svlisten1's child "s6-svc -LETTERS -- DIR" would do; its failure is
        // reported but, as in stock, does not stop the wait.
        sv::prog = "s6-svc";
        report(dir, sv::send_control(dir, "supervise", letters));
        sv::prog = "s6-svlisten1";
    }
    sv::wait_goal_run(listener, dirs, goal, false,
                      listen1 ? sv::wait_style::svlisten1 : sv::wait_style::svwait, deadline);
    return 0;
}
