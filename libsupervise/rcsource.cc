// s6-rc's source format (see rcsource.hh): reading definition directories, then resolving
// bundles, pipelines and dependencies into a graph of atomic services.  The checks and their
// order follow s6-rc-compile 0.5.4.1, so that the first error reported for a broken tree is
// the one it would report.
#include <supervise/rcsource.hh>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/execlex.hh>
#include <supervise/fd.hh>

namespace sv::rc {
namespace {

bool fail(error &err, int code, std::string msg) noexcept
{
    err.code = code;
    err.message = std::move(msg);
    return false;
}

// "unable to VERB PATH: strerror(errno)", code 111.
bool fail_sys(error &err, char const *verb, std::string const &path) noexcept
{
    return fail(err, 111, std::string("unable to ") + verb + " " + path + ": " + strerror(errno));
}

// Reads the file at path into out; false with errno set (ENOENT if it does not exist).
bool slurp(std::string const &path, std::string &out) noexcept
{
    sv::unique_fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    out.clear();
    return fd.get() >= 0 && sv::read_all(fd.get(), out);
}

// The entries of dir not starting with '.', byte-sorted; false with errno set.
bool entries(std::string const &dir, std::vector<std::string> &out) noexcept
{
    out.clear();
    DIR *d = opendir(dir.c_str());
    if (!d) return false;
    errno = 0;
    while (dirent *e = readdir(d)) {
        if (e->d_name[0] != '.') out.emplace_back(e->d_name);
        errno = 0;
    }
    int const e = errno;
    closedir(d);
    std::sort(out.begin(), out.end());
    errno = e;
    return e == 0;
}

bool reserved(std::string_view s) noexcept
{
    return s.substr(0, 5) == "s6rc-" || s.substr(0, 6) == "s6-rc-";
}

bool check_name(std::string const &where, std::string const &s, error &err) noexcept
{
    if (reserved(s))
        return fail(err, 1, "in " + where + ": identifier " + s + " starts with reserved prefix");
    return true;
}

enum class got { absent, read, failed };

// A name list: NAME.d/ (entries) if it exists, else the file NAME (lines).  Duplicates are
// dropped.
got read_names(definition const &d, std::string const &list, std::vector<std::string> &out,
               error &err) noexcept
{
    std::vector<std::string> names;
    std::string const dpath = d.dir + "/" + list + ".d";
    if (entries(dpath, names)) {
        // s6-rc-compile names the service, not its directory, as where a name was found.
    } else if (errno != ENOENT) {
        fail_sys(err, "opendir", dpath);
        return got::failed;
    } else {
        std::string const fpath = d.dir + "/" + list;
        std::string text;
        if (!slurp(fpath, text)) {
            if (errno == ENOENT) return got::absent;
            fail_sys(err, "read", fpath);
            return got::failed;
        }
        std::size_t i = 0;
        while (i < text.size()) {
            std::size_t eol = text.find('\n', i);
            if (eol == text.npos) eol = text.size();
            std::size_t b = text.find_first_not_of(" \t", i);
            if (b < eol && text[b] != '#') names.push_back(text.substr(b, eol - b));
            i = eol + 1;
        }
    }
    for (auto &n : names) {
        if (!check_name(d.name, n, err)) return got::failed;
        if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(std::move(n));
    }
    return got::read;
}

// timeout-up, timeout-down: decimal milliseconds, trailing newlines dropped.
bool read_timeout(definition const &d, char const *file, std::uint32_t &out, error &err) noexcept
{
    std::string const path = d.dir + "/" + file;
    std::string text;
    out = 0;
    if (!slurp(path, text)) return errno == ENOENT || fail_sys(err, "read", path);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    std::uint64_t v = 0;
    bool ok = !text.empty() && text.size() < 64;
    for (char ch : text) {
        if (ch < '0' || ch > '9') ok = false;
        else v = v * 10 + unsigned(ch - '0');
        if (v > 0xffffffffu) ok = false;
        if (!ok) break;
    }
    if (!ok) return fail(err, 1, "invalid " + path);
    out = static_cast<std::uint32_t>(v);
    return true;
}

bool read_script(definition const &d, char const *file, bool required,
                 std::vector<std::string> &argv, error &err) noexcept
{
    std::string const path = d.dir + "/" + file;
    std::string text;
    if (!slurp(path, text)) {
        if (errno == ENOENT && !required) return true;
        return fail_sys(err, "open", path);
    }
    switch (sv::execline_lex(text, argv)) {
    case lex_status::ok: return true;
    case lex_status::unmatched_open:
        return fail(err, 1, "syntax error in " + path + ": unmatched {");
    case lex_status::unmatched_close:
        return fail(err, 1, "syntax error in " + path + ": unmatched }");
    case lex_status::syntax_error: break;
    }
    return fail(err, 1, "syntax error in " + path);
}

bool exists(std::string const &path, bool &yes, error &err) noexcept
{
    yes = access(path.c_str(), F_OK) == 0;
    return yes || errno == ENOENT || fail_sys(err, "read", path);
}

// The common part, then the type's own files.
bool read_common(definition &d, error &err) noexcept
{
    if (!exists(d.dir + "/flag-essential", d.essential, err)) return false;
    if (d.type == kind::bundle) {
        got const g = read_names(d, "contents", d.contents, err);
        if (g == got::absent) {
            errno = ENOENT;
            return fail_sys(err, "open", d.dir + "/contents");
        }
        return g == got::read;
    }
    return read_names(d, "dependencies", d.deps, err) != got::failed &&
           read_timeout(d, "timeout-down", d.timeout_down, err) &&
           read_timeout(d, "timeout-up", d.timeout_up, err);
}

// A name file that must hold exactly one name.
bool read_one(definition const &d, char const *file, std::string &out, bool &present,
              error &err) noexcept
{
    std::vector<std::string> names;
    got const g = read_names(d, file, names, err);
    present = g == got::read;
    if (g == got::failed) return false;
    if (present && names.size() != 1)
        return fail(err, 1, d.dir + "/" + file + " should only contain one " +
                                (std::strcmp(file, "producer-for") ? "name" : "service name"));
    if (present) out = names[0];
    return true;
}

bool read_longrun(definition &d, error &err) noexcept
{
    std::string const run = d.dir + "/run";
    struct stat st;
    if (stat(run.c_str(), &st) < 0) {
        if (errno == ENOENT) return fail(err, 1, "unable to find a run script in " + run);
        return fail_sys(err, "open", run);
    }
    if (!S_ISREG(st.st_mode)) return fail(err, 1, run + " is not a regular file");
    bool producer = false, pname = false;
    if (!read_one(d, "producer-for", d.producer_for, producer, err)) return false;
    if (read_names(d, "consumer-for", d.consumer_for, err) == got::failed) return false;
    // pipeline-name counts on a last consumer only (s6-rc-compile ignores it elsewhere).
    if (!producer && !d.consumer_for.empty())
        return read_one(d, "pipeline-name", d.pipeline_name, pname, err);
    return true;
}

bool read_type(definition &d, std::vector<std::string_view> const &implied,
               error &err) noexcept
{
    std::string const path = d.dir + "/type";
    std::string text;
    if (!slurp(path, text)) {
        if (errno == ENOENT &&
            std::find(implied.begin(), implied.end(), d.name) != implied.end()) {
            d.type = kind::bundle;
            return true;
        }
        return fail_sys(err, "read", path);
    }
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (text == "oneshot") d.type = kind::oneshot;
    else if (text == "longrun") d.type = kind::longrun;
    else if (text == "bundle") d.type = kind::bundle;
    else return fail(err, 1, "invalid " + path + ": must be oneshot, longrun, or bundle");
    return true;
}

} // namespace

std::string_view kind_name(kind k) noexcept
{
    switch (k) {
    case kind::oneshot: return "oneshot";
    case kind::longrun: return "longrun";
    case kind::bundle: return "bundle";
    }
    return "unknown";
}

int graph::find(std::string_view name) const noexcept
{
    for (std::size_t i = 0; i < defs.size(); i++)
        if (defs[i].name == name) return static_cast<int>(i);
    return -1;
}

int graph::atom_of(unsigned def) const noexcept
{
    auto it = std::find(atoms.begin(), atoms.end(), def);
    return it == atoms.end() ? -1 : static_cast<int>(it - atoms.begin());
}

bool add_definition(graph &g, definition d, error &err) noexcept
{
    int const old = g.find(d.name);
    if (old >= 0) {
        std::string const where = d.dir.empty() ? "s6pp" : d.dir.substr(0, d.dir.rfind('/'));
        return fail(err, 1, "duplicate service definition: " + d.name + " defined in " + where +
                                " is already defined and has type " +
                                std::string(kind_name(g.defs[old].type)));
    }
    g.defs.push_back(std::move(d));
    return true;
}

bool read_source(std::string const &srcdir, graph &g, error &err,
                 std::vector<std::string_view> const &implied_bundles) noexcept
{
    std::vector<std::string> names;
    if (!entries(srcdir, names)) return fail_sys(err, "opendir", srcdir);
    for (auto const &n : names) {
        definition d;
        d.name = n;
        d.dir = srcdir + "/" + n;
        struct stat st;
        if (stat(d.dir.c_str(), &st) < 0) return fail_sys(err, "stat", d.dir);
        if (!S_ISDIR(st.st_mode)) continue;
        if (n.find('\n') != n.npos)
            return fail(err, 1, "subdirectory of " + srcdir + " contains a newline character");
        if (!read_type(d, implied_bundles, err) || !check_name(srcdir, n, err) ||
            !read_common(d, err))
            return false;
        if (d.type == kind::oneshot &&
            (!read_script(d, "up", true, d.up, err) || !read_script(d, "down", false, d.down, err)))
            return false;
        if (d.type == kind::longrun && !read_longrun(d, err)) return false;
        if (!add_definition(g, std::move(d), err)) return false;
    }
    return true;
}

namespace {

// A pipeline bundle: the last consumer and, recursively, its producers.
bool pipeline_members(graph const &g, unsigned def, definition const &last,
                      std::vector<std::string> &out, std::size_t nlong, error &err) noexcept
{
    definition const &d = g.defs[def];
    if (out.size() >= nlong)
        return fail(err, 1, "pipeline " + last.pipeline_name +
                                " is too long: possible loop involving " + d.name);
    out.push_back(d.name);
    for (auto const &p : d.consumer_for) {
        int const pi = g.find(p);
        if (pi < 0 || g.defs[pi].type != kind::longrun)
            return fail(err, 1, "longrun " + d.name + " declares a producer " + p + " of type " +
                                    std::string(pi < 0 ? "unknown" : kind_name(g.defs[pi].type)));
        if (!pipeline_members(g, unsigned(pi), last, out, nlong, err)) return false;
    }
    return true;
}

bool add_pipeline_bundles(graph &g, error &err) noexcept
{
    std::size_t nlong = 0;
    for (auto const &d : g.defs) nlong += d.type == kind::longrun;
    for (std::size_t i = g.defs.size(); i--;) {
        if (g.defs[i].type != kind::longrun || g.defs[i].pipeline_name.empty()) continue;
        definition b;
        b.name = g.defs[i].pipeline_name;
        b.type = kind::bundle;
        if (!check_name("s6rc internals", b.name, err) ||
            !pipeline_members(g, unsigned(i), g.defs[i], b.contents, nlong, err) ||
            !add_definition(g, std::move(b), err))
            return false;
    }
    return true;
}

// Bundle expansion with cycle detection: mark 1 while in progress, 2 when done.
struct bundle_resolver {
    graph const &g;
    error &err;
    std::vector<unsigned char> mark;
    std::vector<std::vector<unsigned>> members; // per def: atom indices (bundles only)
    std::vector<int> atom_index;                // per def: its atom index or -1
    unsigned source = 0;

    static void add_unique(std::vector<unsigned> &v, unsigned x)
    {
        if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
    }

    bool resolve(unsigned b)
    {
        if (mark[b] & 2) return true;
        if (mark[b] & 1)
            return fail(err, 1, "cyclic bundle definition: resolution of " + g.defs[source].name +
                                    " encountered a cycle involving " + g.defs[b].name);
        mark[b] |= 1;
        for (auto const &n : g.defs[b].contents) {
            int const i = g.find(n);
            if (i < 0)
                return fail(err, 1, "during resolution of bundle " + g.defs[b].name +
                                        ": undefined service name " + n);
            if (g.defs[i].type != kind::bundle) {
                add_unique(members[b], unsigned(atom_index[i]));
                continue;
            }
            if (!resolve(unsigned(i))) return false;
            for (unsigned a : members[i]) add_unique(members[b], a);
        }
        mark[b] |= 2;
        return true;
    }
};

bool check_prodcons(graph const &g, definition const &d, error &err) noexcept
{
    auto type_of = [&g](std::string const &n) {
        int const i = g.find(n);
        return std::string(i < 0 ? "unknown" : kind_name(g.defs[i].type));
    };
    if (!d.producer_for.empty()) {
        int const c = g.find(d.producer_for);
        if (c < 0 || g.defs[c].type != kind::longrun)
            return fail(err, 1, "longrun service " + d.name +
                                    " declares being a producer for a service named " +
                                    d.producer_for + " of type " + type_of(d.producer_for));
        auto const &back = g.defs[c].consumer_for;
        if (std::find(back.begin(), back.end(), d.name) == back.end())
            return fail(err, 1, "longrun service " + d.name +
                                    " declares being a producer for a service named " +
                                    d.producer_for + " that does not declare it back");
    }
    for (auto const &p : d.consumer_for) {
        int const pi = g.find(p);
        if (pi < 0 || g.defs[pi].type != kind::longrun)
            return fail(err, 1, "longrun service " + d.name +
                                    " declares being the consumer for a service named " + p +
                                    " of type " + type_of(p));
        if (g.defs[pi].producer_for != d.name)
            return fail(err, 1, "longrun service " + d.name +
                                    " declares being the consumer for a service named " + p +
                                    " that does not declare it back");
    }
    return true;
}

// Depth-first search for a dependency cycle; colour 1 on the path, 2 done.
bool find_cycle(graph const &g, unsigned a, std::vector<unsigned char> &colour, unsigned from,
                error &err) noexcept
{
    colour[a] = 1;
    for (unsigned d : g.deps[a]) {
        if (colour[d] == 1)
            return fail(err, 1, "cyclic service dependency reached from " + g.def_of(from).name +
                                    " and involving " + g.def_of(d).name);
        if (colour[d] == 0 && !find_cycle(g, d, colour, from, err)) return false;
    }
    colour[a] = 2;
    return true;
}

} // namespace

bool graph::expand(std::string_view name, std::vector<unsigned> &out) const noexcept
{
    int const i = find(name);
    if (i < 0) return false;
    std::vector<unsigned> todo{unsigned(i)}, seen_bundles;
    while (!todo.empty()) {
        unsigned const d = todo.back();
        todo.pop_back();
        if (defs[d].type != kind::bundle) {
            unsigned const a = unsigned(atom_of(d));
            if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
            continue;
        }
        if (std::find(seen_bundles.begin(), seen_bundles.end(), d) != seen_bundles.end()) continue;
        seen_bundles.push_back(d);
        for (auto it = defs[d].contents.rbegin(); it != defs[d].contents.rend(); ++it) {
            int const c = find(*it);
            if (c >= 0) todo.push_back(unsigned(c));
        }
    }
    return true;
}

bool resolve(graph &g, error &err) noexcept
{
    if (!add_pipeline_bundles(g, err)) return false;
    bundle_resolver br{g, err, std::vector<unsigned char>(g.defs.size()),
                       std::vector<std::vector<unsigned>>(g.defs.size()),
                       std::vector<int>(g.defs.size(), -1)};
    g.atoms.clear();
    for (unsigned i = 0; i < g.defs.size(); i++) {
        if (g.defs[i].type == kind::bundle) continue;
        br.atom_index[i] = static_cast<int>(g.atoms.size());
        g.atoms.push_back(i);
    }
    for (unsigned i = 0; i < g.defs.size(); i++) {
        br.source = i;
        if (g.defs[i].type == kind::bundle && !br.resolve(i)) return false;
    }
    // A bundle's flag-essential is its members' (s6-rc-compile propagates it).
    for (unsigned i = 0; i < g.defs.size(); i++)
        if (g.defs[i].type == kind::bundle && g.defs[i].essential)
            for (unsigned m : br.members[i]) g.defs[g.atoms[m]].essential = true;
    g.deps.assign(g.atoms.size(), {});
    for (unsigned a = 0; a < g.atoms.size(); a++) {
        definition const &d = g.def_of(a);
        std::vector<std::string> names = d.deps;
        if (!d.producer_for.empty()) names.push_back(d.producer_for); // a consumer starts first
        for (auto const &n : names) {
            int const i = g.find(n);
            if (i < 0)
                return fail(err, 1, "during dependency resolution for service " + d.name +
                                        ": undefined service name " + n);
            if (g.defs[i].type == kind::bundle)
                for (unsigned m : br.members[i]) bundle_resolver::add_unique(g.deps[a], m);
            else
                bundle_resolver::add_unique(g.deps[a], unsigned(br.atom_index[i]));
        }
    }
    for (unsigned a = 0; a < g.atoms.size(); a++)
        if (g.def_of(a).type == kind::longrun && !check_prodcons(g, g.def_of(a), err)) return false;
    std::vector<unsigned char> colour(g.atoms.size());
    for (unsigned a = 0; a < g.atoms.size(); a++)
        if (!colour[a] && !find_cycle(g, a, colour, a, err)) return false;
    return true;
}

std::vector<unsigned> start_order(graph const &g) noexcept
{
    // Kahn's algorithm over the (acyclic) dependencies, lowest index first among the ready.
    std::vector<unsigned> order;
    std::vector<unsigned char> done(g.atoms.size());
    while (order.size() < g.atoms.size()) {
        bool progressed = false;
        for (unsigned a = 0; a < g.atoms.size(); a++) {
            if (done[a]) continue;
            bool ready = true;
            for (unsigned d : g.deps[a]) ready = ready && done[d];
            if (!ready) continue;
            done[a] = 1;
            order.push_back(a);
            progressed = true;
        }
        if (!progressed) break; // a cycle: resolve() refuses those
    }
    return order;
}

} // namespace sv::rc
