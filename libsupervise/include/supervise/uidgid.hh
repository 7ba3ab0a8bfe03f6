// The engines of s6-envuidgid and s6-applyuidgid (s6 2.11.3.2), shared by those two tools, by
// s6-setuidgid (which runs stock's envuidgid -> applyuidgid chain in one process) and by
// fix-attrs (whose account field is resolved the way s6-overlay v2 resolved it, through
// s6-envuidgid).
//
// Numbers are scanned the way skalibs scans them: decimal digits only, no sign, no white space.
// A gid list is numbers separated by runs of any of ", : ; space tab CR LF"; scanning stops at
// the first thing that is not a number, and only a list that does not even start with a
// number is rejected ("9x" is [9]; ",9" is an error; "" is the empty list where allowed).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace sv {

// The most supplementary groups a list may hold (Linux NGROUPS_MAX).
inline constexpr std::size_t gid_list_max = 65536;

// Scans the longest prefix of decimal digits of s whose value fits in 32 bits (skalibs
// uint32_scan).  Returns how many characters were used; 0 (out untouched) if s does not start
// with a digit.
std::size_t scan_u32_prefix(std::string_view s, std::uint32_t &out) noexcept;

// True if the whole of s is one such number (skalibs uid0_scan / gid0_scan).
bool scan_u32(std::string_view s, std::uint32_t &out) noexcept;

// Scans a gid list into out (at most max entries) and returns the characters used; 0 means
// the list does not start with a number (out is then empty).
std::size_t scan_gid_list(std::string_view s, std::vector<gid_t> &out,
                          std::size_t max = gid_list_max) noexcept;

// "1,2,3": the form GIDLIST takes.
std::string fmt_gid_list(std::span<gid_t const> gids) noexcept;

// What s6-envuidgid resolves.  The values of what are s6's: the bits 1 (UID), 2 (GID) and
// 4 (GIDLIST) say which variables are set.
struct uidgid_spec
{
    unsigned what = 7;    // 7 account (default), 1 -u, 2 -g, 3 -B
    bool numeric = false; // -n: a name that cannot be found may be a number
    bool insist = true;   // -i; -D turns it off
    // The defaults given by -D (0 and the empty list without it); the results on return.
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> gids;
};

// Parses -D's argument "uid[:gid[:gidlist]]" (each part may be empty) into spec's defaults.
// False if malformed, which s6-envuidgid reports as a usage error.
bool scan_uidgid_defaults(std::string_view arg, uidgid_spec &spec) noexcept;

enum class uidgid_status {
    ok,
    unknown_user,  // "unknown user: NAME", exit 1
    unknown_group, // "unknown group: NAME", exit 1
    groups_error,  // the group file could not be read (errno set), exit 111
};

// Resolves account per spec, exactly as s6-envuidgid 2.11 does:
//  - what 7: account is a user name; uid and primary gid from the passwd file, gids = the
//    groups whose member lists name it (primary gid not added).
//  - what 1 / 2: account is a user / group name; only uid / gid change.
//  - what 3: account is "user:group", either side possibly empty (left at the default).
// The group is resolved before the user.  With numeric, a name that is not found may be a
// decimal number; without insist, a name that is not found keeps the default.  On failure bad
// names the culprit.  The paths default to /etc/passwd and /etc/group.
uidgid_status resolve_uidgid(std::string_view account, uidgid_spec &spec, std::string &bad,
                             char const *passwd_path = nullptr,
                             char const *group_path = nullptr) noexcept;

// s6-envuidgid's whole command line short of the exec: parses argv (argv[0] is the program
// name), resolves, puts UID, GID and/or GIDLIST into the environment, and returns the argv of
// the program to run.  Errors are reported with sv::prog and s6's wording, then exit (100
// usage, 1 unknown account, 111 system error).
char const *const *envuidgid_main(int argc, char const *const *argv) noexcept;

// -U as s6-applyuidgid and s6-socklog take it: uid, gid and gids from $UID, $GID and
// $GIDLIST.  Dies with s6's messages (exit 100) when one is unset or malformed.
void uidgid_from_env(std::uint32_t &uid, std::uint32_t &gid, std::vector<gid_t> &gids) noexcept;

// Drops to uid / gid as s6 does: with set_list, setgroups(gids) with gid (or the egid when gid
// is 0) put first unless listed (gids changes); then setgid if gid != 0, setuid if uid != 0.
// Dies (exit 111) with "unable to set supplementary group list", "unable to setgid" or
// "unable to setuid".
void apply_uidgid(uid_t uid, gid_t gid, std::vector<gid_t> &gids, bool set_list) noexcept;

// s6-applyuidgid's whole command line short of the exec: options in order (-u -g -G -U -z),
// then setgroups (gid first, prepended unless already listed; only if -G or -U was given),
// setgid (if gid != 0), setuid (if uid != 0), and with -z removal of UID, GID and GIDLIST
// from the environment.  Returns the argv of the program to run; exits like s6-applyuidgid
// on errors (100 usage or bad variables, 111 when a set* call fails).
char const *const *applyuidgid_main(int argc, char const *const *argv) noexcept;

// The usage strings of the two tools, exactly as s6 2.11.3.2 prints them.
inline constexpr std::string_view envuidgid_usage =
    "s6-envuidgid [ -i | -D defaultuid:defaultgid:defaultgidlist ] [ -u | -g | -B ] [ -n ] "
    "account prog...";
inline constexpr std::string_view applyuidgid_usage =
    "s6-applyuidgid [ -z ] [ -u uid ] [ -g gid ] [ -G gidlist ] [ -U ] prog...";

} // namespace sv
