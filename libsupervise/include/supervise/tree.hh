// Whole file trees: copying one and removing one, as skalibs' hiercopy and rm_rf do for s6
// (s6-instance-maker copies the template, s6-instance-create copies it again for each
// instance, s6-instance-delete removes the instance's copy) and as /init does for its
// service directories.
#pragma once

#include <string>

namespace sv {

struct copy_options {
    // Give each copy the owner and group of its original (lchown), as s6's hiercopy does; a
    // failure there (not root) is ignored and the copy keeps ours.
    bool keep_owner = true;
    // An executable regular file becomes a symlink to its original instead of a copy, so it
    // can still run from a noexec destination (/init's choice; s6 has no such thing).
    bool link_executables = false;
    // Sockets and device nodes are left out instead of made anew (/init: they are no part of
    // a service directory, and only root may make device nodes).
    bool skip_special = false;
};

// Copies src to dst, which must not exist (an existing directory at dst is reused).
// Directories are copied recursively, regular files byte for byte, symlinks as symlinks (the
// same target text), FIFOs, sockets and device nodes as new nodes of the same kind (unless
// skip_special).  Each
// copy then gets its original's permission bits (setuid, setgid and sticky included; never
// for a symlink) after its owner, so a setuid bit survives the chown.  Hard links become
// separate copies; times are not kept.  False with errno set on the first failure, which
// leaves a partial copy behind (the caller removes it).  It allocates.
bool copy_tree(std::string const &src, std::string const &dst,
               copy_options const &o = {}) noexcept;

// Removes path and, if it is a directory, everything under it (symlinks are removed, never
// followed).  A path that does not exist is a success.  False with errno set if something
// could not be removed; it goes on with the rest regardless.
bool rm_rf(char const *path) noexcept;

} // namespace sv
