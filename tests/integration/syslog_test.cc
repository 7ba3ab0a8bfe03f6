// s6-socklog, ucspilogd and envsubst against their references: stock s6 2.11.3.2's
// s6-socklog and ucspilogd, and GNU gettext's envsubst (Debian's gettext-base).  Same input,
// same lines out, same exit codes and messages; bad input (oversized datagrams, no or an
// invalid <PRI>, binary bytes, NUL and newline inside); readiness; the lame-duck timeout;
// 10 000 messages from 10 concurrent clients, none lost or reordered; and the deviations
// from stock we make on purpose (an empty datagram, the UDP prefix).
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/ipc.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

namespace {

// One datagram to the Unix socket at path, from a fresh blocking socket: false on failure.
bool send_dgram(std::string const &path, std::string_view msg, int fd = -1)
{
    sv::unique_fd own;
    if (fd < 0) {
        own.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        fd = own.get();
    }
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    return ::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr *>(&a), sizeof a) ==
           static_cast<ssize_t>(msg.size());
}

// An s6-socklog (ours or stock) on DIR/log, its output in DIR/proc.out.
struct socklog
{
    h::tempdir td;
    std::unique_ptr<h::proc> p;
    std::string sock;
    socklog(bool ours, h::strings args)
    {
        sock = td / "log";
        std::string const ready = td / "ready";
        // Started with -d 3 and fd 3 a file: its newline there says SIGTERM is trapped (a
        // TERM before that would kill it, in ours as in stock).
        h::strings argv{"/bin/sh", "-c", "exec \"$0\" -d 3 \"$@\" 3>ready",
                        ours ? h::ours("s6-socklog") : h::stock("s6-socklog"), "-x", sock};
        argv.insert(argv.end(), args.begin(), args.end());
        p = std::make_unique<h::proc>(argv, td.path(), td.path());
        REQUIRE(h::wait_until([&] { return h::read_file(ready) == "\n" || !p->running(); }));
        REQUIRE(p->running());
    }
    // SIGTERM, then its exit code and everything it printed.
    int stop()
    {
        p->signal(SIGTERM);
        return p->wait(10000);
    }
};

// The datagrams of the differential test: ordinary, cut, bad <PRI>, binary, NUL/newline.
std::vector<std::string> sample_datagrams()
{
    using namespace std::string_literals;
    std::vector<std::string> d = {
        "<13>hello",     "plain",        "a\nb\0c\n\0\n"s, "<4>x\n",         "<13>\n",
        "\x01\xff\x7f"s, "\n\n",         "<1023>x",        "<99999999999>y", "<4294967296>z",
        "<>x",           "<+1>y",        "< 1>z",          "<013>lead",      "<0>emerg",
        "<191>local7",   "<85>authpriv", "<91>ftp",        "<197>mark",      "<101>unknown",
        "\0\0\0"s,       "<13>a\0b"s,
    };
    for (std::size_t n : {75u, 76u, 77u, 78u, 100u, 1023u, 1024u, 1025u, 1026u, 5000u})
        d.push_back("<14>" + std::string(n, 'm'));
    return d;
}

std::string socklog_output(bool ours, h::strings const &args, std::vector<std::string> const &in,
                           int &code)
{
    socklog s(ours, args);
    for (auto const &m : in)
        REQUIRE(send_dgram(s.sock, m));
    // Every datagram printed before the TERM (stock drops what is still queued then).
    auto lines = [&] {
        std::string const o = s.p->out();
        return static_cast<std::size_t>(std::count(o.begin(), o.end(), '\n'));
    };
    CHECK(h::wait_until([&] { return lines() == in.size(); }));
    code = s.stop();
    return s.p->out() + "\n--stderr--\n" + s.p->err();
}

// "" if a == b, else the first line where they differ (cut to 200 bytes), as "ours | stock".
std::string first_difference(std::string const &a, std::string const &b)
{
    if (a == b) return "";
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i])
        ++i;
    std::size_t const start =
        a.rfind('\n', i ? i - 1 : 0) == std::string::npos ? 0 : a.rfind('\n', i ? i - 1 : 0) + 1;
    auto line = [&](std::string const &s) {
        return s.substr(start, s.find('\n', start) - start).substr(0, 200);
    };
    return "at byte " + std::to_string(i) + ": " + line(a) + " | " + line(b);
}

void compare_socklog(h::strings const &args, std::vector<std::string> const &in)
{
    h::need_stock("s6-socklog");
    int oc = -1, sc = -1;
    std::string const o = socklog_output(true, args, in, oc);
    std::string const s = socklog_output(false, args, in, sc);
    CHECK(oc == sc);
    CHECK(first_difference(o, s) == "");
}

} // namespace

TEST_CASE("s6-socklog: same lines as stock for ordinary and bad datagrams", "[syslog]")
{
    auto const in = sample_datagrams();
    SECTION("default")
    {
        compare_socklog({}, in);
    }
    SECTION("-r")
    {
        compare_socklog({"-r"}, in);
    }
    SECTION("-l 10 (76)")
    {
        compare_socklog({"-l", "10"}, in);
    }
    SECTION("-l 100")
    {
        compare_socklog({"-l", "100"}, in);
    }
    SECTION("-l 3000000 (1048576)")
    {
        compare_socklog({"-l", "3000000", "-t", "5000"}, in);
    }
}

TEST_CASE("s6-socklog: usage and start-up errors as stock", "[syslog]")
{
    h::need_stock("s6-socklog");
    h::tempdir td;
    std::string const s = td / "s";
    for (h::strings args : std::vector<h::strings>{{"-l", "x"},
                                                   {"-t", "-1"},
                                                   {"-d", "x"},
                                                   {"-u", "x"},
                                                   {"-g", "1x"},
                                                   {"-G", "x"},
                                                   {"-i", "x"},
                                                   {"-i", "1.2.3.4_x"},
                                                   {"-q"},
                                                   {"-d"},
                                                   {"-d", "1", "-x", s},
                                                   {"-d", "9", "-x", s},
                                                   {"-U", "-x", s},
                                                   {"-x", td / "no/such/dir/s"},
                                                   {"-x", td / std::string(120, 'p')}})
        h::compare("s6-socklog", args);
    h::run_opts env;
    env.env = {"UID=a"};
    h::compare("s6-socklog", {"-U"}, env);
    env.env = {"UID=1", "GID=x"};
    h::compare("s6-socklog", {"-U"}, env);
    env.env = {"UID=1", "GID=1", "GIDLIST=x"};
    h::compare("s6-socklog", {"-U"}, env);
    // stdout closed: "invalid stdout", 100.
    for (bool ours : {true, false}) {
        auto r = h::run({"/bin/sh", "-c", "exec \"$0\" -x \"$1\" >&-",
                         ours ? h::ours("s6-socklog") : h::stock("s6-socklog"), s});
        CHECK(r.code == 100);
        CHECK(r.err == "s6-socklog: fatal: invalid stdout: Bad file descriptor\n");
    }
}

TEST_CASE("s6-socklog: a socket in use is refused (EBUSY), as stock", "[syslog]")
{
    h::need_stock("s6-socklog");
    for (bool first_ours : {true, false}) {
        socklog running(first_ours, {});
        for (bool ours : {true, false}) {
            auto r =
                h::run({ours ? h::ours("s6-socklog") : h::stock("s6-socklog"), "-x", running.sock});
            CHECK(r.code == 111);
            CHECK(r.err == "s6-socklog: fatal: unable to bind socket to " + running.sock +
                               ": Device or resource busy\n");
        }
        CHECK(running.stop() == 0);
    }
}

TEST_CASE("s6-socklog: the socket file is 0777 with a PATH.lock beside it", "[syslog]")
{
    h::umask_guard um(077);
    socklog s(true, {});
    CHECK((h::mode_of(s.sock) & 07777) == 0777);
    CHECK(S_ISSOCK(h::mode_of(s.sock)));
    CHECK(h::exists(s.sock + ".lock"));
    CHECK(s.stop() == 0);
}

TEST_CASE("s6-socklog: readiness on fd notif once the socket is bound", "[syslog]")
{
    h::tempdir td;
    std::string const sock = td / "s", ready = td / "ready";
    h::proc p({"/bin/sh", "-c", "exec \"$0\" -d 3 -x \"$1\" 3>\"$2\"", h::ours("s6-socklog"), sock,
               ready},
              td.path());
    REQUIRE(h::wait_until([&] { return h::read_file(ready) == "\n" || !p.running(); }));
    CHECK(h::read_file(ready) == "\n");
    CHECK(h::exists(sock));
    REQUIRE(send_dgram(sock, "<13>up"));
    CHECK(h::wait_until([&] { return p.out() == "user.notice: up\n"; }));
    p.signal(SIGTERM);
    CHECK(p.wait() == 0);
}

TEST_CASE("s6-socklog: an empty datagram is ignored (stock exits 111)", "[syslog]")
{
    socklog ours(true, {});
    REQUIRE(send_dgram(ours.sock, "<13>before"));
    REQUIRE(send_dgram(ours.sock, ""));
    REQUIRE(send_dgram(ours.sock, "<13>after"));
    CHECK(h::wait_until(
        [&] { return ours.p->out() == "user.notice: before\nuser.notice: after\n"; }));
    CHECK(ours.p->running());
    CHECK(ours.stop() == 0);
    CHECK(ours.p->err().empty());

    h::need_stock("s6-socklog");
    socklog stock(false, {});
    REQUIRE(send_dgram(stock.sock, ""));
    CHECK(stock.p->wait(10000) == 111);
    CHECK(stock.p->err() == "s6-socklog: fatal: unable to recv: Broken pipe\n");
}

TEST_CASE("s6-socklog: a client that vanishes mid-stream loses nothing it sent", "[syslog]")
{
    socklog s(true, {});
    {
        h::child c([&] {
            int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
            for (int i = 0; i < 100; ++i)
                if (!send_dgram(s.sock, "<13>msg " + std::to_string(i), fd)) return 1;
            ::kill(::getpid(), SIGKILL); // gone without closing anything
            return 2;
        });
        CHECK(c.wait(10000) != -1);
    }
    std::string want;
    for (int i = 0; i < 100; ++i)
        want += "user.notice: msg " + std::to_string(i) + "\n";
    CHECK(h::wait_until([&] { return s.p->out() == want; }));
    CHECK(s.stop() == 0);
}

namespace {

// s6-socklog (ours or stock) with stdout a pipe that is full and that nobody reads, holding
// one message it cannot write, then SIGTERM: the exit code (99 once -t passes) and how long
// it took.
int lameduck_exit(bool ours, std::int64_t &took_ms)
{
    h::tempdir td;
    std::string const sock = td / "s";
    h::pipe_pair out(O_CLOEXEC | O_NONBLOCK);
    std::string const chunk(4096, 'f');
    while (::write(out.w.get(), chunk.data(), chunk.size()) > 0) {
    }
    std::string const prog = ours ? h::ours("s6-socklog") : h::stock("s6-socklog");
    h::child c([&] {
        ::dup2(out.w.get(), 1);
        ::execl(prog.c_str(), prog.c_str(), "-t", "300", "-x", sock.c_str(), (char *)nullptr);
        return 127;
    });
    out.w.reset();
    REQUIRE(h::wait_until([&] { return h::exists(sock); }));
    sv::unique_fd fd{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    REQUIRE(send_dgram(sock, "<13>stuck", fd.get()));
    // Taken in: a Unix datagram's memory goes back to its sender once it is read (SIOCOUTQ).
    REQUIRE(h::wait_until([&] {
        int n = -1;
        return ::ioctl(fd.get(), SIOCOUTQ, &n) == 0 && n == 0;
    }));
    std::int64_t const t0 = sv::mono_ms();
    ::kill(c.pid(), SIGTERM);
    int const code = c.exit_code(10000);
    took_ms = sv::mono_ms() - t0;
    return code;
}

} // namespace

TEST_CASE("s6-socklog: -t ends a flush that cannot finish with 99, as stock", "[syslog]")
{
    std::int64_t took = 0;
    CHECK(lameduck_exit(true, took) == 99);
    CHECK(took >= 290);
    CHECK(took < 5000);
    h::need_stock("s6-socklog");
    CHECK(lameduck_exit(false, took) == 99);
}

TEST_CASE("s6-socklog: 10 000 messages from 10 concurrent clients, none lost or reordered",
          "[syslog][scale]")
{
    constexpr int clients = 10, each = 1000;
    socklog s(true, {});
    std::vector<std::unique_ptr<h::child>> kids;
    for (int c = 0; c < clients; ++c)
        kids.push_back(std::make_unique<h::child>([&, c] {
            // A blocking socket, as syslog(3) uses: a full queue makes the sender wait.
            int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
            for (int i = 0; i < each; ++i)
                if (!send_dgram(s.sock,
                                "<14>client " + std::to_string(c) + " message " + std::to_string(i),
                                fd))
                    return 1;
            return 0;
        }));
    for (auto &k : kids)
        CHECK(k->exit_code(30000) == 0);
    auto count_lines = [&] {
        std::string const o = s.p->out();
        return std::count(o.begin(), o.end(), '\n');
    };
    CHECK(h::wait_until([&] { return count_lines() == clients * each; }, 30000));
    CHECK(s.stop() == 0);
    std::string const out = s.p->out();
    std::vector<int> next(clients, 0);
    std::size_t pos = 0, bad = 0, lines = 0;
    while (pos < out.size()) {
        std::size_t const nl = out.find('\n', pos);
        REQUIRE(nl != std::string::npos);
        std::string const l = out.substr(pos, nl - pos);
        pos = nl + 1;
        ++lines;
        int c = -1, i = -1;
        if (std::sscanf(l.c_str(), "user.info: client %d message %d", &c, &i) != 2 || c < 0 ||
            c >= clients || i != next[c]++)
            ++bad;
    }
    CHECK(lines == clients * each);
    CHECK(bad == 0);
    for (int c = 0; c < clients; ++c)
        CHECK(next[c] == each);
}

TEST_CASE("s6-socklog: -i binds UDP and names the sender ADDR_PORT", "[syslog]")
{
    h::tempdir td;
    // A free port: bind to 0, read it back, let it go.
    sv::unique_fd probe{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    REQUIRE(::bind(probe.get(), reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    REQUIRE(::getsockname(probe.get(), reinterpret_cast<sockaddr *>(&a), &al) == 0);
    unsigned const port = ntohs(a.sin_port);
    probe.reset(); // the port is free again for s6-socklog
    h::proc p({h::ours("s6-socklog"), "-i", "127.0.0.1:" + std::to_string(port)}, td.path());
    probe.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)); // a new sender, port unbound
    // The daemon binds after a moment: send until the line shows (each try a new datagram).
    std::string got;
    h::wait_until([&] {
        ::sendto(probe.get(), "<13>over udp", 12, 0, reinterpret_cast<sockaddr *>(&a), sizeof a);
        got = p.out();
        return !got.empty() || !p.running();
    });
    sockaddr_in from{};
    socklen_t fl = sizeof from;
    REQUIRE(::getsockname(probe.get(), reinterpret_cast<sockaddr *>(&from), &fl) == 0);
    std::string const want =
        "127.0.0.1_" + std::to_string(ntohs(from.sin_port)) + ": user.notice: over udp\n";
    INFO(p.err());
    CHECK(got.substr(0, want.size()) == want);
    p.signal(SIGTERM);
    CHECK(p.wait() == 0);
}

// --- ucspilogd -------------------------------------------------------------------------------

TEST_CASE("ucspilogd: same lines as stock", "[syslog]")
{
    h::need_stock("ucspilogd");
    using namespace std::string_literals;
    std::string const in = "<13>hello\n<4>x\0@400000000000000000000000 <13>tai\n\n"
                           "@40000000000000000000000 <13>short\n<4294967296>f\n"
                           "@400000000000000000000000 \n\x01\xff binary\n<13>a\0b"s +
                           std::string(20000, 'L') + "\nlast unterminated";
    h::run_opts o;
    o.input = in;
    o.env = {"FOO=foo", "EMPTY="};
    h::compare("ucspilogd", {}, o);
    h::compare("ucspilogd", {"FOO"}, o);
    h::compare("ucspilogd", {"-D", "dflt", "FOO", "UNSET_VAR", "EMPTY"}, o);
    h::compare("ucspilogd", {"UNSET_VAR"}, o);
    o.input = "\n\n";
    h::compare("ucspilogd", {}, o);
    o.input = "only\0"s;
    h::compare("ucspilogd", {"FOO"}, o);
    for (h::strings args : std::vector<h::strings>{{"-d", "x"}, {"-D"}, {"-x"}})
        h::compare("ucspilogd", args);
}

TEST_CASE("ucspilogd: write errors as stock", "[syslog]")
{
    h::need_stock("ucspilogd");
    for (std::string redirect : {">&-", ">/dev/full"}) {
        for (std::string input : {"abc\n", "abc"}) {
            auto run = [&](std::string const &prog) {
                return h::run(
                    {"/bin/sh", "-c", "printf '" + input + "' | \"$0\" " + redirect, prog});
            };
            INFO(redirect << " " << input);
            h::check_same(run(h::ours("ucspilogd")), run(h::stock("ucspilogd")));
        }
    }
}

// --- envsubst --------------------------------------------------------------------------------

namespace {

// Runs ours or GNU's envsubst; the program's path in messages reads "envsubst".
h::result run_envsubst(bool ours, h::strings const &args, h::run_opts const &o)
{
    std::string const prog = ours ? h::ours("envsubst") : "/usr/bin/envsubst";
    h::strings argv{prog};
    argv.insert(argv.end(), args.begin(), args.end());
    h::result r = h::run(argv, o);
    for (std::string *s : {&r.out, &r.err})
        for (std::size_t p; (p = s->find(prog)) != std::string::npos;)
            s->replace(p, prog.size(), "envsubst");
    return r;
}

void compare_envsubst(h::strings const &args, std::string const &input = "")
{
    h::run_opts o;
    o.input = input;
    o.env = {"A=alpha", "B=beta value", "_u=under", "EMPTY=", "X1=x one", "PATHY=/a/b"};
    INFO("args: " << (args.empty() ? "" : args.back()) << " input: " << input);
    auto const mine = run_envsubst(true, args, o), gnu = run_envsubst(false, args, o);
    CHECK(mine.code == gnu.code);
    CHECK(mine.out == gnu.out);
    CHECK(mine.err == gnu.err);
}

} // namespace

TEST_CASE("envsubst: same output as GNU envsubst", "[syslog][envsubst]")
{
    if (!h::exists("/usr/bin/envsubst")) h::skip("GNU envsubst (gettext-base) is not installed");
    std::string const text = "a $A ${B} $C ${A $$ $ ${ ${1} $_u $X1$A${A}${B}x $1 $-\n"
                             "${A}} {$A} $EMPTY. ${EMPTY}. $UNSET. ${UNSET}. $A_B ${A}_B\n"
                             "trailing $";
    compare_envsubst({}, text);
    compare_envsubst({"$A ${_u}"}, text);
    compare_envsubst({"${B} $C ${X1"}, text);
    compare_envsubst({"no variables"}, text);
    compare_envsubst({"-"}, text);
    compare_envsubst({"--", "-v"}, text);
    compare_envsubst({"$A", "-v"}, text);
    compare_envsubst({}, "");
    compare_envsubst({}, "${");
    compare_envsubst({}, "$");
    compare_envsubst({}, "${A");
    compare_envsubst({}, std::string("\0$A\0", 4));
}

TEST_CASE("envsubst: -v / --variables as GNU's", "[syslog][envsubst]")
{
    if (!h::exists("/usr/bin/envsubst")) h::skip("GNU envsubst (gettext-base) is not installed");
    for (std::string opt : {"-v", "--variables", "--var", "--va"}) {
        compare_envsubst({opt, "a$A ${B} ${C $D $A $$E ${F}x ${G"});
        compare_envsubst({opt, ""});
    }
    compare_envsubst({"-v"});
}

TEST_CASE("envsubst: errors and exit codes as GNU's", "[syslog][envsubst]")
{
    if (!h::exists("/usr/bin/envsubst")) h::skip("GNU envsubst (gettext-base) is not installed");
    for (h::strings args : std::vector<h::strings>{{"a", "b"},
                                                   {"-x"},
                                                   {"-vx", "a"},
                                                   {"--foo"},
                                                   {"--foo=1"},
                                                   {"--v"},
                                                   {"--help=1"},
                                                   {"--variables=a"},
                                                   {"a", "b", "c"},
                                                   {"-v", "a", "b"}})
        compare_envsubst(args);
    // Write and read errors.
    for (bool ours : {true, false}) {
        std::string const prog = ours ? h::ours("envsubst") : "/usr/bin/envsubst";
        auto full = h::run({"/bin/sh", "-c", "echo x | \"$0\" >/dev/full", prog});
        CHECK(full.code == 1);
        CHECK(full.err == prog + ": write error: No space left on device\n");
        auto closed = h::run({"/bin/sh", "-c", "\"$0\" <&-", prog});
        CHECK(closed.code == 1);
        CHECK(closed.err ==
              prog + ": error while reading \"standard input\": Bad file descriptor\n");
    }
}

TEST_CASE("envsubst: --help and --version answer as GNU's do, in our words", "[syslog][envsubst]")
{
    if (!h::exists("/usr/bin/envsubst")) h::skip("GNU envsubst (gettext-base) is not installed");
    for (h::strings args :
         std::vector<h::strings>{{"--help"}, {"-h"}, {"-h", "a", "b"}, {"--he"}, {"-vh"}}) {
        auto const mine = run_envsubst(true, args, {}), gnu = run_envsubst(false, args, {});
        CHECK(mine.code == 0);
        CHECK(gnu.code == 0);
        auto first = [](std::string const &s) { return s.substr(0, s.find('\n')); };
        CHECK(first(mine.out) == first(gnu.out));
        CHECK(first(mine.out) == "Usage: envsubst [OPTION] [SHELL-FORMAT]");
    }
    for (h::strings args :
         std::vector<h::strings>{{"--version"}, {"-V"}, {"-V", "-h"}, {"--vers", "a", "b"}}) {
        auto const mine = run_envsubst(true, args, {}), gnu = run_envsubst(false, args, {});
        CHECK(mine.code == 0);
        CHECK(gnu.code == 0);
        CHECK(mine.out.rfind("envsubst (s6pp) ", 0) == 0);
        CHECK(gnu.out.rfind("envsubst (GNU gettext-runtime) ", 0) == 0);
    }
}

// --- the syslog service of examples/syslog -----------------------------------------------------

namespace {

std::string tools_dir()
{
    std::string const s = h::ours("s6-svscan");
    return s.substr(0, s.rfind('/'));
}

// examples/syslog/syslogd copied into DIR/scan, run by our s6-svscan with env (NAME=VALUE
// entries) and PATH = our tools first; optionally as another user (through our
// s6-setuidgid).  Stopped with s6-svscanctl -t on destruction.
struct syslog_service
{
    std::string scan;
    std::unique_ptr<h::proc> p;
    syslog_service(h::tempdir const &td, h::strings const &env, std::string const &user = "")
    {
        scan = td / "scan";
        h::mkdirs(scan);
        REQUIRE(
            h::run({"/bin/cp", "-a", std::string(EXAMPLES_DIR) + "/syslog/syslogd", scan}).code ==
            0);
        if (!user.empty()) REQUIRE(h::run({"/bin/chown", "-R", user, td.path()}).code == 0);
        h::strings argv{"/usr/bin/env", "PATH=" + tools_dir() + ":/usr/bin:/bin"};
        argv.insert(argv.end(), env.begin(), env.end());
        if (!user.empty()) argv.insert(argv.end(), {h::ours("s6-setuidgid"), user});
        argv.push_back(h::ours("s6-svscan"));
        argv.push_back(scan);
        p = std::make_unique<h::proc>(argv, td.path());
    }
    ~syslog_service()
    {
        h::run({h::ours("s6-svscanctl"), "-t", scan});
        if (p->wait(10000) < 0) p->signal(SIGKILL);
    }
    // Waits for the service to be up and ready (s6-socklog's -d 3) with its socket at sock.
    bool ready(std::string const &sock)
    {
        return h::wait_until([&] {
            if (!h::exists(sock) || !h::exists(scan + "/syslogd/supervise/status")) return false;
            sv::status const st = h::status_of(scan + "/syslogd");
            return st.is_up() && st.ready;
        });
    }
};

bool has_line(std::string const &text, std::string const &line)
{
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

} // namespace

TEST_CASE("examples/syslog: as root, lines on stdout and in a rotated logdir", "[syslog]")
{
    h::need_root("the service drops from root to nobody");
    h::tempdir td;
    std::string const sock = td / "log";
    syslog_service svc(td, {"SYSLOG_SOCKET=" + sock, "SYSLOG_LOGDIR=" + (td / "logdir")});
    REQUIRE(svc.ready(sock));
    REQUIRE(send_dgram(sock, "<30>app: hello from a daemon"));
    // util-linux logger, as a real client would (its own header after the PRI).
    auto r = h::run({"/usr/bin/logger", "-u", sock, "-t", "tagged", "-p", "local3.err", "hi"});
    CHECK(r.code == 0);
    CHECK(h::wait_until([&] {
        std::string const out = svc.p->out();
        return has_line(out, "daemon.info: app: hello from a daemon") &&
               out.find("local3.err: ") != std::string::npos &&
               out.find("tagged: hi\n") != std::string::npos;
    }));
    CHECK(h::wait_until([&] {
        return h::read_file(td / "logdir/current")
                   .find(" daemon.info: app: hello from a daemon\n") != std::string::npos;
    }));
    // s6-socklog (the service's pid) runs as nobody, not root.
    std::string const st = h::read_file(
        "/proc/" + std::to_string(h::status_of(svc.scan + "/syslogd").pid) + "/status");
    CHECK(st.find("\nUid:\t65534\t65534\t65534\t65534\n") != std::string::npos);
    CHECK(st.find("\nGroups:\t65534 \n") != std::string::npos);
}

TEST_CASE("examples/syslog: SYSLOG_OUTPUT=stderr sends the lines to stderr only", "[syslog]")
{
    h::tempdir td;
    std::string const sock = td / "log";
    syslog_service svc(td, {"SYSLOG_SOCKET=" + sock, "SYSLOG_OUTPUT=stderr"});
    REQUIRE(svc.ready(sock));
    REQUIRE(send_dgram(sock, "<11>to stderr"));
    CHECK(h::wait_until([&] { return has_line(svc.p->err(), "user.err: to stderr"); }));
    CHECK(svc.p->out().find("to stderr") == std::string::npos);
}

TEST_CASE("examples/syslog: as a non-root user, a socket under $TMPDIR", "[syslog]")
{
    h::need_root("the test starts the service as nobody");
    h::tempdir td;
    h::mkdirs(td / "tmp");
    std::string const sock = td / "tmp/syslog/log";
    syslog_service svc(td, {"TMPDIR=" + (td / "tmp")}, "nobody");
    // /dev and /run are not writable for nobody here, so $TMPDIR is taken.
    REQUIRE(svc.ready(sock));
    REQUIRE(send_dgram(sock, "<13>as nobody"));
    CHECK(h::wait_until([&] { return has_line(svc.p->out(), "user.notice: as nobody"); }));
}

TEST_CASE("examples/syslog: read-only root, tmpfs on /run, read-only /dev", "[syslog]")
{
    h::need_root("the test makes a mount namespace");
    h::tempdir td;
    std::string const script = R"(
set -eu
mount --make-rprivate /
mount -t tmpfs tmpfs /run
mount -o remount,bind,ro /dev
mount -o remount,bind,ro /
if touch /.rw-probe 2>/dev/null; then echo "root still writable"; exit 3; fi
mkdir /run/service
cp -a "$1" /run/service/syslogd
PATH=$2:/usr/bin:/bin s6-svscan /run/service > /run/out 2>&1 &
i=0
until [ -S /run/syslog/log ] && s6-svwait -U -t 100 /run/service/syslogd 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 200 ] || { echo "no socket"; cat /run/out; exit 4; }
  sleep 0.05
done
logger -u /run/syslog/log -p daemon.warning -t ro "read-only works"
i=0
until grep -q "read-only works" /run/out; do
  i=$((i + 1)); [ $i -lt 200 ] || { echo "no line"; cat /run/out; exit 5; }
  sleep 0.05
done
PATH=$2:$PATH s6-svscanctl -t /run/service
wait
cat /run/out
)";
    auto probe = h::run({"/usr/bin/unshare", "-m", "/bin/true"});
    if (probe.code != 0) h::skip("no mount namespace here (unshare -m): " + probe.err);
    auto r = h::run({"/usr/bin/unshare", "-m", "/bin/sh", "-c", script, "sh",
                     std::string(EXAMPLES_DIR) + "/syslog/syslogd", tools_dir()},
                    {.input = {}, .cwd = {}, .env = {}, .timeout_ms = 30000});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK(r.out.find("daemon.warn: ") != std::string::npos);
    CHECK(r.out.find("ro: read-only works\n") != std::string::npos);
}

TEST_CASE("ucspilogd: under s6-ipcserver, one stream client's messages, as stock's", "[syslog]")
{
    h::need_stock("ucspilogd");
    std::string outs[2];
    for (bool ours : {true, false}) {
        h::tempdir td;
        std::string const sock = td / "s";
        // The connection is the served program's stdin and stdout: its lines go to stderr.
        h::proc server({h::ours("s6-ipcserver"), sock, "/bin/sh", "-c", "exec \"$0\" \"$@\" >&2",
                        ours ? h::ours("ucspilogd") : h::stock("ucspilogd"), "-D", "?",
                        "IPCREMOTEEUID", "NOT_SET"},
                       td.path());
        REQUIRE(h::wait_until([&] { return h::unix_listening(sock) || !server.running(); }));
        {
            int fd = sv::ipc_connect_until(sock.c_str(), sv::mono_ms() + 5000);
            REQUIRE(fd >= 0);
            sv::unique_fd c{fd};
            using namespace std::string_literals;
            REQUIRE(h::write_full_fd(c.get(), "<13>hello\n<86>auth\0<3>cut short"s));
        } // the client goes away mid-message
        std::string const want = "0: ?: user.notice: hello\n0: ?: authpriv.info: auth\n"
                                 "0: ?: kern.err: cut short\n";
        CHECK(h::wait_until([&] { return server.err() == want; }));
        outs[ours ? 0 : 1] = server.err();
        server.signal(SIGTERM);
        server.wait();
    }
    CHECK(outs[0] == outs[1]);
}

TEST_CASE("s6-socklog: no memory is allocated once it serves (strace)", "[syslog]")
{
    if (!h::exists("/usr/bin/strace")) h::skip("strace is not installed");
    h::tempdir td;
    std::string const sock = td / "s", trace = td / "trace";
    h::proc p({"/usr/bin/strace", "-o", trace, "-e", "trace=brk,mmap,munmap,mremap,recvmmsg",
               h::ours("s6-socklog"), "-x", sock},
              td.path());
    REQUIRE(h::wait_until([&] { return h::exists(sock) || !p.running(); }));
    auto const in = sample_datagrams();
    for (int round = 0; round < 20; ++round)
        for (auto const &m : in)
            REQUIRE(send_dgram(sock, m));
    auto lines = [&] {
        std::string const o = p.out();
        return static_cast<std::size_t>(std::count(o.begin(), o.end(), '\n'));
    };
    CHECK(h::wait_until([&] { return lines() == 20 * in.size(); }));
    // SIGTERM to s6-socklog itself, strace's child.
    std::string const kids = h::read_file("/proc/" + std::to_string(p.pid()) + "/task/" +
                                          std::to_string(p.pid()) + "/children");
    REQUIRE(!kids.empty());
    ::kill(std::stoi(kids), SIGTERM);
    CHECK(p.wait() == 0);
    std::string const t = h::read_existing(trace);
    std::size_t const serving = t.find("recvmmsg(");
    REQUIRE(serving != std::string::npos);
    std::string const after = t.substr(serving);
    INFO(after.substr(0, 2000));
    CHECK(after.find("brk(") == std::string::npos);
    CHECK(after.find("mmap(") == std::string::npos);
    CHECK(after.find("mremap(") == std::string::npos);
}

TEST_CASE("envsubst: long input, references across read boundaries, as GNU's", "[syslog][envsubst]")
{
    if (!h::exists("/usr/bin/envsubst")) h::skip("GNU envsubst (gettext-base) is not installed");
    std::string text;
    char const *const pieces[] = {"x$A ", "${B}", " $_u", "${A", " $", "${", "$X1", "\n", "$$"};
    // Under a pipe's 64 KiB both ways (h::run writes all the input first), over 8 KiB reads.
    for (int i = 0; text.size() < 40000; ++i)
        text += pieces[(i * 7 + i / 9) % 9];
    compare_envsubst({}, text);
    compare_envsubst({"$A $X1"}, text);
}

TEST_CASE("envsubst: a stream is substituted as it comes", "[syslog][envsubst]")
{
    h::pipe_pair in, out(O_CLOEXEC | O_NONBLOCK);
    std::string const prog = h::ours("envsubst");
    h::child c([&] {
        ::dup2(in.r.get(), 0);
        ::dup2(out.w.get(), 1);
        ::setenv("A", "alpha", 1);
        ::execl(prog.c_str(), prog.c_str(), (char *)nullptr);
        return 127;
    });
    in.r.reset();
    out.w.reset();
    REQUIRE(h::write_full_fd(in.w.get(), "first $A\nthen $A"));
    std::string got;
    CHECK(h::wait_until([&] {
        got += h::drain(out.r.get());
        return got == "first alpha\nthen ";
    }));
    in.w.reset(); // end of input: the held "$A" may not grow any more
    CHECK(h::wait_until([&] {
        got += h::drain(out.r.get());
        return got == "first alpha\nthen alpha";
    }));
    CHECK(c.exit_code() == 0);
}

TEST_CASE("s6-socklog: a reader that goes away ends it with 111, as stock", "[syslog]")
{
    h::need_stock("s6-socklog");
    for (bool ours : {true, false}) {
        h::tempdir td;
        std::string const sock = td / "s", err = td / "err";
        std::string const prog = ours ? h::ours("s6-socklog") : h::stock("s6-socklog");
        // Its stdout is a pipe whose only reader this process closes at once.
        h::pipe_pair out;
        h::child c([&] {
            int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(e, 2);
            ::dup2(out.w.get(), 1);
            ::execl(prog.c_str(), prog.c_str(), "-x", sock.c_str(), (char *)nullptr);
            return 127;
        });
        out.r.reset();
        out.w.reset();
        REQUIRE(h::wait_until([&] { return h::exists(sock); }));
        REQUIRE(send_dgram(sock, "<13>nobody reads this"));
        CHECK(c.exit_code() == 111);
        CHECK(h::read_file(err) == "s6-socklog: fatal: unable to write to stdout: Broken pipe\n");
    }
}
