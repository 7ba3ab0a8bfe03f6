// The event/ fifodir (libsupervise/fifodir.cc): creation modes, the listener's FIFO name and
// mode, and the notifier's rules (one write per listener, stale FIFOs unlinked on ENXIO,
// names of any other shape ignored), all as s6 2.11's ftrigw/ftrigr do them.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/fifodir.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

namespace {

std::vector<std::string> list_dir(std::string const &path)
{
    std::vector<std::string> v;
    DIR *d = ::opendir(path.c_str());
    REQUIRE(d != nullptr);
    while (dirent *e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") v.push_back(n);
    }
    ::closedir(d);
    return v;
}

// A listener-shaped name (39 characters) with the given 6-character suffix.
std::string fake_listener_name(std::string const &suffix)
{
    return "ftrig1:@400000006b038be22bbb9a71:" + suffix;
}

bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

} // namespace

TEST_CASE("fifodir_make creates 03730 and leaves an existing directory alone", "[fifodir]")
{
    h::tempdir t;
    std::string const ev = t / "event";

    SECTION("fresh")
    {
        h::umask_guard um(0077); // the mode must not depend on the caller's umask
        REQUIRE(sv::fifodir_make(ev.c_str()));
        struct stat st;
        REQUIRE(::stat(ev.c_str(), &st) == 0);
        CHECK(S_ISDIR(st.st_mode));
        CHECK((st.st_mode & 07777) == 03730);
        CHECK(st.st_gid == ::getegid());
        CHECK(::umask(0077) == 0077); // and the caller's umask is restored
    }
    SECTION("existing")
    {
        REQUIRE(::mkdir(ev.c_str(), 0755) == 0);
        REQUIRE(::chmod(ev.c_str(), 01733) == 0); // public mode, as s6-svperms -e sets
        REQUIRE(sv::fifodir_make(ev.c_str()));
        CHECK((h::mode_of(ev) & 07777) == 01733);
    }
    SECTION("a non-directory is ENOTDIR")
    {
        h::write_file(ev, "");
        errno = 0;
        CHECK_FALSE(sv::fifodir_make(ev.c_str()));
        CHECK(errno == ENOTDIR);
    }
    SECTION("a missing parent fails")
    {
        errno = 0;
        CHECK_FALSE(sv::fifodir_make((t / "no/event").c_str()));
        CHECK(errno == ENOENT);
    }
}

TEST_CASE("is_listener_name: prefix ftrig1:@ and exactly 39 characters", "[fifodir]")
{
    CHECK(sv::is_listener_name(fake_listener_name("uGsPEJ")));
    CHECK(sv::is_listener_name("ftrig1:@" + std::string(31, 'z'))); // only shape is checked
    CHECK_FALSE(sv::is_listener_name(fake_listener_name("uGsPEJx")));
    CHECK_FALSE(sv::is_listener_name(fake_listener_name("uGsPE")));
    CHECK_FALSE(sv::is_listener_name("." + fake_listener_name("uGsPE")));   // 39, dotted
    CHECK_FALSE(sv::is_listener_name("ftrig2:@" + std::string(31, '0')));
    CHECK_FALSE(sv::is_listener_name("ftrig1:" + std::string(32, '0')));
    CHECK_FALSE(sv::is_listener_name(""));
}

TEST_CASE("listener::subscribe creates a 39-character ftrig1:@ FIFO, mode 0600", "[fifodir]")
{
    h::tempdir t;
    std::string const ev = t / "event";
    REQUIRE(sv::fifodir_make(ev.c_str()));

    sv::tain const before = sv::tain_now();
    sv::listener l;
    REQUIRE(l.subscribe(ev));
    sv::tain const after = sv::tain_now();
    CHECK(l.fd() >= 0);
    CHECK((::fcntl(l.fd(), F_GETFL) & O_NONBLOCK) != 0);

    auto const names = list_dir(ev);
    REQUIRE(names.size() == 1); // no dotted temporary left behind
    std::string const &n = names[0];
    CHECK(n.size() == 39);
    CHECK(sv::is_listener_name(n));
    CHECK(n.substr(0, 7) == "ftrig1:");
    sv::tain stamp;
    REQUIRE(sv::tain_scan(n.substr(7, 25), stamp));
    for (char c : n.substr(8, 24)) CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
    CHECK(before <= stamp);
    CHECK(stamp <= after);
    CHECK(n[32] == ':');
    for (char c : n.substr(33)) CHECK(is_alnum(c));

    mode_t const m = h::mode_of(ev + "/" + n);
    CHECK(S_ISFIFO(m));
    CHECK((m & 07777) == 0600);

    SECTION("unsubscribe unlinks it")
    {
        l.unsubscribe();
        CHECK(list_dir(ev).empty());
        CHECK(l.fd() < 0);
    }
    SECTION("so does the destructor")
    {
        {
            sv::listener l2;
            REQUIRE(l2.subscribe(ev));
            CHECK(list_dir(ev).size() == 2);
        }
        CHECK(list_dir(ev).size() == 1);
    }
    SECTION("two listeners get different names")
    {
        sv::listener l2;
        REQUIRE(l2.subscribe(ev));
        auto const both = list_dir(ev);
        REQUIRE(both.size() == 2);
        CHECK(both[0] != both[1]);
    }
}

TEST_CASE("listener::subscribe creates a missing fifodir", "[fifodir]")
{
    h::tempdir t;
    std::string const ev = t / "event";
    sv::listener l;
    REQUIRE(l.subscribe(ev));
    CHECK((h::mode_of(ev) & 07777) == 03730);
    CHECK(list_dir(ev).size() == 1);
}

TEST_CASE("fifodir_notify delivers the bytes to every listener in one read", "[fifodir]")
{
    h::tempdir t;
    std::string const ev = t / "event";
    REQUIRE(sv::fifodir_make(ev.c_str()));
    sv::listener a, b;
    REQUIRE(a.subscribe(ev));
    REQUIRE(b.subscribe(ev));

    sv::fifodir_notify(ev.c_str(), "OD");
    std::int64_t const deadline = sv::mono_ms() + 5000;
    char buf[16];
    CHECK(a.wait(buf, sizeof buf, deadline) == 2);
    CHECK(std::string(buf, 2) == "OD");
    CHECK(b.wait(buf, sizeof buf, deadline) == 2);
    CHECK(std::string(buf, 2) == "OD");

    SECTION("successive notifications arrive coalesced")
    {
        sv::fifodir_notify(ev.c_str(), "d");
        sv::fifodir_notify(ev.c_str(), "D");
        sv::fifodir_notify(ev.c_str(), "x");
        CHECK(a.wait(buf, sizeof buf, deadline) == 3);
        CHECK(std::string(buf, 3) == "dDx");
    }
    SECTION("an unsubscribed listener no longer counts")
    {
        b.unsubscribe();
        sv::fifodir_notify(ev.c_str(), "u");
        CHECK(a.wait(buf, sizeof buf, deadline) == 1);
        CHECK(list_dir(ev).size() == 1);
    }
}

TEST_CASE("fifodir_notify unlinks a stale FIFO (no reader: ENXIO)", "[fifodir]")
{
    h::tempdir t;
    std::string const ev = t / "event";
    REQUIRE(sv::fifodir_make(ev.c_str()));
    sv::listener live;
    REQUIRE(live.subscribe(ev));
    std::string const stale = ev + "/" + fake_listener_name("STALE0");
    REQUIRE(::mkfifo(stale.c_str(), 0600) == 0);
    REQUIRE(list_dir(ev).size() == 2);

    sv::fifodir_notify(ev.c_str(), "s");
    CHECK_FALSE(h::exists(stale));
    CHECK(list_dir(ev).size() == 1);
    char c = 0;
    CHECK(live.wait(&c, 1, sv::mono_ms() + 5000) == 1);
    CHECK(c == 's');
}

TEST_CASE("fifodir_notify ignores names not of the exact shape", "[fifodir]")
{
    h::tempdir t;
    std::string const ev = t / "event";
    REQUIRE(sv::fifodir_make(ev.c_str()));

    // Stale FIFOs (no reader): any of these would be unlinked if the notifier looked at it.
    std::vector<std::string> const odd = {
        "ftrig1:@short",
        fake_listener_name("toolong"),             // 40 characters
        "." + fake_listener_name("dotted").substr(1), // 39 characters, but dotted
        "." + fake_listener_name("tmpnam"),         // a listener's temporary name
        "ftrig2:@400000006b038be22bbb9a71:abcdef",  // 39 characters, other prefix
        "control",
    };
    for (auto const &n : odd) REQUIRE(::mkfifo((ev + "/" + n).c_str(), 0600) == 0);

    // An odd-named FIFO with a reader must not get the bytes either.
    std::string const odd_live = ev + "/ftrig1:@not-39-characters";
    REQUIRE(::mkfifo(odd_live.c_str(), 0600) == 0);
    sv::unique_fd rd(::open(odd_live.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    REQUIRE(rd);

    // A 39-character name with the prefix counts, whatever the rest looks like.
    std::string const shaped = ev + "/ftrig1:@" + std::string(31, 'z');
    REQUIRE(::mkfifo(shaped.c_str(), 0600) == 0);

    sv::fifodir_notify(ev.c_str(), "u");
    for (auto const &n : odd) CHECK(h::exists(ev + "/" + n));
    char c;
    errno = 0;
    CHECK(::read(rd.get(), &c, 1) == 0); // no writer ever opened it: EOF, not data
    CHECK(h::exists(odd_live));
    CHECK_FALSE(h::exists(shaped));
}

TEST_CASE("fifodir_notify on a missing fifodir does nothing", "[fifodir]")
{
    h::tempdir t;
    sv::fifodir_notify((t / "event").c_str(), "x");
    CHECK_FALSE(h::exists(t / "event"));
}

TEST_CASE("listener::wait times out with 0 at its deadline", "[fifodir]")
{
    h::tempdir t;
    sv::listener l;
    REQUIRE(l.subscribe(t / "event"));
    char buf[8];

    SECTION("a deadline in the near future")
    {
        std::int64_t const deadline = sv::mono_ms() + 60;
        CHECK(l.wait(buf, sizeof buf, deadline) == 0);
        CHECK(sv::mono_ms() >= deadline);
    }
    SECTION("a deadline already past returns at once")
    {
        std::int64_t const start = sv::mono_ms();
        CHECK(l.wait(buf, sizeof buf, start - 1000) == 0);
        CHECK(sv::mono_ms() - start < 1000);
    }
    SECTION("pending bytes are returned even when the deadline has passed")
    {
        sv::fifodir_notify((t / "event").c_str(), "U");
        CHECK(l.wait(buf, sizeof buf, sv::mono_ms() - 1) == 1);
        CHECK(buf[0] == 'U');
    }
    SECTION("bytes written while waiting wake the listener")
    {
        std::string const ev = t / "event";
        h::child notifier([&] {
            ::poll(nullptr, 0, 50);
            sv::fifodir_notify(ev.c_str(), "d");
            return 0;
        });
        CHECK(l.wait(buf, sizeof buf, sv::mono_ms() + 10000) == 1);
        CHECK(buf[0] == 'd');
        CHECK(notifier.wait(10000) == 0);
    }
}

TEST_CASE("fifodir_make_group: s6-mkfifodir's public and group fifodirs", "[fifodir]")
{
    h::tempdir t;
    h::umask_guard um(0077);
    std::string const pub = t / "pub", grp = t / "grp";
    REQUIRE(sv::fifodir_make_group(pub.c_str(), static_cast<gid_t>(-1), false));
    CHECK(h::mode_of(pub) == (S_IFDIR | 01733));
    REQUIRE(sv::fifodir_make_group(grp.c_str(), 100, false));
    CHECK(h::mode_of(grp) == (S_IFDIR | 03730));
    struct stat st;
    REQUIRE(::stat(grp.c_str(), &st) == 0);
    CHECK(st.st_gid == 100);

    // An existing one is left alone, unless forced.
    REQUIRE(sv::fifodir_make_group(pub.c_str(), 100, false));
    CHECK(h::mode_of(pub) == (S_IFDIR | 01733));
    REQUIRE(sv::fifodir_make_group(pub.c_str(), 100, true));
    CHECK(h::mode_of(pub) == (S_IFDIR | 03730));
    REQUIRE(sv::fifodir_make_group(grp.c_str(), static_cast<gid_t>(-1), true));
    CHECK(h::mode_of(grp) == (S_IFDIR | 01733));

    // Not ours, or not a directory.
    if (::geteuid() == 0) {
        REQUIRE(::chown(pub.c_str(), 65534, static_cast<gid_t>(-1)) == 0);
        errno = 0;
        CHECK_FALSE(sv::fifodir_make_group(pub.c_str(), static_cast<gid_t>(-1), true));
        CHECK(errno == EACCES);
    }
    h::write_file(t / "file", "");
    errno = 0;
    CHECK_FALSE(sv::fifodir_make_group((t / "file").c_str(), static_cast<gid_t>(-1), false));
    CHECK(errno == ENOTDIR);
}

TEST_CASE("fifodir_notify counts the listeners served, and fails on a bad fifodir", "[fifodir]")
{
    h::tempdir t;
    std::string const ev = t / "event";
    REQUIRE(sv::fifodir_make(ev.c_str()));
    CHECK(sv::fifodir_notify(ev.c_str(), "x") == 0);
    sv::listener a, b;
    REQUIRE(a.subscribe(ev));
    REQUIRE(b.subscribe(ev));
    CHECK(sv::fifodir_notify(ev.c_str(), "xy") == 2);
    errno = 0;
    CHECK(sv::fifodir_notify((t / "none").c_str(), "x") == -1);
    CHECK(errno == ENOENT);
    h::write_file(t / "file", "");
    CHECK(sv::fifodir_notify((t / "file").c_str(), "x") == -1);
    CHECK(errno == ENOTDIR);
}

TEST_CASE("listener::attach needs an existing fifodir", "[fifodir]")
{
    h::tempdir t;
    std::string const ev = t / "event";
    sv::listener l;
    errno = 0;
    CHECK_FALSE(l.attach(ev));
    CHECK(errno == ENOENT);
    CHECK_FALSE(h::exists(ev));
    REQUIRE(::mkdir(ev.c_str(), 0700) == 0);
    REQUIRE(l.attach(ev));
    CHECK(list_dir(ev).size() == 1);
    CHECK((h::mode_of(ev) & 07777) == 0700); // left as it was
}

TEST_CASE("fifodir_clean removes stale listener FIFOs and nothing else", "[fifodir]")
{
    h::tempdir t;
    std::string const ev = t / "event";
    REQUIRE(sv::fifodir_make(ev.c_str()));
    sv::listener live;
    REQUIRE(live.subscribe(ev));
    std::string const stale = ev + "/" + fake_listener_name("AAAAAA");
    REQUIRE(::mkfifo(stale.c_str(), 0600) == 0);
    REQUIRE(::mkfifo((ev + "/other").c_str(), 0600) == 0);
    h::write_file(ev + "/" + fake_listener_name("BBBBBB") + "x", "");
    h::write_file(ev + "/" + fake_listener_name("CCCCCC"), ""); // a regular file: opened, kept

    REQUIRE(sv::fifodir_clean(ev.c_str()) == 0);
    auto const names = list_dir(ev);
    CHECK(names.size() == 4);
    CHECK_FALSE(h::exists(stale));
    CHECK(h::exists(ev + "/other"));
    // The live listener still hears events (the regular file of a listener's name is written
    // to as well, and counted, as stock's notifier does).
    CHECK(sv::fifodir_notify(ev.c_str(), "u") == 2);
    char c = 0;
    CHECK(live.wait(&c, 1, sv::mono_ms() + 1000) == 1);
    CHECK(c == 'u');

    errno = 0;
    CHECK(sv::fifodir_clean((t / "none").c_str()) == -1);
    CHECK(errno == ENOENT);
}
