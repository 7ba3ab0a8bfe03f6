// s6-sudod's request decoder (libsupervise/sudo.cc): the header in s6-sudod's order, the
// argument and environment blocks split into strings, the client's environment merged into
// the server's; and the client's reading of the 4-byte status answer.
#include "fuzz.hh"

#include <vector>

#include <supervise/sudo.hh>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    std::string_view msg = fz::view(data, size);
    sv::sudo_request req;
    if (sv::sudo_request_parse(msg, req) == sv::sudo_parse::ok) {
        fz::check(req.argc <= sv::sudo_max_strings && req.envc <= sv::sudo_max_strings);
        std::vector<char const *> args, env;
        if (sv::sudo_strings(req.args, req.argc, args)) fz::check(args.size() == req.argc);
        if (sv::sudo_strings(req.env, req.envc, env)) {
            fz::check(env.size() == req.envc);
            std::vector<char const *> server{"PATH=", "HOME=/root", "X="};
            sv::sudo_merge_env(server, env);
            fz::check(server.size() == 3);
        }
    }
    if (size >= 4) sv::sudo_status_unpack(msg.data());
    return 0;
}
