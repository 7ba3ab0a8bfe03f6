// s6lock-client: a test client built on stock libs6's s6lock_* API (Debian's libs6-dev), to
// check that an unchanged libs6 program can use our s6lockd.  It runs a script given on the
// command line and prints one line per step, so the tests can compare transcripts.
//
//   s6lock-client [ -p DAEMON ] LOCKDIR STEP...
//
// Without -p, the session starts with s6lock_startf, which runs libs6's compiled-in
// /usr/bin/s6lockd.  With -p, it starts DAEMON instead, with exactly the call s6lock_startf
// makes (textclient_startf, s6lock's banners, TEXTCLIENT_OPTION_WAITPID); every later step
// is libs6's own code either way.  Steps:
//
//   acquire N w|r PATH LIMIT_MS   s6lock_acquire, keeping the id in slot N; LIMIT_MS 0 = none
//   wait N MS                     s6lock_wait_and on slot N's id, for at most MS
//   waitor N M MS                 s6lock_wait_or on slots N and M; prints the index
//   release N                     s6lock_release
//   until FILE                    waits (10 s at most) until FILE exists
//   touch FILE                    creates FILE
//
// Lines: "start: ok", "acquire N: ok", "wait N: ok", "waitor: I", "release N: ok", or the
// step's name with strerror(errno).  Exit 0, or 111 if the session cannot start.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>

extern "C" {
#include <skalibs/tai.h>
#include <skalibs/textclient.h>
#include <s6/lock.h>
}

extern char **environ;

namespace {

void say(char const *step, int ok)
{
    if (ok) std::printf("%s: ok\n", step);
    else std::printf("%s: %s\n", step, std::strerror(errno));
    std::fflush(stdout);
}

tain in_ms(unsigned ms)
{
    tain t, d;
    tain_from_millisecs(&d, static_cast<int>(ms));
    tain_add_g(&t, &d);
    return t;
}

} // namespace

int main(int argc, char **argv)
{
    char const *daemon = nullptr;
    int i = 1;
    if (argc > 2 && !std::strcmp(argv[1], "-p")) {
        daemon = argv[2];
        i = 3;
    }
    if (argc - i < 1) {
        std::fprintf(stderr, "usage: s6lock-client [ -p daemon ] lockdir step...\n");
        return 100;
    }
    char const *lockdir = argv[i++];
    tain_now_set_stopwatch_g();
    s6lock_t a = S6LOCK_ZERO;
    tain deadline = in_ms(2000);
    int ok;
    if (daemon) {
        char const *cargv[3] = {daemon, lockdir, nullptr};
        ok = textclient_startf(&a.connection, cargv, const_cast<char const *const *>(environ),
                               TEXTCLIENT_OPTION_WAITPID, S6LOCK_BANNER1, S6LOCK_BANNER1_LEN,
                               S6LOCK_BANNER2, S6LOCK_BANNER2_LEN, &deadline, &STAMP);
    } else
        ok = s6lock_startf_g(&a, lockdir, &deadline);
    say("start", ok);
    if (!ok) return 111;

    uint16_t ids[16] = {};
    while (i < argc) {
        std::string const step = argv[i++];
        char line[64];
        auto arg = [&](int k) -> char const * { return i + k < argc ? argv[i + k] : ""; };
        if (step == "acquire") {
            unsigned const n = std::atoi(arg(0)) & 15;
            tain limit = tain_zero;
            if (std::atoi(arg(3))) limit = in_ms(std::atoi(arg(3)));
            tain dl = in_ms(2000);
            uint32_t const opt = arg(1)[0] == 'w' ? S6LOCK_OPTIONS_EX : S6LOCK_OPTIONS_SH;
            std::snprintf(line, sizeof line, "acquire %u", n);
            say(line, s6lock_acquire_g(&a, &ids[n], arg(2), opt, &limit, &dl));
            i += 4;
        } else if (step == "wait") {
            unsigned const n = std::atoi(arg(0)) & 15;
            tain dl = in_ms(std::atoi(arg(1)));
            std::snprintf(line, sizeof line, "wait %u", n);
            say(line, s6lock_wait_and_g(&a, &ids[n], 1, &dl) == 0);
            i += 2;
        } else if (step == "waitor") {
            uint16_t const two[2] = {ids[std::atoi(arg(0)) & 15], ids[std::atoi(arg(1)) & 15]};
            tain dl = in_ms(std::atoi(arg(2)));
            int const r = s6lock_wait_or_g(&a, two, 2, &dl);
            if (r >= 0) std::printf("waitor: %d\n", r), std::fflush(stdout);
            else say("waitor", 0);
            i += 3;
        } else if (step == "release") {
            unsigned const n = std::atoi(arg(0)) & 15;
            tain dl = in_ms(2000);
            std::snprintf(line, sizeof line, "release %u", n);
            say(line, s6lock_release_g(&a, ids[n], &dl));
            i += 1;
        } else if (step == "until") {
            for (int k = 0; k < 2000 && access(arg(0), F_OK) < 0; k++) usleep(5000);
            i += 1;
        } else if (step == "touch") {
            int fd = open(arg(0), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
            if (fd >= 0) close(fd);
            i += 1;
        } else {
            std::fprintf(stderr, "s6lock-client: unknown step %s\n", step.c_str());
            return 100;
        }
    }
    s6lock_end(&a);
    return 0;
}
