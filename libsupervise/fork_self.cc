#include <supervise/fork_self.hh>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <link.h>
#include <string_view>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <supervise/fd.hh>

namespace sv {

namespace {

// Fields of /proc/self/stat (1-based, as in proc(5)) that PR_SET_MM_MAP wants back.
constexpr unsigned f_start_code = 26, f_end_code = 27, f_start_stack = 28, f_start_data = 45,
                   f_end_data = 46, f_start_brk = 47, f_arg_start = 48, f_arg_end = 49,
                   f_env_start = 50, f_env_end = 51;

bool read_layout(self_image &img) noexcept
{
    unique_fd fd(::open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    char buf[1024];
    ssize_t n = read_full(fd.get(), buf, sizeof buf);
    if (n <= 0) return false;
    // The name (field 2) may hold spaces and parentheses; field 3 starts after the last ')'.
    std::string_view s(buf, static_cast<std::size_t>(n));
    auto rp = s.rfind(')');
    if (rp == std::string_view::npos) return errno = EINVAL, false;
    s.remove_prefix(rp + 1);
    unsigned long v[f_env_end + 1] = {};
    for (unsigned field = 3; field <= f_env_end; field++) {
        if (s.empty() || s[0] != ' ') return errno = EINVAL, false;
        s.remove_prefix(1);
        // Some fields are letters or negative: those stay 0, and we need none of them.
        std::from_chars(s.data(), s.data() + s.size(), v[field]);
        auto sp = s.find(' ');
        s.remove_prefix(sp == std::string_view::npos ? s.size() : sp);
    }
    img.start_code = v[f_start_code];
    img.end_code = v[f_end_code];
    img.start_stack = v[f_start_stack];
    img.start_data = v[f_start_data];
    img.end_data = v[f_end_data];
    img.start_brk = v[f_start_brk];
    img.arg_start = v[f_arg_start];
    img.arg_end = v[f_arg_end];
    img.env_start = v[f_env_start];
    img.env_end = v[f_env_end];
    // None of these is 0 in a process that runs, but /proc shows zeros to a reader without
    // ptrace access to the process, and older kernels have fewer fields.
    for (unsigned f : {f_start_code, f_end_code, f_start_stack, f_start_data, f_end_data,
                       f_start_brk, f_arg_start, f_arg_end, f_env_start, f_env_end})
        if (!v[f]) return errno = EPERM, false;
    return true;
}

// The fds from 3 up that are open without FD_CLOEXEC, in ascending order.
bool list_kept(self_image &img) noexcept
{
    unique_fd dfd(::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd) return false;
    img.n_kept = 0;
    alignas(8) char buf[4096];
    for (;;) {
        long n = syscall(SYS_getdents64, dfd.get(), buf, sizeof buf);
        if (n < 0) return false;
        if (!n) break;
        for (long off = 0; off < n;) {
            auto const *e = reinterpret_cast<dirent64 const *>(buf + off);
            off += e->d_reclen;
            std::string_view name(e->d_name);
            int fd = -1;
            auto r = std::from_chars(name.data(), name.data() + name.size(), fd);
            if (r.ec != std::errc{} || r.ptr != name.data() + name.size()) continue;
            if (fd < 3 || fd == dfd.get()) continue;
            int fl = fcntl(fd, F_GETFD);
            if (fl < 0 || (fl & FD_CLOEXEC)) continue;
            if (img.n_kept == std::size(img.kept)) return errno = EMFILE, false;
            // Insertion sort: there are at most a handful.
            unsigned i = img.n_kept++;
            for (; i > 0 && img.kept[i - 1] > fd; i--)
                img.kept[i] = img.kept[i - 1];
            img.kept[i] = fd;
        }
    }
    return true;
}

// PR_SET_MM_MAP with our layout and the given command line.  The break is read now: it is
// the one field that moves.
bool set_mm(self_image const &img, unsigned long arg_start, unsigned long arg_end) noexcept
{
    prctl_mm_map m{};
    m.start_code = img.start_code;
    m.end_code = img.end_code;
    m.start_data = img.start_data;
    m.end_data = img.end_data;
    m.start_brk = img.start_brk;
    m.brk = static_cast<unsigned long>(syscall(SYS_brk, 0));
    m.start_stack = img.start_stack;
    m.arg_start = arg_start;
    m.arg_end = arg_end;
    m.env_start = img.env_start;
    m.env_end = img.env_end;
    m.exe_fd = static_cast<std::uint32_t>(-1); // keep /proc/PID/exe: changing it needs privilege
    return prctl(PR_SET_MM, PR_SET_MM_MAP, &m, sizeof m, 0) == 0;
}

} // namespace

bool self_image_init(self_image &img) noexcept
{
    img.ok = false;
    struct stat st;
    if (::stat("/proc/self/exe", &st) < 0) return false;
    img.dev = st.st_dev;
    img.ino = st.st_ino;
    if (!read_layout(img) || !list_kept(img)) return false;
    // Both probes change nothing: our own command line again, and a range with no open fd.
    if (!set_mm(img, img.arg_start, img.arg_end)) return false;
    if (close_range(~0U - 1, ~0U, 0) < 0) return false;
    img.ok = true;
    return true;
}

bool self_image_is(self_image const &img, char const *path) noexcept
{
    struct stat st;
    return img.ok && ::stat(path, &st) == 0 && st.st_dev == img.dev && st.st_ino == img.ino;
}

void self_image_drop_code(self_image const &img) noexcept
{
    // Whole pages only: the last one may hold the start of the read-only data, which stays.
    long const page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || !img.ok) return;
    auto const mask = static_cast<unsigned long>(page) - 1;
    unsigned long const from = (img.start_code + mask) & ~mask, to = img.end_code & ~mask;
    // The code is a private file mapping that nothing wrote to (but a debugger planting
    // breakpoints): dropping it loses nothing.
    if (to > from) madvise(reinterpret_cast<void *>(from), to - from, MADV_DONTNEED);
}

void drop_startup_code() noexcept
{
    long const page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return;
    std::uintptr_t mask = static_cast<std::uintptr_t>(page) - 1;
    // The first object dl_iterate_phdr reports is the executable, with its load bias (0
    // unless PIE); a static executable has no PT_PHDR to find that from otherwise.
    dl_iterate_phdr(
        [](dl_phdr_info *info, std::size_t, void *data) -> int {
            std::uintptr_t const mask = *static_cast<std::uintptr_t *>(data);
            for (unsigned i = 0; i < info->dlpi_phnum; i++) {
                ElfW(Phdr) const &ph = info->dlpi_phdr[i];
                if (ph.p_type != PT_LOAD || (ph.p_flags & PF_W)) continue;
                // Whole pages only: a page shared with a neighbouring segment stays.
                std::uintptr_t const start = info->dlpi_addr + ph.p_vaddr;
                std::uintptr_t const from = (start + mask) & ~mask;
                std::uintptr_t const to = (start + ph.p_memsz) & ~mask;
                if (to > from) madvise(reinterpret_cast<void *>(from), to - from, MADV_DONTNEED);
            }
            return 1; // the executable only
        },
        &mask);
}

bool self_image_become(self_image const &img, char const *path, std::span<char *> argv,
                       std::span<char> buf) noexcept
{
    if (!img.ok) return errno = EINVAL, false;
    // buf is scratch until the kernel has taken it; argv changes only once it has.
    std::size_t used = 0;
    for (char const *a : argv) {
        std::size_t const len = std::strlen(a) + 1;
        if (len > buf.size() - used) return errno = E2BIG, false;
        std::memcpy(buf.data() + used, a, len);
        used += len;
    }
    auto const start = reinterpret_cast<unsigned long>(buf.data());
    if (!set_mm(img, start, start + used)) return false;
    used = 0;
    for (char *&a : argv) {
        a = buf.data() + used;
        used += std::strlen(a) + 1;
    }
    // exec names the process after the file it ran (the kernel keeps 15 bytes).
    char const *base = std::strrchr(path, '/');
    prctl(PR_SET_NAME, base ? base + 1 : path, 0, 0, 0);
    // Close every fd from 3 up but the kept ones, in as many ranges as there are gaps.
    unsigned from = 3;
    for (unsigned i = 0; i < img.n_kept; i++) {
        auto const k = static_cast<unsigned>(img.kept[i]);
        if (k > from) close_range(from, k - 1, 0);
        from = k + 1;
    }
    close_range(from, ~0U, 0);
    return true;
}

} // namespace sv
