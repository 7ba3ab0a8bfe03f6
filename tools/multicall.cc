// main() of the shared executable (entries.hh): one table from installed name to program.
#include "entries.hh"

#include <array>

namespace multicall {

namespace {

constexpr std::array table{
    entry{"s6-supervise", supervise_main},
    entry{"s6-svscan", svscan_main},
    entry{"init", init_main},
    entry{"halt", hpr_main},
    entry{"poweroff", hpr_main},
    entry{"reboot", hpr_main},
    entry{"shutdown", hpr_main},
    entry{"s6-ftrigrd", ftrigrd_main},
    entry{"s6-fdholderd", fdholderd_main},
};

} // namespace

std::span<entry const> entries() noexcept { return table; }

std::string_view invoked_name(char const *argv0) noexcept
{
    std::string_view name = argv0 ? argv0 : "";
    if (auto slash = name.rfind('/'); slash != name.npos) name.remove_prefix(slash + 1);
    return name;
}

entry const &lookup(char const *argv0) noexcept
{
    std::string_view const name = invoked_name(argv0);
    for (entry const &e : table)
        if (e.name == name) return e;
    return table[0];
}

} // namespace multicall

int main(int argc, char **argv)
{
    return multicall::lookup(argc > 0 ? argv[0] : nullptr).main(argc, argv);
}
