// s6-svscanctl [ -zabhitqnN ] scandir: send commands to the s6-svscan running on scandir, as
// s6 2.11.3.2's s6-svscanctl does.  The letters, in command-line order, go in one write() to
// scandir/.s6-svscan/control, so s6-svscan sees them together and combines them (its fixed
// order reap -> scan -> kill makes -an mean "scan, then prune").  With no letters the FIFO is
// only opened, which tells whether s6-svscan is listening.  Only the first operand is used.
//
// Exit codes, as the stock binary's: 0 sent; 100 usage, too many letters, nobody listening,
// or a broken .s6-svscan; 111 scandir unusable or any other system error.  The stock option
// string still lists p r s 0 6 7 8 (commands 2.10 removed), but they end in usage; so here.
#include <cerrno>
#include <cstring>
#include <string_view>

#include <supervise/control.hh>
#include <supervise/diag.hh>
#include <supervise/opts.hh>

namespace {

constexpr std::string_view usage = "s6-svscanctl [ -zabhitqnN ] svscandir";

// s6's command buffer holds 64 letters.
constexpr std::size_t max_letters = 64;

} // namespace

int svscanctl_main(int argc, char **argv)
{
    sv::prog = "s6-svscanctl";
    char cmd[max_letters];
    std::size_t len = 0;
    sv::opt_parser opts{argc, argv, "zabhitqnN"};
    while (int c = opts.next()) {
        if (c == '?') sv::die_usage(usage);
        if (len == max_letters) sv::die(sv::exitcode::usage, "too many commands");
        cmd[len++] = static_cast<char>(c);
    }
    auto ops = opts.operands();
    if (ops.empty()) sv::die_usage(usage);
    std::string_view const dir = ops[0];

    switch (sv::send_control(dir, ".s6-svscan", {cmd, len})) {
    case sv::control_result::ok:
        return 0;
    case sv::control_result::not_listening:
        sv::die(sv::exitcode::usage, "unable to control ", dir, ": supervisor not listening");
    case sv::control_result::bad_ctldir: {
        // s6 words this one differently from its other errno messages.
        std::string_view const err = std::strerror(errno);
        sv::die(sv::exitcode::usage, "something is wrong with the ", dir,
                "/.s6-svscan directory. errno reported: ", err);
    }
    case sv::control_result::no_dir:
    case sv::control_result::sys_error:
        break;
    }
    sv::die_sys(sv::exitcode::system, "unable to control ", dir);
}
