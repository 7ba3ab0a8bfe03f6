#include <supervise/out.hh>

#include <cerrno>
#include <cstring>

#include <supervise/fd.hh>

namespace sv {

out_buf &out_buf::put(std::string_view s) noexcept
{
    while (!s.empty()) {
        if (len_ == sizeof buf_ && !flush()) return *this;
        std::size_t n = s.size() < sizeof buf_ - len_ ? s.size() : sizeof buf_ - len_;
        std::memcpy(buf_ + len_, s.data(), n);
        len_ += n;
        s.remove_prefix(n);
    }
    return *this;
}

bool out_buf::flush() noexcept
{
    if (len_ && !failed_ && !write_full(fd_, buf_, len_)) failed_ = true, err_ = errno;
    len_ = 0;
    if (failed_) errno = err_;
    return !failed_;
}

} // namespace sv
