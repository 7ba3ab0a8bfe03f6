// shutdown's TIME operand, shared by hpr.cc and its fuzz target (fuzz/shutdown_time.cc).
#pragma once

#include <string_view>

namespace init {

// A time operand of LSB shutdown: "now", "+MINUTES" or "HH:MM" (digits only, any count: the
// value is not used, a container stops at once).
inline bool is_shutdown_time(std::string_view t) noexcept
{
    auto digits = [](std::string_view d) {
        return !d.empty() && d.find_first_not_of("0123456789") == d.npos;
    };
    if (t == "now") return true;
    if (!t.empty() && t[0] == '+') return digits(t.substr(1));
    auto c = t.find(':');
    return c != t.npos && digits(t.substr(0, c)) && digits(t.substr(c + 1));
}

} // namespace init
