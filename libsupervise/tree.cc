#include <supervise/tree.hh>

#include <cerrno>
#include <climits>
#include <dirent.h>
#include <fcntl.h>
#include <string_view>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <supervise/fd.hh>

namespace sv {

namespace {

bool copy_file(char const *src, char const *dst) noexcept
{
    unique_fd in(::open(src, O_RDONLY | O_CLOEXEC));
    if (!in) return false;
    // Owner-only until the final chmod, so nobody else reads a half-written copy.
    unique_fd out(::open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out) return false;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(in.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) return true;
        if (!write_full(out.get(), buf, static_cast<std::size_t>(n))) return false;
    }
}

bool copy_dir(std::string const &src, std::string const &dst, copy_options const &o) noexcept
{
    if (::mkdir(dst.c_str(), 0700) < 0 && errno != EEXIST) return false;
    DIR *d = ::opendir(src.c_str());
    if (!d) return false;
    bool ok = true;
    for (;;) {
        errno = 0;
        dirent *e = ::readdir(d);
        if (!e) {
            ok = errno == 0;
            break;
        }
        std::string_view const n = e->d_name;
        if (n == "." || n == "..") continue;
        if (!copy_tree(src + "/" + e->d_name, dst + "/" + e->d_name, o)) {
            ok = false;
            break;
        }
    }
    int const err = errno;
    ::closedir(d);
    errno = err;
    return ok;
}

} // namespace

bool copy_tree(std::string const &src, std::string const &dst, copy_options const &o) noexcept
{
    struct stat st;
    if (::lstat(src.c_str(), &st) < 0) return false;
    char const *const to = dst.c_str();
    if (S_ISREG(st.st_mode)) {
        if (o.link_executables && (st.st_mode & 0111)) return ::symlink(src.c_str(), to) == 0;
        if (!copy_file(src.c_str(), to)) return false;
    } else if (S_ISDIR(st.st_mode)) {
        if (!copy_dir(src, dst, o)) return false;
    } else if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = ::readlink(src.c_str(), target, sizeof target - 1);
        if (n < 0) return false;
        target[n] = 0;
        if (::symlink(target, to) < 0) return false;
    } else if (S_ISFIFO(st.st_mode)) {
        if (::mkfifo(to, 0600) < 0) return false;
    } else if (o.skip_special) {
        return true;
    } else if (::mknod(to, (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0) {
        return false; // a socket or a device node
    }
    if (o.keep_owner) (void)::lchown(to, st.st_uid, st.st_gid); // only root can give files away
    if (S_ISLNK(st.st_mode)) return true;
    return ::chmod(to, st.st_mode & 07777) == 0;
}

bool rm_rf(char const *path) noexcept
{
    struct stat st;
    if (::lstat(path, &st) < 0) return errno == ENOENT;
    if (!S_ISDIR(st.st_mode)) return ::unlink(path) == 0 || errno == ENOENT;
    bool ok = true;
    int err = 0;
    if (DIR *d = ::opendir(path)) {
        std::string sub;
        while (dirent *e = ::readdir(d)) {
            std::string_view const n = e->d_name;
            if (n == "." || n == "..") continue;
            sub.assign(path).append("/").append(n);
            if (!rm_rf(sub.c_str()) && ok) ok = false, err = errno;
        }
        ::closedir(d);
    }
    if (::rmdir(path) < 0 && errno != ENOENT) return false;
    if (!ok) errno = err;
    return ok;
}

} // namespace sv
