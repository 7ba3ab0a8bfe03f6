// The text-client channel of skalibs (textmessage framing + textclient handshake), spoken
// between a client library and the helper it spawns: stock libs6's ftrigr_startf and
// s6lock_startf talk this way to s6-ftrigrd and s6lockd, and our helpers must answer them
// byte for byte.  Server side (text_server_init + text_receiver + text_sender) for helpers;
// client side (text_client) for our programs and tests.
//
// Framing (skalibs textmessage): every message is
//     4 bytes   its length N, big-endian (at most text_max_len)
//     N bytes   its payload
// Nothing else travels on the wire: no separators, no acknowledgements.
//
// Channels (skalibs textclient_startf, pipe mode, seen with strace on the stock programs):
// the client makes three pipes and spawns the helper with
//     fd 0      requests, client -> helper
//     fd 1      synchronous answers, helper -> client (one answer per request, in order)
//     fd A      asynchronous messages, helper -> client (events, at any time); A is the
//               pipe's own fd number in the client, kept open across exec, and named in the
//               environment as SKALIBS_CHILD_SPAWN_FDS=A (decimal)
// and nothing else in the helper's environment beyond what the client passes.
//
// Handshake, both sides with a deadline (stock helpers allow 2 seconds):
//     client -> fd 0   the message BANNER1 (e.g. "ftrigr v1.0 (b)\n")
//     helper           checks it is exactly BANNER1 (else EPROTO) and that fd A is open
//     helper -> fd A   the message BANNER2 (e.g. "ftrigr v1.0 (a)\n"), then
//     helper -> fd 1   the message BANNER2 again
//     client           reads BANNER2 from A, then from 1; either differing is EPROTO
// After that the client sends requests on fd 0 and waits for each answer on fd 1; the usual
// answer is one byte, an errno value (0 = success), which is what text_client::command
// expects.  The helper's end of the connection is fd 0 reading EOF (or fd 1 / fd A going
// away): it then exits 0.
//
// skalibs also has a socket mode (textclient_start on a Unix socket, the asynchronous channel
// passed as an fd over it), used by no stock s6 program; we do not implement it.
//
// Nothing here allocates except text_client::start (the child's environment).  Buffers are
// the caller's: a daemon gives static arrays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <sys/types.h>

namespace sv {

inline constexpr std::size_t text_header_size = 4;
// skalibs' TEXTMESSAGE_MAXLEN: a longer announced length is a protocol error.
inline constexpr std::uint32_t text_max_len = 0x01000000;
// The environment variable naming the asynchronous fd in a spawned helper.
inline constexpr std::string_view text_async_env = "SKALIBS_CHILD_SPAWN_FDS";

// Writes the 4-byte big-endian length header for a payload of len bytes.
void text_header(char out[text_header_size], std::uint32_t len) noexcept;

// Reads framed messages from a non-blocking fd into a fixed buffer supplied by the owner.  A
// message whose announced length does not fit in the buffer (or exceeds text_max_len) cannot
// be received: next() reports it as too_big, and the stream is then unusable.
class text_receiver {
public:
    constexpr text_receiver() noexcept = default;
    constexpr explicit text_receiver(std::span<char> buf, int fd = -1) noexcept
        : buf_(buf), fd_(fd)
    {
    }

    void set_fd(int fd) noexcept { fd_ = fd; }
    int fd() const noexcept { return fd_; }

    // One read() into the free part of the buffer (compacting it first, which invalidates
    // the views next() gave out).  The byte count; 0 at EOF; -1 with errno set (EAGAIN: no
    // data now; ENOBUFS: the buffer is full of an incomplete message, which next() reports
    // as too_big).  EINTR is retried.
    ssize_t fill() noexcept;

    // Appends bytes as if fill() had read them (for tests, and for data obtained elsewhere);
    // returns how many fitted.
    std::size_t feed(std::string_view bytes) noexcept;

    enum class result { message, incomplete, too_big };
    // Takes the next complete message from the buffer: message (msg is its payload, valid
    // until the next fill() or feed()), incomplete (read more), or too_big.
    result next(std::string_view &msg) noexcept;

    // Bytes received and not yet taken by next().
    std::size_t buffered() const noexcept { return end_ - start_; }

private:
    void compact() noexcept;
    std::span<char> buf_;
    int fd_ = -1;
    std::size_t start_ = 0, end_ = 0;
};

// Queues framed messages in a fixed buffer supplied by the owner and writes them out to a
// non-blocking fd as it accepts them.
class text_sender {
public:
    constexpr text_sender() noexcept = default;
    constexpr explicit text_sender(std::span<char> buf, int fd = -1) noexcept
        : buf_(buf), fd_(fd)
    {
    }

    void set_fd(int fd) noexcept { fd_ = fd; }
    int fd() const noexcept { return fd_; }

    // Queues one message whose payload is the concatenation of parts.  False with errno
    // ENOBUFS if it does not fit in the free space (nothing is queued then).
    bool put(std::initializer_list<std::string_view> parts) noexcept;
    bool put(std::string_view payload) noexcept { return put({payload}); }

    // Free space, counted in whole bytes on the wire (a message costs text_header_size + N).
    std::size_t room() const noexcept { return buf_.size() - (end_ - start_); }
    bool empty() const noexcept { return start_ == end_; }
    // The queued bytes, for tests: exactly what will go on the wire.
    std::string_view pending() const noexcept { return {buf_.data() + start_, end_ - start_}; }

    // Writes as much as the fd takes now.  True once everything is written; false with errno
    // set otherwise (EAGAIN: the fd is full, wait for POLLOUT; EPIPE: the reader is gone).
    bool flush() noexcept;
    // flush(), waiting for POLLOUT until the absolute monotonic deadline (ms, -1 = none).
    // False with errno set (ETIMEDOUT at the deadline).
    bool flush_until(std::int64_t deadline_ms) noexcept;

private:
    std::span<char> buf_;
    int fd_ = -1;
    std::size_t start_ = 0, end_ = 0;
};

// Waits for the next complete message on r until the absolute monotonic deadline (ms, -1 =
// none).  False with errno set: ETIMEDOUT, EPIPE (EOF), EMSGSIZE (too_big), or a read error.
bool text_receive_until(text_receiver &r, std::string_view &msg, std::int64_t deadline_ms) noexcept;

// ---- server side (a spawned helper) ------------------------------------------------------

// A helper's three channels.  Give each its buffer before text_server_init, e.g.
//     static char in[8192], out[64], ev[8192];
//     sv::text_server srv{sv::text_receiver{in}, sv::text_sender{out}, sv::text_sender{ev}};
struct text_server {
    text_receiver in;   // requests, fd 0
    text_sender sync;   // answers, fd 1
    text_sender async;  // asynchronous messages, the fd from SKALIBS_CHILD_SPAWN_FDS
};

// The fd named by SKALIBS_CHILD_SPAWN_FDS in envp (its leading decimal digits), or -1 with
// errno set: EPROTONOSUPPORT if the variable is missing (a socket-mode client, which we do
// not serve), EINVAL if it holds no number.
int text_async_fd(char const *const *envp) noexcept;

// The helper's side of the handshake (skalibs textclient_server_01x_init, pipe mode): takes
// the asynchronous fd from envp, sets the three fds non-blocking, waits until the absolute
// monotonic deadline for the message banner1 on the request fd, then sends banner2 on the
// asynchronous channel and then on the answer fd.  The request and answer fds are those of
// s.in and s.sync if set (tests), else 0 and 1.  Bytes the client sent after banner1 stay in
// s.in.  False with errno set: EPROTO (another banner), ETIMEDOUT, EPIPE (the client went
// away), EBADF (the asynchronous fd is not open), or what text_async_fd reports.
bool text_server_init(text_server &s, char const *const *envp, std::string_view banner1,
                      std::string_view banner2, std::int64_t deadline_ms) noexcept;

// ---- client side -------------------------------------------------------------------------

// A connection to a helper spawned as skalibs' textclient_startf spawns it.  Synchronous:
// command() sends a request and waits for its answer.  Asynchronous messages wait on
// async_fd() (poll it) and are read with async().fill() / async().next().
class text_client {
public:
    text_client() noexcept = default;
    text_client(text_client const &) = delete;
    text_client &operator=(text_client const &) = delete;
    ~text_client() { end(); }

    // Spawns argv[0] (a path) with argv and the environment envp plus
    // SKALIBS_CHILD_SPAWN_FDS, then performs the handshake until the absolute monotonic
    // deadline (ms, -1 = none).  False with errno set (then nothing is left running).
    bool start(char const *const *argv, char const *const *envp, std::string_view banner1,
               std::string_view banner2, std::int64_t deadline_ms) noexcept;

    // Sends one message (the concatenation of parts) and waits for the answer until the
    // deadline.  True if the answer is the single byte 0; otherwise false with errno set: the
    // answer byte itself (the helper's errno), EPROTO (an answer that is not one byte),
    // ETIMEDOUT, EPIPE (the helper is gone).
    bool command(std::initializer_list<std::string_view> parts, std::int64_t deadline_ms) noexcept;

    // Sends one message and waits for whatever answer comes (any length).  For tests of a
    // helper's protocol.  False with errno set.
    bool exchange(std::initializer_list<std::string_view> parts, std::string_view &answer,
                  std::int64_t deadline_ms) noexcept;

    int async_fd() const noexcept { return async_.fd(); }
    text_receiver &async() noexcept { return async_; }
    pid_t pid() const noexcept { return pid_; }
    // The write end of the request pipe (fd 0 of the helper), for tests that send raw bytes.
    int request_fd() const noexcept { return out_; }

    // Closes the three pipes (the helper sees EOF and exits) and reaps the helper.  Returns
    // its wait status, or -1 if there was none.
    int end() noexcept;

    // The wait status of the last helper reaped (by end(), or by a start() that failed after
    // spawning it); -1 if none was.
    int last_status() const noexcept { return wstat_; }

private:
    bool send(std::initializer_list<std::string_view> parts, std::int64_t deadline_ms) noexcept;
    char syncbuf_[4096];
    char asyncbuf_[4096];
    text_receiver sync_{syncbuf_};
    text_receiver async_{asyncbuf_};
    int out_ = -1;
    pid_t pid_ = 0;
    int wstat_ = -1;
};

} // namespace sv
