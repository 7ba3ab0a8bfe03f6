// The s6-rc command's talk with /init, which holds an s6-overlay v3 image's service graph
// (s6pp's own protocol: stock s6-rc keeps its state in a compiled database instead).  One
// request and one reply per connection on the stream socket RUN/s6/rc.sock:
//
//   request  OP \0 FLAGS \0 TIMEOUT \0 NAME \0 ... NAME \0 \0
//            OP "change" or "list"; FLAGS a subset of "udDa" (up, down, down essentials too,
//            add the active services); TIMEOUT decimal milliseconds (0: none)
//   reply    CODE (one byte: s6-rc's exit code) OUT \0 ERR
//            OUT for the client's stdout, ERR (whole lines) for its stderr
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sv::rc {

struct request {
    std::string op;
    std::string flags;
    std::uint32_t timeout_ms = 0;
    std::vector<std::string> names;

    bool has(char f) const noexcept { return flags.find(f) != std::string::npos; }
};

struct reply {
    int code = 0;
    std::string out, err;
};

// The request's or reply's bytes.
std::string pack(request const &r);
std::string pack(reply const &r);
// Parses a whole request or reply; false if the bytes are not one.
bool unpack(std::string_view bytes, request &r) noexcept;
bool unpack(std::string_view bytes, reply &r) noexcept;

// RUN/s6/rc.sock, for the run-time directory RUN.
std::string socket_path(std::string_view run_dir);

} // namespace sv::rc
