// Signal names (libsupervise/signame.cc): skalibs' table with Linux numbering, as s6-svstat
// prints it, and the parser s6-supervise applies to down-signal (skalibs' sig0_scan: a name
// with or without SIG in any case, the aliases, or a decimal number).
#include <catch2/catch.hpp>

#include <csignal>
#include <string>

#include <supervise/signame.hh>

TEST_CASE("sig_name covers the whole 1..31 table", "[signame]")
{
    static constexpr char const *names[32] = {
        nullptr, "HUP",  "INT",  "QUIT", "ILL",    "TRAP", "ABRT",  "BUS",
        "FPE",   "KILL", "USR1", "SEGV", "USR2",   "PIPE", "ALRM",  "TERM",
        "STKFLT", "CHLD", "CONT", "STOP", "TSTP",  "TTIN", "TTOU",  "URG",
        "XCPU",  "XFSZ", "VTALRM", "PROF", "WINCH", "POLL", "PWR",   "SYS",
    };
    for (int i = 1; i <= 31; i++) {
        INFO("signal " << i);
        CHECK(sv::sig_name(i) == names[i]);
    }
    // The ones that have aliases print under their main name.
    CHECK(sv::sig_name(SIGABRT) == "ABRT"); // not IOT
    CHECK(sv::sig_name(SIGPOLL) == "POLL"); // not IO
    CHECK(sv::sig_name(SIGCHLD) == "CHLD"); // not CLD
    CHECK(sv::sig_name(16) == "STKFLT");
    CHECK(sv::sig_name(29) == "POLL");
}

TEST_CASE("sig_name of a number with no name is ???", "[signame]")
{
    for (int i : {0, -1, 32, 33, 34, 50, 64, 65, 1000}) {
        INFO("signal " << i);
        CHECK(sv::sig_name(i) == "???");
    }
}

TEST_CASE("sig_scan parses names in any case, with or without SIG", "[signame]")
{
    CHECK(sv::sig_scan("TERM") == SIGTERM);
    CHECK(sv::sig_scan("sigterm") == SIGTERM);
    CHECK(sv::sig_scan("SIGHUP") == SIGHUP);
    CHECK(sv::sig_scan("SigUsr2") == SIGUSR2);
    CHECK(sv::sig_scan("USR1") == SIGUSR1);
    CHECK(sv::sig_scan("usr1") == SIGUSR1);
    CHECK(sv::sig_scan("KILL") == SIGKILL);
    CHECK(sv::sig_scan("STKFLT") == 16);
    CHECK(sv::sig_scan("POLL") == 29);
    CHECK(sv::sig_scan("winch") == SIGWINCH);

    SECTION("the aliases IOT, IO and CLD")
    {
        CHECK(sv::sig_scan("IOT") == SIGABRT);
        CHECK(sv::sig_scan("SIGIOT") == 6);
        CHECK(sv::sig_scan("IO") == 29);
        CHECK(sv::sig_scan("sigio") == 29);
        CHECK(sv::sig_scan("CLD") == SIGCHLD);
        CHECK(sv::sig_scan("SIGCLD") == 17);
    }
    SECTION("every printed name scans back to its number")
    {
        for (int i = 1; i <= 31; i++) {
            std::string const n(sv::sig_name(i));
            INFO(n);
            CHECK(sv::sig_scan(n) == i);
            CHECK(sv::sig_scan("SIG" + n) == i);
        }
    }
}

TEST_CASE("sig_scan parses decimal numbers", "[signame]")
{
    CHECK(sv::sig_scan("12") == 12);
    CHECK(sv::sig_scan("1") == 1);
    CHECK(sv::sig_scan("15") == 15);
    CHECK(sv::sig_scan("015") == 15);
    CHECK(sv::sig_scan("34") == 34); // real-time signals have no name but are valid
    CHECK(sv::sig_scan("64") == 64);

    SECTION("after an optional SIG, as skalibs' sig0_scan allows")
    {
        CHECK(sv::sig_scan("SIG15") == 15);
        CHECK(sv::sig_scan("sig1") == 1);
        CHECK(sv::sig_scan("Sig012") == 12);
    }
}

TEST_CASE("sig_scan returns 0 for anything else", "[signame]")
{
    for (char const *bad : {"", "bogus", "SIG", "sig", "SIGSIGTERM", "TERM ", " TERM", "TERM\n",
                            "0", "SIG0", "12a", "-1", "+1", "0x0f", "SIG+1", "SIG 1", "RTMIN", "EXIT", "TER",
                            "TERMS", "I"}) {
        INFO('"' << bad << '"');
        CHECK(sv::sig_scan(bad) == 0);
    }
}

TEST_CASE("sig_scan_raw keeps numbers sig_scan refuses, for its caller to judge", "[signame]")
{
    unsigned n = 1;
    CHECK(sv::sig_scan_raw("SIG0", n));
    CHECK(n == 0);
    CHECK(sv::sig_scan_raw("SIG99", n));
    CHECK(n == 99);
    CHECK(sv::sig_scan_raw("SIG4294967295", n));
    CHECK(n == 4294967295u);
    CHECK(sv::sig_scan_raw("sigterm", n));
    CHECK(n == SIGTERM);
    CHECK(sv::sig_scan_raw("7", n));
    CHECK(n == 7);
    for (char const *bad : {"", "SIG", "SIG4294967296", "SIG15x", "SIG+1", "RTMIN", "TERMS"}) {
        INFO('"' << bad << '"');
        CHECK(!sv::sig_scan_raw(bad, n));
    }
}
