// Integration tests for the supervision extras: s6-svlisten, s6-permafailon, s6-svperms and
// s6-fghack.  Each is run side by side with the stock s6 2.11.3.2 program on the same input
// (exit code, stdout, stderr, and the files it changes).  Waits on real services run under
// both supervisors, stock s6-supervise and ours, with both listeners: ours waiting on stock's
// events and stock's waiting on ours.  Scripted-event cases need no supervisor: they write a
// status file and push event bytes into the listeners' FIFOs themselves.
#include "harness.hh"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>
#include <vector>

#include <supervise/death_tally.hh>
#include <supervise/fifodir.hh>
#include <supervise/tai64n.hh>

namespace {

using strings = h::strings;

strings supervisor_binaries()
{
    return {h::stock("s6-supervise"), h::ours("s6-supervise")};
}

strings binaries(std::string const &tool)
{
    return {h::ours(tool), h::stock(tool)};
}

// s6-svlisten's block of service directories, quoted as execlineb would pass it, ending with
// the empty word.
strings block(strings const &dirs)
{
    strings b;
    for (auto const &d : dirs)
        b.push_back(" " + d);
    b.push_back("");
    return b;
}

strings cat(strings a, strings const &b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// Runs s6-svlisten (the binary bin) with opts, the block of dirs, and prog.
h::result svlisten(std::string const &bin, strings const &opts, strings const &dirs,
                   strings const &prog)
{
    return h::run(cat(cat(cat({bin}, opts), block(dirs)), prog));
}

// A shell command line running our s6-svc with letters on each dir in turn.
strings svc_each(std::string const &letters, strings const &dirs)
{
    std::string script;
    for (std::size_t i = 0; i < dirs.size(); i++)
        script += h::ours("s6-svc") + " " + letters + " \"$" + std::to_string(i) + "\"; ";
    return cat({"sh", "-c", script}, dirs);
}

constexpr char const *failure_message =
    "s6-svlisten: fatal: some services reported permanent failure or their supervisor died\n";

// --- s6-permafailon ------------------------------------------------------------------------

// Writes DIR/supervise/death_tally with one record per (seconds ago, exit code, signal).
void write_tally(std::string const &dir, std::vector<std::tuple<int, int, int>> const &deaths)
{
    h::mkdirs(dir + "/supervise");
    std::string bytes;
    sv::tain const now = sv::tain_now();
    for (auto const &[ago, code, sig] : deaths) {
        sv::death_record r;
        r.stamp = now;
        r.stamp.sec -= static_cast<std::uint64_t>(ago);
        r.exitcode = static_cast<std::uint8_t>(sig ? 128 + sig : code);
        r.sig = static_cast<std::uint8_t>(sig);
        char rec[sv::death_record_size];
        sv::death_record_pack(rec, r);
        bytes.append(rec, sizeof rec);
    }
    h::write_file(dir + "/supervise/death_tally", bytes);
}

// --- s6-svperms ----------------------------------------------------------------------------

// DIR/supervise (0700), DIR/supervise/control (a FIFO, 0600) and DIR/event (03730) as
// s6-supervise makes them, without a supervisor.
void fake_supervised(std::string const &dir)
{
    h::mkdirs(dir);
    REQUIRE(mkdir((dir + "/supervise").c_str(), 0700) == 0);
    REQUIRE(mkfifo((dir + "/supervise/control").c_str(), 0600) == 0);
    REQUIRE(sv::fifodir_make((dir + "/event").c_str()));
}

// "mode:gid" of the three paths s6-svperms deals with, or "-" for a missing one.
std::string perms_of(std::string const &dir)
{
    std::string s;
    for (char const *rel : {"/supervise", "/supervise/control", "/event"}) {
        struct stat st;
        if (lstat((dir + rel).c_str(), &st) < 0) {
            s += "- ";
            continue;
        }
        char oct[8];
        snprintf(oct, sizeof oct, "%o", static_cast<unsigned>(st.st_mode & 07777));
        s += std::string(oct) + ":" + std::to_string(st.st_gid) + " ";
    }
    return s;
}

// Runs ours and stock s6-svperms with args on two identical copies of a service directory,
// made by setup(path), each named "svc" in its own working directory so that the output (which
// names the directory as given) can be compared; compares the results and the modes after.
void compare_svperms(strings const &args, std::function<void(std::string const &)> const &setup,
                     strings const &operands = {"svc"})
{
    h::tempdir o, s;
    setup(o / "svc");
    setup(s / "svc");
    h::run_opts oo, so;
    oo.cwd = o.path();
    so.cwd = s.path();
    INFO("s6-svperms " << (args.empty() ? std::string() : args.front()));
    h::check_same(h::run_ours("s6-svperms", cat(args, operands), oo),
                  h::run_stock("s6-svperms", cat(args, operands), so));
    CHECK(perms_of(o / "svc") == perms_of(s / "svc"));
}

} // namespace

// === s6-svlisten ===========================================================================

TEST_CASE("s6-svlisten: usage and bad input match stock", "[svextras]")
{
    h::need_stock("s6-svlisten");
    h::tempdir td;
    h::mkdirs(td / "plain");
    std::string const plain = td / "plain", missing = td / "missing";
    h::write_file(td / "file", "");
    std::vector<strings> const cases = {
        {},
        {"-u"},
        {plain},
        {plain, "true"},
        {plain, ""},
        {"", "true"},
        {" " + plain, "", "true"},       // never supervised: status unreadable, 111
        {plain, "", "true"},             // unquoted words are fine by default
        {" " + missing, "", "true"},     // no such directory: subscribing fails, 111
        {" " + td / "file", "", "true"}, // not a directory
        {" " + plain, " " + missing, "", "true"},
        {"-Z", " " + plain, "", "true"},
        {"-t", "q", " " + plain, "", "true"},
        {"-t", "100x", " " + plain, "", "true"},
        {"-t"},
        {" " + plain, " b", "prog"},             // no empty word: unterminated block
        {"-r", "-o", " " + missing, "", "true"}, // the -o warning comes first
        {"-R", "-o", " " + missing, "", "true"},
        {"-o", "-r", "-a", " " + missing, "", "true"}, // -a after: no warning
        {"-u", " " + plain, "-t", "100", "", "true"},  // options after the block are words
    };
    h::run_opts in_td; // relative words of a block must not land in the test's own cwd
    in_td.cwd = td.path();
    for (auto const &args : cases)
        h::compare("s6-svlisten", args, in_td);

    // EXECLINE_STRICT judges unquoted words: 1 warns, 2 and up (leading digits) refuse.
    for (char const *v : {"0", "1", "2", "2x", " 2", "abc", "3"}) {
        INFO("EXECLINE_STRICT=" << v);
        h::run_opts o = in_td;
        o.env = {std::string("EXECLINE_STRICT=") + v};
        h::compare("s6-svlisten", {plain, " " + plain, missing, "", "true"}, o);
        h::compare("s6-svlisten", {plain, ""}, o);
    }
    // prog cannot be started: 111, once every service is subscribed to (already in the state
    // or not).
    std::string const fake = td / "fake";
    h::make_fake_service(fake, false, true);
    for (char const *prog : {"/nonexistent", "/", "no-such-program-here"}) {
        h::compare("s6-svlisten", {"-d", "-t", "200", " " + fake, "", prog}, in_td);
        h::compare("s6-svlisten", {"-u", "-t", "200", " " + fake, "", prog}, in_td);
    }
    CHECK(h::wait_until([&] { return h::listeners(fake) == 0; }, 5000)); // none left behind

    auto r = h::run_ours("s6-svlisten", {" a", " b", "prog"});
    CHECK(r.code == 100);
    CHECK(r.err == "s6-svlisten: fatal: unterminated servicedir block\n");
    h::run_opts strict;
    strict.env = {"EXECLINE_STRICT=2"};
    r = h::run_ours("s6-svlisten", {" " + plain, plain, "", "true"}, strict);
    CHECK(r.code == 100);
    CHECK(r.err == "s6-svlisten: fatal: unquoted argument " + plain + " at block 1 position 1\n");
}

TEST_CASE("s6-svlisten: waits on real supervisors, ours and stock both ways", "[svextras]")
{
    h::need_stock("s6-svlisten");
    h::need_stock("s6-supervise");
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    auto const bin = GENERATE(from_range(binaries("s6-svlisten")));
    INFO("supervisor " << sup << ", listener " << bin);
    h::service a(sup, "exec sleep 1000", {{"down", ""}});
    h::service b(sup, "exec sleep 1000", {{"down", ""}});
    REQUIRE(a.wait(h::down_and_finished));
    REQUIRE(b.wait(h::down_and_finished));
    strings const ab = {a.dir(), b.dir()};

    // -u (the default): prog brings both up; its own exit code (7) does not matter.
    auto r = svlisten(bin, {"-t", "5000"}, ab, cat(svc_each("-u", ab), {}));
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(h::up(a.status()));
    CHECK(h::up(b.status()));
    r = svlisten(bin, {"-u", "-t", "5000"}, ab, {"sh", "-c", "exit 7"});
    CHECK(r.code == 0); // already up: no wait

    // -d -o: one going down is enough.
    r = svlisten(bin, {"-d", "-o", "-t", "5000"}, ab, svc_each("-d", {a.dir()}));
    CHECK(r.code == 0);
    CHECK(h::down(a.status()));
    CHECK(h::up(b.status()));

    // -d -a times out while b stays up; the message and code match stock's.
    r = svlisten(bin, {"-d", "-t", "300"}, ab, {"true"});
    CHECK(r.code == 99);
    CHECK(h::stock_message(r.err) == "s6-svlisten: fatal: timed out\n");

    // -D: down and finished, for both.
    r = svlisten(bin, {"-D", "-t", "5000"}, ab, svc_each("-d", {b.dir()}));
    CHECK(r.code == 0);
    CHECK(h::down_and_finished(b.status()));

    // -r: first down and finished, then up.  (One service: two restarted ones need not be
    // down at the same moment, since a supervisor may restart at once; the scripted cases
    // check -r with several.)
    r = svlisten(bin, {"-u", "-t", "5000"}, {a.dir()}, svc_each("-u", {a.dir()}));
    REQUIRE(r.code == 0);
    auto const pid = a.status().pid;
    r = svlisten(bin, {"-r", "-t", "8000"}, {a.dir()}, svc_each("-r", {a.dir()}));
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(h::up(a.status()));
    CHECK(a.status().pid != pid);

    // A supervisor that exits while its service is not in the wanted state (up and ready,
    // which it never is): 1, not 102.
    r = svlisten(bin, {"-U", "-t", "5000"}, {a.dir()}, svc_each("-dx", {a.dir()}));
    CHECK(r.code == 1);
    CHECK(h::stock_message(r.err) == failure_message);
    CHECK(a.supervisor().wait(5000) == 0);
    // Unsubscribed on the way out (stock's s6-ftrigrd cleans up just after).
    CHECK(h::wait_until([&] { return h::listeners(a.dir()) == 0; }, 5000));
}

TEST_CASE("s6-svlisten: permanent failures, and stock's -a quirk with several", "[svextras]")
{
    h::need_stock("s6-svlisten");
    h::need_stock("s6-supervise");
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    auto const bin = GENERATE(from_range(binaries("s6-svlisten")));
    INFO("supervisor " << sup << ", listener " << bin);
    // run fails at once and finish says "permanent": the supervisor sends O then D, and sets
    // wantup to 0.  Never ready, so a -U wait cannot end any other way.
    std::vector<std::pair<std::string, std::string>> const files = {
        {"finish", "#!/bin/sh\nexit 125\n"}, {"down", ""}, {"notification-fd", "3\n"}};
    h::service c(sup, "exit 1", files);
    h::service d(sup, "exit 1", files);
    auto failed = [](sv::status const &st) { return h::down_and_finished(st) && !st.wantup; };

    // One service: the O ends the wait with one failure.
    auto r = svlisten(bin, {"-U", "-t", "5000"}, {c.dir()}, svc_each("-u", {c.dir()}));
    CHECK(r.code == 1);
    CHECK(h::stock_message(r.err) == failure_message);
    REQUIRE(c.wait(failed));

    // Two with -o: the first O is enough.
    r = svlisten(bin, {"-U", "-o", "-t", "5000"}, {c.dir(), d.dir()},
                 svc_each("-u", {c.dir(), d.dir()}));
    CHECK(r.code == 1);
    REQUIRE(c.wait(failed));
    REQUIRE(d.wait(failed));

    // Two with -a: each O is followed by a D that puts its service back out of the wanted
    // state, so the wait runs into the timeout, as stock's does.
    r = svlisten(bin, {"-U", "-t", "1500"}, {c.dir(), d.dir()}, svc_each("-u", {c.dir(), d.dir()}));
    CHECK(r.code == 99);
    CHECK(h::stock_message(r.err) == "s6-svlisten: fatal: timed out\n");
    CHECK(c.wait(failed));
    CHECK(d.wait(failed));
}

TEST_CASE("s6-svlisten: scripted events give stock's results", "[svextras]")
{
    h::need_stock("s6-svlisten");
    struct scenario
    {
        char const *name;
        strings opts;
        bool a_up, a_ready, b_up, b_ready;
        std::vector<std::pair<char, std::string>> events; // 'a' or 'b', bytes
        int code;
        // Stock's answer depends on how its events are batched: ours alone is checked.
        bool stock_racy = false;
    };
    std::vector<scenario> const scenarios = {
        {"-u all", {"-u"}, false, true, false, true, {{'a', "u"}, {'b', "u"}}, 0},
        {"-u one x", {"-u"}, false, true, false, true, {{'a', "x"}, {'b', "u"}}, 1},
        {"-u two x", {"-u"}, false, true, false, true, {{'a', "x"}, {'b', "x"}}, 2},
        {"-U -o O", {"-U", "-o"}, false, true, false, true, {{'a', "uO"}}, 1},
        {"-U O then ready", {"-U"}, false, true, true, true, {{'a', "O"}}, 1},
        {"-d x while down", {"-d"}, false, false, true, false, {{'a', "x"}, {'b', "d"}}, 0},
        {"-D", {"-D"}, true, false, true, false, {{'a', "d"}, {'b', "D"}, {'a', "D"}}, 0},
        {"-D -o", {"-D", "-o"}, true, false, true, false, {{'b', "d"}, {'b', "D"}}, 0},
        // -r: every service down AND finished, then up.  Stock reads the events that came
        // together service by service, not in their order (s6_svlisten_loop.c): when b's D
        // and a's u come in one read, it sees a up before b finished, and its first phase
        // never ends (a CI run saw 99 after 20 s).  Ours takes them in order.
        {"-r",
         {"-r"},
         true,
         false,
         true,
         false,
         {{'a', "D"}, {'b', "d"}, {'b', "D"}, {'a', "u"}, {'b', "u"}},
         0,
         true},
        {"-r needs finished",
         {"-r", "-t", "1000"},
         true,
         false,
         true,
         false,
         {{'a', "D"}, {'b', "d"}, {'a', "u"}, {'b', "u"}},
         99},
        {"-R -o is -a",
         {"-R", "-o", "-t", "1000"},
         true,
         true,
         true,
         true,
         {{'a', "D"}, {'a', "uU"}},
         99},
    };
    auto const play = [&](scenario const &sc, std::string const &bin) {
        INFO(sc.name << " with " << bin);
        h::tempdir td, logs;
        std::string const a = td / "a", b = td / "b";
        h::make_fake_service(a, sc.a_up, sc.a_ready);
        h::make_fake_service(b, sc.b_up, sc.b_ready);
        strings argv = cat({bin}, sc.opts);
        if (std::find(sc.opts.begin(), sc.opts.end(), "-t") == sc.opts.end())
            argv = cat(argv, {"-t", "5000"});
        argv = cat(cat(argv, block({a, b})), {"true"});
        auto p = h::start_waiter(argv, {a, b}, logs.path());
        for (auto const &[who, bytes] : sc.events)
            h::notify_drained(who == 'a' ? a : b, bytes);
        int const code = p->wait(6000);
        CHECK(code == sc.code);
        return std::make_pair(code, h::stock_message(p->err()));
    };
    for (auto const &sc : scenarios) {
        auto const o = play(sc, h::ours("s6-svlisten"));
        if (sc.stock_racy) continue;
        auto const s = play(sc, h::stock("s6-svlisten"));
        CHECK(o == s);
    }
}

// === s6-permafailon ========================================================================

TEST_CASE("s6-permafailon: usage and status lists match stock", "[svextras]")
{
    h::need_stock("s6-permafailon");
    h::tempdir td; // no supervise/death_tally: a warning, then prog runs
    h::run_opts o;
    o.cwd = td.path();
    std::vector<strings> const usage = {
        {},
        {"10"},
        {"10", "1"},
        {"x", "1", "1", "true"},
        {"10", "0", "1", "true"},
        {"10", "y", "1", "true"},
        {"10x", "1", "1", "true"},
        {"-1", "1", "1", "true"},
    };
    for (auto const &args : usage)
        h::compare("s6-permafailon", args, o);
    for (char const *list : {"1",
                             "1-3",
                             "0-255",
                             "",
                             "1,,2",
                             "1 ;2\t3\n",
                             "TERM",
                             "SIGTERM",
                             "sigterm",
                             "SIG15",
                             "SIG015",
                             "Sig15",
                             "KILL,TERM",
                             "IOT",
                             "CLD",
                             "SIG64",
                             "SIG34",
                             "0255",
                             "256",
                             "1-256",
                             "3-1",
                             "1-",
                             "1-x",
                             "1--2",
                             "1-2-3",
                             "TERMx",
                             ",",
                             "x",
                             " 1",
                             "1x",
                             "-1",
                             "SIGFOO",
                             "SIGRTMIN",
                             "SIG0",
                             "SIG32",
                             "SIG33",
                             "SIG65",
                             "SIG99",
                             "SIG4294967295",
                             "SIG4294967296",
                             "4294967296",
                             "SIG"}) {
        INFO("statuslist \"" << list << '"');
        h::compare("s6-permafailon", {"10", "1", list, "echo", "ran"}, o);
    }
    // prog missing, not executable, absent: 127, 126, and 0 when there is no prog at all.
    h::compare("s6-permafailon", {"10", "1", "1", "/nonexistent"}, o);
    h::compare("s6-permafailon", {"10", "1", "1", td.path()}, o);
    h::compare("s6-permafailon", {"10", "1", "1", "no-such-program-here"}, o);
    h::compare("s6-permafailon", {"10", "1", "1"}, o);
    auto r = h::run_ours("s6-permafailon", {"10", "1", "1"}, o);
    CHECK(r.code == 0);
}

TEST_CASE("s6-permafailon: the death tally decides, as in stock", "[svextras]")
{
    h::need_stock("s6-permafailon");
    h::tempdir td;
    h::run_opts o;
    o.cwd = td.path();
    // Deaths 100 s ago (exit 1), 5 s ago (exit 2), 3 s ago (SIGTERM), 1 s ago (exit 2).
    write_tally(td.path(), {{100, 1, 0}, {5, 2, 0}, {3, 0, 15}, {1, 2, 0}});
    std::vector<strings> const cases = {
        {"10", "2", "2", "echo", "ran"},      // two exit 2: permanent failure
        {"10", "3", "2", "echo", "ran"},      // only two
        {"10", "2", "TERM,2", "echo", "ran"}, // the SIGTERM death is the second match
        {"10", "1", "TERM", "echo", "ran"},
        {"10", "1", "143", "echo", "ran"}, // 128 + 15 matches the signal death too
        {"200", "2", "1,2", "echo", "ran"},
        {"10", "2", "1", "echo", "ran"},    // exit 1 is outside the window
        {"0", "1", "1-255", "echo", "ran"}, // an empty window
        {"10", "5000", "0-255", "echo", "ran"},
        {"10", "2", "2"}, // no prog: 125 still
    };
    for (auto const &args : cases)
        h::compare("s6-permafailon", args, o);
    auto r = h::run_ours("s6-permafailon", {"10", "2", "TERM,2", "true"}, o);
    CHECK(r.code == 125);
    CHECK(r.err == "s6-permafailon: info: PERMANENT FAILURE triggered after 2 events involving "
                   "signal 15 in the last 10 seconds\n");

    // A tally of the wrong size is a warning, and prog runs; an empty one means no deaths.
    h::write_file(td / "supervise/death_tally", "abc");
    h::compare("s6-permafailon", {"10", "1", "1", "echo", "ran"}, o);
    h::write_file(td / "supervise/death_tally", "");
    h::compare("s6-permafailon", {"10", "1", "1", "echo", "ran"}, o);
    // supervise/death_tally is a directory: reading it fails, a warning, prog runs.
    REQUIRE(unlink((td / "supervise/death_tally").c_str()) == 0);
    h::mkdirs(td / "supervise/death_tally");
    h::compare("s6-permafailon", {"10", "1", "1", "echo", "ran"}, o);
}

TEST_CASE("s6-permafailon: reads a tally it may not write", "[svextras]")
{
    h::need_stock("s6-permafailon");
    h::need_root("running as nobody");
    h::tempdir td;
    std::string const dir = td / "svc";
    write_tally(dir, {{2, 3, 0}, {1, 3, 0}});
    // Readable by all, writable by root only.
    REQUIRE(chmod(td.c_str(), 0755) == 0);
    REQUIRE(chmod(dir.c_str(), 0755) == 0);
    REQUIRE(chmod((dir + "/supervise").c_str(), 0755) == 0);
    h::run_opts o;
    o.cwd = dir;
    for (auto const &bin : binaries("s6-permafailon")) {
        INFO(bin);
        auto r = h::run({h::ours("s6-setuidgid"), "nobody", bin, "10", "2", "3", "true"}, o);
        CHECK(r.code == 125);
    }
}

TEST_CASE("s6-permafailon in a finish script stops the service, under both supervisors",
          "[svextras]")
{
    h::need_stock("s6-permafailon");
    h::need_stock("s6-supervise");
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    auto const bin = GENERATE(from_range(binaries("s6-permafailon")));
    INFO("supervisor " << sup << ", " << bin);
    // run exits 3 at once; the second death within a minute is a permanent failure.
    h::service s(sup, "exit 3",
                 {{"finish", "#!/bin/sh\nexec " + bin +
                                 " 60 2 3 sh -c 'echo $1 >> finished' x "
                                 "\"$1\"\n"}});
    CHECK(
        s.wait([](sv::status const &st) { return !st.wantup && h::down_and_finished(st); }, 8000));
    std::vector<sv::death_record> deaths(10);
    CHECK(sv::death_tally_read(s.dir(), deaths) == 2);
    // The first death ran the rest of the finish script (which got run's exit code, 3).
    CHECK(h::read_file(s.path("finished")) == "3\n");
    CHECK(h::stock_message(s.supervisor().err())
              .find("s6-permafailon: info: PERMANENT FAILURE triggered after 2 events involving "
                    "exit code 3 in the last 60 seconds\n") != std::string::npos);
}

// === s6-svperms ============================================================================

TEST_CASE("s6-svperms: printing and every change match stock", "[svextras]")
{
    h::need_stock("s6-svperms");
    auto const fresh = [](std::string const &d) { fake_supervised(d); };
    std::vector<strings> const changes = {
        {},
        {"-v"},
        {"-u"},
        {"-g", "adm"},
        {"-G", "adm"},
        {"-o"},
        {"-O", ":4321"},
        {"-e"},
        {"-E", "daemon"},
        {"-E", ":55"},
        {"-v", "-g", ":7", "-E", ":8"},
        {"-G", "adm", "-u"},       // the last of -u -g -G -o -O counts
        {"-e", "-E", "adm", "-v"}, // the last of -e -E too
        {"-o", "-e", "-v"},
        {"-O", "daemon", "-v"},
    };
    for (auto const &args : changes)
        compare_svperms(args, fresh);
    // After a change, the printed form of each combination.
    for (auto const &args : changes)
        compare_svperms({}, [&](std::string const &d) {
            fake_supervised(d);
            if (!args.empty()) REQUIRE(h::run_ours("s6-svperms", cat(args, {d})).code == 0);
        });
}

TEST_CASE("s6-svperms: on real supervised directories, stock's and ours", "[svextras]")
{
    h::need_stock("s6-svperms");
    h::need_stock("s6-supervise");
    for (auto const &sup : supervisor_binaries()) {
        INFO(sup);
        h::service s(sup, "exec sleep 1000", {{"down", ""}});
        h::compare("s6-svperms", {s.dir()});
        h::compare("s6-svperms", {"-v", "-G", "adm", "-E", "adm", s.dir()});
        // The supervisor still takes commands from the group's FIFO mode.
        CHECK(h::run_ours("s6-svc", {"-u", s.dir()}).code == 0);
        CHECK(s.wait(h::up));
        h::compare("s6-svperms", {"-v", "-u", "-E", ":0", s.dir()});
    }
}

TEST_CASE("s6-svperms: bad input and odd directories match stock", "[svextras]")
{
    h::need_stock("s6-svperms");
    auto const fresh = [](std::string const &d) { fake_supervised(d); };
    // Usage, groups.
    for (strings const &args : std::vector<strings>{{"-x"},
                                                    {"-g"},
                                                    {"-g", "no-such-group-here"},
                                                    {"-E", "no-such-group-here"},
                                                    {"-G", ":x"},
                                                    {"-O", ":"},
                                                    {"-g", ":12x"},
                                                    {"-g", "no-such-group-here", "-x"}})
        compare_svperms(args, fresh);
    h::compare("s6-svperms", {});
    h::compare("s6-svperms", {"-v"});
    // Missing: printing warns (exit 1), changing fails (111).
    compare_svperms({}, [](std::string const &) {});
    compare_svperms({"-u"}, [](std::string const &) {});
    compare_svperms({"-e"}, [](std::string const &d) { h::mkdirs(d); });
    compare_svperms({}, fresh, {"svc", "missing", "svc"});
    compare_svperms({"-o"}, fresh, {"svc", "missing", "svc"}); // dies at the second
    // Wrong types and modes: each check's warning.
    compare_svperms({}, [](std::string const &d) {
        h::mkdirs(d);
        h::write_file(d + "/supervise", "");
        h::mkdirs(d + "/event");
    });
    compare_svperms({}, [](std::string const &d) {
        fake_supervised(d);
        REQUIRE(unlink((d + "/supervise/control").c_str()) == 0);
        h::write_file(d + "/supervise/control", "");
        REQUIRE(rmdir((d + "/event").c_str()) == 0);
        h::write_file(d + "/event", "", 0600);
    });
    for (unsigned mode : {0755u, 0701u, 0500u, 04700u, 0770u}) {
        INFO("supervise mode " << std::oct << mode);
        compare_svperms({}, [mode](std::string const &d) {
            fake_supervised(d);
            REQUIRE(chmod((d + "/supervise").c_str(), mode) == 0);
        });
    }
    for (unsigned mode : {0666u, 0640u, 0700u, 0602u}) {
        INFO("control mode " << std::oct << mode);
        compare_svperms({}, [mode](std::string const &d) {
            fake_supervised(d);
            REQUIRE(chmod((d + "/supervise/control").c_str(), mode) == 0);
        });
    }
    for (unsigned mode : {0755u, 01730u, 03733u, 02730u}) {
        INFO("event mode " << std::oct << mode);
        compare_svperms({}, [mode](std::string const &d) {
            fake_supervised(d);
            REQUIRE(chmod((d + "/event").c_str(), mode) == 0);
        });
    }
    // A group with no name prints as its number; an owner with no passwd entry gives root's
    // group, with a warning.
    compare_svperms({"-v", "-G", ":54321"}, fresh);
    compare_svperms({"-v", "-o", "-e"}, [](std::string const &d) {
        fake_supervised(d);
        for (char const *rel : {"/supervise", "/supervise/control", "/event"})
            REQUIRE(chown((d + rel).c_str(), 54321, 7) == 0);
    });
}

// === s6-fghack =============================================================================

TEST_CASE("s6-fghack: exit codes, the hackpipe and its fds match stock", "[svextras]")
{
    h::need_stock("s6-fghack");
    std::vector<strings> const cases = {
        {},
        {"true"},
        {"false"},
        {"sh", "-c", "exit 7"},
        {"sh", "-c", "echo x >&3"},  // fd 3 is one of the copies
        {"sh", "-c", "echo x >&34"}, // and so is 34
        {"sh", "-c", "echo x >&6"},  // 6 is not (stock's exec-failure pipe sat there)
        {"sh", "-c", "echo x >&35"},
        {"/nonexistent"},
        {"/"},
        {"no-such-program-here"},
        {"sh", "-c", "echo out; echo err >&2; exit 3"},
        // The fds prog gets: every one is listed with what it is.
        {"sh", "-c", "cd /proc/$$/fd && for f in *; do echo $f $(readlink $f | cut -c1-5); done"},
    };
    for (auto const &args : cases)
        h::compare("s6-fghack", args);
}

TEST_CASE("s6-fghack: waits for prog's background children", "[svextras]")
{
    h::need_stock("s6-fghack");
    for (auto const &bin : binaries("s6-fghack")) {
        INFO(bin);
        auto const start = std::chrono::steady_clock::now();
        // The child exits at once; the background sleep keeps the copies for 0.4 s.
        auto r = h::run({bin, "sh", "-c", "sleep 0.4 >/dev/null 2>&1 & exit 4"});
        auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        CHECK(r.code == 4);
        CHECK(ms >= 350);
        // A background child that closes the copies is not waited for.
        auto const start2 = std::chrono::steady_clock::now();
        r = h::run({bin, "sh", "-c",
                    "(for i in $(seq 3 40); do eval \"exec $i>&-\"; done; sleep 2) "
                    ">/dev/null 2>&1 & exit 5"});
        auto const ms2 = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - start2)
                             .count();
        CHECK(r.code == 5);
        CHECK(ms2 < 1500);
    }
}

TEST_CASE("s6-fghack: prog killed by a signal exits 111, naming prog (stock names argv[2])",
          "[svextras]")
{
    h::need_stock("s6-fghack");
    auto o = h::run_ours("s6-fghack", {"sh", "-c", "kill -9 $$"});
    auto s = h::run_stock("s6-fghack", {"sh", "-c", "kill -9 $$"});
    CHECK(o.code == 111);
    CHECK(s.code == 111);
    // Deliberate difference: stock prints prog's first argument where it means prog.
    CHECK(o.err == "s6-fghack: fatal: sh crashed\n");
    CHECK(s.err == "s6-fghack: fatal: -c crashed\n");
}
