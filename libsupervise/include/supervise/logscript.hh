// s6-log's logging script and its rotation policy (s6 2.11.3.2), kept free of side effects so
// that the unit tests can cover all of it.
//
// A script is the list of arguments after the options.  Each argument is one directive; its
// first character gives its kind:
//   selection  +RE  -RE  f                       (RE: POSIX extended regex, searched unanchored)
//   control    nN sN SN lN rN EN ^N pTEXT !CMD ?CMD t T
//   action     1 (stdout)  2 (alert on stderr)  =FILE (status file)  /DIR or .DIR (logdir)
// The script splits into groups: selections and controls followed by one or more actions; a
// selection that follows an action starts the next group.  The selection state carries over
// from one group to the next (s6's own behaviour, see run order in s6-log's main loop).
//
// s6 parses in two passes: a syntax pass (unknown first character, "tt", "1x", "=" alone...)
// that creates nothing, then a building pass that creates and locks every logdir as it meets
// it, and can still fail (a bad number, a regex that does not compile, l conflicting with s).
// parse() mirrors that: on a building-pass error, `logdirs` holds the logdirs that come before
// the bad directive, which s6-log creates before it dies, as s6 does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <regex.h>

namespace sv::logscript {

// Defaults and limits of the control directives and of -l.
inline constexpr std::uint32_t default_n = 10;
inline constexpr std::uint32_t default_s = 99999;
inline constexpr std::uint32_t min_s = 4096;
inline constexpr std::uint32_t max_s = 268435455;
inline constexpr std::uint32_t default_tolerance = 2000;
inline constexpr std::uint32_t default_retry_ms = 2000;
inline constexpr std::uint32_t default_alert_size = 200;
inline constexpr std::uint32_t default_status_size = 1001;
inline constexpr std::size_t default_linelimit = 8192;
inline constexpr std::size_t min_linelimit = 48;

enum class sel_type : std::uint8_t {
    plus,  // +RE: select a line that is not selected yet and matches
    minus, // -RE: deselect a selected line that matches
    fresh, // f: selected := no action has been applied to this line yet
};

struct selection
{
    sel_type type = sel_type::plus;
    regex_t *re = nullptr; // compiled with REG_EXTENDED|REG_NOSUB|REG_NEWLINE; null for f
};

enum class act_type : std::uint8_t {
    out1,   // 1: copy to stdout
    alert,  // 2: "s6-log: alert: " + record on stderr
    status, // =FILE: rewrite FILE with the record (through FILE.new and rename)
    logdir, // /DIR or .DIR
};

struct action
{
    act_type type = act_type::out1;
    bool tai = false;         // t came before this action (one action only)
    bool iso = false;         // T came before this action (one action only)
    std::string_view prefix;  // p in force (printed followed by a space); empty for none
    std::uint32_t size = 0;   // alert: E in force; status: ^ in force
    std::string_view target;  // status: the file; logdir: the directory
    std::uint32_t logdir = 0; // logdir: index in script::logdirs
};

// Everything a logdir takes from the control directives in force where it appears.
struct logdir_spec
{
    std::string_view path;
    std::uint32_t n = default_n;
    std::uint32_t s = default_s;
    std::uint32_t tolerance = default_tolerance;
    std::uint32_t retry_ms = default_retry_ms;
    std::uint64_t max_total = 0; // S: 0 = no limit
    std::string_view processor;  // empty: none
    bool processor_sh = false;   // true: /bin/sh -c (?), false: execlineb -Pc (!)
};

struct group
{
    std::uint32_t sel_begin = 0, sel_end = 0, act_begin = 0, act_end = 0;
};

enum class error : std::uint8_t {
    none,
    unrecognized, // "unrecognized directive: X"                     (exit 100)
    syntax,       // "syntax error at directive: X"                  (exit 100)
    no_action,    // "no action directive specified"                 (exit 100)
    conflict,     // "directive X conflicts with previous s directive" (exit 100)
    nomem,        // regcomp ran out of memory: "unable to initialize script" (exit 111)
};

// A parsed script.  Owns the compiled regexes.  The string_views point into the argument
// strings given to parse(), which must outlive the script.
struct script
{
    script() noexcept = default;
    script(script const &) = delete;
    script &operator=(script const &) = delete;
    ~script();

    std::vector<selection> sels;
    std::vector<action> acts;
    std::vector<group> groups;
    std::vector<logdir_spec> logdirs;
    bool any_tai = false;    // some action has t
    bool any_iso = false;    // some action has T
    bool any_regex = false;  // some group has a +RE or -RE selection
    bool any_select = false; // some group has any selection directive at all
    // The script ends with selection directives after its last action: s6 warns
    // "ignoring extraneous non-action directives" and ignores them.
    bool extraneous = false;
    error err = error::none;
    std::size_t err_at = 0; // index in args of the offending directive

private:
    friend error parse(std::span<char const *const>, script &) noexcept;
    std::vector<std::unique_ptr<regex_t>> regexes_;
};

// Parses args into out (which must be fresh).  Returns out.err.
error parse(std::span<char const *const> args, script &out) noexcept;

// Runs the selection directives of every group over one line, s6's way, and calls
// act(group_index) for each group whose actions apply.  line must be NUL-terminated at
// line[len] when the script has regexes (regexec needs a C string).
template <class F> void select(script const &sc, char const *line, F &&act) noexcept
{
    bool selected = true, acted = false;
    for (std::size_t g = 0; g < sc.groups.size(); g++) {
        auto const &gr = sc.groups[g];
        for (auto i = gr.sel_begin; i < gr.sel_end; i++) {
            auto const &s = sc.sels[i];
            switch (s.type) {
            case sel_type::fresh:
                selected = !acted;
                break;
            case sel_type::plus:
                if (!selected && !regexec(s.re, line, 0, nullptr, 0)) selected = true;
                break;
            case sel_type::minus:
                if (selected && !regexec(s.re, line, 0, nullptr, 0)) selected = false;
                break;
            }
        }
        if (selected) {
            acted = true;
            act(g);
        }
    }
}

// ---- Input lines ------------------------------------------------------------------------

// Finds the next line in data[0..n): s6-log 2.11 ends a line at '\n' or at a NUL byte, and
// cuts a line longer than linelimit (0 = no limit) into pieces of linelimit bytes.  On success
// sets len (the line, without its terminator) and used (bytes consumed: len + 1 when a
// terminator was found, len for a cut piece) and returns true; returns false when data holds
// only the start of a line.  have_nul = false promises there is no NUL byte in data (a faster
// search).
bool next_line(char const *data, std::size_t n, std::size_t linelimit, bool have_nul,
               std::size_t &len, std::size_t &used) noexcept;

// ---- Output records -----------------------------------------------------------------------

// For an alert with E = alert_size: how many bytes of a line of len bytes are printed, and
// whether "..." follows (only when alert_size > 0 and the line is longer than alert_size + 3).
std::size_t alert_keep(std::size_t len, std::uint32_t alert_size, bool &ellipsis) noexcept;

// A status file of ^ = status_size for a record of record_len bytes (its final '\n'
// included).  Returns how many leading record bytes to write and sets pad to the number of
// newlines to write after them:
//   status_size 0                  -> the whole record, no padding;
//   record_len <= status_size      -> the record without its '\n', then newlines up to
//                                     exactly status_size bytes;
//   record_len >  status_size      -> the first status_size bytes (no final newline).
std::size_t status_layout(std::size_t record_len, std::uint32_t status_size,
                          std::size_t &pad) noexcept;

// ---- Logdir rotation policy ---------------------------------------------------------------

// True for names that count as archives: exactly 27 characters, '@', 24 hex digits, '.',
// then 's' or 'u'.  Sorting such names sorts them by age.
bool is_archive_name(std::string_view name) noexcept;

// Writes "@" + 24 hex + "." + suffix (27 characters, no NUL) for the stamp given as a
// 25-character TAI64N label.
void archive_name(char *out, char const *label, char suffix) noexcept;

struct archive
{
    char name[28] = {}; // NUL-terminated
    std::uint64_t size = 0;
};

// Trimming a logdir without holding its whole listing (s6-log allocates nothing once
// running): one pass over the directory feeds every archive to add(), which counts them, adds
// up their sizes and keeps the max_oldest oldest, sorted oldest first.  plan() then says how
// many of oldest[] to delete so that at most n archives remain and, if max_total > 0, their
// sizes add up to at most max_total.  It sets again when deleting every archive held is still
// not enough: delete them, then scan the directory once more.
struct trim_scan
{
    static constexpr std::size_t max_oldest = 32;
    archive oldest[max_oldest];
    std::size_t held = 0;
    std::uint64_t count = 0, total = 0;

    void add(archive const &a) noexcept;
    std::size_t plan(std::uint32_t n, std::uint64_t max_total, bool &again) const noexcept;
};

// How many of the pending bytes data[0..n) to hand to the next write() on current, which
// holds b bytes, with rotation size s and tolerance l.  s6 writes everything up to the last
// '\n' (or everything if there is none) and rotates after a write that ends on '\n' once
// b + l >= s.  We cut the write at the first '\n' that reaches that threshold instead, so the
// rotation point does not depend on how the input happened to be chunked: archives end at the
// first line boundary at or past s - l, as s6's do when lines arrive one by one.
std::size_t write_span(char const *data, std::size_t n, std::uint64_t b, std::uint32_t s,
                       std::uint32_t l) noexcept;

// s6's test after each successful write: rotate now if b + l >= s and the last byte written
// was a newline.
inline bool rotate_after_write(std::uint64_t b, std::uint32_t s, std::uint32_t l,
                               char last) noexcept
{
    return b + l >= s && last == '\n';
}

// s6's test before each flush: a current that already holds s bytes or more (after a write
// that did not end on a newline) is rotated first, even in the middle of a line.
inline bool rotate_before_flush(std::uint64_t b, std::uint32_t s) noexcept
{
    return b >= s;
}

} // namespace sv::logscript
