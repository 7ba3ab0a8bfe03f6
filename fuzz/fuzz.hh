// What the fuzz targets share: the libFuzzer entry point's declaration, a check that aborts
// (libFuzzer records an abort as a crash, with its input), and the input as a file for the
// readers that take a path or an fd.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size);

namespace fz {

// A property every input must keep: a failure is a finding.
inline void check(bool ok)
{
    if (!ok) std::abort();
}

inline std::string_view view(std::uint8_t const *data, std::size_t size)
{
    return {reinterpret_cast<char const *>(data), size};
}

// A directory of this process's own under /dev/shm (a tmpfs: targets that build files for
// each input run several times faster there) or else /tmp, made on first use and removed at
// exit.
inline std::string const &temp_dir()
{
    // The name lives in a plain array: the exit handler runs after the string is destroyed.
    static char name[] = "/dev/shm/fuzz.XXXXXX";
    static std::string dir = [] {
        if (!mkdtemp(name)) {
            std::memcpy(name, "/tmp/fuzz.XXXXXX", sizeof "/tmp/fuzz.XXXXXX");
            check(mkdtemp(name) != nullptr);
        }
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(name, ec);
        });
        return std::string(name);
    }();
    return dir;
}

// The bytes as an anonymous file (a memfd rewritten for each input), for readers that want
// an fd, or a path: /proc/self/fd/N.
class memfile {
public:
    memfile() : fd_(memfd_create("fuzz", MFD_CLOEXEC)) { check(fd_ >= 0); }
    ~memfile() { close(fd_); }
    memfile(memfile const &) = delete;
    memfile &operator=(memfile const &) = delete;

    // Replaces the content with s and rewinds.
    void set(std::string_view s)
    {
        check(ftruncate(fd_, 0) == 0);
        check(pwrite(fd_, s.data(), s.size(), 0) == static_cast<ssize_t>(s.size()));
        check(lseek(fd_, 0, SEEK_SET) == 0);
    }
    int fd() const { return fd_; }
    char const *path()
    {
        char *p = path_ + 14;
        int n = fd_, len = 0;
        char d[12];
        do d[len++] = static_cast<char>('0' + n % 10); while ((n /= 10));
        while (len) *p++ = d[--len];
        *p = 0;
        return path_;
    }

private:
    int fd_;
    char path_[32] = "/proc/self/fd/";
};

} // namespace fz
