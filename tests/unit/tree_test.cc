// Copying and removing file trees (libsupervise/tree.cc): what stock's hiercopy keeps (modes
// with their setuid/setgid/sticky bits, owners when root, symlink texts, FIFOs) and what it
// does not (hard links become copies); the /init variant that links executables; rm_rf never
// following a symlink out of the tree.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <string>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <supervise/fd.hh>

#include <supervise/tree.hh>

#include "harness.hh"

namespace {

std::string link_text(std::string const &path)
{
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n < 0 ? std::string("(none)") : std::string(buf, static_cast<std::size_t>(n));
}

struct stat stat_of(std::string const &path)
{
    struct stat st;
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

// A template like an instanced service's, with the odd cases in it.
void make_template(std::string const &src)
{
    h::mkdirs(src + "/sub/deeper");
    h::write_file(src + "/run", "#!/bin/sh\nexec true\n", 0755);
    h::write_file(src + "/sub/secret", "s3cret", 0600);
    h::write_file(src + "/sub/deeper/empty", "", 0644);
    REQUIRE(::chmod((src + "/sub/secret").c_str(), 04751) == 0);
    REQUIRE(::chmod((src + "/sub").c_str(), 02750) == 0);
    REQUIRE(::symlink("../run", (src + "/sub/rel").c_str()) == 0);
    REQUIRE(::symlink("/nonexistent/target", (src + "/dangling").c_str()) == 0);
    REQUIRE(::mkfifo((src + "/fifo").c_str(), 0640) == 0);
    REQUIRE(::link((src + "/run").c_str(), (src + "/hard").c_str()) == 0);
}

} // namespace

TEST_CASE("copy_tree copies contents, modes, links and FIFOs", "[tree]")
{
    h::tempdir t;
    std::string const src = t / "src", dst = t / "dst";
    make_template(src);
    h::umask_guard u(077); // the umask must not matter
    REQUIRE(sv::copy_tree(src, dst));

    CHECK(h::read_existing(dst + "/run") == "#!/bin/sh\nexec true\n");
    CHECK((stat_of(dst + "/run").st_mode & 07777) == 0755);
    CHECK(h::read_existing(dst + "/sub/secret") == "s3cret");
    CHECK((stat_of(dst + "/sub/secret").st_mode & 07777) == 04751);
    CHECK((stat_of(dst + "/sub").st_mode & 07777) == 02750);
    CHECK(h::read_existing(dst + "/sub/deeper/empty").empty());
    CHECK(link_text(dst + "/sub/rel") == "../run");
    CHECK(link_text(dst + "/dangling") == "/nonexistent/target");
    CHECK(S_ISFIFO(stat_of(dst + "/fifo").st_mode));
    CHECK((stat_of(dst + "/fifo").st_mode & 07777) == 0640);
    // A hard link becomes a file of its own.
    CHECK(stat_of(dst + "/hard").st_ino != stat_of(dst + "/run").st_ino);
    CHECK(stat_of(dst + "/hard").st_nlink == 1);
}

TEST_CASE("copy_tree keeps owners when it may", "[tree]")
{
    h::need_root("giving files to another user needs root");
    h::tempdir t;
    std::string const src = t / "src", dst = t / "dst";
    make_template(src);
    REQUIRE(::lchown((src + "/sub/secret").c_str(), 65534, 65534) == 0);
    REQUIRE(::chmod((src + "/sub/secret").c_str(), 04751) == 0); // chown dropped setuid
    REQUIRE(::lchown((src + "/sub/rel").c_str(), 99, 98) == 0);
    REQUIRE(sv::copy_tree(src, dst));
    CHECK(stat_of(dst + "/sub/secret").st_uid == 65534);
    CHECK((stat_of(dst + "/sub/secret").st_mode & 07777) == 04751); // chmod after chown
    CHECK(stat_of(dst + "/sub/rel").st_uid == 99);
    CHECK(stat_of(dst + "/sub/rel").st_gid == 98);

    sv::copy_options o;
    o.keep_owner = false;
    REQUIRE(sv::copy_tree(src, t / "dst2", o));
    CHECK(stat_of(t / "dst2/sub/secret").st_uid == ::getuid());
}

TEST_CASE("copy_tree failures", "[tree]")
{
    h::tempdir t;
    errno = 0;
    CHECK_FALSE(sv::copy_tree(t / "nosuch", t / "dst"));
    CHECK(errno == ENOENT);
    h::mkdirs(t / "src");
    errno = 0;
    CHECK_FALSE(sv::copy_tree(t / "src", t / "no/dst"));
    CHECK(errno == ENOENT);
}

TEST_CASE("copy_tree can link executables instead of copying them", "[tree]")
{
    h::tempdir t;
    std::string const src = t / "src", dst = t / "dst";
    make_template(src);
    sv::copy_options o;
    o.link_executables = true;
    REQUIRE(sv::copy_tree(src, dst, o));
    CHECK(link_text(dst + "/run") == src + "/run");
    CHECK(h::read_existing(dst + "/sub/deeper/empty").empty());
    CHECK(S_ISREG(stat_of(dst + "/sub/deeper/empty").st_mode));
}

TEST_CASE("rm_rf removes a tree, never what its links point to", "[tree]")
{
    h::tempdir t;
    std::string const victim = t / "victim", keep = t / "keep";
    make_template(victim);
    h::mkdirs(keep);
    h::write_file(keep + "/file", "x");
    REQUIRE(::symlink(keep.c_str(), (victim + "/sub/outside").c_str()) == 0);
    CHECK(sv::rm_rf(victim.c_str()));
    CHECK_FALSE(h::exists(victim));
    CHECK(h::read_existing(keep + "/file") == "x");
    CHECK(sv::rm_rf(victim.c_str())); // already gone
    h::write_file(t / "plain", "");
    CHECK(sv::rm_rf((t / "plain").c_str()));
    CHECK_FALSE(h::exists(t / "plain"));
}

TEST_CASE("copy_tree can leave sockets out", "[tree]")
{
    h::tempdir t;
    std::string const src = t / "src";
    h::mkdirs(src);
    h::write_file(src + "/file", "x");
    sv::unique_fd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(s);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::string const sock = src + "/sock";
    REQUIRE(sock.size() < sizeof a.sun_path);
    std::memcpy(a.sun_path, sock.c_str(), sock.size() + 1);
    REQUIRE(::bind(s.get(), reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);

    REQUIRE(sv::copy_tree(src, t / "all"));
    CHECK(S_ISSOCK(h::mode_of(t / "all/sock")));
    sv::copy_options o;
    o.skip_special = true;
    REQUIRE(sv::copy_tree(src, t / "some", o));
    CHECK_FALSE(h::exists(t / "some/sock"));
    CHECK(h::read_existing(t / "some/file") == "x");
}
