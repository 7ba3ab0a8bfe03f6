#include <supervise/death_tally.hh>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/fd.hh>

namespace sv {

namespace {

// Opens the tally for reading and writing (creating it), truncating a malformed one; returns
// the fd and the number of whole records in it.
unique_fd open_tally(std::string_view dir, std::size_t &nrec) noexcept
{
    path_buf p(dir, "/supervise/death_tally");
    if (!p.ok()) return errno = ENAMETOOLONG, unique_fd{};
    unique_fd fd(::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666));
    if (!fd) return fd;
    struct stat st;
    if (fstat(fd.get(), &st) < 0) return unique_fd{};
    auto size = static_cast<std::size_t>(st.st_size);
    if (size % death_record_size) {
        if (ftruncate(fd.get(), 0) < 0) return unique_fd{};
        size = 0;
    }
    nrec = size / death_record_size;
    return fd;
}

// Writes n packed records to DIR/supervise/death_tally atomically.
bool replace_tally(std::string_view dir, char const *data, std::size_t len) noexcept
{
    path_buf tmp(dir, "/supervise/death_tally.new");
    path_buf fin(dir, "/supervise/death_tally");
    if (!tmp.ok() || !fin.ok()) return errno = ENAMETOOLONG, false;
    unique_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (!fd) return false;
    if (len && !write_full(fd.get(), data, len)) {
        ::unlink(tmp.c_str());
        return false;
    }
    fd.reset();
    return std::rename(tmp.c_str(), fin.c_str()) == 0;
}

} // namespace

void death_record_pack(char *out, death_record const &r) noexcept
{
    tain_pack(out, r.stamp);
    out[12] = static_cast<char>(r.exitcode);
    out[13] = static_cast<char>(r.sig);
}

death_record death_record_unpack(char const *in) noexcept
{
    return {tain_unpack(in), static_cast<std::uint8_t>(in[12]), static_cast<std::uint8_t>(in[13])};
}

death_record death_record_from_wstat(tain t, int wstat) noexcept
{
    if (WIFSIGNALED(wstat))
        return {t, static_cast<std::uint8_t>(128 + WTERMSIG(wstat)),
                static_cast<std::uint8_t>(WTERMSIG(wstat))};
    return {t, static_cast<std::uint8_t>(WEXITSTATUS(wstat)), 0};
}

ssize_t death_tally_read(std::string_view dir, std::span<death_record> out) noexcept
{
    // Read-only, as s6_dtally_read: a reader that may not write (s6-permafailon in a finish
    // script run as another user, s6-svdt) still reads a tally it can read.  Only a missing or
    // malformed file is (re)created empty, which needs write access.
    path_buf p(dir, "/supervise/death_tally");
    if (!p.ok()) return errno = ENAMETOOLONG, -1;
    auto truncate_it = [&p]() noexcept -> ssize_t {
        unique_fd t(::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
        return t ? 0 : -1;
    };
    unique_fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return errno == ENOENT ? truncate_it() : -1;
    struct stat st;
    if (fstat(fd.get(), &st) < 0) return -1;
    if (static_cast<std::size_t>(st.st_size) % death_record_size) return truncate_it();
    std::size_t const nrec = static_cast<std::size_t>(st.st_size) / death_record_size;
    std::size_t want = nrec < out.size() ? nrec : out.size();
    off_t off = static_cast<off_t>((nrec - want) * death_record_size);
    for (std::size_t i = 0; i < want; i++) {
        char rec[death_record_size];
        ssize_t r = pread(fd.get(), rec, sizeof rec, off + static_cast<off_t>(i * sizeof rec));
        if (r < 0) return -1;
        if (r != static_cast<ssize_t>(sizeof rec)) return static_cast<ssize_t>(i);
        out[i] = death_record_unpack(rec);
    }
    return static_cast<ssize_t>(want);
}

bool death_tally_append(std::string_view dir, death_record const &r, std::size_t max,
                        std::span<char> scratch) noexcept
{
    if (!max) return true;
    if (max > death_tally_max) max = death_tally_max;
    if (scratch.size() < (max + 1) * death_record_size) return errno = EINVAL, false;
    std::size_t nrec = 0;
    unique_fd fd = open_tally(dir, nrec);
    if (!fd) return false;
    std::size_t keep = nrec < max ? nrec : max;
    off_t off = static_cast<off_t>((nrec - keep) * death_record_size);
    std::size_t len = keep * death_record_size;
    ssize_t got = len ? pread(fd.get(), scratch.data(), len, off) : 0;
    if (got < 0) return false;
    len = static_cast<std::size_t>(got) / death_record_size * death_record_size;
    death_record_pack(scratch.data() + len, r);
    len += death_record_size;
    std::size_t start = len > max * death_record_size ? len - max * death_record_size : 0;
    fd.reset();
    return replace_tally(dir, scratch.data() + start, len - start);
}

bool death_tally_clear(std::string_view dir) noexcept { return replace_tally(dir, nullptr, 0); }

} // namespace sv
