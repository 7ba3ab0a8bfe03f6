// Archiving and trimming a logdir: previous, processed or current becomes @<stamp>.s or .u,
// then the oldest archives beyond n and S go.  The logdir is read one directory pass at a
// time with no listing kept in memory (logscript::trim_scan), so this allocates nothing.
#include "logdir.hh"

#include <cerrno>
#include <cstring>

#include <supervise/diag.hh>

namespace s6log {

namespace {

namespace ls = sv::logscript;

// One pass over the logdir for trimming: every archive name, with its size.
struct archive_lister final : sys::dir_visitor
{
    logdir const &ld;
    ls::trim_scan scan;
    explicit archive_lister(logdir const &l) noexcept : ld(l) {}
    void entry(char const *name) noexcept override
    {
        if (!ls::is_archive_name(name)) return;
        auto p = logdir_file(ld, name);
        struct stat st;
        if (sys::stat(p.c_str(), st) < 0) {
            if (verbosity) sv::warn_sys("unable to stat ", p.view());
            return;
        }
        ls::archive a;
        std::memcpy(a.name, name, 28);
        a.size = static_cast<std::uint64_t>(st.st_size);
        scan.add(a);
    }
};

// Deletes the oldest archives beyond n (and beyond S bytes in all).  Returns -1 (errno set)
// if the directory cannot be read.
int trim(logdir const &ld) noexcept
{
    for (;;) {
        archive_lister l(ld);
        if (sys::scan_dir(ld.spec.path.data(), l) < 0) return -1;
        bool again, all_gone = true;
        std::size_t k = l.scan.plan(ld.spec.n, ld.spec.max_total, again);
        for (std::size_t i = 0; i < k; i++) {
            auto p = logdir_file(ld, l.scan.oldest[i].name);
            if (sys::unlink(p.c_str()) == 0) continue;
            all_gone = false;
            if (verbosity) sv::warn_sys("unable to unlink ", p.view());
        }
        // More to delete than one pass holds: look again, unless an unlink failed (the same
        // file would come back as the oldest for ever).
        if (!again || !all_gone) return 0;
    }
}

} // namespace

int archive(logdir const &ld, char const *name, char suffix) noexcept
{
    auto x = logdir_file(ld, name);
    struct stat st;
    if (sys::stat(x.c_str(), st) < 0) return errno == ENOENT ? 0 : -1;
    if (st.st_nlink == 1) {
        // A fresh stamp for every archive; should the clock not have moved, try again.
        for (int tries = 0;; tries++) {
            char label[sv::tain_label_size], arch[27];
            sv::tain_fmt(label, sys::now_tain());
            ls::archive_name(arch, label, suffix);
            auto y = logdir_file(ld, std::string_view(arch, 27));
            if (sys::link(x.c_str(), y.c_str()) == 0) break;
            if (errno != EEXIST || tries == 100) return -1;
        }
    }
    if (sys::unlink(x.c_str()) < 0) return -1;
    return trim(ld);
}

} // namespace s6log
