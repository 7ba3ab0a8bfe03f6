// s6's access rules: who may use a local service, read from a rules directory or from its
// cdb image (s6-ipcserver-access -i / -x, s6-fdholderd -i / -x, s6-accessrules-*).
//
// A rules directory holds one subdirectory per key, "uid/<N>", "gid/<N>", "uid/self",
// "gid/self" or "uid/default", and in it:
//   allow    the key is allowed (a file, any content);
//   deny     the key is denied, when there is no allow;
//   env/     (with allow) an environment directory, read as s6-envdir reads one: the changes
//            to make to the server program's environment;
//   exec     (with allow) up to 4096 bytes: a command line for execlineb to run instead.
// A key with neither allow nor deny is not found, and the search goes on.
//
// The search for a client's uid and gid, first decisive answer wins:
//   uid/self (only when uid is our effective uid), uid/<uid>, gid/self (only when gid is
//   our effective gid), gid/<gid>, uid/default.
//
// A cdb rules file maps the same keys to one record each (multi-byte integers big-endian):
//   "D"                                        deny
//   "A" envlen(2) env(envlen) execlen(2) exec   allow; envlen and execlen at most 4096
// where env is the list of changes in readdir order, each "NAME=VALUE\0", or "NAME\0" to
// unset NAME.  Any other first byte reads as not found.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>

#include <supervise/cdb.hh>

namespace sv {

enum class access_verdict { error = -1, deny = 0, allow = 1, not_found = 2 };

// What an allow rule grants.
struct access_grant {
    std::string env;  // changes, in the cdb record's form (see above)
    std::string exec; // the exec file's content; empty when there is none
};

// The largest env and exec parts of a record.
inline constexpr std::size_t access_env_max = 4096;
inline constexpr std::size_t access_exec_max = 4096;

// One key's rule in the rules directory dir.  On allow, appends the rule's env to g.env and
// sets g.exec.  error with errno set when a file cannot be read (a missing one is no error).
access_verdict access_rule_fs(std::string_view dir, std::string_view key,
                              access_grant &g) noexcept;

// One key's rule in a rules cdb.  error with errno EINVAL for a malformed record, EPROTO for
// a malformed file.
access_verdict access_rule_cdb(cdb const &db, std::string_view key, access_grant &g) noexcept;

// A record's data for access_rule_cdb: "D", or "A" with env and exec.  False with errno
// EINVAL when parse_access_record would refuse it.
bool access_record_allow(std::string_view env, std::string_view exec, std::string &out);
// Splits a record: verdict, and on allow its env and exec (views into data).  not_found for
// an unknown first byte; error with errno EINVAL for a malformed record.
access_verdict access_record_parse(std::string_view data, std::string_view &env,
                                   std::string_view &exec) noexcept;

// The env and exec of a record whatever its first byte, as s6-accessrules-fs-from-cdb reads
// them: false with errno EINVAL when the lengths do not add up.
bool access_record_split(std::string_view data, std::string_view &env,
                         std::string_view &exec) noexcept;

// The uid/gid search above, through one of the two backends.
access_verdict access_uidgid_fs(uid_t uid, gid_t gid, std::string_view dir,
                                access_grant &g) noexcept;
access_verdict access_uidgid_cdb(uid_t uid, gid_t gid, cdb const &db, access_grant &g) noexcept;

} // namespace sv
