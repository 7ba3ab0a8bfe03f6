// Service-directory configuration files, read as s6-supervise 2.11 reads them.
//
// Numeric files (notification-fd, lock-fd, timeout-kill, timeout-finish, max-death-tally):
// at most 11 bytes are read, the content is cut at the first '\n', and what remains must be
// one unsigned decimal number and nothing else ("3\n" is valid, " 3" and "0x3" are not).
// down-signal: a signal name or number, at most 15 bytes, cut at the first '\n'.
#pragma once

#include <cstdint>
#include <string_view>

namespace sv {

enum class file_read { ok, missing, invalid, error };

// Reads the numeric file at path (relative to the cwd, or absolute) into value.
file_read read_uint_file(char const *path, std::uint32_t &value) noexcept;

// Reads a down-signal file into sig.
file_read read_signal_file(char const *path, int &sig) noexcept;

// Defaults and limits of the service-directory files (s6 2.11).
namespace svdefault {
inline constexpr std::uint32_t timeout_finish_ms = 5000;
inline constexpr std::uint32_t timeout_kill_ms = 0;
inline constexpr std::uint32_t max_death_tally = 100;
inline constexpr std::uint32_t max_death_tally_cap = 4096;
} // namespace svdefault

} // namespace sv
