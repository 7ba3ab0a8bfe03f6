// s6-svperms: show or change who may read a service's status, control it and subscribe to its
// events, as s6 2.11.3.2's s6-svperms does, through the modes and groups of DIR/supervise,
// DIR/supervise/control and DIR/event.  The changes (the last of -u -g -G -o -O wins, and the
// last of -e -E):
//   -u      supervise/ 0700, control 0600            both with the owner's primary group
//   -g G    supervise/ 0710 group G, control 0600 (owner's primary group)
//   -G G    supervise/ 0710 group G, control 0620 group G
//   -o      supervise/ 0711, control 0600            both with the owner's primary group
//   -O G    supervise/ 0711 (owner's primary group), control 0620 group G
//   -e      event/ 01733 (owner's primary group)     -E G    event/ 03730 group G
// A group is a name from /etc/group or :NUMBER.  With no change, or with -v after the changes,
// it prints "DIR status: owner|public|group NAME", "DIR control: owner|group NAME" and
// "DIR events: public|group NAME" for each DIR, with a warning instead of a line for anything
// that is not as s6-supervise would make it (exit 1 then).  Groups and owners are looked up in
// /etc/group and /etc/passwd directly (supervise/passwd.hh), not through NSS.
#include <cerrno>
#include <charconv>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/opts.hh>
#include <supervise/out.hh>
#include <supervise/passwd.hh>

namespace {

constexpr std::string_view usage = "s6-svperms [ -v ] [ -u | -g group | -G group | -o | -O group ] "
                                   "[ -e | -E group ] servicedir...";
constexpr gid_t no_gid = static_cast<gid_t>(-1);

// What to change in supervise/: the access to the status (through the directory's mode) and,
// separately, whether a group may write to the control FIFO.
enum class status_access { owner, group, everyone };

struct request
{
    bool print = false;
    bool change_supervise = false;
    status_access status = status_access::owner;
    bool group_controls = false;
    gid_t gid = no_gid; // the group of -g, -G or -O
    bool change_events = false;
    gid_t event_gid = no_gid; // -E's group; no_gid for -e
};

// A group operand: ":NUMBER", or a name looked up in /etc/group.
gid_t scan_group(char const *s)
{
    if (s[0] == ':') {
        unsigned g = 0;
        if (!sv::scan_uint(s + 1, g)) sv::die_usage(usage);
        return static_cast<gid_t>(g);
    }
    sv::group gr;
    if (sv::lookup_group(s, gr)) return gr.gid;
    if (errno) sv::die_sys(sv::exitcode::system, "unable to getgrnam");
    sv::die(sv::exitcode::usage, "unable to find entry for ", s, " in group database");
}

// The group's name for printing, or the number when it has none.
std::string group_name(gid_t gid)
{
    sv::group gr;
    if (sv::lookup_gid(gid, gr)) return gr.name;
    sv::dec const num(gid);
    if (errno) sv::warn_sys("unable to getgrgid ", num);
    return std::string(num);
}

// The primary group of path's owner; root's group, with a warning, if the owner has no entry.
gid_t primary_gid(char const *path)
{
    struct stat st;
    if (stat(path, &st) < 0) sv::die_sys(sv::exitcode::system, "unable to stat ", path);
    sv::user u;
    errno = 0;
    if (sv::lookup_uid(st.st_uid, u)) return u.gid;
    // errno is 0 when there is simply no entry: stock prints strerror(0) then, and so do we.
    sv::warn_sys("unable to determine primary gid for the owner of ", path,
                 " (using root instead)");
    return 0;
}

void set_group_and_mode(char const *path, gid_t gid, mode_t mode)
{
    if (chown(path, no_gid, gid) < 0) sv::die_sys(sv::exitcode::system, "unable to chown ", path);
    if (chmod(path, mode) < 0) sv::die_sys(sv::exitcode::system, "unable to chmod ", path);
}

void change_supervise(std::string_view dir, request const &r)
{
    sv::path_buf sup(dir, "/supervise"), ctl(dir, "/supervise/control");
    switch (r.status) {
    case status_access::owner:
        set_group_and_mode(sup.c_str(), primary_gid(sup.c_str()), 0700);
        break;
    case status_access::group:
        set_group_and_mode(sup.c_str(), r.gid, 0710);
        break;
    case status_access::everyone:
        set_group_and_mode(sup.c_str(), primary_gid(sup.c_str()), 0711);
        break;
    }
    if (r.group_controls)
        set_group_and_mode(ctl.c_str(), r.gid, 0620);
    else
        set_group_and_mode(ctl.c_str(), primary_gid(ctl.c_str()), 0600);
}

void change_events(std::string_view dir, gid_t gid)
{
    sv::path_buf ev(dir, "/event");
    if (gid == no_gid)
        set_group_and_mode(ev.c_str(), primary_gid(ev.c_str()), 01733);
    else
        set_group_and_mode(ev.c_str(), gid, 03730);
}

// Stats path for printing; false after a warning if it cannot, or it is not of type kind.
bool stat_as(char const *path, mode_t kind, std::string_view what, struct stat &st)
{
    if (stat(path, &st) < 0) {
        sv::warn_sys("unable to stat ", path);
        return false;
    }
    if ((st.st_mode & S_IFMT) != kind) {
        sv::warn(path, what);
        return false;
    }
    return true;
}

bool bad_mode(char const *path, struct stat const &st)
{
    char oct[8];
    auto const n = std::to_chars(oct, oct + sizeof oct, st.st_mode & 07777, 8).ptr - oct;
    sv::warn(path, " has incorrect permissions: ", std::string_view(oct, std::size_t(n)));
    return false;
}

// The status and control lines; false (after a warning) at the first thing out of shape.
bool print_supervise(std::string_view dir, sv::out_buf &out)
{
    sv::path_buf sup(dir, "/supervise"), ctl(dir, "/supervise/control");
    struct stat st;
    if (!stat_as(sup.c_str(), S_IFDIR, " is not a directory", st)) return false;
    mode_t m = st.st_mode;
    // Owner rwx, nothing setuid, sticky, group- or world-readable or -writable, and "others
    // may enter" only with "the group may enter": the modes -u -g -o make.
    if ((m & 05066) || (m & 0700) != 0700 || ((m & 0001) && !(m & 0010)))
        return bad_mode(sup.c_str(), st);
    out.put(dir).put(" status: ");
    if (m & 0001)
        out.put("public");
    else if (m & 0010)
        out.put("group ").put(group_name(st.st_gid));
    else
        out.put("owner");
    out.put('\n');

    if (!stat_as(ctl.c_str(), S_IFIFO, " is not a named pipe", st)) return false;
    m = st.st_mode;
    if (m & 0157) return bad_mode(ctl.c_str(), st);
    out.put(dir).put(" control: ");
    if (m & 0020)
        out.put("group ").put(group_name(st.st_gid));
    else
        out.put("owner");
    out.put('\n');
    return true;
}

bool print_events(std::string_view dir, sv::out_buf &out)
{
    sv::path_buf ev(dir, "/event");
    struct stat st;
    if (!stat_as(ev.c_str(), S_IFDIR, " is not a directory", st)) return false;
    mode_t const m = st.st_mode & 07777;
    if (m != 01733 && m != 03730) return bad_mode(ev.c_str(), st);
    out.put(dir).put(" events: ");
    if (m == 03730)
        out.put("group ").put(group_name(st.st_gid));
    else
        out.put("public");
    out.put('\n');
    return true;
}

} // namespace

int svperms_main(int argc, char **argv)
{
    sv::prog = "s6-svperms";
    request r;
    sv::opt_parser opts{argc, argv, "vug:G:oO:eE:"};
    while (int c = opts.next()) {
        // Groups are looked up as their options come, so an unknown one is reported first.
        switch (c) {
        case 'v':
            r.print = true;
            break;
        case 'u':
            r.status = status_access::owner, r.group_controls = false;
            break;
        case 'g':
            r.status = status_access::group, r.group_controls = false;
            break;
        case 'G':
            r.status = status_access::group, r.group_controls = true;
            break;
        case 'o':
            r.status = status_access::everyone, r.group_controls = false;
            break;
        case 'O':
            r.status = status_access::everyone, r.group_controls = true;
            break;
        case 'e':
            r.change_events = true, r.event_gid = no_gid;
            break;
        case 'E':
            r.change_events = true, r.event_gid = scan_group(opts.arg());
            break;
        default:
            sv::die_usage(usage);
        }
        if (c == 'g' || c == 'G' || c == 'O') r.gid = scan_group(opts.arg());
        if (c == 'u' || c == 'g' || c == 'G' || c == 'o' || c == 'O') r.change_supervise = true;
    }
    auto const dirs = opts.operands();
    if (dirs.empty()) sv::die_usage(usage);
    if (!r.change_supervise && !r.change_events) r.print = true;

    int rc = 0;
    sv::out_buf out(1);
    for (std::string_view dir : dirs) {
        if (r.change_supervise) change_supervise(dir, r);
        if (r.change_events) change_events(dir, r.event_gid);
        if (r.print) {
            if (!print_supervise(dir, out)) rc = 1;
            if (!print_events(dir, out)) rc = 1;
        }
    }
    if (r.print && !out.flush()) sv::die_sys(sv::exitcode::system, "unable to write to stdout");
    return rc;
}
