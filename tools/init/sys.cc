// The real side of the seam's file calls (sys.hh), and the few tree operations stage 1 and
// stage 2 need (rm -rf, copy -R).
#include "runtime.hh"
#include "sys.hh"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/envdir.hh>
#include <supervise/fd.hh>
#include <supervise/sibling.hh>
#include <supervise/tai64n.hh>

#ifndef S6PP_BINDIR
#define S6PP_BINDIR "/usr/local/bin"
#endif

namespace init {
namespace {

// Copies the tree src to dst (dirs, regular files with their modes, symlinks as symlinks).
// With link_executables, an executable file becomes a symlink to its original instead of a
// copy, so that it can run from a noexec dst.
bool copy_tree(std::string const &src, std::string const &dst, bool link_executables) noexcept
{
    struct stat st;
    if (lstat(src.c_str(), &st) < 0) return false;
    if (link_executables && S_ISREG(st.st_mode) && (st.st_mode & 0111))
        return symlink(src.c_str(), dst.c_str()) == 0;
    if (S_ISLNK(st.st_mode)) {
        char buf[PATH_MAX];
        ssize_t n = readlink(src.c_str(), buf, sizeof buf - 1);
        if (n < 0) return false;
        buf[n] = 0;
        return symlink(buf, dst.c_str()) == 0;
    }
    if (S_ISDIR(st.st_mode)) {
        if (mkdir(dst.c_str(), 0700) < 0 && errno != EEXIST) return false;
        DIR *d = opendir(src.c_str());
        if (!d) return false;
        bool ok = true;
        while (dirent *e = readdir(d)) {
            std::string_view n = e->d_name;
            if (n == "." || n == "..") continue;
            ok = copy_tree(src + "/" + e->d_name, dst + "/" + e->d_name, link_executables) && ok;
        }
        closedir(d);
        return chmod(dst.c_str(), st.st_mode & 07777) == 0 && ok;
    }
    if (S_ISFIFO(st.st_mode)) return mkfifo(dst.c_str(), st.st_mode & 07777) == 0;
    if (!S_ISREG(st.st_mode)) return true; // sockets, devices: not part of a service dir
    sv::unique_fd in(open(src.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) return false;
    sv::unique_fd out(open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out) return false;
    char buf[8192];
    for (;;) {
        ssize_t n = read(in.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) break;
        if (!sv::write_full(out.get(), buf, static_cast<std::size_t>(n))) return false;
    }
    return fchmod(out.get(), st.st_mode & 07777) == 0;
}

} // namespace

bool rm_rf(char const *path) noexcept
{
    struct stat st;
    if (lstat(path, &st) < 0) return errno == ENOENT;
    if (!S_ISDIR(st.st_mode)) return unlink(path) == 0 || errno == ENOENT;
    DIR *d = opendir(path);
    if (!d) return false;
    bool ok = true;
    while (dirent *e = readdir(d)) {
        std::string_view n = e->d_name;
        if (n == "." || n == "..") continue;
        std::string sub = std::string(path) + "/" + e->d_name;
        ok = rm_rf(sub.c_str()) && ok;
    }
    closedir(d);
    return rmdir(path) == 0 && ok;
}

namespace sys {

std::int64_t now_ms() noexcept
{
    return sv::mono_ms();
}

std::vector<std::string> sorted_entries(std::string const &dir) noexcept
{
    std::vector<std::string> v;
    if (DIR *d = opendir(dir.c_str())) {
        while (dirent *e = readdir(d))
            if (e->d_name[0] != '.') v.emplace_back(e->d_name);
        closedir(d);
    }
    std::sort(v.begin(), v.end()); // std::string compares bytes: the C-locale order of s6-ls
    return v;
}

bool read_file(std::string const &path, std::string &out) noexcept
{
    sv::unique_fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    return fd && sv::read_all(fd.get(), out);
}

bool write_file(std::string const &path, std::string_view content) noexcept
{
    sv::unique_fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    return fd && sv::write_full(fd.get(), content);
}

bool exists(std::string const &path) noexcept
{
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

bool is_dir(std::string const &path) noexcept
{
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string exec_problem(std::string const &path) noexcept
{
    struct stat st;
    if (stat(path.c_str(), &st) < 0) return std::string("does not exist: ") + strerror(errno);
    if (!S_ISREG(st.st_mode)) return "is not a regular file";
    if (!(st.st_mode & 0111)) return "is not executable (it needs chmod +x)";
    char head[256];
    ssize_t n = 0;
    if (sv::unique_fd fd{open(path.c_str(), O_RDONLY | O_CLOEXEC)})
        n = read(fd.get(), head, sizeof head);
    if (n >= 2 && head[0] == '#' && head[1] == '!') {
        std::string_view line(head + 2, static_cast<std::size_t>(n - 2));
        line = line.substr(0, line.find('\n'));
        if (line.find('\r') != std::string_view::npos)
            return "has a CRLF line ending in its #! line (convert it to Unix line endings)";
        while (!line.empty() && (line[0] == ' ' || line[0] == '\t')) line.remove_prefix(1);
        std::string interp(line.substr(0, line.find_first_of(" \t")));
        if (interp.empty()) return "has an empty #! line";
        if (access(interp.c_str(), F_OK) < 0)
            return "names an interpreter that does not exist: " + interp;
        if (access(interp.c_str(), X_OK) < 0)
            return "names an interpreter that is not executable: " + interp;
    } else if (n < 4 || memcmp(head, "\x7f" "ELF", 4) != 0) {
        return "is neither a binary nor a script with a #! line";
    }
    return {};
}

void make_dir(std::string const &path) noexcept
{
    mkdir(path.c_str(), 0755);
}

void remove_dir(std::string const &path) noexcept
{
    rmdir(path.c_str());
}

bool install_service(context const &c, std::string const &from, std::string const &tmp,
                     std::string const &to) noexcept
{
    rm_rf(tmp.c_str());
    return copy_tree(from, tmp, c.cfg.link_exec) && rename(tmp.c_str(), to.c_str()) == 0;
}

std::string our_program(char const *name, bool &search) noexcept
{
    sv::path_buf exe;
    search = !sv::sibling_path(name, S6PP_BINDIR, exe) || access(exe.c_str(), X_OK) < 0;
    return search ? std::string(name) : std::string(exe.view());
}

bool container_env(context const &c, std::vector<std::string> &env) noexcept
{
    // Read as with-contenv reads it: the whole file, one trailing newline removed.
    std::vector<sv::env_change> changes;
    bool const ok = sv::envdir_read(c.cfg.env_dir().c_str(),
                                    sv::envdir_flag::noclamp | sv::envdir_flag::verbatim, '\n',
                                    changes);
    int const e = errno;
    env = sv::env_merged(changes);
    errno = e;
    return ok;
}

bool svscanctl(context const &c, char letter) noexcept
{
    return sv::send_control(c.cfg.scan_dir(), ".s6-svscan", {&letter, 1}) ==
           sv::control_result::ok;
}

void give_terminal(pid_t pgrp) noexcept
{
    if (isatty(0)) tcsetpgrp(0, pgrp);
}

void sync_disks() noexcept
{
    sync();
}

} // namespace sys
} // namespace init
