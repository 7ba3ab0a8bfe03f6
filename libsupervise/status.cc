#include <supervise/status.hh>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include <supervise/fd.hh>

namespace sv {

void status_pack(char *out, status const &s) noexcept
{
    tain_pack(out, s.stamp);
    tain_pack(out + 12, s.readystamp);
    std::uint64_t pid = s.pid;
    for (int i = 31; i >= 24; i--) {
        out[i] = static_cast<char>(pid & 0xff);
        pid >>= 8;
    }
    out[32] = static_cast<char>(s.wstat >> 8);
    out[33] = static_cast<char>(s.wstat & 0xff);
    out[34] = static_cast<char>((s.paused ? 0x01 : 0) | (s.finishing ? 0x02 : 0) |
                                (s.wantup ? 0x04 : 0) | (s.ready ? 0x08 : 0));
}

status status_unpack(char const *in) noexcept
{
    auto const *u = reinterpret_cast<unsigned char const *>(in);
    status s;
    s.stamp = tain_unpack(in);
    s.readystamp = tain_unpack(in + 12);
    for (int i = 24; i < 32; i++) s.pid = (s.pid << 8) | u[i];
    s.wstat = static_cast<std::uint16_t>(u[32] << 8 | u[33]);
    s.paused = u[34] & 0x01;
    s.finishing = u[34] & 0x02;
    s.wantup = u[34] & 0x04;
    s.ready = u[34] & 0x08;
    return s;
}

bool status_read(std::string_view dir, status &s) noexcept
{
    path_buf p(dir, "/supervise/status");
    if (!p.ok()) return errno = ENAMETOOLONG, false;
    unique_fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    char buf[status_size];
    ssize_t r = read_full(fd.get(), buf, sizeof buf);
    if (r < 0) return false;
    if (static_cast<std::size_t>(r) < status_size) return errno = EPIPE, false;
    s = status_unpack(buf);
    return true;
}

bool status_write(std::string_view dir, status const &s) noexcept
{
    path_buf tmp(dir, "/supervise/status.new");
    path_buf fin(dir, "/supervise/status");
    if (!tmp.ok() || !fin.ok()) return errno = ENAMETOOLONG, false;
    char buf[status_size];
    status_pack(buf, s);
    unique_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (!fd) return false;
    if (!write_full(fd.get(), buf, sizeof buf)) {
        ::unlink(tmp.c_str());
        return false;
    }
    fd.reset();
    return std::rename(tmp.c_str(), fin.c_str()) == 0;
}

} // namespace sv
