#include <supervise/svdir.hh>

#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/signame.hh>

namespace sv {

namespace {

// Reads at most n bytes of a small file and cuts at the first newline.
file_read read_small(char const *path, char *buf, std::size_t n, std::string_view &out) noexcept
{
    unique_fd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) return errno == ENOENT ? file_read::missing : file_read::error;
    ssize_t r = read_full(fd.get(), buf, n);
    if (r < 0) return file_read::error;
    out = std::string_view(buf, static_cast<std::size_t>(r));
    if (auto nl = out.find('\n'); nl != std::string_view::npos) out = out.substr(0, nl);
    return file_read::ok;
}

} // namespace

file_read read_uint_file(char const *path, std::uint32_t &value) noexcept
{
    char buf[11];
    std::string_view s;
    file_read r = read_small(path, buf, sizeof buf, s);
    if (r != file_read::ok) return r;
    if (s.empty() || s[0] < '0' || s[0] > '9') return file_read::invalid;
    std::uint32_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return file_read::invalid;
    value = v;
    return file_read::ok;
}

file_read read_signal_file(char const *path, int &sig) noexcept
{
    char buf[15];
    std::string_view s;
    file_read r = read_small(path, buf, sizeof buf, s);
    if (r != file_read::ok) return r;
    int n = sig_scan(s);
    if (!n) return file_read::invalid;
    sig = n;
    return file_read::ok;
}

} // namespace sv
