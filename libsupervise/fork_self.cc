#include <supervise/fork_self.hh>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <link.h>
#include <ucontext.h>
#include <string_view>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

#include <supervise/diag.hh>
#include <supervise/dirent.hh>
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
    bool full = false;
    int const r = each_dirent(dfd.get(), buf, [&](char const *e) {
        std::string_view name(e);
        int fd = -1;
        auto r = std::from_chars(name.data(), name.data() + name.size(), fd);
        if (r.ec != std::errc{} || r.ptr != name.data() + name.size()) return true;
        if (fd < 3 || fd == dfd.get()) return true;
        int fl = fcntl(fd, F_GETFD);
        if (fl < 0 || (fl & FD_CLOEXEC)) return true;
        if (img.n_kept == std::size(img.kept)) return !(full = true);
        // Insertion sort: there are at most a handful.
        unsigned i = img.n_kept++;
        for (; i > 0 && img.kept[i - 1] > fd; i--)
            img.kept[i] = img.kept[i - 1];
        img.kept[i] = fd;
        return true;
    });
    if (full) return errno = EMFILE, false;
    if (r < 0) return false;
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

namespace {

// The rest of what exec does, for a child whose argv now lies in strings[0..len): the
// kernel's command line, the name, the fds.  False (errno set, nothing changed) if the kernel
// refused.
bool take_identity(self_image const &img, char const *path, char const *strings,
                   std::size_t len) noexcept
{
    auto const start = reinterpret_cast<unsigned long>(strings);
    if (!set_mm(img, start, start + len)) return false;
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

std::size_t strings_size(std::span<char *const> argv) noexcept
{
    std::size_t n = 0;
    for (char const *a : argv) n += std::strlen(a) + 1;
    return n;
}

// Copies argv's strings end to end into to, and points out[i] at each.
void lay_out(std::span<char *const> argv, char *to, char **out) noexcept
{
    for (char const *a : argv) {
        std::size_t const len = std::strlen(a) + 1;
        std::memcpy(to, a, len);
        *out++ = to;
        to += len;
    }
}

std::uintptr_t page_mask() noexcept
{
    long const page = sysconf(_SC_PAGESIZE);
    return static_cast<std::uintptr_t>(page > 0 ? page : 4096) - 1;
}

// Lets go of the whole pages of [p, p+n): the next read of them finds zeros.
void forget_pages(void const *p, std::size_t n) noexcept
{
    std::uintptr_t const mask = page_mask();
    auto const lo = reinterpret_cast<std::uintptr_t>(p);
    std::uintptr_t const from = (lo + mask) & ~mask, to = (lo + n) & ~mask;
    if (to > from) madvise(reinterpret_cast<void *>(from), to - from, MADV_DONTNEED);
}

// The start of the mapping that holds addr, from /proc/self/maps; 0 if not found.
std::uintptr_t mapping_start(std::uintptr_t addr) noexcept
{
    unique_fd fd(::open("/proc/self/maps", O_RDONLY | O_CLOEXEC));
    if (!fd) return 0;
    char buf[1024];
    std::size_t have = 0;
    for (;;) {
        ssize_t const r = ::read(fd.get(), buf + have, sizeof buf - have);
        if (r <= 0) return 0;
        have += static_cast<std::size_t>(r);
        std::size_t pos = 0;
        for (;;) {
            auto const *nl = static_cast<char const *>(std::memchr(buf + pos, '\n', have - pos));
            if (!nl) break;
            // "lo-hi perms ...": both in hex.
            std::uintptr_t lo = 0, hi = 0;
            char const *end = nl;
            auto a = std::from_chars(buf + pos, end, lo, 16);
            if (a.ec == std::errc{} && a.ptr < end && *a.ptr == '-') {
                auto b = std::from_chars(a.ptr + 1, end, hi, 16);
                if (b.ec == std::errc{} && lo <= addr && addr < hi) return lo;
            }
            pos = static_cast<std::size_t>(nl - buf) + 1;
        }
        // A line longer than the buffer (a long file name) cannot hold our stack: skip it.
        if (pos == 0) pos = have;
        std::memmove(buf, buf + pos, have - pos);
        have -= pos;
    }
}

// What the fresh stack's first frame needs; a child's own copy, written once.
struct fresh_start
{
    int (*main)(int, char **);
    int argc;
    char **argv;
    std::uintptr_t old_lo, old_hi; // the parent's stack below its first page
} pending;

[[noreturn]] void on_fresh_stack() noexcept
{
#ifdef __SANITIZE_ADDRESS__
    __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
    if (pending.old_hi > pending.old_lo)
        madvise(reinterpret_cast<void *>(pending.old_lo), pending.old_hi - pending.old_lo,
                MADV_DONTNEED);
    _exit(pending.main(pending.argc, pending.argv));
}

std::size_t fresh_stack_size() noexcept
{
    constexpr std::size_t least = std::size_t{1} << 17, most = std::size_t{1} << 26;
    rlimit rl{};
    if (getrlimit(RLIMIT_STACK, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > most)
        return std::size_t{8} << 20;
    return rl.rlim_cur < least ? least : static_cast<std::size_t>(rl.rlim_cur);
}

// The stack under the caller's frame: pages that start-up went down to, which nothing reads
// before writing them again.  The page we are on and the one under it (what madvise's call
// needs) stay.
[[gnu::noinline]] void drop_stack_below() noexcept
{
    std::uintptr_t const mask = page_mask();
    char volatile here = 0;
    auto const sp = reinterpret_cast<std::uintptr_t>(&here);
    std::uintptr_t const lo = mapping_start(sp), to = (sp & ~mask) - (mask + 1);
    if (lo && to > lo) madvise(reinterpret_cast<void *>(lo), to - lo, MADV_DONTNEED);
}

} // namespace

void drop_startup_code() noexcept
{
    std::uintptr_t mask = page_mask();
    // First the stack that start-up went down to, under the frame the loop runs from: reading
    // /proc/self/maps for it maps constants of its own, which go next.
    drop_stack_below();
    // The code and constants.  The first object dl_iterate_phdr reports is the executable,
    // with its load bias (0 unless PIE); a static executable has no PT_PHDR to find that from
    // otherwise.
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

bool self_image_run(self_image const &img, char const *path, std::span<char *const> argv,
                    int (*main)(int, char **), std::span<region const> forget) noexcept
{
    if (!img.ok) return errno = EINVAL, false;
    std::uintptr_t const mask = page_mask();
    std::size_t const size = (fresh_stack_size() + mask) & ~mask;
    std::size_t const len = strings_size(argv);
    std::size_t const ptrs = (argv.size() + 1) * sizeof(char *);
    if (len + ptrs + 256 > size) return errno = E2BIG, false;
    // A guard page on either side.  Below, as the kernel leaves a gap below the main thread's
    // stack.  Above, because without it the page over the command line (whatever mapping
    // held it) was found private and zero-filled in every child, though no code of ours
    // writes there; with the guard, nothing faults and the page stays shared.
    std::size_t const total = size + 2 * (mask + 1);
    void *const map = mmap(nullptr, total, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (map == MAP_FAILED) return false;
    auto *const base = static_cast<char *>(map);
    mprotect(base, mask + 1, PROT_NONE);
    mprotect(base + mask + 1 + size, mask + 1, PROT_NONE);
    // The command line at the very top, argv's array under it, and the stack under that: the
    // first frames share the strings' page.
    char *const top = base + mask + 1 + size;
    char *const strings = top - len;
    auto const arr_at = (reinterpret_cast<std::uintptr_t>(strings) - ptrs) & ~std::uintptr_t{15};
    auto **const arr = reinterpret_cast<char **>(arr_at);
    lay_out(argv, strings, arr);
    arr[argv.size()] = nullptr;
    if (!take_identity(img, path, strings, len)) {
        int const e = errno;
        munmap(map, total);
        return errno = e, false;
    }
    // argv's old strings may lie in what we are told to forget: they have been copied.
    for (region const &r : forget) forget_pages(r.p, r.n);
    std::uintptr_t const old_top = img.start_stack & ~mask, old_lo = mapping_start(img.start_stack);
    pending = {main, static_cast<int>(argv.size()), arr, old_lo, old_lo ? old_top : 0};
    ucontext_t uc;
    if (getcontext(&uc) < 0) _exit(exitcode::system);
    uc.uc_stack.ss_sp = base + mask + 1;
    uc.uc_stack.ss_size = arr_at - reinterpret_cast<std::uintptr_t>(uc.uc_stack.ss_sp);
    uc.uc_link = nullptr;
    makecontext(&uc, on_fresh_stack, 0);
#ifdef __SANITIZE_ADDRESS__
    // AddressSanitizer must know the stack it runs on; the old one is never come back to.
    __sanitizer_start_switch_fiber(nullptr, uc.uc_stack.ss_sp, uc.uc_stack.ss_size);
#endif
    setcontext(&uc);
    _exit(exitcode::system); // setcontext returns only if it failed
}

} // namespace sv
