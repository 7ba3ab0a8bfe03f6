// Byte compatibility with stock s6 2.11.3.2 / skalibs 2.13 (Debian's libs6-dev, skalibs-dev):
// our pack/unpack routines against s6_svstatus_*, s6_dtally_* and skalibs' tain_*, our
// labels against timestamp_fmt, our leap-second handling against tai_from_sysclock, our
// signal names and option parser against sig_name / sig0_scan / subgetopt_r, and finally
// golden vectors taken from a running stock /usr/bin/s6-supervise.
//
// Needs the stock libraries: without them (meson did not find them, no -DHAVE_STOCK_S6=1) the
// file is one test case that reports itself SKIPPED.
#include <catch2/catch.hpp>

#include "harness.hh"

#ifndef HAVE_STOCK_S6

TEST_CASE("stock: byte layouts against stock s6's own libraries", "[stock]")
{
    h::skip("meson found no stock libs6 and skalibs (libs6-dev, skalibs-dev)");
}

#else

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/death_tally.hh>
#include <supervise/fd.hh>
#include <supervise/opts.hh>
#include <supervise/signame.hh>
#include <supervise/status.hh>
#include <supervise/tai64n.hh>

// The stock headers are C; they compile as C++ inside extern "C".  They declare global names
// (tain, tain_now, tain_pack, sig_name...) that differ from ours only by namespace, so every
// call to our library below is qualified with sv::.
extern "C" {
#include <s6/supervise.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/tai.h>
}

namespace {

// --- conversions between our types and the stock ones ---------------------------------------

::tain to_sk(sv::tain t)
{
    ::tain r;
    r.sec.x = t.sec;
    r.nano = t.nano;
    return r;
}

sv::tain from_sk(::tain const &t) { return {t.sec.x, t.nano}; }

s6_svstatus_t to_sk(sv::status const &s)
{
    s6_svstatus_t r;
    std::memset(&r, 0, sizeof r);
    r.stamp = to_sk(s.stamp);
    r.readystamp = to_sk(s.readystamp);
    r.pid = static_cast<pid_t>(s.pid);
    r.wstat = s.wstat;
    r.flagpaused = s.paused;
    r.flagfinishing = s.finishing;
    r.flagwantup = s.wantup;
    r.flagready = s.ready;
    return r;
}

// Checks that our decoding and s6's decoding of the same 35 bytes agree field by field.
void check_same_status(sv::status const &ours, s6_svstatus_t const &sk)
{
    CHECK(ours.stamp == from_sk(sk.stamp));
    CHECK(ours.readystamp == from_sk(sk.readystamp));
    CHECK(ours.pid == static_cast<std::uint64_t>(sk.pid));
    CHECK(int{ours.wstat} == sk.wstat);
    CHECK(ours.paused == bool(sk.flagpaused));
    CHECK(ours.finishing == bool(sk.flagfinishing));
    CHECK(ours.wantup == bool(sk.flagwantup));
    CHECK(ours.ready == bool(sk.flagready));
}

std::string our_status_bytes(sv::status const &s)
{
    char b[sv::status_size];
    sv::status_pack(b, s);
    return std::string(b, sizeof b);
}

std::string sk_status_bytes(sv::status const &s)
{
    s6_svstatus_t const k = to_sk(s);
    char b[S6_SVSTATUS_SIZE];
    s6_svstatus_pack(b, &k);
    return std::string(b, sizeof b);
}

// Both directions for one status value.
void check_status_both_ways(sv::status const &s)
{
    std::string const ours = our_status_bytes(s);
    REQUIRE(ours == sk_status_bytes(s));
    s6_svstatus_t k;
    std::memset(&k, 0, sizeof k);
    s6_svstatus_unpack(ours.data(), &k);
    check_same_status(s, k);
    CHECK(sv::status_unpack(ours.data()) == s);
}

std::uint32_t random_nano(std::mt19937_64 &rng)
{
    return static_cast<std::uint32_t>(rng() % 1000000000);
}

} // namespace

TEST_CASE("stock: the sizes agree", "[stock]")
{
    CHECK(S6_SVSTATUS_SIZE == sv::status_size);
    CHECK(S6_DTALLY_PACK == sv::death_record_size);
    CHECK(TAIN_PACK == sv::tain_pack_size);
    CHECK(TIMESTAMP == sv::tain_label_size);
    CHECK(S6_MAX_DEATH_TALLY == sv::death_tally_max);
    CHECK(TAI_MAGIC == sv::tai64_base);
}

TEST_CASE("stock: status_pack == s6_svstatus_pack, and s6_svstatus_unpack agrees", "[stock]")
{
    SECTION("edge values")
    {
        sv::status s;
        check_status_both_ways(s); // all zero

        s.pid = 0x7fffffff; // the largest pid_t
        s.wstat = 0xffff;
        s.stamp = {~0ull, 999999999};
        s.readystamp = {sv::tai64_base, 0};
        check_status_both_ways(s);

        s.pid = 4194304; // Linux's pid_max limit
        s.wstat = 0;
        check_status_both_ways(s);

        s.pid = 1;
        s.wstat = 0x8b; // SIGSEGV with core
        check_status_both_ways(s);
        s.wstat = 0x0300; // exit 3
        check_status_both_ways(s);
        s.wstat = 0xff00; // exit 255
        check_status_both_ways(s);

        for (int bit = 0; bit < 4; bit++) {
            INFO("flag bit " << bit);
            sv::status f;
            f.pid = 100;
            f.paused = bit == 0;
            f.finishing = bit == 1;
            f.wantup = bit == 2;
            f.ready = bit == 3;
            check_status_both_ways(f);
        }
        sv::status all;
        all.paused = all.finishing = all.wantup = all.ready = true;
        check_status_both_ways(all);
    }
    SECTION("random values")
    {
        std::mt19937_64 rng(0x56a11);
        for (int i = 0; i < 5000; i++) {
            sv::status s;
            s.stamp = {rng(), random_nano(rng)};
            s.readystamp = {rng(), random_nano(rng)};
            s.pid = rng() % 0x80000000u; // pid_t range
            s.wstat = static_cast<std::uint16_t>(rng());
            auto const f = rng();
            s.paused = f & 1;
            s.finishing = f & 2;
            s.wantup = f & 4;
            s.ready = f & 8;
            check_status_both_ways(s);
        }
    }
}

TEST_CASE("stock: status files written by either side read back on the other", "[stock]")
{
    h::tempdir t;
    REQUIRE(::mkdir((t / "supervise").c_str(), 0700) == 0);
    sv::status s;
    s.stamp = sv::tain_now();
    s.readystamp = sv::tain_add_ms(s.stamp, -1500);
    s.pid = 4242;
    s.wstat = 0x0f;
    s.wantup = true;

    REQUIRE(sv::status_write(t.path(), s));
    s6_svstatus_t k;
    REQUIRE(s6_svstatus_read(t.c_str(), &k));
    check_same_status(s, k);

    k.pid = 777;
    k.flagready = 1;
    k.flagwantup = 0;
    REQUIRE(s6_svstatus_write(t.c_str(), &k));
    sv::status r;
    REQUIRE(sv::status_read(t.path(), r));
    check_same_status(r, k);

    SECTION("both refuse a short file")
    {
        h::write_file(t / "supervise/status", std::string(34, '\0'));
        CHECK_FALSE(sv::status_read(t.path(), r));
        CHECK_FALSE(s6_svstatus_read(t.c_str(), &k));
    }
}

TEST_CASE("stock: death records match s6_dtally_pack both ways", "[stock]")
{
    std::mt19937_64 rng(0xd7a11);
    for (int i = 0; i < 5000; i++) {
        sv::death_record r{{rng(), random_nano(rng)}, static_cast<std::uint8_t>(rng()),
                           static_cast<std::uint8_t>(rng())};
        if (i == 0) r = {};
        if (i == 1) r = {{~0ull, 999999999}, 255, 255};
        char ours[sv::death_record_size], theirs[S6_DTALLY_PACK];
        sv::death_record_pack(ours, r);
        s6_dtally_t k;
        k.stamp = to_sk(r.stamp);
        k.exitcode = r.exitcode;
        k.sig = r.sig;
        s6_dtally_pack(theirs, &k);
        REQUIRE(std::memcmp(ours, theirs, sizeof ours) == 0);

        s6_dtally_t u;
        std::memset(&u, 0, sizeof u);
        s6_dtally_unpack(ours, &u);
        REQUIRE(from_sk(u.stamp) == r.stamp);
        REQUIRE(u.exitcode == r.exitcode);
        REQUIRE(u.sig == r.sig);
        REQUIRE(sv::death_record_unpack(theirs) == r);
    }
}

TEST_CASE("stock: death tally files agree with s6_dtally_read and s6_dtally_write", "[stock]")
{
    h::tempdir t;
    REQUIRE(::mkdir((t / "supervise").c_str(), 0700) == 0);
    std::vector<char> scratch(11 * sv::death_record_size);
    std::vector<sv::death_record> mine;
    for (unsigned i = 0; i < 7; i++) {
        mine.push_back(sv::death_record_from_wstat(sv::tain_from_unix(1700000000 + i, i), i << 8));
        REQUIRE(sv::death_tally_append(t.path(), mine.back(), 10, scratch));
    }
    s6_dtally_t k[10];
    ssize_t n = s6_dtally_read(t.c_str(), k, 4); // the newest 4
    REQUIRE(n == 4);
    for (int i = 0; i < 4; i++) {
        CHECK(from_sk(k[i].stamp) == mine[3 + i].stamp);
        CHECK(k[i].exitcode == mine[3 + i].exitcode);
        CHECK(k[i].sig == mine[3 + i].sig);
    }

    // And the other way.
    for (int i = 0; i < 3; i++) {
        k[i].stamp = to_sk(sv::tain_from_unix(1800000000 + i, 0));
        k[i].exitcode = static_cast<unsigned char>(128 + 9);
        k[i].sig = 9;
    }
    REQUIRE(s6_dtally_write(t.c_str(), k, 3));
    std::vector<sv::death_record> back(10);
    REQUIRE(sv::death_tally_read(t.path(), back) == 3);
    for (int i = 0; i < 3; i++) {
        CHECK(back[i].stamp == from_sk(k[i].stamp));
        CHECK(back[i].exitcode == 137);
        CHECK(back[i].sig == 9);
    }

    SECTION("both empty a malformed file and create a missing one")
    {
        h::write_file(t / "supervise/death_tally", "0123456789abcdefghij");
        CHECK(s6_dtally_read(t.c_str(), k, 10) == 0);
        CHECK(h::read_existing(t / "supervise/death_tally").empty());
        h::write_file(t / "supervise/death_tally", "0123456789abcdefghij");
        CHECK(sv::death_tally_read(t.path(), back) == 0);
        CHECK(h::read_existing(t / "supervise/death_tally").empty());

        REQUIRE(::unlink((t / "supervise/death_tally").c_str()) == 0);
        CHECK(s6_dtally_read(t.c_str(), k, 10) == 0);
        CHECK(h::exists(t / "supervise/death_tally"));
        REQUIRE(::unlink((t / "supervise/death_tally").c_str()) == 0);
        CHECK(sv::death_tally_read(t.path(), back) == 0);
        CHECK(h::exists(t / "supervise/death_tally"));
    }
}

TEST_CASE("stock: TAI64N pack, labels and parsing", "[stock]")
{
    std::mt19937_64 rng(0x7a1);
    for (int i = 0; i < 5000; i++) {
        sv::tain const t = i == 0 ? sv::tain{} : sv::tain{rng(), random_nano(rng)};
        ::tain const k = to_sk(t);

        char ours[TAIN_PACK], theirs[TAIN_PACK];
        sv::tain_pack(ours, t);
        ::tain_pack(theirs, &k);
        REQUIRE(std::memcmp(ours, theirs, TAIN_PACK) == 0);
        ::tain u;
        ::tain_unpack(ours, &u);
        REQUIRE(from_sk(u) == t);
        REQUIRE(sv::tain_unpack(theirs) == t);

        char lab[sv::tain_label_size], sklab[TIMESTAMP];
        sv::tain_fmt(lab, t);
        REQUIRE(::timestamp_fmt(sklab, &k) == TIMESTAMP);
        REQUIRE(std::string(lab, sizeof lab) == std::string(sklab, sizeof sklab));
        char hex[TAIN_FMT];
        REQUIRE(::tain_fmt(hex, &k) == 24);
        REQUIRE(std::string(lab + 1, 24) == std::string(hex, 24));

        // Each side parses the other's label, in lower and upper case.
        std::string up(lab, sizeof lab);
        for (char &c : up)
            if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
        for (std::string const &l : {std::string(sklab, sizeof sklab), up}) {
            sv::tain p;
            REQUIRE(sv::tain_scan(l, p));
            REQUIRE(p == t);
            ::tain q;
            REQUIRE(::timestamp_scan(l.c_str(), &q) == TIMESTAMP);
            REQUIRE(from_sk(q) == t);
        }
    }
}

TEST_CASE("stock: leap seconds match tai_from_sysclock and sysclock_from_tai", "[stock]")
{
    static constexpr std::int64_t leaps[] = {
        78796800,   94694400,   126230400,  157766400,  189302400,  220924800,  252460800,
        283996800,  315532800,  362793600,  394329600,  425865600,  489024000,  567993600,
        631152000,  662688000,  709948800,  741484800,  773020800,  820454400,  867715200,
        915148800,  1136073600, 1230768000, 1341100800, 1435708800, 1483228800,
    };
    std::vector<std::int64_t> times = {0, 1, 1000000000, 1700000000, 2000000000, 4000000000};
    for (auto l : leaps)
        for (std::int64_t d = -3; d <= 3; d++) times.push_back(l + d);

    for (std::int64_t u : times) {
        INFO("unix " << u);
        ::tai k;
        REQUIRE(::tai_from_sysclock(&k, TAI_MAGIC + static_cast<std::uint64_t>(u)));
        sv::tain const ours = sv::tain_from_unix(u, 0);
        CHECK(ours.sec == k.x);
        CHECK(sv::leap_seconds_at(u) == k.x - TAI_MAGIC - 10 - static_cast<std::uint64_t>(u));
    }
    // The other way, for every TAI second around each boundary, including the inserted
    // second itself, which both map to the same unix second.
    for (auto l : leaps) {
        std::uint64_t const centre = sv::tain_from_unix(l, 0).sec;
        for (std::uint64_t x = centre - 4; x <= centre + 4; x++) {
            INFO("tai " << x);
            ::tai k{x};
            std::uint64_t back = 0;
            REQUIRE(::sysclock_from_tai(&back, &k));
            CHECK(sv::unix_from_tain({x, 0}) == static_cast<std::int64_t>(back - TAI_MAGIC));
        }
    }
}

TEST_CASE("stock: tain_now agrees with skalibs' wall clock", "[stock]")
{
    SECTION("tain_wallclock_read")
    {
        sv::tain const before = sv::tain_now();
        ::tain k;
        REQUIRE(::tain_wallclock_read(&k));
        sv::tain const after = sv::tain_now();
        // skalibs adds 500 ns to its readings; allow 1 ms either side.
        CHECK(sv::tain_add_ms(before, -1) <= from_sk(k));
        CHECK(from_sk(k) <= sv::tain_add_ms(after, 1));
        CHECK(sv::tain_seconds_between(before, from_sk(k)) >= -1);
        CHECK(sv::tain_seconds_between(from_sk(k), after) >= -1);
        CHECK(sv::tain_seconds_between(before, after) <= 1);
    }
    SECTION("tain_now through skalibs' clock pointer, set to the wall clock")
    {
        ::tain k;
        REQUIRE(::tain_now_set_wallclock(&k)); // also makes (*tain_now) read the wall clock
        sv::tain const before = sv::tain_now();
        REQUIRE((*::tain_now)(&k));
        sv::tain const after = sv::tain_now();
        CHECK(sv::tain_add_ms(before, -1) <= from_sk(k));
        CHECK(from_sk(k) <= sv::tain_add_ms(after, 1));
        REQUIRE(tain_now_g()); // a macro: (*tain_now)(&STAMP)
        CHECK(sv::tain_seconds_between(from_sk(STAMP), sv::tain_now()) >= -1);
        CHECK(sv::tain_seconds_between(from_sk(STAMP), sv::tain_now()) <= 1);
    }
}

TEST_CASE("stock: signal names and numbers match skalibs", "[stock]")
{
    for (int i = 0; i <= 70; i++) {
        INFO("signal " << i);
        CHECK(sv::sig_name(i) == std::string(::sig_name(i)));
    }
    // Every string sig0_scan accepts as a whole, with a signal number in range, we accept the
    // same; every string it refuses, we refuse.  (sig0_scan also takes 0 and numbers past the
    // last signal, such as 65 or 99; sig_scan refuses those, so they are left out here.)
    std::vector<std::string> words = {
        "", "SIG", "sig", "SIGSIG15", "bogus", "TERM ", " TERM", "TERM\n", "12a", "-1", "+1",
        "0x0f", "SIG+1", "SIG 1", "SIGx", "TER", "TERMS", "I", "RTMIN", "SIGRTMIN", "EXIT",
        "12", "015", "64", "SIG15", "sig1", "Sig012", "IOT", "sigiot", "IO", "sigio", "CLD",
        "SIGCLD", "SigUsr2", "sigPoll",
    };
    for (int i = 1; i <= 31; i++) {
        std::string const n = ::sig_name(i);
        words.push_back(n);
        words.push_back("SIG" + n);
        words.push_back("sig" + n);
    }
    for (auto const &w : words) {
        INFO('"' << w << '"');
        int sig = -1;
        std::size_t const used = ::sig0_scan(w.c_str(), &sig);
        bool const stock_ok = used == w.size() && !w.empty() && sig > 0 && sig < NSIG;
        int const ours = sv::sig_scan(w);
        if (stock_ok)
            CHECK(ours == sig);
        else if (used != w.size() || w.empty())
            CHECK(ours == 0);
    }
}

TEST_CASE("stock: opt_parser matches subgetopt_r up to the first error", "[stock]")
{
    struct cmdline {
        std::vector<char const *> words;
        char const *spec;
    };
    std::vector<cmdline> const cases = {
        {{}, "ab"},
        {{"svc"}, "ab"},
        {{"-abc", "dir"}, "abc"},
        {{"-a", "-b", "-c", "dir"}, "abc"},
        {{"-T5000", "svc"}, "T:a"},
        {{"-T", "5000", "svc"}, "T:a"},
        {{"-uwU", "svc"}, "uw:"},
        {{"-aT5", "-a"}, "aT:"},
        {{"-T", "-a", "svc"}, "T:a"},
        {{"-T", "--", "svc"}, "T:a"},
        {{"-T", "", "svc"}, "T:"},
        {{"-a", "--", "-b", "svc"}, "ab"},
        {{"--"}, "ab"},
        {{"--", "--"}, "ab"},
        {{"-a", "svc", "-b"}, "ab"},
        {{"-", "-a"}, "ab"},
        {{"-z", "svc"}, "ab"},
        {{"-azb", "svc"}, "ab"},
        {{"-:", "svc"}, "a:"},
        {{"--help"}, "h"},
        {{"---"}, "ab"},
        {{"-a-b"}, "ab"},
        {{"-T"}, "T:a"},
        {{"-aT"}, "T:a"},
        {{"-t", "100", "-T200", "-a", "x"}, "t:T:a"},
        {{"-abqhkti12pcyroduDUxOQ", "svc"}, "abqhkti12pcyroduDUxOQ"},
        {{"-wU", "-T", "3000", "-d", "svc", "svc2"}, "abqhkti12pcyroduDUxOQT:w:"},
    };
    for (auto const &c : cases) {
        std::vector<char const *> argv = {"prog"};
        argv.insert(argv.end(), c.words.begin(), c.words.end());
        int const argc = static_cast<int>(argv.size());
        argv.push_back(nullptr);
        std::string trace;
        for (auto w : c.words) trace += std::string(w) + " ";
        INFO("argv: " << trace << " spec: " << c.spec);

        subgetopt k = SUBGETOPT_ZERO;
        sv::opt_parser p(argc, argv.data(), c.spec);
        for (int step = 0;; step++) {
            REQUIRE(step < 64);
            int const theirs = ::subgetopt_r(argc, argv.data(), c.spec, &k);
            int const ours = p.next();
            INFO("step " << step);
            if (theirs == -1) {
                REQUIRE(ours == 0);
                CHECK(argc - static_cast<int>(p.operands().size()) == k.ind);
                break;
            }
            REQUIRE(ours == theirs);
            if (theirs == '?') {
                CHECK(p.bad() == k.problem);
                break; // s6 tools stop at the first error
            }
            if (k.arg)
                CHECK(std::string(p.arg() ? p.arg() : "(null)") == k.arg);
            else
                CHECK(p.arg() == nullptr);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Golden vectors from a running stock s6-supervise.

namespace {

char const stock_supervise[] = "/usr/bin/s6-supervise";

// Reads exactly the first 35 bytes of DIR/supervise/status; empty if not (yet) possible.
std::string raw_status(std::string const &dir)
{
    sv::unique_fd fd(::open((dir + "/supervise/status").c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return {};
    char b[sv::status_size];
    if (sv::read_full(fd.get(), b, sizeof b) != static_cast<ssize_t>(sizeof b)) return {};
    return std::string(b, sizeof b);
}

// Polls the status file until pred holds for its bytes or the deadline passes.
template <class P>
std::string wait_status(std::string const &dir, std::int64_t timeout_ms, P pred)
{
    std::int64_t const deadline = sv::mono_ms() + timeout_ms;
    for (;;) {
        std::string b = raw_status(dir);
        if (b.size() == sv::status_size && pred(sv::status_unpack(b.data()))) return b;
        if (sv::mono_ms() >= deadline) return {};
        ::poll(nullptr, 0, 10);
    }
}

// A stock s6-supervise on DIR; on destruction the supervisor and the service's process group
// are SIGKILLed and the supervisor is reaped.
class stock_supervisor {
public:
    explicit stock_supervisor(std::string const &dir)
    {
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            int null = ::open("/dev/null", O_RDWR);
            if (null >= 0) {
                ::dup2(null, 0);
                ::dup2(null, 1);
            }
            ::execl(stock_supervise, "s6-supervise", dir.c_str(), static_cast<char *>(nullptr));
            ::_exit(127);
        }
    }
    stock_supervisor(stock_supervisor const &) = delete;
    stock_supervisor &operator=(stock_supervisor const &) = delete;
    ~stock_supervisor()
    {
        ::kill(pid_, SIGKILL);
        // run is a session and process-group leader (s6-supervise calls setsid for it).
        if (service_ > 0) ::kill(-service_, SIGKILL);
        int st;
        while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {}
    }

    void service(pid_t p) noexcept { service_ = p; }
    // True if the supervisor is still running.
    bool alive() const noexcept
    {
        int st;
        return ::waitpid(pid_, &st, WNOHANG) == 0;
    }

private:
    pid_t pid_ = -1;
    pid_t service_ = -1;
};

void check_golden(std::string const &bytes)
{
    REQUIRE(bytes.size() == sv::status_size);
    s6_svstatus_t k;
    std::memset(&k, 0, sizeof k);
    s6_svstatus_unpack(bytes.data(), &k);
    sv::status const ours = sv::status_unpack(bytes.data());
    check_same_status(ours, k);
    CHECK(our_status_bytes(ours) == bytes);
    // s6 re-packs its own decoding identically too.
    char again[S6_SVSTATUS_SIZE];
    s6_svstatus_pack(again, &k);
    CHECK(std::string(again, sizeof again) == bytes);
}

} // namespace

TEST_CASE("stock: golden status vectors from a running s6-supervise", "[stock][golden]")
{
    if (::access(stock_supervise, X_OK) != 0) h::skip(std::string("no ") + stock_supervise);
    h::tempdir t;
    std::string const svc = t / "svc";
    REQUIRE(::mkdir(svc.c_str(), 0755) == 0);
    h::write_file(svc + "/run", "#!/bin/sh\nexec sleep 100\n");
    REQUIRE(::chmod((svc + "/run").c_str(), 0755) == 0);

    sv::tain const started = sv::tain_now();
    stock_supervisor sup(svc);

    // Up: pid != 0 and not finishing.
    std::string const up =
        wait_status(svc, 10000, [](sv::status const &s) { return s.is_up(); });
    REQUIRE(up.size() == sv::status_size);
    sv::status const u = sv::status_unpack(up.data());
    sup.service(static_cast<pid_t>(u.pid));
    check_golden(up);

    // What a freshly started service looks like (supervise-protocol.md 4.3).
    CHECK(u.wantup);
    CHECK_FALSE(u.ready);
    CHECK_FALSE(u.paused);
    CHECK_FALSE(u.finishing);
    CHECK(u.wstat == 0);
    CHECK(::kill(static_cast<pid_t>(u.pid), 0) == 0);
    CHECK(::getpgid(static_cast<pid_t>(u.pid)) == static_cast<pid_t>(u.pid));
    CHECK(u.readystamp <= u.stamp);
    CHECK(sv::tain_seconds_between(started, u.stamp) >= -1);
    CHECK(sv::tain_seconds_between(u.stamp, sv::tain_now()) <= 10);
    CHECK(sv::tain_seconds_between(started, u.readystamp) >= -1); // stamped at start-up

    sv::status viaread;
    REQUIRE(sv::status_read(svc, viaread));
    s6_svstatus_t k;
    REQUIRE(s6_svstatus_read(svc.c_str(), &k));
    check_same_status(viaread, k);

    // Down: ask the stock supervisor with our client, and wait until down and ready.
    REQUIRE(sv::send_control(svc, "supervise", "d") == sv::control_result::ok);
    std::string const down = wait_status(
        svc, 10000, [](sv::status const &s) { return s.pid == 0 && !s.finishing && s.ready; });
    REQUIRE(down.size() == sv::status_size);
    check_golden(down);
    sv::status const d = sv::status_unpack(down.data());
    CHECK_FALSE(d.wantup);
    CHECK(WIFSIGNALED(int{d.wstat}));
    CHECK(WTERMSIG(int{d.wstat}) == SIGTERM);
    CHECK(u.stamp <= d.stamp);
    CHECK(d.stamp <= d.readystamp);
    CHECK(sup.alive());

    // The death tally has one record for the death of run, stamped like status.stamp.
    std::string const tally = h::read_existing(svc + "/supervise/death_tally");
    REQUIRE(tally.size() == sv::death_record_size);
    sv::death_record const r = sv::death_record_unpack(tally.data());
    s6_dtally_t kr;
    s6_dtally_unpack(tally.data(), &kr);
    CHECK(from_sk(kr.stamp) == r.stamp);
    CHECK(kr.exitcode == r.exitcode);
    CHECK(kr.sig == r.sig);
    CHECK(r.exitcode == 128 + SIGTERM);
    CHECK(r.sig == SIGTERM);
    CHECK(r.stamp == d.stamp);
    CHECK(r == sv::death_record_from_wstat(d.stamp, d.wstat));
    char repacked[sv::death_record_size];
    sv::death_record_pack(repacked, r);
    CHECK(std::string(repacked, sizeof repacked) == tally);

    std::vector<sv::death_record> ours(8);
    REQUIRE(sv::death_tally_read(svc, ours) == 1);
    CHECK(ours[0] == r);
    s6_dtally_t kk[8];
    REQUIRE(s6_dtally_read(svc.c_str(), kk, 8) == 1);
    CHECK(from_sk(kk[0].stamp) == r.stamp);
}

#endif // HAVE_STOCK_S6
