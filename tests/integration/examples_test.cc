// The example images under examples/, booted from their files as they are in the tree: a
// busybox root (h::container, tests/harness/harness.hh) with our static binaries, the
// example's rootfs/ copied over it, and the example's entry point run by runc (or unshare,
// for the cases that only need a run to completion).  One test per promise in the example's
// README.
#include <catch2/catch.hpp>

#include "harness.hh"

#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

// An image of ours (h::container::add_init_image), which each example copies its files over.
struct container : h::container {
    container() : h::container("s6pp-ex") { add_init_image(); }
};
using h::rt;

bool contains(std::string const &hay, std::string const &needle)
{
    return hay.find(needle) != std::string::npos;
}

std::string example(std::string const &rel)
{
    return std::string(EXAMPLES_DIR) + "/" + rel;
}

// --- tiny base ------------------------------------------------------------------------------

// A tiny-base root: the example's rootfs and the syslog service, as its Dockerfile lays them
// out, with the s6 tools it uses.
void tiny_base(container &c)
{
    for (char const *t : {"s6-socklog", "s6-svlisten1"}) c.tool(t);
    c.copy_in(example("tiny-base/rootfs"));
    h::mkdirs(c.path("etc/service/syslogd"));
    c.copy_in(example("syslog/syslogd"), "etc/service/syslogd");
    c.entry = "/sbin/init";
    h::mkdirs(c.path("root")); // root's home, where crond runs its jobs (Alpine has it)
}

// True if the file REL of the root exists and holds NEEDLE.
bool file_has(container const &c, std::string const &rel, std::string const &needle)
{
    return h::exists(c.path(rel)) && contains(h::read_file(c.path(rel)), needle);
}

bool scanning(container const &c)
{
    return h::exists(c.path("etc/service/.s6-svscan/control"));
}

} // namespace

TEST_CASE("tiny base: /etc/init runs recursively in path order, a failure stops the boot",
          "[examples]")
{
    rt how = h::need_runtime();
    {
        container c;
        tiny_base(c);
        auto step = [&c](std::string const &rel, int code = 0) {
            c.file("etc/init/" + rel, "#!/bin/sh\necho " + rel + " >>/tmp/order\nexit " +
                                          std::to_string(code) + "\n");
        };
        step("30-last");
        step("10-first");
        step("20-dir/05-inner");
        step("20-dir/30-inner");
        c.file("etc/init/15-not-executable", "#!/bin/sh\necho 15 >>/tmp/order\n", 0644);
        auto r = c.run(how, {"sh", "-c", "cat /tmp/order; exec /usr/local/sbin/shutdown"});
        INFO(r.err);
        CHECK(r.code == 0);
        CHECK(contains(r.out, "10-first\n20-dir/05-inner\n20-dir/30-inner\n30-last\n"));
        CHECK(!contains(r.out, "15"));
    }
    {
        container c;
        tiny_base(c);
        c.file("etc/init/10-fails", "#!/bin/sh\nexit 6\n");
        c.file("etc/init/20-never", "#!/bin/sh\necho never-ran\n");
        auto r = c.run(how, {"echo", "cmd-ran"});
        CHECK(r.code == 6);
        CHECK(contains(r.err, "init: fatal: /etc/init/10-fails exited 6"));
        CHECK(!contains(r.out, "never-ran"));
        CHECK(!contains(r.out, "cmd-ran"));
    }
}

TEST_CASE("tiny base: the CMD runs in the background; its end does not end the container",
          "[examples]")
{
    h::need_runc();
    container c;
    tiny_base(c);
    auto p = c.start({"sh", "-c", "echo cmd-ran-as-$$; exit 3"});
    REQUIRE(h::wait_until([&] { return scanning(c) && contains(p->out(), "cmd-ran-as-"); }));
    // Still running well after the CMD exited: the services are what the container is for.
    REQUIRE(h::wait_until([&] { return c.exec({"s6-svok", "/etc/service/crond"}).code == 0; }));
    CHECK(p->running());
    CHECK(!contains(p->out(), "cmd-ran-as-1\n")); // PID 1 is s6-svscan, not the CMD
    CHECK(c.exec_stop({"/usr/local/sbin/shutdown", "-h", "now"}));
    CHECK(p->wait(10000) == 0);
}

TEST_CASE("tiny base: a logger line appears in the container's output", "[examples]")
{
    h::need_runc();
    container c;
    tiny_base(c);
    auto p = c.start({});
    REQUIRE(h::wait_until([&] { return scanning(c); }));
    // logger reports nothing when /dev/log is not bound yet: send until the line shows.
    CHECK(h::wait_until([&] {
        c.exec({"logger", "-t", "tinytest", "-p", "daemon.warning", "hello from logger"});
        return contains(p->out(), "daemon.warn: ") && contains(p->out(), "tinytest: hello from logger\n");
    }, 10000));
    INFO(p->out());
    CHECK(c.exec_stop({"/usr/local/sbin/shutdown"}));
    CHECK(p->wait(10000) == 0);
}

TEST_CASE("tiny base: crond runs a per-minute crontab entry", "[examples][wallclock]")
{
    h::need_runc();
    container c;
    tiny_base(c);
    c.file("etc/crontabs/root", h::read_file(example("tiny-base/rootfs/etc/crontabs/root")) +
                                    "* * * * * echo cron-job-ran >>/tmp/cron.out\n",
           0600);
    // busybox crond runs its jobs at the top of each minute, by the wall clock, which is
    // stepped to 8 s before one for the rest of the case: seconds of waiting, not up to a
    // minute.  Where the clock may not be set, or the container starts late, the next minute
    // does it: at most a minute and a few seconds.
    h::wall_step const near_minute(h::ms_to_minute_end(8000));
    auto p = c.start({});
    REQUIRE(h::wait_until([&] { return scanning(c); }));
    CHECK(h::wait_until([&] { return file_has(c, "tmp/cron.out", "cron-job-ran"); },
                        75000));
    CHECK(c.exec_stop({"/usr/local/sbin/shutdown"}));
    CHECK(p->wait(10000) == 0);
}

TEST_CASE("tiny base: shutdown gives 0, halt a failure code, docker stop 0", "[examples]")
{
    h::need_runc();
    struct way {
        std::vector<std::string> cmd;
        int code;
    };
    for (auto const &w : {way{{"/usr/local/sbin/shutdown", "-r", "+5", "bye"}, 0},
                          way{{"/usr/local/sbin/halt"}, 1}, way{{"/usr/local/sbin/halt", "-f", "7"}, 7},
                          way{{}, 0}}) {
        container c;
        tiny_base(c);
        auto p = c.start({});
        REQUIRE(h::wait_until([&] { return scanning(c); }));
        INFO((w.cmd.empty() ? "SIGTERM" : w.cmd.back()));
        if (w.cmd.empty()) CHECK(c.kill("TERM") == 0);
        else CHECK(c.exec_stop(w.cmd));
        CHECK(p->wait(10000) == w.code);
    }
}

TEST_CASE("tiny base: halt from a service's finish ends the container with its code",
          "[examples]")
{
    h::need_runc();
    container c;
    tiny_base(c);
    c.file("etc/service/critical/run", "#!/bin/sh\nexec sleep 0.3\n");
    c.file("etc/service/critical/finish", "#!/bin/sh\nexec /usr/local/sbin/halt 4\n");
    auto p = c.start({});
    CHECK(p->wait(15000) == 4);
}

TEST_CASE("tiny base: service NAME start|stop|restart|status", "[examples]")
{
    h::need_runc();
    container c;
    tiny_base(c);
    auto p = c.start({});
    REQUIRE(h::wait_until([&] { return scanning(c); }));
    auto service = [&c](std::string const &verb) {
        return c.exec({"/usr/local/sbin/service", "crond", verb});
    };
    REQUIRE(h::wait_until([&] { return service("status").code == 0; }));
    auto const pid_of = [&c] { return c.exec({"s6-svstat", "-o", "pid", "/etc/service/crond"}).out; };
    std::string const first = pid_of();
    CHECK(service("restart").code == 0);
    CHECK(h::wait_until([&] { return pid_of() != first && service("status").code == 0; }));
    CHECK(service("stop").code == 0);
    CHECK(h::wait_until([&] { return service("status").code == 3; }));
    CHECK(contains(service("status").out, "down"));
    CHECK(service("start").code == 0);
    CHECK(h::wait_until([&] { return service("status").code == 0; }));
    CHECK(contains(service("status").out, "up"));
    auto bad = c.exec({"/usr/local/sbin/service", "nosuch", "start"});
    CHECK(bad.code == 1);
    CHECK(contains(bad.err, "service: fatal: nosuch is not a supervised service"));
    CHECK(c.exec({"/usr/local/sbin/service", "crond"}).code == 100);
    CHECK(c.exec({"/usr/local/sbin/halt", "x"}).code == 100);
    CHECK(c.exec_stop({"/usr/local/sbin/shutdown"}));
    CHECK(p->wait(10000) == 0);
}

// --- runit-style server ---------------------------------------------------------------------

namespace {

// A runit-style root: the example's rootfs and the syslog service, as its Dockerfile lays
// them out.
void runit_style(container &c)
{
    for (char const *t : {"s6-socklog", "s6-setuidgid"}) c.tool(t);
    c.copy_in(example("runit-style/rootfs"));
    h::mkdirs(c.path("etc/service/syslogd"));
    c.copy_in(example("syslog/syslogd"), "etc/service/syslogd");
    c.entry = "/sbin/init";
}

} // namespace

TEST_CASE("runit style: stage 1 once, runit service dirs as app with s6-log, stage 3 at stop",
          "[examples]")
{
    h::need_runc();
    container c;
    runit_style(c);
    auto p = c.start({});
    REQUIRE(h::wait_until([&] { return scanning(c); }));
    auto const uids = [&c] {
        return c.exec({"sh", "-c", "for s in web worker queue; do "
                                   "p=$(s6-svstat -o pid /etc/service/$s); "
                                   "awk '/^Uid:/ {print $2}' /proc/$p/status; done"}).out;
    };
    // Every service up, its program running as app (s6-setuidgid, where runit has chpst).
    CHECK(h::wait_until([&] { return uids() == "1000\n1000\n1000\n"; }));
    // Each run script ends in its program: no shell lingers (the worker sleeps between
    // rounds, the queue's jobs run under xargs).
    CHECK(c.exec({"sh", "-c", "for s in web worker queue; do "
                              "cat /proc/$(s6-svstat -o pid /etc/service/$s)/comm; done"})
              .out == "httpd\nsleep\nxargs\n");
    // The one-time stage ran once, before the services.
    auto const out = p->out();
    CHECK(out.find("stage 1: done") == out.rfind("stage 1: done"));
    CHECK(contains(out, "stage 1: done"));
    // log/run: s6-log writes each service's output, stamped, into /var/log/NAME.
    CHECK(c.exec({"sh", "-c", "echo job1 >/run/queue/in"}).code == 0);
    CHECK(h::wait_until(
        [&] { return file_has(c, "var/log/queue/current", "queue: job job1"); }));
    CHECK(h::wait_until(
        [&] { return file_has(c, "var/log/worker/current", "worker: alive"); }));
    // Syslog: a logger line on the container's output.
    CHECK(h::wait_until([&] {
        c.exec({"logger", "-t", "runittest", "hello"});
        return contains(p->out(), "user.notice: ") && contains(p->out(), "runittest: hello");
    }));
    // docker stop: every service stops (its finish gets runit's arguments), then stage 3.
    CHECK(c.kill("TERM") == 0);
    CHECK(p->wait(15000) == 0);
    INFO(p->out() << p->err());
    CHECK(contains(p->out(), "stage 3: every service is down"));
    CHECK(contains(p->err(), "web: finish: exit "));
}

TEST_CASE("runit style: a failing stage 1 stops the container with its code", "[examples]")
{
    rt how = h::need_runtime();
    container c;
    runit_style(c);
    c.file("etc/runit/1", "#!/bin/sh\necho stage-1-broke; exit 9\n");
    auto r = c.run(how, {});
    CHECK(r.code == 9);
    CHECK(contains(r.err, "init: fatal: /etc/runit/1 exited 9"));
}

// --- Ubuntu stack ---------------------------------------------------------------------------

namespace {

// An Ubuntu-stack root: s6-svscan on /etc/s6 as PID 1, as its Dockerfile runs it.
void ubuntu_stack(container &c)
{
    c.tool("envsubst");
    c.copy_in(example("ubuntu-stack/rootfs"));
    c.entry = "/bin/s6-svscan";
}

} // namespace

TEST_CASE("ubuntu stack: setup sources /private/NAME/vars and rebuilds the config; "
          "SIGTERM reaches every service",
          "[examples]")
{
    h::need_runc();
    container c;
    ubuntu_stack(c);
    auto p = c.start({"/etc/s6"}, {"CACHE_SIZE_MB=256", "WORKER_QUEUE=urgent"});
    // The defaults of the vars files, and the container's environment where it sets one.
    CHECK(h::wait_until([&] {
        auto const out = p->out();
        return contains(out, "worker.threads = 4\nworker.queue = urgent\n") &&
               contains(out, "cache.size_mb = 256\n");
    }));
    CHECK(file_has(c, "run/cache/cache.conf", "cache.size_mb = 256"));
    // finish is /bin/true; docker stop: each service gets the signal, the container exits 0.
    CHECK(c.kill("TERM") == 0);
    CHECK(p->wait(15000) == 0);
    INFO(p->out() << p->err());
    CHECK(contains(p->out(), "worker: got SIGTERM"));
    CHECK(contains(p->out(), "cache: got SIGTERM"));
}

// --- s6-overlay style -----------------------------------------------------------------------

namespace {

// An s6-overlay-style root on our /init, as its Dockerfile lays it out (the tools in
// /usr/bin there: a link to /bin here) with the Dockerfile's ENV.
void overlay_style(container &c)
{
    for (char const *t : {"s6-socklog", "s6-envuidgid", "s6-applyuidgid", "envsubst"})
        c.tool(t);
    h::mkdirs(c.path("usr"));
    REQUIRE(symlink("../bin", c.path("usr/bin").c_str()) == 0);
    c.copy_in(example("s6-overlay-style/rootfs"));
    h::mkdirs(c.path("etc/services.d/syslogd"));
    c.copy_in(example("syslog/syslogd"), "etc/services.d/syslogd");
    // The Dockerfile's sed: the syslog service's scripts through with-contenv.
    for (char const *f : {"etc/services.d/syslogd/run", "etc/services.d/syslogd/log/run"}) {
        auto text = h::read_file(c.path(f));
        REQUIRE(text.rfind("#!/bin/sh\n", 0) == 0);
        c.file(f, "#!/usr/bin/with-contenv sh\n" + text.substr(10));
    }
}

h::strings const overlay_env = {"SYSLOG_OUTPUT=stderr", "S6_CMD_WAIT_FOR_SERVICES=1",
                                "APP_GREETING=hello there"};

} // namespace

TEST_CASE("s6-overlay style: stages, a non-root service, syslog to stderr, the CMD after "
          "the services, and its code",
          "[examples]")
{
    h::need_runc();
    container c;
    overlay_style(c);
    // The CMD runs once dnscache is ready; it waits for the app's line, then fails with 7.
    auto p = c.start({"sh", "-c", "cat /run/dnscache/ready || exit 99; "
                                  "for i in $(seq 100); do logger -t cmd waiting; "
                                  "grep -q app /var/lib/app/seen 2>/dev/null && break; sleep 0.1; "
                                  "done; exit 7"},
                     overlay_env);
    REQUIRE(h::wait_until([&] { return contains(p->out(), "app: running as uid 1000: "); }));
    h::write_file(c.path("var/lib/app/seen"), "app\n");
    CHECK(p->wait(20000) == 7);
    auto const out = p->out(), err = p->err();
    INFO(out << err);
    CHECK(contains(out, "loaded\n")); // the CMD saw dnscache ready
    CHECK(out.find("dnscache: ready") < out.find("loaded\n"));
    CHECK(contains(out, "cont-init: app.conf written"));
    CHECK(contains(out, "app: running as uid 1000: greeting = hello there"));
    CHECK(contains(out, "cont-finish: goodbye"));
    CHECK(contains(err, "user.notice: "));
    CHECK(contains(err, "cmd: waiting"));
    // fix-attrs.d: the directory is app's, mode 0750.
    CHECK((h::mode_of(c.path("var/lib/app")) & 07777) == 0750);
    struct stat st{};
    REQUIRE(stat(c.path("var/lib/app").c_str(), &st) == 0);
    CHECK(st.st_uid == 1000);
}
