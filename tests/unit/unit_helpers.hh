// TRANSITIONAL: the unit tests' old helper names, forwarded to the one harness
// (tests/harness/harness.hh, namespace h) for unit tests written against them while the
// harness moved.  New tests use h:: directly; this header goes once no test includes it.
#pragma once

#include "harness.hh"

#include <string>

namespace unit {

class temp_dir : public h::tempdir {
public:
    std::string const &str() const { return path(); }
};

using h::child;
using h::exists;
using h::make_fake_service;
using h::mode_of;
using h::umask_guard;
using h::wait_readable;
using h::write_file;
inline std::string read_file(std::string const &path) { return h::read_existing(path); }

} // namespace unit
