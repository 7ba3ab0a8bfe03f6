// Integration tests for the logging chain: s6-log, s6-tai64n, s6-tai64nlocal, logutil-service
// and logutil-newfifo.  s6-log runs on real logdirs: rotation and trimming, a processor on
// 100 000 lines, selection, SIGALRM, SIGTERM draining, a full disk (a small tmpfs), a held
// lock.  Wherever the result is deterministic, ours is compared with stock s6 2.11.3.2 on the
// same script and input; timestamps are masked, and rotations are made deterministic by
// feeding one line at a time and waiting until it is on disk.
#include "harness.hh"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <regex>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using strings = std::vector<std::string>;

// Writing input to a program that has already exited must not kill the test runner: SIGPIPE
// is blocked here (the harness gives children an empty signal mask, so they are unaffected;
// an ignored disposition would be inherited).
void block_sigpipe()
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    sigprocmask(SIG_BLOCK, &s, nullptr);
}

h::run_opts ro(std::string const &input, std::string const &cwd = "", strings const &env = {})
{
    block_sigpipe();
    h::run_opts o;
    o.input = input;
    o.cwd = cwd;
    o.env = env;
    return o;
}

std::vector<std::string> both()
{
    return {h::stock("s6-log"), h::ours("s6-log")};
}

strings names_in(std::string const &dir)
{
    strings v;
    if (DIR *d = opendir(dir.c_str())) {
        while (dirent *e = readdir(d))
            if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) v.push_back(e->d_name);
        closedir(d);
    }
    std::sort(v.begin(), v.end());
    return v;
}

bool is_archive(std::string const &n)
{
    static std::regex const re("@[0-9a-f]{24}\\.[su]");
    return std::regex_match(n, re);
}

strings archives(std::string const &dir)
{
    strings v;
    for (auto &n : names_in(dir))
        if (is_archive(n)) v.push_back(n);
    return v;
}

// Every archive in name (= time) order, then current.
std::string all_logs(std::string const &dir)
{
    std::string s;
    for (auto &n : archives(dir))
        s += h::read_file(dir + "/" + n);
    return s + h::read_file(dir + "/current");
}

// The files of a logdir with archive names replaced by their kind and rank.
strings shape(std::string const &dir)
{
    strings v;
    int i = 0;
    for (auto &n : names_in(dir))
        v.push_back(is_archive(n) ? "@" + std::to_string(i++) + n.substr(25) : n);
    return v;
}

off_t size_of(std::string const &p)
{
    struct stat st;
    return stat(p.c_str(), &st) < 0 ? -1 : st.st_size;
}

std::string numbered_lines(int n, std::string const &tag = "line")
{
    std::string s;
    for (int i = 0; i < n; i++) {
        s += tag + " " + std::to_string(i) + " ";
        s.append(static_cast<std::size_t>(i * 7 % 53), static_cast<char>('a' + i % 26));
        s += '\n';
    }
    return s;
}

// An s6-log (or any filter) with a pipe on its stdin; stdout and stderr go to files.  Killed
// and reaped on destruction if still running.
class feeder
{
public:
    feeder(strings const &argv, std::string const &dir, std::string const &cwd)
        : out_(dir + "/feeder.out"), err_(dir + "/feeder.err")
    {
        block_sigpipe();
        int p[2];
        REQUIRE(pipe2(p, O_CLOEXEC) == 0);
        std::vector<char *> args;
        for (auto &a : argv)
            args.push_back(const_cast<char *>(a.c_str()));
        args.push_back(nullptr);
        pid_ = fork();
        REQUIRE(pid_ >= 0);
        if (!pid_) {
            dup2(p[0], 0);
            int o = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            int e = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(o, 1);
            dup2(e, 2);
            if (chdir(cwd.c_str()) < 0) _exit(121);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, nullptr);
            close_range(3, ~0U, 0);
            execv(args[0], args.data());
            _exit(127);
        }
        close(p[0]);
        in_ = p[1];
    }
    feeder(feeder const &) = delete;
    feeder &operator=(feeder const &) = delete;
    ~feeder()
    {
        close_input();
        if (code_ < 0) {
            kill(pid_, SIGKILL);
            int w;
            waitpid(pid_, &w, 0);
        }
    }
    void send(std::string const &s) { REQUIRE(h::write_full_fd(in_, s)); }
    void close_input()
    {
        if (in_ >= 0) close(in_);
        in_ = -1;
    }
    void signal(int sig) { kill(pid_, sig); }
    int input_fd() const { return in_; }
    // The exit code (128 + signal), or -1 if still running at the deadline.
    int wait(int timeout_ms = 10000)
    {
        h::wait_until(
            [&] {
                int w;
                if (code_ < 0 && waitpid(pid_, &w, WNOHANG) == pid_)
                    code_ = WIFEXITED(w) ? WEXITSTATUS(w) : 128 + WTERMSIG(w);
                return code_ >= 0;
            },
            timeout_ms);
        return code_;
    }
    bool running()
    {
        wait(0);
        return code_ < 0;
    }
    std::string err() const { return h::read_file(err_); }
    std::string out() const { return h::read_file(out_); }

private:
    pid_t pid_ = -1;
    int in_ = -1, code_ = -1;
    std::string out_, err_;
};

// Runs s6-log once over input (all at once) in cwd.
h::result log_once(std::string const &bin, strings const &script, std::string const &input,
                   std::string const &cwd, int timeout_ms = 20000)
{
    strings argv{bin};
    argv.insert(argv.end(), script.begin(), script.end());
    h::run_opts o = ro(input, cwd);
    o.timeout_ms = timeout_ms;
    return h::run(argv, o);
}

// Sum of the sizes of current and the archives, once no rotation is half done.
off_t logged_bytes(std::string const &dir)
{
    if (h::exists(dir + "/previous")) return -1;
    off_t total = std::max<off_t>(size_of(dir + "/current"), 0);
    for (auto &n : archives(dir))
        total += size_of(dir + "/" + n);
    return total;
}

// Feeds lines one at a time, each only once the previous one is on disk, so that the
// rotations do not depend on how the input happens to be chunked.
void feed_synchronously(std::string const &bin, strings const &script, std::string const &cwd,
                        std::string const &dir, std::string const &input)
{
    strings argv{bin};
    argv.insert(argv.end(), script.begin(), script.end());
    feeder f(argv, cwd, cwd);
    off_t expect = 0;
    std::size_t pos = 0;
    while (pos < input.size()) {
        std::size_t nl = input.find('\n', pos);
        std::string line = input.substr(pos, nl - pos + 1);
        pos = nl + 1;
        f.send(line);
        expect += static_cast<off_t>(line.size());
        INFO(bin << " stderr: " << f.err());
        REQUIRE(h::wait_until([&] { return logged_bytes(dir) == expect; }, 5000));
    }
    f.close_input();
    REQUIRE(f.wait() == 0);
}

} // namespace

TEST_CASE("s6-log: rotation makes @….s archives and keeps at most n", "[log]")
{
    for (auto const &bin : both()) {
        INFO(bin);
        h::tempdir t;
        std::string input = numbered_lines(2000);
        auto r = log_once(bin, {"n3", "s4096", "./d"}, input, t.path());
        REQUIRE(r.code == 0);
        CHECK(r.err.empty());
        auto a = archives(t / "d");
        REQUIRE(a.size() == 3);
        for (auto &n : a) {
            CHECK(n.back() == 's');
            CHECK((h::mode_of(t / ("d/" + n)) & 07777) == 0744);
        }
        // What is kept is the tail of the input, in order.
        std::string kept = all_logs(t / "d");
        REQUIRE(kept.size() < input.size());
        CHECK(input.compare(input.size() - kept.size(), kept.size(), kept) == 0);
        CHECK((h::mode_of(t / "d/current") & 07777) == 0744); // finalized cleanly
        CHECK((h::mode_of(t / "d") & 07777) == 0700);
        CHECK(h::exists(t / "d/lock"));
        CHECK(h::exists(t / "d/state"));
    }
    // n0 keeps no archive; S bounds the total size.
    for (auto const &bin : both()) {
        h::tempdir t;
        REQUIRE(log_once(bin, {"n0", "s4096", "./d"}, numbered_lines(500), t.path()).code == 0);
        CHECK(archives(t / "d").empty());
    }
    h::tempdir t;
    REQUIRE(log_once(h::ours("s6-log"), {"s4096", "S5000", "./d"}, numbered_lines(300), t.path())
                .code == 0);
    auto a = archives(t / "d");
    CHECK(a.size() == 2); // our archives end at the first line past s - l: about 2100 bytes
    off_t total = 0;
    for (auto &n : a)
        total += size_of(t / ("d/" + n));
    CHECK(total <= 5000);
}

TEST_CASE("s6-log: 100 000 lines through a processor and a tiny s, each exactly once",
          "[log][scale]")
{
    h::tempdir t;
    std::string input = numbered_lines(100000, "L");
    std::string upper = input;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](char c) { return c >= 'a' && c <= 'z' ? c - 32 : c; });
    auto r = log_once(h::ours("s6-log"), {"-b", "n100000", "s32768", "?tr a-z A-Z", "./d"}, input,
                      t.path(), 50000);
    INFO(r.err);
    REQUIRE(r.code == 0);
    auto a = archives(t / "d");
    CHECK(a.size() > 50);
    // Archives are processed (upper case); current is not processed yet.
    std::string got;
    for (auto &n : a)
        got += h::read_file(t / ("d/" + n));
    std::string cur = h::read_file(t / "d/current");
    REQUIRE(got.size() + cur.size() == input.size());
    CHECK(got == upper.substr(0, got.size()));
    CHECK(cur == input.substr(got.size()));
    CHECK_FALSE(h::exists(t / "d/previous"));
    CHECK_FALSE(h::exists(t / "d/processed"));
}

TEST_CASE("s6-log: processors get previous, processed, state on 4 and newstate on 5", "[log]")
{
    h::tempdir t;
    std::string input = numbered_lines(400);
    auto r = log_once(
        h::ours("s6-log"),
        {"s4096", "?tr a-z A-Z; echo \"[state was: $(cat <&4)]\"; echo \"STATE-$$\" >&5", "./d"},
        input, t.path());
    INFO(r.err);
    REQUIRE(r.code == 0);
    auto a = archives(t / "d");
    REQUIRE(a.size() >= 2);
    std::string first = h::read_file(t / ("d/" + a[0])), second = h::read_file(t / ("d/" + a[1]));
    CHECK(first.find("[state was: ]") != std::string::npos);
    CHECK(second.find("[state was: STATE-") != std::string::npos);
    CHECK(h::read_file(t / "d/state").rfind("STATE-", 0) == 0);
    // "!" runs execlineb; a failing processor is retried after r ms until it succeeds.
    h::tempdir u;
    h::write_file(u / "fail-once", "");
    r = log_once(
        h::ours("s6-log"),
        {"r50", "s4096", "?if [ -e ../fail-once ]; then rm ../fail-once; exit 3; fi; cat", "./d"},
        numbered_lines(200), u.path());
    REQUIRE(r.code == 0);
    CHECK(r.err.find("s6-log: warning: processor failed in ./d") != std::string::npos);
    CHECK(all_logs(u / "d") == numbered_lines(200));
}

TEST_CASE("s6-log: selection directives, groups and actions match stock", "[log]")
{
    std::string input = "foo one\nbar two\nfatal: something bad happened here\nSTAT ok\nplain\n";
    strings script = {"E10",    "-", "+foo", "./a",    "f",   "./b", "-",    "+^ba", "1",
                      "+fatal", "2", "-",    "+^STAT", "^20", "=st", "pPFX", "f",    "./c"};
    std::vector<std::string> results;
    for (auto const &bin : both()) {
        h::tempdir t;
        auto r = log_once(bin, script, input, t.path());
        REQUIRE(r.code == 0);
        std::string all = "out:" + r.out + "err:" + r.err;
        for (auto d : {"a", "b", "c"})
            all += std::string(d) + ":" + h::read_file(t / (std::string(d) + "/current"));
        all += "st:" + h::read_file(t / "st");
        results.push_back(all);
    }
    CHECK(results[0] == results[1]);
    CHECK(results[1].find("a:foo one\nb:") != std::string::npos);
    CHECK(results[1].find("s6-log: alert: fatal: som...\n") != std::string::npos);
}

TEST_CASE("s6-log: stamps, prefixes, line limits and NUL bytes match stock", "[log]")
{
    std::string input =
        "abc\n" + std::string(100, 'x') + "\nab" + std::string(1, '\0') + "cd\n\nlast\n";
    strings script = {"t", "1", "T", "pP:", "1", "t", "T", "2", "./d", "t", "^60", "=st"};
    std::vector<std::string> results;
    for (auto const &bin : both()) {
        h::tempdir t;
        strings argv = {"-l", "48"};
        argv.insert(argv.end(), script.begin(), script.end());
        auto r = log_once(bin, argv, input, t.path());
        REQUIRE(r.code == 0);
        results.push_back(h::mask_stamps(r.out + "|" + r.err + "|" + h::read_file(t / "d/current") + "|" +
                               h::read_file(t / "st")));
    }
    CHECK(results[0] == results[1]);
    CHECK(results[1].find("@TAI abc\n") != std::string::npos);
    CHECK(results[1].find("@TAI ISO  P: abc\n") != std::string::npos);
}

TEST_CASE("s6-log: an unterminated last line is kept at EOF (2.11.3.2 drops it)", "[log]")
{
    h::tempdir t;
    auto r = log_once(h::ours("s6-log"), {"1", "./d"}, "full\npartial", t.path());
    CHECK(r.code == 0);
    CHECK(r.out == "full\npartial\n");
    CHECK(h::read_file(t / "d/current") == "full\npartial\n");
    r = log_once(h::stock("s6-log"), {"1"}, "full\npartial", t.path());
    CHECK(r.out == "full\n");
}

TEST_CASE("s6-log: script errors and usage give stock's messages and codes", "[log]")
{
    std::vector<strings> cases = {
        {},
        {"-x", "1"},
        {"-l", "x", "1"},
        {"-d", "2", "1"},
        {"-d", "7", "1"},
        {"x"},
        {"N5", "1"},
        {"tt", "1"},
        {"1x"},
        {"fx", "1"},
        {"="},
        {"n5"},
        {"E", "1"},
        {"S-1", "1"},
        {"n99999999999", "1"},
        {"+(", "1"},
        {"l60000", "1"},
        {"s10000", "l5001", "1"},
        {"1", "+a"},
        {"1", "n5"},
        {"-q", "1", "+a"},
    };
    for (auto const &c : cases) {
        std::vector<std::pair<int, std::string>> res;
        for (auto const &bin : both()) {
            h::tempdir t;
            auto r = log_once(bin, c, "hi\n", t.path());
            res.emplace_back(r.code, r.out + "|" + r.err);
        }
        INFO((c.empty() ? std::string("(none)") : c[0]));
        CHECK(res[0] == res[1]);
    }
    // Logdirs before a directive the second pass rejects are created, and left unclean.
    for (auto const &bin : both()) {
        h::tempdir t;
        auto r = log_once(bin, {"./a", "nq", "./b"}, "hi\n", t.path());
        CHECK(r.code == 100);
        CHECK(names_in(t / "a") == strings{"current", "lock", "state"});
        CHECK((h::mode_of(t / "a/current") & 07777) == 0644);
        CHECK_FALSE(h::exists(t / "b"));
        r = log_once(bin, {"./c", "x"}, "hi\n", t.path());
        CHECK(r.code == 100);
        CHECK_FALSE(h::exists(t / "c"));
    }
}

TEST_CASE("s6-log: rotations and archives are the same as stock's, line by line", "[log]")
{
    std::string input = numbered_lines(400);
    std::vector<strings> shapes;
    std::vector<strings> contents;
    for (auto const &bin : both()) {
        h::tempdir t;
        feed_synchronously(bin, {"n100", "s4096", "l1000", "./d"}, t.path(), t / "d", input);
        shapes.push_back(shape(t / "d"));
        strings c;
        for (auto &n : archives(t / "d"))
            c.push_back(h::read_file(t / ("d/" + n)));
        c.push_back(h::read_file(t / "d/current"));
        contents.push_back(c);
        CHECK(all_logs(t / "d") == input);
    }
    CHECK(shapes[0] == shapes[1]);
    CHECK(contents[0] == contents[1]);
    CHECK(shapes[1].size() > 6);
}

TEST_CASE("s6-log: an unclean logdir is recovered as stock recovers it", "[log]")
{
    std::vector<strings> shapes;
    std::vector<std::string> logs;
    for (auto const &bin : both()) {
        h::tempdir t;
        h::mkdirs(t / "d");
        h::write_file(t / "d/current", "old current\n", 0644); // no u+x: the last run crashed
        h::write_file(t / "d/state", "st\n", 0644);
        REQUIRE(log_once(bin, {"./d"}, "new\n", t.path()).code == 0);
        shapes.push_back(shape(t / "d"));
        logs.push_back(all_logs(t / "d"));
        for (auto &n : archives(t / "d"))
            CHECK(n.back() == 'u');
        CHECK(h::read_file(t / "d/state").empty());
        // A clean current is appended to.
        REQUIRE(log_once(bin, {"./d"}, "more\n", t.path()).code == 0);
        CHECK(h::read_file(t / "d/current") == "new\nmore\n");
    }
    CHECK(shapes[0] == shapes[1]);
    CHECK(logs[0] == logs[1]);
    CHECK(logs[1] == "old current\nnew\n");
    // An interrupted rotation: previous and current both become .u archives.  (Stock 2.11.3.2
    // gives both the same name here and dies with "File exists" until restarted.)
    h::tempdir t;
    h::mkdirs(t / "d");
    h::write_file(t / "d/current", "old current\n", 0644);
    h::write_file(t / "d/previous", "old previous\n", 0744);
    h::write_file(t / "d/processed", "half processed\n", 0644); // not finished: dropped
    REQUIRE(log_once(h::ours("s6-log"), {"./d"}, "new\n", t.path()).code == 0);
    CHECK(all_logs(t / "d") == "old previous\nold current\nnew\n");
    CHECK(archives(t / "d").size() == 2);
    CHECK_FALSE(h::exists(t / "d/processed"));
    // A finished processor output (u+x) is archived as .s and previous dropped.
    h::tempdir u;
    h::mkdirs(u / "d");
    h::write_file(u / "d/previous", "raw\n", 0744);
    h::write_file(u / "d/processed", "PROCESSED\n", 0744);
    REQUIRE(log_once(h::ours("s6-log"), {"./d"}, "", u.path()).code == 0);
    auto a = archives(u / "d");
    REQUIRE(a.size() == 1);
    CHECK(a[0].back() == 's');
    CHECK(all_logs(u / "d") == "PROCESSED\n");
}

TEST_CASE("s6-log: SIGALRM rotates a non-empty current, and only that", "[log]")
{
    for (auto const &bin : both()) {
        INFO(bin);
        h::tempdir t;
        feeder f({bin, "./d"}, t.path(), t.path());
        f.send("one\ntwo\n");
        REQUIRE(h::wait_until([&] { return h::read_file(t / "d/current") == "one\ntwo\n"; }));
        f.signal(SIGALRM);
        REQUIRE(h::wait_until(
            [&] { return archives(t / "d").size() == 1 && size_of(t / "d/current") == 0; }));
        CHECK(h::read_file(t / ("d/" + archives(t / "d")[0])) == "one\ntwo\n");
        f.signal(SIGALRM); // empty current: nothing happens
        f.send("three\n");
        REQUIRE(h::wait_until([&] { return h::read_file(t / "d/current") == "three\n"; }));
        CHECK(archives(t / "d").size() == 1);
        f.close_input();
        CHECK(f.wait() == 0);
    }
}

TEST_CASE("s6-log: SIGTERM finishes the line in progress; -p ignores it; SIGHUP does not", "[log]")
{
    for (auto const &bin : both()) {
        INFO(bin);
        h::tempdir t;
        {
            feeder f({bin, "1"}, t.path(), t.path());
            f.send("first\nabc");
            REQUIRE(h::wait_until([&] { return f.out() == "first\n"; }));
            f.signal(SIGTERM);
            f.send("def\nghi\n");
            CHECK(f.wait() == 0);
            CHECK(f.out() == "first\nabcdef\n");
        }
        {
            feeder f({bin, "-p", "1"}, t.path(), t.path());
            f.send("a\n");
            REQUIRE(h::wait_until([&] { return f.out() == "a\n"; }));
            f.signal(SIGTERM);
            f.send("b\n");
            REQUIRE(h::wait_until([&] { return f.out() == "a\nb\n"; }));
            CHECK(f.running());
            f.signal(SIGHUP);
            CHECK(f.wait() == 0);
        }
    }
}

TEST_CASE("s6-log: -d notifies readiness once the logdirs are set up", "[log]")
{
    for (auto const &bin : both()) {
        h::tempdir t;
        auto r = h::run(
            {"/bin/sh", "-c", "exec 3>&1; echo hi | \"$0\" -d 3 ./d 3>&1 >/dev/null; ls d", bin},
            ro("", t.path()));
        CHECK(r.code == 0);
        CHECK(r.out == "\ncurrent\nlock\nstate\n");
    }
}

TEST_CASE("s6-log: a lock held by another s6-log is exit 111, whichever holds it", "[log]")
{
    for (auto const &holder : both()) {
        h::tempdir t;
        feeder f({holder, "./d"}, t.path(), t.path());
        REQUIRE(h::wait_until([&] { return h::exists(t / "d/current"); }));
        for (auto const &bin : both()) {
            auto r = log_once(bin, {"./d"}, "x\n", t.path());
            CHECK(r.code == 111);
            CHECK(r.err == "s6-log: fatal: unable to lock ./d/lock: Device or resource busy\n");
        }
        f.close_input();
        CHECK(f.wait() == 0);
    }
    for (auto const &bin : both()) {
        h::tempdir t;
        auto r = log_once(bin, {"./nonexistent/d"}, "x\n", t.path());
        CHECK(r.code == 111);
        CHECK(r.err ==
              "s6-log: fatal: unable to mkdir ./nonexistent/d: No such file or directory\n");
    }
}

TEST_CASE("s6-log: a full disk loses nothing once space comes back", "[log][faults]")
{
    h::tempdir t;
    h::small_fs fs(t / "mnt", "256k");
    if (!fs.ok()) h::skip("cannot mount a tmpfs (needs root)");
    // Leave about 24 KiB free, then send 100 KiB.
    {
        std::string filler(232 * 1024, 'z');
        h::write_file(t / "mnt/filler", filler);
    }
    std::string input = numbered_lines(2500);
    REQUIRE(input.size() > 60000);
    feeder f({h::ours("s6-log"), "r50", "n100", "s30000", "./mnt/d"}, t.path(), t.path());
    f.send(input);
    f.close_input();
    REQUIRE(h::wait_until(
        [&] { return f.err().find("No space left on device") != std::string::npos; }));
    CHECK(f.err().find(
              "s6-log: warning: unable to write to ./mnt/d/current: No space left on device") !=
          std::string::npos);
    CHECK(f.running()); // does not exit with data pending
    REQUIRE(unlink((t / "mnt/filler").c_str()) == 0);
    CHECK(f.wait(10000) == 0);
    CHECK(all_logs(t / "mnt/d") == input);
}

TEST_CASE("s6-log: a stuck logdir holds stdin back once its buffer is full; nothing is lost",
          "[log]")
{
    // Ours only: stock s6-log 2.11.3.2 reads on and grows its memory without bound.  The
    // processor waits for ./go, so the first rotation (about 100 kB in) stops ./d.
    h::tempdir t;
    feeder f({h::ours("s6-log"), "?while [ ! -e ../go ]; do sleep 0.01; done; cat", "s100000",
              "n1000", "./d"},
             t.path(), t.path());
    std::string input = numbered_lines(110000); // about 4 MB
    int fd = f.input_fd();
    REQUIRE(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
    auto unread = [&] {
        int n = -1;
        ioctl(fd, FIONREAD, &n);
        return n;
    };
    // Push until the logger takes no more for a second.
    std::size_t sent = 0;
    auto taken = [&] { return sent - static_cast<std::size_t>(unread()); };
    for (;;) {
        for (ssize_t w; sent < input.size(); sent += static_cast<std::size_t>(w))
            if ((w = write(fd, input.data() + sent, input.size() - sent)) <= 0) break;
        if (sent == input.size()) break;
        std::size_t before = taken();
        if (!h::wait_until([&] { return taken() > before; }, 1000)) break;
    }
    CHECK(sent < input.size());
    // What it took: the current that rotated, its 512 KiB queue, its 256 KiB stdin buffer.
    CHECK(taken() <= 100000 + 512 * 1024 + 256 * 1024);
    CHECK(f.running());
    h::write_file(t / "go", "");
    REQUIRE(fcntl(fd, F_SETFL, 0) == 0);
    f.send(input.substr(sent));
    f.close_input();
    REQUIRE(f.wait(60000) == 0);
    CHECK(all_logs(t / "d") == input);
    CHECK(f.err().empty());
}

TEST_CASE("s6-tai64n and s6-tai64nlocal: each reads the other's stamps", "[log]")
{
    std::string input = "hello\nworld\nno newline";
    for (auto const &stamper : {h::stock("s6-tai64n"), h::ours("s6-tai64n")}) {
        time_t before = time(nullptr);
        auto r = h::run({stamper}, ro(input));
        REQUIRE(r.code == 0);
        CHECK(h::mask_stamps(r.out) == "@TAI hello\n@TAI world\n@TAI no newline\n");
        std::vector<std::string> local;
        for (auto const &reader : {h::stock("s6-tai64nlocal"), h::ours("s6-tai64nlocal")}) {
            auto l = h::run({reader, "-g"}, ro(r.out));
            REQUIRE(l.code == 0);
            local.push_back(l.out);
        }
        CHECK(local[0] == local[1]);
        // The stamp is now, in UTC.
        char when[32];
        std::tm tm{};
        gmtime_r(&before, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:", &tm);
        CHECK(local[1].rfind(when, 0) == 0);
        CHECK(h::mask_stamps(local[1]) == "ISO hello\nISO world\nISO no newline\n");
    }
    // Odd and partial labels, time zones, the 25-byte rule, upper case, the final line.
    std::string odd =
        "@400000000000000000000000 a\n@400000000000000a00000000 b\n@7fffffffffffffff00000000 d\n"
        "@400000003b9aca003b9ac9ff f\n@40000000436629e700000000 g\n@400000006b046de039904fe9\n"
        "@400000006b046de039904fe9x\n@400000006B046DE039904FE9 hi\n@4000zz hi\n\nplain\n"
        "@400000006b046de039904fe9";
    for (std::string tz : {"UTC", "Europe/Paris", "America/New_York"}) {
        for (strings opt : {strings{}, strings{"-g"}}) {
            std::vector<std::string> res;
            for (auto const &reader : {h::stock("s6-tai64nlocal"), h::ours("s6-tai64nlocal")}) {
                strings argv{reader};
                argv.insert(argv.end(), opt.begin(), opt.end());
                auto l = h::run(argv, ro(odd, "", {"TZ=" + tz}));
                res.push_back(std::to_string(l.code) + l.out);
            }
            INFO(tz);
            CHECK(res[0] == res[1]);
        }
    }
    auto u = h::run({h::ours("s6-tai64nlocal"), "-x"});
    CHECK(u.code == 100);
    CHECK(u.err == "s6-tai64nlocal: usage: s6-tai64nlocal [ -g ]\n");
}

TEST_CASE("logutil-service: s6-log -bp as nobody on a FIFO, script from S6_LOGGING_SCRIPT", "[log]")
{
    CHECK(h::run({h::ours("logutil-service")}).code == 1);
    h::need_root("logutil-service's privilege drop");
    h::tempdir t;
    REQUIRE(chmod(t.path().c_str(), 0777) == 0);
    auto nf = h::run({h::ours("logutil-newfifo"), "-m", "0620", "-o", "nobody", t / "fifo"});
    REQUIRE(nf.code == 0);
    struct stat st;
    REQUIRE(stat((t / "fifo").c_str(), &st) == 0);
    CHECK(S_ISFIFO(st.st_mode));
    CHECK((st.st_mode & 07777) == 0620);
    uid_t nobody = st.st_uid;
    CHECK(nobody != 0);
    // Recreating replaces whatever is there.
    CHECK(h::run({h::ours("logutil-newfifo"), t / "fifo"}).code == 0);
    REQUIRE(stat((t / "fifo").c_str(), &st) == 0);
    CHECK((st.st_uid == 0 && (st.st_mode & 07777) == 0600));
    CHECK(h::run({h::ours("logutil-newfifo"), "-o", "no-such-user-here", t / "f2"}).code == 1);
    CHECK(h::run({h::ours("logutil-newfifo")}).code == 1);

    // The logger: reads the FIFO, runs as nobody with "t" from the environment.
    h::proc p({h::ours("logutil-service"), "-f", t / "fifo", t / "log"}, t.path());
    REQUIRE(h::wait_until([&] { return h::exists(t / "log/current"); }));
    {
        int w = open((t / "fifo").c_str(), O_WRONLY | O_CLOEXEC);
        REQUIRE(w >= 0);
        REQUIRE(h::write_full_fd(w, "through the fifo\n"));
        close(w); // EOF: the logger finishes
    }
    CHECK(p.wait() == 0);
    std::string cur = h::read_file(t / "log/current");
    CHECK(h::mask_stamps(cur) == "ISO  through the fifo\n"); // the default script stamps with T
    REQUIRE(stat((t / "log/current").c_str(), &st) == 0);
    CHECK(st.st_uid == nobody);
    CHECK((st.st_mode & 0100) != 0);

    // S6_LOGGING_SCRIPT outside a container; the environment is emptied for s6-log.
    h::tempdir u;
    REQUIRE(chmod(u.path().c_str(), 0777) == 0);
    auto r =
        h::run({h::ours("logutil-service"), u / "log"}, ro("x\n", "", {"S6_LOGGING_SCRIPT=t  n3"}));
    CHECK(r.code == 0);
    CHECK(h::mask_stamps(h::read_file(u / "log/current")) == "@TAI x\n");
}

TEST_CASE("logutil-service: 32768:32768 without nobody; the script from the container env",
          "[log]")
{
    if (geteuid() != 0 || !h::exists("/usr/bin/unshare") ||
        h::run({"/usr/bin/unshare", "-m", "/bin/true"}).code != 0)
        h::skip("cannot create a mount namespace (needs root and /usr/bin/unshare)");
    h::tempdir t;
    REQUIRE(chmod(t.path().c_str(), 0777) == 0);
    h::write_file(t / "passwd", "root:x:0:0:root:/root:/bin/sh\n");
    h::write_file(t / "group", "root:x:0:\n");
    auto r = h::run({"/usr/bin/unshare", "-m", "/bin/sh", "-c",
                     "mount --bind \"$1\" /etc/passwd && mount --bind \"$2\" /etc/group && "
                     "shift 2 && exec \"$@\"",
                     "sh", t / "passwd", t / "group", h::ours("logutil-service"), t / "log"},
                    ro("no nobody\n"));
    INFO(r.err);
    CHECK(r.code == 0);
    struct stat st;
    REQUIRE(stat((t / "log/current").c_str(), &st) == 0);
    CHECK(st.st_uid == 32768);
    CHECK(st.st_gid == 32768);

    // S6_LOGGING_SCRIPT as a file of the container environment.
    h::mkdirs(t / "env");
    h::write_file(t / "env/S6_LOGGING_SCRIPT", "t\tn2\n");
    r = h::run({"/usr/bin/unshare", "-m", "/bin/sh", "-c",
                "mount -t tmpfs tmpfs /run && mkdir -p /run/s6/container_environment && "
                "mount --bind \"$1\" /run/s6/container_environment && shift && exec \"$@\"",
                "sh", t / "env", h::ours("logutil-service"), t / "log2"},
               ro("from the env dir\n", "", {"S6_LOGGING_SCRIPT=T"}));
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(h::mask_stamps(h::read_file(t / "log2/current")) == "@TAI from the env dir\n");
}
