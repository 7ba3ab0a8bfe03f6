// s6-fdholder-list [ -t timeout ] socket: s6 2.11.3.2's client that prints the ids a
// fd-holder daemon holds, one a line, in the daemon's order.  Bytes that would break a line
// are quoted as stock quotes them: a backslash doubled, \a \b \t \n \v \f \r, and any other
// byte outside 0x20..0x7e as \0xHH.  Exit: 0, 1 refused (EPERM: S6_FDHOLDER_LIST not
// granted), 100 usage, 111 no daemon or a write error.
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/fdholder.hh>
#include <supervise/ipc.hh>
#include <supervise/opts.hh>
#include <supervise/tai64n.hh>

namespace {
constexpr std::string_view usage = "s6-fdholder-list [ -t timeout ] socket";

void quote(std::string &out, std::string_view id)
{
    constexpr std::string_view letters = "abtnvfr"; // for bytes 7..13
    constexpr char hex[] = "0123456789abcdef";
    for (char ch : id) {
        auto const c = static_cast<unsigned char>(ch);
        if (c == '\\') {
            out += "\\\\";
        } else if (c >= 7 && c <= 13) {
            out += '\\';
            out += letters[c - 7];
        } else if (c < 0x20 || c > 0x7e) {
            out += "\\0x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += ch;
        }
    }
    out += '\n';
}
} // namespace

int main(int argc, char **argv)
{
    sv::prog = "s6-fdholder-list";
    unsigned t = 0;
    sv::opt_parser opts{argc, argv, "t:"};
    while (int c = opts.next())
        if (c != 't' || !sv::scan_uint(opts.arg(), t)) sv::die_usage(usage);
    auto const rest = opts.operands();
    if (rest.empty()) sv::die_usage(usage);
    std::int64_t const deadline = t ? sv::mono_ms() + t : -1;
    int const sock = sv::ipc_connect_until(rest[0], deadline);
    if (sock < 0)
        sv::die_sys(sv::exitcode::system, "unable to connect to a fd-holder daemon at ", rest[0]);
    std::vector<std::string> ids;
    if (!sv::fdh::list(sock, ids, deadline)) sv::die_sys(1, "unable to get fd list");
    std::string out;
    for (auto const &id : ids) quote(out, id);
    if (!sv::write_full(1, out)) sv::die_sys(sv::exitcode::system, "unable to write to stdout");
    return 0;
}
