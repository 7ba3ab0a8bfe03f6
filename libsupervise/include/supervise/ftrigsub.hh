// One subscription to a fifodir with a regular expression: what s6-ftrigrd keeps for each
// ftrigr subscription, and what our s6-ftrig-wait, s6-ftrig-listen1 and s6-ftrig-listen use
// in-process (they do not spawn a helper; the FIFO, its name and mode, and the matching rules
// are the same).
//
// Matching, as s6 2.11.3.2's s6-ftrigrd does it:
//   - the FIFO is read at most ftrig_chunk (16) bytes at a time, ftrig_reads_per_wakeup
//     (32) reads per wake-up; after each read the new bytes are appended to everything read
//     so far, and the regex is tried on the whole as a C string (a NUL byte ends it, so after
//     a NUL nothing more can match), POSIX extended, with REG_NOTBOL | REG_NOTEOL: '^' and
//     '$' never match;
//   - an empty regex is taken as ".*" (skalibs_regcomp);
//   - a match reports the last byte of the matched text.  An empty match reports byte 0
//     (stock reads the byte before its buffer there, which is 0 with glibc's allocator);
//   - without ftrigr_repeat the first match ends the subscription; with it, the matched text
//     and what precedes it are dropped and the regex is tried again on the rest.
// Deliberate differences: the history is capped at ftrig_history_max bytes (the oldest bytes
// go first; stock lets it grow without bound), and with ftrigr_repeat an empty match is
// reported once per read instead of looping forever as stock does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <regex.h>
#include <span>
#include <string_view>

#include <supervise/fifodir.hh>

namespace sv {

inline constexpr std::size_t ftrig_chunk = 16;
inline constexpr int ftrig_reads_per_wakeup = 32;
inline constexpr std::size_t ftrig_history_max = 65536;

// Called for each match with the byte it reports.
using ftrig_match_fn = void (*)(void *ctx, char c) noexcept;

// The regex side of a subscription: compiled expression plus the events read so far.
class ftrig_matcher {
public:
    ftrig_matcher() noexcept = default;
    ftrig_matcher(ftrig_matcher const &) = delete;
    ftrig_matcher &operator=(ftrig_matcher const &) = delete;
    ~ftrig_matcher() { reset(); }

    // Compiles re.  0, or the errno s6-ftrigrd answers: EINVAL for a bad expression, ENOMEM.
    int compile(char const *re, bool repeat) noexcept;

    // Appends bytes and tries the regex, calling fn for each match.  1 while the subscription
    // goes on, 0 once it has ended (its first match, without repeat), -1 with errno set
    // (ENOMEM).
    int feed(std::string_view bytes, ftrig_match_fn fn, void *ctx) noexcept;

    // Frees the expression and the history.
    void reset() noexcept;

    std::string_view history() const noexcept { return {buf_ ? buf_ : "", len_}; }

private:
    regex_t re_{};
    bool compiled_ = false;
    bool repeat_ = false;
    char *buf_ = nullptr; // the history, NUL-terminated
    std::size_t len_ = 0, cap_ = 0;
};

// A subscription: a listener FIFO in the fifodir and a matcher.
class ftrig_sub {
public:
    ftrig_sub() noexcept = default;
    ftrig_sub(ftrig_sub const &) = delete;
    ftrig_sub &operator=(ftrig_sub const &) = delete;

    // Compiles re, then subscribes to the existing fifodir (which is not created).  0, or
    // the errno s6-ftrigrd would answer (EINVAL bad regex, ENOENT no fifodir, ...).
    int subscribe(char const *fifodir, char const *re, std::uint32_t options) noexcept;

    // The FIFO's read end, for poll(); -1 when not subscribed.
    int fd() const noexcept { return fifo_.fd(); }
    bool active() const noexcept { return fifo_.fd() >= 0; }

    // What read() did.
    enum class status {
        drained, // the FIFO is empty now; the subscription goes on
        more,    // max_reads reads done, the FIFO may hold more; the subscription goes on
        ended,   // it matched (without ftrigr_repeat): already unsubscribed
        error,   // reading failed, errno set (s6-ftrigrd's 'd' event); the caller ends it
    };
    // Reads what the FIFO holds, up to max_reads reads of ftrig_chunk bytes, feeding the
    // matcher, which calls fn for each match.
    status read(int max_reads, ftrig_match_fn fn, void *ctx) noexcept;

    // Removes the FIFO and frees the matcher.
    void unsubscribe() noexcept;

private:
    listener fifo_;
    ftrig_matcher match_;
};

// What ftrig_wait saw.
struct ftrig_wait_result {
    enum class kind { matched, timed_out, error } what = kind::error;
    char last = 0; // the byte the last match reported
};

// Waits until the subscriptions (made without ftrigr_repeat) have matched: every one of them,
// or any one when any is set, as s6-ftrig-listen -a / -o do, until the absolute monotonic
// deadline (ms, -1 = none).  A subscription that matched has ended.  While waiting, each time
// sigfd (if not -1) becomes readable, on_signal() is called: a program that spawned a child
// reaps it there.  error: errno set (a FIFO could not be read, or poll failed).
ftrig_wait_result ftrig_wait(std::span<ftrig_sub> subs, bool any, std::int64_t deadline_ms,
                             int sigfd = -1, void (*on_signal)() noexcept = nullptr) noexcept;

} // namespace sv
