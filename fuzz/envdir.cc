// Environment directory files (s6-envdir) and the container environment (with-contenv,
// printcontenv, /init's S6_* settings: s6-envdir -Lf over /run/s6/container_environment),
// plus skalibs' modification lists that access rules carry.  Input: one byte of flags and
// the NUL replacement, then the file's content.
#include "fuzz.hh"

#include <string>

#include <supervise/envdir.hh>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    if (!size) return 0;
    unsigned flags = data[0] & 7;
    char nullis = (data[0] & 8) ? '\n' : ' ';
    std::string_view content = fz::view(data + 1, size - 1);
    std::string out;
    if (sv::envdir_value(content, flags, nullis, out)) {
        fz::check(!content.empty());
        if (!(flags & sv::envdir_flag::noclamp)) fz::check(out.size() <= sv::envdir_clamp);
        fz::check(out.find('\0') == out.npos);
    }
    // The container environment's reading: the whole file, one final '\n' removed.
    std::string whole;
    if (sv::envdir_value(content, sv::envdir_flag::noclamp | sv::envdir_flag::verbatim, '\n',
                         whole))
        fz::check(whole.size() + 1 >= content.size());
    sv::envdir_name_ok(content);
    for (auto const &c : sv::env_changes_parse(content))
        fz::check(c.name.find('\0') == std::string::npos);
    return 0;
}
