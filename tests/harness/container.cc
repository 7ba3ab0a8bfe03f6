// Containers for the tests that boot an /init (ours, or real s6-overlay's): a root file system
// in a temp dir, run with runc, or with unshare where runc does not work.  See harness.hh.
#include "harness.hh"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <catch2/catch.hpp>
#include <filesystem>

#include <string_view>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace h {

namespace {

run_opts with_timeout(int ms, std::string const &cwd = {})
{
    run_opts o;
    o.timeout_ms = ms;
    o.cwd = cwd;
    return o;
}

std::string esc(std::string const &s)
{
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        if (c == '\n') {
            o += "\\n";
            continue;
        }
        if (c == '\r') {
            o += "\\r";
            continue;
        }
        if (c == '\t') {
            o += "\\t";
            continue;
        }
        o += c;
    }
    return o + "\"";
}

std::string json_list(std::vector<std::string> const &v)
{
    std::string o = "[";
    for (std::size_t i = 0; i < v.size(); i++)
        o += (i ? "," : "") + esc(v[i]);
    return o + "]";
}

} // namespace

std::string runc_path()
{
    for (char const *p : {"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc"})
        if (access(p, X_OK) == 0) return p;
    return {};
}

container::container(std::string const &id_prefix)
{
    static int seq = 0;
    id_ = id_prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(++seq);
    root_ = dir_ / "rootfs";
    for (char const *d : {"bin", "etc", "proc", "dev", "sys", "tmp", "run"})
        mkdirs(root_ + "/" + d);
    chmod((root_ + "/tmp").c_str(), 01777);
    // For the unshare fallback (runc mounts its own /dev): sh needs /dev/null for "&".
    mknod((root_ + "/dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3));
}

container::~container()
{
    if (used_runc_) h::run({runc_path(), "delete", "-f", id_}, with_timeout(10000));
}

void container::file(std::string const &rel, std::string const &content, unsigned mode)
{
    auto p = path(rel);
    mkdirs(p.substr(0, p.rfind('/')));
    write_file(p, content, mode);
    chmod(p.c_str(), mode);
}

void container::put_binary(std::string const &from, std::string const &rel)
{
    std::string const to = path(rel);
    if (link(from.c_str(), to.c_str()) == 0) return;
    // Already there (a library that two programs need: the sanitizer build's own programs are
    // dynamic and bring libc before the image's execline asks for it again).
    struct stat a, b;
    if (errno == EEXIST && stat(from.c_str(), &a) == 0 && stat(to.c_str(), &b) == 0 &&
        a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return;
    REQUIRE(h::run({"/bin/cp", from, to}).code == 0);
}

void container::add_busybox()
{
    put_binary(busybox, "bin/busybox");
    auto r = h::run({busybox, "--list"});
    REQUIRE(r.code == 0);
    for (auto const &a : lines_of(r.out))
        if (!exists(root_ + "/bin/" + a))
            REQUIRE(symlink("busybox", (root_ + "/bin/" + a).c_str()) == 0);
}

void container::add_init_image()
{
    static std::vector<std::string> const tools = {
        "init",       "s6-svscan",    "s6-supervise", "s6-svc",       "s6-svstat",
        "s6-svok",    "s6-svwait",    "s6-svscanctl", "fix-attrs",    "with-contenv",
        "printcontenv", "s6-envdir",  "s6-setsid",    "s6-log",       "logutil-service"};
    for (auto const &t : tools) put_binary(ours(t), "bin/" + t);
    add_shared_libraries(tools);
    for (char const *l : {"halt", "poweroff", "reboot", "shutdown"})
        REQUIRE(symlink("init", path(std::string("bin/") + l).c_str()) == 0);
    add_busybox();
    REQUIRE(symlink("/bin/init", path("init").c_str()) == 0);
    add_accounts();
}

void container::tool(std::string const &name)
{
    auto const to = path("bin/" + name);
    unlink(to.c_str());
    put_binary(ours(name), "bin/" + name);
}

void container::copy_in(std::string const &dir, std::string const &rel)
{
    REQUIRE(h::run({"/bin/cp", "-a", dir + "/.", path(rel)}).code == 0);
}

void container::add_shared_libraries(std::vector<std::string> const &programs)
{
    std::vector<std::string> paths;
    for (auto const &t : programs) paths.push_back(ours(t));
    add_libraries_of(paths);
}

void container::add_host_program(std::string const &from, std::string const &rel)
{
    mkdirs(root_ + "/" + rel.substr(0, rel.rfind('/')));
    put_binary(from, rel);
    add_libraries_of({from});
}

void container::add_libraries_of(std::vector<std::string> const &paths)
{
    std::vector<std::string> libs;
    for (auto const &t : paths) {
        auto r = h::run({"/usr/bin/ldd", t});
        if (r.code != 0) continue; // "not a dynamic executable"
        // Lines: "libx.so => /path/libx.so (0x...)" or "/lib64/ld-linux... (0x...)".
        for (auto const &line : lines_of(r.out)) {
            auto const arrow = line.find("=> ");
            auto const start = line.find('/', arrow == std::string::npos ? 0 : arrow);
            auto const end = line.find(" (", start);
            if (start == std::string::npos || end == std::string::npos) continue;
            std::string lib = line.substr(start, end - start);
            if (std::find(libs.begin(), libs.end(), lib) == libs.end()) libs.push_back(lib);
        }
    }
    for (auto const &lib : libs) {
        mkdirs(root_ + lib.substr(0, lib.rfind('/')));
        put_binary(std::filesystem::canonical(lib), lib.substr(1)); // the file, not a link
    }
}

void container::add_accounts()
{
    write_file(root_ + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                      "nobody:x:65534:65534:nobody:/:/bin/false\n"
                                      "app:x:1000:1000:app:/tmp:/bin/sh\n");
    write_file(root_ + "/etc/group", "root:x:0:\nnogroup:x:65534:\napp:x:1000:\n");
}

std::vector<std::string> container::argv_for(rt how, std::vector<std::string> const &args,
                                             std::vector<std::string> const &env)
{
    std::vector<std::string> full = {entry};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<std::string> e = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    e.insert(e.end(), env.begin(), env.end());
    if (how == rt::unshare) {
        std::vector<std::string> v = {
            "/usr/bin/unshare",   "--pid",           "--fork",   "--mount",
            "--mount-proc=/proc", "--root=" + root_, "/bin/env", "-i"};
        v.insert(v.end(), e.begin(), e.end());
        v.insert(v.end(), full.begin(), full.end());
        return v;
    }
    REQUIRE(h::run({runc_path(), "spec"}, with_timeout(10000, dir_.path())).code == 0);
    std::string cfg = read_file(dir_ / "config.json");
    // runc spec's defaults: terminal true, args ["sh"], root {"path": "rootfs",
    // "readonly": true}; rewrite those three and the env.
    auto replace = [&cfg](std::string const &from, std::string const &to) {
        auto p = cfg.find(from);
        REQUIRE(p != std::string::npos);
        cfg.replace(p, from.size(), to);
    };
    replace("\"terminal\": true", "\"terminal\": false");
    auto a = cfg.find("\"args\": [");
    REQUIRE(a != std::string::npos);
    cfg.replace(a, cfg.find(']', a) + 1 - a, "\"args\": " + json_list(full));
    auto en = cfg.find("\"env\": [");
    REQUIRE(en != std::string::npos);
    cfg.replace(en, cfg.find(']', en) + 1 - en, "\"env\": " + json_list(e));
    // Docker's default capabilities, effective for root only, as under docker run.
    auto caps = cfg.find("\"capabilities\": {");
    REQUIRE(caps != std::string::npos);
    std::vector<std::string> const docker_caps = {
        "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
        "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
        "CAP_KILL",    "CAP_AUDIT_WRITE"};
    std::string const mine = json_list(runc_spec.uid ? std::vector<std::string>{} : docker_caps);
    cfg.replace(caps, cfg.find('}', caps) + 1 - caps,
                "\"capabilities\": {\"bounding\": " + json_list(docker_caps) +
                    ", \"effective\": " + mine + ", \"permitted\": " + mine + "}");
    if (!runc_spec.readonly) replace("\"readonly\": true", "\"readonly\": false");
    if (runc_spec.uid || runc_spec.gid)
        replace("\"uid\": 0,\n\t\t\t\"gid\": 0",
                "\"uid\": " + std::to_string(runc_spec.uid) +
                    ",\n\t\t\t\"gid\": " + std::to_string(runc_spec.gid));
    if (!runc_spec.run_tmpfs.empty())
        replace("\"mounts\": [", "\"mounts\": [{\"destination\": \"/run\", \"type\": "
                                 "\"tmpfs\", \"source\": \"tmpfs\", \"options\": " +
                                     json_list(std::vector<std::string>{
                                         "nosuid", "nodev", runc_spec.run_tmpfs, "mode=755"}) +
                                     "},");
    write_file(dir_ / "config.json", cfg);
    used_runc_ = true;
    return {runc_path(), "run", "--bundle", dir_.path(), id_};
}

result container::run(rt how, std::vector<std::string> const &args,
                      std::vector<std::string> const &env, int timeout_ms)
{
    return h::run(argv_for(how, args, env), with_timeout(timeout_ms));
}

std::unique_ptr<proc> container::start(std::vector<std::string> const &args,
                                       std::vector<std::string> const &env)
{
    auto v = argv_for(rt::runc, args, env);
    mkdirs(dir_ / "logs");
    return std::make_unique<proc>(v, dir_ / "logs");
}

result container::exec(std::vector<std::string> const &cmd)
{
    std::vector<std::string> v = {runc_path(), "exec", id_};
    v.insert(v.end(), cmd.begin(), cmd.end());
    return h::run(v, with_timeout(10000));
}

bool container::exec_stop(std::vector<std::string> const &cmd)
{
    int const code = exec(cmd).code;
    return code == 0 || code == 128 + SIGKILL;
}

int container::kill(std::string const &sig)
{
    return h::run({runc_path(), "kill", id_, sig}, with_timeout(10000)).code;
}

bool container::booted() const
{
    return exists(root_ + "/run/service/.s6-svscan/control");
}

runtime_choice const &choose_runtime()
{
    static runtime_choice const chosen = []() -> runtime_choice {
        if (!exists(busybox)) return {rt::none, std::string("no ") + busybox};
        if (geteuid() != 0) return {rt::none, "not root: cannot make containers"};
        // The probe: busybox's sh as the container's entry point.
        auto probe = [](rt how) {
            container c("s6pp-probe");
            c.add_busybox();
            c.entry = "/bin/sh";
            return c.run(how, {"-c", "exit 3"});
        };
        // S6PP_INIT_RUNTIME=unshare exercises the fallback where runc works too.
        char const *force = getenv("S6PP_INIT_RUNTIME");
        bool const try_runc = !force || std::string_view(force) != "unshare";
        std::string why = runc_path().empty() ? "no runc" : "runc forced off";
        if (try_runc && !runc_path().empty()) {
            auto r = probe(rt::runc);
            if (r.code == 3) {
                WARN("container tests: using runc (" << runc_path() << ")");
                return {rt::runc, {}};
            }
            WARN("container tests: runc failed (" << r.code << "): " << r.err);
            why = "runc failed (" + std::to_string(r.code) + ")";
        }
        if (exists("/usr/bin/unshare")) {
            auto r = probe(rt::unshare);
            if (r.code == 3) {
                WARN("container tests: runc unusable; using unshare --pid --fork --root");
                return {rt::unshare, {}};
            }
        }
        return {rt::none,
                "no usable container runtime: " + why +
                    (exists("/usr/bin/unshare") ? ", unshare failed" : ", no /usr/bin/unshare")};
    }();
    return chosen;
}

rt need_runtime()
{
    auto const &c = choose_runtime();
    if (c.how == rt::none) skip(c.why_none);
    return c.how;
}

void need_runc()
{
    if (need_runtime() != rt::runc) skip("needs runc (exec/kill); only unshare works here");
}

} // namespace h
