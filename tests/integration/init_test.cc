// /init as a real container's PID 1.  Each test builds a root file system in a temp dir from
// Debian's static busybox, an /etc/passwd and /etc/group, and our static binaries (no libc;
// the sanitizer build's dynamic ones come with the libraries ldd lists), and runs /init in it
// with runc (runc spec, run, exec, kill, delete -f).  Without a working runc, the cases that
// only need a run to completion fall back to unshare --pid --fork --mount-proc --root; the
// ones that need exec or kill then report themselves SKIPPED.
#include <catch2/catch.hpp>

#include "harness.hh"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <functional>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::chrono;

using h::need_runc;
using h::need_runtime;
using h::rt;

h::run_opts with_timeout(int ms, std::string const &cwd = {})
{
    h::run_opts o;
    o.timeout_ms = ms;
    o.cwd = cwd;
    return o;
}

// A container (tests/harness) for /init: h::container::add_init_image.
struct container : h::container {
    container() : h::container("s6pp-init") { add_init_image(); }
};

bool contains(std::string const &hay, std::string const &needle)
{
    return hay.find(needle) != std::string::npos;
}

// A CMD that exits 0 once the regular file path exists (a service made it), or code after
// tries polls 50 ms apart.
h::strings cmd_awaiting(std::string const &path, int tries, int code)
{
    return {"sh", "-c",
            "for i in $(seq " + std::to_string(tries) + "); do [ -f " + path +
                " ] && exit 0; sleep 0.05; done; exit " + std::to_string(code)};
}

} // namespace

TEST_CASE("init: the CMD's exit code is the container's", "[init]")
{
    rt how = need_runtime();
    for (int code : {0, 1, 42, 255}) {
        container c;
        auto r = c.run(how, {"sh", "-c", "exit " + std::to_string(code)});
        INFO("code " << code << ": " << r.err);
        CHECK(r.code == code);
        CHECK(contains(r.err, "[cmd] sh exited " + std::to_string(code)));
    }
}

TEST_CASE("init: logs the s6pp release at S6_VERBOSITY 2, not at 1", "[init]")
{
    rt how = need_runtime();
    std::string const line = std::string("[s6-init] s6pp ") + S6PP_VERSION + " starting\n";
    container c;
    auto r = c.run(how, {"true"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.err.rfind(line, 0) == 0); // the first line
    container c1;
    r = c1.run(how, {"true"}, {"S6_VERBOSITY=1"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(!contains(r.err, "s6pp "));
}

TEST_CASE("init: a CMD killed by signal s gives 128+s", "[init]")
{
    rt how = need_runtime();
    for (auto [sig, name] : {std::pair{SIGKILL, "KILL"}, {SIGTERM, "TERM"}, {SIGSEGV, "SEGV"}}) {
        container c;
        auto r = c.run(how, {"sh", "-c", std::string("kill -") + name + " $$"});
        INFO(name << ": " << r.err);
        CHECK(r.code == 128 + sig);
    }
}

TEST_CASE("init: a CMD that cannot be run gives 127 or 126, with the reason", "[init]")
{
    rt how = need_runtime();
    container c;
    auto r = c.run(how, {"no-such-program"});
    CHECK(r.code == 127);
    CHECK(contains(r.err, "no-such-program: not found in PATH"));
    container c2;
    c2.file("bin/crlf", "#!/bin/sh\r\necho hi\n");
    r = c2.run(how, {"/bin/crlf"});
    CHECK(r.code == 127);
    CHECK(contains(r.err, "CRLF line ending"));
}

TEST_CASE("init: S6_CMD_ARG0 is prepended; the CMD gets the container environment", "[init]")
{
    rt how = need_runtime();
    container c;
    // A cont-init script sees PATH only, but may add variables for the CMD.
    c.file("etc/cont-init.d/10-env",
           "#!/bin/sh\nenv > /tmp/stage-env\nprintf added > /run/s6/container_environment/BAR\n");
    auto r = c.run(how, {"-c", "printf '%s|%s|%s' \"$FOO\" \"$BAR\" \"$0\""},
                   {"FOO=a b", "S6_CMD_ARG0=sh"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "a b|added|sh");
    CHECK(h::read_file(c.path("run/s6/container_environment/FOO")) == "a b\n");
    auto stage_env = h::read_file(c.path("tmp/stage-env"));
    CHECK(!contains(stage_env, "FOO="));
    CHECK(contains(stage_env, "PATH="));
    CHECK(h::read_file(c.path("run/s6-linux-init-container-results/exitcode")) == "0\n");

    container k; // S6_KEEP_ENV: no dump, and everyone sees the live environment
    r = k.run(how, {"sh", "-c", "test -d /run/s6/container_environment && exit 9; "
                                "printf %s \"$FOO\""},
              {"FOO=kept", "S6_KEEP_ENV=1"});
    CHECK(r.code == 0);
    CHECK(r.out == "kept");
}

TEST_CASE("init: the supervision tree sees PATH only, not the container environment", "[init]")
{
    // s6-svscan starts while stage 1 still writes its files, with the environment the
    // stages get; a service sees the container's variables only through with-contenv.
    rt how = need_runtime();
    container c;
    c.file("etc/services.d/envsvc/run",
           "#!/bin/sh\nenv > /tmp/svc-env.new && mv /tmp/svc-env.new /tmp/svc-env\n"
           "exec sleep 1000\n");
    auto r = c.run(how, cmd_awaiting("/tmp/svc-env", 100, 7), {"FOO=secret"});
    INFO(r.err);
    CHECK(r.code == 0);
    auto const env = h::read_file(c.path("tmp/svc-env"));
    INFO(env);
    CHECK(!contains(env, "FOO="));
    CHECK(contains(env, "PATH="));
}

TEST_CASE("init: cont-init.d runs sorted, logged, with precise diagnostics", "[init]")
{
    rt how = need_runtime();
    auto make = [](container &c) {
        c.file("etc/cont-init.d/20-b", "#!/bin/sh\necho 20 >> /tmp/order\nexit 3\n");
        c.file("etc/cont-init.d/10-a", "#!/bin/sh\necho 10 >> /tmp/order\n");
        c.file("etc/cont-init.d/30-c", "#!/bin/sh\necho 30 >> /tmp/order\n");
        c.file("etc/cont-init.d/40-crlf", "#!/bin/sh\r\necho 40 >> /tmp/order\n");
        c.file("etc/cont-init.d/50-bash", "#!/bin/bash\necho 50 >> /tmp/order\n");
        c.file("etc/cont-init.d/60-noexec", "#!/bin/sh\necho 60 >> /tmp/order\n", 0644);
        c.file("etc/cont-init.d/.hidden", "#!/bin/sh\necho hidden >> /tmp/order\n");
    };
    SECTION("BEHAVIOUR 0: failures are logged and ignored")
    {
        container c;
        make(c);
        auto r = c.run(how, {"sh", "-c", "cat /tmp/order; exit 4"});
        INFO(r.err);
        CHECK(r.code == 4);
        CHECK(r.out == "10\n20\n30\n");
        CHECK(contains(r.err, "[cont-init.d] 10-a: exited 0."));
        CHECK(contains(r.err, "[cont-init.d] 20-b: exited 3."));
        CHECK(contains(r.err, "[cont-init.d] 40-crlf: unable to run /etc/cont-init.d/40-crlf: "
                              "it has a CRLF line ending in its #! line"));
        CHECK(contains(r.err, "50-bash: unable to run /etc/cont-init.d/50-bash: it names an "
                              "interpreter that does not exist: /bin/bash"));
        CHECK(contains(r.err, "60-noexec: unable to run /etc/cont-init.d/60-noexec: it is not "
                              "executable"));
        CHECK(contains(r.err, "[cont-init.d] 60-noexec: exited 126."));
        CHECK(r.err.find("10-a: exited") < r.err.find("20-b: executing"));
    }
    SECTION("BEHAVIOUR 2: the first failure stops the container with its code")
    {
        container c;
        make(c);
        auto r = c.run(how, {"sh", "-c", "echo cmd-ran; exit 0"},
                       {"S6_BEHAVIOUR_IF_STAGE2_FAILS=2"});
        INFO(r.err);
        CHECK(r.code == 3);
        CHECK(!contains(r.out, "cmd-ran"));
        CHECK(h::read_file(c.path("tmp/order")) == "10\n20\n");
    }
}

TEST_CASE("init: a non-numeric S6_* value falls back to its default with a warning", "[init]")
{
    rt how = need_runtime();
    container c;
    auto r = c.run(how, {"true"}, {"S6_KILL_GRACETIME=soon"});
    CHECK(r.code == 0);
    CHECK(contains(r.err, "init: warning: invalid value for S6_KILL_GRACETIME: soon "
                          "(not a number); using the default 3000"));
}

TEST_CASE("init: stage 3 ends as soon as nothing is left; KILL after the grace time", "[init]")
{
    rt how = need_runtime();
    SECTION("everything dies on TERM: no waiting for S6_KILL_GRACETIME")
    {
        container c;
        c.file("etc/services.d/s/run", "#!/bin/sh\nexec sleep 1000\n");
        auto t0 = steady_clock::now();
        auto r = c.run(how, {"sh", "-c", "sleep 1000 & sleep 0.2; exit 5"},
                       {"S6_KILL_GRACETIME=20000", "S6_SERVICES_GRACETIME=20000"});
        CHECK(r.code == 5);
        CHECK(steady_clock::now() - t0 < seconds(5));
    }
    SECTION("a process ignoring TERM is killed after S6_KILL_GRACETIME")
    {
        container c;
        auto t0 = steady_clock::now();
        auto r = c.run(how, {"sh", "-c", "sh -c 'trap \"\" TERM; sleep 1000' & sleep 0.2"},
                       {"S6_KILL_GRACETIME=500"});
        auto took = steady_clock::now() - t0;
        CHECK(r.code == 0);
        CHECK(contains(r.err, "sending all processes the KILL signal"));
        CHECK(took >= milliseconds(500));
        CHECK(took < seconds(5));
    }
    SECTION("cont-finish.d scripts are bounded by S6_KILL_FINISH_MAXTIME")
    {
        container c;
        c.file("etc/cont-finish.d/10-slow", "#!/bin/sh\nexec sleep 1000\n");
        c.file("etc/cont-finish.d/20-code",
               "#!/bin/sh\necho 7 > /run/s6-linux-init-container-results/exitcode\n");
        auto r = c.run(how, {"true"}, {"S6_KILL_FINISH_MAXTIME=300"});
        INFO(r.err);
        CHECK(contains(r.err, "[cont-finish.d] 10-slow: exited 137."));
        CHECK(r.code == 7); // the exitcode file, as in s6-overlay v3
    }
}

TEST_CASE("init: orphans are reaped, no zombie is left", "[init]")
{
    rt how = need_runtime();
    container c;
    auto r = c.run(how, {"sh", "-c",
                         "(sleep 0.1 &); (sleep 0.1 &); (sleep 0.1 &); sleep 1; "
                         "exit $(grep -l ') Z ' /proc/[0-9]*/stat 2>/dev/null | wc -l)"});
    INFO(r.err);
    CHECK(r.code == 0);

    container burst; // many orphans dying with the CMD cannot hide its status
    r = burst.run(how, {"sh", "-c", "for i in $(seq 150); do (sleep 0.3 &); done; "
                                    "sleep 0.3; exit 9"});
    CHECK(r.code == 9);
}

TEST_CASE("init: SIGTERM from outside", "[init]")
{
    need_runc();
    SECTION("while the CMD runs: it gets TERM, its real status is the container's")
    {
        container c;
        auto p = c.start({"sh", "-c",
                          "trap 'exit 7' TERM; touch /tmp/ready; "
                          "while :; do sleep 0.05; done"});
        REQUIRE(h::wait_until([&] { return h::exists(c.path("tmp/ready")); }, 10000));
        CHECK(c.kill("TERM") == 0);
        CHECK(p->wait(10000) == 7);
    }
    SECTION("a CMD with default TERM handling gives 143")
    {
        container c;
        auto p = c.start({"sh", "-c", "touch /tmp/ready; exec sleep 1000"});
        REQUIRE(h::wait_until([&] { return h::exists(c.path("tmp/ready")); }, 10000));
        CHECK(c.kill("TERM") == 0);
        CHECK(p->wait(10000) == 143);
    }
    SECTION("without a CMD: orderly stop, exit 0, fast")
    {
        container c;
        c.file("etc/services.d/s/run", "#!/bin/sh\nexec sleep 1000\n");
        c.file("etc/cont-finish.d/f", "#!/bin/sh\necho finish-ran\n");
        auto p = c.start({});
        REQUIRE(h::wait_until([&] { return c.booted(); }, 10000));
        REQUIRE(h::wait_status(c.path("run/service/s"), [](sv::status const &s) { return s.is_up(); }));
        auto t0 = steady_clock::now();
        CHECK(c.kill("TERM") == 0);
        CHECK(p->wait(10000) == 0);
        CHECK(steady_clock::now() - t0 < seconds(3));
        CHECK(contains(p->out(), "finish-ran"));
    }
    SECTION("BEHAVIOUR 1: a failed cont-init keeps the container idle; stop gives its code")
    {
        container c;
        c.file("etc/cont-init.d/10-fail", "#!/bin/sh\nexit 6\n");
        c.file("etc/services.d/s/run", "#!/bin/sh\nexec sleep 1000\n");
        auto p = c.start({}, {"S6_BEHAVIOUR_IF_STAGE2_FAILS=1"});
        REQUIRE(h::wait_until([&] { return contains(p->err(), "stage 2 failed"); }, 10000));
        CHECK(!h::exists(c.path("run/service/s")));
        CHECK(p->running());
        CHECK(c.kill("TERM") == 0);
        CHECK(p->wait(10000) == 6);
    }
}

TEST_CASE("init: services.d services are supervised and controllable", "[init]")
{
    need_runc();
    container c;
    c.file("etc/services.d/web/run", "#!/bin/sh\necho started >> /tmp/web.log\nexec sleep 1000\n");
    auto p = c.start({});
    REQUIRE(h::wait_until([&] { return c.booted(); }, 10000));
    auto dir = c.path("run/service/web");
    REQUIRE(h::wait_status(dir, [](sv::status const &s) { return s.is_up(); }));
    auto pid1 = h::status_of(dir).pid;
    auto r = c.exec({"s6-svc", "-r", "/run/service/web"});
    CHECK(r.code == 0);
    CHECK(h::wait_status(dir, [pid1](sv::status const &s) { return s.is_up() && s.pid != pid1; }));
    r = c.exec({"s6-svstat", "/run/service/web"});
    CHECK(r.code == 0);
    CHECK(r.out.rfind("up (pid ", 0) == 0);
    CHECK(h::wait_until([&] { return h::read_file(c.path("tmp/web.log")) == "started\nstarted\n"; }));
    // halt with an exit code written first, as s6-overlay v3 documents.
    CHECK(c.exec_stop({"sh", "-c", "echo 3 > /run/s6-linux-init-container-results/exitcode; exec halt"}));
    CHECK(p->wait(10000) == 3);
}

TEST_CASE("init: S6_CMD_WAIT_FOR_SERVICES waits for services before the CMD", "[init]")
{
    rt how = need_runtime();
    container c;
    c.file("etc/services.d/slow/notification-fd", "3\n", 0644);
    // Ready only once it has slept; s6-notifyoncheck is not in this rootfs, so the run
    // script writes the readiness line itself after the sleep.
    c.file("etc/services.d/slow/run",
           "#!/bin/sh\nsleep 0.3\necho >&3\nexec sleep 1000\n");
    c.file("etc/services.d/off/run", "#!/bin/sh\nexec sleep 1000\n");
    c.file("etc/services.d/off/down", "", 0644);
    auto r = c.run(how, {"s6-svstat", "-o", "ready", "/run/service/slow"},
                   {"S6_CMD_WAIT_FOR_SERVICES=1", "S6_CMD_WAIT_FOR_SERVICES_MAXTIME=5000"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "true\n");

    // Never ready: the wait ends at S6_CMD_WAIT_FOR_SERVICES_MAXTIME, and BEHAVIOUR 2 stops
    // the container with 99.
    container never;
    never.file("etc/services.d/mute/notification-fd", "3\n", 0644);
    never.file("etc/services.d/mute/run", "#!/bin/sh\nexec sleep 1000\n");
    auto t0 = steady_clock::now();
    r = never.run(how, {"echo", "cmd-ran"},
                  {"S6_CMD_WAIT_FOR_SERVICES=1", "S6_CMD_WAIT_FOR_SERVICES_MAXTIME=300",
                   "S6_BEHAVIOUR_IF_STAGE2_FAILS=2"});
    INFO(r.err);
    CHECK(r.code == 99);
    CHECK(!contains(r.out, "cmd-ran"));
    CHECK(contains(r.err, "[s6-init] service mute is not ready after 300 ms"));
    CHECK(steady_clock::now() - t0 < seconds(5));
}

TEST_CASE("init: without services, the tree starts beside the CMD and takes its commands at once",
          "[init]")
{
    rt how = need_runtime();
    container c;
    // The CMD's first command may come before s6-svscan has started: it must land all the
    // same.  Then a service made at run time must come up.
    auto r = c.run(how, {"sh", "-c",
                         "s6-svscanctl -a /run/service || exit 10\n"
                         "mkdir -p /run/staging/late || exit 11\n"
                         "printf '#!/bin/sh\\nexec sleep 1000\\n' > /run/staging/late/run\n"
                         "chmod 755 /run/staging/late/run\n"
                         "mv /run/staging/late /run/service/late || exit 12\n"
                         "s6-svscanctl -a /run/service || exit 13\n"
                         "for i in $(seq 200); do\n"
                         "  s6-svstat /run/service/late 2>/dev/null | grep -q '^up' && exit 0\n"
                         "  sleep 0.05\n"
                         "done\n"
                         "exit 14\n"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(!contains(r.err, "warning"));
}

TEST_CASE("init: not PID 1, it is a subreaper that reaps and stops its own orphans", "[init]")
{
    need_runtime();
    if (!h::exists("/usr/bin/unshare")) h::skip("no /usr/bin/unshare");
    container c;
    // A mount namespace and a chroot, but no PID namespace: /init is not PID 1 here, and
    // must neither kill(-1) the host nor lose the orphan to the real init.
    auto t0 = steady_clock::now();
    auto r = h::run({"/usr/bin/unshare", "--fork", "--mount-proc=/proc",
                     "--root=" + c.root(), "/bin/env", "-i", "PATH=/bin", "/init", "sh", "-c",
                     "[ \"$PPID\" != 1 ] || exit 9; (sleep 1000 &); exit 5"},
                    with_timeout(15000));
    INFO(r.err);
    CHECK(!r.timed_out);
    CHECK(r.code == 5);
    CHECK(steady_clock::now() - t0 < seconds(5));
}

TEST_CASE("init: SIGINT, SIGUSR1 and poweroff stop a container without CMD", "[init]")
{
    need_runc();
    for (std::string how : {"INT", "USR1", "poweroff", "reboot", "shutdown"}) {
        container c;
        auto p = c.start({});
        REQUIRE(h::wait_until([&] { return c.booted(); }, 10000));
        if (how == "poweroff" || how == "reboot") CHECK(c.exec_stop({how, "-f"}));
        else if (how == "shutdown") CHECK(c.exec_stop({how, "-h", "now"}));
        else CHECK(c.kill(how) == 0);
        INFO(how);
        CHECK(p->wait(10000) == 0);
    }
}

TEST_CASE("init: halt from a service's finish stops the CMD; the exit-code file decides",
          "[init]")
{
    need_runc();
    container c;
    // A critical service: when it dies, its finish script picks the container's exit code and
    // halts (by path: busybox's shell would run its own halt applet).
    c.file("etc/services.d/critical/run", "#!/bin/sh\nexec sleep 0.3\n");
    c.file("etc/services.d/critical/finish",
           "#!/bin/sh\necho 5 > /run/s6-linux-init-container-results/exitcode\n"
           "exec /run/s6/basedir/bin/halt\n");
    auto p = c.start({"sh", "-c", "trap 'echo cmd-got-term; exit 33' TERM; "
                                  "sleep 1000 & wait"});
    CHECK(p->wait(10000) == 5);
    INFO(p->err());
    auto out = p->out();
    CHECK(contains(out, "cmd-got-term"));
    CHECK(contains(p->err(), "[cmd] sh exited 33"));
    // shutdown with LSB arguments, a time and a message, from docker exec.
    container d;
    auto q = d.start({"sh", "-c", "trap 'exit 44' TERM; sleep 1000 & wait"});
    REQUIRE(h::wait_until([&] { return d.booted(); }, 10000));
    REQUIRE(h::wait_until([&] { return h::exists(d.path("run/s6/init.pid")); }, 10000));
    CHECK(d.exec_stop({"shutdown", "-r", "+5", "rebooting", "for", "maintenance"}));
    CHECK(q->wait(10000) == 0); // the exit-code file still holds 0
}

TEST_CASE("init: v2's paths and its way of stopping with a code of one's choice", "[init]")
{
    rt how = need_runtime();
    auto make = [](container &c) {
        c.file("etc/cont-init.d/10-x", "#!/bin/sh\n");
        c.file("etc/services.d/crit/run", "#!/bin/sh\nexec sleep 0.3\n");
        c.file("etc/services.d/crit/finish",
               "#!/bin/sh\necho 4 > /var/run/s6/env-stage3/S6_STAGE2_EXITED\n"
               "exec s6-svscanctl -t /var/run/s6/services\n");
    };
    SECTION("without a CMD")
    {
        container c;
        make(c);
        auto r = c.run(how, {});
        INFO(r.err);
        CHECK(r.code == 4);
        CHECK(contains(r.err, "[s6-init] s6-svscan exited: stopping"));
    }
    SECTION("with a CMD: it gets SIGTERM, and the code written stays")
    {
        container c;
        make(c);
        auto r = c.run(how, {"sh", "-c", "ls /var/run/s6/etc/cont-init.d; "
                                         "trap 'exit 33' TERM; sleep 1000 & wait"});
        INFO(r.err);
        CHECK(r.code == 4);
        CHECK(r.out == "10-x\n");
        CHECK(contains(r.err, "[cmd] sh exited 33"));
    }
}

TEST_CASE("init: the container stops when s6-svscan dies", "[init]")
{
    need_runc();
    container c;
    c.file("etc/services.d/s/run", "#!/bin/sh\nexec sleep 1000\n");
    auto p = c.start({});
    REQUIRE(h::wait_until([&] { return c.booted(); }, 10000));
    REQUIRE(h::wait_status(c.path("run/service/s"), [](sv::status const &s) { return s.is_up(); }));
    // The exec's own exit code is not checked: the container may stop, killing the shell,
    // before the shell has exited.  Whether the kill happened shows in what follows.
    c.exec({"sh", "-c", "kill -9 $(pidof s6-svscan)"});
    CHECK(p->wait(10000) == 111);
    CHECK(contains(p->err(), "[s6-init] s6-svscan died (signal 9): stopping, exit code 111"));
}

TEST_CASE("init: fix-attrs.d is applied before cont-init.d", "[init]")
{
    rt how = need_runtime();
    container c;
    c.file("data/file", "x", 0644);
    c.file("data/sub/f", "y", 0644);
    c.file("etc/fix-attrs.d/01-data", "/data true root 0600 0700\n", 0644);
    c.file("etc/fix-attrs.d/02-bad", "/data true nosuchuser 0600 0700\n", 0644);
    c.file("etc/cont-init.d/10-check", "#!/bin/sh\nstat -c %a /data/sub/f > /tmp/seen\n");
    auto r = c.run(how, {"stat", "-c", "%a", "/data/file", "/data/sub"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "600\n700\n");
    CHECK(h::read_file(c.path("tmp/seen")) == "600\n");
    CHECK(contains(r.err, "[fix-attrs.d] 01-data: exited 0."));
    CHECK(contains(r.err, "[fix-attrs.d] 02-bad: exited 1."));
}

TEST_CASE("init: the exitcode file is taken modulo 256; a non-number gives 100", "[init]")
{
    rt how = need_runtime();
    for (auto [text, code] : {std::pair{"300\n", 44}, {"abc\n", 100}, {"", 0}}) {
        container c;
        c.file("etc/cont-finish.d/10-code", std::string("#!/bin/sh\nprintf '") + text +
                                                "' > /run/s6-linux-init-container-results/exitcode\n");
        auto r = c.run(how, {"sh", "-c", "exit 1"});
        INFO(text << r.err);
        CHECK(r.code == code);
    }
}

TEST_CASE("init: halt and friends refuse bad usage, and need a running /init", "[init]")
{
    h::tempdir td;
    for (char const *n : {"halt", "shutdown"})
        REQUIRE(symlink(h::ours("init").c_str(), (td / n).c_str()) == 0);
    auto r = h::run({td / "halt", "-x"});
    CHECK(r.code == 100);
    CHECK(contains(r.err, "halt: usage: "));
    for (std::vector<std::string> args : {std::vector<std::string>{"-q"}, {""}, {"soon"},
                                          {"-t"}, {"-r", "12:xx"}, {"5"}, {"ab:30"}}) {
        args.insert(args.begin(), td / "shutdown");
        r = h::run(args);
        CHECK(r.code == 100);
        CHECK(contains(r.err, "shutdown: usage: shutdown"));
    }
    // -k (warn only) and -c (cancel) have nothing to do, and succeed without an /init.
    CHECK(h::run({td / "shutdown", "-k", "now", "going down"}).code == 0);
    CHECK(h::run({td / "shutdown", "-c"}).code == 0);
    // Only where no /init of ours runs: this must never signal the host's PID 1.
    if (!h::exists("/run/s6/init.pid")) {
        r = h::run({td / "halt"});
        CHECK(r.code == 100);
        CHECK(contains(r.err, "halt: fatal: unable to find a running /init"));
    }
}

TEST_CASE("init: the CMD starts with no signal ignored or blocked", "[init]")
{
    rt how = need_runtime();
    // grep itself is the CMD: a shell would show its own dispositions (busybox sh ignores
    // SIGINT in some modes).  glibc's posix_spawn would leave signals 32 and 33 ignored.
    container c;
    auto r = c.run(how, {"grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_CASE("init: S6_LOGGING=1 and 2 catch what has no logger in /var/log/s6-uncaught-logs",
          "[init]")
{
    rt how = need_runtime();
    auto make = [](container &c) {
        c.file("etc/cont-init.d/10-hello", "#!/bin/sh\necho init-says-hi\n");
        // Says goodbye on TERM: that line is written while the tree stops, and must still
        // reach the log.
        c.file("etc/services.d/chatty/run",
               "#!/bin/sh\ntrap 'echo chatty-bye; exit 0' TERM\necho chatty-up\n"
               "while :; do sleep 0.05; done\n");
    };
    // The CMD waits (bounded) until the service's line is in the log.
    std::string const cmd =
        "echo cmd-out; echo cmd-err >&2; for i in $(seq 200); do "
        "grep -q chatty-up /var/log/s6-uncaught-logs/current 2>/dev/null && exit 0; "
        "sleep 0.05; done; exit 9";
    SECTION("1: stages and services go to the log, the CMD to the container's output")
    {
        container c;
        make(c);
        auto r = c.run(how, {"sh", "-c", cmd}, {"S6_LOGGING=1"});
        INFO(r.err);
        CHECK(r.code == 0);
        CHECK(contains(r.out, "cmd-out"));
        CHECK(contains(r.err, "cmd-err"));
        CHECK(!contains(r.err, "[cont-init.d]"));
        auto log = h::read_file(c.path("var/log/s6-uncaught-logs/current"));
        INFO(log);
        CHECK(contains(log, "init-says-hi"));
        CHECK(contains(log, "[cont-init.d] 10-hello: exited 0."));
        CHECK(contains(log, "chatty-up"));
        CHECK(contains(log, "chatty-bye"));
        CHECK(!contains(log, "cmd-out"));
        struct stat st;
        REQUIRE(stat(c.path("var/log/s6-uncaught-logs").c_str(), &st) == 0);
        CHECK(st.st_uid == 65534); // nobody, from the image's /etc/passwd
        CHECK((st.st_mode & 07777) == 02700);
        // S6_LOGGING_SCRIPT's default ends in T: ISO 8601 stamps.
        CHECK(log.size() > 20);
        CHECK(log[4] == '-');
        CHECK(log[10] == ' ');
    }
    SECTION("2: the CMD's output goes to the log too")
    {
        container c;
        make(c);
        auto r = c.run(how, {"sh", "-c", cmd}, {"S6_LOGGING=2", "S6_LOGGING_SCRIPT=n2 s100000"});
        INFO(r.err);
        CHECK(r.code == 0);
        CHECK(!contains(r.out, "cmd-out"));
        auto log = h::read_file(c.path("var/log/s6-uncaught-logs/current"));
        INFO(log);
        CHECK(log.rfind("[cont-init.d] 10-hello: executing...\ninit-says-hi\n", 0) == 0); // no stamps
        CHECK(contains(log, "\ncmd-out\n"));
        CHECK(contains(log, "\ncmd-err\n"));
        CHECK(contains(log, "\nchatty-bye\n"));
    }
}

TEST_CASE("init: a catch-all logger that cannot run blocks nothing and loses nothing",
          "[init]")
{
    rt how = need_runtime();
    container c;
    // 256 KiB, four times a pipe's buffer, then a mark.
    // The padding made once: a fork per line took the service past the case's limits on a
    // loaded machine.
    c.file("etc/services.d/big/run",
           "#!/bin/sh\npad=$(printf '%48s' '')\n"
           "for i in $(seq 4096); do echo \"big-line-$i $pad\"; done\n"
           "touch /tmp/done\nexec sleep 1000\n");
    auto r = c.run(how, cmd_awaiting("/tmp/done", 600, 9),
                   {"S6_LOGGING=1", "S6_LOGGING_SCRIPT=no-such-directive"}, 40000);
    CHECK(r.code == 0);
    CHECK(contains(r.err, "s6-log: fatal: "));          // said on the container's output
    CHECK(contains(r.err, "big-line-1 "));
    CHECK(contains(r.err, "big-line-4096 "));
}

TEST_CASE("init: services.d entries are checked before they start", "[init]")
{
    rt how = need_runtime();
    auto make = [](container &c) {
        c.file("etc/services.d/a-noexec/run", "#!/bin/sh\nexec sleep 1000\n", 0644);
        c.file("etc/services.d/b-crlf/run", "#!/bin/sh\r\nexec sleep 1000\n");
        c.file("etc/services.d/c-nolog/run", "#!/bin/sh\nexec sleep 1000\n");
        h::mkdirs(c.path("etc/services.d/c-nolog/log"));
        c.file("etc/services.d/d-norun/finish", "#!/bin/sh\n");
        c.file("etc/services.d/README", "not a service\n", 0644);
        c.file("etc/services.d/e-ok/run", "#!/bin/sh\nexec sleep 1000\n");
    };
    SECTION("BEHAVIOUR 0: one line each, and the container goes on")
    {
        container c;
        make(c);
        auto r = c.run(how, {"sh", "-c", "exit 4"});
        INFO(r.err);
        CHECK(r.code == 4);
        CHECK(contains(r.err, "[services.d] a-noexec: /etc/services.d/a-noexec/run is not "
                              "executable (it needs chmod +x)\n"));
        CHECK(contains(r.err, "[services.d] b-crlf: /etc/services.d/b-crlf/run has a CRLF "
                              "line ending in its #! line"));
        CHECK(contains(r.err, "[services.d] c-nolog: /etc/services.d/c-nolog/log/run is "
                              "missing"));
        CHECK(contains(r.err, "[services.d] d-norun: /etc/services.d/d-norun/run is missing"));
        CHECK(contains(r.err, "[services.d] README: /etc/services.d/README is not a "
                              "directory; ignored"));
        CHECK(!contains(r.err, "e-ok"));
    }
    SECTION("BEHAVIOUR 2: no CMD, exit code 1")
    {
        container c;
        make(c);
        auto r = c.run(how, {"sh", "-c", "echo cmd-ran"}, {"S6_BEHAVIOUR_IF_STAGE2_FAILS=2"});
        INFO(r.err);
        CHECK(r.code == 1);
        CHECK(!contains(r.out, "cmd-ran"));
        CHECK(contains(r.err, "stage 2 failed (exit code 1)"));
    }
    SECTION("cont-finish.d scripts that will not run are reported at boot")
    {
        container c;
        c.file("etc/cont-finish.d/10-bye", "#!/bin/bash\necho bye\n");
        auto r = c.run(how, {"sh", "-c", "echo cmd-ran >&2"});
        INFO(r.err);
        CHECK(r.code == 0); // cont-finish.d failures do not count
        auto warned = r.err.find("[cont-finish.d] 10-bye: will not run: "
                                 "/etc/cont-finish.d/10-bye names an interpreter that does "
                                 "not exist: /bin/bash");
        CHECK(warned < r.err.find("cmd-ran"));
    }
}

TEST_CASE("init: S6_RUNTIME_PROFILE and S6_VERBOSITY", "[init]")
{
    rt how = need_runtime();
    container c;
    c.file("etc/cont-init.d/10-x", "#!/bin/sh\necho default >> /tmp/p\n");
    c.file("etc/cont-profile.d/dev/cont-init.d/10-x", "#!/bin/sh\necho dev >> /tmp/p\n");
    c.file("etc/cont-profile.d/dev/cont-init.d/20-bad", "#!/bin/sh\n", 0644);
    auto r = c.run(how, {"true"}, {"S6_RUNTIME_PROFILE=dev", "S6_VERBOSITY=0"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(h::read_file(c.path("tmp/p")) == "dev\n");
    CHECK(!contains(r.err, "executing"));      // progress lines: verbosity 2
    CHECK(!contains(r.err, "[s6-finish]"));
    CHECK(contains(r.err, "20-bad: unable to run")); // errors: always
}

TEST_CASE("init: a read-only root with a noexec tmpfs on /run", "[init]")
{
    need_runc();
    SECTION("services run, and the catch-all log moves to /run/uncaught-logs")
    {
        container c;
        c.runc_spec.readonly = true;
        c.runc_spec.run_tmpfs = "noexec"; // docker run --read-only --tmpfs /run
        c.file("etc/services.d/web/run", "#!/bin/sh\necho web-up\nexec sleep 1000\n");
        // The service's run file is exec'd from /etc (/run is noexec) and its line is logged.
        auto r = c.run(rt::runc, {"sh", "-c",
                                  "for i in $(seq 200); do ps | grep -q '[s]leep 1000' && "
                                  "grep -q web-up /run/uncaught-logs/current && exit 42; "
                                  "sleep 0.05; done; exit 9"},
                       {"S6_LOGGING=1"});
        INFO(r.err);
        CHECK(r.code == 42);
        CHECK(contains(r.err, "logging to /run/uncaught-logs instead"));
    }
    SECTION("no writable /run: a clear error")
    {
        container c;
        c.runc_spec.readonly = true;
        auto r = c.run(rt::runc, {"true"});
        CHECK(r.code == 100);
        CHECK(contains(r.err, "init: fatal: /run is not writable by uid 0: give the container "
                              "a tmpfs on /run (docker run --tmpfs /run) or set S6_RUNTIME_DIR"));
    }
}

TEST_CASE("init: a non-root USER", "[init]")
{
    need_runc();
    // The CMD passes once the service runs with the container environment it asked for.
    std::vector<std::string> const cmd = {
        "sh", "-c", "for i in $(seq 200); do [ \"$(cat /tmp/foo 2>/dev/null)\" = bar ] && "
                    "s6-svstat -o up \"${S6_RUNTIME_DIR:-/run}/service/web\" | grep -q true && "
                    "exit $(id -u | cut -c1-2); sleep 0.05; done; exit 9"};
    auto make = [](container &c) {
        c.runc_spec.uid = c.runc_spec.gid = 1000;
        c.file("etc/services.d/web/run",
               "#!/bin/with-contenv sh\necho \"$FOO\" > /tmp/foo\nexec sleep 1000\n");
    };
    SECTION("/run belongs to root: a clear error naming the fixes")
    {
        container c;
        make(c);
        auto r = c.run(rt::runc, cmd, {"FOO=bar"});
        CHECK(r.code == 100);
        CHECK(contains(r.err, "/run is not writable by uid 1000"));
        CHECK(contains(r.err, "S6_RUNTIME_DIR"));
    }
    SECTION("S6_RUNTIME_DIR: everything lives there")
    {
        container c;
        make(c);
        auto r = c.run(rt::runc, cmd, {"FOO=bar", "S6_RUNTIME_DIR=/tmp/s6run"});
        INFO(r.err);
        CHECK(r.code == 10); // uid 1000
        CHECK(h::exists(c.path("tmp/s6run/s6/container_environment/FOO")));
    }
    SECTION("a /run it may write is used as it is")
    {
        container c;
        make(c);
        REQUIRE(chown(c.path("run").c_str(), 1000, 1000) == 0);
        auto r = c.run(rt::runc, cmd, {"FOO=bar", "S6_LOGGING=1"});
        INFO(r.err);
        CHECK(r.code == 10);
        // Not root: the catch-all logger cannot be nobody, nor write /var/log.
        CHECK(h::exists(c.path("run/uncaught-logs/current")));
    }
}

TEST_CASE("init: the example image's files work as they are", "[init]")
{
    rt how = need_runtime();
    container c;
    // examples/container/Dockerfile copies rootfs/ over an Alpine image, where the tools are
    // in /usr/bin; here they are in /bin, so /usr/bin is a link to it.
    h::mkdirs(c.path("usr"));
    REQUIRE(symlink("../bin", c.path("usr/bin").c_str()) == 0);
    REQUIRE(h::run({"/bin/cp", "-a", std::string(EXAMPLES_DIR) + "/container/rootfs/.",
                    c.root()}).code == 0);
    auto r = c.run(how, {"sh", "-c", "for i in $(seq 200); do grep -q 'tick: hi there' "
                                     "/var/log/ticker/current 2>/dev/null && exit 0; "
                                     "sleep 0.05; done; exit 9"},
                   {"GREETING=hi there"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(contains(r.err, "[cont-init.d] 10-motd: exited 0."));
    CHECK(contains(r.out, "ticker said 1 lines"));
}

// --- s6-overlay v3 images: /etc/s6-overlay/s6-rc.d ----------------------------------------

namespace {

// A v3 service definition under /etc/s6-overlay/s6-rc.d.
void rc_def(container &c, std::string const &name, std::string const &type,
            std::vector<std::pair<std::string, std::string>> const &files)
{
    std::string const dir = "etc/s6-overlay/s6-rc.d/" + name;
    c.file(dir + "/type", type + "\n", 0644);
    for (auto const &[f, content] : files) c.file(dir + "/" + f, content, f == "run" || f == "finish" ? 0755 : 0644);
}

// A oneshot whose up (and down) append WORD (WORD-down) to /tmp/order.
void rc_oneshot(container &c, std::string const &name, std::vector<std::string> const &deps)
{
    std::vector<std::pair<std::string, std::string>> files = {
        {"up", "sh -c \"echo " + name + " >> /tmp/order\"\n"},
        {"down", "sh -c \"echo " + name + "-down >> /tmp/order\"\n"}};
    for (auto const &d : deps) files.push_back({"dependencies.d/" + d, ""});
    rc_def(c, name, "oneshot", files);
}

// The lines of /tmp/order, and where each one is (-1: absent).
std::vector<std::string> order_of(container &c)
{
    std::vector<std::string> v;
    std::string const s = h::read_file(c.path("tmp/order"));
    std::size_t i = 0;
    while (i < s.size()) {
        auto j = s.find('\n', i);
        if (j == std::string::npos) j = s.size();
        v.push_back(s.substr(i, j - i));
        i = j + 1;
    }
    return v;
}

long pos(std::vector<std::string> const &v, std::string const &w)
{
    auto it = std::find(v.begin(), v.end(), w);
    return it == v.end() ? -1 : it - v.begin();
}

// The v3 image of the tests below: a chain with readiness, a pipeline, user2, a legacy
// services.d entry and cont-init.d.
void v3_image(container &c)
{
    c.file("etc/cont-init.d/01", "#!/bin/sh\necho cont-init >> /tmp/order\n");
    c.file("etc/services.d/legacy/run", "#!/bin/sh\nexec sleep 1000\n");
    rc_def(c, "user", "bundle", {{"contents.d/prep", ""}, {"contents.d/web", ""},
                                 {"contents.d/after", ""}, {"contents.d/logpipe", ""}});
    rc_def(c, "user2", "bundle", {{"contents.d/late", ""}});
    rc_oneshot(c, "prep", {"base"});
    // Ready 0.3 s after it starts: "after" must wait for that.
    rc_def(c, "web", "longrun",
           {{"run", "#!/bin/sh\necho web >> /tmp/order\nsleep 0.3\necho web-ready >> /tmp/order\n"
                    "echo >&3\nexec sleep 1000\n"},
            {"finish", "#!/bin/sh\necho web-down >> /tmp/order\n"},
            {"notification-fd", "3\n"},
            {"dependencies.d/prep", ""}});
    rc_oneshot(c, "after", {"web"});
    rc_oneshot(c, "late", {"legacy-services"});
    rc_def(c, "prod", "longrun", {{"run", "#!/bin/sh\necho through-the-pipe\nexec sleep 1000\n"},
                                  {"producer-for", "cons\n"}});
    rc_def(c, "cons", "longrun",
           {{"run", "#!/bin/sh\nread line\necho \"$line\" > /tmp/piped\nexec sleep 1000\n"},
            {"consumer-for", "prod\n"},
            {"pipeline-name", "logpipe\n"}});
}

// Real s6-overlay (the tree s6_overlay_tree() gives) unpacked over the image c, which then
// boots on s6-overlay's /init instead of ours.
void overlay_over(container &c, std::string const &overlay)
{
    REQUIRE(h::run({"/bin/cp", "-a", "--remove-destination", overlay + "/.", c.root()}).code == 0);
    c.file("etc/nsswitch.conf", "passwd: files\ngroup: files\n", 0644);
    h::mkdirs(c.path("var")); // s6-overlay's preinit links /var/run
}

// The same image twice, made by make: booted with cmd and env on our /init (ours), and with
// real s6-overlay 3.1.5.0 unpacked over it (theirs); skips without the oracles.  The two
// results, ours first.
std::pair<h::result, h::result> boot_twins(rt how, container &ours, container &theirs,
                                           std::function<void(container &)> const &make,
                                           std::vector<std::string> const &cmd,
                                           std::vector<std::string> const &env = {})
{
    std::string const overlay = h::s6_overlay_tree(); // skips without the oracles
    make(ours);
    make(theirs);
    overlay_over(theirs, overlay);
    auto r1 = ours.run(how, cmd, env, 30000);
    return {r1, theirs.run(how, cmd, env, 30000)};
}

} // namespace

TEST_CASE("init: a v3 image starts by dependencies and stops in reverse", "[init][v3]")
{
    rt how = need_runtime();
    container c;
    v3_image(c);
    auto r = c.run(how, {"sh", "-c", "echo cmd >> /tmp/order; exit 7"});
    INFO(r.err);
    CHECK(r.code == 7);
    auto const o = order_of(c);
    std::string all;
    for (auto const &l : o) all += l + " ";
    INFO("order: " << all);
    for (char const *w : {"cont-init", "prep", "web", "web-ready", "after", "late", "cmd",
                          "after-down", "web-down", "prep-down", "late-down"})
        CHECK(pos(o, w) >= 0);
    CHECK(pos(o, "cont-init") < pos(o, "prep"));
    CHECK(pos(o, "prep") < pos(o, "web"));
    CHECK(pos(o, "web-ready") < pos(o, "after")); // readiness, not just started
    CHECK(pos(o, "after") < pos(o, "late"));      // user2 after legacy-services after user
    CHECK(pos(o, "late") < pos(o, "cmd"));
    CHECK(pos(o, "cmd") < pos(o, "late-down"));
    CHECK(pos(o, "late-down") < pos(o, "after-down"));
    CHECK(pos(o, "after-down") < pos(o, "web-down"));
    CHECK(pos(o, "web-down") < pos(o, "prep-down"));
    CHECK(h::read_file(c.path("tmp/piped")) == "through-the-pipe\n");
    CHECK(contains(r.err, "s6-rc: info: service web successfully started"));
}

TEST_CASE("init: a v3 image's services are controllable at run time", "[init][v3]")
{
    need_runc();
    container c;
    v3_image(c);
    auto p = c.start({});
    auto dir = c.path("run/service/web");
    REQUIRE(h::wait_until([&] { return h::exists(c.path("tmp/piped")); }, 10000));
    REQUIRE(h::wait_status(dir, [](sv::status const &s) { return s.is_up() && s.ready; }));
    auto pid1 = h::status_of(dir).pid;
    auto r = c.exec({"s6-svc", "-r", "/run/service/web"});
    CHECK(r.code == 0);
    CHECK(h::wait_status(dir, [pid1](sv::status const &s) { return s.is_up() && s.pid != pid1; }));
    r = c.exec({"s6-svstat", "/run/service/legacy"});
    CHECK(r.code == 0);
    CHECK(r.out.rfind("up (pid ", 0) == 0);
    // The restart ran web's finish: only the stop's lines count from here.
    h::write_file(c.path("tmp/order"), "", 0666);
    auto t0 = steady_clock::now();
    CHECK(c.kill("TERM") == 0);
    CHECK(p->wait(10000) == 0);
    CHECK(steady_clock::now() - t0 < seconds(3)); // nothing waits out a grace time
    auto const o = order_of(c);
    CHECK(pos(o, "after-down") < pos(o, "web-down"));
    CHECK(pos(o, "web-down") < pos(o, "prep-down"));
}

TEST_CASE("init: an invalid v3 source stops the boot with s6-rc-compile's message",
          "[init][v3]")
{
    rt how = need_runtime();
    struct bad {
        char const *what;
        std::function<void(container &)> make;
        int code;
        std::string message;
    };
    std::vector<bad> const cases = {
        {"a cycle",
         [](container &c) {
             rc_oneshot(c, "a", {"b"});
             rc_oneshot(c, "b", {"a"});
         },
         1, "[s6-rc] fatal: cyclic service dependency reached from a and involving a"},
        {"an unknown type",
         [](container &c) { rc_def(c, "x", "daemon", {}); },
         1, "[s6-rc] fatal: invalid /etc/s6-overlay/s6-rc.d/x/type: must be oneshot, longrun, "
            "or bundle"},
        {"a missing up",
         [](container &c) { rc_def(c, "x", "oneshot", {}); },
         111, "[s6-rc] fatal: unable to open /etc/s6-overlay/s6-rc.d/x/up: No such file or "
              "directory"},
        {"an unknown dependency",
         [](container &c) { rc_oneshot(c, "x", {"ghost"}); },
         1, "[s6-rc] fatal: during dependency resolution for service x: undefined service "
            "name ghost"},
        {"an unreadable file",
         [](container &c) {
             rc_def(c, "x", "oneshot", {});
             h::mkdirs(c.path("etc/s6-overlay/s6-rc.d/x/up"));
         },
         111, "[s6-rc] fatal: unable to open /etc/s6-overlay/s6-rc.d/x/up: Is a directory"},
    };
    for (auto const &b : cases) {
        INFO(b.what);
        container c;
        b.make(c);
        auto r = c.run(how, {"echo", "cmd-ran"});
        INFO(r.err);
        CHECK(r.code == b.code);
        CHECK(contains(r.err, b.message));
        CHECK(!contains(r.out, "cmd-ran"));
    }
}

TEST_CASE("init: a v3 oneshot that fails or hangs follows S6_BEHAVIOUR_IF_STAGE2_FAILS",
          "[init][v3]")
{
    rt how = need_runtime();
    {
        container c;
        rc_def(c, "bad", "oneshot", {{"up", "sh -c \"exit 3\""}});
        rc_def(c, "user", "bundle", {{"contents.d/bad", ""}});
        auto r = c.run(how, {"echo", "cmd-ran"}, {"S6_BEHAVIOUR_IF_STAGE2_FAILS=2"});
        INFO(r.err);
        CHECK(r.code == 1);
        CHECK(contains(r.err, "s6-rc: warning: unable to start service bad: command exited 3"));
        CHECK(!contains(r.out, "cmd-ran"));
        // Under 0 the CMD runs anyway.
        container d;
        rc_def(d, "bad", "oneshot", {{"up", "sh -c \"exit 3\""}});
        rc_def(d, "user", "bundle", {{"contents.d/bad", ""}});
        r = d.run(how, {"echo", "cmd-ran"});
        CHECK(r.code == 0);
        CHECK(contains(r.out, "cmd-ran"));
    }
    container c;
    rc_def(c, "slow", "oneshot", {{"up", "sleep 100"}, {"timeout-up", "200"}});
    rc_def(c, "user", "bundle", {{"contents.d/slow", ""}});
    auto t0 = steady_clock::now();
    auto r = c.run(how, {"echo", "cmd-ran"}, {"S6_BEHAVIOUR_IF_STAGE2_FAILS=2"});
    INFO(r.err);
    CHECK(r.code == 1);
    CHECK(contains(r.err, "unable to start service slow: timed out after 200 ms"));
    CHECK(steady_clock::now() - t0 < seconds(5));
    // A longrun never ready, bounded by S6_CMD_WAIT_FOR_SERVICES_MAXTIME: s6-rc's 2.
    container m;
    rc_def(m, "mute", "longrun", {{"run", "#!/bin/sh\nexec sleep 1000\n"}, {"notification-fd", "3"}});
    rc_def(m, "user", "bundle", {{"contents.d/mute", ""}});
    r = m.run(how, {"echo", "cmd-ran"},
              {"S6_BEHAVIOUR_IF_STAGE2_FAILS=2", "S6_CMD_WAIT_FOR_SERVICES_MAXTIME=300"});
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(!contains(r.out, "cmd-ran"));
}

TEST_CASE("init: S6_RUNTIME_PROFILE takes the v3 source from the profile", "[init][v3]")
{
    rt how = need_runtime();
    container c;
    rc_oneshot(c, "main-only", {});
    c.file("etc/s6-overlay/s6-rc.d/user/contents.d/main-only", "", 0644);
    c.file("etc/cont-profile.d/dev/s6-overlay/s6-rc.d/dev-only/type", "oneshot\n", 0644);
    c.file("etc/cont-profile.d/dev/s6-overlay/s6-rc.d/dev-only/up",
           "sh -c \"echo dev-only >> /tmp/order\"\n", 0644);
    c.file("etc/cont-profile.d/dev/s6-overlay/s6-rc.d/user/contents.d/dev-only", "", 0644);
    auto r = c.run(how, {"true"}, {"S6_RUNTIME_PROFILE=dev"});
    INFO(r.err);
    CHECK(r.code == 0);
    auto const o = order_of(c);
    CHECK(pos(o, "dev-only") >= 0);
    CHECK(pos(o, "main-only") < 0);
}

TEST_CASE("init: s6-rc -u/-d change and -a list work on a v3 image", "[init][v3]")
{
    need_runc();
    container c;
    v3_image(c);
    REQUIRE(h::run({"/bin/cp", h::ours("s6-rc"), c.path("bin/s6-rc")}).code == 0);
    auto p = c.start({});
    REQUIRE(h::wait_until([&] { return h::exists(c.path("run/s6/rc.sock")); }, 10000));
    auto r = c.exec({"s6-rc", "-a", "list"});
    CHECK(r.code == 0);
    for (char const *s : {"web\n", "after\n", "prep\n", "prod\n", "cons\n", "fix-attrs\n",
                          "legacy-services\n", "late\n"})
        CHECK(contains(r.out, s));
    auto const dir = c.path("run/service/web");
    h::write_file(c.path("tmp/order"), "", 0666);
    r = c.exec({"s6-rc", "-d", "change", "web"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(h::status_of(dir).pid == 0);
    auto o = order_of(c);
    CHECK(pos(o, "after-down") >= 0);
    CHECK(pos(o, "after-down") < pos(o, "web-down"));
    CHECK(pos(o, "prep-down") < 0); // what web depends on stays up
    r = c.exec({"s6-rc", "-a", "list"});
    CHECK(!contains(r.out, "web\n"));
    CHECK(!contains(r.out, "after\n"));
    r = c.exec({"s6-rc", "-u", "change", "after"});
    CHECK(r.code == 0);
    CHECK(h::status_of(dir).pid != 0);
    CHECK(h::status_of(dir).ready);
    o = order_of(c);
    CHECK(pos(o, "web-ready") >= 0);
    CHECK(pos(o, "web-ready") < pos(o, "after"));
    r = c.exec({"s6-rc", "-u", "change", "ghost"});
    CHECK(r.code == 3);
    CHECK(contains(r.err, "ghost is not a recognized identifier"));
    CHECK(c.exec({"s6-rc", "-n", "1", "change", "web"}).code == 100);
    CHECK(c.exec({"s6-rc", "help"}).code == 0);
    r = c.exec({"s6-rc", "-da", "change"});
    CHECK(r.code == 0);
    r = c.exec({"s6-rc", "-a", "list"});
    CHECK(r.code == 0);
    CHECK(r.out == "");
    CHECK(c.kill("TERM") == 0);
    CHECK(p->wait(10000) == 0);
}

TEST_CASE("init: s6-rc without a v3 /init says so and exits 111", "[init][v3]")
{
    h::tempdir d;
    h::run_opts o;
    o.timeout_ms = 5000;
    o.env = {"S6_RUNTIME_DIR=" + d.path()};
    auto r = h::run({h::ours("s6-rc"), "-a", "list"}, o);
    CHECK(r.code == 111);
    CHECK(contains(r.err, "s6-rc: fatal: unable to connect to /init at " + d.path() +
                              "/s6/rc.sock"));
    r = h::run({h::ours("s6-rc")}, o);
    CHECK(r.code == 100);
    CHECK(r.err.rfind("s6-rc: usage: ", 0) == 0);
}

TEST_CASE("init: a v3 image boots in the same order under real s6-overlay 3.1.5.0",
          "[init][v3][overlay]")
{
    rt how = need_runtime();
    container ours, theirs;
    auto const [r1, r2] = boot_twins(how, ours, theirs, v3_image,
                                     {"sh", "-c", "echo cmd >> /tmp/order; exit 7"});
    INFO("ours: " << r1.err);
    INFO("s6-overlay: " << r2.err);
    CHECK(r1.code == 7);
    CHECK(r2.code == r1.code);
    auto const a = order_of(ours), b = order_of(theirs);
    // The lines each wrote, and every ordering the graph imposes, hold in both.
    for (auto const *o : {&a, &b}) {
        for (char const *w : {"cont-init", "prep", "web", "web-ready", "after", "late", "cmd",
                              "after-down", "web-down", "prep-down", "late-down"})
            CHECK(pos(*o, w) >= 0);
        CHECK(pos(*o, "cont-init") < pos(*o, "prep"));
        CHECK(pos(*o, "prep") < pos(*o, "web"));
        CHECK(pos(*o, "web-ready") < pos(*o, "after"));
        CHECK(pos(*o, "after") < pos(*o, "late"));
        CHECK(pos(*o, "late") < pos(*o, "cmd"));
        CHECK(pos(*o, "late-down") < pos(*o, "after-down"));
        CHECK(pos(*o, "after-down") < pos(*o, "web-down"));
        CHECK(pos(*o, "web-down") < pos(*o, "prep-down"));
    }
    CHECK(h::read_file(ours.path("tmp/piped")) == h::read_file(theirs.path("tmp/piped")));
}

// --- the rest of v3's contract: S6_STAGE2_HOOK, S6_CATCHALL_USER, /command, S6_CMD_ARG0 ------

namespace {

// An image whose S6_STAGE2_HOOK (/bin/hook WORD) adds a oneshot to the s6-rc source, which
// must therefore be read after the hook: the order shows "hook WORD", cont-init, added, cmd.
void hook_image(container &c)
{
    c.file("etc/cont-init.d/01", "#!/bin/sh\necho cont-init >> /tmp/order\n");
    rc_oneshot(c, "prep", {"base"});
    rc_def(c, "user", "bundle", {{"contents.d/prep", ""}});
    c.file("bin/hook", "#!/bin/sh\necho \"hook $1 $2\" >> /tmp/order\n"
                       "d=/etc/s6-overlay/s6-rc.d\nmkdir -p $d/added/dependencies.d\n"
                       "echo oneshot > $d/added/type\ntouch $d/added/dependencies.d/prep\n"
                       "echo 'sh -c \"echo added >> /tmp/order\"' > $d/added/up\n"
                       "touch $d/user/contents.d/added\nexit \"${3:-0}\"\n");
}

std::string joined(std::vector<std::string> const &v)
{
    std::string all;
    for (auto const &l : v) all += l + " ";
    return all;
}

} // namespace

TEST_CASE("init: S6_STAGE2_HOOK runs first, split into words, before the source is read",
          "[init][v3]")
{
    rt how = need_runtime();
    container c;
    hook_image(c);
    auto r = c.run(how, {"sh", "-c", "echo cmd >> /tmp/order"},
                   {"S6_STAGE2_HOOK=/bin/hook  one\ttwo"});
    INFO(r.err);
    CHECK(r.code == 0);
    auto const o = order_of(c);
    INFO("order: " << joined(o));
    CHECK(pos(o, "hook one two") == 0);
    CHECK(pos(o, "cont-init") > 0);
    CHECK(pos(o, "prep") > pos(o, "cont-init"));
    CHECK(pos(o, "added") > pos(o, "prep"));
    CHECK(pos(o, "cmd") > pos(o, "added"));
    CHECK(!contains(r.err, "hook /bin/hook"));
}

TEST_CASE("init: a failing S6_STAGE2_HOOK is a warning, and the boot goes on", "[init][v3]")
{
    rt how = need_runtime();
    for (unsigned behav : {0u, 2u}) {
        INFO("S6_BEHAVIOUR_IF_STAGE2_FAILS=" << behav);
        container c;
        hook_image(c);
        std::vector<std::string> env = {"S6_STAGE2_HOOK=/bin/hook a b 3",
                                        "S6_BEHAVIOUR_IF_STAGE2_FAILS=" + std::to_string(behav)};
        auto r = c.run(how, {"sh", "-c", "echo cmd >> /tmp/order"}, env);
        INFO(r.err);
        CHECK(r.code == 0);
        CHECK(contains(r.err, "/run/s6/basedir/scripts/rc.init: warning: hook /bin/hook a b 3 "
                              "exited 3\n"));
        CHECK(pos(order_of(c), "cmd") > pos(order_of(c), "added"));
    }
    container n; // not found: sh's 127; S6_VERBOSITY=0 says nothing
    auto r = n.run(how, {"true"}, {"S6_STAGE2_HOOK=no-such-hook x"});
    CHECK(r.code == 0);
    CHECK(contains(r.err, "hook no-such-hook x exited 127"));
    container q;
    r = q.run(how, {"true"}, {"S6_STAGE2_HOOK=no-such-hook", "S6_VERBOSITY=0"});
    CHECK(r.code == 0);
    CHECK(!contains(r.err, "exited 127"));
}

TEST_CASE("init: S6_STAGE2_HOOK as real s6-overlay 3.1.5.0 runs it", "[init][v3][overlay]")
{
    rt how = need_runtime();
    container ours, theirs;
    auto const [r1, r2] =
        boot_twins(how, ours, theirs, hook_image, {"sh", "-c", "echo cmd >> /tmp/order; exit 5"},
                   {"S6_STAGE2_HOOK=/bin/hook one two 4"});
    INFO("ours: " << r1.err);
    INFO("s6-overlay: " << r2.err);
    CHECK(r1.code == 5);
    CHECK(r2.code == r1.code);
    std::string const warning = "/run/s6/basedir/scripts/rc.init: warning: hook /bin/hook one "
                                "two 4 exited 4\n";
    CHECK(contains(r1.err, warning));
    CHECK(contains(r2.err, warning));
    auto const a = order_of(ours), b = order_of(theirs);
    INFO("ours: " << joined(a) << "; s6-overlay: " << joined(b));
    for (auto const *o : {&a, &b}) {
        CHECK(pos(*o, "hook one two") == 0);
        CHECK(pos(*o, "cont-init") < pos(*o, "added"));
        CHECK(pos(*o, "prep") < pos(*o, "added"));
        CHECK(pos(*o, "added") < pos(*o, "cmd"));
    }
}

namespace {

// An image with a v3 source whose longrun "chatty" writes a line to its stdout, which has no
// logger: it goes to the catch-all logger.  /bin/whoruns prints the uid the s6-log of the
// catch-all logger runs as, and the owner and mode of /run/uncaught-logs.
void catchall_image(container &c)
{
    c.tool("s6-setuidgid"); // in the release tarball; not in the tests' minimal image
    rc_def(c, "chatty", "longrun",
           {{"run", "#!/bin/sh\necho chatty-up\nexec sleep 1000\n"}});
    rc_def(c, "user", "bundle", {{"contents.d/chatty", ""}});
    c.file("bin/whoruns",
           "#!/bin/sh\nfor i in $(seq 100); do grep -q chatty-up /run/uncaught-logs/current "
           "2>/dev/null && echo chatty-up logged && break; sleep 0.05; done\n"
           "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null | "
           "grep -q '[s]6-log .*/run/uncaught-logs' && "
           "echo \"logger uid $(awk '/^Uid:/ {print $2}' $p/status)\"; done\n"
           "echo \"dir $(stat -c '%u:%g %a' /run/uncaught-logs)\"\necho cmd-line\n");
}

} // namespace

TEST_CASE("init: v3's catch-all logger: /run/uncaught-logs, S6_CATCHALL_USER, the stderr echo",
          "[init][v3]")
{
    rt how = need_runtime();
    SECTION("S6_LOGGING=1 as nobody: logged, and echoed on the container's stderr")
    {
        container c;
        catchall_image(c);
        auto r = c.run(how, {"/bin/whoruns"}, {"S6_LOGGING=1", "S6_CATCHALL_USER=nobody"});
        INFO(r.err);
        CHECK(r.code == 0);
        auto const log = h::read_file(c.path("run/uncaught-logs/current"));
        INFO(log);
        CHECK(contains(log, "logger uid 65534\n"));
        CHECK(contains(log, "dir 65534:65534 2750\n"));
        CHECK(contains(log, "chatty-up\n"));
        CHECK(contains(log, "chatty-up logged\n"));
        CHECK(contains(log, "cmd-line\n")); // v3 logs the CMD's output too
        CHECK(contains(r.err, "chatty-up\n"));
        CHECK(contains(r.err, "cmd-line\n"));
        CHECK(r.out == ""); // the echo is on stderr
        CHECK(!h::exists(c.path("var/log/s6-uncaught-logs")));
    }
    SECTION("S6_LOGGING=2, as root: nothing echoed")
    {
        container c;
        catchall_image(c);
        auto r = c.run(how, {"/bin/whoruns"}, {"S6_LOGGING=2"});
        INFO(r.err);
        CHECK(r.code == 0);
        auto const log = h::read_file(c.path("run/uncaught-logs/current"));
        INFO(log);
        CHECK(contains(log, "logger uid 0\n"));
        CHECK(contains(log, "dir 0:0 2750\n"));
        CHECK(contains(log, "chatty-up\n"));
        CHECK(!contains(r.err, "chatty-up"));
        CHECK(r.out == "");
    }
    SECTION("S6_LOGGING_SCRIPT's t: TAI64N stamps")
    {
        container c;
        catchall_image(c);
        auto r = c.run(how, {"/bin/whoruns"}, {"S6_LOGGING=2", "S6_LOGGING_SCRIPT=n3 t"});
        CHECK(r.code == 0);
        auto const log = h::read_file(c.path("run/uncaught-logs/current"));
        INFO(log);
        CHECK(log.rfind("@4000", 0) == 0);
    }
    SECTION("an unknown S6_CATCHALL_USER stops the boot")
    {
        container c;
        catchall_image(c);
        auto r = c.run(how, {"echo", "cmd-ran"}, {"S6_LOGGING=1", "S6_CATCHALL_USER=ghost"});
        CHECK(r.code == 100);
        CHECK(contains(r.err, "init: fatal: unable to find user ghost in passwd database"));
        CHECK(!contains(r.out + r.err, "cmd-ran"));
    }
}

TEST_CASE("init: v3's catch-all logger as real s6-overlay 3.1.5.0 runs it", "[init][v3][overlay]")
{
    rt how = need_runtime();
    container ours, theirs;
    auto const [r1, r2] = boot_twins(how, ours, theirs, catchall_image, {"/bin/whoruns"},
                                     {"S6_LOGGING=1", "S6_CATCHALL_USER=nobody"});
    INFO("ours: " << r1.err);
    INFO("s6-overlay: " << r2.err);
    CHECK(r1.code == 0);
    CHECK(r2.code == r1.code);
    // What the CMD saw from inside (s6-overlay's /run is not the host's view after the run),
    // echoed on stderr by both loggers.
    for (auto const *e : {&r1.err, &r2.err})
        for (char const *w : {"\nchatty-up\n", "\nchatty-up logged\n", "\nlogger uid 65534\n",
                              "\ndir 65534:65534 2750\n", "\ncmd-line\n"})
            CHECK(contains(*e, w));
    CHECK(r1.out == "");
    CHECK(r2.out == "");
}

TEST_CASE("init: #!/command/ scripts run in an image without /command", "[init][v3]")
{
    rt how = need_runtime();
    container c;
    REQUIRE(!h::exists(c.path("command")));
    // The image's execline, where a distribution puts it.
    c.add_host_program("/usr/lib/execline/bin/execlineb", "usr/bin/execlineb");
    c.file("etc/cont-init.d/01",
           "#!/command/with-contenv sh\necho \"cont-init $FOO\" >> /tmp/order\n");
    c.file("etc/s6-overlay/scripts/one",
           "#!/command/with-contenv sh\necho \"oneshot $FOO\" >> /tmp/order\n");
    c.file("etc/s6-overlay/scripts/el",
           "#!/command/execlineb -P\nsh -c \"echo execline >> /tmp/order\"\n");
    rc_def(c, "one", "oneshot", {{"up", "/etc/s6-overlay/scripts/one\n"}});
    rc_def(c, "el", "oneshot", {{"up", "/etc/s6-overlay/scripts/el\n"}});
    rc_def(c, "svc", "longrun",
           {{"run", "#!/command/with-contenv sh\necho \"longrun $FOO\" >> /tmp/order\n"
                    "exec sleep 1000\n"}});
    rc_def(c, "user", "bundle", {{"contents.d/one", ""}, {"contents.d/el", ""},
                                 {"contents.d/svc", ""}});
    // services.d and cont-finish.d too, found fit to run (S6_BEHAVIOUR_IF_STAGE2_FAILS=2 would
    // stop the boot over a services.d entry it thought broken).
    c.file("etc/services.d/legacy/run",
           "#!/command/with-contenv sh\necho \"legacy $FOO\" >> /tmp/order\nexec sleep 1000\n");
    c.file("etc/cont-finish.d/01",
           "#!/command/with-contenv sh\necho \"finish $FOO\" >> /tmp/order\n");
    c.file("bin/cmd", "#!/package/admin/s6-overlay/command/with-contenv sh\n"
                      "for i in $(seq 100); do grep -q longrun /tmp/order && grep -q legacy "
                      "/tmp/order && break; sleep 0.05; done\n"
                      "echo \"cmd $FOO $1\" >> /tmp/order\n");
    auto r = c.run(how, {"cmd", "arg"}, {"FOO=bar", "S6_BEHAVIOUR_IF_STAGE2_FAILS=2"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(!contains(r.err, "will not run"));
    auto const o = order_of(c);
    INFO("order: " << joined(o));
    for (char const *w : {"cont-init bar", "oneshot bar", "execline", "longrun bar", "legacy bar",
                          "cmd bar arg", "finish bar"})
        CHECK(pos(o, w) >= 0);
    // A /command of its own (s6-overlay's, or our tarball's) is used as it is.
    CHECK(!h::exists(c.path("command")));
}

TEST_CASE("init: S6_CMD_ARG0 is split into sh's fields; v3's /run/s6 paths", "[init][v3]")
{
    rt how = need_runtime();
    container c;
    auto r = c.run(how, {"printf '%s|' \"$0\" \"$@\"; cat /run/s6/workdir; "
                         "test -x /run/s6/basedir/bin/halt && echo halt-ok", "a b", "c"},
                   {"S6_CMD_ARG0= sh\t-c\n"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "a b|c|/\nhalt-ok\n");
}

TEST_CASE("init: S6_CMD_ARG0 and PATH as real s6-overlay 3.1.5.0 makes them",
          "[init][v3][overlay]")
{
    rt how = need_runtime();
    container ours, theirs;
    // An empty /command in ours, as s6-overlay has one: PATH gets it in front in both.
    auto const [r1, r2] = boot_twins(
        how, ours, theirs,
        [](container &c) {
            rc_def(c, "user", "bundle", {{"contents.d/.empty", ""}});
            h::mkdirs(c.path("command"));
        },
        {"printf '%s|' \"$0\" \"$@\" \"$PATH\"", "a b", "c"}, {"S6_CMD_ARG0= sh\t-c\n"});
    INFO("ours: " << r1.err);
    INFO("s6-overlay: " << r2.err);
    CHECK(r1.code == 0);
    CHECK(r2.code == 0);
    CHECK(r1.out ==
          "a b|c|/command:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|");
    CHECK(r2.out == r1.out);
}
