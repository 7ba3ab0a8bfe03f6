// s6-rc's source format: service definition directories, as s6-rc-compile 0.5.4.1 reads them
// (and as s6-overlay v3 images keep them in /etc/s6-overlay/s6-rc.d), read into a graph of
// atomic services with their direct dependencies, bundles expanded.  /init starts and stops
// that graph itself; nothing here writes a compiled database.
//
// A source directory holds one directory per service (entries starting with '.', and
// anything that is not a directory, are ignored).  In each:
//   type                    "oneshot", "longrun" or "bundle" (one trailing newline allowed)
//   flag-essential          present or not (on a bundle: each of its members' flag)
//   dependencies.d/NAME...  direct dependencies (atomic services only); or, if that directory
//   dependencies            is absent, a list file: one name per line, leading blanks
//                           dropped, trailing ones kept, empty lines and '#' lines ignored
//   contents.d/, contents   a bundle's members, likewise (one of them is required)
//   timeout-up, timeout-down  milliseconds, decimal (0: none)
//   up, down                a oneshot's scripts, lexed as execlineb lexes (up is required)
//   run                     a longrun's, a regular file (required); finish, notification-fd,
//                           lock-fd, timeout-kill, timeout-finish, max-death-tally,
//                           down-signal, data/, env/, instance/, instances/ go to its
//                           service directory as they are
//   producer-for            one longrun it feeds (it then depends on that consumer)
//   consumer-for            the longruns feeding it, each declaring producer-for back
//   pipeline-name           on a last consumer: a bundle of its whole pipeline
// Names may not start with "s6rc-" or "s6-rc-", nor contain a newline.
//
// The errors are s6-rc-compile's, in its words, each one line naming the file or services
// at fault; code 1 for bad definitions, 111 when a file cannot be read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sv::rc {

enum class kind : unsigned char { oneshot, longrun, bundle };

// "oneshot", "longrun", "bundle".
std::string_view kind_name(kind k) noexcept;

// One service definition, as read from its directory.
struct definition {
    std::string name;
    std::string dir; // SOURCE/NAME, or "" for a definition made by the program (builtin)
    kind type = kind::oneshot;
    bool essential = false;
    std::uint32_t timeout_up = 0, timeout_down = 0; // ms, 0: none
    std::vector<std::string> deps;     // direct dependencies, as named
    std::vector<std::string> contents; // a bundle's
    std::vector<std::string> up, down; // a oneshot's argv, lexed (empty: nothing to do)
    std::string producer_for;          // a longrun's consumer, or ""
    std::vector<std::string> consumer_for;
    std::string pipeline_name; // kept on a last consumer only
    int builtin = -1;          // the program's own tag for a builtin, -1 for a read one
};

// What went wrong: s6-rc-compile's exit code (1 or 111) and its one-line message.
struct error {
    int code = 0;
    std::string message;
};

// The definitions and, once resolve() has run, the atomic services and their dependencies.
struct graph {
    std::vector<definition> defs;
    // The atomic services (oneshots and longruns): indices into defs, in the order of defs.
    std::vector<unsigned> atoms;
    // For each atom, its direct dependencies as atom indices (bundles expanded, each once).
    std::vector<std::vector<unsigned>> deps;

    // The index in defs of name, or -1.
    int find(std::string_view name) const noexcept;
    // The atom index of defs[def], or -1 for a bundle.
    int atom_of(unsigned def) const noexcept;
    // name (an atomic service or a bundle) as atom indices, added to out (each once); false
    // if no such name.
    bool expand(std::string_view name, std::vector<unsigned> &out) const noexcept;
    // The definition of atom a.
    definition const &def_of(unsigned a) const noexcept { return defs[atoms[a]]; }
};

// Reads every service definition directory in srcdir into g.defs.  A directory named in
// implied_bundles that has no type file is taken as a bundle (s6-overlay's own layer gives
// its user and user2 bundles their type file, which an image may not have).  False with err
// set on the first error, as s6-rc-compile stops on it.
bool read_source(std::string const &srcdir, graph &g, error &err,
                 std::vector<std::string_view> const &implied_bundles = {}) noexcept;

// Adds a definition the program makes itself (dir "").  False with err set if the name is
// already defined.
bool add_definition(graph &g, definition d, error &err) noexcept;

// Checks and resolves g as s6-rc-compile does: bundles (pipeline bundles made first) expanded
// with cycles refused, every name defined, producers and consumers declared both ways, the
// dependency graph acyclic.  Fills g.atoms and g.deps.  False with err set on the first error.
bool resolve(graph &g, error &err) noexcept;

// The order in which the atoms can start, dependencies first (a topological order; for
// stopping, the reverse).  Only meaningful after resolve().
std::vector<unsigned> start_order(graph const &g) noexcept;

} // namespace sv::rc
