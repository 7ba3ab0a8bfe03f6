// The readers of supervise/status (35 bytes) and supervise/death_tally (14-byte records),
// which clients read from files anyone with access to the service directory may have
// written: status_read and death_tally_read on the input as the file, then the unpackers.
#include "fuzz.hh"

#include <fcntl.h>
#include <string>
#include <sys/stat.h>

#include <supervise/death_tally.hh>
#include <supervise/status.hh>

namespace {
std::string dir;

void put(char const *name, std::string_view s)
{
    std::string p = dir + "/supervise/" + name;
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    fz::check(fd >= 0);
    fz::check(write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()));
    close(fd);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    if (dir.empty()) {
        dir = fz::temp_dir();
        fz::check(mkdir((dir + "/supervise").c_str(), 0755) == 0);
    }
    std::string_view in = fz::view(data, size);

    put("status", in);
    sv::status st;
    if (sv::status_read(dir, st)) {
        fz::check(size >= sv::status_size);
        char b[sv::status_size];
        sv::status_pack(b, st);
        fz::check(sv::status_unpack(b) == st);
    }

    put("death_tally", in);
    sv::death_record recs[8];
    ssize_t n = sv::death_tally_read(dir, recs);
    fz::check(n <= 8);
    for (ssize_t i = 0; i < n; i++) {
        char b[sv::death_record_size];
        sv::death_record_pack(b, recs[i]);
        fz::check(sv::death_record_unpack(b) == recs[i]);
    }
    return 0;
}
