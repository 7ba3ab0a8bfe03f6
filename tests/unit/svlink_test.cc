// Linking a service into a scan directory and unlinking it (libsupervise/svlink.cc), against a
// scan directory faked by hand: .s6-svscan/control is a FIFO whose read end a forked child
// holds, and that child plays s6-svscan and the supervisors, answering "a" with an "s" event
// (a supervisor started) and "an" with an "x" (it exited).  Supervised services are faked by a
// child holding DIR/supervise/lock.  Also fifodir_make's public, private and forced modes,
// which s6-svlink -P and -f select.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/fifodir.hh>
#include <supervise/lock.hh>
#include <supervise/svlink.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

namespace {

// A deadline that is not meant to pass, and one that is.
std::int64_t soon() { return sv::mono_ms() + 5000; }
std::int64_t brief() { return sv::mono_ms() + 150; }

// SCAN/.s6-svscan/control as a FIFO, with nobody reading it yet.
void make_scandir(std::string const &scan)
{
    h::mkdirs(scan + "/.s6-svscan");
    REQUIRE(::mkfifo((scan + "/.s6-svscan/control").c_str(), 0600) == 0);
}

// A service directory with an executable run.
void make_svdir(std::string const &dir) { h::make_service(dir, "exec sleep 100"); }

std::string file_type_of(std::string const &path)
{
    mode_t const m = h::mode_of(path);
    if (S_ISLNK(m)) return "link";
    if (S_ISDIR(m)) return "dir";
    if (S_ISREG(m)) return "file";
    return m ? "other" : "none";
}

// The fake s6-svscan: reads the control FIFO (its read end opened here, before the fork, so
// that the writer never sees ENXIO) until the bytes read contain all of expect, then sends
// event to each of the fifodirs, and exits.  Its exit code says whether each of the files in
// check existed at that moment (bit i set: check[i] was missing), so a test can tell what the
// library had done by then.  It gives up after 5 s (exit 100).
class fake_svscan {
public:
    fake_svscan(std::string const &scan, std::string expect, std::string event,
                std::vector<std::string> fifodirs, std::vector<std::string> check = {})
        : fd_(::open((scan + "/.s6-svscan/control").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC))
    {
        REQUIRE(fd_);
        child_ = std::make_unique<h::child>([&, expect, event, fifodirs, check] {
            std::string got;
            std::int64_t const deadline = sv::mono_ms() + 5000;
            while (!contains_all(got, expect)) {
                if (!h::wait_readable(fd_.get(), deadline)) return 100;
                char buf[16];
                ssize_t n = ::read(fd_.get(), buf, sizeof buf);
                if (n > 0) got.append(buf, static_cast<std::size_t>(n));
            }
            int missing = 0;
            for (std::size_t i = 0; i < check.size(); i++)
                if (::access(check[i].c_str(), F_OK) < 0) missing |= 1 << i;
            for (auto const &d : fifodirs) sv::fifodir_notify(d.c_str(), event);
            return missing;
        });
    }

    // The child's exit code, once it is done.
    int code()
    {
        int st = child_->wait(10000);
        REQUIRE(st != -1);
        REQUIRE(WIFEXITED(st));
        return WEXITSTATUS(st);
    }

    // Reads what was written to the control FIFO and not consumed by the child (when it has
    // exited).
    std::string rest() { return h::drain(fd_.get()); }

private:
    static bool contains_all(std::string const &got, std::string const &want)
    {
        std::size_t from = 0;
        for (char c : want) {
            auto const at = got.find(c, from);
            if (at == std::string::npos) return false;
            from = at + 1;
        }
        return true;
    }
    sv::unique_fd fd_;
    std::unique_ptr<h::child> child_;
};

// A child that holds DIR/supervise/lock, as a running s6-supervise does, until destroyed.
class fake_supervisor {
public:
    explicit fake_supervisor(std::string const &dir)
    {
        h::mkdirs(dir + "/supervise");
        std::string const lock = dir + "/supervise/lock";
        child_ = std::make_unique<h::child>([lock] {
            int fd = sv::lock_take(lock.c_str());
            if (fd < 0) return 1;
            for (;;) ::pause();
        });
        REQUIRE(h::wait_until([&] { return sv::lock_probe(lock.c_str()) == sv::lock_state::held; }));
    }

private:
    std::unique_ptr<h::child> child_;
};

} // namespace

TEST_CASE("fifodir_make: private, public, and forced over an existing one", "[svlink]")
{
    h::tempdir t;
    std::string const ev = t / "event";
    SECTION("private: our group, 03730")
    {
        REQUIRE(sv::fifodir_make(ev.c_str(), false, false));
        struct stat st;
        REQUIRE(::stat(ev.c_str(), &st) == 0);
        CHECK((st.st_mode & 07777) == 03730);
        CHECK(st.st_gid == ::getegid());
    }
    SECTION("public: 01733")
    {
        REQUIRE(sv::fifodir_make(ev.c_str(), true, false));
        CHECK((h::mode_of(ev) & 07777) == 01733);
    }
    SECTION("an existing fifodir is kept as it is unless forced")
    {
        REQUIRE(sv::fifodir_make(ev.c_str(), true, false));
        REQUIRE(sv::fifodir_make(ev.c_str(), false, false));
        CHECK((h::mode_of(ev) & 07777) == 01733);
        REQUIRE(sv::fifodir_make(ev.c_str(), false, true));
        CHECK((h::mode_of(ev) & 07777) == 03730);
        REQUIRE(sv::fifodir_make(ev.c_str(), true, true));
        CHECK((h::mode_of(ev) & 07777) == 01733);
    }
    SECTION("a file in the way is ENOTDIR, forced or not")
    {
        h::write_file(ev, "");
        errno = 0;
        CHECK_FALSE(sv::fifodir_make(ev.c_str(), false, true));
        CHECK(errno == ENOTDIR);
    }
    SECTION("the umask does not matter")
    {
        h::umask_guard u(0777);
        REQUIRE(sv::fifodir_make(ev.c_str(), false, false));
        CHECK((h::mode_of(ev) & 07777) == 03730);
    }
}

TEST_CASE("supervise_link links, rescans and waits for the supervisor", "[svlink]")
{
    h::tempdir t;
    std::string const scan = t / "scan", svc = t / "svc";
    make_scandir(scan);
    make_svdir(svc);

    SECTION("a plain service")
    {
        fake_svscan s(scan, "a", "s", {svc + "/event"});
        REQUIRE(sv::supervise_link(scan.c_str(), svc.c_str(), "name", {}, soon()) == 1);
        CHECK(s.code() == 0);
        char target[4096] = {};
        REQUIRE(::readlink((scan + "/name").c_str(), target, sizeof target - 1) > 0);
        CHECK(std::string(target) == svc);
        CHECK((h::mode_of(svc + "/event") & 07777) == 03730);
        CHECK(h::listeners(svc) == 0); // the subscription is gone
    }
    SECTION("a logged service: both supervisors are waited for")
    {
        make_svdir(svc + "/log");
        fake_svscan s(scan, "a", "s", {svc + "/event", svc + "/log/event"});
        REQUIRE(sv::supervise_link(scan.c_str(), svc.c_str(), "svc", {}, soon()) == 2);
        CHECK(s.code() == 0);
        CHECK(file_type_of(svc + "/log/event") == "dir");
    }
    SECTION("-d: the down file is there while the supervisor starts, and gone after")
    {
        fake_svscan s(scan, "a", "s", {svc + "/event"}, {svc + "/down"});
        sv::link_options o;
        o.create_down = o.remove_down = true;
        REQUIRE(sv::supervise_link(scan.c_str(), svc.c_str(), "svc", o, soon()) == 1);
        CHECK(s.code() == 0);
        CHECK_FALSE(h::exists(svc + "/down"));
    }
    SECTION("-D: the down file stays")
    {
        fake_svscan s(scan, "a", "s", {svc + "/event"}, {svc + "/down"});
        sv::link_options o;
        o.create_down = true;
        REQUIRE(sv::supervise_link(scan.c_str(), svc.c_str(), "svc", o, soon()) == 1);
        CHECK(s.code() == 0);
        CHECK(h::exists(svc + "/down"));
    }
    SECTION("-P makes event/ public; an existing one is only changed with -f")
    {
        auto link = [&](sv::link_options const &o) {
            fake_svscan s(scan, "a", "s", {svc + "/event"});
            REQUIRE(sv::supervise_link(scan.c_str(), svc.c_str(), "svc", o, soon()) == 1);
            CHECK(s.code() == 0);
            REQUIRE(::unlink((scan + "/svc").c_str()) == 0);
        };
        sv::link_options o;
        o.public_event = true;
        link(o);
        CHECK((h::mode_of(svc + "/event") & 07777) == 01733);
        link({});
        CHECK((h::mode_of(svc + "/event") & 07777) == 01733);
        o = {};
        o.force_event = true;
        link(o);
        CHECK((h::mode_of(svc + "/event") & 07777) == 03730);
    }
    SECTION("a relative servicedir is linked by its real path, unless relative links are allowed")
    {
        REQUIRE(::symlink(svc.c_str(), (t / "alias").c_str()) == 0);
        char cwd[4096];
        REQUIRE(::getcwd(cwd, sizeof cwd));
        REQUIRE(::chdir(t.c_str()) == 0);
        // One fake s6-svscan at a time: two would race for the control FIFO's bytes.
        int r, r2, c, c2;
        {
            fake_svscan s(scan, "a", "s", {svc + "/event"});
            r = sv::supervise_link("scan", "alias", "abs", {}, soon());
            c = s.code();
        }
        {
            fake_svscan s(scan, "a", "s", {svc + "/event"});
            sv::link_options o;
            o.relative_ok = true;
            r2 = sv::supervise_link("scan", "alias", "rel", o, soon());
            c2 = s.code();
        }
        REQUIRE(::chdir(cwd) == 0);
        CHECK(r == 1);
        CHECK(r2 == 1);
        CHECK(c == 0);
        CHECK(c2 == 0);
        char target[4096] = {};
        REQUIRE(::readlink((scan + "/abs").c_str(), target, sizeof target - 1) > 0);
        CHECK(std::string(target) == svc);
        std::memset(target, 0, sizeof target);
        REQUIRE(::readlink((scan + "/rel").c_str(), target, sizeof target - 1) > 0);
        CHECK(std::string(target) == "alias");
    }
}

TEST_CASE("supervise_link on a service that is already supervised", "[svlink]")
{
    h::tempdir t;
    std::string const scan = t / "scan", svc = t / "svc";
    make_scandir(scan);
    make_svdir(svc);
    fake_supervisor sup(svc);

    // Nothing to wait for, no event/ made; the rescan is still asked for, and a link that is
    // already there is fine.
    fake_svscan s(scan, "a", "s", {});
    REQUIRE(::symlink(svc.c_str(), (scan + "/svc").c_str()) == 0);
    CHECK(sv::supervise_link(scan.c_str(), svc.c_str(), "svc", {}, soon()) == 0);
    CHECK(s.code() == 0);
    CHECK_FALSE(h::exists(svc + "/event"));
}

TEST_CASE("supervise_link failures and what they leave", "[svlink]")
{
    h::tempdir t;
    std::string const scan = t / "scan", svc = t / "svc";
    make_scandir(scan);
    make_svdir(svc);

    SECTION("nobody reads the control FIFO: ENXIO, and the link and down file are removed")
    {
        sv::link_options o;
        o.create_down = true;
        errno = 0;
        CHECK(sv::supervise_link(scan.c_str(), svc.c_str(), "svc", o, soon()) == -1);
        CHECK(errno == ENXIO);
        CHECK(file_type_of(scan + "/svc") == "none");
        CHECK_FALSE(h::exists(svc + "/down"));
    }
    SECTION("no supervisor comes: ETIMEDOUT, the link is removed and the supervisor told xd")
    {
        // A control FIFO for the supervisor that never showed up, to see what is sent.
        h::mkdirs(svc + "/supervise");
        REQUIRE(::mkfifo((svc + "/supervise/control").c_str(), 0600) == 0);
        sv::unique_fd ctl(::open((svc + "/supervise/control").c_str(),
                                 O_RDONLY | O_NONBLOCK | O_CLOEXEC));
        REQUIRE(ctl);
        fake_svscan s(scan, "a", "", {});
        std::int64_t const start = sv::mono_ms();
        errno = 0;
        CHECK(sv::supervise_link(scan.c_str(), svc.c_str(), "svc", {}, brief()) == -1);
        CHECK(errno == ETIMEDOUT);
        CHECK(sv::mono_ms() - start >= 100);
        CHECK(s.code() == 0);
        CHECK(file_type_of(scan + "/svc") == "none");
        CHECK(h::drain(ctl.get()) == "xd");
        CHECK(h::listeners(svc) == 0);
    }
    SECTION("the name is taken and the service is not supervised: EEXIST, nothing sent")
    {
        sv::unique_fd rd(::open((scan + "/.s6-svscan/control").c_str(),
                                O_RDONLY | O_NONBLOCK | O_CLOEXEC));
        h::write_file(scan + "/svc", "");
        errno = 0;
        CHECK(sv::supervise_link(scan.c_str(), svc.c_str(), "svc", {}, soon()) == -1);
        CHECK(errno == EEXIST);
        CHECK(file_type_of(scan + "/svc") == "file");
        CHECK(h::drain(rd.get()).empty());
    }
    SECTION("log is not a directory: ENOTDIR")
    {
        h::write_file(svc + "/log", "");
        errno = 0;
        CHECK(sv::supervise_link(scan.c_str(), svc.c_str(), "svc", {}, soon()) == -1);
        CHECK(errno == ENOTDIR);
    }
    SECTION("the logger is supervised but the service is not: EINVAL")
    {
        make_svdir(svc + "/log");
        fake_supervisor sup(svc + "/log");
        errno = 0;
        CHECK(sv::supervise_link(scan.c_str(), svc.c_str(), "svc", {}, soon()) == -1);
        CHECK(errno == EINVAL);
        CHECK(file_type_of(scan + "/svc") == "none");
    }
    SECTION("event is a file: ENOTDIR before anything is linked")
    {
        h::write_file(svc + "/event", "");
        errno = 0;
        CHECK(sv::supervise_link(scan.c_str(), svc.c_str(), "svc", {}, soon()) == -1);
        CHECK(errno == ENOTDIR);
        CHECK(file_type_of(scan + "/svc") == "none");
    }
}

TEST_CASE("supervise_unlink removes the link, prunes, and waits for the supervisor", "[svlink]")
{
    h::tempdir t;
    std::string const scan = t / "scan", svc = t / "svc";
    make_scandir(scan);
    make_svdir(svc);
    REQUIRE(sv::fifodir_make((svc + "/event").c_str()));
    REQUIRE(::symlink(svc.c_str(), (scan + "/svc").c_str()) == 0);

    SECTION("supervised: waits for x")
    {
        fake_supervisor sup(svc);
        fake_svscan s(scan, "an", "x", {svc + "/event"});
        CHECK(sv::supervise_unlink(scan.c_str(), "svc", true, soon()) == 1);
        CHECK(s.code() == 0);
        CHECK(file_type_of(scan + "/svc") == "none");
        CHECK(h::listeners(svc) == 0);
    }
    SECTION("supervised, but the supervisor never exits: the deadline passing is no error")
    {
        fake_supervisor sup(svc);
        fake_svscan s(scan, "an", "", {});
        std::int64_t const start = sv::mono_ms();
        CHECK(sv::supervise_unlink(scan.c_str(), "svc", true, brief()) == 1);
        CHECK(sv::mono_ms() - start >= 100);
        CHECK(s.code() == 0);
        CHECK(file_type_of(scan + "/svc") == "none");
    }
    SECTION("not supervised: nothing to wait for")
    {
        fake_svscan s(scan, "an", "", {});
        CHECK(sv::supervise_unlink(scan.c_str(), "svc", true, -1) == 0);
        CHECK(s.code() == 0);
        CHECK(file_type_of(scan + "/svc") == "none");
    }
    SECTION("without waiting nothing is checked, and no s6-svscan is no error")
    {
        h::write_file(svc + "/log", ""); // would be ENOTDIR if checked
        CHECK(sv::supervise_unlink(scan.c_str(), "svc", false, -1) == 0);
        CHECK(file_type_of(scan + "/svc") == "none");
    }
    SECTION("waiting, a logger that is not a directory is ENOTDIR and nothing is removed")
    {
        h::write_file(svc + "/log", "");
        errno = 0;
        CHECK(sv::supervise_unlink(scan.c_str(), "svc", true, -1) == -1);
        CHECK(errno == ENOTDIR);
        CHECK(file_type_of(scan + "/svc") == "link");
    }
    SECTION("an unknown name is no error")
    {
        fake_svscan s(scan, "an", "", {});
        CHECK(sv::supervise_unlink(scan.c_str(), "nosuch", true, -1) == 0);
        CHECK(s.code() == 0);
    }
}
