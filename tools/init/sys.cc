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
#include <supervise/fork_self.hh>
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

namespace {

// The #! line of path, after "#!" and up to its newline; false if path has none (or cannot
// be read).
bool shebang_line(std::string const &path, std::string &line) noexcept
{
    char head[256];
    ssize_t n = 0;
    if (sv::unique_fd fd{open(path.c_str(), O_RDONLY | O_CLOEXEC)})
        n = read(fd.get(), head, sizeof head);
    if (n < 2 || head[0] != '#' || head[1] != '!') return false;
    std::string_view l(head + 2, static_cast<std::size_t>(n - 2));
    line = l.substr(0, l.find('\n'));
    return true;
}

// The interpreter and its one argument in a #! line, split as the kernel splits it.
void split_shebang(std::string_view line, std::string &interp, std::string &arg) noexcept
{
    auto const blank = " \t";
    auto b = line.find_first_not_of(blank);
    line.remove_prefix(b == line.npos ? line.size() : b);
    auto e = line.find_first_of(blank);
    interp = line.substr(0, e);
    arg.clear();
    if (e == line.npos) return;
    std::string_view rest = line.substr(e);
    b = rest.find_first_not_of(blank);
    if (b == rest.npos) return;
    rest.remove_prefix(b);
    rest = rest.substr(0, rest.find_last_not_of(blank) + 1);
    arg = rest;
}

// The program name in an s6-overlay v3 path, /command/NAME or /package/admin/PKG/command/NAME
// ("" for any other path).
std::string_view overlay_command(std::string_view p) noexcept
{
    std::string_view rest;
    if (p.substr(0, 9) == "/command/") {
        rest = p.substr(9);
    } else if (p.substr(0, 15) == "/package/admin/") {
        auto const slash = p.find('/', 15);
        if (slash == p.npos || p.substr(slash, 9) != "/command/") return {};
        rest = p.substr(slash + 9);
    }
    return rest.find('/') == rest.npos ? rest : std::string_view{};
}

// name looked up in PATH as execvp would, skipping s6-overlay's own directories (/command
// and /package/...); "" if no entry has it executable.
std::string find_in_path(std::string_view name) noexcept
{
    char const *p = getenv("PATH");
    std::string_view rest = p ? p : "/usr/bin:/bin";
    for (;;) {
        auto const colon = rest.find(':');
        std::string_view const dir = rest.substr(0, colon);
        if (overlay_command(std::string(dir) + "/x").empty()) { // not s6-overlay's own
            std::string f = std::string(dir.empty() ? "." : dir) + "/" + std::string(name);
            struct stat st;
            if (access(f.c_str(), X_OK) == 0 && stat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode))
                return f;
        }
        if (colon == rest.npos) return {};
        rest.remove_prefix(colon + 1);
    }
}

} // namespace

std::string exec_problem(std::string const &path) noexcept
{
    struct stat st;
    if (stat(path.c_str(), &st) < 0) return std::string("does not exist: ") + strerror(errno);
    if (!S_ISREG(st.st_mode)) return "is not a regular file";
    if (!(st.st_mode & 0111)) return "is not executable (it needs chmod +x)";
    std::string line;
    if (shebang_line(path, line)) {
        if (line.find('\r') != std::string::npos)
            return "has a CRLF line ending in its #! line (convert it to Unix line endings)";
        std::string interp, arg;
        split_shebang(line, interp, arg);
        if (interp.empty()) return "has an empty #! line";
        // s6-overlay v3's /command/NAME, missing here, is run through NAME found elsewhere.
        if (access(interp.c_str(), F_OK) < 0 && overlay_interpreter(interp).empty())
            return "names an interpreter that does not exist: " + interp;
        if (access(interp.c_str(), F_OK) < 0) return {};
        if (access(interp.c_str(), X_OK) < 0)
            return "names an interpreter that is not executable: " + interp;
        return {};
    }
    char head[4] = {};
    if (sv::unique_fd fd{open(path.c_str(), O_RDONLY | O_CLOEXEC)})
        if (read(fd.get(), head, sizeof head) == 4 && memcmp(head, "\x7f" "ELF", 4) == 0)
            return {};
    return "is neither a binary nor a script with a #! line";
}

std::string overlay_interpreter(std::string const &interp) noexcept
{
    std::string_view const name = overlay_command(interp);
    if (name.empty() || access(interp.c_str(), X_OK) == 0) return {};
    // Ours first, from our own directory: never a stock s6 that the image also has.
    sv::path_buf p;
    if (sv::sibling_path(name, sv::install_bindir, p) && access(p.c_str(), X_OK) == 0)
        return std::string(p.view());
    return find_in_path(name);
}

bool overlay_argv(char const *const *argv, bool search, std::vector<std::string> &out) noexcept
{
    std::string script = argv[0];
    if (!strchr(argv[0], '/')) {
        if (!search) return false;
        script = find_in_path(argv[0]);
        if (script.empty()) return false;
    }
    std::string line, interp, arg;
    if (!shebang_line(script, line)) return false;
    split_shebang(line, interp, arg);
    std::string const alt = overlay_interpreter(interp);
    if (alt.empty()) return false;
    out = {alt};
    if (!arg.empty()) out.push_back(arg);
    out.push_back(script);
    for (auto a = argv + 1; *a; a++) out.emplace_back(*a);
    return true;
}

bool fix_overlay_shebang(std::string const &path) noexcept
{
    struct stat st;
    std::string line, interp, arg, text;
    if (lstat(path.c_str(), &st) < 0 || !S_ISREG(st.st_mode) || !shebang_line(path, line))
        return true;
    split_shebang(line, interp, arg);
    std::string const alt = overlay_interpreter(interp);
    if (alt.empty()) return true;
    if (!read_file(path, text)) return false;
    text.replace(2, line.size(), alt + (arg.empty() ? "" : " " + arg));
    return write_file(path, text) && chmod(path.c_str(), st.st_mode & 07777) == 0;
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
    return sv::copy_tree(from, tmp, o) && fix_overlay_shebang(tmp + "/run") &&
           fix_overlay_shebang(tmp + "/finish") && rename(tmp.c_str(), to.c_str()) == 0;
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
    for (char const *f : {"run", "run.user", "finish"})
        if (!fix_overlay_shebang(tmp + "/" + f)) return false;
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

void drop_boot_code() noexcept
{
    sv::drop_startup_code();
}

void sync_disks() noexcept
{
    sync();
}

} // namespace sys
} // namespace init
