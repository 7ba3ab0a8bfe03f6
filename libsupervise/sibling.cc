#include <supervise/sibling.hh>

#include <cerrno>
#include <climits>
#include <sys/stat.h>
#include <unistd.h>

namespace sv {

std::string_view const install_bindir = S6PP_BINDIR;

std::string our_program(std::string_view name)
{
    path_buf p;
    if (!sibling_path(name, install_bindir, p))
        return std::string(install_bindir) + "/" + std::string(name);
    return std::string(p.view());
}

bool sibling_path(std::string_view name, std::string_view fallback_dir, path_buf &out) noexcept
{
    char self[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        // A rebuilt or upgraded binary shows up as "PATH (deleted)"; only the directory
        // matters, and that is still right.
        std::string_view exe(self, static_cast<std::size_t>(n));
        auto slash = exe.rfind('/');
        if (slash != std::string_view::npos) {
            out = path_buf(exe.substr(0, slash ? slash : 1), slash ? "/" : "", name);
            // A directory passes access(X_OK) too, but cannot be run.
            struct stat st;
            if (out.ok() && ::access(out.c_str(), X_OK) == 0 && ::stat(out.c_str(), &st) == 0 &&
                S_ISREG(st.st_mode))
                return true;
        }
    }
    out = path_buf(fallback_dir, "/", name);
    if (!out.ok()) errno = ENAMETOOLONG;
    return out.ok();
}

} // namespace sv
