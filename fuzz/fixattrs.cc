// fix-attrs rule lines (libsupervise/fixattrs.cc): each input line parsed, and a rule's
// account resolved against the input itself as passwd and group file.  Then glob_paths on
// the first field, confined to a small tree of its own (patterns with ".." or a leading '/'
// are not walked: they would roam the machine's file system).
#include "fuzz.hh"

#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <supervise/fixattrs.hh>

namespace {
std::string root;

void make_tree()
{
    root = fz::temp_dir();
    for (char const *d : {"/a", "/a/b", "/.h", "/c[1]"})
        fz::check(mkdir((root + d).c_str(), 0755) == 0);
    for (char const *f : {"/a/x", "/a/b/y", "/.h/z", "/a*", "/q?"}) {
        int fd = open((root + f).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        fz::check(fd >= 0);
        close(fd);
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    static fz::memfile accounts;
    if (root.empty()) make_tree();
    std::string_view in = fz::view(data, size);
    accounts.set(in);
    while (!in.empty()) {
        auto nl = in.find('\n');
        std::string_view line = in.substr(0, nl);
        in = nl == in.npos ? std::string_view{} : in.substr(nl + 1);
        sv::fixattrs_rule rule;
        std::string why;
        switch (sv::fixattrs_parse(line, rule, why)) {
        case sv::fixattrs_line::bad: fz::check(!why.empty()); break;
        case sv::fixattrs_line::skip: break;
        case sv::fixattrs_line::rule: {
            fz::check(rule.fmode < 010000 && rule.dmode < 010000);
            uid_t uid;
            gid_t gid;
            std::string bad;
            sv::fixattrs_resolve(rule, uid, gid, bad, accounts.path(), accounts.path());
            if (rule.path.find("..") == rule.path.npos && !rule.path.starts_with('/')) {
                std::vector<std::string> out;
                if (sv::glob_paths(root + "/" + rule.path, out))
                    for (auto const &p : out) fz::check(p.starts_with(root));
            }
            break;
        }
        }
    }
    return 0;
}
