// s6-sudo, s6-sudoc and s6-sudod in every pairing with the stock programs: args, the
// environment rule, the client's fds, exit codes and signals, and the server's answers to
// clients that break the protocol.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <vector>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/ipc.hh>
#include <supervise/sudo.hh>
#include <supervise/tai64n.hh>
#include <supervise/unixmessage.hh>

#include "harness.hh"

namespace {

// A server on td/NAME: stock s6-ipcserver running sudod (ours or stock) with FOO set empty
// (so the client's FOO goes through) and BAR set (so the client's BAR does not).
struct server {
    std::unique_ptr<h::proc> p;
    std::string sock;
    // wrap, if given, runs the whole server (a command line ending in one that execs its
    // arguments).
    server(h::tempdir const &td, std::string const &name, std::string const &sudod,
           h::strings const &prog, h::strings const &wrap = {})
    {
        sock = td / name;
        h::strings argv = wrap;
        argv.insert(argv.end(), {"/usr/bin/env", "FOO=", "BAR=server", h::stock("s6-ipcserver"),
                                 sock, sudod});
        argv.insert(argv.end(), prog.begin(), prog.end());
        p = std::make_unique<h::proc>(argv, td.path());
        // The socket file exists a moment before the server listens on it; a probing
        // connection would start an s6-sudod, so ask the kernel instead.
        REQUIRE(h::wait_until([&] { return h::unix_listening(sock); }));
    }
};

std::string const script = "echo \"args: $*\"; echo \"FOO=$FOO BAR=$BAR\"; read x; "
                           "echo \"in: $x\"; echo to-stderr >&2; exit \"${1:-0}\"";

// A fake s6-sudod on td/fake.sock: takes one client at a time, sends the banner and returns
// the request the client sent (its data and fds) with the connection, to answer by hand.
struct fake_sudod {
    std::string sock;
    sv::unique_fd l, lock;
    struct request {
        sv::unique_fd conn;
        std::string data;
        std::vector<int> fds;
    };

    explicit fake_sudod(h::tempdir const &td) : sock(td / "fake.sock")
    {
        l.reset(sv::ipc_socket(false, true, true));
        int lockfd = -1;
        REQUIRE(sv::ipc_bind_reuse(l.get(), sock.c_str(), 0, &lockfd) == 0);
        lock.reset(lockfd);
        REQUIRE(::listen(l.get(), 4) == 0);
    }

    request take()
    {
        request q;
        REQUIRE(h::wait_until([&] {
            q.conn.reset(sv::ipc_accept(l.get(), nullptr, 0, true, true));
            return bool(q.conn);
        }));
        REQUIRE(sv::write_full(q.conn.get(), sv::sudo_banner_server));
        static char buf[65536];
        int fdbuf[8];
        sv::umsg_receiver r(buf, fdbuf, q.conn.get());
        sv::umsg m;
        REQUIRE(sv::umsg_receive_until(r, m, sv::mono_ms() + 5000));
        q.data = std::string(m.data);
        q.fds.assign(m.fds.begin(), m.fds.end());
        return q;
    }
};

} // namespace

TEST_CASE("s6-sudo: every pairing of client and server gives the same run", "[sudo]")
{
    h::need_stock("s6-sudod");
    h::need_stock("s6-ipcserver");
    h::tempdir td;
    server ours(td, "ours.sock", h::ours("s6-sudod"), {"/bin/sh", "-c", script, "sh"});
    server stock(td, "stock.sock", h::stock("s6-sudod"), {"/bin/sh", "-c", script, "sh"});
    for (auto const *srv : {&ours, &stock}) {
        for (bool our_client : {true, false}) {
            for (h::strings const &extra : {h::strings{}, h::strings{"-e"}}) {
                INFO((srv == &ours ? "our server" : "stock server")
                     << (our_client ? ", our client " : ", stock client ")
                     << (extra.empty() ? "" : extra[0]));
                h::strings args = extra;
                args.insert(args.end(), {srv->sock, "3", "two words"});
                h::run_opts o;
                o.input = "hello\n";
                o.env = {"FOO=client", "BAR=client"};
                auto const r = our_client ? h::run_ours("s6-sudo", args, o)
                                          : h::run_stock("s6-sudo", args, o);
                CHECK(r.code == 3);
                CHECK(r.out == std::string("args: 3 two words\nFOO=") +
                                   (extra.empty() ? "client" : "") +
                                   " BAR=server\nin: hello\n");
                CHECK(r.err == "to-stderr\n");
            }
        }
    }
}

TEST_CASE("s6-sudoc: a program killed by a signal gives 128+N; exec failures 111", "[sudo]")
{
    h::need_stock("s6-sudod");
    h::tempdir td;
    server ours(td, "o.sock", h::ours("s6-sudod"), {"/bin/sh", "-c", "kill -$1 $$", "sh"});
    server stock(td, "s.sock", h::stock("s6-sudod"), {"/bin/sh", "-c", "kill -$1 $$", "sh"});
    server ours_bad(td, "ob.sock", h::ours("s6-sudod"), {"/nonexistent/prog"});
    server stock_bad(td, "sb.sock", h::stock("s6-sudod"), {"/nonexistent/prog"});
    for (auto const *srv : {&ours, &stock}) {
        for (bool our_client : {true, false}) {
            auto const r = our_client ? h::run_ours("s6-sudo", {srv->sock, "TERM"})
                                      : h::run_stock("s6-sudo", {srv->sock, "TERM"});
            CHECK(r.code == 128 + SIGTERM);
        }
    }
    auto const o = h::run_ours("s6-sudo", {ours_bad.sock});
    auto const s = h::run_stock("s6-sudo", {stock_bad.sock});
    CHECK(o.code == 111);
    CHECK(o.code == s.code);
    CHECK(o.out == s.out);
    // Two processes write to the client's stderr (s6-sudoc, and s6-sudod's child on the
    // client's fd 2): the order of the two lines is a race in stock.
    auto const lines = [](std::string const &t) {
        std::vector<std::string> v;
        std::size_t i = 0, j;
        while ((j = t.find('\n', i)) != t.npos) {
            v.push_back(t.substr(i, j - i));
            i = j + 1;
        }
        std::sort(v.begin(), v.end());
        return v;
    };
    CHECK(lines(o.err) == lines(h::stock_message(s.err)));
    CHECK(o.err.find("server answered: : No such file or directory") != std::string::npos);
}

TEST_CASE("s6-sudo: usage and connection errors as stock's", "[sudo]")
{
    h::need_stock("s6-sudo");
    h::tempdir td;
    h::write_file(td / "file", "");
    for (h::strings const &args : {h::strings{}, h::strings{"-t", "x", "p"},
                                   h::strings{td / "absent", "true"}, h::strings{td / "file"}}) {
        auto const o = h::run_ours("s6-sudo", args);
        auto const s = h::run_stock("s6-sudo", args);
        CHECK(o.code == s.code);
        CHECK(o.err == h::stock_message(s.err));
    }
    for (h::strings const &args : {h::strings{"-t"}, h::strings{"-x"}}) {
        CHECK(h::run_ours("s6-sudoc", args).code == 100);
        CHECK(h::run_ours("s6-sudod", args).code == 100);
    }
}

TEST_CASE("s6-sudod: clients that break the protocol get stock's answers", "[sudo]")
{
    h::need_stock("s6-sudod");
    h::need_stock("s6-ipcserver");
    std::string const good = sv::sudo_request_pack({}, {});
    char const *env[] = {"NOEQUALS"};
    std::string const bad_env = sv::sudo_request_pack({}, env);
    std::string bad_len = good;
    bad_len[15 + 11] = 5;
    std::string too_many = good;
    too_many[15 + 1] = 9; // argc 0x00090000
    struct attempt {
        std::string data;
        std::size_t nfds;
        std::string msg;
    };
    attempt const attempts[] = {
        {good, 2, "client did not send 3 fds"},
        {"short", 3, "wrong client message"},
        {"s6-sudo x v1.0\n" + good.substr(15), 3, "wrong client banner"},
        {bad_len, 3, "wrong client argc/envlen"},
        {too_many, 3, "too many args/envvars from client"},
        {bad_env, 3, "bad environment from client"},
    };
    h::tempdir td;
    server ours(td, "o.sock", h::ours("s6-sudod"), {"/bin/true"});
    server stock(td, "s.sock", h::stock("s6-sudod"), {"/bin/true"});
    for (auto const *srv : {&ours, &stock}) {
        for (auto const &a : attempts) {
            INFO((srv == &ours ? "ours: " : "stock: ") << a.msg);
            std::size_t const before = srv->p->err().size();
            sv::unique_fd s(sv::ipc_socket(false, true, true));
            REQUIRE(sv::ipc_connect(s.get(), srv->sock.c_str()));
            std::int64_t const deadline = sv::mono_ms() + 5000;
            char banner[15];
            std::size_t got = 0;
            REQUIRE(h::wait_until([&] {
                ssize_t r = ::read(s.get(), banner + got, sizeof banner - got);
                if (r > 0) got += static_cast<std::size_t>(r);
                return got == sizeof banner;
            }));
            CHECK(std::string(banner, 15) == sv::sudo_banner_server);
            int const fds[] = {0, 1, 2};
            REQUIRE(sv::umsg_send(s.get(), a.data, {fds, a.nfds}, deadline));
            // The server answers EINVAL where it can say why, then hangs up.
            std::string rest;
            REQUIRE(h::wait_until([&] {
                char c[8];
                ssize_t r = ::read(s.get(), c, sizeof c);
                if (r > 0) rest.append(c, static_cast<std::size_t>(r));
                return r == 0;
            }));
            CHECK(rest == (a.msg == "bad environment from client" ? std::string(1, EINVAL) : ""));
            REQUIRE(h::wait_until([&] { return srv->p->err().size() > before; }));
            CHECK(srv->p->err().substr(before) == "s6-sudod: fatal: " + a.msg + "\n");
        }
    }
}

TEST_CASE("s6-sudod: a client that hangs up stops the program; -d lets it run", "[sudo]")
{
    h::need_stock("s6-ipcserver");
    h::tempdir td;
    std::string const prog = "echo $$ > " + td / "pid" + "; trap 'echo TERM > " + td / "got" +
                             "; exit 0' TERM; while :; do sleep 1; done";
    server plain(td, "p.sock", h::ours("s6-sudod"), {"/bin/sh", "-c", prog});
    auto const r = h::run_ours("s6-sudo", {"-T", "300", plain.sock});
    CHECK(r.code == 111);
    CHECK(r.err == "s6-sudoc: fatal: unable to get exit status from server: Connection timed out\n");
    CHECK(h::wait_until([&] { return h::read_file(td / "got") == "TERM\n"; }));

    // With -d the program outlives the client.
    ::unlink((td / "pid").c_str());
    ::unlink((td / "got").c_str());
    server detached(td, "d.sock", h::ours("s6-sudod"), {"-d", "/bin/sh", "-c", prog});
    auto const rd = h::run_ours("s6-sudo", {"-T", "300", detached.sock});
    CHECK(rd.code == 111);
    INFO(rd.err << detached.p->err());
    REQUIRE(h::wait_until([&] { return !h::read_file(td / "pid").empty(); }));
    pid_t const pid = std::stoi(h::read_file(td / "pid"));
    CHECK(::kill(pid, 0) == 0);
    CHECK(h::read_file(td / "got").empty());
    ::kill(pid, SIGKILL);
}

TEST_CASE("s6-sudoc: the request is byte for byte what stock s6-sudoc sends", "[sudo]")
{
    h::need_stock("s6-sudoc");
    h::need_stock("s6-ipcclient");
    h::tempdir td;
    fake_sudod srv(td);
    std::string const &sock = srv.sock;
    for (bool our_client : {false, true}) {
        INFO((our_client ? "ours" : "stock"));
        h::strings argv{"/usr/bin/env", "-i", "A=1", "EMPTY=",
                        h::stock("s6-ipcclient"), sock,
                        our_client ? h::ours("s6-sudoc") : h::stock("s6-sudoc"), "x", "", "y z"};
        h::proc client(argv, td.path());
        auto q = srv.take();
        char const *args[] = {"x", "", "y z"};
        char const *env[] = {"A=1", "EMPTY=", "PROTO=IPC", "IPCLOCALPATH="};
        CHECK(q.data == sv::sudo_request_pack(args, env));
        CHECK(q.fds.size() == 3);
        for (int fd : q.fds) ::close(fd);
        // Started, then killed by signal 9: the client exits 137.
        char answer[5] = {0, 0, 0, 0, 9};
        REQUIRE(sv::write_full(q.conn.get(), answer, sizeof answer));
        CHECK(client.wait() == 128 + 9);
    }
}

TEST_CASE("s6-sudo: one process, the same request as stock's three", "[sudo]")
{
    // Stock s6-sudo execs s6-ipcclient, which execs s6-sudoc; ours does their work itself.
    // The server must not see the difference: the same environment (PROTO and IPCLOCALPATH
    // merged as an exec would: moved to the end), -p and -l honoured, and a closed stdin
    // sent as /dev/null rather than the socket.
    h::need_stock("s6-sudo");
    h::tempdir td;
    fake_sudod srv(td);
    std::string const &sock = srv.sock;
    struct stat devnull;
    REQUIRE(::stat("/dev/null", &devnull) == 0);

    struct variant {
        h::strings opts;
        bool close_stdin;
    };
    std::string const bound = td / "client.sock";
    for (variant const &v : {variant{{}, false}, variant{{"-l", "name"}, false},
                             variant{{"-p", bound}, false}, variant{{"-e"}, false},
                             variant{{}, true}}) {
        std::string seen[2];
        for (bool ours : {false, true}) {
            INFO((ours ? "ours " : "stock ") << (v.opts.empty() ? "" : v.opts[0])
                                              << (v.close_stdin ? " stdin closed" : ""));
            ::unlink(bound.c_str());
            h::strings argv{"/usr/bin/env", "-i", "PROTO=old", "A=1", "/bin/sh", "-c",
                            v.close_stdin ? "exec \"$@\" <&-" : "exec \"$@\"", "sh",
                            ours ? h::ours("s6-sudo") : h::stock("s6-sudo")};
            argv.insert(argv.end(), v.opts.begin(), v.opts.end());
            argv.insert(argv.end(), {sock, "x", "y z"});
            h::proc client(argv, td.path());
            auto q = srv.take();
            seen[ours] = q.data;
            REQUIRE(q.fds.size() == 3);
            struct stat st;
            REQUIRE(::fstat(q.fds[0], &st) == 0);
            if (v.close_stdin) CHECK((S_ISCHR(st.st_mode) && st.st_rdev == devnull.st_rdev));
            else CHECK(!S_ISSOCK(st.st_mode));
            for (int fd : q.fds) ::close(fd);
            char answer[5] = {0, 0, 0, 7, 0}; // started, then exited 7
            REQUIRE(sv::write_full(q.conn.get(), answer, sizeof answer));
            CHECK(client.wait() == 7);
        }
        CHECK(seen[1] == seen[0]);
    }
}

TEST_CASE("s6-sudod -0 without /dev/null: stock's fatal message, and the client's answer as "
          "stock's",
          "[sudo][faults][devnull]")
{
    h::need_root("mount a tmpfs over /dev in a private mount namespace");
    h::need_stock("s6-sudod");
    h::need_stock("s6-ipcserver");
    h::tempdir td;
    std::vector<h::result> answers;
    for (auto const &sudod : {h::ours("s6-sudod"), h::stock("s6-sudod")}) {
        INFO(sudod);
        std::string const name = sudod == h::ours("s6-sudod") ? "ours" : "stock";
        server srv(td, name + ".sock", sudod, {"-0", "/bin/echo", "ran"}, h::without_dev_null());
        h::run_opts o;
        o.timeout_ms = 5000;
        answers.push_back(h::run_stock("s6-sudo", {srv.sock}, o));
        CHECK(answers.back().out == "");
        std::string const fatal = "s6-sudod: fatal: unable to open /dev/null for reading: No "
                                  "such file or directory\n";
        CHECK(h::wait_until([&] { return srv.p->err().find(fatal) != std::string::npos; }));
    }
    INFO(answers[0].err);
    CHECK(answers[0].code == 111);
    CHECK(answers[0].code == answers[1].code);
    CHECK(answers[0].err == answers[1].err);
}
