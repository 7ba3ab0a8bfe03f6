// Containers for the tests that boot a whole image (namespace h): a root file system in a
// temp dir from Debian's static busybox, an /etc/passwd and /etc/group, and our static
// binaries (no libc), run with runc (runc spec, run, exec, kill, delete -f).  Without a
// working runc, the cases that only need a run to completion fall back to unshare --pid
// --fork --mount-proc --root; the ones that need exec or kill then report themselves SKIPPED.
// Used by integration/init_test.cc (/init as PID 1) and integration/examples_test.cc (the
// example images under examples/).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness.hh"

namespace h {

// Debian's static busybox, the container's /bin/sh and applets.
inline constexpr char const *busybox = "/bin/busybox";

// run_opts with a timeout (ms) and a working directory.
run_opts with_timeout(int ms, std::string const &cwd = {});

// How a container is run: runc, or the unshare fallback, or not at all.
enum class rt { runc, unshare, none };

// runc's path, or "" if there is none.
std::string runc_path();

// One container: a bundle dir with rootfs/ and config.json.  The root holds busybox (every
// applet as a link in /bin), our init and the s6 tools an image needs (in /bin, with halt,
// poweroff, reboot and shutdown linked to init), and /init -> /bin/init.
class container {
public:
    container();
    ~container();
    container(container const &) = delete;
    container &operator=(container const &) = delete;

    // How runc runs it (runc only): as which user, with a read-only root, with a tmpfs on
    // /run mounted with these options ("" for none).
    struct spec {
        unsigned uid = 0, gid = 0;
        bool readonly = false;
        std::string run_tmpfs;
    } runc_spec;
    // The container's first program (ARGS follow it): /init unless an image says otherwise.
    std::string entry = "/init";

    std::string const &root() const { return root_; }
    std::string const &id() const { return id_; }
    std::string path(std::string const &rel) const { return root_ + "/" + rel; }

    // A file in the rootfs (parents created); mode 0755 for scripts.
    void file(std::string const &rel, std::string const &content, unsigned mode = 0755);
    // Puts our program NAME into /bin, replacing busybox's applet of that name if any.
    void tool(std::string const &name);
    // Copies the tree DIR (its contents, with cp -a) over the root.
    void copy_in(std::string const &dir, std::string const &rel = "");

    // The command line that runs ENTRY ARGS with env (runc: after writing config.json).
    std::vector<std::string> argv_for(rt how, std::vector<std::string> const &args,
                                      std::vector<std::string> const &env);
    // Runs ENTRY ARGS to completion.
    result run(rt how, std::vector<std::string> const &args,
               std::vector<std::string> const &env = {}, int timeout_ms = 15000);
    // Starts ENTRY ARGS in the background (runc only).
    std::unique_ptr<proc> start(std::vector<std::string> const &args,
                                std::vector<std::string> const &env = {});
    // runc exec CMD in the running container.
    result exec(std::vector<std::string> const &cmd);
    // runc kill SIG.
    int kill(std::string const &sig);

    // True once /init has started s6-svscan (its control FIFO exists).
    bool booted() const { return exists(root_ + "/run/service/.s6-svscan/control"); }

private:
    void put_binary(std::string const &from, std::string const &to);

    tempdir dir_;
    std::string root_;
    std::string id_;
    bool used_runc_ = false;
};

// The runtime to run this test's containers with (decided once per run by booting a trivial
// container); skips the test if there is none.
rt need_runtime();
// Skips the test unless runc works here (it needs runc exec or kill).
void need_runc();

} // namespace h
