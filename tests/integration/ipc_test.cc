// The UCSPI local IPC programs against stock s6 2.11.3.2: s6-connlimit's checks,
// s6-ipcserver-socketbinder's files, s6-ipcclient and s6-ipcserver in every pairing with the
// stock ones (the served program's environment), s6-ipcserverd's limits, readiness and
// robustness, bad input, and s6-ioconnect's relaying.
#include <catch2/catch.hpp>

#include <csignal>
#include <memory>
#include <regex>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <supervise/fd.hh>
#include <supervise/ipc.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

namespace {

// Runs TOOL (ours or stock) with only the given environment, through env -i.
h::result run_env(bool ours, std::string const &tool, h::strings const &env, h::strings const &args)
{
    h::strings argv{"/usr/bin/env", "-i"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(ours ? h::ours(tool) : h::stock(tool));
    argv.insert(argv.end(), args.begin(), args.end());
    return h::run(argv);
}

h::run_opts in_dir(std::string const &dir)
{
    h::run_opts o;
    o.cwd = dir;
    return o;
}

// A server started in its own directory DIR, listening on DIR/s: the argument "s" in argv
// becomes that absolute path (the kernel's table of listening sockets, which says when the
// server is ready, holds the path as it was bound).  Clients run in DIR and connect to "s",
// so that their messages and environment are the same for ours and stock.
struct server
{
    h::tempdir td;
    std::unique_ptr<h::proc> p;
    server(h::strings argv)
    {
        for (auto &a : argv)
            if (a == "s") a = td / "s";
        p = std::make_unique<h::proc>(argv, td.path(), td.path());
        REQUIRE(h::wait_until([&] { return h::unix_listening(td / "s") || !p->running(); }));
        REQUIRE(p->running());
    }
    std::string sock() const { return td / "s"; }
};

// pid numbers masked in s6-ipcserverd's log lines.
std::string mask_pids(std::string const &s)
{
    return std::regex_replace(s, std::regex("pid [0-9]+"), "pid N");
}

// A connection from this process to path; REQUIREs success.
sv::unique_fd connect_to(std::string const &path)
{
    int fd = sv::ipc_connect_until(path.c_str(), sv::mono_ms() + 5000);
    REQUIRE(fd >= 0);
    return sv::unique_fd{fd};
}

// Everything the peer sends until it closes (bounded by timeout_ms).
std::string read_to_eof(int fd, int timeout_ms = 5000)
{
    std::string out;
    std::int64_t const deadline = sv::mono_ms() + timeout_ms;
    char buf[4096];
    while (h::wait_readable(fd, deadline)) {
        ssize_t r = ::read(fd, buf, sizeof buf);
        if (r <= 0) return out;
        out.append(buf, static_cast<std::size_t>(r));
    }
    out += "<timeout>";
    return out;
}

// The first line the peer sends (bounded by timeout_ms), "" if it closes first, what came
// and "<timeout>" if nothing more comes in time.
std::string read_line(int fd, int timeout_ms = 5000)
{
    std::string out;
    std::int64_t const deadline = sv::mono_ms() + timeout_ms;
    char c;
    while (h::wait_readable(fd, deadline)) {
        if (::read(fd, &c, 1) != 1) return out;
        out += c;
        if (c == '\n') return out;
    }
    return out + "<timeout>";
}

std::string const show_env = "env | grep -E '^(PROTO|IPC|TCP)' | sort; echo ---";

} // namespace

TEST_CASE("s6-connlimit: the same checks, messages and codes as stock", "[ipc]")
{
    h::need_stock("s6-connlimit");
    std::vector<h::strings> const envs{
        {},
        {"PROTO="},
        {"PROTO=IPC"},
        {"PROTO=IPC", "IPCCONNNUM="},
        {"PROTO=IPC", "IPCCONNNUM=x"},
        {"PROTO=IPC", "IPCCONNNUM=+3"},
        {"PROTO=IPC", "IPCCONNNUM=99999999999999999999"},
        {"PROTO=IPC", "IPCCONNNUM=3"},
        {"PROTO=IPC", "IPCCONNNUM=03", "IPCCONNMAX=3"},
        {"PROTO=IPC", "IPCCONNNUM=3", "IPCCONNMAX=3"},
        {"PROTO=IPC", "IPCCONNNUM=4", "IPCCONNMAX=3"},
        {"PROTO=IPC", "IPCCONNNUM=0", "IPCCONNMAX=0"},
        {"PROTO=IPC", "IPCCONNNUM=1", "IPCCONNMAX=0"},
        {"PROTO=IPC", "IPCCONNNUM=4", "IPCCONNMAX="},
        {"PROTO=IPC", "IPCCONNNUM=4", "IPCCONNMAX=y"},
        {"PROTO=TCP", "TCPCONNNUM=2", "TCPCONNMAX=1"},
        {"PROTO=TCP", "IPCCONNNUM=2"},
    };
    std::vector<h::strings> const progs{
        {"/bin/echo", "served"}, {}, {"/nonexistent/prog"}, {"/etc"}};
    for (auto const &env : envs) {
        for (auto const &prog : progs) {
            std::string desc;
            for (auto const &e : env)
                desc += e + " ";
            for (auto const &a : prog)
                desc += a + " ";
            INFO(desc);
            h::check_same(run_env(true, "s6-connlimit", env, prog),
                          run_env(false, "s6-connlimit", env, prog));
        }
    }
    // The quirk itself, pinned: over the cap is refused with 1, at the cap is served.
    auto const at = run_env(true, "s6-connlimit", {"PROTO=IPC", "IPCCONNNUM=3", "IPCCONNMAX=3"},
                            {"/bin/echo", "ok"});
    CHECK(at.code == 0);
    CHECK(at.out == "ok\n");
    auto const over = run_env(true, "s6-connlimit", {"PROTO=IPC", "IPCCONNNUM=4", "IPCCONNMAX=3"},
                              {"/bin/echo", "ok"});
    CHECK(over.code == 1);
    CHECK(over.out.empty());
    CHECK(over.err == "s6-connlimit: fatal: number of connections from this client limited to 3\n");
}

TEST_CASE("s6-ipcserver-socketbinder: the same files, modes, fd 0 and messages as stock", "[ipc]")
{
    h::need_stock("s6-ipcserver-socketbinder");
    // What is at the path beforehand: nothing, a regular file, a socket left behind.
    enum class before { nothing, file, socket };
    struct tcase
    {
        h::strings args;
        before pre;
    };
    h::strings const prog{"/bin/sh", "-c", "test -S /dev/stdin && echo socket-on-0"};
    std::vector<tcase> const cases{
        {{"s"}, before::nothing},
        {{"-a", "0600", "s"}, before::nothing},
        {{"-a", "0640", "-b", "1", "s"}, before::nothing},
        {{"-m", "s"}, before::nothing},
        {{"-M", "s"}, before::nothing},
        {{"-d", "s"}, before::file},
        {{"s"}, before::file},
        {{"-D", "s"}, before::file},
        {{"s"}, before::socket},
        {{"-D", "s"}, before::socket},
        {{"/nonexistent/dir/s"}, before::nothing},
        {{}, before::nothing},
        {{"s"}, before::nothing},
        {{"-b", "x", "s"}, before::nothing},
        {{"-a", "9", "s"}, before::nothing},
        {{"-Z", "s"}, before::nothing},
    };
    for (auto const &c : cases) {
        std::string desc;
        for (auto const &a : c.args)
            desc += a + " ";
        INFO(desc << " before=" << static_cast<int>(c.pre));
        h::tempdir dir_ours, dir_stock;
        for (auto const *d : {&dir_ours, &dir_stock}) {
            if (c.pre == before::file) h::write_file(*d / "s", "x\n");
            if (c.pre == before::socket)
                REQUIRE(
                    h::run_stock("s6-ipcserver-socketbinder", {"s", "/bin/true"}, in_dir(d->path()))
                        .code == 0);
        }
        h::strings args = c.args;
        // The case without a prog: the path alone.
        if (!args.empty() && &c != &cases[12]) args.insert(args.end(), prog.begin(), prog.end());
        auto const o = h::run_ours("s6-ipcserver-socketbinder", args, in_dir(dir_ours.path()));
        auto const st = h::run_stock("s6-ipcserver-socketbinder", args, in_dir(dir_stock.path()));
        h::check_same(o, st);
        for (std::string const f : {"s", "s.lock"}) {
            INFO(f);
            CHECK(h::mode_of(dir_ours / f) == h::mode_of(dir_stock / f));
        }
    }
}

TEST_CASE("s6-ipcclient, s6-ipcserverd, s6-ipcserver: usage and bad paths as stock", "[ipc]")
{
    h::need_stock("s6-ipcclient");
    h::need_stock("s6-ipcserverd");
    h::need_stock("s6-ipcserver");
    h::tempdir td;
    h::write_file(td / "plain", "x\n");
    auto const o = in_dir(td.path());
    h::compare("s6-ipcclient", {}, o);
    h::compare("s6-ipcclient", {"s"}, o);
    h::compare("s6-ipcclient", {"-Z", "s", "true"}, o);
    h::compare("s6-ipcclient", {"nope", "/bin/true"}, o);
    h::compare("s6-ipcclient", {"plain", "/bin/true"}, o);
    h::compare("s6-ipcclient", {"/nonexistent/dir/s", "/bin/true"}, o);
    h::compare("s6-ipcserverd", {}, o);
    h::compare("s6-ipcserverd", {"-c", "x", "/bin/true"}, o);
    h::compare("s6-ipcserverd", {"-Z", "/bin/true"}, o);
    h::compare("s6-ipcserver", {}, o);
    h::compare("s6-ipcserver", {"s"}, o);
    h::compare("s6-ipcserver", {"-Z", "s", "/bin/true"}, o);
    h::compare("s6-ipcserver", {"/nonexistent/dir/s", "/bin/true"}, o);
    // s6-ipcserverd with no listening socket on fd 0 (/dev/null).
    auto const ours = h::run_ours("s6-ipcserverd", {"/bin/true"}, o);
    auto const stock = h::run_stock("s6-ipcserverd", {"/bin/true"}, o);
    CHECK(ours.code == stock.code);
    CHECK(ours.code != 0);
}

TEST_CASE("s6-ipcclient and s6-ipcserver: every pairing shows the same environment", "[ipc]")
{
    h::need_stock("s6-ipcclient");
    h::need_stock("s6-ipcserver");
    h::strings const served{"/bin/sh", "-c", show_env};
    h::strings sv_ours{h::ours("s6-ipcserver"), "s"}, sv_stock{h::stock("s6-ipcserver"), "s"};
    sv_ours.insert(sv_ours.end(), served.begin(), served.end());
    sv_stock.insert(sv_stock.end(), served.begin(), served.end());
    server ours(sv_ours), stock(sv_stock);
    // Our front-end became our s6-ipcserverd, not stock's: the shared executable, started
    // through our s6-ipcserverd link.
    std::string const proc = "/proc/" + std::to_string(ours.p->pid());
    char exe[4096], want[4096];
    ssize_t n = ::readlink((proc + "/exe").c_str(), exe, sizeof exe - 1);
    REQUIRE(n > 0);
    REQUIRE(::realpath(h::ours("s6-ipcserverd").c_str(), want));
    CHECK(std::string(exe, static_cast<std::size_t>(n)) == want);
    CHECK(h::read_file(proc + "/comm") == "s6-ipcserverd\n");

    for (h::strings const &copts : {h::strings{}, h::strings{"-l", "here"}}) {
        std::string expected;
        for (auto const *srv : {&ours, &stock}) {
            for (bool our_client : {true, false}) {
                INFO((srv == &ours ? "our server" : "stock server")
                     << (our_client ? ", our client " : ", stock client ")
                     << (copts.empty() ? "" : "-l"));
                h::strings args = copts;
                args.insert(args.end(), {"s", "/bin/sh", "-c", "cat <&6; " + show_env});
                auto const r = our_client
                                   ? h::run_ours("s6-ipcclient", args, in_dir(srv->td.path()))
                                   : h::run_stock("s6-ipcclient", args, in_dir(srv->td.path()));
                CHECK(r.code == 0);
                CHECK(r.err.empty());
                CHECK(r.out.find("PROTO=IPC\n") != std::string::npos);
                if (expected.empty()) expected = r.out;
                CHECK(r.out == expected);
            }
        }
    }
}

namespace {

// Runs s6-ipcserverd (ours or stock, under the matching socketbinder) with -1 -v 2 and the
// given limits, serving a program that says "hi" and holds the connection until the client
// closes it; opens `conns` connections from this process and returns, for each, the first
// line it got ("" when closed at once), then the readiness output and the log.
struct limits_run
{
    std::vector<std::string> lines;
    std::string ready, log;
};

limits_run run_limits(bool ours, h::strings const &limits, int conns)
{
    auto const bin = [&](std::string const &t) { return ours ? h::ours(t) : h::stock(t); };
    h::strings argv{bin("s6-ipcserver-socketbinder"), "s", bin("s6-ipcserverd"), "-1", "-v", "2"};
    argv.insert(argv.end(), limits.begin(), limits.end());
    argv.insert(argv.end(), {"/bin/sh", "-c", "echo hi; exec cat >/dev/null"});
    server srv(argv);
    REQUIRE(h::wait_until([&] { return srv.p->out() == "\n"; }));
    limits_run out;
    std::vector<sv::unique_fd> held;
    for (int i = 0; i < conns; i++) {
        held.push_back(connect_to(srv.sock()));
        // Over -c the connection waits in the backlog: give it a moment to show it does.
        out.lines.push_back(read_line(held.back().get(), i + 1 == conns ? 300 : 5000));
    }
    if (out.lines.back() == "<timeout>") { // served once a slot is free
        held.front().reset();
        out.lines.push_back(read_line(held.back().get()));
    }
    held.clear();
    // Settled: every served program ended and was logged, and the last line is a status.
    auto const settled = [&] {
        std::string const e = srv.p->err();
        auto count = [&](std::string const &w) {
            std::size_t n = 0;
            for (auto i = e.find(w); i != e.npos; i = e.find(w, i + 1))
                n++;
            return n;
        };
        auto const last = e.rfind("info: ");
        return count("info: allow") == count("info: end pid") && last != e.npos &&
               e.compare(last, 15, "info: status: 0") == 0 && e.back() == '\n';
    };
    REQUIRE(h::wait_until(settled));
    srv.p->signal(SIGTERM);
    CHECK(srv.p->wait() == 0);
    out.ready = srv.p->out();
    out.log = mask_pids(srv.p->err());
    return out;
}

} // namespace

TEST_CASE("s6-ipcserverd: -C closes the extra connections at once, -c leaves them waiting, "
          "as stock",
          "[ipc]")
{
    h::need_stock("s6-ipcserverd");
    h::need_stock("s6-ipcserver-socketbinder");
    struct tcase
    {
        h::strings limits;
        int conns;
        std::vector<std::string> expect;
    };
    std::vector<tcase> const cases{
        {{"-c", "2", "-C", "1"}, 2, {"hi\n", ""}},
        {{"-c", "2", "-C", "5"}, 3, {"hi\n", "hi\n", "<timeout>", "hi\n"}},
        {{"-c", "3"}, 3, {"hi\n", "hi\n", "hi\n"}},
    };
    for (auto const &c : cases) {
        INFO(c.limits[1] << " conns " << c.conns);
        auto const o = run_limits(true, c.limits, c.conns);
        auto const s = run_limits(false, c.limits, c.conns);
        CHECK(o.lines == c.expect);
        CHECK(s.lines == c.expect);
        CHECK(o.ready == "\n");
        CHECK(o.ready == s.ready);
        CHECK(o.log == s.log);
    }
}

TEST_CASE("s6-ipcserver: 10 000 connections, some dropped at once, leave no fd and no zombie",
          "[ipc][scale]")
{
    server srv({h::ours("s6-ipcserver"), "-c", "1000", "-C", "1000", "s", "/bin/echo", "hi"});
    pid_t const pid = srv.p->pid();
    // One served connection first, so that everything the server opens once is open.
    {
        auto fd = connect_to(srv.sock());
        CHECK(read_to_eof(fd.get()) == "hi\n");
    }
    REQUIRE(h::wait_until([&] { return h::count_children_of(pid) == 0; }));
    int const fds_before = h::count_fds(pid);
    REQUIRE(fds_before > 0);
    // Every hundredth client waits for its answer behind up to a thousand children being
    // forked and reaped; on a loaded machine that takes seconds, so its bound is generous.
    // (How fast the server gets through them is bench/ipc_bench.py's business.)
    for (int i = 0; i < 10000; i++) {
        auto fd = connect_to(srv.sock());
        // Most clients leave at once; every hundredth waits for its answer.
        if (i % 100 == 0) CHECK(read_to_eof(fd.get(), 30000) == "hi\n");
    }
    // Still serving, and back to where it was.
    auto fd = connect_to(srv.sock());
    CHECK(read_to_eof(fd.get(), 30000) == "hi\n");
    fd.reset();
    // The last child closed its socket on its way out, a moment before it is a zombie: wait
    // until the server has no child at all, every one of them reaped.
    CHECK(h::wait_until(
        [&] { return h::count_children_of(pid) == 0 && h::count_fds(pid) == fds_before; },
        60000));
    CHECK(h::count_fds(pid) == fds_before);
    CHECK(h::count_children_of(pid) == 0);
    CHECK(srv.p->running());
}

TEST_CASE("s6-ioconnect: usage, closed fds, files and pipes as stock", "[ipc]")
{
    h::need_stock("s6-ioconnect");
    h::compare("s6-ioconnect", {"-t", "x"});
    h::compare("s6-ioconnect", {"-r", "2"});
    h::compare("s6-ioconnect", {"-w", "1"});
    h::compare("s6-ioconnect", {"-Z"});
    h::compare("s6-ioconnect", {}); // fds 6 and 7 are not open
    std::string big;
    for (int i = 0; i < 20000; i++)
        big += "line " + std::to_string(i) + "\n";
    for (bool ours : {true, false}) {
        INFO((ours ? "ours" : "stock"));
        std::string const bin = ours ? h::ours("s6-ioconnect") : h::stock("s6-ioconnect");
        h::tempdir td;
        h::write_file(td / "from-peer", big + "end of peer\n");
        h::run_opts o;
        o.input = big;
        o.cwd = td.path();
        // Both directions at once, more than a buffer's worth each way, and -0 -1 -6 -7.
        auto const r = h::run({"/bin/sh", "-c", bin + " -0 -1 -6 -7 6<from-peer 7>to-peer"}, o);
        CHECK(r.code == 0);
        CHECK(r.err.empty());
        CHECK(r.out == big + "end of peer\n");
        CHECK(h::read_file(td / "to-peer") == big);
        // -t: nothing comes on a FIFO that stays open, nothing is pending: exit 1.
        auto const t =
            h::run({"/bin/sh", "-c",
                    "mkfifo f && " + bin + " -t 200 0<>f 6</dev/null 7>/dev/null; echo rc=$?"},
                   in_dir(td.path()));
        CHECK(t.out == "rc=1\n");
    }
}

TEST_CASE("s6-ioconnect under s6-ipcclient: the write half is shut down, the read half goes on",
          "[ipc]")
{
    h::need_stock("s6-ioconnect");
    h::need_stock("s6-ipcserver");
    for (bool our_server : {true, false}) {
        // An echo server: it answers only once it has seen the end of the client's input.
        server srv({our_server ? h::ours("s6-ipcserver") : h::stock("s6-ipcserver"), "s", "/bin/sh",
                    "-c", "x=$(cat); echo \"got: $x\""});
        for (bool ours : {true, false}) {
            INFO((our_server ? "our server, " : "stock server, ") << (ours ? "ours" : "stock"));
            h::run_opts o;
            o.input = "hello\n";
            o.cwd = srv.td.path();
            auto const r = h::run({ours ? h::ours("s6-ipcclient") : h::stock("s6-ipcclient"), "s",
                                   ours ? h::ours("s6-ioconnect") : h::stock("s6-ioconnect")},
                                  o);
            CHECK(r.code == 0);
            CHECK(r.err.empty());
            CHECK(r.out == "got: hello\n");
        }
    }
}

TEST_CASE("s6-ipcserver -P and -p: the served environment is stock's", "[ipc]")
{
    h::need_stock("s6-ipcserver");
    for (std::string const flag : {"-P", "-p"}) {
        INFO(flag);
        std::string outs[2];
        for (bool ours : {true, false}) {
            server srv({ours ? h::ours("s6-ipcserver") : h::stock("s6-ipcserver"), flag, "s",
                        "/bin/sh", "-c", show_env});
            auto const r = h::run_stock("s6-ipcclient", {"s", "/bin/sh", "-c", "cat <&6"},
                                        in_dir(srv.td.path()));
            CHECK(r.code == 0);
            outs[ours ? 0 : 1] = r.out;
        }
        CHECK(outs[0] == outs[1]);
        CHECK(outs[0].find("PROTO=IPC\n") != std::string::npos);
    }
}

TEST_CASE("s6-ipcserverd: TERM, HUP, QUIT and ABRT act as on stock's", "[ipc]")
{
    h::need_stock("s6-ipcserverd");
    for (int sig : {SIGTERM, SIGHUP, SIGQUIT, SIGABRT}) {
        INFO("signal " << sig);
        std::string logs[2];
        int codes[2];
        for (bool ours : {true, false}) {
            auto const bin = [&](std::string const &t) { return ours ? h::ours(t) : h::stock(t); };
            server srv({bin("s6-ipcserver-socketbinder"), "s", bin("s6-ipcserverd"), "-v", "2",
                        "/bin/sh", "-c", "echo hi; exec cat >/dev/null"});
            auto held = connect_to(srv.sock());
            CHECK(read_line(held.get()) == "hi\n");
            srv.p->signal(sig);
            held.reset();
            // HUP only ends the connections: the server stays (-1: still running).
            codes[ours ? 0 : 1] = srv.p->wait(sig == SIGHUP ? 500 : 10000);
            if (sig == SIGHUP) CHECK(codes[ours ? 0 : 1] == -1);
            std::string log = mask_pids(srv.p->err());
            // Whether the child's end is logged before the exit depends on timing: keep the
            // server's own lines.
            std::string kept;
            std::size_t i = 0, j;
            while ((j = log.find('\n', i)) != log.npos) {
                std::string const line = log.substr(i, j + 1 - i);
                i = j + 1;
                if (line.find("info: end pid") == line.npos && line.find("status:") == line.npos)
                    kept += line;
            }
            logs[ours ? 0 : 1] = kept;
        }
        CHECK(codes[0] == codes[1]);
        CHECK(logs[0] == logs[1]);
    }
}

TEST_CASE("s6-ipcserverd: the served environment is in stock's order", "[ipc]")
{
    // skalibs merges a connection's variables by moving the environment's last entry into
    // the slot of one it replaces: with PROTO and IPCREMOTEPATH already set, the order shows.
    h::need_stock("s6-ipcserver");
    for (std::string const flag : {"-P", "-p"}) {
        INFO(flag);
        std::string outs[2];
        for (bool ours : {true, false}) {
            server srv({"/usr/bin/env", "-i", "A=1", "PROTO=old", "B=2", "IPCREMOTEPATH=x",
                        "IPCREMOTEEUID=9", "C=3",
                        ours ? h::ours("s6-ipcserver") : h::stock("s6-ipcserver"), flag, "s",
                        "/usr/bin/env"});
            auto const r = h::run_stock("s6-ipcclient", {"s", "/bin/sh", "-c", "cat <&6"},
                                        in_dir(srv.td.path()));
            CHECK(r.code == 0);
            outs[ours ? 0 : 1] = r.out;
        }
        CHECK(outs[0] == outs[1]);
        CHECK(outs[0].starts_with("A=1\n"));
    }
}

TEST_CASE("s6-ipcserver -a, -u, -g, -G, -U: the socket's mode and the served ids are stock's",
          "[ipc]")
{
    h::need_stock("s6-ipcserver");
    h::need_root("dropping to other ids");
    std::string const show = "id -u; id -g; id -G; env | grep -E '^(UID|GID|GIDLIST)=' | sort";
    struct variant {
        h::strings opts, env;
    };
    for (variant const &v : {variant{{"-a", "0640"}, {}}, variant{{"-a", "0600", "-b", "3"}, {}},
                             variant{{"-u", "65534", "-g", "65534"}, {}},
                             variant{{"-G", "5,6", "-u", "1", "-g", "2"}, {}},
                             variant{{"-U"}, {"UID=65534", "GID=100", "GIDLIST=7,8"}}}) {
        std::string outs[2];
        for (bool ours : {true, false}) {
            INFO((ours ? "ours " : "stock ") << v.opts[0]);
            h::strings argv{"/usr/bin/env", "PATH=/usr/bin:/bin"};
            argv.insert(argv.end(), v.env.begin(), v.env.end());
            argv.push_back(ours ? h::ours("s6-ipcserver") : h::stock("s6-ipcserver"));
            argv.insert(argv.end(), v.opts.begin(), v.opts.end());
            argv.insert(argv.end(), {"s", "/bin/sh", "-c", show});
            server srv(argv);
            struct stat st;
            REQUIRE(::stat(srv.sock().c_str(), &st) == 0);
            auto const r = h::run_stock("s6-ipcclient", {"s", "/bin/sh", "-c", "cat <&6"},
                                        in_dir(srv.td.path()));
            CHECK(r.code == 0);
            outs[ours ? 0 : 1] = std::to_string(st.st_mode & 07777) + "\n" + r.out;
        }
        INFO(v.opts[0]);
        CHECK(outs[0] == outs[1]);
        CHECK(outs[0].find('\n') + 1 < outs[0].size()); // the served program answered
    }
}

TEST_CASE("s6-ipcclient -q, -v, -p, -l: the same messages, paths and codes as stock",
          "[ipc]")
{
    h::need_stock("s6-ipcclient");
    h::need_stock("s6-ipcserver");
    server srv({h::stock("s6-ipcserver"), "s", "/bin/sh", "-c", "echo \"R=$IPCREMOTEPATH\""});
    std::string const bound = srv.td / "b";
    for (h::strings const &opts :
         {h::strings{"-v"}, h::strings{"-q"}, h::strings{"-v", "-v"}, h::strings{"-p", "b"},
          h::strings{"-l", "nm", "-v"}, h::strings{"-p", "b", "-l", "x"},
          h::strings{"-p", std::string(120, 'p')}, h::strings{"-v", "nosuchsock"}}) {
        h::result rs[2];
        for (bool ours : {true, false}) {
            ::unlink(bound.c_str());
            h::strings args = opts;
            if (opts.back() != "nosuchsock") args.push_back("s");
            args.insert(args.end(), {"/bin/sh", "-c", "cat <&6; echo \"L=$IPCLOCALPATH\""});
            rs[ours] = ours ? h::run_ours("s6-ipcclient", args, in_dir(srv.td.path()))
                            : h::run_stock("s6-ipcclient", args, in_dir(srv.td.path()));
        }
        INFO(opts[0] << " " << opts.back());
        h::check_same(rs[1], rs[0]);
    }
}
