#include <supervise/logscript.hh>

#include <algorithm>
#include <cstring>
#include <new>

#include <supervise/opts.hh>

namespace sv::logscript {

script::~script()
{
    for (auto &re : regexes_)
        regfree(re.get());
}

namespace {

// The syntax pass: what s6-log checks before it creates anything.  Returns the number of
// groups (0 with an error set).
error syntax_pass(std::span<char const *const> args, script &out) noexcept
{
    bool acted = false;
    std::size_t groups = 0;
    for (std::size_t i = 0; i < args.size(); i++) {
        char const *a = args[i];
        auto fail = [&](error e) {
            out.err = e;
            out.err_at = i;
            return e;
        };
        switch (a[0]) {
        case 'f':
            if (a[1]) return fail(error::syntax);
            [[fallthrough]];
        case '+':
        case '-':
            if (acted) {
                groups++;
                acted = false;
            }
            break;
        case 'n':
        case 's':
        case 'S':
        case 'l':
        case 'r':
        case 'E':
        case '^':
        case 'p':
        case '!':
        case '?':
            break;
        case 't':
        case 'T':
            if (a[1]) return fail(error::syntax);
            break;
        case '1':
        case '2':
            if (a[1]) return fail(error::syntax);
            acted = true;
            break;
        case '.':
        case '/':
            acted = true;
            break;
        case '=':
            if (!a[1]) return fail(error::syntax);
            acted = true;
            break;
        default:
            return fail(error::unrecognized);
        }
    }
    if (acted)
        groups++;
    else if (groups)
        out.extraneous = true; // selections after the last action: ignored with a warning
    else {
        out.err = error::no_action;
        out.err_at = args.size();
    }
    return out.err;
}

} // namespace

error parse(std::span<char const *const> args, script &out) noexcept
{
    if (syntax_pass(args, out) != error::none) return out.err;
    try {
        // The building pass, with the control settings in force.
        logdir_spec cur;
        std::uint32_t alert_size = default_alert_size, status_size = default_status_size;
        std::string_view prefix;
        bool tai = false, iso = false, acted = false;
        group g;
        auto fail = [&](std::size_t i, error e) {
            out.err = e;
            out.err_at = i;
            return e;
        };
        auto add_action = [&](act_type type, std::uint32_t size, std::string_view target) {
            action a;
            a.type = type;
            a.size = size;
            a.target = target;
            a.logdir = static_cast<std::uint32_t>(out.logdirs.size() - (type == act_type::logdir));
            a.tai = tai;
            a.iso = iso;
            a.prefix = prefix;
            out.any_tai |= tai;
            out.any_iso |= iso;
            tai = iso = false;
            out.acts.push_back(a);
            acted = true;
        };
        for (std::size_t i = 0; i < args.size(); i++) {
            std::string_view a(args[i]);
            std::string_view rest = a.substr(1);
            switch (a[0]) {
            case 'f':
            case '+':
            case '-': {
                selection sel;
                if (a[0] == 'f')
                    sel.type = sel_type::fresh;
                else {
                    sel.type = a[0] == '+' ? sel_type::plus : sel_type::minus;
                    auto re = std::make_unique<regex_t>();
                    int r = regcomp(re.get(), args[i] + 1, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
                    if (r == REG_ESPACE) return fail(i, error::nomem);
                    if (r) return fail(i, error::unrecognized);
                    sel.re = re.get();
                    out.regexes_.push_back(std::move(re));
                    out.any_regex = true;
                }
                out.any_select = true;
                if (acted) {
                    // A selection after an action closes the group.
                    g.sel_end = static_cast<std::uint32_t>(out.sels.size());
                    g.act_end = static_cast<std::uint32_t>(out.acts.size());
                    out.groups.push_back(g);
                    g.sel_begin = g.sel_end;
                    g.act_begin = g.act_end;
                    acted = false;
                }
                out.sels.push_back(sel);
                break;
            }
            case 'n':
                if (!scan_uint(rest, cur.n)) return fail(i, error::unrecognized);
                break;
            case 's':
                if (!scan_uint(rest, cur.s)) return fail(i, error::unrecognized);
                cur.s = std::clamp(cur.s, min_s, max_s);
                break;
            case 'S': {
                unsigned long long v;
                if (!scan_uint64(rest, v)) return fail(i, error::unrecognized);
                cur.max_total = v;
                break;
            }
            case 'l':
                if (!scan_uint(rest, cur.tolerance)) return fail(i, error::unrecognized);
                // Checked against the s in force here only, as s6 does.
                if (cur.tolerance > (cur.s >> 1)) return fail(i, error::conflict);
                break;
            case 'r':
                if (!scan_uint(rest, cur.retry_ms)) return fail(i, error::unrecognized);
                break;
            case 'E':
                if (!scan_uint(rest, alert_size)) return fail(i, error::unrecognized);
                break;
            case '^':
                if (!scan_uint(rest, status_size)) return fail(i, error::unrecognized);
                break;
            case 'p':
                prefix = rest;
                break;
            case '!':
            case '?':
                // s6 2.11.3.2 forgets the '?' choice after one logdir (its flag lives with the
                // per-action t/T flags); we keep it with the string, as its documentation says.
                cur.processor = rest;
                cur.processor_sh = a[0] == '?';
                break;
            case 't':
                tai = true;
                break;
            case 'T':
                iso = true;
                break;
            case '1':
                add_action(act_type::out1, 0, {});
                break;
            case '2':
                add_action(act_type::alert, alert_size, {});
                break;
            case '=':
                add_action(act_type::status, status_size, rest);
                break;
            case '.':
            case '/': {
                logdir_spec ld = cur;
                ld.path = a;
                out.logdirs.push_back(ld);
                add_action(act_type::logdir, 0, a);
                break;
            }
            default:
                return fail(i, error::unrecognized); // unreachable after the syntax pass
            }
        }
        if (acted) {
            g.sel_end = static_cast<std::uint32_t>(out.sels.size());
            g.act_end = static_cast<std::uint32_t>(out.acts.size());
            out.groups.push_back(g);
        }
        // Selections after the last action belong to no group.
        if (!out.groups.empty()) out.sels.resize(out.groups.back().sel_end);
        out.any_regex = out.any_select = false;
        for (auto const &s : out.sels) {
            out.any_select = true;
            if (s.type != sel_type::fresh) out.any_regex = true;
        }
    } catch (std::bad_alloc const &) {
        out.err = error::nomem;
    }
    return out.err;
}

bool next_line(char const *data, std::size_t n, std::size_t linelimit, bool have_nul,
               std::size_t &len, std::size_t &used) noexcept
{
    std::size_t lim = linelimit && n > linelimit ? linelimit + 1 : n;
    char const *q;
    if (have_nul) {
        q = nullptr;
        for (std::size_t i = 0; i < lim; i++)
            if (data[i] == '\n' || data[i] == 0) {
                q = data + i;
                break;
            }
    } else
        q = static_cast<char const *>(std::memchr(data, '\n', lim));
    if (q) {
        len = static_cast<std::size_t>(q - data);
        used = len + 1;
        return true;
    }
    if (linelimit && n > linelimit) {
        len = used = linelimit;
        return true;
    }
    return false;
}

std::size_t alert_keep(std::size_t len, std::uint32_t alert_size, bool &ellipsis) noexcept
{
    ellipsis = alert_size && std::size_t{alert_size} + 3 < len;
    return ellipsis ? alert_size : len;
}

std::size_t status_layout(std::size_t record_len, std::uint32_t status_size,
                          std::size_t &pad) noexcept
{
    pad = 0;
    if (!status_size) return record_len;
    if (record_len > status_size) return status_size;
    pad = status_size - record_len + 1;
    return record_len - 1;
}

bool is_archive_name(std::string_view name) noexcept
{
    if (name.size() != 27 || name[0] != '@' || name[25] != '.') return false;
    if (name[26] != 's' && name[26] != 'u') return false;
    for (std::size_t i = 1; i < 25; i++) {
        char c = name[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex) return false;
    }
    return true;
}

void archive_name(char *out, char const *label, char suffix) noexcept
{
    std::memcpy(out, label, 25);
    out[25] = '.';
    out[26] = suffix;
}

void trim_scan::add(archive const &a) noexcept
{
    count++;
    total += a.size;
    auto older = [](archive const &x, archive const &y) {
        return std::memcmp(x.name + 1, y.name + 1, 26) < 0;
    };
    std::size_t i = held;
    if (held == max_oldest) {
        if (!older(a, oldest[held - 1])) return;
        i--; // the newest held one makes room
    } else
        held++;
    for (; i && older(a, oldest[i - 1]); i--)
        oldest[i] = oldest[i - 1];
    oldest[i] = a;
}

std::size_t trim_scan::plan(std::uint32_t n, std::uint64_t max_total, bool &again) const noexcept
{
    std::uint64_t left = count, bytes = total;
    auto over = [&] { return left > n || (max_total && bytes > max_total); };
    std::size_t k = 0;
    for (; k < held && over(); k++) {
        left--;
        bytes -= oldest[k].size;
    }
    again = k == held && left && over();
    return k;
}

std::size_t write_span(char const *data, std::size_t n, std::uint64_t b, std::uint32_t s,
                       std::uint32_t l) noexcept
{
    if (!n) return 0;
    auto const *last = static_cast<char const *>(memrchr(data, '\n', n));
    std::size_t all = last ? static_cast<std::size_t>(last - data) + 1 : n;
    // The smallest e (bytes written, ending on '\n') with b + e + l >= s.
    std::uint64_t need = b + l >= s ? 1 : s - l - b;
    if (need > all) return all;
    auto const *q = static_cast<char const *>(std::memchr(data + need - 1, '\n', all - (need - 1)));
    return q ? static_cast<std::size_t>(q - data) + 1 : all;
}

} // namespace sv::logscript
