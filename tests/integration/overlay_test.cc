// Real s6-overlay 3.1.5.0 with its s6 package replaced by s6pp.  The oracles folder's
// build-s6-overlay-v3.sh builds s6-overlay and its whole skaware stack (static, slashpackage;
// h::oracle_build caches it); each test unpacks it over a busybox root file system, replaces
// every program of s6's command directory (/package/admin/s6-2.11.3.2/command/) by ours, or by
// a stub that logs its name and exits 111 where s6pp lacks the program, and boots the image
// with runc: s6-overlay's own /init, s6-linux-init, s6-rc and execline, over our s6-svscan,
// s6-supervise, s6-svc, s6-ipcserver*, s6-sudo*, s6-fdholder*...  A test fails, naming them,
// if a stub ran.
#include <catch2/catch.hpp>

#include "harness.hh"

#include <climits>
#include <cstdlib>
#include <dirent.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr char const *s6_command = "package/admin/s6-2.11.3.2/command";
constexpr char const *stub_log = "s6pp-stubs-used"; // at the container's root

std::string real_path(std::string const &p)
{
    char buf[PATH_MAX];
    REQUIRE(realpath(p.c_str(), buf) != nullptr);
    return buf;
}

// An s6-overlay v3 image on s6pp: busybox, s6-overlay's tree, our s6 programs.
struct overlay_image : h::container
{
    h::strings replaced, stubbed;

    overlay_image() : h::container("s6pp-overlay")
    {
        std::string const tree = h::s6_overlay_tree();
        REQUIRE(h::run({"/bin/cp", "-a", tree + "/.", root() + "/"}).code == 0);
        add_busybox();
        add_accounts();
        h::mkdirs(path("var")); // s6-overlay's preinit makes /var/run a link to /run
        // The glibc-static programs of the stack look users up through nsswitch.
        file("etc/nsswitch.conf", "passwd: files\ngroup: files\n", 0644);
        file(stub_log, "", 0666);
        DIR *d = opendir(path(s6_command).c_str());
        REQUIRE(d != nullptr);
        while (dirent *e = readdir(d)) {
            std::string const n = e->d_name;
            if (n == "." || n == "..") continue;
            std::string const rel = std::string(s6_command) + "/" + n;
            REQUIRE(unlink(path(rel).c_str()) == 0);
            if (h::ours_built(n)) {
                // Our multicall programs are symlinks in the build tree: link the file.
                put_binary(real_path(h::ours(n)), rel);
                replaced.push_back(n);
            } else {
                h::write_stub(path(rel), n, std::string("/") + stub_log);
                stubbed.push_back(n);
            }
        }
        closedir(d);
        REQUIRE(replaced.size() > 50);

        // The image's services: a oneshot, a longrun that depends on it and tells its
        // readiness, and the longrun's logger, all in s6-overlay's user bundle.
        std::string const rc = "etc/s6-overlay/s6-rc.d/";
        file(rc + "setup/type", "oneshot\n", 0644);
        file(rc + "setup/up", "/etc/s6-overlay/scripts/setup\n", 0644);
        file("etc/s6-overlay/scripts/setup", "#!/bin/sh\necho oneshot-ran > /tmp/oneshot\n");
        file(rc + "setup/dependencies.d/base", "", 0644);
        file(rc + "daemon/type", "longrun\n", 0644);
        file(rc + "daemon/notification-fd", "3\n", 0644);
        file(rc + "daemon/run", "#!/bin/sh\ntest -f /tmp/oneshot || exit 1\n"
                                "echo longrun-ran > /tmp/longrun\necho hello-logger\n"
                                "echo >&3\nexec sleep 1000\n");
        // Its logger, the usual s6-overlay pattern: a pipeline whose pipe s6-rc keeps in its
        // fd-holder, into our s6-log.
        file(rc + "daemon/producer-for", "daemon-log\n", 0644);
        file(rc + "daemon-log/type", "longrun\n", 0644);
        file(rc + "daemon-log/consumer-for", "daemon\n", 0644);
        file(rc + "daemon-log/pipeline-name", "daemon-pipeline\n", 0644);
        file(rc + "daemon-log/run", "#!/bin/sh\nmkdir -p /tmp/log\nexec s6-log /tmp/log\n");
        file(rc + "daemon/finish", "#!/bin/sh\necho longrun-finished >> /tmp/finished\n");
        file(rc + "daemon/dependencies.d/setup", "", 0644);
        file(rc + "user/contents.d/setup", "", 0644);
        file(rc + "user/contents.d/daemon-pipeline", "", 0644);
        // And the legacy v2 ways: a cont-init.d script and a services.d longrun, which
        // s6-overlay copies into /run/service and starts with s6-svscanctl -a.
        file("etc/cont-init.d/10-hello", "#!/bin/sh\necho cont-init-ran > /tmp/cont-init\n");
        file("etc/services.d/legacy/run",
             "#!/bin/sh\necho legacy-ran > /tmp/legacy\necho >&3\nexec sleep 1000\n");
        file("etc/services.d/legacy/notification-fd", "3\n", 0644);
    }

    std::string stubs_run() const { return h::stubs_run(path(stub_log)); }
    std::string stubbed_list() const
    {
        std::string s;
        for (auto const &n : stubbed)
            s += " " + n;
        return s;
    }
};

bool contains(std::string const &hay, std::string const &needle)
{
    return hay.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("s6-overlay 3.1.5.0 on s6pp boots, runs its s6-rc services and the CMD, passes "
          "the CMD's exit code",
          "[overlay]")
{
    h::rt how = h::need_runtime();
    if (how != h::rt::runc) h::skip("s6-overlay needs runc here (only unshare works)");
    overlay_image c;
    INFO("stubbed (not built by s6pp):" << c.stubbed_list());
    // The CMD sees the services up (s6-overlay starts it once the user bundle is up; it
    // waits for the legacy longrun itself), then exits 42.
    auto r = c.run(how,
                   {"sh", "-c",
                    "s6-svwait -U -t 10000 /run/service/legacy || exit 9; "
                    "cat /tmp/cont-init /tmp/oneshot /tmp/longrun /tmp/legacy; "
                    "s6-svstat /run/service/daemon; exit 42"},
                   {"S6_CMD_WAIT_FOR_SERVICES=1"}, 60000);
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    INFO("stock programs s6pp lacks, which s6-overlay ran (stubs exiting 111):" << c.stubs_run());
    CHECK(c.stubs_run().empty());
    CHECK(!r.timed_out);
    CHECK(r.code == 42);
    CHECK(contains(r.out, "cont-init-ran\noneshot-ran\nlongrun-ran\nlegacy-ran\n"));
    CHECK(contains(r.out, "up (pid "));
    CHECK(contains(r.out, "ready"));
    // The daemon's output went through the pipeline to its logger.
    CHECK(
        h::wait_until([&] { return h::read_file(c.path("tmp/log/current")) == "hello-logger\n"; }));
    // Stopped: the longrun's finish ran on the way down.
    CHECK(h::read_file(c.path("tmp/finished")) == "longrun-finished\n");
}

TEST_CASE("s6-overlay 3.1.5.0 on s6pp: our s6-svscan is PID 1's, and runc kill TERM stops "
          "the container",
          "[overlay]")
{
    h::need_runc();
    overlay_image c;
    INFO("stubbed (not built by s6pp):" << c.stubbed_list());
    auto p = c.start({});
    bool const up = h::wait_until(
        [&] { return h::read_file(c.path("tmp/longrun")) == "longrun-ran\n"; }, 30000);
    INFO("stderr: " << p->err() << "\nstdout: " << p->out());
    INFO("stock programs s6pp lacks, which s6-overlay ran (stubs exiting 111):" << c.stubs_run());
    CHECK(up);
    if (up) {
        // runc state's pid is the container's PID 1: s6-linux-init has exec'd into
        // s6-svscan, the file we put in s6's command directory.
        auto st = h::run({h::runc_path(), "state", c.id()});
        REQUIRE(st.code == 0);
        auto at = st.out.find("\"pid\": ");
        REQUIRE(at != std::string::npos);
        pid_t const pid1 = static_cast<pid_t>(atoi(st.out.c_str() + at + 7));
        struct stat a, b;
        REQUIRE(stat(("/proc/" + std::to_string(pid1) + "/exe").c_str(), &a) == 0);
        REQUIRE(stat(c.path(std::string(s6_command) + "/s6-svscan").c_str(), &b) == 0);
        CHECK((a.st_dev == b.st_dev && a.st_ino == b.st_ino));
        CHECK(h::run({"/usr/bin/cmp", c.path(std::string(s6_command) + "/s6-svscan"),
                      real_path(h::ours("s6-svscan"))})
                  .code == 0);
    }
    CHECK(c.kill("TERM") == 0);
    CHECK(p->wait(30000) == 0);
    CHECK(h::read_file(c.path("tmp/finished")) == "longrun-finished\n");
    CHECK(c.stubs_run().empty());
}
