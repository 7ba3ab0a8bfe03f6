// The fd-holder: our s6-fdholderd and s6-fdholder-* clients against stock's, every pairing.
#include <catch2/catch.hpp>

#include <csignal>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include <supervise/ipc.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

namespace {

std::string prog(bool ours, std::string const &name) { return ours ? h::ours(name) : h::stock(name); }

// A rules directory letting root do everything (or nothing but connect, with allow_all false).
void make_rules(std::string const &dir, bool allow_all)
{
    h::mkdirs(dir + "/uid/0/env");
    h::write_file(dir + "/uid/0/allow", "");
    if (!allow_all) return;
    h::write_file(dir + "/uid/0/env/S6_FDHOLDER_STORE_REGEX", ".*\n");
    h::write_file(dir + "/uid/0/env/S6_FDHOLDER_RETRIEVE_REGEX", ".*\n");
    for (auto v : {"LIST", "GETDUMP", "SETDUMP"})
        h::write_file(dir + "/uid/0/env/S6_FDHOLDER_" + std::string(v), "1\n");
}

struct holder {
    std::string sock;
    h::proc p;
    holder(bool ours, h::tempdir const &d, std::string const &name, bool allow_all = true)
        : sock(d.path() + "/" + name),
          p({prog(ours, "s6-fdholder-daemon"), "-i", d.path() + "/rules-" + name, sock},
            (h::mkdirs(d.path() + "/log-" + name), make_rules(d.path() + "/rules-" + name, allow_all),
             d.path() + "/log-" + name))
    {
        REQUIRE(h::wait_until([&] { return h::unix_listening(sock); }, 5000));
    }
};

// Runs s6-fdholder-store with fd 3 the write end of the test's pipe w.
h::result store_pipe_end(bool ours, std::string const &sock, std::string const &id, int w,
                         std::string const &extra = "")
{
    std::string const cmd = "exec " + prog(ours, "s6-fdholder-store") + " " + extra + " -d 3 " +
                            sock + " " + id + " 3>/proc/" + std::to_string(getpid()) + "/fd/" +
                            std::to_string(w);
    return h::run({"/bin/sh", "-c", cmd});
}

h::result client(bool ours, std::string const &tool, std::vector<std::string> args)
{
    args.insert(args.begin(), prog(ours, tool));
    return h::run(args);
}

} // namespace

TEST_CASE("fdholder: store, retrieve, list, delete in every pairing", "[fdholder]")
{
    h::need_stock("s6-fdholderd");
    for (bool ours_daemon : {true, false}) {
        for (bool ours_client : {true, false}) {
            INFO("our daemon " << ours_daemon << ", our clients " << ours_client);
            h::tempdir d;
            holder dm(ours_daemon, d, "s");
            h::pipe_pair p(O_CLOEXEC | O_NONBLOCK);
            REQUIRE(store_pipe_end(ours_client, dm.sock, "pipe:one", p.w.get()).code == 0);
            auto again = store_pipe_end(ours_client, dm.sock, "pipe:one", p.w.get());
            CHECK(again.code == 1);
            CHECK(again.err == "s6-fdholder-store: fatal: unable to store fd: Device or resource busy\n");
            auto l = client(ours_client, "s6-fdholder-list", {dm.sock});
            CHECK(l.code == 0);
            CHECK(l.out == "pipe:one\n");
            // The same pipe: what the retrieved fd writes comes out of our read end.
            auto r = client(ours_client, "s6-fdholder-retrieve",
                            {dm.sock, "pipe:one", "/bin/sh", "-c", "echo same-pipe >&0"});
            CHECK(r.code == 0);
            REQUIRE(h::wait_readable(p.r.get(), sv::mono_ms() + 5000));
            char buf[64];
            CHECK(std::string(buf, std::max<ssize_t>(0, read(p.r.get(), buf, sizeof buf))) ==
                  "same-pipe\n");
            r = client(ours_client, "s6-fdholder-retrieve", {dm.sock, "nope", "true"});
            CHECK(r.code == 1);
            CHECK(r.err == "s6-fdholder-retrieve: fatal: unable to retrieve fd for id nope: No "
                           "such file or directory\n");
            CHECK(client(ours_client, "s6-fdholder-delete", {dm.sock, "pipe:one"}).code == 0);
            auto del = client(ours_client, "s6-fdholder-delete", {dm.sock, "pipe:one"});
            CHECK(del.code == 1);
            CHECK(del.err == "s6-fdholder-delete: fatal: unable to delete fd for id " + dm.sock +
                                 ": No such file or directory\n");
            CHECK(client(ours_client, "s6-fdholder-list", {dm.sock}).out.empty());
            // An fd with a limit goes away by itself.
            REQUIRE(store_pipe_end(ours_client, dm.sock, "short", p.w.get(), "-T 200").code == 0);
            CHECK(h::wait_until(
                [&] { return client(ours_client, "s6-fdholder-list", {dm.sock}).out.empty(); },
                5000));
        }
    }
}

TEST_CASE("fdholder: dumps move between a stock and an our daemon", "[fdholder]")
{
    h::need_stock("s6-fdholderd");
    for (bool ours_client : {true, false}) {
        h::tempdir d;
        holder from(false, d, "from"), to(true, d, "to"), back(false, d, "back");
        h::pipe_pair p(O_CLOEXEC | O_NONBLOCK);
        REQUIRE(store_pipe_end(true, from.sock, "a", p.w.get()).code == 0);
        REQUIRE(store_pipe_end(true, from.sock, "bb", p.w.get(), "-T 100000").code == 0);
        auto g1 = client(false, "s6-fdholder-getdump", {from.sock, "env"});
        auto g2 = client(true, "s6-fdholder-getdump", {from.sock, "env"});
        CHECK(g1.code == 0);
        CHECK(g2.code == 0);
        auto vars = [](std::string const &env) {
            std::string out;
            for (std::size_t i = 0; i < env.size();) {
                std::size_t e = env.find('\n', i);
                std::string line = env.substr(i, e - i);
                if (line.rfind("S6_FD", 0) == 0) out += line + "\n";
                i = e == env.npos ? env.size() : e + 1;
            }
            return out;
        };
        CHECK(vars(g1.out) == vars(g2.out));
        REQUIRE(client(ours_client, "s6-fdholder-transferdump", {from.sock, to.sock}).code == 0);
        CHECK(client(true, "s6-fdholder-list", {to.sock}).out ==
              client(false, "s6-fdholder-list", {from.sock}).out);
        REQUIRE(client(ours_client, "s6-fdholder-getdump",
                       {to.sock, prog(ours_client, "s6-fdholder-setdump"), back.sock})
                    .code == 0);
        CHECK(client(false, "s6-fdholder-list", {back.sock}).out ==
              client(false, "s6-fdholder-list", {from.sock}).out);
        auto r = client(ours_client, "s6-fdholder-retrieve",
                        {back.sock, "bb", "/bin/sh", "-c", "echo dumped >&0"});
        CHECK(r.code == 0);
        REQUIRE(h::wait_readable(p.r.get(), sv::mono_ms() + 5000));
        char buf[64];
        CHECK(std::string(buf, std::max<ssize_t>(0, read(p.r.get(), buf, sizeof buf))) ==
              "dumped\n");
    }
}

TEST_CASE("fdholder: rules that deny, as stock denies", "[fdholder]")
{
    h::need_stock("s6-fdholderd");
    for (bool ours_daemon : {true, false}) {
        h::tempdir d;
        holder dm(ours_daemon, d, "s", false);
        h::pipe_pair p;
        auto s = store_pipe_end(true, dm.sock, "x", p.w.get());
        CHECK(s.code == 1);
        CHECK(s.err == "s6-fdholder-store: fatal: unable to store fd: Operation not permitted\n");
        for (auto const &[tool, args] :
             std::vector<std::pair<std::string, std::vector<std::string>>>{
                 {"s6-fdholder-retrieve", {dm.sock, "x", "true"}},
                 {"s6-fdholder-delete", {dm.sock, "x"}},
                 {"s6-fdholder-list", {dm.sock}},
                 {"s6-fdholder-getdump", {dm.sock, "true"}}}) {
            auto o = client(true, tool, args), st = client(false, tool, args);
            CHECK(o.code == 1);
            h::check_same(o, st);
        }
    }
}

TEST_CASE("fdholder: our daemon survives bad clients, fds flat, no zombies", "[fdholder]")
{
    h::tempdir d;
    holder dm(true, d, "s");
    h::pipe_pair p;
    REQUIRE(store_pipe_end(true, dm.sock, "keep", p.w.get()).code == 0);
    // The daemon runs under the socketbinder's exec: its pid is the proc's.
    pid_t const pid = dm.p.pid();
    int const fds_before = h::count_fds(pid);
    std::vector<std::string> bad = {
        std::string("\0\0\0\x01\0\0Z", 7),              // unknown op
        std::string("\0\0\0\x05\0\0D\x09" "ab\0", 10),   // malformed delete
        std::string("\0\0\0\x10\0\0L", 7),              // truncated: announced 16, sent 1
        std::string("\0\0\0\x01\0\x03L", 7),            // fds announced that never come
        std::string("\xff\xff\xff\xff\0\0", 6),         // too large
    };
    for (int round = 0; round < 40; round++) {
        for (auto const &b : bad) {
            sv::unique_fd s{sv::ipc_connect_until(dm.sock.c_str(), sv::mono_ms() + 5000)};
            REQUIRE(s);
            CHECK(::send(s.get(), b.data(), b.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(b.size()));
        }
    }
    CHECK(client(true, "s6-fdholder-list", {dm.sock}).out == "keep\n");
    CHECK(h::wait_until([&] { return h::count_fds(pid) == fds_before; }, 5000));
    CHECK(h::count_zombies_of(pid) == 0);
    // SIGTERM with an fd held: exit 1.
    dm.p.signal(SIGTERM);
    CHECK(dm.p.wait(5000) == 1);
}
