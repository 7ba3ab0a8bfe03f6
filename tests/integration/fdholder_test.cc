// The fd-holder against stock s6 2.11.3.2: our s6-fdholderd and s6-fdholder-* clients with
// stock's in every pairing (store a pipe, get the same pipe back, list, delete, expiry),
// dumps moved between a stock and our daemon, access rules that deny each operation, the
// daemon's options, limits, readiness and exit codes, and bad clients (malformed frames,
// truncated messages, wrong fd counts, disconnects mid-request, 10 000 connections).
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <climits>
#include <cstdlib>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fdholder.hh>
#include <supervise/ipc.hh>
#include <supervise/tai64n.hh>
#include <supervise/unixmessage.hh>

#include "harness.hh"

namespace {

std::string prog(bool ours, std::string const &name)
{
    return ours ? h::ours(name) : h::stock(name);
}

// The rights a rules directory gives root.
struct rights {
    std::string store = ".*", retrieve = ".*";
    bool list = true, getdump = true, setdump = true;
};

void make_rules(std::string const &dir, rights const &r)
{
    h::mkdirs(dir + "/uid/0/env");
    h::write_file(dir + "/uid/0/allow", "");
    auto var = [&](std::string const &name, std::string const &value) {
        if (!value.empty()) h::write_file(dir + "/uid/0/env/S6_FDHOLDER_" + name, value + "\n");
    };
    var("STORE_REGEX", r.store);
    var("RETRIEVE_REGEX", r.retrieve);
    var("LIST", r.list ? "1" : "");
    var("GETDUMP", r.getdump ? "1" : "");
    var("SETDUMP", r.setdump ? "1" : "");
}

// A fd-holder daemon (ours or stock's, started by its s6-fdholder-daemon) on DIR/NAME, with
// extra options before the socket.
struct holder {
    std::string sock;
    std::unique_ptr<h::proc> p;
    holder(bool ours, h::tempdir const &d, std::string const &name, rights const &r = {},
           h::strings extra = {})
        : sock(d / name)
    {
        std::string const rules = d / ("rules-" + name), log = d / ("log-" + name);
        h::mkdirs(log);
        make_rules(rules, r);
        h::strings argv{prog(ours, "s6-fdholder-daemon"), "-i", rules};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.push_back(sock);
        p = std::make_unique<h::proc>(argv, log);
        REQUIRE(h::wait_until([&] { return h::unix_listening(sock) || !p->running(); }, 5000));
        REQUIRE(p->running());
    }
};

// Runs s6-fdholder-store with fd 3 the test's fd w (through /proc, as a shell redirection).
h::result store_fd(bool ours, std::string const &sock, std::string const &id, int w,
                   std::string const &extra = "")
{
    std::string const cmd = "exec " + prog(ours, "s6-fdholder-store") + " " + extra + " -d 3 " +
                            sock + " '" + id + "' 3>/proc/" + std::to_string(getpid()) +
                            "/fd/" + std::to_string(w);
    return h::run({"/bin/sh", "-c", cmd});
}

h::result client(bool ours, std::string const &tool, h::strings args, h::run_opts const &o = {})
{
    args.insert(args.begin(), prog(ours, tool));
    return h::run(args, o);
}

std::string list(std::string const &sock) { return client(true, "s6-fdholder-list", {sock}).out; }

// What one read of a non-blocking pipe end gives within timeout_ms.
std::string read_pipe(int fd, int timeout_ms = 5000)
{
    if (!h::wait_readable(fd, sv::mono_ms() + timeout_ms)) return "(nothing)";
    char buf[256];
    ssize_t const n = read(fd, buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "(eof)";
}

// The S6_FD* lines of the environment s6-fdholder-getdump gives its program, sorted (a
// shell would drop S6_FD#, whose name is no shell variable's).
h::result dump_vars(bool ours, std::string const &sock)
{
    h::result r = client(ours, "s6-fdholder-getdump", {sock, "/usr/bin/env"});
    std::vector<std::string> lines;
    for (std::size_t i = 0, e; i < r.out.size(); i = e + 1) {
        e = r.out.find('\n', i);
        if (e == std::string::npos) e = r.out.size();
        if (r.out.compare(i, 5, "S6_FD") == 0) lines.push_back(r.out.substr(i, e - i + 1));
    }
    std::sort(lines.begin(), lines.end());
    r.out.clear();
    for (auto const &l : lines) r.out += l;
    return r;
}

// A raw connection to a daemon, for the bad-client tests.
sv::unique_fd raw_connect(std::string const &sock)
{
    sv::unique_fd s{sv::ipc_connect_until(sock.c_str(), sv::mono_ms() + 5000)};
    REQUIRE(s);
    return s;
}

// True when the daemon closes the connection (EOF or reset) within 5 s.
bool closed_by_peer(int s)
{
    if (!h::wait_readable(s, sv::mono_ms() + 5000)) return false;
    char c;
    return recv(s, &c, 1, MSG_DONTWAIT) <= 0;
}

bool send_bytes(int s, std::string const &b, std::vector<int> const &fds = {});
std::string frame(std::string const &data, unsigned nfds);

// A connection the daemon has taken in: it has answered a list on it.  Left open.
sv::unique_fd served_client(std::string const &sock)
{
    sv::unique_fd s = raw_connect(sock);
    REQUIRE(send_bytes(s.get(), frame("L", 0)));
    char buf[4096];
    int fds[4];
    sv::umsg_receiver rx({buf, sizeof buf}, {fds, 4}, s.get());
    sv::umsg m;
    REQUIRE(sv::umsg_receive_until(rx, m, sv::mono_ms() + 5000));
    CHECK((!m.data.empty() && m.data[0] == 0));
    return s;
}

bool send_bytes(int s, std::string const &b, std::vector<int> const &fds)
{
    msghdr mh{};
    iovec iov{const_cast<char *>(b.data()), b.size()};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(cmsghdr) char ctl[CMSG_SPACE(8 * sizeof(int))];
    if (!fds.empty()) {
        mh.msg_control = ctl;
        mh.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
        cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
        std::memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
    }
    return sendmsg(s, &mh, MSG_NOSIGNAL) == static_cast<ssize_t>(b.size());
}

// A framed message: 4-byte length, 2-byte fd count (as announced), data.
std::string frame(std::string const &data, unsigned nfds)
{
    char head[sv::umsg_header_size];
    sv::umsg_header(head, static_cast<std::uint32_t>(data.size()),
                    static_cast<std::uint16_t>(nfds));
    return std::string(head, sizeof head) + data;
}

std::string store_request(std::string const &id, sv::tain limit = {})
{
    if (limit == sv::tain{}) limit = sv::fdh::limit_infinite(sv::tain_now());
    char buf[sv::fdh::request_max];
    return {buf, sv::fdh::pack_store(buf, limit, id)};
}

} // namespace

TEST_CASE("fdholder: store, retrieve, list, delete and expiry in every pairing", "[fdholder]")
{
    h::need_stock("s6-fdholderd");
    for (bool ours_daemon : {true, false}) {
        for (bool ours_client : {true, false}) {
            INFO("our daemon " << ours_daemon << ", our clients " << ours_client);
            h::tempdir d;
            holder dm(ours_daemon, d, "s");
            h::pipe_pair p(O_CLOEXEC | O_NONBLOCK);
            REQUIRE(store_fd(ours_client, dm.sock, "pipe:one", p.w.get()).code == 0);
            auto again = store_fd(ours_client, dm.sock, "pipe:one", p.w.get());
            CHECK(again.code == 1);
            CHECK(again.err ==
                  "s6-fdholder-store: fatal: unable to store fd: Device or resource busy\n");
            auto l = client(ours_client, "s6-fdholder-list", {dm.sock});
            CHECK(l.code == 0);
            CHECK(l.out == "pipe:one\n");
            // The same pipe: what the retrieved fd (stdin of the program) writes comes out
            // of the test's read end.
            auto r = client(ours_client, "s6-fdholder-retrieve",
                            {dm.sock, "pipe:one", "/bin/sh", "-c", "echo same-pipe >&0"});
            CHECK(r.code == 0);
            CHECK(read_pipe(p.r.get()) == "same-pipe\n");
            r = client(ours_client, "s6-fdholder-retrieve", {dm.sock, "nope", "true"});
            CHECK(r.code == 1);
            CHECK(r.err == "s6-fdholder-retrieve: fatal: unable to retrieve fd for id nope: No "
                           "such file or directory\n");
            CHECK(client(ours_client, "s6-fdholder-delete", {dm.sock, "pipe:one"}).code == 0);
            auto del = client(ours_client, "s6-fdholder-delete", {dm.sock, "pipe:one"});
            CHECK(del.code == 1);
            CHECK(del.err == "s6-fdholder-delete: fatal: unable to delete fd for id " + dm.sock +
                                 ": No such file or directory\n");
            CHECK(list(dm.sock).empty());
            // retrieve -D hands the fd over and forgets it.
            REQUIRE(store_fd(ours_client, dm.sock, "once", p.w.get()).code == 0);
            r = client(ours_client, "s6-fdholder-retrieve",
                       {"-D", dm.sock, "once", "/bin/sh", "-c", "echo taken >&0"});
            CHECK(r.code == 0);
            CHECK(read_pipe(p.r.get()) == "taken\n");
            CHECK(list(dm.sock).empty());
            // An fd with a limit goes away by itself, and the daemon closes its copy: once
            // every holder is gone, the read end sees EOF.
            {
                h::pipe_pair q(O_CLOEXEC | O_NONBLOCK);
                REQUIRE(store_fd(ours_client, dm.sock, "short", q.w.get(), "-T 3000").code == 0);
                q.w.reset();
                CHECK(list(dm.sock) == "short\n");
                CHECK(read_pipe(q.r.get(), 10000) == "(eof)");
                CHECK(list(dm.sock).empty());
            }
        }
    }
}

TEST_CASE("fdholder: list keeps stock's order, and quotes ids as stock does", "[fdholder]")
{
    h::need_stock("s6-fdholderd");
    std::string outs[2][2];
    for (bool ours_daemon : {true, false}) {
        h::tempdir d;
        holder dm(ours_daemon, d, "s");
        h::pipe_pair p;
        for (auto id : {"a", "b\\x", "c\x01\tz", "d", "e", "f"})
            REQUIRE(store_fd(true, dm.sock, id, p.w.get()).code == 0);
        for (auto id : {"b\\x", "e", "a"})
            REQUIRE(client(true, "s6-fdholder-delete", {dm.sock, id}).code == 0);
        for (auto id : {"n1", "n2"}) REQUIRE(store_fd(true, dm.sock, id, p.w.get()).code == 0);
        for (bool ours_client : {true, false}) {
            auto l = client(ours_client, "s6-fdholder-list", {dm.sock});
            CHECK(l.code == 0);
            outs[ours_daemon][ours_client] = l.out;
        }
    }
    CHECK(outs[0][0] == "n1\nc\\0x01\\tz\nd\nn2\nf\n");
    CHECK(outs[0][1] == outs[0][0]);
    CHECK(outs[1][0] == outs[0][0]);
    CHECK(outs[1][1] == outs[0][0]);
}

TEST_CASE("fdholder: dumps move between a stock and our daemon, limits carried", "[fdholder]")
{
    h::need_stock("s6-fdholderd");
    for (bool ours_client : {true, false}) {
        INFO("our clients " << ours_client);
        h::tempdir d;
        holder from(false, d, "from"), to(true, d, "to"), back(false, d, "back"),
            mine(true, d, "mine");
        h::pipe_pair p(O_CLOEXEC | O_NONBLOCK);
        REQUIRE(store_fd(true, from.sock, "a", p.w.get()).code == 0);
        REQUIRE(store_fd(true, from.sock, "bb", p.w.get(), "-T 100000").code == 0);
        auto g1 = dump_vars(false, from.sock), g2 = dump_vars(true, from.sock);
        CHECK(g1.code == 0);
        h::check_same(g2, g1);
        CHECK(g1.out.find("S6_FD#=2\n") != std::string::npos);
        CHECK(g1.out.find("S6_FDLIMIT_0") == std::string::npos); // a has no limit
        CHECK(g1.out.find("S6_FDLIMIT_1=@") != std::string::npos);
        // stock -> ours by transferdump, ours -> stock by getdump | setdump, ours -> ours.
        REQUIRE(client(ours_client, "s6-fdholder-transferdump", {from.sock, to.sock}).code == 0);
        CHECK(list(to.sock) == "a\nbb\n");
        REQUIRE(client(ours_client, "s6-fdholder-getdump",
                       {to.sock, prog(ours_client, "s6-fdholder-setdump"), back.sock})
                    .code == 0);
        REQUIRE(client(ours_client, "s6-fdholder-transferdump",
                       {"-t", "5000:5000", back.sock, mine.sock})
                    .code == 0);
        // The ids, fds' order and limits went through all four daemons unchanged (the fd
        // numbers are the getdump process's own, the same in each run).
        for (auto const *dm : {&to, &back, &mine}) CHECK(dump_vars(false, dm->sock).out == g1.out);
        auto r = client(ours_client, "s6-fdholder-retrieve",
                        {mine.sock, "bb", "/bin/sh", "-c", "echo dumped >&0"});
        CHECK(r.code == 0);
        CHECK(read_pipe(p.r.get()) == "dumped\n");
        // A setdump replaces an id already held, in stock's order of slots.
        h::pipe_pair q(O_CLOEXEC | O_NONBLOCK);
        REQUIRE(store_fd(true, to.sock, "c", q.w.get()).code == 0);
        REQUIRE(client(ours_client, "s6-fdholder-transferdump", {to.sock, mine.sock}).code == 0);
        REQUIRE(client(ours_client, "s6-fdholder-transferdump", {to.sock, back.sock}).code == 0);
        CHECK(list(mine.sock) == list(back.sock));
        CHECK(dump_vars(true, mine.sock).out == dump_vars(true, back.sock).out);
        r = client(true, "s6-fdholder-retrieve", {mine.sock, "c", "/bin/sh", "-c", "echo c >&0"});
        CHECK(read_pipe(q.r.get()) == "c\n");
    }
}

TEST_CASE("fdholder: equal limits are made distinct as stock makes them", "[fdholder]")
{
    h::need_stock("s6-fdholderd");
    std::string dumps[2];
    for (bool ours : {true, false}) {
        h::tempdir d;
        holder dm(ours, d, "s");
        h::pipe_pair p;
        sv::tain const limit{sv::tai64_base + (std::uint64_t{1} << 33), 999999999};
        for (auto id : {"a", "b", "c"}) {
            sv::unique_fd s = served_client(dm.sock);
            REQUIRE(send_bytes(s.get(), frame(store_request(id, limit), 1), {p.w.get()}));
            REQUIRE(h::wait_readable(s.get(), sv::mono_ms() + 5000));
        }
        dumps[ours] = dump_vars(true, dm.sock).out;
    }
    CHECK(dumps[1].find("S6_FDLIMIT_2=@400000020000000100000001\n") != std::string::npos);
    CHECK(dumps[1] == dumps[0]);
}

TEST_CASE("fdholder: rules that deny each operation, as stock denies", "[fdholder]")
{
    h::need_stock("s6-fdholderd");
    // Store and delete only ids starting with w, retrieve only ids starting with r, no list,
    // getdump or setdump.
    rights const narrow{"^w", "^r", false, false, false};
    for (bool ours_daemon : {true, false}) {
        INFO("our daemon " << ours_daemon);
        h::tempdir d;
        holder dm(ours_daemon, d, "s", narrow);
        h::pipe_pair p;
        for (bool ours_client : {true, false}) {
            auto s = store_fd(ours_client, dm.sock, "x", p.w.get());
            CHECK(s.code == 1);
            CHECK(s.err ==
                  "s6-fdholder-store: fatal: unable to store fd: Operation not permitted\n");
        }
        REQUIRE(store_fd(true, dm.sock, "w1", p.w.get()).code == 0);
        h::run_opts env;
        env.env = {"S6_FD#=1", "S6_FD_0=0", "S6_FDID_0=w2"};
        for (auto const &[tool, args] : std::vector<std::pair<std::string, h::strings>>{
                 {"s6-fdholder-retrieve", {dm.sock, "w1", "true"}},      // retrieve regex
                 {"s6-fdholder-retrieve", {"-D", dm.sock, "r1", "true"}}, // -D needs store too
                 {"s6-fdholder-delete", {dm.sock, "x"}},
                 {"s6-fdholder-list", {dm.sock}},
                 {"s6-fdholder-getdump", {dm.sock, "true"}},
                 {"s6-fdholder-setdump", {dm.sock}},
                 {"s6-fdholder-transferdump", {dm.sock, dm.sock}}}) {
            INFO(tool);
            auto o = client(true, tool, args, env), st = client(false, tool, args, env);
            CHECK(o.code == 1);
            CHECK(o.err.find("Operation not permitted") != std::string::npos);
            h::check_same(o, st);
        }
        CHECK(client(true, "s6-fdholder-delete", {dm.sock, "w1"}).code == 0);
    }
    // No rule for root at all: the daemon closes the connection at once.
    for (bool ours_daemon : {true, false}) {
        h::tempdir d;
        holder dm(ours_daemon, d, "s");
        ::unlink((d / "rules-s/uid/0/allow").c_str());
        h::write_file(d / "rules-s/uid/0/deny", "");
        // Whether the client's request still went out before the close (then the answer's
        // read fails: ECONNRESET) or not (EPIPE) is a race, in stock as in ours.
        for (bool ours_client : {true, false}) {
            INFO("our daemon " << ours_daemon << ", our client " << ours_client);
            auto o = client(ours_client, "s6-fdholder-list", {dm.sock});
            CHECK(o.code == 1);
            CHECK((o.err == "s6-fdholder-list: fatal: unable to get fd list: Broken pipe\n" ||
                   o.err == "s6-fdholder-list: fatal: unable to get fd list: Connection reset "
                            "by peer\n"));
        }
    }
}

TEST_CASE("fdholder: bad ids and dump variables, as stock's clients take them", "[fdholder]")
{
    h::need_stock("s6-fdholderd");
    std::string const id255(255, 'i'), id256(256, 'i');
    for (bool ours_daemon : {true, false}) {
        INFO("our daemon " << ours_daemon);
        h::tempdir d;
        holder dm(ours_daemon, d, "s");
        // An empty id goes out and the daemon hangs up; one over 255 bytes never leaves.
        for (auto const &[tool, args] : std::vector<std::pair<std::string, h::strings>>{
                 {"s6-fdholder-store", {dm.sock, ""}},
                 {"s6-fdholder-delete", {dm.sock, ""}},
                 {"s6-fdholder-retrieve", {dm.sock, "", "true"}},
                 {"s6-fdholder-store", {dm.sock, id256}},
                 {"s6-fdholder-delete", {dm.sock, id256}},
                 {"s6-fdholder-retrieve", {dm.sock, id256, "true"}}}) {
            INFO(tool << " with an id of " << args[1].size() << " bytes");
            auto o = client(true, tool, args), st = client(false, tool, args);
            CHECK(o.code == 1);
            h::check_same(o, st);
        }
        // A program that cannot be run: 127 not found, 126 not executable.
        CHECK(client(true, "s6-fdholder-store", {dm.sock, "p"}).code == 0);
        for (std::string const bad : {"/nonexistent", "/etc/passwd"}) {
            for (auto const &[tool, args] : std::vector<std::pair<std::string, h::strings>>{
                     {"s6-fdholder-retrieve", {dm.sock, "p", bad}},
                     {"s6-fdholder-getdump", {dm.sock, bad}}}) {
                auto o = client(true, tool, args), st = client(false, tool, args);
                CHECK(o.code == (bad[1] == 'n' ? 127 : 126));
                h::check_same(o, st);
            }
        }
        CHECK(client(true, "s6-fdholder-delete", {dm.sock, "p"}).code == 0);
        CHECK(client(true, "s6-fdholder-store", {dm.sock, id255}).code == 0);
        CHECK(client(false, "s6-fdholder-delete", {dm.sock, id255}).code == 0);
        // s6-fdholder-setdump's variables.
        std::string const label = "@400000010000000000000000"; // year 2106
        for (h::strings const &env : std::vector<h::strings>{
                 {"S6_FD#=1"},
                 {"S6_FD#=1", "S6_FD_0=x", "S6_FDID_0=a"},
                 {"S6_FD#=1", "S6_FD_0=0"},
                 {"S6_FD#=1", "S6_FD_0=0", "S6_FDID_0="},
                 {"S6_FD#=1", "S6_FD_0=0", "S6_FDID_0=" + id256},
                 {"S6_FD#=1", "S6_FD_0=0", "S6_FDID_0=a", "S6_FDLIMIT_0=@12"},
                 {"S6_FD#=1", "S6_FD_0=0", "S6_FDID_0=a", "S6_FDLIMIT_0=" + label + "junk"},
                 {"S6_FD#=0"}}) {
            INFO(env.back());
            h::run_opts o;
            o.env = env;
            h::check_same(client(true, "s6-fdholder-setdump", {dm.sock}, o),
                          client(false, "s6-fdholder-setdump", {dm.sock}, o));
        }
        CHECK(list(dm.sock) == "a\n"); // the one with a label and junk after it
    }
}

TEST_CASE("fdholder: the daemons' options, limits and exit codes match stock", "[fdholder]")
{
    h::need_stock("s6-fdholderd");
    h::tempdir d;
    // Usage and start-up errors.
    h::compare("s6-fdholderd", {});
    h::compare("s6-fdholderd", {"-c", "x", "-i", "r"});
    h::compare("s6-fdholderd", {"-i", d.path()}); // stdin is not a socket
    h::compare("s6-fdholder-daemon", {"-i", d.path()});
    h::compare("s6-fdholder-daemon", {"/nonexistent/s"});
    for (auto tool : {"s6-fdholder-store", "s6-fdholder-retrieve", "s6-fdholder-delete",
                      "s6-fdholder-list", "s6-fdholder-getdump", "s6-fdholder-setdump",
                      "s6-fdholder-transferdump"}) {
        h::compare(tool, {});
        h::compare(tool, {"-t", "x", "s", "i", "p"});
        h::compare(tool, {d / "nosocket", "id", "true"});
    }
    h::compare("s6-fdholder-transferdump", {"-t", "5x", "a", "b"});
    h::run_opts env;
    env.env = {"S6_FD#=1"};
    h::compare("s6-fdholder-setdump", {d / "nosocket"}, env);
    env.env = {"S6_FD#=x"};
    h::compare("s6-fdholder-setdump", {d / "nosocket"}, env);

    // The fd limit is checked first, then stdin, then stdout for -1.
    auto daemon_cmd = [&](bool ours, std::string const &cmd) {
        return h::run({"/bin/sh", "-c", "exec >&-; " + cmd + " " + prog(ours, "s6-fdholderd") +
                                            " -1 -i " + d.path()});
    };
    for (std::string const &cmd : h::strings{
             "ulimit -n 6; exec", "exec " + h::ours("s6-ipcserver-socketbinder") + " " + (d / "s1")}) {
        INFO(cmd);
        ::unlink((d / "s1").c_str());
        auto const o = daemon_cmd(true, cmd);
        ::unlink((d / "s1").c_str());
        auto const st = daemon_cmd(false, cmd);
        CHECK(o.code == (cmd[0] == 'u' ? 111 : 100));
        h::check_same(o, st);
    }

    for (bool ours : {true, false}) {
        INFO("our daemon " << ours);
        h::tempdir t;
        // -n 2: a third fd is refused with ENFILE.  -1: a newline once ready.
        holder dm(ours, t, "s", {}, {"-1", "-n", "2"});
        CHECK(h::wait_until([&] { return dm.p->out() == "\n"; }, 5000));
        h::pipe_pair p;
        REQUIRE(store_fd(true, dm.sock, "a", p.w.get()).code == 0);
        REQUIRE(store_fd(true, dm.sock, "b", p.w.get()).code == 0);
        auto full = store_fd(true, dm.sock, "c", p.w.get());
        CHECK(full.code == 1);
        CHECK(full.err ==
              "s6-fdholder-store: fatal: unable to store fd: Too many open files in system\n");
        // SIGTERM with fds held and a client connected: 1 | 2.
        sv::unique_fd idle = served_client(dm.sock);
        dm.p->signal(SIGTERM);
        CHECK(dm.p->wait(5000) == 3);
        CHECK(h::count_zombies_of(getpid()) == 0);
    }
    for (bool ours : {true, false}) {
        INFO("our daemon " << ours);
        h::tempdir t;
        REQUIRE(::chmod(t.c_str(), 0755) == 0); // the rules, readable by the daemon's user
        // -c 1: while one client is connected, the next one is not served.  -u/-g: the
        // daemon runs as that user once the socket is bound (after an exec or two).
        holder dm(ours, t, "s", {}, {"-c", "1", "-u", "65534", "-g", "65534"});
        CHECK(h::wait_until([&] {
            return h::read_file("/proc/" + std::to_string(dm.p->pid()) + "/status")
                       .find("\nUid:\t65534\t65534\t65534\t65534\n") != std::string::npos;
        }, 5000));
        CHECK(list(dm.sock).empty());
        {
            sv::unique_fd idle = served_client(dm.sock);
            auto l = client(true, "s6-fdholder-list", {"-t", "300", dm.sock});
            CHECK(l.code == 1);
            CHECK(l.err == "s6-fdholder-list: fatal: unable to get fd list: Connection timed "
                           "out\n");
        }
        CHECK(h::wait_until(
            [&] { return client(true, "s6-fdholder-list", {"-t", "1000", dm.sock}).code == 0; },
            5000));
        // SIGTERM with a client connected and no fd: 2.
        sv::unique_fd idle = served_client(dm.sock);
        dm.p->signal(SIGTERM);
        CHECK(dm.p->wait(5000) == 2);
    }
    for (bool ours : {true, false}) {
        h::tempdir t;
        holder empty(ours, t, "e"), one(ours, t, "o");
        h::pipe_pair p;
        REQUIRE(store_fd(true, one.sock, "a", p.w.get()).code == 0);
        // Once the store's connection is gone, one holds an fd more than empty, and nothing
        // else.
        CHECK(h::wait_until([&] {
            return h::count_fds(one.p->pid()) == h::count_fds(empty.p->pid()) + 1;
        }, 5000));
        empty.p->signal(SIGTERM);
        one.p->signal(SIGTERM);
        CHECK(empty.p->wait(5000) == 0);
        CHECK(one.p->wait(5000) == 1);
    }
}

TEST_CASE("fdholder: rules from a cdb, reloaded on SIGHUP; the rules' warnings", "[fdholder]")
{
    h::need_stock("s6-fdholderd");
    for (bool ours : {true, false}) {
        INFO("our daemon " << ours);
        h::tempdir d;
        std::string const cdb = d / "rules.cdb";
        make_rules(d / "fs", {});
        REQUIRE(h::run_ours("s6-accessrules-cdb-from-fs", {cdb, d / "fs"}).code == 0);
        holder dm(ours, d, "s", {}, {"-x", cdb}); // the last of -i and -x wins
        CHECK(client(true, "s6-fdholder-list", {dm.sock}).code == 0);
        make_rules(d / "fs2", {.list = false});
        REQUIRE(h::run_ours("s6-accessrules-cdb-from-fs", {cdb, d / "fs2"}).code == 0);
        CHECK(client(true, "s6-fdholder-list", {dm.sock}).code == 0); // still the old map
        dm.p->signal(SIGHUP);
        CHECK(h::wait_until(
            [&] { return client(true, "s6-fdholder-list", {dm.sock}).code == 1; }, 5000));
    }
    // An exec string is unused; an invalid regex refuses the client.
    std::string errs[2];
    for (bool ours : {true, false}) {
        h::tempdir d;
        holder dm(ours, d, "s", {.store = "("});
        h::write_file(d / "rules-s/uid/0/exec", "true\n");
        CHECK(client(true, "s6-fdholder-list", {dm.sock}).code == 1);
        CHECK(h::wait_until([&] { return dm.p->err().find("parse_env") != std::string::npos; },
                            5000));
        errs[ours] = dm.p->err();
    }
    CHECK(errs[1] == "s6-fdholderd: warning: unused exec string in rules for uid 0 gid 0\n"
                     "s6-fdholderd: warning: invalid S6_FDHOLDER_STORE_REGEX value: (: "
                     "Unmatched ( or \\(\n"
                     "s6-fdholderd: warning: unable to parse_env: Success\n");
    CHECK(errs[1] == errs[0]);
}

TEST_CASE("fdholder: our s6-fdholder-daemon runs our own programs", "[fdholder]")
{
    h::tempdir d;
    holder dm(true, d, "s");
    // Our s6-fdholderd is a link to the shared executable: the process runs that file, under
    // the name of our link next to s6-fdholder-daemon.  The socket listens from the first
    // program of the chain on, and every program of the chain is that same file: wait for
    // the chain's last exec, by the name it runs under.
    std::string const proc = "/proc/" + std::to_string(dm.p->pid());
    auto argv0 = [&] {
        std::string const cmdline = h::read_file(proc + "/cmdline");
        return cmdline.substr(0, cmdline.find('\0'));
    };
    CHECK(h::wait_until([&] { return argv0() == h::ours("s6-fdholderd"); }, 5000));
    char exe[4096], want[4096];
    ssize_t const n = ::readlink((proc + "/exe").c_str(), exe, sizeof exe - 1);
    REQUIRE(n > 0);
    REQUIRE(::realpath(h::ours("s6-fdholderd").c_str(), want));
    CHECK(std::string(exe, static_cast<std::size_t>(n)) == want);
    CHECK(argv0() == h::ours("s6-fdholderd"));
}

TEST_CASE("fdholder: bad clients get dropped, the daemon serves on, fds flat", "[fdholder]")
{
    h::need_stock("s6-fdholderd");
    for (bool ours : {true, false}) {
        INFO("our daemon " << ours);
        h::tempdir d;
        holder dm(ours, d, "s", {}, {"-1", "-c", "4"});
        pid_t const pid = dm.p->pid();
        // Once ready (-1), the daemon has every fd of its own open, and no client yet.  Both
        // daemons close stdout right after its newline: count once it is gone.
        REQUIRE(h::wait_until([&] { return dm.p->out() == "\n"; }, 5000));
        std::string const fd1 = "/proc/" + std::to_string(pid) + "/fd/1";
        REQUIRE(h::wait_until([&] { return !h::exists(fd1); }, 5000));
        int const at_start = h::count_fds(pid);
        h::pipe_pair p;
        REQUIRE(store_fd(true, dm.sock, "keep", p.w.get()).code == 0);
        auto settled = [&] { return h::wait_until([&] { return h::count_fds(pid) == at_start + 1; }, 5000); };
        CHECK(settled());
        // Frames the daemon must refuse by closing the connection (with any fds they carry).
        std::vector<std::pair<std::string, std::vector<int>>> const bad = {
            {frame("Z", 0), {}},                               // unknown operation
            {frame("", 0), {}},                                // empty message
            {frame("D\x09" "ab", 0), {}},                      // id length past the end
            {frame("L", 1), {p.w.get()}},                      // a list with an fd
            {frame(store_request("s1"), 0), {}},               // a store without its fd
            {frame(store_request("s2"), 2), {p.w.get(), p.w.get()}}, // ... or with two
            {frame("L", 3), {}},                               // fds announced, never sent
            {frame("." + std::string(15, 'x'), 1), {p.w.get()}}, // setdump data unasked
            {std::string("\x7f\xff\xff\xff\0\0", 6), {}},     // a message too large
        };
        for (auto const &[bytes, fds] : bad) {
            INFO("frame of " << bytes.size() << " bytes, " << fds.size() << " fds");
            sv::unique_fd s = raw_connect(dm.sock);
            REQUIRE(send_bytes(s.get(), bytes, fds));
            CHECK(closed_by_peer(s.get()));
        }
        CHECK(settled());
        // A truncated message and a client gone mid-request: the fd that came with the
        // first half is closed; meanwhile other clients are served.
        {
            sv::unique_fd s = raw_connect(dm.sock);
            std::string const whole = frame(store_request("half"), 1);
            REQUIRE(send_bytes(s.get(), whole.substr(0, 9), {p.w.get()}));
            CHECK(list(dm.sock) == "keep\n");
        }
        CHECK(settled());
        CHECK(list(dm.sock) == "keep\n");
        // 10 000 connections, a request each, half of them dropped mid-request: bounded
        // time, the daemon's fd count back where it was, no zombies.
        std::int64_t const t0 = sv::mono_ms();
        for (int i = 0; i < 10000; i++) {
            sv::unique_fd s = raw_connect(dm.sock);
            if (i % 2) {
                REQUIRE(send_bytes(s.get(), frame("L", 0).substr(0, 4)));
                continue;
            }
            REQUIRE(send_bytes(s.get(), frame("L", 0)));
            REQUIRE(h::wait_readable(s.get(), sv::mono_ms() + 5000));
        }
        CHECK(sv::mono_ms() - t0 < 60000);
        CHECK(settled());
        CHECK(h::count_zombies_of(pid) == 0);
        CHECK(list(dm.sock) == "keep\n");
    }
}

TEST_CASE("fdholder: -t drops a client that says nothing, in ours as in stock", "[fdholder]")
{
    h::need_stock("s6-fdholderd");
    for (bool ours : {true, false}) {
        INFO("our daemon " << ours);
        h::tempdir d;
        holder dm(ours, d, "s", {}, {"-t", "300"});
        sv::unique_fd silent = raw_connect(dm.sock);
        std::int64_t const t0 = sv::mono_ms();
        CHECK(closed_by_peer(silent.get()));
        CHECK(sv::mono_ms() - t0 >= 200);
        CHECK(list(dm.sock).empty());
    }
}

TEST_CASE("fdholder: our daemon drops a client that leaves its answers unread", "[fdholder]")
{
    // Ours on purpose: answers are not queued without bound (stock's are), so a client that
    // floods requests without reading is dropped once its socket stays full for 2 s; the
    // others are served meanwhile.
    h::tempdir d;
    holder dm(true, d, "s");
    sv::unique_fd flood = raw_connect(dm.sock);
    std::string burst;
    for (int i = 0; i < 3000; i++) burst += frame("L", 0);
    REQUIRE(send_bytes(flood.get(), burst));
    std::int64_t const t0 = sv::mono_ms();
    CHECK(client(true, "s6-fdholder-list", {"-t", "5000", dm.sock}).code == 0);
    CHECK(sv::mono_ms() - t0 < 5000);
    // The answers it did get, then the end: the daemon hung up.
    std::size_t got = 0;
    bool eof = false;
    while (!eof && h::wait_readable(flood.get(), sv::mono_ms() + 5000)) {
        char buf[65536];
        ssize_t const n = recv(flood.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) eof = true;
        else got += static_cast<std::size_t>(n);
    }
    CHECK(eof);
    CHECK(got > 0);
    CHECK(got < 3000 * 11); // not every answer: 11 bytes each, framed
}

TEST_CASE("fdholder: dumps of more than 253 fds, which stock cannot send", "[fdholder]")
{
    // A dump message carries up to 255 fds, and the kernel passes at most 253 in one sendmsg:
    // stock's daemon and clients fail there (EINVAL; the peer sees the connection drop).
    // Our clients send a setdump in messages of at most 253 fds (a daemon counts the fds, not
    // the messages); our daemon, whose getdump answer stock's clients want in messages of
    // 255, sends the last fds of such a message on its last byte.
    h::need_stock("s6-fdholderd");
    h::tempdir d;
    holder ours(true, d, "ours"), stock(false, d, "stock"), ours2(true, d, "ours2");
    h::pipe_pair p;
    std::vector<sv::fdh::dump_entry> dump(300);
    sv::tain const limit{sv::tai64_base + (std::uint64_t{1} << 33), 0};
    for (std::size_t i = 0; i < dump.size(); i++)
        dump[i] = {p.w.get(), {limit.sec + i, 0}, "id" + std::to_string(i)};
    for (auto const *dm : {&ours, &stock}) {
        INFO(dm->sock);
        sv::unique_fd s{sv::fdh::connect_or_die(dm->sock.c_str(), sv::mono_ms() + 5000)};
        CHECK(sv::fdh::setdump(s.get(), dump, sv::mono_ms() + 5000));
    }
    std::string const all = list(stock.sock);
    CHECK(std::count(all.begin(), all.end(), '\n') == 300);
    CHECK(list(ours.sock) == all);
    // Our daemon's dump, to stock's client and ours, and on to another daemon by ours.
    auto const want = dump_vars(true, ours.sock);
    CHECK(want.out.find("S6_FD#=300\n") != std::string::npos);
    CHECK(want.out.find("S6_FDLIMIT_299=@40000002000001") != std::string::npos);
    CHECK(dump_vars(false, ours.sock).out == want.out);
    REQUIRE(client(true, "s6-fdholder-transferdump", {ours.sock, ours2.sock}).code == 0);
    CHECK(dump_vars(true, ours2.sock).out == want.out);
    // Stock's own: its daemon cannot send the dump, its client cannot set it.
    auto const g = client(false, "s6-fdholder-getdump", {stock.sock, "true"});
    CHECK(g.code == 1);
    CHECK(g.err == "s6-fdholder-getdump: fatal: unable to get dump: Broken pipe\n");
    auto const t = client(false, "s6-fdholder-transferdump", {ours.sock, ours2.sock});
    CHECK(t.code == 1);
    CHECK(t.err == "s6-fdholder-transferdump: fatal: unable to set dump: Invalid argument\n");
}
