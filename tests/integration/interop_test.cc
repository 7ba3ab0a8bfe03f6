// Interop, three ways: stock s6 clients driving our s6-supervise, our clients driving stock
// s6-supervise, and ours with ours (stock with stock is the reference run).  The same scenario
// runs for every pair and must give the same exit codes, output and status bytes.
#include "harness.hh"

#include <catch2/catch.hpp>

#include <csignal>
#include <regex>
#include <sys/wait.h>

#include <supervise/control.hh>

namespace {

struct side {
    std::string name;
    std::string (*bin)(std::string const &);
};

side const ours{"ours", h::ours};
side const stock{"stock", h::stock};

} // namespace

TEST_CASE("interop: clients x supervisors", "[interop]")
{
    auto [clients, supervisor] = GENERATE(table<side, side>({
        {stock, ours}, // stock clients drive our supervisor
        {ours, stock}, // our clients drive the stock supervisor
        {ours, ours},
        {stock, stock}, // the reference behaviour
    }));
    INFO("clients " << clients.name << ", supervisor " << supervisor.name);
    auto c = [&](std::string const &n) { return clients.bin(n); };

    h::tempdir t;
    std::string d = t / "svc";
    h::make_service(d, "echo >&3; exec sleep 100",
                    {{"notification-fd", "3\n"}, {"finish", "#!/bin/sh\nexit 0\n"}});
    auto p = h::start_supervise(supervisor.bin("s6-supervise"), d, t.path());

    CHECK(h::run({c("s6-svwait"), "-U", "-t", "5000", d}).code == 0);
    CHECK(h::run({c("s6-svok"), d}).code == 0);

    auto st = h::run({c("s6-svstat"), "-o", "up,wantedup,normallyup,ready,paused", d});
    CHECK(st.code == 0);
    CHECK(st.out == "true true true true false\n");
    auto human = h::run({c("s6-svstat"), d});
    CHECK(std::regex_match(human.out, std::regex("up \\(pid [0-9]+\\) [0-9]+ seconds, ready [0-9]+ seconds\n")));

    // Down and wait for down-and-ready, then up and wait for ready, through s6-svc -w.
    auto r = h::run({c("s6-svc"), "-wD", "-T", "5000", "-d", d});
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    auto s = h::status_of(d);
    CHECK(!s.is_up());
    CHECK(s.ready);
    CHECK(!s.wantup);
    st = h::run({c("s6-svstat"), "-o", "up,wantedup,ready,exitcode,signal,signum,pid", d});
    CHECK(st.out == "false false false -1 SIGTERM 15 -1\n");
    CHECK(h::mask_seconds(h::run({c("s6-svstat"), d}).out) ==
          "down (signal SIGTERM) N seconds, normally up, ready N seconds\n");
    CHECK(h::run({c("s6-svstat"), "-n", d}).out.starts_with("down (signal 15)"));

    r = h::run({c("s6-svc"), "-wU", "-T", "5000", "-u", d});
    CHECK(r.code == 0);
    s = h::status_of(d);
    CHECK(s.is_up());
    CHECK(s.ready);

    // -wr: restart and wait until up again.
    auto old_pid = s.pid;
    CHECK(h::run({c("s6-svc"), "-wr", "-T", "5000", "-r", d}).code == 0);
    CHECK(h::status_of(d).pid != old_pid);

    // Death tally through s6-svdt: two deaths by SIGTERM so far.
    auto dt = h::run({c("s6-svdt"), d});
    CHECK(dt.code == 0);
    CHECK(std::regex_match(dt.out, std::regex("(@[0-9a-f]{24} signal SIGTERM\n){2}")));
    CHECK(h::run({c("s6-svdt-clear"), d}).code == 0);
    CHECK(h::run({c("s6-svdt"), d}).out.empty());

    // A timeout: wait for down with 100 ms while the service stays up.
    r = h::run({c("s6-svwait"), "-d", "-t", "100", d});
    CHECK(r.code == 99);
    CHECK(r.err == "s6-svwait: fatal: timed out\n");

    // Pause shows in both the flag and the human line.
    CHECK(h::run({c("s6-svc"), "-p", d}).code == 0);
    REQUIRE(h::wait_status(d, [](sv::status const &x) { return x.paused; }));
    CHECK(h::run({c("s6-svstat"), d}).out.find(", paused") != std::string::npos);
    CHECK(h::run({c("s6-svc"), "-c", d}).code == 0);

    // Exit the supervisor: s6-svok says 1, s6-svc says nobody listens (exit 100 in 2.11).
    CHECK(h::run({c("s6-svc"), "-dx", d}).code == 0);
    CHECK(p->wait() == 0);
    CHECK(h::run({c("s6-svok"), d}).code == 1);
    r = h::run({c("s6-svc"), "-u", d});
    CHECK(r.code == 100);
    // Stock 2.11.3.2 prints a doubled "fatal: : " here (skalibs version skew); ours does not.
    CHECK(std::regex_match(r.err, std::regex("s6-svc: fatal: (: )?unable to control " + d +
                                             ": supervisor not listening\n")));
    r = h::run({c("s6-svstat"), d});
    CHECK(r.code == 1);
}

TEST_CASE("interop: bad input gives the same codes from stock and our clients", "[interop]")
{
    h::tempdir t;
    std::string missing = t / "missing";
    h::mkdirs(t / "plain");
    std::vector<std::vector<std::string>> cases = {
        {"s6-svc", "-u", missing},
        {"s6-svc", "-Z", missing},
        {"s6-svc"},
        {"s6-svc", "-u", t / "plain"},
        {"s6-svok", missing},
        {"s6-svok"},
        {"s6-svstat", missing},
        {"s6-svstat", "-o", "bogus", missing},
        {"s6-svstat"},
        {"s6-svwait", "-u", "-t", "100", missing},
        {"s6-svwait"},
        {"s6-svdt", missing},
        {"s6-svdt-clear", missing},
        {"s6-svlisten1", "-u", missing},
    };
    for (auto const &argv : cases) {
        auto so = argv, ss = argv;
        so[0] = h::ours(argv[0]);
        ss[0] = h::stock(argv[0]);
        auto ro = h::run(so), rs = h::run(ss);
        std::string line;
        for (auto const &a : argv) line += a + " ";
        INFO(line << "\nours: " << ro.err << "stock: " << rs.err);
        CHECK(ro.code == rs.code);
        // Same shape of message: same program prefix and same kind (fatal/usage/warning).
        CHECK(ro.err.substr(0, ro.err.find(':', argv[0].size() + 2)) ==
              rs.err.substr(0, rs.err.find(':', argv[0].size() + 2)));
    }
}

TEST_CASE("interop: truncated and corrupted status files", "[interop]")
{
    h::tempdir t;
    std::string d = t / "svc";
    h::mkdirs(d + "/supervise");
    // Pretend to be the supervisor: hold the lock, so the clients read the status file.
    sv::unique_fd lock(sv::lock_take((d + "/supervise/lock").c_str()));
    REQUIRE(lock);

    h::write_file(d + "/supervise/status", std::string(34, '\0'));
    for (auto const &tool : {std::vector<std::string>{"s6-svstat"},
                             std::vector<std::string>{"s6-svwait", "-u", "-t", "100"}}) {
        auto so = tool, ss = tool;
        so[0] = h::ours(tool[0]);
        ss[0] = h::stock(tool[0]);
        so.push_back(d);
        ss.push_back(d);
        auto ro = h::run(so), rs = h::run(ss);
        INFO(tool[0] << "\nours: " << ro.err << "stock: " << rs.err);
        CHECK(ro.code == 111);
        CHECK(rs.code == 111);
    }

    // Every byte set: a pid and stamps no supervisor would write.  Both read it the same way.
    std::string junk(35, '\xff');
    junk[34] = '\x0f';
    h::write_file(d + "/supervise/status", junk);
    for (auto const &args : {std::vector<std::string>{},
                             std::vector<std::string>{"-o", "up,wantedup,ready,paused,pid,exitcode,signal,signum,updownsince"}}) {
        std::vector<std::string> so{h::ours("s6-svstat")}, ss{h::stock("s6-svstat")};
        so.insert(so.end(), args.begin(), args.end());
        ss.insert(ss.end(), args.begin(), args.end());
        so.push_back(d);
        ss.push_back(d);
        auto ro = h::run(so), rs = h::run(ss);
        CHECK(ro.code == rs.code);
        CHECK(h::mask_seconds(ro.out) == h::mask_seconds(rs.out));
    }

    // A death tally whose size is not a multiple of 14 is emptied by both readers.
    for (auto side : {h::ours("s6-svdt"), h::stock("s6-svdt")}) {
        h::write_file(d + "/supervise/death_tally", std::string(15, 'x'));
        auto r = h::run({side, d});
        CHECK(r.code == 0);
        CHECK(r.out.empty());
        CHECK(h::read_file(d + "/supervise/death_tally").empty());
    }
}
