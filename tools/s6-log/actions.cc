// s6-log's actions: records are "[@tai64n ][iso-stamp  ][prefix ]line\n", appended to a
// logdir's queue (1 too, for stdout), printed after "s6-log: alert: " on stderr (2), or
// written as a whole status file (=FILE).  The wall clock is read once per line, as s6 does.
#include "actions.hh"
#include "input.hh"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>

namespace s6log {

namespace ls = sv::logscript;

namespace {

// Padding for status files, written from here rather than from a buffer of the pad's size.
constexpr auto newlines = [] {
    std::array<char, 4096> a{};
    a.fill('\n');
    return a;
}();

// The bytes an action adds around a line: stamps, prefix, newline.
std::size_t record_extra(ls::action const &a) noexcept
{
    std::size_t n = 1;
    if (a.tai) n += sv::tain_label_size + 1;
    if (a.iso) n += sv::iso_stamp_max + 2;
    if (!a.prefix.empty()) n += a.prefix.size() + 1;
    return n;
}

} // namespace

inline void actions::stamp() noexcept
{
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (sc_->any_tai) {
        tai_.fmt(tstamp_, ts);
        tstamp_[sv::tain_label_size] = ' ';
    }
    if (sc_->any_iso) {
        hlen_ = iso_.fmt(hstamp_, ts);
        hstamp_[hlen_++] = ' ';
        hstamp_[hlen_++] = ' ';
    }
}

bool actions::init(ls::script const &sc, std::span<logdir> lds, std::size_t linelimit) noexcept
{
    sc_ = &sc;
    lds_ = lds;
    demand_.assign(1 + lds.size(), demand{});
    for (auto const &a : sc.acts) {
        std::size_t o = a.type == ls::act_type::logdir ? 1 + a.logdir
                        : a.type == ls::act_type::out1 ? 0
                                                        : SIZE_MAX;
        if (o == SIZE_MAX) continue;
        demand_[o].count++;
        demand_[o].extra += record_extra(a);
    }
    // Room for two of the longest records (a line cut at the limit, or one byte more when
    // SIGTERM's last line is too long), and at least two full reads of stdin.
    std::size_t const longest = linelimit + 1, floor = 2 * input_capacity(linelimit);
    for (std::size_t o = 0; o < demand_.size(); o++) {
        auto &d = demand_[o];
        if (!d.count) continue;
        d.most = linelimit ? d.count * longest + d.extra : 0;
        if (!target(o).init(std::max(2 * (d.count * longest + d.extra), floor))) return false;
    }
    if (sc.any_tai || sc.any_iso) stamp(); // loads the time zone now
    return true;
}

queue &actions::target(std::size_t output) noexcept
{
    return output ? lds_[output - 1].out : out1_;
}

bool actions::fits(std::size_t len) const noexcept
{
    for (std::size_t o = 0; o < demand_.size(); o++) {
        auto const &d = demand_[o];
        if (!d.count || (!o && !stdout_open_)) continue;
        queue const &q = o ? lds_[o - 1].out : out1_;
        if (q.size() && d.count * len + d.extra > q.room()) return false;
    }
    return true;
}

std::size_t actions::safe_lines() const noexcept
{
    std::size_t n = SIZE_MAX;
    for (std::size_t o = 0; o < demand_.size(); o++) {
        auto const &d = demand_[o];
        if (!d.count || (!o && !stdout_open_)) continue;
        if (!d.most) return 0;
        queue const &q = o ? lds_[o - 1].out : out1_;
        n = std::min(n, q.room() / d.most);
    }
    return n;
}

std::size_t actions::pieces(iovec *v, ls::action const &a, char const *line, std::size_t len,
                            char const *tail, std::size_t taillen) noexcept
{
    std::size_t k = 0;
    if (a.tai) v[k++] = {tstamp_, sizeof tstamp_};
    if (a.iso) v[k++] = {hstamp_, hlen_};
    if (!a.prefix.empty()) {
        v[k++] = {const_cast<char *>(a.prefix.data()), a.prefix.size()};
        v[k++] = {const_cast<char *>(" "), 1};
    }
    v[k++] = {const_cast<char *>(line), len};
    v[k++] = {const_cast<char *>(tail), taillen};
    return k;
}

void actions::append(queue &q, ls::action const &a, char const *line, std::size_t len) noexcept
{
    std::size_t total = len + 1;
    if (a.tai) total += sizeof tstamp_;
    if (a.iso) total += hlen_;
    if (!a.prefix.empty()) total += a.prefix.size() + 1;
    char *d = q.reserve(total);
    if (a.tai) d = static_cast<char *>(std::memcpy(d, tstamp_, sizeof tstamp_)) + sizeof tstamp_;
    if (a.iso) d = static_cast<char *>(std::memcpy(d, hstamp_, hlen_)) + hlen_;
    if (!a.prefix.empty()) {
        d = static_cast<char *>(std::memcpy(d, a.prefix.data(), a.prefix.size())) +
            a.prefix.size();
        *d++ = ' ';
    }
    std::memcpy(d, line, len);
    d[len] = '\n';
    q.commit(total);
}

void actions::alert(ls::action const &a, char const *line, std::size_t len) noexcept
{
    bool dots;
    std::size_t keep = ls::alert_keep(len, a.size, dots);
    iovec v[8];
    v[0] = {const_cast<char *>(sv::prog.data()), sv::prog.size()};
    v[1] = {const_cast<char *>(": alert: "), 9};
    std::size_t k = 2 + pieces(v + 2, a, line, keep, dots ? "...\n" : "\n", dots ? 4 : 1);
    sv::writev_full(2, v, k); // blocks if stderr blocks, as s6's does
}

void actions::status(ls::action const &a, char const *line, std::size_t len) noexcept
{
    constexpr std::size_t max_pad_chunks = 8;
    iovec v[6 + max_pad_chunks];
    std::size_t k = pieces(v, a, line, len, "\n", 1), total = 0;
    for (std::size_t i = 0; i < k; i++)
        total += v[i].iov_len;
    std::size_t pad;
    std::size_t keep = ls::status_layout(total, a.size, pad);
    // Cut the pieces to keep bytes, then pad with newlines: as many as fit in this writev,
    // the rest after it.
    std::size_t n = 0, left = keep;
    for (; n < k && left; n++) {
        if (v[n].iov_len > left) v[n].iov_len = left;
        left -= v[n].iov_len;
    }
    for (; pad && n < std::size(v); n++) {
        std::size_t c = std::min(pad, newlines.size());
        v[n] = {const_cast<char *>(newlines.data()), c};
        pad -= c;
    }
    sv::path_buf tmp(a.target, ".new");
    int fd = tmp.ok() ? open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC,
                             0666)
                      : -1;
    bool ok = fd >= 0;
    if (!tmp.ok()) errno = ENAMETOOLONG;
    if (ok) {
        ok = sv::writev_full(fd, v, n);
        for (; ok && pad; pad -= std::min(pad, newlines.size()))
            ok = sv::write_full(fd, newlines.data(), std::min(pad, newlines.size()));
        close(fd);
        ok = ok && rename(tmp.c_str(), a.target.data()) == 0;
    }
    if (!ok && verbosity) sv::warn_sys("unable to write status file ", a.target);
}

void actions::act(ls::action const &a, char const *line, std::size_t len) noexcept
{
    switch (a.type) {
    case ls::act_type::logdir:
        append(lds_[a.logdir].out, a, line, len);
        break;
    case ls::act_type::out1:
        if (stdout_open_) append(out1_, a, line, len);
        break;
    case ls::act_type::alert:
        alert(a, line, len);
        break;
    case ls::act_type::status:
        status(a, line, len);
        break;
    }
}

void actions::run_line(char *line, std::size_t len) noexcept
{
    if (sc_->any_tai || sc_->any_iso) stamp();
    if (!sc_->any_select) {
        for (auto const &a : sc_->acts)
            act(a, line, len);
        return;
    }
    char saved = line[len];
    line[len] = 0; // regexec wants a C string
    ls::select(*sc_, line, [&](std::size_t g) {
        auto const &gr = sc_->groups[g];
        for (auto i = gr.act_begin; i < gr.act_end; i++)
            act(sc_->acts[i], line, len);
    });
    line[len] = saved;
}

void actions::flush_stdout() noexcept
{
    while (out1_.size()) {
        ssize_t r = write(1, out1_.data(), out1_.size());
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return;
            // Printed at any verbosity, as s6 does.
            sv::warn_sys("unable to write to stdout, closing the stream - error was");
            close(1);
            stdout_open_ = false;
            out1_.clear();
            return;
        }
        out1_.consume(static_cast<std::size_t>(r));
    }
}

} // namespace s6log
