// Replacing the process image (libsupervise/exec.cc): exit 127 for a program found nowhere,
// 126 for one that cannot be run, the skalibs-style PATH search (default PATH, empty entries
// meaning ".", EACCES winning over ENOENT), and the envp overloads, whose PATH search still
// uses our own PATH.  Every exec happens in a forked child.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <type_traits>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/exec.hh>

#include "harness.hh"

namespace {

// An executable shell script at path.
void make_script(std::string const &path, std::string const &body, mode_t mode = 0755)
{
    h::write_file(path, "#!/bin/sh\n" + body + "\n");
    REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// Runs fn in a child with stderr going to errfile; returns the exit code (-1 if it did not
// exit normally within 10 s).
template <class F>
int in_child(std::string const &errfile, F fn)
{
    h::child c([&] {
        int fd = ::open(errfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || ::dup2(fd, 2) < 0) return 120;
        sv::prog = "tool";
        if constexpr (std::is_void_v<decltype(fn())>) {
            fn();
            return 125;
        } else
            return fn();
    });
    return c.exit_code();
}

} // namespace

TEST_CASE("exec_or_die: 127 for a missing program, 126 for one that cannot run", "[exec]")
{
    h::tempdir t;
    std::string const err = t / "stderr";

    SECTION("missing absolute path: 127")
    {
        std::string const prog = t / "nope";
        int code = in_child(err, [&] {
            char const *argv[] = {prog.c_str(), nullptr};
            sv::exec_or_die(argv);
        });
        CHECK(code == 127);
        CHECK(h::read_existing(err) ==
              "tool: fatal: unable to exec " + prog + ": No such file or directory\n");
    }
    SECTION("missing in PATH: 127")
    {
        int code = in_child(err, [&] {
            ::setenv("PATH", t.c_str(), 1);
            char const *argv[] = {"s6pp-no-such-program", nullptr};
            sv::exec_or_die(argv);
        });
        CHECK(code == 127);
        CHECK(h::read_existing(err) ==
              "tool: fatal: unable to exec s6pp-no-such-program: No such file or directory\n");
    }
    SECTION("not executable: 126")
    {
        std::string const prog = t / "plain";
        make_script(prog, "exit 0", 0644);
        int code = in_child(err, [&] {
            char const *argv[] = {prog.c_str(), nullptr};
            sv::exec_or_die(argv);
        });
        CHECK(code == 126);
        CHECK(h::read_existing(err) ==
              "tool: fatal: unable to exec " + prog + ": Permission denied\n");
    }
    SECTION("a directory: 126")
    {
        int code = in_child(err, [&] {
            char const *argv[] = {t.c_str(), nullptr};
            sv::exec_or_die(argv);
        });
        CHECK(code == 126);
    }
    SECTION("success runs the program with argv")
    {
        std::string const prog = t / "prog";
        make_script(prog, "[ \"$1\" = one ] && [ \"$2\" = two ] && exit 42; exit 1");
        int code = in_child(err, [&] {
            char const *argv[] = {prog.c_str(), "one", "two", nullptr};
            sv::exec_or_die(argv);
        });
        CHECK(code == 42);
        CHECK(h::read_existing(err).empty());
    }
}

TEST_CASE("exec_path searches PATH like skalibs", "[exec]")
{
    h::tempdir t;
    std::string const err = t / "stderr";
    std::string const d1 = t / "d1", d2 = t / "d2";
    REQUIRE(::mkdir(d1.c_str(), 0755) == 0);
    REQUIRE(::mkdir(d2.c_str(), 0755) == 0);

    SECTION("the first directory that has it wins")
    {
        make_script(d1 + "/prog", "exit 11");
        make_script(d2 + "/prog", "exit 22");
        CHECK(in_child(err, [&] {
                  ::setenv("PATH", (t / "missing:" + d2 + ":" + d1).c_str(), 1);
                  char const *argv[] = {"prog", nullptr};
                  sv::exec_path(argv);
                  return 100;
              }) == 22);
    }
    SECTION("a non-executable match is skipped, but EACCES is what is reported")
    {
        make_script(d1 + "/prog", "exit 11", 0644);
        make_script(d2 + "/prog", "exit 22");
        CHECK(in_child(err, [&] {
                  ::setenv("PATH", (d1 + ":" + d2).c_str(), 1);
                  char const *argv[] = {"prog", nullptr};
                  sv::exec_path(argv);
                  return 100;
              }) == 22);
        CHECK(in_child(err, [&] {
                  ::setenv("PATH", (d2 + "/nope:" + d1 + ":" + t / "missing").c_str(), 1);
                  char const *argv[] = {"prog", nullptr};
                  sv::exec_path(argv);
                  return errno == EACCES ? 50 : 51;
              }) == 50);
        CHECK(in_child(err, [&] {
                  ::setenv("PATH", (d1 + ":" + t / "missing").c_str(), 1);
                  char const *argv[] = {"prog", nullptr};
                  sv::exec_or_die(argv);
              }) == 126);
    }
    SECTION("found nowhere: ENOENT, even through a file used as a directory")
    {
        h::write_file(t / "file", "");
        CHECK(in_child(err, [&] {
                  ::setenv("PATH", (t / "file:" + d1).c_str(), 1);
                  char const *argv[] = {"prog", nullptr};
                  sv::exec_path(argv);
                  return errno == ENOENT ? 50 : 51;
              }) == 50);
    }
    SECTION("an empty entry means the current directory")
    {
        make_script(d1 + "/prog", "exit 33");
        CHECK(in_child(err, [&] {
                  if (::chdir(d1.c_str()) < 0) return 120;
                  ::setenv("PATH", (d2 + "::" + d2).c_str(), 1);
                  char const *argv[] = {"prog", nullptr};
                  sv::exec_path(argv);
                  return 100;
              }) == 33);
    }
    SECTION("a name with a slash is not searched")
    {
        make_script(d1 + "/prog", "exit 11");
        CHECK(in_child(err, [&] {
                  ::setenv("PATH", d1.c_str(), 1);
                  if (::chdir(t.c_str()) < 0) return 120;
                  char const *argv[] = {"./prog", nullptr};
                  sv::exec_path(argv);
                  return errno == ENOENT ? 50 : 51;
              }) == 50);
    }
    SECTION("no PATH: /usr/bin:/bin")
    {
        CHECK(in_child(err, [&] {
                  ::unsetenv("PATH");
                  char const *argv[] = {"sh", "-c", "exit 44", nullptr};
                  sv::exec_path(argv);
                  return 100;
              }) == 44);
    }
}

TEST_CASE("exec with envp gives the program that environment", "[exec]")
{
    h::tempdir t;
    std::string const err = t / "stderr";
    std::string const d1 = t / "d1";
    REQUIRE(::mkdir(d1.c_str(), 0755) == 0);
    // 40 + (FOO is bar) + 2 * (OURS is unset); 1 if anything else.
    make_script(d1 + "/envprog",
                "r=40; [ \"$FOO\" = bar ] && r=$((r+1)); [ -z \"${OURS+x}\" ] && r=$((r+2)); "
                "exit $r");

    SECTION("exec_or_die, absolute path")
    {
        CHECK(in_child(err, [&] {
                  ::setenv("OURS", "1", 1);
                  std::string const p = d1 + "/envprog";
                  char const *argv[] = {p.c_str(), nullptr};
                  char const *envp[] = {"FOO=bar", nullptr};
                  sv::exec_or_die(argv, envp);
              }) == 43);
    }
    SECTION("the one-argument form passes our own environment")
    {
        CHECK(in_child(err, [&] {
                  ::setenv("OURS", "1", 1);
                  ::setenv("FOO", "bar", 1);
                  std::string const p = d1 + "/envprog";
                  char const *argv[] = {p.c_str(), nullptr};
                  sv::exec_or_die(argv);
              }) == 41);
    }
    SECTION("the PATH search uses our PATH, not the one in envp")
    {
        CHECK(in_child(err, [&] {
                  ::setenv("PATH", d1.c_str(), 1);
                  char const *argv[] = {"envprog", nullptr};
                  char const *envp[] = {"FOO=bar", "PATH=/nonexistent", nullptr};
                  sv::exec_path(argv, envp);
                  return 100;
              }) == 43);
        CHECK(in_child(err, [&] {
                  ::setenv("PATH", "/nonexistent", 1);
                  char const *argv[] = {"envprog", nullptr};
                  std::string const envpath = "PATH=" + d1;
                  char const *envp[] = {"FOO=bar", envpath.c_str(), nullptr};
                  sv::exec_or_die(argv, envp);
              }) == 127);
    }
    SECTION("an empty environment")
    {
        CHECK(in_child(err, [&] {
                  ::setenv("OURS", "1", 1);
                  std::string const p = d1 + "/envprog";
                  char const *argv[] = {p.c_str(), nullptr};
                  char const *envp[] = {nullptr};
                  sv::exec_or_die(argv, envp);
              }) == 42);
    }
}
