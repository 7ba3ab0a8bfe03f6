// The small scanners of command-line and file values that come from outside: TAI64N labels
// (s6-tai64nlocal's input, s6-svdt), signal names (down-signal files, s6-svc, s6-permafailon),
// s6-permafailon's exit-status lists, numbers in service-directory files (notification-fd,
// timeout-kill...), uid/gid numbers and s6-envuidgid's -D defaults, and -a octal modes.
#include "fuzz.hh"

#include <csignal>
#include <string>

#include <supervise/opts.hh>
#include <supervise/permafail.hh>
#include <supervise/signame.hh>
#include <supervise/tai64n.hh>
#include <supervise/uidgid.hh>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    std::string_view s = fz::view(data, size);
    sv::tain t;
    if (sv::tain_scan(s, t)) {
        char label[sv::tain_label_size];
        sv::tain_fmt(label, t);
        sv::tain back;
        fz::check(sv::tain_scan({label, sizeof label}, back) && back == t);
    }
    int sig = sv::sig_scan(s);
    fz::check(sig >= 0 && sig < NSIG);
    unsigned u;
    sv::sig_scan_raw(s, u);
    sv::status_list sl;
    sv::status_list_error e = sv::status_list_scan(s, sl);
    fz::check((e == sv::status_list_error::none) == sv::status_list_message(e).empty());
    unsigned long long ull;
    sv::scan_uint(s, u);
    sv::scan_uint64(s, ull);
    if (sv::scan_octal(s, u)) fz::check(!s.empty());
    std::uint32_t v;
    fz::check(sv::scan_u32_prefix(s, v) <= s.size());
    sv::scan_u32(s, v);
    sv::uidgid_spec spec;
    sv::scan_uidgid_defaults(s, spec);
    return 0;
}
