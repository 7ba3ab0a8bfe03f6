// The s6-sudo protocol, spoken between s6-sudoc (client) and s6-sudod (server) over a
// connected Unix stream socket (s6 2.11.3.2):
//
//   server -> client  the 15 bytes "s6-sudo b v1.0\n", raw on the stream
//   client -> server  one unixmessage (unixmessage.hh) carrying the client's fds 0, 1 and 2,
//                     whose data is
//                       "s6-sudo a v1.0\n"                   15 bytes
//                       argc, envc, arglen, envlen           4 x 4 bytes, big-endian
//                       args                                 argc NUL-terminated strings,
//                                                            arglen bytes in all
//                       env                                  envc "NAME=VALUE" strings, the
//                                                            same way, envlen bytes
//   server -> client  1 byte: 0 once the program runs, else an errno value
//   server -> client  4 bytes, big-endian: the program's raw wait status
//
// The server runs its own command line followed by the client's args, in its own
// environment where every variable it has set to the empty string takes the client's value
// of it, if the client sent one.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

inline constexpr std::string_view sudo_banner_server = "s6-sudo b v1.0\n";
inline constexpr std::string_view sudo_banner_client = "s6-sudo a v1.0\n";
inline constexpr std::size_t sudo_header_size = 15 + 16;
// s6-sudod refuses more args or variables than this.
inline constexpr std::uint32_t sudo_max_strings = 131072;

// The request's data for args and env (each a list of C strings).
std::string sudo_request_pack(std::span<char const *const> args,
                              std::span<char const *const> env);

// A request taken apart; views into the message data.
struct sudo_request {
    std::uint32_t argc = 0, envc = 0;
    std::string_view args, env;
};

enum class sudo_parse { ok, wrong_message, wrong_banner, wrong_lengths, too_many };

// Checks the request's header, in s6-sudod's order (length, banner, lengths, counts).
sudo_parse sudo_request_parse(std::string_view data, sudo_request &req) noexcept;

// Splits block into n NUL-terminated strings (appended to out as pointers into block, whose
// storage must outlive them).  False with errno EINVAL when block holds fewer than n whole
// strings; bytes after the n-th string are ignored, as in skalibs' env_make.
bool sudo_strings(std::string_view block, std::uint32_t n, std::vector<char const *> &out);

// The server's environment with the client's variables applied: each "NAME=" (set, empty)
// entry of server becomes the client's "NAME=VALUE" when the client has one; nothing else
// changes.  False with errno EINVAL when a client entry has no '='.
bool sudo_merge_env(std::vector<char const *> &server, std::span<char const *const> client);

// The 4-byte status message and its reading.
void sudo_status_pack(char out[4], unsigned wstat) noexcept;
unsigned sudo_status_unpack(char const in[4]) noexcept;

} // namespace sv
