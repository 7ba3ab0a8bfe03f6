// Account lookups by reading /etc/passwd and /etc/group directly.
//
// Static glibc binaries must not go through NSS (getpwnam would dlopen libnss_* at run time),
// so the uid tools parse the files themselves, as s6 built with --enable-nsss avoids NSS too.
// The file formats are the usual colon-separated ones:
//   passwd:  name:password:uid:gid:gecos:home:shell
//   group:   name:password:gid:member,member,...
// Lines starting with '#', empty lines and malformed lines (too few fields, uid/gid not a plain
// decimal number) are skipped, as glibc's files backend skips them.  Lines of any length are
// accepted (group lines with thousands of members included).  The first matching line wins.
//
// Every lookup has an overload taking the file's path, for tests; the plain ones read
// passwd_file / group_file.
//
// Return convention (the one getpwnam has): true if found; false with errno == 0 if there is
// no such entry; false with errno set if the file could not be read.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace sv {

inline constexpr char const *passwd_file = "/etc/passwd";
inline constexpr char const *group_file = "/etc/group";

// One /etc/passwd entry.
struct user
{
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string shell;
};

// One /etc/group entry.
struct group
{
    std::string name;
    gid_t gid = 0;
    std::vector<std::string> members;
};

// The entry of the account called name.
bool lookup_user(std::string_view name, user &out) noexcept;
bool lookup_user(std::string_view name, user &out, char const *passwd_path) noexcept;

// The first entry with this uid.
bool lookup_uid(uid_t uid, user &out) noexcept;
bool lookup_uid(uid_t uid, user &out, char const *passwd_path) noexcept;

// The group called name.
bool lookup_group(std::string_view name, group &out) noexcept;
bool lookup_group(std::string_view name, group &out, char const *group_path) noexcept;

// The first group with this gid.
bool lookup_gid(gid_t gid, group &out) noexcept;
bool lookup_gid(gid_t gid, group &out, char const *group_path) noexcept;

// The supplementary groups of the account called user_name: the gid of every group line whose
// member list names it, in file order, duplicates kept, the primary gid NOT added unless a line
// lists the user.  This is skalibs' prot_readgroups, which s6-envuidgid uses to build GIDLIST.
// At most max gids are collected (NGROUPS_MAX by default), as prot_readgroups stops there.
// True on success (out possibly empty); false with errno set if the file could not be read.
bool groups_of(std::string_view user_name, std::vector<gid_t> &out,
               std::size_t max = 65536) noexcept;
bool groups_of(std::string_view user_name, std::vector<gid_t> &out, std::size_t max,
               char const *group_path) noexcept;

} // namespace sv
