// s6-svstat: print the status of a supervised service, as s6 2.11.3.2's s6-svstat does.
// Without field options it prints the human line
//   up (pid P) S seconds[, normally down][, paused][, want down][, ready R seconds]
//   down (exitcode N | signal SIGNAME) S seconds[, normally up][, want up][, ready R seconds]
// (-n prints the signal as a number); with -u -w -N -r -p -e -s -t or -o it prints the chosen
// fields separated by spaces.  Quirks kept from 2.11.3.2: each -o item is matched as a
// *prefix* against the field table in its fixed order (so "re" is ready and "u" is up); the
// ready field is true only while a process exists; normallyup comes from DIR/down now, not
// from the supervisor; a stamp in the future is taken as now, a readystamp is not clamped.
// Exit: 0; 1 if no s6-supervise runs on DIR; 100 usage; 111 on system errors.
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/opts.hh>
#include <supervise/out.hh>
#include <supervise/signame.hh>
#include <supervise/status.hh>
#include <supervise/tai64n.hh>

namespace {

constexpr std::string_view usage =
    "s6-svstat [ -uwNrpest | -o up,wantedup,normallyup,ready,paused,pid,exitcode,signal,signum,"
    "updownsince,readysince,updownfor,readyfor ] [ -n ] servicedir";

enum class field {
    up,
    wantedup,
    normallyup,
    ready,
    paused,
    pid,
    exitcode,
    signal,
    signum,
    updownsince,
    readysince,
    updownfor,
    readyfor,
};

// The -o names in the order 2.11.3.2 searches them: the first name an item is a prefix of wins.
constexpr std::string_view field_names[] = {
    "up",     "wantedup", "normallyup",  "ready",      "paused",    "pid",      "exitcode",
    "signal", "signum",   "updownsince", "readysince", "updownfor", "readyfor",
};

constexpr unsigned max_fields = 16;

struct fields
{
    field list[max_fields];
    unsigned n = 0;
    void add(field f) noexcept
    {
        if (n >= max_fields) sv::die(sv::exitcode::usage, "too many option fields");
        list[n++] = f;
    }
};

// Adds the fields of one -o argument.  A trailing comma is accepted; an empty item is not.
void parse_o(std::string_view arg, fields &fs) noexcept
{
    while (!arg.empty()) {
        auto const comma = arg.find(',');
        std::string_view const item = arg.substr(0, comma);
        if (item.empty()) sv::die(sv::exitcode::usage, "invalid null option field");
        std::size_t i = 0;
        while (i < std::size(field_names) && !field_names[i].starts_with(item))
            i++;
        if (i == std::size(field_names))
            sv::die(sv::exitcode::usage, "invalid option field: ", item);
        fs.add(static_cast<field>(i));
        arg.remove_prefix(comma == std::string_view::npos ? arg.size() : comma + 1);
    }
}

// Whole seconds from t to now, as an unsigned 64-bit difference like skalibs' tain_sub: a
// readystamp in the future wraps around, exactly as stock prints it.
std::uint64_t seconds_since(sv::tain t, sv::tain now) noexcept
{
    return static_cast<std::uint64_t>(sv::tain_seconds_between(t, now));
}

void put_stamp(sv::out_buf &out, sv::tain t) noexcept
{
    char label[sv::tain_label_size];
    sv::tain_fmt(label, t);
    out.put({label, sizeof label});
}

void put_field(sv::out_buf &out, field f, sv::status const &st, bool normallyup,
               sv::tain now) noexcept
{
    bool const up = st.is_up();
    int const sig = !up && WIFSIGNALED(st.wstat) ? WTERMSIG(st.wstat) : -1;
    auto const boolean = [&](bool b) { out.put(b ? "true" : "false"); };
    switch (f) {
    case field::up:
        boolean(up);
        break;
    case field::wantedup:
        boolean(st.wantup);
        break;
    case field::normallyup:
        boolean(normallyup);
        break;
    case field::ready:
        boolean(st.pid && st.ready);
        break;
    case field::paused:
        boolean(st.paused);
        break;
    case field::pid:
        if (up)
            out.num(st.pid);
        else
            out.put("-1");
        break;
    case field::exitcode:
        out.num(!up && WIFEXITED(st.wstat) ? WEXITSTATUS(st.wstat) : -1);
        break;
    case field::signal:
        if (sig < 0)
            out.put("NA");
        else
            out.put("SIG").put(sv::sig_name(sig));
        break;
    case field::signum:
        out.num(sig);
        break;
    case field::updownsince:
        put_stamp(out, st.stamp);
        break;
    case field::readysince:
        put_stamp(out, st.readystamp);
        break;
    case field::updownfor:
        out.num(seconds_since(st.stamp, now));
        break;
    case field::readyfor:
        out.num(seconds_since(st.readystamp, now));
        break;
    }
}

void put_human(sv::out_buf &out, sv::status const &st, bool normallyup, bool numeric,
               sv::tain now) noexcept
{
    bool const up = st.is_up();
    if (up)
        out.put("up (pid ").num(st.pid).put(") ");
    else {
        out.put("down (");
        if (WIFSIGNALED(st.wstat)) {
            out.put("signal ");
            if (numeric)
                out.num(WTERMSIG(st.wstat));
            else
                out.put("SIG").put(sv::sig_name(WTERMSIG(st.wstat)));
        } else
            out.put("exitcode ").num(WEXITSTATUS(st.wstat));
        out.put(") ");
    }
    out.num(seconds_since(st.stamp, now)).put(" seconds");
    if (up && !normallyup) out.put(", normally down");
    if (!up && normallyup) out.put(", normally up");
    if (up && st.paused) out.put(", paused");
    if (!up && st.wantup) out.put(", want up");
    if (up && !st.wantup) out.put(", want down");
    if (st.ready) out.put(", ready ").num(seconds_since(st.readystamp, now)).put(" seconds");
}

} // namespace

int svstat_main(int argc, char **argv)
{
    sv::prog = "s6-svstat";
    fields fs;
    bool numeric = false;

    sv::opt_parser opts{argc, argv, "no:uwNrpest"};
    while (int c = opts.next()) {
        switch (c) {
        case 'n':
            numeric = true;
            break;
        case 'o':
            parse_o(opts.arg(), fs);
            break;
        case 'u':
            fs.add(field::up);
            break;
        case 'w':
            fs.add(field::wantedup);
            break;
        case 'N':
            fs.add(field::normallyup);
            break;
        case 'r':
            fs.add(field::ready);
            break;
        case 'p':
            fs.add(field::pid);
            break;
        case 'e':
            fs.add(field::exitcode);
            break;
        case 's':
            fs.add(field::signal);
            break;
        case 't':
            fs.add(field::updownfor);
            break;
        default:
            sv::die_usage(usage);
        }
    }
    if (opts.operands().empty()) sv::die_usage(usage);
    std::string_view const dir = opts.operands()[0];

    sv::path_buf lock(dir, "/supervise/lock");
    sv::lock_state ls =
        lock.ok() ? sv::lock_probe(lock.c_str()) : (errno = ENAMETOOLONG, sv::lock_state::error);
    if (ls == sv::lock_state::error) sv::die_sys(sv::exitcode::system, "unable to check ", dir);
    if (ls != sv::lock_state::held)
        sv::die(sv::exitcode::negative, "unable to read status for ", dir,
                ": s6-supervise not running");

    sv::status st;
    if (!sv::status_read(dir, st))
        sv::die_sys(sv::exitcode::system, "unable to read status for ", dir);
    sv::tain const now = sv::tain_now();
    if (st.stamp > now) st.stamp = now;

    bool normallyup = false;
    sv::path_buf down(dir, "/down");
    if (!down.ok()) errno = ENAMETOOLONG;
    if (!down.ok() || access(down.c_str(), F_OK) < 0) {
        if (errno != ENOENT) sv::die_sys(sv::exitcode::system, "unable to access ", down.view());
        normallyup = true;
    }

    sv::out_buf out(1);
    if (!fs.n)
        put_human(out, st, normallyup, numeric, now);
    else
        for (unsigned i = 0; i < fs.n; i++) {
            if (i) out.put(' ');
            put_field(out, fs.list[i], st, normallyup, now);
        }
    out.put('\n');
    if (!out.flush()) sv::die_sys(sv::exitcode::system, "unable to write to stdout");
    return 0;
}
