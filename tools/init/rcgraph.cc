// The service graph's decisions (see rcgraph.hh): no system call here.
#include "rcgraph.hh"

#include <algorithm>

namespace init {

void rc_reset(rc_run &r) noexcept
{
    std::size_t const n = r.g.atoms.size();
    r.state.assign(n, svstate::down);
    r.pid.assign(n, 0);
    r.deadline.assign(n, -1);
}

std::vector<unsigned> rc_startable(rc_run const &r, std::vector<bool> const &wanted) noexcept
{
    std::vector<unsigned> out;
    for (unsigned a = 0; a < r.state.size(); a++) {
        if (!wanted[a] || r.state[a] != svstate::down) continue;
        bool ready = true;
        for (unsigned d : r.g.deps[a]) ready = ready && r.state[d] == svstate::up;
        if (ready) out.push_back(a);
    }
    return out;
}

std::vector<unsigned> rc_stoppable(rc_run const &r, std::vector<bool> const &wanted) noexcept
{
    std::vector<unsigned> out;
    for (unsigned a = 0; a < r.state.size(); a++) {
        if (!wanted[a] || r.state[a] != svstate::up) continue;
        bool free = true;
        for (unsigned b = 0; b < r.state.size() && free; b++) {
            if (r.state[b] == svstate::down || r.state[b] == svstate::failed) continue;
            for (unsigned d : r.g.deps[b]) free = free && d != a;
        }
        if (free) out.push_back(a);
    }
    return out;
}

progress rc_start_progress(rc_run const &r, std::vector<bool> const &wanted) noexcept
{
    bool all_up = true, moving = false;
    for (unsigned a = 0; a < r.state.size(); a++) {
        if (!wanted[a]) continue;
        all_up = all_up && r.state[a] == svstate::up;
        moving = moving || r.state[a] == svstate::starting;
    }
    if (all_up) return progress::done;
    if (moving || !rc_startable(r, wanted).empty()) return progress::working;
    return progress::blocked;
}

progress rc_stop_progress(rc_run const &r, std::vector<bool> const &wanted) noexcept
{
    for (unsigned a = 0; a < r.state.size(); a++)
        if (wanted[a] && (r.state[a] == svstate::up || r.state[a] == svstate::stopping ||
                          r.state[a] == svstate::starting))
            return progress::working;
    return progress::done;
}

std::vector<bool> rc_closure(rc_run const &r, std::vector<unsigned> atoms, bool up) noexcept
{
    std::vector<bool> in(r.g.atoms.size(), false);
    for (unsigned a : atoms) in[a] = true;
    for (std::size_t i = 0; i < atoms.size(); i++) {
        auto add = [&](unsigned x) {
            if (!in[x]) atoms.push_back(x);
            in[x] = true;
        };
        if (up) {
            for (unsigned d : r.g.deps[atoms[i]]) add(d);
            continue;
        }
        for (unsigned b = 0; b < r.g.atoms.size(); b++)
            if (std::find(r.g.deps[b].begin(), r.g.deps[b].end(), atoms[i]) != r.g.deps[b].end())
                add(b);
    }
    return in;
}

void rc_spare_essentials(rc_run const &r, std::vector<bool> &wanted) noexcept
{
    std::vector<unsigned> kept;
    for (unsigned a = 0; a < wanted.size(); a++)
        if (wanted[a] && r.g.def_of(a).essential) kept.push_back(a);
    std::vector<bool> const spare = rc_closure(r, kept, true);
    for (unsigned a = 0; a < wanted.size(); a++)
        if (spare[a]) wanted[a] = false;
}

bool rc_select(rc_run const &r, char const *name, std::vector<bool> &wanted) noexcept
{
    std::vector<unsigned> atoms;
    if (!r.g.expand(name, atoms)) return false;
    // What the named atoms depend on is wanted too, all the way down.
    wanted = rc_closure(r, atoms, true);
    return true;
}

std::int64_t rc_next_deadline(rc_run const &r) noexcept
{
    std::int64_t next = -1;
    for (unsigned a = 0; a < r.state.size(); a++) {
        bool const moving = r.state[a] == svstate::starting || r.state[a] == svstate::stopping;
        if (moving && r.deadline[a] >= 0 && (next < 0 || r.deadline[a] < next))
            next = r.deadline[a];
    }
    return next;
}

} // namespace init
