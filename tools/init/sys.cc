// The real side of the seam's file calls (sys.hh); the tree operations (rm -rf, copy -R) are
// libsupervise's (tree.hh).
#include "sys.hh"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/envdir.hh>
#include <supervise/fd.hh>
#include <supervise/ipc.hh>
#include <supervise/rcsource.hh>
#include <supervise/sibling.hh>
#include <supervise/status.hh>
#include <supervise/tai64n.hh>
#include <supervise/tree.hh>

namespace init {
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
    sv::rm_rf(tmp.c_str());
    // s6-overlay copies services.d as the files are, bar their owners (we may not be root).
    sv::copy_options o;
    o.keep_owner = false;
    o.link_executables = c.cfg.link_exec;
    o.skip_special = true;
    return sv::copy_tree(from, tmp, o) && rename(tmp.c_str(), to.c_str()) == 0;
}

std::string our_program(char const *name, bool &search) noexcept
{
    sv::path_buf exe;
    search = !sv::sibling_path(name, sv::install_bindir, exe) || access(exe.c_str(), X_OK) < 0;
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

namespace {

// A name quoted for /bin/sh: in single quotes, each ' as '\''.
std::string sh_quote(std::string const &s)
{
    std::string q = "'";
    for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return q + "'";
}

} // namespace

bool install_longrun(context const &c, sv::rc::definition const &d, std::string const &tmp,
                     std::string const &to, std::string const &in, std::string const &out) noexcept
{
    sv::rm_rf(tmp.c_str());
    if (mkdir(tmp.c_str(), 0755) < 0) return false;
    sv::copy_options o;
    o.keep_owner = false;
    o.link_executables = c.cfg.link_exec;
    o.skip_special = true;
    bool const wrapped = !in.empty() || !out.empty();
    static char const *const copied[] = {
        "run",         "finish",         "notification-fd", "lock-fd", "timeout-kill",
        "timeout-finish", "max-death-tally", "down-signal",  "data",    "env",
        "instance",    "instances"};
    for (char const *f : copied) {
        std::string const from = d.dir + "/" + f;
        if (access(from.c_str(), F_OK) < 0) continue;
        std::string const dst = tmp + "/" + (wrapped && !strcmp(f, "run") ? "run.user" : f);
        if (!sv::copy_tree(from, dst, o)) return false;
    }
    if (wrapped) {
        // s6-rc hands a pipeline's pipe ends over with its fd-holder; ours are FIFOs that
        // /init keeps open, so a restart on either side loses nothing.
        std::string run = "#!/bin/sh\nexec ./run.user";
        if (!in.empty()) run += " 0<>" + sh_quote(in);
        if (!out.empty()) run += " 1<>" + sh_quote(out);
        run += "\n";
        std::string const rp = tmp + "/run";
        if (!write_file(rp, run) || chmod(rp.c_str(), 0755) < 0) return false;
    }
    return rename(tmp.c_str(), to.c_str()) == 0;
}

int open_fifo(std::string const &path) noexcept
{
    if (mkfifo(path.c_str(), 0600) < 0 && errno != EEXIST) return -1;
    return open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

bool service_status(std::string const &dir, sv::status &st) noexcept
{
    return sv::status_read(dir, st);
}

bool service_control(std::string const &dir, std::string_view letters) noexcept
{
    return sv::send_control(dir, "supervise", letters) == sv::control_result::ok;
}

int rc_listen(std::string const &path) noexcept
{
    sv::unique_fd s(sv::ipc_socket(false, true, true));
    if (!s) return -1;
    unlink(path.c_str());
    if (sv::ipc_bind(s.get(), path.c_str()) < 0 || chmod(path.c_str(), 0600) < 0 ||
        listen(s.get(), 8) < 0)
        return -1;
    return s.release();
}

int rc_accept(int listener, std::string &bytes) noexcept
{
    sv::unique_fd conn(sv::ipc_accept(listener, nullptr, 0, false, true));
    if (!conn) return -1;
    // A client that sends nothing must not hold PID 1 up for long.
    timeval tv{1, 0};
    setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    bytes.clear();
    if (!sv::read_all(conn.get(), bytes, 1 << 16)) return -1;
    return conn.release();
}

void rc_reply(int conn, std::string_view bytes) noexcept
{
    sv::write_full(conn, bytes);
}

void remove_file(std::string const &path) noexcept
{
    unlink(path.c_str());
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
