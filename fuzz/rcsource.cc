// s6-rc's source reader (libsupervise/rcsource.cc), as /init reads an image's s6-rc.d: a
// source directory built from the input is read and resolved, and a graph that resolves
// starts in an order where every service comes after its dependencies.  Input: records
// "PATH\0CONTENT\0" where PATH is SERVICE/FILE or SERVICE/DIR/FILE (at most 3 components of
// at most 40 bytes, no "." or ".."; a PATH ending in '/' is only made as a directory).
#include "fuzz.hh"

#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>

#include <supervise/rcsource.hh>

namespace {

bool component_ok(std::string_view c)
{
    return !c.empty() && c.size() <= 40 && c != "." && c != "..";
}

// Makes root/path (its directories too) holding content; false if path is not one the
// input format allows (the record is then skipped).
void put(std::string const &root, std::string_view path, std::string_view content)
{
    bool const dir_only = !path.empty() && path.back() == '/';
    if (dir_only) path.remove_suffix(1);
    std::string full = root;
    int depth = 0;
    while (!path.empty()) {
        std::size_t const slash = path.find('/');
        std::string_view const c = path.substr(0, slash);
        if (!component_ok(c) || ++depth > 3) return;
        full += '/';
        full += c;
        bool const last = slash == std::string_view::npos;
        if (!last || dir_only) {
            if (mkdir(full.c_str(), 0755) < 0 && errno != EEXIST) return;
            if (last) return;
            path.remove_prefix(slash + 1);
            continue;
        }
        int fd = open(full.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return;
        fz::check(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
        close(fd);
        return;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    std::string const root = fz::temp_dir() + "/src";
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
    fz::check(mkdir(root.c_str(), 0755) == 0);
    std::string_view in = fz::view(data, size);
    while (!in.empty()) {
        std::size_t const a = in.find('\0');
        std::string_view const path = in.substr(0, a);
        std::string_view content;
        if (a == std::string_view::npos) {
            in = {};
        } else {
            in.remove_prefix(a + 1);
            std::size_t const b = in.find('\0');
            content = in.substr(0, b);
            in.remove_prefix(b == std::string_view::npos ? in.size() : b + 1);
        }
        put(root, path, content);
    }

    sv::rc::graph g;
    sv::rc::error err;
    bool ok = sv::rc::read_source(root, g, err, {"user"}) && sv::rc::resolve(g, err);
    if (!ok) {
        // s6-rc-compile's codes, and always something to say.
        fz::check((err.code == 1 || err.code == 111) && !err.message.empty());
        return 0;
    }
    fz::check(g.deps.size() == g.atoms.size());
    std::vector<unsigned> const order = sv::rc::start_order(g);
    fz::check(order.size() == g.atoms.size());
    std::vector<unsigned> pos(g.atoms.size(), ~0u);
    for (unsigned i = 0; i < order.size(); i++) {
        fz::check(order[i] < g.atoms.size() && pos[order[i]] == ~0u);
        pos[order[i]] = i;
    }
    for (unsigned a = 0; a < g.atoms.size(); a++)
        for (unsigned d : g.deps[a]) fz::check(d < g.atoms.size() && pos[d] < pos[a]);
    return 0;
}
