// s6-log's script parser: the input, split at NUL bytes, is the script's argument list.
#include "fuzz.hh"

#include <cstring>
#include <string>
#include <vector>

#include <supervise/logscript.hh>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    // The arguments, each NUL-terminated in buf (one NUL added after the last).
    std::string buf(reinterpret_cast<char const *>(data), size);
    buf.push_back(0);
    std::vector<char const *> args;
    for (std::size_t start = 0; start < buf.size(); start = buf.find('\0', start) + 1)
        args.push_back(buf.data() + start);
    // glibc's regcomp, which s6-log uses as stock does, takes memory exponential in stacked
    // repetitions ("a++++++..."): not s6-log's to fix, so such selections are left out.
    for (char const *a : args)
        if ((a[0] == '+' || a[0] == '-') && std::strcspn(a, "*+?{") < std::strlen(a)) {
            std::size_t reps = 0;
            for (char const *p = a + 1; *p; p++) reps += std::strchr("*+?{", *p) != nullptr;
            if (reps > 3) return 0;
        }
    sv::logscript::script sc;
    sv::logscript::error e = sv::logscript::parse(args, sc);
    if (e == sv::logscript::error::none) {
        // Run the selection over one line, as s6-log does for each.
        static char const line[] = "a line of log";
        sv::logscript::select(sc, line, [&](std::size_t g) { fz::check(g < sc.groups.size()); });
    } else {
        fz::check(sc.err_at <= args.size());
    }
    return 0;
}
