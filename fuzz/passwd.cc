// The /etc/passwd and /etc/group readers (libsupervise/passwd.cc) and the account resolution
// built on them (s6-envuidgid, s6-applyuidgid -U, fix-attrs).  Input: the first line is the
// account asked for ("user", "user:group", a number), the rest is both files' content.
#include "fuzz.hh"

#include <string>
#include <vector>

#include <supervise/passwd.hh>
#include <supervise/uidgid.hh>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    static fz::memfile file;
    std::string_view in = fz::view(data, size);
    auto nl = in.find('\n');
    std::string_view name = in.substr(0, nl);
    std::string_view content = nl == in.npos ? std::string_view{} : in.substr(nl + 1);
    file.set(content);
    char const *path = file.path();

    std::uint32_t id = 0;
    sv::scan_u32(name, id);
    sv::user u;
    if (sv::lookup_user(name, u, path)) fz::check(u.name == name);
    if (sv::lookup_uid(id, u, path)) fz::check(u.uid == id);
    sv::group g;
    if (sv::lookup_group(name, g, path)) fz::check(g.name == name);
    if (sv::lookup_gid(id, g, path)) fz::check(g.gid == id);
    std::vector<gid_t> gids;
    fz::check(sv::groups_of(name, gids, 64, path) && gids.size() <= 64);

    for (unsigned what : {7u, 1u, 2u, 3u}) {
        sv::uidgid_spec spec;
        spec.what = what;
        spec.numeric = id & 1;
        std::string bad;
        sv::resolve_uidgid(name, spec, bad, path, path);
    }
    sv::uidgid_spec spec;
    sv::scan_uidgid_defaults(name, spec);
    return 0;
}
