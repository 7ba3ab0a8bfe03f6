// skalibs' textclient framing (4-byte length, then data) as s6-ftrigrd and s6lockd read
// requests and their clients read answers (libsupervise/textclient.cc), and the messages it
// carries: s6-ftrigrd's subscribe/unsubscribe requests and events, s6lockd's acquire/release
// requests and events.  Input: the byte stream, fed in pieces of 1 to 16 bytes (the first
// byte says how big) into a small receiver; each message is decoded every way.
#include "fuzz.hh"

#include <cstring>

#include <supervise/ftrigr.hh>
#include <supervise/s6lock.hh>
#include <supervise/textclient.hh>

namespace {
void decode(std::string_view msg)
{
    sv::ftrigr_request fr = sv::ftrigr_parse(msg);
    if (fr.what == sv::ftrigr_request::kind::subscribe) {
        // path and regex are NUL-terminated strings inside the message.
        char const *end = msg.data() + msg.size();
        fz::check(fr.path >= msg.data() && fr.path + std::strlen(fr.path) < end);
        fz::check(fr.regex >= msg.data() && fr.regex + std::strlen(fr.regex) < end);
    }
    sv::ftrigr_event ev;
    sv::ftrigr_unpack_event(msg, ev);
    sv::s6lock_request lr;
    if (sv::s6lock_parse_request(msg, lr) == sv::s6lock_parse::ok &&
        lr.op == sv::s6lock_request::kind::acquire)
        fz::check(lr.path.data() >= msg.data() &&
                  lr.path.data() + lr.path.size() <= msg.data() + msg.size() &&
                  lr.path.find('\0') == lr.path.npos);
    std::uint16_t id;
    unsigned char code;
    sv::s6lock_parse_event(msg, id, code);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    if (!size) return 0;
    std::size_t piece = data[0] % 16 + 1;
    std::string_view in = fz::view(data + 1, size - 1);
    char buf[256];
    sv::text_receiver r{buf};
    for (std::size_t off = 0; off < in.size();) {
        std::size_t fed = r.feed(in.substr(off, piece));
        off += fed;
        std::string_view msg;
        for (;;) {
            auto res = r.next(msg);
            if (res == sv::text_receiver::result::message) {
                fz::check(msg.size() + sv::text_header_size <= sizeof buf);
                decode(msg);
                continue;
            }
            if (res == sv::text_receiver::result::too_big) return 0;
            break;
        }
        if (!fed) return 0; // full of an incomplete message
    }
    // Every message decoded also as a whole input.
    decode(in);
    return 0;
}
