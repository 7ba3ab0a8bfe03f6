// The lock programs: s6-setlock, s6lockd-helper and s6lockd, against stock s6 2.11.3.2.
//
//   - s6-setlock: the same exit codes and messages as stock for usage and file errors; the
//     lock lasts exactly as long as the program; ours and stock's exclude each other both
//     ways (shared locks coexist); -t goes through OUR helper, gives up at the deadline and
//     leaves no helper behind; a helper that dies or talks garbage is reported, nothing hangs.
//   - s6lockd-helper: the same answers as stock's for the same input; stock s6-setlock -t runs
//     ours when it sits at stock's path (a private mount namespace: the host's file is never
//     touched).
//   - s6lockd: driven by an unchanged stock libs6 client (s6lock_* from Debian's libs6-dev,
//     tests/integration/s6lock_client.cc); stock s6lockd itself cannot grant a lock, which a
//     test shows.
#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <supervise/fd.hh>
#include <supervise/s6lock.hh>
#include <supervise/tai64n.hh>
#include <supervise/textclient.hh>

#include "harness.hh"

using namespace std::string_literals;

extern char **environ; // what our raw textclient sessions pass on to s6lockd

namespace {

char const stock_helper[] = "/usr/lib/x86_64-linux-gnu/s6/s6lockd-helper";

std::string const busy_msg(std::string const &f)
{
    return "s6-setlock: fatal: unable to lock " + f + ": Device or resource busy\n";
}
std::string const timeout_msg = "s6-setlock: fatal: unable to acquire lock: Connection timed out\n";

// The pid of a process holding a lock on path that an exclusive lock would run into, or 0.
// (The test process itself never holds a lock, so opening and closing the file here is safe.)
pid_t lock_owner(std::string const &path)
{
    sv::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    REQUIRE(fcntl(fd.get(), F_GETLK, &fl) == 0);
    return fl.l_type == F_UNLCK ? 0 : fl.l_pid;
}

// The pids of running s6lockd-helper processes (ours or stock's) whose lockfile is file.
std::vector<pid_t> helpers_for(std::string const &file)
{
    std::vector<pid_t> out;
    h::proc_stat st;
    for (pid_t const pid : h::pids()) {
        std::string cmd;
        if (!h::try_read_file("/proc/" + std::to_string(pid) + "/cmdline", cmd)) continue;
        if (h::read_proc_stat(pid, st) && st.state == 'Z') continue; // a zombie holds nothing
        if (cmd.rfind("s6lockd-helper\0"s, 0) == 0 && cmd.size() > file.size() + 1 &&
            cmd.compare(cmd.size() - file.size() - 1, file.size() + 1, file + '\0') == 0)
            out.push_back(pid);
    }
    return out;
}

bool no_helpers_for(std::string const &file)
{
    return h::wait_until([&] { return helpers_for(file).empty(); }, 5000);
}

// A program that holds a lock through s6-setlock: started with setlock ARGS FILE, it touches
// FILE.ready once it runs (with the lock) and sleeps until it is killed.
struct holder {
    std::unique_ptr<h::proc> p;
    holder(h::tempdir const &d, std::string const &setlock, h::strings args, std::string const &file)
    {
        std::string const ready = file + ".ready";
        ::unlink(ready.c_str());
        args.insert(args.begin(), setlock);
        args.insert(args.end(), {file, "sh", "-c", "touch " + ready + "; exec sleep 60"});
        h::mkdirs(d / "holder.log");
        p = std::make_unique<h::proc>(args, d / "holder.log");
        REQUIRE(h::wait_until([&] { return h::exists(ready); }));
    }
    void release()
    {
        p->signal(SIGKILL);
        REQUIRE(p->wait() == 128 + SIGKILL);
    }
};

struct which {
    std::string name, path;
};

std::vector<which> setlocks()
{
    std::vector<which> v{{"ours", h::ours("s6-setlock")}};
    if (h::exists(h::stock("s6-setlock"))) v.push_back({"stock", h::stock("s6-setlock")});
    return v;
}

} // namespace

TEST_CASE("s6-setlock: usage and file errors as stock", "[locks]")
{
    h::need_stock("s6-setlock");
    h::tempdir d;
    h::umask_guard um(022);
    h::run_opts o;
    o.cwd = d.path();
    std::vector<h::strings> const cases = {
        {},
        {"f"},
        {"-d", "f", "true"}, // no -d in 2.11
        {"-t", "x", "f", "true"},
        {"-t"},
        {"-t", "4294967296", "f", "true"},
        {"-t", "+5", "f", "true"},
        {"-x", "f", "true"},
        {"no/such/f", "true"},
        {"-r", "no/such/f", "true"},
        {".", "true"},       // a directory cannot be opened for writing
        {"-r", ".", "true"}, // but it can be read-locked
        {"f", "no-such-program-here"},
        {"f", "/etc/passwd"},
        {"--", "f", "sh", "-c", "echo $# $0"},
        {"-rw", "f", "echo", "exclusive"},
        {"-wr", "f", "echo", "shared"},
        {"-n", "-t", "2000", "f", "echo", "timed"},
        {"-t", "2000", "-n", "f", "echo", "nonblocking"},
        {"-t", "2000", "-N", "f", "echo", "blocking"},
        {"-t", "1000", "no/such/f", "true"}, // the helper's message, then "Broken pipe"
        {"-t", "1000", ".", "true"},
        {"-t", "1000", "-r", ".", "true"},
        {"-t", "1000", "-r", "no/such/f", "true"},
        {"f", "sh", "-c", "exit 42"}, // the program's own code
    };
    for (auto const &args : cases) h::compare("s6-setlock", args, o);
    CHECK(h::exists(d / "f"));
    CHECK((h::mode_of(d / "f") & 0777) == 0644);
}

TEST_CASE("s6-setlock: the lock lasts exactly as long as the program", "[locks]")
{
    h::tempdir d;
    for (auto const &s : setlocks()) {
        INFO(s.name);
        for (h::strings mode : {h::strings{"-w"}, h::strings{"-r"}, h::strings{"-t", "5000"},
                                h::strings{"-r", "-t", "5000"}}) {
            INFO(mode.back());
            std::string const f = d / (s.name + "-" + std::to_string(mode.size()) + mode[0]);
            holder hold(d, s.path, mode, f);
            pid_t const owner = lock_owner(f);
            CHECK(owner != 0);
            if (mode.back() == "5000") {
                // A helper holds it; ours runs our own helper.
                CHECK(owner != hold.p->pid());
                CHECK(helpers_for(f) == std::vector<pid_t>{owner});
                if (s.name == "ours")
                    CHECK(h::read_file("/proc/" + std::to_string(owner) + "/exe") ==
                          h::read_file(h::ours("s6lockd-helper")));
            } else
                CHECK(owner == hold.p->pid()); // the program itself, after the exec
            hold.release();
            CHECK(h::wait_until([&] { return lock_owner(f) == 0; }, 5000));
            CHECK(no_helpers_for(f));
        }
    }
}

TEST_CASE("s6-setlock: ours and stock's exclude each other; shared locks coexist", "[locks]")
{
    h::need_stock("s6-setlock");
    h::tempdir d;
    auto const all = setlocks();
    int n = 0;
    for (auto const &holder_bin : all)
        for (std::string kind : {"-w", "-r"}) {
            std::string const f = d / ("lock" + std::to_string(n++));
            holder hold(d, holder_bin.path, {kind}, f);
            for (auto const &c : all)
                for (h::strings mode : {h::strings{"-n"}, h::strings{"-t", "200"}})
                    for (std::string want : {"-w", "-r"}) {
                        INFO(holder_bin.name << " holds " << kind << ", " << c.name
                                             << " wants " << want << " " << mode[0]);
                        h::strings args{c.path};
                        args.insert(args.end(), mode.begin(), mode.end());
                        args.insert(args.end(), {want, f, "echo", "got it"});
                        auto const r = h::run(args);
                        REQUIRE_FALSE(r.timed_out);
                        if (kind == "-r" && want == "-r") {
                            CHECK(r.code == 0);
                            CHECK(r.out == "got it\n");
                            CHECK(r.err.empty());
                        } else {
                            CHECK(r.code == 1);
                            CHECK(r.out.empty());
                            CHECK(r.err == (mode[0] == "-n" ? busy_msg(f) : timeout_msg));
                        }
                    }
            // Every helper that timed out was told to go: none is left waiting.
            CHECK(no_helpers_for(f));
            hold.release();
            CHECK(h::wait_until([&] { return lock_owner(f) == 0; }, 5000));
        }
}

TEST_CASE("s6-setlock -t: the lock comes when the holder lets go", "[locks]")
{
    h::tempdir d;
    std::string const f = d / "f";
    for (auto const &s : setlocks()) {
        INFO(s.name);
        holder hold(d, h::ours("s6-setlock"), {"-w"}, f);
        std::string const got = d / (s.name + ".got");
        h::mkdirs(d / (s.name + ".log"));
        h::proc waiter({s.path, "-t", "10000", f, "touch", got}, d / (s.name + ".log"));
        REQUIRE(h::wait_until([&] { return helpers_for(f).size() == 1; }));
        CHECK_FALSE(h::exists(got));
        hold.release();
        CHECK(waiter.wait() == 0);
        CHECK(h::exists(got));
        CHECK(no_helpers_for(f));
    }
}

TEST_CASE("s6-setlock -t: a timeout of 2^31 ms or more is honoured", "[locks]")
{
    h::tempdir d;
    std::string const f = d / "f";
    holder hold(d, h::ours("s6-setlock"), {"-w"}, f);
    // Stock passes the timeout to skalibs as an int: from 2^31 ms on, it gives up at once.
    if (h::exists(h::stock("s6-setlock"))) {
        auto const r = h::run({h::stock("s6-setlock"), "-t", "3000000000", f, "true"});
        CHECK(r.code == 1);
        CHECK(r.err == timeout_msg);
    }
    h::mkdirs(d / "log");
    h::proc waiter({h::ours("s6-setlock"), "-t", "3000000000", f, "touch", d / "got"}, d / "log");
    REQUIRE(h::wait_until([&] { return helpers_for(f).size() == 1; }));
    CHECK(waiter.wait(300) == -1); // still waiting
    hold.release();
    CHECK(waiter.wait() == 0);
    CHECK(h::exists(d / "got"));
}

TEST_CASE("s6-setlock -t: a broken helper is reported and nothing hangs", "[locks]")
{
    // A copy of our s6-setlock with a fake helper beside it: it prefers that one.
    h::tempdir d;
    h::mkdirs(d / "bin");
    h::write_file(d / "bin/s6-setlock", h::read_file(h::ours("s6-setlock")), 0755);
    std::string const pidfile = d / "helper.pid";
    struct fake {
        std::string script;
        int code;
        std::string err;
    };
    std::vector<fake> const fakes = {
        {"printf x", 111, "s6-setlock: fatal: helper sent garbage ack\n"},
        {"printf '?!'", 111, "s6-setlock: fatal: helper sent garbage ack\n"},
        {"exit 3", 111, "s6-setlock: fatal: unable to read ack from helper: Broken pipe\n"},
        {"exec 1>&-; exec /bin/sleep 1", 111,
         "s6-setlock: fatal: unable to read ack from helper: Broken pipe\n"},
        {"echo $$ > " + pidfile + "; exec /bin/sleep 60", 1, timeout_msg},
    };
    for (auto const &fk : fakes) {
        INFO(fk.script);
        h::write_file(d / "bin/s6lockd-helper", "#!/bin/sh\n" + fk.script + "\n", 0755);
        auto const r = h::run({d / "bin/s6-setlock", "-t", "300", d / "f", "echo", "ran"});
        REQUIRE_FALSE(r.timed_out);
        CHECK(r.code == fk.code);
        CHECK(r.out.empty());
        CHECK(r.err == fk.err);
    }
    // The helper that never answered was sent SIGTERM: gone (or a zombie awaiting its reaper).
    std::string const pid = h::read_existing(pidfile);
    std::string const stat = "/proc/" + pid.substr(0, pid.size() - 1) + "/stat";
    CHECK(h::wait_until([&] {
        std::string s;
        return !h::try_read_file(stat, s) || s.find(") Z") != std::string::npos;
    }, 5000));

    // With no helper beside it, it falls back to s6pp's libexec directory, never to stock's.
    ::unlink((d / "bin/s6lockd-helper").c_str());
    auto const r = h::run({d / "bin/s6-setlock", "-t", "300", d / "f", "true"});
    if (r.code == 111) {
        CHECK(r.err.find("unable to spawn ") != std::string::npos);
        CHECK(r.err.find("/s6pp/s6lockd-helper") != std::string::npos);
    } else
        CHECK(r.code == 0); // an installed s6pp helper is fine too
    CHECK(r.err.find(stock_helper) == std::string::npos);
}

TEST_CASE("s6lockd-helper: the same answers as stock's", "[locks]")
{
    if (!h::exists(stock_helper)) h::skip("no stock s6lockd-helper at "s + stock_helper);
    h::tempdir d;
    struct tcase {
        h::strings args;
        std::string input;
    };
    std::vector<tcase> const cases = {
        {{}, ""},
        {{"w"}, ""},
        {{"w", "f"}, ""},              // stdin /dev/null: EOF at once
        {{"w", "f"}, "garbage bytes"}, // any byte lets go
        {{"r", "f"}, "x"},
        {{"x", "g"}, ""}, // not 'w': shared
        {{"w", "no/such/f"}, ""},
        {{"r", "no/such/f"}, ""},
        {{"w", "."}, ""},
        {{"r", "."}, ""},
    };
    for (auto const &c : cases) {
        INFO((c.args.empty() ? "" : c.args.back()) << " <" << c.input);
        h::run_opts o;
        o.cwd = d.path();
        o.input = c.input;
        h::strings stock_args{stock_helper};
        stock_args.insert(stock_args.end(), c.args.begin(), c.args.end());
        h::check_same(h::run_ours("s6lockd-helper", c.args, o), h::run(stock_args, o));
    }
    // Held while its stdin stays open; let go, and gone, when it closes.
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    sv::unique_fd rd(p[0]), wr(p[1]);
    std::string const helper = h::ours("s6lockd-helper"), held = d / "held";
    h::child c([&] {
        int null = ::open("/dev/null", O_WRONLY);
        if (::dup2(rd.get(), 0) < 0 || ::dup2(null, 1) < 0) return 126;
        ::execl(helper.c_str(), "s6lockd-helper", "w", held.c_str(), nullptr);
        return 127;
    });
    rd.reset();
    REQUIRE(h::wait_until([&] { return h::exists(held) && lock_owner(held) == c.pid(); }));
    auto const r = h::run({h::ours("s6-setlock"), "-n", held, "true"});
    CHECK(r.code == 1);
    CHECK(r.err == busy_msg(held));
    wr.reset();
    int const st = c.wait(5000);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    CHECK(lock_owner(held) == 0);
}

TEST_CASE("s6lockd-helper: stock s6-setlock -t runs ours at stock's path", "[locks]")
{
    h::need_root("a private mount namespace to put our helper at stock's path");
    h::need_stock("s6-setlock");
    if (!h::exists(stock_helper)) h::skip("no stock s6lockd-helper at "s + stock_helper);
    if (!h::exists("/usr/bin/unshare")) h::skip("no unshare(1)");
    h::tempdir d;
    std::string const ours = h::ours("s6lockd-helper");
    std::string const f = d / "f";
    holder hold(d, h::ours("s6-setlock"), {}, d / "busy");
    // Inside: our helper over stock's (the host's file is untouched), then stock s6-setlock:
    // once with the lock, asking its own child helper whether it is ours; once with a missing
    // directory (our helper's message); once against a held lock (timed out).
    std::string const script =
        "mount --make-rprivate / && mount --bind " + ours + " " + stock_helper +
        " || exit 99\n"
        "s6-setlock -t 5000 " + f +
        " sh -c 'for c in $(cat /proc/$$/task/$$/children); do"
        " cmp -s /proc/$c/exe " + ours + " && echo ours: $(tr \"\\0\" \" \" < /proc/$c/cmdline);"
        " done; exit 0'\n"
        "echo rc=$?\n"
        "s6-setlock -t 5000 " + (d / "no/such/f") + " true; echo rc=$?\n"
        "s6-setlock -t 200 " + (d / "busy") + " true; echo rc=$?\n";
    auto const r = h::run({"/usr/bin/unshare", "-m", "sh", "-c", script});
    REQUIRE_FALSE(r.timed_out);
    if (r.code == 99) h::skip("cannot bind-mount in a new mount namespace: " + r.err);
    CHECK(r.out == "ours: s6lockd-helper w " + f + "\nrc=0\nrc=111\nrc=1\n");
    CHECK(r.err == "s6lockd-helper: fatal: unable to open " + (d / "no/such/f") +
                       " for writing: No such file or directory\n"
                       "s6-setlock: fatal: unable to read ack from helper: Broken pipe\n" +
                       timeout_msg);
    CHECK(no_helpers_for(d / "busy"));
    CHECK(h::read_file(stock_helper) != h::read_file(ours)); // the host's file is stock's
}

// ---- s6lockd -----------------------------------------------------------------------------

namespace {

#ifdef S6LOCK_CLIENT
char const client[] = S6LOCK_CLIENT;
#endif

// Runs the stock-libs6 client on our s6lockd in the background; its transcript is its stdout.
std::unique_ptr<h::proc> client_on_ours(h::tempdir const &d, std::string const &lockdir,
                                        h::strings steps)
{
#ifdef S6LOCK_CLIENT
    steps.insert(steps.begin(), {client, "-p", h::ours("s6lockd"), lockdir});
    h::mkdirs(d / "client.log");
    return std::make_unique<h::proc>(steps, d / "client.log");
#else
    (void)d, (void)lockdir, (void)steps;
    h::skip("stock libs6 (libs6-dev, skalibs-dev) was not found at build time: no s6lock client");
#endif
}

// Our raw textclient session with an s6lockd (not libs6's): for bytes libs6 never sends.
struct raw_session {
    sv::text_client c;
    explicit raw_session(std::string const &daemon, std::string const &lockdir)
    {
        char const *argv[] = {daemon.c_str(), lockdir.c_str(), nullptr};
        REQUIRE(c.start(argv, environ, sv::s6lock_banner1, sv::s6lock_banner2,
                        sv::mono_ms() + 5000));
    }
    std::string ask(std::string const &msg)
    {
        std::string_view a;
        REQUIRE(c.exchange({msg}, a, sv::mono_ms() + 5000));
        return std::string(a);
    }
    std::string next_event()
    {
        std::string_view m;
        if (!sv::text_receive_until(c.async(), m, sv::mono_ms() + 5000)) return "none";
        std::uint16_t id;
        unsigned char code;
        REQUIRE(sv::s6lock_parse_event(m, id, code));
        return std::to_string(id) + ":" + std::to_string(code);
    }
};

std::string acquire_msg(std::uint16_t id, bool ex, std::string const &path)
{
    char head[sv::s6lock_acquire_head];
    sv::s6lock_pack_acquire(head, id, ex, sv::tain{}, static_cast<std::uint32_t>(path.size()));
    return std::string(head, sizeof head) + path + '\0';
}

} // namespace

TEST_CASE("s6lockd: usage and start-up errors as stock", "[locks]")
{
    h::need_stock("s6lockd");
    h::compare("s6lockd", {});
    h::compare("s6lockd", {"/no/such/dir"});
}

TEST_CASE("s6lockd: a stock libs6 client acquires, holds and releases a lock", "[locks]")
{
    h::tempdir d;
    std::string const lockdir = d / "locks";
    h::mkdirs(lockdir);
    auto c = client_on_ours(d, lockdir,
                            {"acquire", "0", "w", "x", "0", "wait", "0", "2000", "touch", d / "T1",
                             "until", d / "T2", "release", "0", "touch", d / "T3", "until",
                             d / "T4"});
    REQUIRE(h::wait_until([&] { return h::exists(d / "T1"); }));
    // Held by one of our helpers, working in the lock directory.
    std::string const x = lockdir + "/x";
    pid_t const owner = lock_owner(x);
    CHECK(helpers_for("./x") == std::vector<pid_t>{owner});
    CHECK(h::read_file("/proc/" + std::to_string(owner) + "/exe") ==
          h::read_file(h::ours("s6lockd-helper")));
    auto const r = h::run({h::ours("s6-setlock"), "-n", "-r", x, "true"});
    CHECK(r.code == 1);
    h::write_file(d / "T2", "");
    REQUIRE(h::wait_until([&] { return h::exists(d / "T3"); }));
    // The release kills the helper before it is answered; the lock goes when the helper
    // has died, a moment later.
    CHECK(h::wait_until([&] { return lock_owner(x) == 0; }));
    CHECK(no_helpers_for("./x"));
    h::write_file(d / "T4", "");
    CHECK(c->wait() == 0);
    CHECK(c->out() == "start: ok\nacquire 0: ok\nwait 0: ok\nrelease 0: ok\n");
}

TEST_CASE("s6lockd: limits, waiting for a holder, shared locks, and the end of a session",
          "[locks]")
{
    h::tempdir d;
    std::string const lockdir = d / "locks";
    h::mkdirs(lockdir);
    holder hold(d, h::ours("s6-setlock"), {"-w"}, lockdir + "/y");
    auto c = client_on_ours(
        d, lockdir,
        {"acquire", "0", "r", "y", "300", "wait", "0", "3000", // the limit passes first
         "acquire", "1", "r", "y", "0", "touch", d / "T1", "wait", "1", "10000",
         "acquire", "2", "r", "y", "0", "wait", "2", "2000",    // shared with 1
         "acquire", "3", "w", "z", "0", "wait", "3", "2000",
         "acquire", "4", "w", "z", "0", "acquire", "5", "w", "q", "0",
         "waitor", "4", "5", "2000",                             // q is free, z is not
         "touch", d / "T2", "until", d / "T3"});
    REQUIRE(h::wait_until([&] { return h::exists(d / "T1"); }));
    hold.release(); // now 1 gets it
    REQUIRE(h::wait_until([&] { return h::exists(d / "T2"); }));
    CHECK(helpers_for("./y").size() == 2);
    CHECK(helpers_for("./z").size() == 2);
    // The client goes without releasing anything: s6lockd stops every helper.
    h::write_file(d / "T3", "");
    CHECK(c->wait() == 0);
    CHECK(c->out() == "start: ok\nacquire 0: ok\nwait 0: Connection timed out\n"
                      "acquire 1: ok\nwait 1: ok\nacquire 2: ok\nwait 2: ok\n"
                      "acquire 3: ok\nwait 3: ok\nacquire 4: ok\nacquire 5: ok\nwaitor: 1\n");
    for (std::string f : {"./y", "./z", "./q"}) CHECK(no_helpers_for(f));
    for (std::string f : {"/y", "/z", "/q"})
        CHECK(h::wait_until([&] { return lock_owner(lockdir + f) == 0; }, 5000));
}

TEST_CASE("s6lockd: stock s6lockd 2.11.3.2 cannot grant a lock to libs6", "[locks]")
{
    h::need_stock("s6lockd");
#ifndef S6LOCK_CLIENT
    h::skip("stock libs6 (libs6-dev, skalibs-dev) was not found at build time: no s6lock client");
#else
    // The reason ours follows the documentation instead of the binary.
    h::tempdir d;
    auto const r = h::run({client, d.path(), "acquire", "0", "w", "x", "0"});
    CHECK(r.out == "start: ok\nacquire 0: Protocol error\n");
#endif
}

TEST_CASE("s6lockd: s6lock_startf itself runs ours where stock's would be", "[locks]")
{
#ifndef S6LOCK_CLIENT
    h::skip("stock libs6 (libs6-dev, skalibs-dev) was not found at build time: no s6lock client");
#else
    h::need_root("a private mount namespace to put our s6lockd at /usr/bin/s6lockd");
    h::need_stock("s6lockd");
    if (!h::exists("/usr/bin/unshare")) h::skip("no unshare(1)");
    h::tempdir d;
    // libs6 runs /usr/bin/s6lockd; ours finds its helper next to itself (not there: it is
    // /usr/bin) or in its compiled-in libexec directory, which the namespace provides.
    std::string const libexec = S6PP_LIBEXECDIR;
    std::string const script =
        "mount --make-rprivate / && mount --bind " + h::ours("s6lockd") + " /usr/bin/s6lockd" +
        " || exit 99\n"
        "d=" + libexec + "; a=$d; while [ ! -e \"$a\" ]; do a=${a%/*}; done\n"
        "if [ ! -e \"$d/s6lockd-helper\" ]; then\n"
        "  case $a in /|/usr|'') exit 98;; esac\n"
        "  mount -t tmpfs s6pp \"$a\" && mkdir -p \"$d\" && : > \"$d/s6lockd-helper\" || exit 99\n"
        "fi\n"
        "mount --bind " + h::ours("s6lockd-helper") + " \"$d/s6lockd-helper\" || exit 99\n"
        "exec " + client + " " + d.path() + " acquire 0 w x 0 wait 0 2000 release 0\n";
    auto const r = h::run({"/usr/bin/unshare", "-m", "sh", "-c", script});
    REQUIRE_FALSE(r.timed_out);
    if (r.code == 98) h::skip("no place for a tmpfs above " + libexec);
    if (r.code == 99) h::skip("cannot mount in a new mount namespace: " + r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "start: ok\nacquire 0: ok\nwait 0: ok\nrelease 0: ok\n");
    CHECK(r.err.empty());
#endif
}

TEST_CASE("s6lockd: bad requests and broken helpers", "[locks]")
{
    h::tempdir d;
    h::mkdirs(d / "locks");
    SECTION("malformed acquires are answered, a non-s6lock request ends the daemon")
    {
        raw_session s(h::ours("s6lockd"), d / "locks");
        std::string off_by_one = acquire_msg(0, true, "x");
        off_by_one.pop_back(); // what stock s6lockd expected
        CHECK(s.ask(off_by_one) == std::string(1, EPROTO));
        CHECK(s.ask("\0\7>"s) == std::string(1, ENOENT));
        CHECK(s.ask(acquire_msg(1, true, "x")) == "\0"s);
        CHECK(s.next_event() == "1:0");
        CHECK(s.ask(acquire_msg(1, true, "y")) == std::string(1, EEXIST));
        std::string_view a;
        CHECK_FALSE(s.c.exchange({"\0\1"s}, a, sv::mono_ms() + 5000));
        int const st = s.c.end();
        CHECK(WIFEXITED(st));
        CHECK(WEXITSTATUS(st) == 100); // "s6lockd: fatal: invalid client request"
        CHECK(no_helpers_for("./x"));
    }
    SECTION("a helper that fails, dies or talks garbage loses its lock")
    {
        // A copy of our s6lockd with a fake helper beside it: it prefers that one.
        h::mkdirs(d / "bin");
        h::write_file(d / "bin/s6lockd", h::read_file(h::ours("s6lockd")), 0755);
        h::write_file(d / "bin/s6lockd-helper",
                      "#!/bin/sh\ncase $2 in ./garbage) printf x;; ./late) printf '!x';;"
                      " ./hang) exec /bin/sleep 60;; esac\n",
                      0755);
        raw_session s(d / "bin/s6lockd", d / "locks");
        CHECK(s.ask(acquire_msg(1, true, "garbage")) == "\0"s);
        CHECK(s.next_event() == "1:" + std::to_string(EPROTO));
        CHECK(s.ask(acquire_msg(2, true, "exits")) == "\0"s);
        CHECK(s.next_event() == "2:" + std::to_string(EPIPE));
        CHECK(s.ask(acquire_msg(3, false, "late")) == "\0"s);
        CHECK(s.next_event() == "3:0");
        CHECK(s.next_event() == "3:" + std::to_string(EPROTO));
        // A limit already past: timed out at once, and the helper stopped.
        char head[sv::s6lock_acquire_head];
        sv::s6lock_pack_acquire(head, 4, true, sv::tain_now(), 4);
        CHECK(s.ask(std::string(head, sizeof head) + "hang" + '\0') == "\0"s);
        CHECK(s.next_event() == "4:" + std::to_string(ETIMEDOUT));
        CHECK(s.ask("\0\4>"s) == std::string(1, ENOENT));
        int const st = s.c.end();
        CHECK(WIFEXITED(st));
        CHECK(WEXITSTATUS(st) == 0);
    }
    SECTION("a lock file that cannot be made: the real helper's error, then EPIPE")
    {
        raw_session s(h::ours("s6lockd"), d / "locks");
        CHECK(s.ask(acquire_msg(9, true, "no/such/x")) == "\0"s);
        CHECK(s.next_event() == "9:" + std::to_string(EPIPE));
    }
}
