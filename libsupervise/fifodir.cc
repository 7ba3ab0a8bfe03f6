#include <supervise/fifodir.hh>

#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/dirent.hh>
#include <supervise/tai64n.hh>

namespace sv {

bool is_listener_name(std::string_view name) noexcept
{
    return name.size() == ftrig_name_len && name.starts_with(ftrig_prefix);
}

bool fifodir_make_group(char const *path, gid_t gid, bool force) noexcept
{
    bool const is_public = gid == static_cast<gid_t>(-1);
    mode_t const old = umask(0);
    bool ok = true;
    bool fix = true; // give it its group and mode
    if (mkdir(path, 0700) < 0) {
        struct stat st;
        if (errno != EEXIST || stat(path, &st) < 0)
            ok = false;
        else if (st.st_uid != getuid())
            errno = EACCES, ok = false;
        else if (!S_ISDIR(st.st_mode))
            errno = ENOTDIR, ok = false;
        else
            fix = force;
    }
    if (ok && fix) {
        if (!is_public && chown(path, static_cast<uid_t>(-1), gid) < 0)
            ok = false;
        else if (chmod(path, is_public ? 01733 : 03730) < 0)
            ok = false;
    }
    int const e = errno;
    umask(old);
    errno = e;
    return ok;
}

bool fifodir_make(char const *path, bool is_public, bool force) noexcept
{
    return fifodir_make_group(path, is_public ? static_cast<gid_t>(-1) : getegid(), force);
}

namespace {

// A listener's FIFO name is 8 bytes of prefix and 20 more: many fit in this, and a notifier
// that runs in every supervisor keeps its read on the stack rather than readdir's 32 kB heap
// buffer.
constexpr std::size_t dir_buf_size = 1024;

} // namespace

int fifodir_notify(char const *path, std::string_view events) noexcept
{
    unique_fd dir(::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return -1;
    int const dfd = dir.get();
    int count = 0;
    alignas(8) char buf[dir_buf_size];
    int const r = each_dirent(dfd, buf, [&](char const *name) {
        if (!is_listener_name(name)) return true;
        int fd = openat(dfd, name, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENXIO) unlinkat(dfd, name, 0);
            return true;
        }
        // One write, so a listener sees coalesced events ("OD") together; EAGAIN (full FIFO)
        // and short writes are ignored as in s6.
        ssize_t const w = ::write(fd, events.data(), events.size());
        if (w == static_cast<ssize_t>(events.size()))
            count++;
        else if (w < 0 && errno == EPIPE)
            unlinkat(dfd, name, 0);
        ::close(fd);
        return true;
    });
    return r < 0 ? -1 : count;
}

int fifodir_clean(char const *path) noexcept
{
    unique_fd dir(::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return -1;
    int const dfd = dir.get();
    int failed = 0;
    alignas(8) char buf[dir_buf_size];
    int const r = each_dirent(dfd, buf, [&](char const *name) {
        if (!is_listener_name(name)) return true;
        int fd = openat(dfd, name, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0)
            ::close(fd); // somebody listens
        else if (errno == ENXIO && unlinkat(dfd, name, 0) < 0)
            failed = errno;
        return true;
    });
    if (r < 0) return -1;
    return failed ? (errno = failed, -1) : 0;
}

bool listener::subscribe(std::string_view eventdir) noexcept
{
    unsubscribe();
    path_buf dir(eventdir);
    if (!dir.ok()) return errno = ENAMETOOLONG, false;
    // Create the fifodir if needed; like s6's listeners, go on whatever happened.
    fifodir_make(dir.c_str());
    return attach(eventdir);
}

bool listener::attach(std::string_view eventdir) noexcept
{
    unsubscribe();
    static constexpr char alnum[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char rnd[6];
    if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof rnd)) {
        auto seed = static_cast<std::uint64_t>(mono_ms()) ^ (static_cast<std::uint64_t>(getpid()) << 20);
        for (auto &c : rnd) c = static_cast<unsigned char>(seed = seed * 6364136223846793005ULL + 1, seed >> 33);
    }
    char name[ftrig_name_len + 1];
    std::size_t k = 0;
    for (char c : ftrig_prefix.substr(0, ftrig_prefix.size() - 1)) name[k++] = c;
    tain_fmt(name + k, tain_now());
    k += tain_label_size;
    name[k++] = ':';
    for (unsigned char c : rnd) name[k++] = alnum[c % 62];
    name[k] = 0;

    path_buf tmp(eventdir, "/.", std::string_view(name, k));
    path_buf fin(eventdir, "/", std::string_view(name, k));
    if (!tmp.ok() || !fin.ok()) return errno = ENAMETOOLONG, false;
    mode_t const old = umask(0);
    int r = mkfifo(tmp.c_str(), 0600);
    int e = errno;
    umask(old);
    if (r < 0) return errno = e, false;
    rd_.reset(::open(tmp.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (rd_) wr_.reset(::open(tmp.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!rd_ || !wr_ || std::rename(tmp.c_str(), fin.c_str()) < 0) {
        e = errno;
        ::unlink(tmp.c_str());
        rd_.reset();
        wr_.reset();
        return errno = e, false;
    }
    path_ = fin;
    return true;
}

ssize_t listener::wait(char *buf, std::size_t n, std::int64_t deadline_ms) noexcept
{
    for (;;) {
        ssize_t r = ::read(rd_.get(), buf, n);
        if (r > 0) return r;
        if (r < 0 && errno != EAGAIN && errno != EINTR) return -1;
        pollfd p{rd_.get(), POLLIN, 0};
        int t = poll_timeout(deadline_ms, mono_ms());
        if (t == 0) return 0;
        if (::poll(&p, 1, t) < 0 && errno != EINTR) return -1;
    }
}

void listener::unsubscribe() noexcept
{
    if (rd_) {
        ::unlink(path_.c_str());
        rd_.reset();
        wr_.reset();
    }
}

} // namespace sv
