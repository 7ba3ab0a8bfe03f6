// The lock programs: s6-setlock and s6lockd-helper, against stock s6 2.11.3.2.
//
//   - s6-setlock: the same exit codes and messages as stock for usage and file errors; the
//     lock lasts exactly as long as the program; ours and stock's exclude each other both
//     ways (shared locks coexist); -t goes through OUR helper, gives up at the deadline and
//     leaves no helper behind; a helper that dies or talks garbage is reported, nothing hangs.
//   - s6lockd-helper: the same answers as stock's for the same input; stock s6-setlock -t runs
//     ours when it sits at stock's path (a private mount namespace: the host's file is never
//     touched).
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

#include "harness.hh"

using namespace std::string_literals;

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
    DIR *d = ::opendir("/proc");
    REQUIRE(d);
    while (dirent *e = ::readdir(d)) {
        pid_t const pid = std::atoi(e->d_name);
        if (pid <= 0) continue;
        std::string cmd;
        if (!h::try_read_file("/proc/" + std::to_string(pid) + "/cmdline", cmd)) continue;
        std::string stat;
        h::try_read_file("/proc/" + std::to_string(pid) + "/stat", stat);
        if (stat.find(") Z") != std::string::npos) continue; // a zombie holds nothing
        if (cmd.rfind("s6lockd-helper\0"s, 0) == 0 && cmd.size() > file.size() + 1 &&
            cmd.compare(cmd.size() - file.size() - 1, file.size() + 1, file + '\0') == 0)
            out.push_back(pid);
    }
    ::closedir(d);
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
        {"-n", "-t", "100", "f", "echo", "timed"},
        {"-t", "100", "-n", "f", "echo", "nonblocking"},
        {"-t", "100", "-N", "f", "echo", "blocking"},
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
