// Real clients built from the oracles folder (h::oracle_build) and stand-ins for the stock s6
// programs that s6pp does not build (h::stock_replacement).  See harness.hh.
#include "harness.hh"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace h {

std::string oracles_dir()
{
    char const *e = std::getenv("S6PP_ORACLES_DIR");
    std::string d = e && *e ? e : S6PP_ORACLES_DIR;
    struct stat st;
    return stat(d.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? d : std::string{};
}

std::string oracle_build(std::string const &name, std::string const &script,
                         strings const &tarballs, strings const &needs, int timeout_ms,
                         strings const &drop)
{
    std::string const src = oracles_dir();
    if (src.empty())
        skip("no oracles folder (" + std::string(S6PP_ORACLES_DIR) +
             ", or $S6PP_ORACLES_DIR) to build " + name + " from");
    // The key: the build script and the tarballs, byte for byte.
    strings inputs{script};
    inputs.insert(inputs.end(), tarballs.begin(), tarballs.end());
    std::string files;
    for (auto const &f : inputs) {
        REQUIRE(exists(src + "/" + f));
        files += " '" + src + "/" + f + "'";
    }
    auto sum = run({"/bin/sh", "-c", "cat" + files + " | sha256sum"});
    REQUIRE(sum.code == 0);
    REQUIRE(sum.out.size() > 16);
    char const *e = std::getenv("S6PP_ORACLE_CACHE");
    std::string const cache = e && *e ? e : "/var/cache/s6pp-oracles";
    mkdirs(cache);
    std::string const dir = cache + "/" + name + "-" + sum.out.substr(0, 16);

    if (!exists(dir + "/done"))
        for (auto const &f : needs)
            if (!exists(f)) skip("no " + f + " to build " + name + " with (.ci/install-deps)");

    // One builder at a time per key; the others wait for it and then find its result.
    sv::unique_fd lock{open((dir + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)};
    REQUIRE(lock.get() >= 0);
    bool const locked =
        wait_until([&] { return flock(lock.get(), LOCK_EX | LOCK_NB) == 0; }, timeout_ms);
    REQUIRE(locked);
    if (exists(dir + "/done")) return dir + "/out";
    // No marker: never built, or a build that died half way.  Start from nothing.
    REQUIRE(run({"/bin/rm", "-rf", dir}).code == 0);
    mkdirs(dir);
    run_opts o;
    o.timeout_ms = timeout_ms;
    auto r = run({"/bin/sh", "-c", "exec nice \"$0\" \"$1\" >\"$2\" 2>&1", src + "/" + script,
                  dir + "/out", dir + "/build.log"},
                 o);
    INFO(name << " build (" << script << "), log in " << dir << "/build.log:\n"
              << read_file(dir + "/build.log"));
    REQUIRE(!r.timed_out);
    REQUIRE(r.code == 0);
    for (auto const &d : drop)
        REQUIRE(run({"/bin/rm", "-rf", dir + "/out/" + d}).code == 0);
    write_file(dir + "/done", sum.out);
    return dir + "/out";
}

std::string s6rc_prefix()
{
    return oracle_build("s6-rc-0.5.4.1", "build-s6-rc.sh", {"s6-rc-0.5.4.1.tar.gz"},
                        {"/usr/bin/make", "/usr/bin/gcc", "/usr/include/x86_64-linux-gnu/s6/s6.h",
                         "/usr/include/x86_64-linux-gnu/execline/execline.h",
                         "/usr/lib/x86_64-linux-gnu/libskarnet.so"},
                        300000);
}

std::string s6_overlay_tree()
{
    return oracle_build("s6-overlay-3.1.5.0", "build-s6-overlay-v3.sh",
                        {"execline-2.9.3.0.tar.gz", "s6-2.11.3.2.tar.gz", "s6-rc-0.5.4.1.tar.gz",
                         "s6-linux-init-1.1.1.1.tar.gz", "s6-portable-utils-2.3.0.2.tar.gz",
                         "s6-overlay-helpers-0.1.0.1.tar.gz", "s6-overlay-3.1.5.0.tar.gz"},
                        {"/usr/bin/make", "/usr/bin/gcc", "/usr/lib/x86_64-linux-gnu/libskarnet.a"},
                        1200000,
                        // 270 MB of work trees; overlay/ is the image's part
                        {"build", "staging"}) +
           "/overlay";
}

bool ours_built(std::string const &name)
{
    return access(ours(name).c_str(), X_OK) == 0;
}

void write_stub(std::string const &path, std::string const &name, std::string const &log)
{
    write_file(path,
               "#!/bin/sh\n# stands in for " + name + ", which s6pp does not build\n" + "echo " +
                   name + " >> " + log + "\nexit 111\n",
               0755);
}

std::string stubs_run(std::string const &log)
{
    strings const used = lines_of(read_file(log));
    std::string names;
    for (std::size_t i = 0; i < used.size(); i++)
        if (std::find(used.begin(), used.begin() + i, used[i]) == used.begin() + i)
            names += " " + used[i];
    return names;
}

strings lines_of(std::string const &s)
{
    strings v;
    std::size_t i = 0;
    while (i < s.size()) {
        auto j = s.find('\n', i);
        if (j == std::string::npos) j = s.size();
        if (j > i) v.push_back(s.substr(i, j - i));
        i = j + 1;
    }
    return v;
}

} // namespace h
