// s6-accessrules-fs-from-cdb dir cdbfile: turns a rules cdb back into a rules directory, as in
// s6 2.11.3.2.
//
// dir must not exist; it is made (mode 02755, umask ignored, as every directory below it;
// files get 0666 less the umask),
// then each record "TYPE/KEY" becomes DIR/TYPE/KEY/ with allow or deny, env/ (one file per
// change: the value and a newline, or an empty file for a removal) and exec.  A record that
// is not valid rules data, or a cdb that cannot be walked, removes dir again and exits 111.
#include <cerrno>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/accessrules.hh>
#include <supervise/cdb.hh>
#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/tree.hh>

namespace {

constexpr std::string_view usage = "s6-accessrules-fs-from-cdb dir cdbfile";
constexpr mode_t dir_mode = S_IRWXU | S_IRGRP | S_IXGRP | S_IROTH | S_IXOTH | S_ISGID;

char const *basedir = nullptr;

template <class... A>
[[noreturn]] void fail(bool with_errno, A const &...a) noexcept
{
    int const e = errno;
    if (basedir) sv::rm_rf(basedir);
    errno = e;
    if (with_errno) sv::die_sys(sv::exitcode::system, a...);
    sv::die(sv::exitcode::system, a...);
}

// Directories get exactly dir_mode; files the usual 0666 less the umask.
void make_dir(std::string const &path)
{
    mode_t const old = ::umask(0);
    int const r = ::mkdir(path.c_str(), dir_mode);
    ::umask(old);
    if (r < 0 && errno != EEXIST) fail(true, "unable to mkdir ", path);
}

void write_file(std::string const &path, std::string_view a, std::string_view b = {})
{
    sv::unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (!fd || !sv::write_full(fd.get(), a) || !sv::write_full(fd.get(), b))
        fail(true, "unable to open_trunc ", path);
}

// Writes one record's rule; false when it is not valid rules data.
bool restore(std::string_view key, std::string_view data)
{
    if (data.empty() || data.size() > 5 + sv::access_env_max + sv::access_exec_max) return false;
    std::string rule = std::string(basedir) + "/";
    for (std::size_t i = 0; i < key.size(); i++) {
        if (key[i] == '/') make_dir(rule + std::string(key.substr(0, i)));
    }
    rule += key;
    make_dir(rule);
    if (data[0] == 'A') write_file(rule + "/allow", {});
    else if (data[0] == 'D') write_file(rule + "/deny", {});
    if (data.size() < 3) return true;
    std::string_view env, exec;
    if (!sv::access_record_split(data, env, exec)) return false;
    if (!env.empty()) {
        std::string const envdir = rule + "/env";
        make_dir(envdir);
        while (!env.empty()) {
            auto const end = env.find('\0');
            if (end == env.npos) return false;
            std::string_view entry = env.substr(0, end);
            env.remove_prefix(end + 1);
            auto const eq = entry.find('=');
            std::string const file = envdir + "/" + std::string(entry.substr(0, eq));
            if (eq == entry.npos) write_file(file, {});
            else write_file(file, entry.substr(eq + 1), "\n");
        }
    }
    if (!exec.empty()) write_file(rule + "/exec", exec);
    return true;
}

} // namespace

int accessrules_fs_from_cdb_main(int argc, char **argv)
{
    sv::prog = "s6-accessrules-fs-from-cdb";
    if (argc < 3) sv::die_usage(usage);
    sv::cdb db;
    if (!db.open(argv[2])) sv::die_sys(sv::exitcode::system, "unable to cdb_init");
    basedir = argv[1];
    mode_t const old = ::umask(0);
    if (::mkdir(basedir, dir_mode) < 0)
        sv::die_sys(sv::exitcode::system, "unable to mkdir ", basedir);
    ::umask(old);
    std::uint32_t pos = 0;
    std::string_view key, data;
    for (;;) {
        int const r = db.next_record(pos, key, data);
        if (r < 0) fail(false, "unable to cdb_traverse_next: invalid cdb");
        if (!r) break;
        if (!restore(key, data))
            fail(false, "unable to handle cdb record: ", argv[2],
                 " does not contain valid accessrules data");
    }
    return 0;
}
