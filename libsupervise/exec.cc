#include <supervise/exec.hh>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>

namespace sv {

void exec_path(char const *const *argv) noexcept { exec_path(argv, environ); }

void exec_path(char const *const *argv, char const *const *envp) noexcept
{
    char const *name = argv[0];
    auto *args = const_cast<char *const *>(argv);
    auto *env = const_cast<char *const *>(envp);
    if (std::strchr(name, '/')) {
        execve(name, args, env);
        return;
    }
    char const *path = std::getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    // Remember the first error that is not "not here", so EACCES on a match wins over ENOENT
    // from the directories that do not have it.
    int saved = 0;
    std::string_view rest(path);
    while (true) {
        auto colon = rest.find(':');
        std::string_view dir = rest.substr(0, colon);
        path_buf full(dir.empty() ? std::string_view(".") : dir, "/", name);
        if (full.ok()) {
            execve(full.c_str(), args, env);
            if (errno != ENOENT && errno != ENOTDIR && !saved) saved = errno;
        } else if (!saved)
            saved = ENAMETOOLONG;
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
    }
    errno = saved ? saved : ENOENT;
}

void exec_or_die(char const *const *argv) noexcept { exec_or_die(argv, environ); }

void exec_or_die(char const *const *argv, char const *const *envp) noexcept
{
    exec_path(argv, envp);
    die_sys(errno == ENOENT ? exitcode::exec_not_found : exitcode::exec_failed, "unable to exec ",
            argv[0]);
}

} // namespace sv
