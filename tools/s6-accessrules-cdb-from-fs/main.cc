// s6-accessrules-cdb-from-fs cdbfile dir: compiles a rules directory into a rules cdb, as in
// s6 2.11.3.2.
//
// Every DIR/TYPE/KEY (TYPE is uid, gid, ip4... anything but a dot-name) with an allow file
// becomes the record "TYPE/KEY" -> "A" + env + exec, and one with only a deny file the record
// "D" (libsupervise/accessrules.hh has the layout).  Entries are visited in readdir order, as
// stock does, so the same directory gives the same bytes.  The file is built as
// CDBFILE:s6-accessrules-cdb-from-fs:XXXXXX beside cdbfile, synced, and renamed over it; on
// failure the temporary file is removed.
//
// Unlike stock, an env/ whose changes take more than 4096 bytes is refused (exit 100), as the
// page says: stock lets up to 4100 through and then writes a cdb its own readers refuse.
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <supervise/accessrules.hh>
#include <supervise/cdb.hh>
#include <supervise/diag.hh>
#include <supervise/envdir.hh>
#include <supervise/fd.hh>

namespace {

constexpr std::string_view usage = "s6-accessrules-cdb-from-fs cdbfile dir";

char const *tmp_path = nullptr; // removed by fail() until the rename

template <class... A>
[[noreturn]] void fail(int code, A const &...a) noexcept
{
    int const e = errno;
    if (tmp_path) ::unlink(tmp_path);
    errno = e;
    sv::die_sys(code, a...);
}

// access(2) F_OK, with ENOENT and EACCES meaning "absent" as in stock.
bool present(std::string const &path)
{
    if (::access(path.c_str(), F_OK) == 0) return true;
    if (errno != ENOENT && errno != EACCES) fail(sv::exitcode::system, "unable to access ", path);
    return false;
}

// The record for the rule directory rule (DIR/TYPE/KEY); false when it has neither file.
bool rule_record(std::string const &rule, std::string &data)
{
    if (!present(rule + "/allow")) {
        if (!present(rule + "/deny")) return false;
        data = "D";
        return true;
    }
    std::vector<sv::env_change> changes;
    std::string const envdir = rule + "/env";
    if (!sv::envdir_read(envdir.c_str(), 0, '\n', changes) && errno != ENOENT)
        fail(sv::exitcode::system, "unable to envdir ", envdir);
    std::string env;
    for (auto const &c : changes) {
        env += c.name;
        if (!c.unset) env.append("=").append(c.value);
        env += '\0';
    }
    if (env.size() > sv::access_env_max) {
        errno = E2BIG;
        fail(sv::exitcode::usage, envdir, " too big");
    }
    std::string const exec_path = rule + "/exec";
    std::string exec;
    sv::unique_fd fd(::open(exec_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd) {
        if (!sv::read_all(fd.get(), exec, sv::access_exec_max))
            fail(sv::exitcode::system, "unable to openreadnclose ", exec_path);
    } else if (errno != ENOENT) {
        fail(sv::exitcode::system, "unable to openreadnclose ", exec_path);
    }
    if (exec.size() == sv::access_exec_max) sv::warn("possibly truncated file ", exec_path);
    sv::access_record_allow(env, exec, data);
    return true;
}

// Calls f(name) for each entry of path not starting with '.', in readdir order.
template <class F>
void each_entry(std::string const &path, F f)
{
    DIR *d = ::opendir(path.c_str());
    if (!d) fail(sv::exitcode::system, "unable to opendir ", path);
    for (;;) {
        errno = 0;
        dirent *e = ::readdir(d);
        if (!e) break;
        if (e->d_name[0] == '.') continue;
        f(std::string(e->d_name));
    }
    if (errno) fail(sv::exitcode::system, "unable to readdir ", path);
    ::closedir(d);
}

} // namespace

int accessrules_cdb_from_fs_main(int argc, char **argv)
{
    sv::prog = "s6-accessrules-cdb-from-fs";
    if (argc < 3) sv::die_usage(usage);
    std::string const cdbfile = argv[1], dir = argv[2];

    std::string tmpl = cdbfile + ":s6-accessrules-cdb-from-fs:XXXXXX";
    sv::unique_fd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
    if (!fd) sv::die_sys(sv::exitcode::system, "unable to mkstemp ", tmpl);
    tmp_path = tmpl.c_str();

    sv::cdb_writer w;
    each_entry(dir, [&](std::string const &type) {
        each_entry(dir + "/" + type, [&](std::string const &key) {
            std::string data;
            if (rule_record(dir + "/" + type + "/" + key, data) && !w.add(type + "/" + key, data))
                fail(sv::exitcode::system, "unable to cdbmake_add");
        });
    });
    if (!w.finish(fd.get())) fail(sv::exitcode::system, "unable to cdb_make_finish");
    if (::fsync(fd.get()) < 0) fail(sv::exitcode::system, "unable to fd_sync");
    fd.reset();
    if (::rename(tmp_path, cdbfile.c_str()) < 0)
        fail(sv::exitcode::system, "unable to rename ", tmp_path, " to ", cdbfile);
    return 0;
}
