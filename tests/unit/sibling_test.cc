// Finding our own programs (libsupervise/sibling.cc): NAME next to the running executable if
// it is there and executable, else FALLBACK/NAME.  The scenarios that need a different
// executable directory run a copy of this test program (or a symlink to it) with the hidden
// probe test case below, which writes its findings to a file.
#include <catch2/catch.hpp>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/sibling.hh>

#include "harness.hh"

namespace {

std::string self_exe()
{
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf);
    REQUIRE(n > 0);
    return std::string(buf, static_cast<std::size_t>(n));
}

// Runs exe (a copy of or link to this program) as the probe, asking about names, and returns
// what it wrote: one "NAME RESULT PATH" line per name.
std::string run_probe(h::tempdir const &t, std::string const &exe, std::string const &names,
                      bool unlink_self)
{
    std::string const outfile = t / "probe.out";
    ::unlink(outfile.c_str());
    h::child c([&] {
        int null = ::open("/dev/null", O_WRONLY);
        if (null < 0 || ::dup2(null, 1) < 0 || ::dup2(null, 2) < 0) return 120;
        ::setenv("S6PP_SIBLING_OUT", outfile.c_str(), 1);
        ::setenv("S6PP_SIBLING_NAMES", names.c_str(), 1);
        if (unlink_self) ::setenv("S6PP_SIBLING_UNLINK", "1", 1);
        char const *argv[] = {exe.c_str(), "sibling_path probe", nullptr};
        ::execv(exe.c_str(), const_cast<char *const *>(argv));
        return 121;
    });
    int st = c.wait(20000);
    REQUIRE(st != -1);
    REQUIRE(WIFEXITED(st));
    REQUIRE(WEXITSTATUS(st) == 0);
    return h::read_existing(outfile);
}

} // namespace

// Not a test by itself: the scenarios below run it in a copy of this program.
TEST_CASE("sibling_path probe", "[sibling][.]")
{
    char const *out = std::getenv("S6PP_SIBLING_OUT");
    char const *names = std::getenv("S6PP_SIBLING_NAMES");
    if (!out || !names) return;
    if (std::getenv("S6PP_SIBLING_UNLINK")) REQUIRE(::unlink(self_exe().c_str()) == 0);
    std::string result;
    std::istringstream in(names);
    std::string name;
    while (std::getline(in, name, ',')) {
        sv::path_buf p;
        bool ok = sv::sibling_path(name, "/fallback/bin", p);
        result += name + (ok ? " ok " : " fail ") + std::string(p.view()) + "\n";
    }
    h::write_file(out, result);
}

TEST_CASE("sibling_path finds a program next to the running executable", "[sibling]")
{
    std::string const self = self_exe();
    std::string const base = self.substr(self.rfind('/') + 1);
    sv::path_buf p;
    REQUIRE(sv::sibling_path(base, "/fallback/bin", p));
    CHECK(std::string(p.view()) == self);
}

TEST_CASE("sibling_path falls back to the given directory", "[sibling]")
{
    sv::path_buf p;
    REQUIRE(sv::sibling_path("s6pp-no-such-sibling", "/fallback/bin", p));
    CHECK(std::string(p.view()) == "/fallback/bin/s6pp-no-such-sibling");
}

TEST_CASE("sibling_path fails with ENAMETOOLONG only when nothing fits", "[sibling]")
{
    sv::path_buf p;
    std::string const long_dir(PATH_MAX, 'd');
    errno = 0;
    CHECK_FALSE(sv::sibling_path("prog", long_dir, p));
    CHECK(errno == ENAMETOOLONG);
    std::string const long_name(PATH_MAX, 'n');
    errno = 0;
    CHECK_FALSE(sv::sibling_path(long_name, "/fallback/bin", p));
    CHECK(errno == ENAMETOOLONG);
}

TEST_CASE("sibling_path looks in the executable's own directory", "[sibling]")
{
    h::tempdir t;
    std::string const bin = t / "bin";
    REQUIRE(::mkdir(bin.c_str(), 0755) == 0);
    std::string const copy = bin + "/probe";
    std::filesystem::copy_file(self_exe(), copy);
    REQUIRE(::chmod(copy.c_str(), 0755) == 0);
    h::write_file(bin + "/tool", "#!/bin/sh\n");
    REQUIRE(::chmod((bin + "/tool").c_str(), 0755) == 0);
    h::write_file(bin + "/plain", "#!/bin/sh\n");
    REQUIRE(::chmod((bin + "/plain").c_str(), 0644) == 0);
    REQUIRE(::mkdir((bin + "/adir").c_str(), 0755) == 0);

    SECTION("executable siblings are found; others fall back")
    {
        CHECK(run_probe(t, copy, "tool,plain,adir,missing,probe", false) ==
              "tool ok " + bin + "/tool\n"
              "plain ok /fallback/bin/plain\n"
              "adir ok /fallback/bin/adir\n"
              "missing ok /fallback/bin/missing\n"
              "probe ok " + bin + "/probe\n");
    }
    SECTION("a deleted (replaced) executable still names its directory")
    {
        CHECK(run_probe(t, copy, "tool,missing", true) ==
              "tool ok " + bin + "/tool\n"
              "missing ok /fallback/bin/missing\n");
        CHECK_FALSE(h::exists(copy));
    }
    SECTION("through a symlink, the directory is the link target's")
    {
        std::string const other = t / "other";
        REQUIRE(::mkdir(other.c_str(), 0755) == 0);
        REQUIRE(::symlink(copy.c_str(), (other + "/probe").c_str()) == 0);
        h::write_file(other + "/only-here", "#!/bin/sh\n");
        REQUIRE(::chmod((other + "/only-here").c_str(), 0755) == 0);
        CHECK(run_probe(t, other + "/probe", "tool,only-here", false) ==
              "tool ok " + bin + "/tool\n"
              "only-here ok /fallback/bin/only-here\n");
    }
}
