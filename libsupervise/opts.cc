#include <supervise/opts.hh>

#include <charconv>

namespace sv {

int opt_parser::next() noexcept
{
    arg_ = nullptr;
    if (index_ >= argc_) return 0;
    char const *w = argv_[index_];
    if (pos_ == 0) {
        if (w[0] != '-' || w[1] == 0) return 0;
        if (w[1] == '-' && w[2] == 0) {
            index_++;
            return 0;
        }
        pos_ = 1;
    }
    char c = w[pos_++];
    auto at = spec_.find(c);
    if (c == ':' || at == std::string_view::npos) {
        bad_ = c;
        if (!w[pos_]) index_++, pos_ = 0;
        return '?';
    }
    bool takes_arg = at + 1 < spec_.size() && spec_[at + 1] == ':';
    if (takes_arg) {
        if (w[pos_]) {
            arg_ = w + pos_;
            index_++;
        } else if (index_ + 1 < argc_) {
            arg_ = argv_[index_ + 1];
            index_ += 2;
        } else {
            bad_ = c;
            index_++;
            pos_ = 0;
            return '?';
        }
        pos_ = 0;
    } else if (!w[pos_]) {
        index_++;
        pos_ = 0;
    }
    return static_cast<unsigned char>(c);
}

bool scan_uint(std::string_view s, unsigned &out) noexcept
{
    if (s.empty() || s[0] < '0' || s[0] > '9') return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

bool scan_uint64(std::string_view s, unsigned long long &out) noexcept
{
    if (s.empty() || s[0] < '0' || s[0] > '9') return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

bool scan_octal(std::string_view s, unsigned &out) noexcept
{
    if (s.empty() || s[0] < '0' || s[0] > '7') return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 8);
    return ec == std::errc{} && p == s.data() + s.size();
}

} // namespace sv
