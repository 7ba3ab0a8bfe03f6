// s6-log's script language and rotation policy (libsupervise/logscript.cc) and the stamp
// formatters (libsupervise/timestamp.cc): every directive, the two parsing passes and their
// errors, selection semantics, line splitting, alert and status layouts, archive names,
// trimming, where writes are cut, and the TAI64N / ISO 8601 text forms.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <string>
#include <unistd.h>
#include <vector>

#include <supervise/logscript.hh>
#include <supervise/tai64n.hh>
#include <supervise/timestamp.hh>

#include "harness.hh"

namespace ls = sv::logscript;

namespace {

// Owns the argument strings so that the script's string_views stay valid.
struct parsed
{
    std::vector<std::string> words;
    std::vector<char const *> argv;
    ls::script sc;
    ls::error err;
    explicit parsed(std::vector<std::string> w) : words(std::move(w))
    {
        for (auto const &s : words)
            argv.push_back(s.c_str());
        err = ls::parse(argv, sc);
    }
};

// Which groups a line selects, as "0,2".
std::string selected(ls::script const &sc, std::string line)
{
    std::string out;
    ls::select(sc, line.c_str(), [&](std::size_t g) {
        if (!out.empty()) out += ',';
        out += std::to_string(g);
    });
    return out;
}

std::string tai_label(timespec ts)
{
    sv::tai_stamper st;
    char b[25];
    st.fmt(b, ts);
    return std::string(b, 25);
}

} // namespace

TEST_CASE("logscript: defaults of a lone logdir", "[logscript]")
{
    parsed p({"./d"});
    REQUIRE(p.err == ls::error::none);
    REQUIRE(p.sc.logdirs.size() == 1);
    auto const &ld = p.sc.logdirs[0];
    CHECK(ld.path == "./d");
    CHECK(ld.n == 10);
    CHECK(ld.s == 99999);
    CHECK(ld.tolerance == 2000);
    CHECK(ld.retry_ms == 2000);
    CHECK(ld.max_total == 0);
    CHECK(ld.processor.empty());
    REQUIRE(p.sc.acts.size() == 1);
    CHECK(p.sc.acts[0].type == ls::act_type::logdir);
    CHECK(p.sc.acts[0].logdir == 0);
    CHECK_FALSE(p.sc.acts[0].tai);
    CHECK_FALSE(p.sc.any_select);
    CHECK_FALSE(p.sc.extraneous);
    REQUIRE(p.sc.groups.size() == 1);
}

TEST_CASE("logscript: control directives are sticky and taken at each logdir", "[logscript]")
{
    parsed p(
        {"n5", "s5000", "S70000", "l100", "r250", "/a", "n3", "s1", ".b", "s999999999", "./c"});
    REQUIRE(p.err == ls::error::none);
    REQUIRE(p.sc.logdirs.size() == 3);
    auto const &a = p.sc.logdirs[0], &b = p.sc.logdirs[1], &c = p.sc.logdirs[2];
    CHECK((a.n == 5 && a.s == 5000 && a.max_total == 70000 && a.tolerance == 100 &&
           a.retry_ms == 250));
    CHECK((b.n == 3 && b.s == 4096 && b.max_total == 70000 && b.tolerance == 100));
    CHECK(c.s == 268435455); // clamped
    CHECK(c.path == "./c");
    CHECK(p.sc.acts[1].logdir == 1);
    CHECK(p.sc.acts[2].logdir == 2);
}

TEST_CASE("logscript: t and T apply to the next action only; p, E and ^ stick", "[logscript]")
{
    parsed p({"t", "T", "pPFX:", "E10", "2", "1", "^30", "=st", "p", "t", "1"});
    REQUIRE(p.err == ls::error::none);
    auto const &acts = p.sc.acts;
    REQUIRE(acts.size() == 4);
    CHECK((acts[0].type == ls::act_type::alert && acts[0].tai && acts[0].iso));
    CHECK(acts[0].size == 10);
    CHECK(acts[0].prefix == "PFX:");
    CHECK((acts[1].type == ls::act_type::out1 && !acts[1].tai && !acts[1].iso));
    CHECK(acts[1].prefix == "PFX:");
    CHECK((acts[2].type == ls::act_type::status && acts[2].size == 30 && acts[2].target == "st"));
    CHECK((acts[3].tai && acts[3].prefix.empty()));
    CHECK(p.sc.any_tai);
    CHECK(p.sc.any_iso);
    // Defaults of E and ^.
    parsed d({"2", "=f"});
    CHECK(d.sc.acts[0].size == 200);
    CHECK(d.sc.acts[1].size == 1001);
}

TEST_CASE("logscript: processors, ! and ?, stick with the following logdirs", "[logscript]")
{
    parsed p({"!gzip", "./a", "?tr a-z A-Z", "./b", "./c", "!", "./d", "?", "./e"});
    REQUIRE(p.err == ls::error::none);
    auto const &l = p.sc.logdirs;
    CHECK((l[0].processor == "gzip" && !l[0].processor_sh));
    CHECK((l[1].processor == "tr a-z A-Z" && l[1].processor_sh));
    CHECK((l[2].processor == "tr a-z A-Z" && l[2].processor_sh)); // 2.11.3.2 forgets the '?'
    CHECK(l[3].processor.empty());
    CHECK(l[4].processor.empty());
}

TEST_CASE("logscript: groups split at a selection that follows an action", "[logscript]")
{
    parsed p({"-", "+foo", "./a", "f", "./b", "-", "+^ba", "1", "n3", "2", "+fatal", "2"});
    REQUIRE(p.err == ls::error::none);
    auto const &g = p.sc.groups;
    REQUIRE(g.size() == 4);
    CHECK((g[0].sel_begin == 0 && g[0].sel_end == 2 && g[0].act_begin == 0 && g[0].act_end == 1));
    CHECK((g[1].sel_end - g[1].sel_begin == 1 && g[1].act_end - g[1].act_begin == 1));
    CHECK((g[2].sel_end - g[2].sel_begin == 2 && g[2].act_end - g[2].act_begin == 2));
    CHECK((g[3].sel_end - g[3].sel_begin == 1 && g[3].act_end - g[3].act_begin == 1));
    CHECK(p.sc.any_regex);
    CHECK(p.sc.sels[2].type == ls::sel_type::fresh);
}

TEST_CASE("logscript: selection state carries over from one group to the next", "[logscript]")
{
    // The example confirmed on stock s6-log: "bar two" goes to ./b, stdout and the alert.
    parsed p({"-", "+foo", "./a", "f", "./b", "-", "+^ba", "1", "+fatal", "2"});
    REQUIRE(p.err == ls::error::none);
    CHECK(selected(p.sc, "foo one") == "0");
    CHECK(selected(p.sc, "bar two") == "1,2,3");
    CHECK(selected(p.sc, "fatal: x") == "1,3");
    CHECK(selected(p.sc, "nothing") == "1");
    // Unanchored ERE search, a '-' empty RE deselecting everything, '+' re-selecting.
    parsed q({"-", "+b.*d", "1"});
    CHECK(selected(q.sc, "abcde") == "0");
    CHECK(selected(q.sc, "xyz").empty());
    parsed r({"-", "+", "1"});
    CHECK(selected(r.sc, "anything") == "0");
    parsed s({"+x", "1"}); // already selected: + changes nothing
    CHECK(selected(s.sc, "abc") == "0");
    parsed t({"-x", "1"});
    CHECK(selected(t.sc, "axb").empty());
    CHECK(selected(t.sc, "ab") == "0");
}

TEST_CASE("logscript: the syntax pass rejects before anything is built", "[logscript]")
{
    struct bad
    {
        std::vector<std::string> w;
        ls::error e;
        std::size_t at;
    };
    std::vector<bad> cases = {
        {{"./d", "x"}, ls::error::unrecognized, 1},
        {{"./d", "N5", "1"}, ls::error::unrecognized, 1},
        {{"e", "1"}, ls::error::unrecognized, 0},
        {{"foo"}, ls::error::syntax, 0},
        {{"bar"}, ls::error::unrecognized, 0},
        {{""}, ls::error::unrecognized, 0},
        {{"tt", "1"}, ls::error::syntax, 0},
        {{"Tx", "1"}, ls::error::syntax, 0},
        {{"1x"}, ls::error::syntax, 0},
        {{"2x"}, ls::error::syntax, 0},
        {{"fx", "1"}, ls::error::syntax, 0},
        {{"./d", "="}, ls::error::syntax, 1},
        {{"n5"}, ls::error::no_action, 1},
        {{"s100", "!x"}, ls::error::no_action, 2},
    };
    for (auto const &c : cases) {
        parsed p(c.w);
        INFO(c.w[0]);
        CHECK(p.err == c.e);
        CHECK(p.sc.err_at == c.at);
        CHECK(p.sc.logdirs.empty());
    }
}

TEST_CASE("logscript: building-pass errors keep the logdirs met before them", "[logscript]")
{
    struct bad
    {
        std::vector<std::string> w;
        ls::error e;
        std::size_t at, logdirs;
    };
    std::vector<bad> cases = {
        {{"./a", "nabc", "./b"}, ls::error::unrecognized, 1, 1},
        {{"./a", "./b", "n", "1"}, ls::error::unrecognized, 2, 2},
        {{"E", "1"}, ls::error::unrecognized, 0, 0},
        {{"S-1", "1"}, ls::error::unrecognized, 0, 0},
        {{"^x", "1"}, ls::error::unrecognized, 0, 0},
        {{"rabc", "1"}, ls::error::unrecognized, 0, 0},
        {{"n99999999999", "1"}, ls::error::unrecognized, 0, 0},
        {{"s", "1"}, ls::error::unrecognized, 0, 0},
        {{"./dd", "+(", "1"}, ls::error::unrecognized, 1, 1},
        {{"l60000", "1"}, ls::error::conflict, 0, 0},
        {{"./x", "s10000", "l5001", "1"}, ls::error::conflict, 2, 1},
    };
    for (auto const &c : cases) {
        parsed p(c.w);
        INFO(c.w[c.at]);
        CHECK(p.err == c.e);
        CHECK(p.sc.err_at == c.at);
        CHECK(p.sc.logdirs.size() == c.logdirs);
    }
    // l is checked against the s in force where it appears only.
    CHECK(parsed({"s10000", "l5000", "1"}).err == ls::error::none);
    CHECK(parsed({"l2000", "s4096", "1"}).err == ls::error::none);
    CHECK(parsed({"r0", "S0", "E0", "^0", "n0", "1"}).err == ls::error::none);
}

TEST_CASE("logscript: directives after the last action", "[logscript]")
{
    parsed a({"1", "n5"}); // controls: ignored silently
    CHECK(a.err == ls::error::none);
    CHECK_FALSE(a.sc.extraneous);
    parsed b({"1", "+a"}); // selections: ignored with a warning
    CHECK(b.err == ls::error::none);
    CHECK(b.sc.extraneous);
    CHECK(b.sc.sels.empty());
    CHECK_FALSE(b.sc.any_select);
    parsed c({"1", "f"});
    CHECK(c.sc.extraneous);
    CHECK(c.sc.groups.size() == 1);
}

TEST_CASE("next_line: newline or NUL ends a line, linelimit cuts", "[logscript]")
{
    std::size_t len, used;
    std::string s = "abc\ndef";
    REQUIRE(ls::next_line(s.data(), s.size(), 8192, false, len, used));
    CHECK((len == 3 && used == 4));
    CHECK_FALSE(ls::next_line(s.data() + 4, 3, 8192, false, len, used));
    std::string z("ab\0cd\n", 6);
    REQUIRE(ls::next_line(z.data(), z.size(), 8192, true, len, used));
    CHECK((len == 2 && used == 3));
    // Exactly linelimit bytes then a newline: one line; more: a cut piece.
    std::string a48(48, 'a');
    std::string l = a48 + "\n";
    REQUIRE(ls::next_line(l.data(), l.size(), 48, false, len, used));
    CHECK((len == 48 && used == 49));
    CHECK_FALSE(ls::next_line(a48.data(), 48, 48, false, len, used)); // wait for more
    std::string l49 = a48 + "b";
    REQUIRE(ls::next_line(l49.data(), l49.size(), 48, false, len, used));
    CHECK((len == 48 && used == 48));
    std::string a96 = std::string(96, 'a') + "\n";
    REQUIRE(ls::next_line(a96.data(), a96.size(), 48, false, len, used));
    CHECK((len == 48 && used == 48));
    REQUIRE(ls::next_line(a96.data() + 48, 49, 48, false, len, used));
    CHECK((len == 48 && used == 49));
    // No limit.
    std::string big(100000, 'x');
    CHECK_FALSE(ls::next_line(big.data(), big.size(), 0, false, len, used));
    big += '\n';
    REQUIRE(ls::next_line(big.data(), big.size(), 0, false, len, used));
    CHECK(len == 100000);
    // Empty lines.
    REQUIRE(ls::next_line("\n", 1, 48, false, len, used));
    CHECK((len == 0 && used == 1));
}

TEST_CASE("alert_keep: E bytes and an ellipsis past E + 3", "[logscript]")
{
    bool dots;
    CHECK(ls::alert_keep(16, 5, dots) == 5);
    CHECK(dots);
    CHECK(ls::alert_keep(8, 5, dots) == 8); // not longer than E + 3
    CHECK_FALSE(dots);
    CHECK(ls::alert_keep(9, 5, dots) == 5);
    CHECK(dots);
    CHECK(ls::alert_keep(100000, 0, dots) == 100000);
    CHECK_FALSE(dots);
}

TEST_CASE("status_layout: padded with newlines to ^, or cut", "[logscript]")
{
    std::size_t pad;
    CHECK(ls::status_layout(6, 20, pad) == 5); // "hello\n" -> "hello" + 15 newlines
    CHECK(pad == 15);
    CHECK(ls::status_layout(20, 20, pad) == 19);
    CHECK(pad == 1);
    CHECK(ls::status_layout(41, 40, pad) == 40);
    CHECK(pad == 0);
    CHECK(ls::status_layout(6, 0, pad) == 6);
    CHECK(pad == 0);
}

TEST_CASE("archive names: exactly @ + 24 hex + .s or .u", "[logscript]")
{
    CHECK(ls::is_archive_name("@400000006b0471a01890e060.s"));
    CHECK(ls::is_archive_name("@400000006B0471A01890E060.u"));
    CHECK_FALSE(ls::is_archive_name("@400000006b0471a01890e060.x"));
    CHECK_FALSE(ls::is_archive_name("@400000006b0471a01890e06.s"));
    CHECK_FALSE(ls::is_archive_name("@400000006b0471a01890e0600.s"));
    CHECK_FALSE(ls::is_archive_name("@400000006b0471a01890g060.s"));
    CHECK_FALSE(ls::is_archive_name("x400000006b0471a01890e060.s"));
    CHECK_FALSE(ls::is_archive_name("@400000006b0471a01890e060_s"));
    CHECK_FALSE(ls::is_archive_name("current"));
    char name[27];
    ls::archive_name(name, "@400000006b0471a01890e060", 's');
    CHECK(std::string(name, 27) == "@400000006b0471a01890e060.s");
}

TEST_CASE("trim_scan: keep the newest n, and at most S bytes", "[logscript]")
{
    auto scan = [](std::vector<std::pair<std::string, std::uint64_t>> v) {
        ls::trim_scan t;
        for (auto &[n, s] : v) {
            ls::archive a;
            std::copy(n.begin(), n.end(), a.name);
            a.size = s;
            t.add(a);
        }
        return t;
    };
    auto v = scan({{"@400000006b0471a01890e063.s", 10},
                   {"@400000006b0471a01890e061.s", 10},
                   {"@400000006b0471a01890e062.u", 10},
                   {"@400000006b0471a01890e060.s", 10}});
    CHECK(v.count == 4);
    CHECK(v.total == 40);
    CHECK(std::string(v.oldest[0].name) == "@400000006b0471a01890e060.s"); // oldest first
    CHECK(std::string(v.oldest[3].name) == "@400000006b0471a01890e063.s");
    bool again = true;
    CHECK(v.plan(3, 0, again) == 1);
    CHECK_FALSE(again);
    CHECK(v.plan(10, 0, again) == 0);
    CHECK(v.plan(0, 0, again) == 4); // n0 keeps none
    CHECK_FALSE(again);
    CHECK(v.plan(10, 25, again) == 2); // S: 20 bytes left
    CHECK(v.plan(10, 40, again) == 0);
    ls::trim_scan none;
    CHECK(none.plan(0, 0, again) == 0);
    CHECK_FALSE(again);
    // s4096 S5000 with 2100-byte archives keeps 2, as on stock.
    auto w = scan({{"@400000006b0471a01890e061.s", 2100},
                   {"@400000006b0471a01890e062.s", 2100},
                   {"@400000006b0471a01890e063.s", 2100}});
    CHECK(w.plan(10, 5000, again) == 1);
}

TEST_CASE("trim_scan: more archives than it holds, newest first", "[logscript]")
{
    // 100 archives fed newest first: only the 32 oldest are held, sorted; n10 must delete 90,
    // so a second scan is needed after the first 32.
    ls::trim_scan t;
    for (int i = 99; i >= 0; i--) {
        ls::archive a;
        char hex[3] = {"0123456789abcdef"[i / 16], "0123456789abcdef"[i % 16], 0};
        std::string name = std::string("@400000006b0471a01890e0") + hex + ".s";
        std::copy(name.begin(), name.end(), a.name);
        a.size = 1;
        t.add(a);
    }
    CHECK(t.count == 100);
    CHECK(t.held == ls::trim_scan::max_oldest);
    CHECK(std::string(t.oldest[0].name) == "@400000006b0471a01890e000.s");
    CHECK(std::string(t.oldest[31].name) == "@400000006b0471a01890e01f.s");
    bool again = false;
    CHECK(t.plan(10, 0, again) == 32);
    CHECK(again);
    CHECK(t.plan(68, 0, again) == 32); // exactly enough: no second scan
    CHECK_FALSE(again);
    CHECK(t.plan(90, 0, again) == 10);
    CHECK_FALSE(again);
}

TEST_CASE("write_span: cut at the first line boundary at or past s - l", "[logscript]")
{
    std::string data;
    for (int i = 0; i < 100; i++)
        data += std::string(99, 'x') + "\n"; // 100-byte lines
    // b = 0, s = 4096, l = 2000: threshold 2096 bytes, first boundary at 2100.
    CHECK(ls::write_span(data.data(), data.size(), 0, 4096, 2000) == 2100);
    // Already past the threshold: the first boundary.
    CHECK(ls::write_span(data.data(), data.size(), 3000, 4096, 2000) == 100);
    // Far from it: everything.
    CHECK(ls::write_span(data.data(), data.size(), 0, 100000, 2000) == data.size());
    // l0: archives reach s.
    CHECK(ls::write_span(data.data(), data.size(), 0, 4096, 0) == 4100);
    // Up to the last newline only; everything if there is none.
    std::string partial = "abc\ndef";
    CHECK(ls::write_span(partial.data(), partial.size(), 0, 100000, 2000) == 4);
    CHECK(ls::write_span("abc", 3, 0, 100000, 2000) == 3);
    CHECK(ls::write_span("abc", 0, 0, 100000, 2000) == 0);
    // The rotation tests s6 makes.
    CHECK(ls::rotate_after_write(2100, 4096, 2000, '\n'));
    CHECK_FALSE(ls::rotate_after_write(2100, 4096, 2000, 'x'));
    CHECK_FALSE(ls::rotate_after_write(2000, 4096, 2000, '\n'));
    CHECK(ls::rotate_before_flush(4096, 4096));
    CHECK_FALSE(ls::rotate_before_flush(4095, 4096));
}

TEST_CASE("tai_stamper: the same label as tain_fmt, across seconds", "[logscript]")
{
    for (std::int64_t s : {0LL, 78796799LL, 78796800LL, 1483228800LL, 1800000000LL}) {
        for (long ns : {0L, 1L, 999999999L, 123456789L}) {
            char want[25];
            sv::tain_fmt(want, sv::tain_from_unix(s, static_cast<std::uint32_t>(ns)));
            CHECK(tai_label({static_cast<time_t>(s), ns}) == std::string(want, 25));
        }
    }
    // The cache follows the seconds.
    sv::tai_stamper st;
    char a[25], b[25];
    st.fmt(a, {1800000000, 5});
    st.fmt(b, {1800000001, 5});
    CHECK(std::string(a, 17) != std::string(b, 17));
    CHECK(std::string(b, 25) == tai_label({1800000001, 5}));
}

TEST_CASE("ISO stamps: YYYY-MM-DD HH:MM:SS.nnnnnnnnn in UTC", "[logscript]")
{
    char buf[sv::iso_stamp_max];
    sv::iso_stamper utc(true);
    std::size_t n = utc.fmt(buf, 1795452347, 965758953);
    CHECK(std::string(buf, n) == "2026-11-23 16:45:47.965758953");
    n = utc.fmt(buf, 0, 0);
    CHECK(std::string(buf, n) == "1970-01-01 00:00:00.000000000");
    n = utc.fmt(buf, 0, 7);
    CHECK(std::string(buf, n) == "1970-01-01 00:00:00.000000007");
    // The year is not padded.
    std::tm tm{};
    tm.tm_year = 999 - 1900;
    tm.tm_mon = 0;
    tm.tm_mday = 2;
    n = sv::fmt_iso(buf, tm, 42);
    CHECK(std::string(buf, n) == "999-01-02 00:00:00.000000042");
    char nine[9];
    sv::fmt_nano9(nine, 999999999);
    CHECK(std::string(nine, 9) == "999999999");
}

TEST_CASE("ISO stamps: local time follows TZ", "[logscript]")
{
    if (access("/usr/share/zoneinfo/Europe/Paris", R_OK) != 0) h::skip("no tzdata");
    char buf[sv::iso_stamp_max];
    std::size_t n;
    char const *old = std::getenv("TZ");
    std::string saved = old ? old : "";
    setenv("TZ", "Europe/Paris", 1);
    tzset();
    sv::iso_stamper local;
    n = local.fmt(buf, 1795452347, 965758953);
    CHECK(std::string(buf, n) == "2026-11-23 17:45:47.965758953");
    n = local.fmt(buf, 1782000000, 0); // summer: +2
    CHECK(std::string(buf, n) == "2026-06-21 02:00:00.000000000");
    if (old)
        setenv("TZ", saved.c_str(), 1);
    else
        unsetenv("TZ");
    tzset();
}
