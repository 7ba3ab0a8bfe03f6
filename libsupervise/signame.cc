#include <supervise/signame.hh>

#include <charconv>
#include <csignal>

namespace sv {

namespace {

struct sig_entry {
    int num;
    std::string_view name;
};

// Printing uses the first entry for a number, so the aliases come after their main names.
constexpr sig_entry table[] = {
    {SIGHUP, "HUP"},       {SIGINT, "INT"},       {SIGQUIT, "QUIT"},     {SIGILL, "ILL"},
    {SIGTRAP, "TRAP"},     {SIGABRT, "ABRT"},     {SIGBUS, "BUS"},       {SIGFPE, "FPE"},
    {SIGKILL, "KILL"},     {SIGUSR1, "USR1"},     {SIGSEGV, "SEGV"},     {SIGUSR2, "USR2"},
    {SIGPIPE, "PIPE"},     {SIGALRM, "ALRM"},     {SIGTERM, "TERM"},     {SIGSTKFLT, "STKFLT"},
    {SIGCHLD, "CHLD"},     {SIGCONT, "CONT"},     {SIGSTOP, "STOP"},     {SIGTSTP, "TSTP"},
    {SIGTTIN, "TTIN"},     {SIGTTOU, "TTOU"},     {SIGURG, "URG"},       {SIGXCPU, "XCPU"},
    {SIGXFSZ, "XFSZ"},     {SIGVTALRM, "VTALRM"}, {SIGPROF, "PROF"},     {SIGWINCH, "WINCH"},
    {SIGPOLL, "POLL"},     {SIGPWR, "PWR"},       {SIGSYS, "SYS"},       {SIGIOT, "IOT"},
    {SIGIO, "IO"},         {SIGCHLD, "CLD"},
};

bool iequal(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); i++) {
        char c = a[i];
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (c != b[i]) return false;
    }
    return true;
}

} // namespace

std::string_view sig_name(int sig) noexcept
{
    for (auto const &e : table)
        if (e.num == sig) return e.name;
    return "???";
}

bool sig_scan_raw(std::string_view s, unsigned &out) noexcept
{
    // skalibs' sig0_scan strips an optional SIG first, so "SIG15" and "sig1" are numbers too.
    if (s.size() > 3 && iequal(s.substr(0, 3), "SIG")) s.remove_prefix(3);
    if (s.empty()) return false;
    if (s[0] >= '0' && s[0] <= '9') {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        return ec == std::errc{} && p == s.data() + s.size();
    }
    for (auto const &e : table)
        if (iequal(s, e.name)) return out = static_cast<unsigned>(e.num), true;
    return false;
}

int sig_scan(std::string_view s) noexcept
{
    unsigned n = 0;
    if (!sig_scan_raw(s, n) || n == 0 || n >= NSIG) return 0;
    return static_cast<int>(n);
}

} // namespace sv
