// s6-rc 0.5.4.1 as a real client of s6pp.  Debian 12 has no s6-rc package, so it is built
// from the oracles folder (h::oracle_build, cached), dynamically against Debian's libs6: its
// programs run /usr/bin/s6-svc, /usr/bin/s6-sudo, /usr/bin/s6-fdholder-*... at compiled-in
// paths, and stock libs6 spawns /usr/bin/s6-ftrigrd.  So the tests run it in a private mount
// namespace where every program of the stock s6 package (dpkg -L s6) is covered by a bind
// mount: by our binary of that name, or, for a program s6pp does not build, by a stub that
// logs its name and exits 111.  The host's /usr/bin is never touched.  A test fails, naming
// the programs, if s6-rc ran a stub; and it checks that the running supervisors and servers
// are our executables (their /proc/PID/exe is our file).
#include <catch2/catch.hpp>

#include "harness.hh"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <sched.h>
#include <string>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <linux/close_range.h>

#include <supervise/tai64n.hh>

namespace {

constexpr char const *nsenter = "/usr/bin/nsenter";

// The stock s6 package's programs: its files in /usr/bin and in its libexec directory.
h::strings stock_programs()
{
    auto r = h::run({"/usr/bin/dpkg", "-L", "s6"});
    if (r.code != 0) h::skip("no stock s6 package (dpkg -L s6 failed)");
    h::strings v;
    for (auto const &l : h::lines_of(r.out)) {
        bool const bin = l.rfind("/usr/bin/", 0) == 0;
        bool const libexec = l.rfind("/usr/lib/", 0) == 0 && l.find("/s6/") != std::string::npos;
        struct stat st;
        if ((bin || libexec) && stat(l.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            (st.st_mode & 0111))
            v.push_back(l);
    }
    return v;
}

std::string base_name(std::string const &p)
{
    return p.substr(p.rfind('/') + 1);
}

// A private mount namespace in which each stock program is covered by ours or by a stub: a
// forked child unshares its mount namespace, makes every mount private (nothing propagates
// back to the host), bind-mounts, reports, and waits to be killed.  Programs run in it
// through nsenter.
class stock_replaced
{
public:
    explicit stock_replaced(std::string const &stub_dir) : stub_dir_(stub_dir)
    {
        h::mkdirs(stub_dir);
        used_ = stub_dir + "/used";
        h::write_file(used_, "");
        std::vector<std::pair<std::string, std::string>> binds;
        for (auto const &p : stock_programs()) {
            std::string const n = base_name(p);
            if (h::ours_built(n)) {
                binds.push_back({h::ours(n), p});
                replaced_.push_back(n);
            } else {
                h::write_stub(stub_dir + "/" + n, n, used_);
                binds.push_back({stub_dir + "/" + n, p});
                stubbed_.push_back(n);
            }
        }
        // Debian's s6 2.11.3.2: 65 programs in /usr/bin, and s6lockd-helper.
        REQUIRE(replaced_.size() + stubbed_.size() == 66);
        h::pipe_pair report;
        holder_ = std::make_unique<h::child>([&]() -> int {
            int const w = report.w.get();
            std::string msg = "ok";
            if (unshare(CLONE_NEWNS) < 0)
                msg = "unshare";
            else if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
                msg = "mount --make-rprivate /";
            else
                for (auto const &[from, to] : binds)
                    if (mount(from.c_str(), to.c_str(), nullptr, MS_BIND, nullptr) < 0) {
                        msg = "bind " + from + " " + to;
                        break;
                    }
            if (msg != "ok") msg += std::string(": ") + strerror(errno);
            if (!h::write_full_fd(w, msg)) return 1;
            close_range(3, ~0U, 0);
            while (true)
                pause();
        });
        report.w.reset();
        REQUIRE(h::wait_readable(report.r.get(), sv::mono_ms() + 10000));
        char buf[512];
        ssize_t n = read(report.r.get(), buf, sizeof buf);
        REQUIRE(n > 0);
        REQUIRE(std::string(buf, static_cast<std::size_t>(n)) == "ok");
    }

    // argv run to completion inside the namespace.
    h::result run(h::strings const &argv, int timeout_ms = 20000) const
    {
        h::run_opts o;
        o.timeout_ms = timeout_ms;
        return h::run(in_ns(argv), o);
    }
    // argv started in the background inside the namespace (nsenter execs it: same pid).
    std::unique_ptr<h::proc> start(h::strings const &argv, std::string const &log_dir) const
    {
        return std::make_unique<h::proc>(in_ns(argv), log_dir);
    }

    // The stubbed programs that something ran (h::stubs_run).
    std::string stubs_run() const { return h::stubs_run(used_); }
    h::strings const &stubbed() const { return stubbed_; }

private:
    h::strings in_ns(h::strings const &argv) const
    {
        h::strings v = {nsenter, "-t", std::to_string(holder_->pid()), "-m", "--"};
        v.insert(v.end(), argv.begin(), argv.end());
        return v;
    }

    std::string stub_dir_, used_;
    h::strings replaced_, stubbed_;
    std::unique_ptr<h::child> holder_;
};

// Whether a and b are the same file (device and inode).
bool same_file(std::string const &a, std::string const &b)
{
    struct stat sa, sb;
    return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

// Whether pid runs the executable file path (same device and inode), as the program named
// path's base name (its comm: some of ours share one executable).
bool runs(pid_t pid, std::string const &path)
{
    return h::read_file("/proc/" + std::to_string(pid) + "/comm") == base_name(path) + "\n" &&
           same_file("/proc/" + std::to_string(pid) + "/exe", path);
}

// The children of pid (from /proc/*/stat).
std::vector<pid_t> children_of(pid_t parent)
{
    std::vector<pid_t> v;
    h::proc_stat st;
    for (pid_t const p : h::pids())
        if (h::read_proc_stat(p, st) && st.ppid == parent) v.push_back(p);
    return v;
}

// One s6-rc setup: a service database compiled from sources written here, our s6-svscan on a
// scan directory in the namespace, s6-rc-init'ed.  Destruction stops the whole tree.
struct rc_world
{
    std::string prefix = h::s6rc_prefix(); // skips without the oracles
    h::tempdir t;
    stock_replaced ns{t / "stubs"};
    std::string src = t / "src", compiled = t / "compiled", scan = t / "scan", live = t / "live",
                order = t / "order", consumed = t / "consumed";
    std::unique_ptr<h::proc> svscan;

    rc_world()
    {
        h::mkdirs(t / "logs");
        h::write_file(order, "");
        auto longrun = [&](std::string const &name, std::string const &run,
                           std::vector<std::pair<std::string, std::string>> extra = {}) {
            h::mkdirs(src + "/" + name);
            h::write_file(src + "/" + name + "/type", "longrun\n");
            h::write_file(src + "/" + name + "/run", "#!/bin/sh\n" + run, 0755);
            for (auto const &[f, c] : extra)
                h::write_file(src + "/" + name + "/" + f, c);
        };
        auto oneshot = [&](std::string const &name, std::string const &up,
                           std::string const &down = "") {
            h::mkdirs(src + "/" + name);
            h::write_file(src + "/" + name + "/type", "oneshot\n");
            h::write_file(src + "/" + name + "/up", up + "\n");
            if (!down.empty()) h::write_file(src + "/" + name + "/down", down + "\n");
        };
        auto append = [&](std::string const &what) { return "echo " + what + " >> " + order; };
        // up and down are execline: a /bin/sh command line inside.
        oneshot("setup", "/bin/sh -c \"" + append("setup") + "\"",
                "/bin/sh -c \"" + append("setup-down") + "\"");
        // server needs setup done, and takes a while to be ready (notification-fd): client,
        // which depends on it, must not start before.
        longrun("server",
                "grep -qx setup " + order + " || exit 1\nsleep 0.3\n" + append("server") +
                    "\necho >&3\nexec sleep 1000\n",
                {{"dependencies", "setup\n"}, {"notification-fd", "3\n"}});
        longrun("client", append("client") + "\nexec sleep 1000\n", {{"dependencies", "server\n"}});
        // A pipeline: producer's stdout is consumer's stdin, through a pipe s6-rc keeps in
        // its fd-holder.
        longrun("producer", "echo through-the-pipe\nexec sleep 1000\n",
                {{"producer-for", "consumer\n"}});
        longrun("consumer", "while read -r l; do echo \"$l\" >> " + consumed + "; done\n",
                {{"consumer-for", "producer\n"}, {"pipeline-name", "pipe\n"}});
        h::mkdirs(src + "/all");
        h::write_file(src + "/all/type", "bundle\n");
        h::write_file(src + "/all/contents", "client\npipe\n");
        oneshot("failing", "exit 3");
        longrun("never-ready", "exec sleep 1000\n",
                {{"notification-fd", "3\n"}, {"timeout-up", "300\n"}});

        auto r = ns.run({prefix + "/bin/s6-rc-compile", compiled, src});
        INFO(r.err);
        REQUIRE(r.code == 0);
        h::mkdirs(scan);
        svscan = ns.start({"/usr/bin/s6-svscan", scan}, t / "logs");
        REQUIRE(h::wait_until([&] { return h::exists(scan + "/.s6-svscan/control"); }));
        r = ns.run({prefix + "/bin/s6-rc-init", "-c", compiled, "-l", live, scan});
        INFO(r.err);
        REQUIRE(r.code == 0);
    }

    ~rc_world()
    {
        if (svscan && svscan->running()) {
            h::run({h::ours("s6-svscanctl"), "-t", scan});
            if (svscan->wait(10000) < 0) svscan->signal(SIGKILL);
        }
    }

    // s6-rc -l LIVE ARGS in the namespace, with a 10 s timeout on transitions.
    h::result rc(h::strings const &args) const
    {
        h::strings v = {prefix + "/bin/s6-rc", "-l", live};
        v.insert(v.end(), args.begin(), args.end());
        return ns.run(v);
    }

    // The services s6-rc lists as up (s6-rc -a list), sorted.
    h::strings active() const
    {
        auto r = rc({"-a", "list"});
        INFO(r.err);
        CHECK(r.code == 0);
        auto v = h::lines_of(r.out);
        std::sort(v.begin(), v.end());
        return v;
    }

    bool is_up(std::string const &svc) const { return h::status_of(scan + "/" + svc).is_up(); }

    // Fails the test, naming them, if s6-rc ran any program that s6pp does not build.
    void no_stub_run() const
    {
        std::string const names = ns.stubs_run();
        INFO("stock programs s6pp lacks, which s6-rc ran (stubs exiting 111):" << names);
        CHECK(names.empty());
    }
};

h::strings sorted(h::strings v)
{
    std::sort(v.begin(), v.end());
    return v;
}

} // namespace

TEST_CASE("s6-rc 0.5.4.1 brings a database up and down over s6pp alone", "[s6rc]")
{
    h::need_root("bind mounts in a private mount namespace");
    rc_world w;
    INFO("stubbed (not built by s6pp):" << [&] {
        std::string s;
        for (auto const &n : w.ns.stubbed())
            s += " " + n;
        return s;
    }());

    auto r = w.rc({"-t", "10000", "-u", "change", "all"});
    INFO("s6-rc -u change all: " << r.err);
    CHECK(r.code == 0);
    w.no_stub_run();
    // Dependency order: the oneshot ran, then server was up and ready, then client started
    // (s6-rc is done when client's run script has started: it may not have written yet).
    CHECK(h::wait_until([&] { return h::read_file(w.order) == "setup\nserver\nclient\n"; }));
    // The pipeline carries producer's output to consumer.
    CHECK(h::wait_until([&] { return h::read_file(w.consumed) == "through-the-pipe\n"; }));
    CHECK(w.active() == sorted({"client", "consumer", "producer", "s6rc-fdholder",
                                "s6rc-oneshot-runner", "server", "setup"}));
    for (char const *s : {"client", "consumer", "producer", "server"}) {
        INFO(s);
        CHECK(w.is_up(s));
    }
    CHECK(h::status_of(w.scan + "/server").ready);

    // The programs running are ours: the supervisors, and the fd-holder's and the oneshot
    // runner's servers (what s6-fdholder-daemon and the runner's socketbinder chain exec).
    auto sups = children_of(w.svscan->pid());
    CHECK(sups.size() >= 6);
    for (pid_t p : sups) {
        INFO("supervisor " << p);
        CHECK(runs(p, h::ours("s6-supervise")));
    }
    CHECK(runs(w.svscan->pid(), h::ours("s6-svscan")));
    // ... while the host's /usr/bin is stock's still.
    CHECK(!same_file("/proc/" + std::to_string(w.svscan->pid()) + "/exe", "/usr/bin/s6-svscan"));
    CHECK(runs(static_cast<pid_t>(h::status_of(w.scan + "/s6rc-fdholder").pid),
               h::ours("s6-fdholderd")));
    CHECK(runs(static_cast<pid_t>(h::status_of(w.scan + "/s6rc-oneshot-runner").pid),
               h::ours("s6-ipcserverd")));

    // Down: server takes its dependent client with it; the rest stays.
    r = w.rc({"-t", "10000", "-d", "change", "server"});
    INFO("s6-rc -d change server: " << r.err);
    CHECK(r.code == 0);
    CHECK(!w.is_up("server"));
    CHECK(!w.is_up("client"));
    CHECK(w.is_up("producer"));
    CHECK(w.active() ==
          sorted({"consumer", "producer", "s6rc-fdholder", "s6rc-oneshot-runner", "setup"}));

    // -da: everything down but s6-rc's own essential services; the oneshot's down script ran.
    r = w.rc({"-t", "10000", "-da", "change"});
    INFO("s6-rc -da change: " << r.err);
    CHECK(r.code == 0);
    CHECK(h::read_file(w.order) == "setup\nserver\nclient\nsetup-down\n");
    for (char const *s : {"client", "consumer", "producer", "server"}) {
        INFO(s);
        CHECK(!w.is_up(s));
    }
    for (auto const &s : w.active()) {
        INFO(s);
        CHECK(s.rfind("s6rc-", 0) == 0);
    }
    w.no_stub_run();
}

TEST_CASE("s6-rc over s6pp: a failing oneshot, a readiness timeout and an unknown name give "
          "s6-rc's exit codes",
          "[s6rc]")
{
    h::need_root("bind mounts in a private mount namespace");
    rc_world w;
    // The oneshot's up script exits 3: s6-rc change exits 1, saying which service failed.
    auto r = w.rc({"-t", "10000", "-u", "change", "failing"});
    INFO(r.err);
    CHECK(r.code == 1);
    CHECK(r.err.find("failing") != std::string::npos);
    auto act = w.active();
    CHECK(std::find(act.begin(), act.end(), "failing") == act.end());
    // A longrun that never tells its readiness, with a timeout of its own: our s6-svlisten1
    // gives up (99), and s6-rc reports the service as failed (1).  (s6-rc's global -t would
    // race its own deadline against s6-svlisten1's, which s6-rc computes from the same one.)
    r = w.rc({"-u", "change", "never-ready"});
    INFO(r.err);
    CHECK(r.code == 1);
    CHECK(r.err.find("unable to start service never-ready: command exited 99") !=
          std::string::npos);
    // s6-rc's answer to a longrun that failed to start is s6-svc -d on it (failure_longrun in
    // s6-rc.c): it ends down, and no longer wanted up, whenever the supervisor had spawned it.
    CHECK(h::wait_status(w.scan + "/never-ready",
                         [](sv::status const &s) { return !s.wantup && !s.is_up(); }));
    // An unknown service name: 3.
    r = w.rc({"-u", "change", "no-such-service"});
    CHECK(r.code == 3);
    // A oneshot that works, after the one that did not: the runner is still serving.
    r = w.rc({"-t", "10000", "-u", "change", "setup"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(h::read_file(w.order) == "setup\n");
    w.no_stub_run();
}

TEST_CASE("s6-rc-update over s6pp: a live switch to a new database keeps the pipeline's pipe",
          "[s6rc]")
{
    h::need_root("bind mounts in a private mount namespace");
    rc_world w;
    auto r = w.rc({"-t", "10000", "-u", "change", "all"});
    INFO("s6-rc -u change all: " << r.err);
    REQUIRE(r.code == 0);
    REQUIRE(h::wait_until([&] { return h::read_file(w.consumed) == "through-the-pipe\n"; }));

    // The new database: client is gone, extra is new, the rest as before.
    std::string const src2 = w.t / "src2", compiled2 = w.t / "compiled2";
    REQUIRE(h::run({"/bin/cp", "-a", w.src, src2}).code == 0);
    REQUIRE(h::run({"/bin/rm", "-rf", src2 + "/client"}).code == 0);
    h::write_file(src2 + "/all/contents", "server\npipe\n");
    h::mkdirs(src2 + "/extra");
    h::write_file(src2 + "/extra/type", "longrun\n");
    h::write_file(src2 + "/extra/run", "#!/bin/sh\nexec sleep 1000\n", 0755);
    r = w.ns.run({w.prefix + "/bin/s6-rc-compile", compiled2, src2});
    INFO(r.err);
    REQUIRE(r.code == 0);

    // (s6-rc-update runs s6-rc from the PATH.)
    r = w.ns.run({"/usr/bin/env", "PATH=" + w.prefix + "/bin:/usr/bin:/bin",
                  w.prefix + "/bin/s6-rc-update", "-t", "10000", "-l", w.live, compiled2});
    INFO("s6-rc-update: " << r.err);
    CHECK(r.code == 0);
    // client was stopped and its service directory left the scan directory.
    CHECK(h::wait_until([&] { return !h::exists(w.scan + "/client"); }));
    CHECK(w.active() == sorted({"consumer", "producer", "s6rc-fdholder", "s6rc-oneshot-runner",
                                "server", "setup"}));
    r = w.rc({"-t", "10000", "-u", "change", "extra"});
    INFO("s6-rc -u change extra: " << r.err);
    CHECK(r.code == 0);
    CHECK(w.is_up("extra"));
    // The pipe survived in our fd-holder: a restarted producer writes into it again.
    CHECK(h::run({h::ours("s6-svc"), "-r", w.scan + "/producer"}).code == 0);
    CHECK(h::wait_until(
        [&] { return h::read_file(w.consumed) == "through-the-pipe\nthrough-the-pipe\n"; }));
    w.no_stub_run();
}
