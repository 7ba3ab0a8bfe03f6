#include <supervise/permafail.hh>

#include <supervise/signame.hh>

namespace sv {

namespace {

constexpr std::string_view separators = ",; \n\r\t";

bool is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

// Reads the decimal digits at s[pos...], saturating at 256 (anything larger is as invalid).
unsigned scan_code(std::string_view s, std::size_t &pos) noexcept
{
    unsigned v = 0;
    for (; pos < s.size() && is_digit(s[pos]); pos++)
        v = v > 255 ? 256 : v * 10 + (s[pos] - '0');
    return v;
}

} // namespace

status_list_error status_list_scan(std::string_view s, status_list &out) noexcept
{
    out.codes.reset();
    sigemptyset(&out.sigs);
    std::size_t pos = 0;
    while (pos < s.size()) {
        if (is_digit(s[pos])) {
            unsigned const from = scan_code(s, pos);
            if (from > 255) return status_list_error::bad_code;
            if (pos < s.size() && s[pos] == '-') {
                pos++;
                if (pos >= s.size() || !is_digit(s[pos]))
                    return status_list_error::bad_interval_spec;
                unsigned const to = scan_code(s, pos);
                if (to > 255) return status_list_error::bad_code;
                if (to < from) return status_list_error::bad_interval;
                for (unsigned c = from; c <= to; c++)
                    out.codes.set(c);
            } else {
                out.codes.set(from);
            }
        } else {
            // A signal: the whole word up to the next separator must name one.
            std::size_t end = s.find_first_of(separators, pos);
            if (end == std::string_view::npos) end = s.size();
            unsigned sig = 0;
            if (!sig_scan_raw(s.substr(pos, end - pos), sig)) return status_list_error::bad_spec;
            // sigaddset is the judge, as in stock: glibc refuses 0, 32 and 33 (its own), and
            // anything past 64.  A number over INT_MAX arrives negative and is refused too.
            if (sigaddset(&out.sigs, static_cast<int>(sig)) < 0)
                return status_list_error::bad_signal;
            pos = end;
        }
        while (pos < s.size() && separators.find(s[pos]) != std::string_view::npos)
            pos++;
    }
    return status_list_error::none;
}

std::string_view status_list_message(status_list_error e) noexcept
{
    switch (e) {
    case status_list_error::none:
        return {};
    case status_list_error::bad_code:
        return "invalid exit code";
    case status_list_error::bad_interval_spec:
        return "invalid interval specification";
    case status_list_error::bad_interval:
        return "invalid interval";
    case status_list_error::bad_spec:
        return "invalid status list specification";
    case status_list_error::bad_signal:
        return "invalid signal";
    }
    return {};
}

bool status_list_matches(status_list const &l, death_record const &r) noexcept
{
    return (r.sig && sigismember(&l.sigs, r.sig) == 1) || l.codes.test(r.exitcode);
}

std::ptrdiff_t permafail_find(std::span<death_record const> deaths, status_list const &l,
                              tain since, unsigned count) noexcept
{
    unsigned matches = 0;
    for (std::size_t i = 0; i < deaths.size(); i++)
        if (!(deaths[i].stamp < since) && status_list_matches(l, deaths[i]) && ++matches >= count)
            return static_cast<std::ptrdiff_t>(i);
    return -1;
}

} // namespace sv
