// shutdown's TIME operand ("now", "+MIN", "HH:MM"): tools/init/shutdown_time.hh.
#include "fuzz.hh"

#include "../tools/init/shutdown_time.hh"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    std::string_view t = fz::view(data, size);
    if (init::is_shutdown_time(t)) fz::check(t == "now" || t.find_first_of("+:") != t.npos);
    return 0;
}
