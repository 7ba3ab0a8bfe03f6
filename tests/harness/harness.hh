// The one test harness shared by the unit tests and the integration tests (namespace h),
// built once as a static library.  Every wait is bounded by a deadline and polls instead of
// sleeping.  Tests only; the library and the tools never use any of this.
//
//   files        tempdir, write_file / read_file / read_existing, write_full_fd, exists,
//                mkdirs, mode_of, account_files
//   processes    run (to completion, output captured), proc (a background program),
//                child (a forked function), pipe_pair, umask_guard, count_zombies_of,
//                count_fds, unix_listening
//   waiting      wait_until, wait_readable, drain
//   services     make_service, make_fake_service, fake_status, status_of, wait_status,
//                start_supervise, service, start_waiter, listeners, notify, notify_drained
//   states       up, down, down_and_finished (predicates over sv::status)
//   stock s6     ours / stock paths, run_ours / run_stock, check_same, compare,
//                stock_message, mask_stamps, mask_seconds
//   skipping     skip, need_root, need_stock
//   oracles      oracles_dir, oracle_build (real clients, built once and cached), ours_built,
//                write_stub, stubs_run, lines_of
//   containers   container (a rootfs run by runc or unshare), rt, runc_path, choose_runtime,
//                need_runtime, need_runc
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

#include <fcntl.h>

#include <supervise/fd.hh>
#include <supervise/status.hh>

namespace h {

using strings = std::vector<std::string>;

// --- skipping ------------------------------------------------------------------------------

// Ends the current test case as SKIPPED (Catch2 2.x has no SKIP): prints the line
//   SKIPPED: <test case name> -- <reason>
// on stdout, which tests/summarize.py counts (a skipped test case is not a passed one, and
// under CI=true any skip fails the run), then leaves the test case without a failure.  In a
// test case that has already failed an assertion it only leaves: the test stays failed.
[[noreturn]] void skip(std::string const &reason);
// skip()s unless the tests run as root.
void need_root(std::string const &why);
// skip()s unless the stock s6 binary tool exists.
void need_stock(std::string const &tool);
// skip()s, naming why, when our programs run under qemu-user (a foreign architecture's
// programs, release/qemu-test.sh): $S6PP_TEST_EMULATED is set, or their ELF machine is not
// this test program's.
void need_native(std::string const &why);

// --- files ---------------------------------------------------------------------------------

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class tempdir {
public:
    tempdir();
    // Kills what still runs in the directory (every process whose working directory is in
    // it: the service a case left behind when it ended early, or that its supervisor, killed
    // with SIGKILL, left as stock's does; supervisors left after -b), then removes it.
    ~tempdir();
    tempdir(tempdir const &) = delete;
    tempdir &operator=(tempdir const &) = delete;
    std::string const &path() const { return path_; }
    char const *c_str() const { return path_.c_str(); }
    std::string operator/(std::string const &rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

// Replaces path with exactly content, with exactly mode, in one rename (a reader never sees
// a half-written file).  try_write_file returns false on failure (for forked children, which
// must not REQUIRE); write_file REQUIRE-fails.
bool try_write_file(std::string const &path, std::string_view content, unsigned mode = 0644);
void write_file(std::string const &path, std::string_view content, unsigned mode = 0644);
// The whole content of path.  try_read_file returns false if it cannot be read; read_file
// returns "" then (for polling a file that may not exist yet); read_existing REQUIRE-fails.
bool try_read_file(std::string const &path, std::string &out);
std::string read_file(std::string const &path);
std::string read_existing(std::string const &path);
// Writes all of s to fd (a pipe, a FIFO), retrying short writes; false on error.
bool write_full_fd(int fd, std::string_view s);
bool exists(std::string const &path);           // lstat succeeds
void mkdirs(std::string const &path);           // mkdir -p, mode 0755
mode_t mode_of(std::string const &path);        // lstat's st_mode, 0 if path does not exist

// A made-up account database: files named passwd and group, with the given contents, in a
// fresh temp dir (for the uid tools' lookups, which take the files' paths).
struct account_files {
    account_files(std::string_view passwd_text, std::string_view group_text);
    tempdir t;
    std::string passwd, group;
};

// --- processes -----------------------------------------------------------------------------

// Path of one of our binaries in the build tree (or in $S6PP_TEST_BINDIR when set: another
// build's, such as a foreign architecture's unpacked tarball under qemu-user), and of a stock
// s6 binary.
std::string ours(std::string const &name);
std::string stock(std::string const &name);

struct result {
    int code = -1; // exit code, or 128 + signal if killed; -1 if it had to be killed on timeout
    std::string out, err;
    bool timed_out = false;
};

struct run_opts {
    std::string input;              // written to stdin (then closed); stdin is /dev/null if empty
    std::string cwd;                // working directory, if not empty
    std::vector<std::string> env;   // extra NAME=VALUE entries
    int timeout_ms = 10000;
};

// Runs argv to completion (killing it at the deadline) and captures stdout and stderr.  The
// program starts with an empty signal mask and only fds 0, 1 and 2.
result run(std::vector<std::string> const &argv, run_opts const &o = {});

// A background process (a supervisor): started on construction, SIGKILLed and reaped on
// destruction if still running.  Its stdout and stderr go to files in log_dir.
class proc {
public:
    proc(std::vector<std::string> const &argv, std::string const &log_dir,
         std::string const &cwd = "");
    proc(proc const &) = delete;
    proc &operator=(proc const &) = delete;
    ~proc();

    pid_t pid() const { return pid_; }
    bool running();                     // not yet reaped
    void signal(int sig);
    // Waits up to timeout_ms for the process to exit; returns its code (128+sig if killed),
    // or -1 if it is still running.
    int wait(int timeout_ms = 10000);
    std::string err() const;            // what it wrote to stderr so far
    std::string out() const;

private:
    pid_t pid_ = -1;
    int code_ = -1;
    std::string log_dir_;
};

// A forked child running a function of this process (no exec), SIGKILLed (if still running)
// and reaped on destruction, so a failed REQUIRE in the parent never leaves it behind.
class child {
public:
    // Forks; in the child, runs fn() and _exits with its return value.  fn must not return
    // into Catch2 or throw.
    template <class F>
    explicit child(F fn)
    {
        pid_ = fork_or_fail();
        if (pid_ == 0) exit_now(fn());
    }
    child(child const &) = delete;
    child &operator=(child const &) = delete;
    ~child();

    pid_t pid() const noexcept { return pid_; }
    // Waits up to timeout_ms for the child to exit; returns its wait status, or -1 on timeout.
    int wait(std::int64_t timeout_ms);
    // As wait, but returns the child's exit code: -1 if it was killed or is still running.
    int exit_code(std::int64_t timeout_ms = 10000);

private:
    static pid_t fork_or_fail();
    [[noreturn]] static void exit_now(int code);
    pid_t pid_ = -1;
};

// Sets the umask for a scope (tests run one at a time, so the process-wide umask is ours).
class umask_guard {
public:
    explicit umask_guard(mode_t m);
    umask_guard(umask_guard const &) = delete;
    umask_guard &operator=(umask_guard const &) = delete;
    ~umask_guard();

private:
    mode_t old_;
};

// A tmpfs of the given size ("256k") mounted on dir (made if missing) for a scope: a small
// file system to fill up.  ok() is false when it cannot be mounted (not root); unmounted
// (lazily) on destruction.
class small_fs {
public:
    small_fs(std::string const &dir, std::string const &size);
    small_fs(small_fs const &) = delete;
    small_fs &operator=(small_fs const &) = delete;
    ~small_fs();
    bool ok() const { return ok_; }

private:
    std::string dir_;
    bool ok_ = false;
};

// Steps the machine's wall clock (CLOCK_REALTIME) by jump_ms, and puts it back where it would
// have been, by the monotonic clock, on destruction: the step lasts as long as the guard,
// seconds at most in every test.  ok() is false if the step is not permitted (no
// CAP_SYS_TIME), error() then says why.  Time namespaces do not cover CLOCK_REALTIME, so
// there is no private way to do this.
class wall_step {
public:
    explicit wall_step(std::int64_t jump_ms);
    wall_step(wall_step const &) = delete;
    wall_step &operator=(wall_step const &) = delete;
    ~wall_step();
    bool ok() const { return ok_; }
    int error() const { return err_; }

private:
    timespec wall0_, mono0_;
    bool ok_ = false;
    int err_ = 0;
};
// The step of the wall clock that leaves lead_ms until the next minute begins (0 if it is
// that close already): for a program that acts at the top of each minute, as crond does.
std::int64_t ms_to_minute_end(std::int64_t lead_ms);

// The start of a command line that runs the rest (a program and its arguments) in a private
// mount namespace whose /dev is an empty tmpfs, so that there is no /dev/null (needs root).
strings without_dev_null();

// A pipe: r its read end, w its write end, opened with pipe2(flags).
struct pipe_pair {
    explicit pipe_pair(int flags = O_CLOEXEC);
    sv::unique_fd r, w;
};

// The pids in /proc now: every process, this one included.
std::vector<pid_t> pids();
// A process's state letter and parent, from /proc/PID/stat.
struct proc_stat {
    char state;
    pid_t ppid;
};
// False if pid is gone (or its stat cannot be read).
bool read_proc_stat(pid_t pid, proc_stat &out);
// Counts the zombie children of pid (via /proc).
int count_zombies_of(pid_t parent);
// Counts the children of pid, live or zombie (via /proc).  A child whose socket a client saw
// close may not be a zombie yet: wait for none at all to know every child was reaped.
int count_children_of(pid_t parent);
// How many fds pid has open (entries of /proc/PID/fd), -1 if it cannot be read.
int count_fds(pid_t pid);
// Whether pid is a program emulated by qemu-user (a foreign architecture's build run through
// binfmt_misc, release/qemu-test.sh): its /proc/PID/exe is then qemu, its cmdline starts with
// qemu's interpreter and the program's path, and qemu holds fds and signal handlers of its own.
bool emulated(pid_t pid);
// pid's argv as the program has it: /proc/PID/cmdline, less qemu-user's two leading words.
strings proc_argv(pid_t pid);
// The path of the file pid runs: /proc/PID/exe, or for an emulated program the path qemu
// loaded it from (cmdline's second word); stat() either to compare files.
std::string proc_exe(pid_t pid);
// Whether a Unix socket is listening at path (/proc/net/unix, flag __SO_ACCEPTCON): the
// socket file exists a moment before its server listens, and a probing connection would
// start a served program.
bool unix_listening(std::string const &path);

// --- waiting -------------------------------------------------------------------------------

// Polls pred every few ms until it is true or timeout_ms passes; returns its last value.
bool wait_until(std::function<bool()> const &pred, int timeout_ms = 10000);
// Waits until fd is readable or deadline_ms (sv::mono_ms, absolute) passes.  True if readable.
bool wait_readable(int fd, std::int64_t deadline_ms);
// Everything readable right now from a non-blocking fd.
std::string drain(int fd);

// --- service directories -------------------------------------------------------------------

// Makes a service directory at dir with the given run script (a /bin/sh script body) and
// optional extra files (name -> content; names ending in run/finish/check are made executable).
void make_service(std::string const &dir, std::string const &run_body,
                  std::vector<std::pair<std::string, std::string>> const &files = {});
// Writes DIR/supervise/status by hand (no supervisor): stamped now, with pid (0 = down).
void fake_status(std::string const &dir, std::uint64_t pid, bool ready, bool wantup = true);
// A service directory as a supervisor would leave it, with no supervisor: a new DIR, DIR/event
// (a fifodir) and DIR/supervise/status for a service that is up (pid 4242) or down, wanted up,
// ready or not.
void make_fake_service(std::string const &dir, bool up, bool ready);

// Reads DIR/supervise/status; REQUIRE-fails if it cannot.
sv::status status_of(std::string const &dir);
// True once DIR/supervise/status exists and satisfies pred.
bool wait_status(std::string const &dir, std::function<bool(sv::status const &)> const &pred,
                 int timeout_ms = 10000);

// Starts a supervisor binary on dir and waits until its control FIFO is listening.
std::unique_ptr<proc> start_supervise(std::string const &binary, std::string const &dir,
                                      std::string const &log_dir);

// A service directory DIR = <fresh temp dir>/svc, made by make_service, under a supervisor
// (stock's s6-supervise or ours) started by start_supervise.  On destruction ./release is made
// (a gated finish script may end), the service is brought down ("dx"), and whatever is left
// of it is killed.
class service {
public:
    service(std::string const &supervisor, std::string const &run_body,
            std::vector<std::pair<std::string, std::string>> const &files = {});
    ~service();
    service(service const &) = delete;
    service &operator=(service const &) = delete;

    std::string const &dir() const { return dir_; }
    std::string path(std::string const &rel) const { return dir_ + "/" + rel; }
    sv::status status() const { return status_of(dir_); }
    bool wait(std::function<bool(sv::status const &)> const &pred, int ms = 5000) const
    {
        return wait_status(dir_, pred, ms);
    }
    proc &supervisor() { return *sup_; }
    std::string const &tmp() const { return td_.path(); }

private:
    tempdir td_;
    std::string dir_;
    std::unique_ptr<proc> sup_;
};

// Whether pid sleeps in poll(), ppoll() or epoll_wait() (/proc/PID/syscall): a daemon or a
// waiter that is there has finished what it does before its first event.
bool waiting_in_poll(pid_t pid);

// Starts a waiting program (s6-svwait, s6-svlisten...) in the background, logging to logdir,
// and returns once it has subscribed to every dir's event/ (stale listener FIFOs are removed
// first, so that its own subscriptions can be told apart).
std::unique_ptr<proc> start_waiter(strings const &argv, strings const &dirs,
                                   std::string const &logdir);

// The states a test waits for.  up: run is running (pid set, not finishing).  down: not up
// (finish may still be running).  down_and_finished: no process at all, finish done too.
bool up(sv::status const &s);
bool down(sv::status const &s);
bool down_and_finished(sv::status const &s);

// Number of listener FIFOs in DIR/event, or -1 if DIR/event cannot be read; with purge,
// removes them instead (leftovers of a listener that was killed, so that a new subscription
// can be told apart).
int listeners(std::string const &dir, bool purge = false);
// Sends events to DIR's listeners (DIR/event).
void notify(std::string const &dir, std::string_view events);
// As notify, then waits until every listener has read them, so that the next event cannot be
// coalesced with these in one read.
void notify_drained(std::string const &dir, std::string_view events);

// --- ours against stock --------------------------------------------------------------------

// Runs our TOOL (or stock's) with args.
result run_ours(std::string const &tool, strings const &args, run_opts const &o = {});
result run_stock(std::string const &tool, strings const &args, run_opts const &o = {});

// Stock 2.11.3.2 prints "fatal: : unable to" for some messages (a skalibs version skew); we
// print the intended "fatal: unable to".  Returns a stock message with that corrected.
std::string stock_message(std::string s);
// Requires ours and stock to have finished in time with the same exit code, the same stdout
// and the same stderr (stock's corrected by stock_message).
void check_same(result const &ours, result const &stock);
// Runs stock TOOL and ours on the same input and check_same()s them.
void compare(std::string const &tool, strings const &args, run_opts const &o = {});

// TAI64N labels (@ and 24 hex digits) replaced by "@TAI", ISO 8601 stamps by "ISO".
std::string mask_stamps(std::string s);
// As mask_stamps, and every "<digits> seconds" (s6-svstat's durations) read "N seconds".
std::string mask_seconds(std::string s);

// --- oracles: real clients built from ../shared/oracles ------------------------------------

// The oracles folder (source tarballs of s6-rc, s6-overlay... and their build scripts): the
// path compiled in from meson (S6PP_ORACLES_DIR: ../shared/oracles beside the checkout), or
// $S6PP_ORACLES_DIR; "" if that is not a directory.
std::string oracles_dir();
// Runs the oracles folder's SCRIPT with one argument, an output directory, and returns that
// directory, or skip()s if there is no oracles folder.  The result is cached in
// $S6PP_ORACLE_CACHE (default /var/cache/s6pp-oracles), in NAME-<hash> where the hash is the
// sha256 of the script and the tarballs: a later call, in this run or another, returns it at
// once.  The output is built in place (s6-rc compiles its own path into what it makes), so
// concurrent callers are serialised by a lock file, and a "done" marker written last tells
// a finished build from one that died half way (which is started again).  REQUIRE-fails if
// the build fails or takes longer than timeout_ms; the script's output is in NAME-<hash>/
// build.log.  A build that has to run skip()s, naming it, if a file of needs (the compiler,
// a -dev package's header) is missing.  The build's drop paths (relative to the output
// directory: its work trees) are removed once it has succeeded.
std::string oracle_build(std::string const &name, std::string const &script,
                         strings const &tarballs, strings const &needs, int timeout_ms,
                         strings const &drop = {});
// Whether s6pp builds a program NAME (h::ours(NAME) is an executable).
bool ours_built(std::string const &name);
// Writes at path a /bin/sh script standing in for the stock program NAME, which s6pp does not
// build: it appends NAME to the file log (a path as the stub itself will see it) and exits
// 111, so that a real client which runs it fails, and the test can name what was missing.
void write_stub(std::string const &path, std::string const &name, std::string const &log);
// The names the stubs logged in log (a host path), each once, in order, each after a space;
// "" if no stub ran.
std::string stubs_run(std::string const &log);
// The non-empty lines of s.
strings lines_of(std::string const &s);

// s6-rc 0.5.4.1 (build-s6-rc.sh, dynamic, against Debian's libs6): its install prefix, with
// bin/ and libexec/.  oracle_build's, so skip()s without the oracles folder.
std::string s6rc_prefix();
// Real s6-overlay 3.1.5.0 and its stack (build-s6-overlay-v3.sh, static): the tree its
// tarballs unpack over an image's / (/init, /command, /package...).  As s6rc_prefix.
std::string s6_overlay_tree();

// --- containers: a root file system booted by runc ------------------------------------------

// How a container runs: runc; unshare --pid --fork --mount --root where runc does not work
// (enough for a run to completion, not for exec or kill); or not at all.
enum class rt { runc, unshare, none };

inline constexpr char const *busybox = "/bin/busybox"; // Debian's busybox-static

// The path of runc, "" if there is none.
std::string runc_path();

// One container: a bundle directory (temp) with rootfs/ (bin etc proc dev sys tmp run, and
// /dev/null) and, for runc, config.json.  Deleted (runc delete -f) on destruction.
class container {
public:
    // The container's id is id_prefix-PID-N.
    explicit container(std::string const &id_prefix);
    ~container();
    container(container const &) = delete;
    container &operator=(container const &) = delete;

    // How runc runs it (runc only): as which user, with a read-only root, with a tmpfs on
    // /run mounted with these options ("" for none).
    struct spec {
        unsigned uid = 0, gid = 0;
        bool readonly = false;
        std::string run_tmpfs;
    } runc_spec;
    // The program the container starts, before the arguments given to run or start.
    std::string entry = "/init";

    std::string const &root() const { return root_; }
    std::string const &id() const { return id_; }
    std::string path(std::string const &rel) const { return root_ + "/" + rel; }

    // A file in the rootfs (parents created); mode 0755 for scripts.
    void file(std::string const &rel, std::string const &content, unsigned mode = 0755);
    // Hard-links (or copies) the file from to rel in the rootfs; never through a symlink.
    void put_binary(std::string const &from, std::string const &rel);
    // Debian's static busybox as /bin/busybox, and a /bin link to it for every applet whose
    // name is not taken yet in /bin.
    void add_busybox();
    // /etc/passwd and /etc/group with root, nobody and app (1000:1000).
    void add_accounts();
    // What an image booted by our /init holds: our init and the s6 tools (in /bin, with halt,
    // poweroff, reboot and shutdown as links to init; with their shared libraries in a
    // sanitizer build), then busybox applets where none of ours has the name, /init ->
    // /bin/init (so that /init finds s6-svscan next to its real executable), and the accounts.
    void add_init_image();
    // Our program NAME as /bin/NAME (replacing whatever is there).
    void tool(std::string const &name);
    // Copies the tree DIR (its contents, with cp -a) over the root, or over root/REL.
    void copy_in(std::string const &dir, std::string const &rel = "");
    // The shared libraries (and the loader) that ldd lists for these programs of ours, at
    // their own paths: none for the static release build, what a sanitizer build needs.
    void add_shared_libraries(std::vector<std::string> const &programs);
    // A host program (from, a path) as rel in the rootfs, with the shared libraries ldd lists
    // for it: an image's execlineb, say.
    void add_host_program(std::string const &from, std::string const &rel);

    // The command line that runs ENTRY ARGS with env (PATH first) in the container; for runc,
    // writes config.json (runc spec, rewritten: no terminal, docker's capabilities, runc_spec).
    std::vector<std::string> argv_for(rt how, std::vector<std::string> const &args,
                                      std::vector<std::string> const &env);
    // Runs ENTRY ARGS to completion.
    result run(rt how, std::vector<std::string> const &args,
               std::vector<std::string> const &env = {}, int timeout_ms = 15000);
    // Starts ENTRY ARGS in the background (runc only); its output goes to files.
    std::unique_ptr<proc> start(std::vector<std::string> const &args,
                                std::vector<std::string> const &env = {});
    // runc exec, runc kill.
    result exec(std::vector<std::string> const &cmd);
    int kill(std::string const &sig);
    // runc exec of a command that stops the container (halt, shutdown, poweroff...): true if
    // it exited 0, or if the container's end caught it on its way out (SIGKILL to whatever is
    // left when PID 1 exits, which a loaded machine shows).  The container's own exit code is
    // what says the stop went as it should: the caller checks it.
    bool exec_stop(std::vector<std::string> const &cmd);

    // True once the container's s6-svscan runs on /run/service (its control FIFO exists).
    bool booted() const;

private:
    // The libraries ldd lists for the programs at paths, copied in at their own paths.
    void add_libraries_of(std::vector<std::string> const &paths);

    tempdir dir_;
    std::string root_;
    std::string id_;
    bool used_runc_ = false;
};

// Which runtime works here (decided once per test run, by running a busybox container), and
// if none, why.
struct runtime_choice {
    rt how;
    std::string why_none;
};
runtime_choice const &choose_runtime();
// The runtime to run this test's containers with; skip()s the test if there is none.
rt need_runtime();
// skip()s the test unless runc works here (it needs runc exec or kill).
void need_runc();

} // namespace h
