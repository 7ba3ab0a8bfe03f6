// fix-attrs rules (s6-overlay v2's fix-attrs.d format) and the tree walk that applies them.
//
// A rule line has five fields separated by blanks (spaces, tabs; a CR is taken as a blank so
// that files edited on Windows still work):
//
//     PATH-GLOB  RECURSE  ACCOUNT[,FALLBACK]  FMODE  DMODE
//
//   RECURSE   "true" recurses into directories; any other word does not (as in v2).
//   ACCOUNT   "user" or "user:group"; FALLBACK is "uid[:gid[:gidlist]]" (s6-envuidgid -D).
//             Without ':' the account is a user name (uid and primary gid; a number is NOT
//             taken as a uid).  With ':' each side is a name, else a number, else the
//             fallback's field.  An account that cannot be resolved and has no fallback fails
//             the line.  Exactly s6-overlay v2, which ran "s6-envuidgid [-nB] -D FALLBACK | -i".
//   FMODE     octal mode for files, or "-" to leave modes alone
//   DMODE     octal mode for directories, or "-"
//
// Blank lines and lines whose first field starts with '#' are skipped; so are extra fields
// after the fifth when they start with '#' (a trailing comment).
//
// Applying: the path itself is chowned and chmodded following symlinks (it is the name the
// administrator wrote).  Inside a recursion nothing is followed: entries are examined with
// AT_SYMLINK_NOFOLLOW, a symlink only gets its own owner changed (never a mode, never a
// descent), and directories are opened with O_NOFOLLOW, so a link pointing out of the tree
// is never walked.  Entries whose names start with '.' are included only when asked.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include <supervise/uidgid.hh>

namespace sv {

struct fixattrs_rule
{
    std::string path; // a glob(7) pattern
    bool recurse = false;
    std::string account; // before the first ','
    bool has_fallback = false;
    uidgid_spec spec; // how to resolve account (what, numeric, insist, fallback values)
    int fmode = -1;   // -1: leave alone
    int dmode = -1;
};

enum class fixattrs_line { rule, skip, bad };

// Parses one line (without its '\n').  On bad, why says what is wrong.
fixattrs_line fixattrs_parse(std::string_view line, fixattrs_rule &rule, std::string &why) noexcept;

// Resolves rule's account to uid and gid as s6-overlay v2 did; on failure bad names the user
// or group that could not be found (groups_error: the group file could not be read).
uidgid_status fixattrs_resolve(fixattrs_rule const &rule, uid_t &uid, gid_t &gid, std::string &bad,
                               char const *passwd_path = nullptr,
                               char const *group_path = nullptr) noexcept;

// Expands a glob(7) pattern into out (sorted), as glob(3) with no flags does: '*', '?' and
// '[...]' in any path component, a backslash escaping the next character, names starting
// with '.' matched only by a pattern component starting with '.', and a pattern without
// wildcards returned as it is if the path exists (lstat).  Written here rather than calling
// glob(3) because glibc's glob drags the NSS machinery (for "~user") into static binaries.
// False with errno set only if the pattern cannot be processed at all (too long).
bool glob_paths(std::string_view pattern, std::vector<std::string> &out) noexcept;

// True if S6_FIX_ATTRS_HIDDEN's value asks for dot-files: set, not empty, and not a decimal 0.
bool fixattrs_hidden(char const *value) noexcept;

// Receives each failure while applying: what failed ("chown", "chmod", "open directory",
// "read directory", "stat"), on which path, with errno set.
struct fixattrs_reporter
{
    virtual void fail(std::string_view what, std::string_view path) noexcept = 0;

protected:
    ~fixattrs_reporter() = default;
};

// Applies owner and modes to path, and below it when recurse is set and path is a directory.
// Every failure is reported and the walk goes on; returns the number of failures.
std::size_t fixattrs_apply(char const *path, uid_t uid, gid_t gid, int fmode, int dmode,
                           bool recurse, bool hidden, fixattrs_reporter &rep) noexcept;

} // namespace sv
