// Generated service directories (libsupervise/autosvc.cc): skalibs' string_quote, byte for byte
// as stock s6-instance-maker wrote it (the golden strings below come from its output), the
// logger's run script, and the files, modes and s6-rc extras of write_service and
// write_logger.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

#include <sys/stat.h>

#include <supervise/autosvc.hh>
#include <supervise/sibling.hh>

#include "harness.hh"

namespace {

// The unit-test binary has no s6-log beside it, so our programs are named in the bindir.
sv::script_paths const paths{"/sh", "/el"};
std::string bin(std::string const &name) { return std::string(sv::install_bindir) + "/" + name; }

} // namespace

TEST_CASE("script_quote escapes as skalibs' string_quote", "[autosvc]")
{
    CHECK(sv::script_quote("") == "\"\"");
    CHECK(sv::script_quote("nobody") == "\"nobody\"");
    CHECK(sv::script_quote("us\"er\\x") == "\"us\\\"er\\\\x\"");
    CHECK(sv::script_quote("/var/log/a b$c\"d\\e\nf\tg") ==
          "\"/var/log/a b$c\\\"d\\\\e\\nf\\tg\"");
    // Captured from stock: s6-instance-maker -L "$(printf '/a\001\002\r\a\v\f\b\x7f\xc3\xa9\x1b~
    // \x80\xff')".
    CHECK(sv::script_quote("/a\001\002\r\a\v\f\b\x7f\xc3\xa9\x1b~ \x80\xff") ==
          "\"/a\\0x01\\0x02\\r\\a\\v\\f\\b\\0x7f\\0xc3\\0xa9\\0x1b~ \\0x80\\0xff\"");
    CHECK(sv::script_quote("${HOME}/service") == "\"${HOME}/service\"");
}

TEST_CASE("script_paths name execline and our programs", "[autosvc]")
{
    CHECK(paths.shebang() == "#!/sh/execlineb -P\n");
    CHECK(paths.execline("fdmove") == "/el/fdmove");
    CHECK(paths.s6("s6-svscan") == bin("s6-svscan"));
    CHECK(sv::our_program("s6-log") == bin("s6-log"));
}

TEST_CASE("logger_run writes stock's s6-log line", "[autosvc]")
{
    sv::logger_conf c;
    c.dir = "/var/log/x";
    CHECK(sv::logger_run(paths, c) ==
          "#!/sh/execlineb -P\n" + bin("s6-log") + " -bd3 -- t n10 s1000000 \"/var/log/x\"\n");

    // Every option, as stock wrote them for -l 'us"er\x' -t 3 -n 5 -s 4096 -S 100000
    // -P 'pre fix' (the prefix unquoted, as stock).
    c.user = "us\"er\\x";
    c.stamptype = 3;
    c.nfiles = 5;
    c.filesize = 4096;
    c.maxsize = 100000;
    c.prefix = "pre fix";
    CHECK(sv::logger_run(paths, c) == "#!/sh/execlineb -P\n" + bin("s6-setuidgid") +
                                          " \"us\\\"er\\\\x\"\n" + bin("s6-log") +
                                          " -bd3 -- t T n5 s4096 S100000 ppre fix \"/var/log/x\"\n");

    c = {};
    c.dir = "/l";
    c.stamptype = 2;
    c.nfiles = 0;
    CHECK(sv::logger_run(paths, c) ==
          "#!/sh/execlineb -P\n" + bin("s6-log") + " -bd3 -- T n0 s1000000 \"/l\"\n");
}

TEST_CASE("write_service makes the directory, notification-fd and run", "[autosvc]")
{
    h::tempdir t;
    std::string const dir = t / "svc";
    sv::write_failure f;

    SECTION("plain, umask 022: run is 0755")
    {
        h::umask_guard u(022);
        REQUIRE(sv::write_service(dir, 3, "RUN\n", nullptr, f));
        CHECK((h::mode_of(dir) & 07777) == 0755);
        CHECK(h::read_existing(dir + "/notification-fd") == "3\n");
        CHECK((h::mode_of(dir + "/notification-fd") & 07777) == 0644);
        CHECK(h::read_existing(dir + "/run") == "RUN\n");
        CHECK((h::mode_of(dir + "/run") & 07777) == 0755);
        CHECK_FALSE(h::exists(dir + "/type"));
    }
    SECTION("plain, umask 077: the directory is still 0755, run 0700")
    {
        h::umask_guard u(077);
        REQUIRE(sv::write_service(dir, 3, "RUN\n", nullptr, f));
        CHECK((h::mode_of(dir) & 07777) == 0755);
        CHECK((h::mode_of(dir + "/run") & 07777) == 0700);
        CHECK((h::mode_of(dir + "/notification-fd") & 07777) == 0600);
    }
    SECTION("no notification-fd when nfd is 0")
    {
        REQUIRE(sv::write_service(dir, 0, "RUN\n", nullptr, f));
        CHECK_FALSE(h::exists(dir + "/notification-fd"));
    }
    SECTION("for s6-rc: type and producer-for, run left as written")
    {
        h::umask_guard u(022);
        REQUIRE(sv::write_service(dir, 3, "RUN\n", "logger", f));
        CHECK(h::read_existing(dir + "/type") == "longrun\n");
        CHECK(h::read_existing(dir + "/producer-for") == "logger\n");
        CHECK((h::mode_of(dir + "/run") & 07777) == 0644);
    }
    SECTION("for s6-rc without a logger: no producer-for")
    {
        REQUIRE(sv::write_service(dir, 3, "RUN\n", "", f));
        CHECK(h::read_existing(dir + "/type") == "longrun\n");
        CHECK_FALSE(h::exists(dir + "/producer-for"));
    }
    SECTION("an existing directory is an error")
    {
        h::mkdirs(dir);
        errno = 0;
        CHECK_FALSE(sv::write_service(dir, 3, "RUN\n", nullptr, f));
        CHECK(errno == EEXIST);
        CHECK(std::string(f.verb) == "mkdir");
        CHECK(f.path == dir);
    }
}

TEST_CASE("write_logger makes a logger directory", "[autosvc]")
{
    h::tempdir t;
    std::string const dir = t / "log";
    sv::write_failure f;
    h::umask_guard u(022);

    SECTION("plain")
    {
        REQUIRE(sv::write_logger(dir, "LOGRUN\n", nullptr, nullptr, f));
        CHECK((h::mode_of(dir) & 07777) == 0755);
        CHECK(h::read_existing(dir + "/notification-fd") == "3\n");
        CHECK(h::read_existing(dir + "/run") == "LOGRUN\n");
        CHECK((h::mode_of(dir + "/run") & 07777) == 0755);
        CHECK_FALSE(h::exists(dir + "/type"));
    }
    SECTION("for s6-rc, with a pipeline")
    {
        REQUIRE(sv::write_logger(dir, "LOGRUN\n", "svc", "pipe", f));
        CHECK(h::read_existing(dir + "/type") == "longrun\n");
        CHECK(h::read_existing(dir + "/consumer-for") == "svc\n");
        CHECK(h::read_existing(dir + "/pipeline-name") == "pipe\n");
        CHECK((h::mode_of(dir + "/run") & 07777) == 0644);
    }
    SECTION("for s6-rc, without a pipeline")
    {
        REQUIRE(sv::write_logger(dir, "LOGRUN\n", "svc", nullptr, f));
        CHECK(h::read_existing(dir + "/consumer-for") == "svc\n");
        CHECK_FALSE(h::exists(dir + "/pipeline-name"));
    }
    SECTION("a missing parent: unable to mkdir")
    {
        errno = 0;
        CHECK_FALSE(sv::write_logger(t / "no/log", "LOGRUN\n", nullptr, nullptr, f));
        CHECK(errno == ENOENT);
        CHECK(std::string(f.verb) == "mkdir");
        CHECK(f.path == t / "no/log");
    }
}

TEST_CASE("quote_escapes: script_quote's escapes without the quotes", "[autosvc]")
{
    std::string out = "x";
    sv::quote_escapes(out, std::string_view("a\\b\"c\x01\t\xff", 8));
    CHECK(out == "xa\\\\b\"c\\0x01\\t\\0xff");
    out.clear();
    sv::quote_escapes(out, "\"", "\"");
    CHECK(out == "\\\"");
}
