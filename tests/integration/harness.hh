// Integration-test harness: runs built binaries (ours or stock s6) as real processes, with
// every wait bounded by a deadline and polling instead of sleeping.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include <supervise/status.hh>

namespace h {

// Path of one of our binaries in the build tree, and of a stock s6 binary.
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

// Runs argv to completion (killing it at the deadline) and captures stdout and stderr.
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

// A fresh temporary directory, removed (recursively) on destruction.
class tempdir {
public:
    tempdir();
    ~tempdir();
    tempdir(tempdir const &) = delete;
    tempdir &operator=(tempdir const &) = delete;
    std::string const &path() const { return path_; }
    std::string operator/(std::string const &rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

// Polls pred every few ms until it is true or timeout_ms passes; returns its last value.
bool wait_until(std::function<bool()> const &pred, int timeout_ms = 10000);

void write_file(std::string const &path, std::string const &content, unsigned mode = 0644);
std::string read_file(std::string const &path);
bool exists(std::string const &path);
void mkdirs(std::string const &path);

// Makes a service directory at dir with the given run script (a /bin/sh script body) and
// optional extra files (name -> content; names ending in run/finish/check are made executable).
void make_service(std::string const &dir, std::string const &run_body,
                  std::vector<std::pair<std::string, std::string>> const &files = {});

// Reads DIR/supervise/status; REQUIRE-fails if it cannot.
sv::status status_of(std::string const &dir);
// True once DIR/supervise/status exists and satisfies pred.
bool wait_status(std::string const &dir, std::function<bool(sv::status const &)> const &pred,
                 int timeout_ms = 10000);

// Starts a supervisor binary on dir and waits until its control FIFO is listening.
std::unique_ptr<proc> start_supervise(std::string const &binary, std::string const &dir,
                                      std::string const &log_dir);

// Counts the zombie children of pid (via /proc).
int count_zombies_of(pid_t parent);

} // namespace h
