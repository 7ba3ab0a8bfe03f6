// s6-fdholderd's access rules (rules.cc).
#pragma once
#include "state.hh"

#include <supervise/cdb.hh>

namespace fdhd {

// Where the rules are: a directory (-i) or a cdb (-x), opened once and reopened on SIGHUP.
struct rules_t {
    char const *path = nullptr;
    bool is_cdb = false;
    sv::cdb db;
};

// The access check and the rights of a new connection (c's regexes and flags, as the
// matching rule's S6_FDHOLDER_* variables grant them, as in stock: the first valid occurrence
// of each regex wins, an invalid one refuses the client); false to turn it away, with
// nothing left allocated.
bool admit(rules_t const &rules, int fd, client &c, unsigned verbosity);

} // namespace fdhd
