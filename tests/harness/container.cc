// Containers for the tests that boot an image: see container.hh.
#include "container.hh"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <string_view>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace h {

namespace {

std::string esc(std::string const &s)
{
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        if (c == '\n') { o += "\\n"; continue; }
        if (c == '\r') { o += "\\r"; continue; }
        if (c == '\t') { o += "\\t"; continue; }
        o += c;
    }
    return o + "\"";
}

std::string json_list(std::vector<std::string> const &v)
{
    std::string o = "[";
    for (std::size_t i = 0; i < v.size(); i++) o += (i ? "," : "") + esc(v[i]);
    return o + "]";
}

} // namespace

std::string runc_path()
{
    for (char const *p : {"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc"})
        if (access(p, X_OK) == 0) return p;
    return {};
}

run_opts with_timeout(int ms, std::string const &cwd)
{
    h::run_opts o;
    o.timeout_ms = ms;
    o.cwd = cwd;
    return o;
}

container::container()
{
    static int seq = 0;
    id_ = "s6pp-ct-" + std::to_string(getpid()) + "-" + std::to_string(++seq);
    root_ = dir_ / "rootfs";
    for (char const *d : {"bin", "etc", "proc", "dev", "sys", "tmp", "run"})
        h::mkdirs(root_ + "/" + d);
    chmod((root_ + "/tmp").c_str(), 01777);
    // For the unshare fallback (runc mounts its own /dev): sh needs /dev/null for "&".
    mknod((root_ + "/dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3));
    // Our tools first, then busybox applets where no tool of ours has the name (a
    // symlink must never be copied through: cp onto bin/init would overwrite busybox).
    for (char const *t :
         {"init", "s6-svscan", "s6-supervise", "s6-svc", "s6-svstat", "s6-svok",
          "s6-svwait", "s6-svscanctl", "fix-attrs", "with-contenv", "printcontenv",
          "s6-envdir", "s6-setsid", "s6-log", "logutil-service"})
        put_binary(h::ours(t), root_ + "/bin/" + t);
    put_binary(busybox, root_ + "/bin/busybox");
    for (char const *l : {"halt", "poweroff", "reboot", "shutdown"})
        REQUIRE(symlink("init", (root_ + "/bin/" + l).c_str()) == 0);
    auto r = h::run({busybox, "--list"});
    REQUIRE(r.code == 0);
    std::size_t i = 0;
    while (i < r.out.size()) {
        auto j = r.out.find('\n', i);
        std::string a = r.out.substr(i, j - i);
        i = j == std::string::npos ? r.out.size() : j + 1;
        if (!a.empty() && !h::exists(root_ + "/bin/" + a))
            REQUIRE(symlink("busybox", (root_ + "/bin/" + a).c_str()) == 0);
    }
    // /init -> /bin/init, so that /init finds s6-svscan next to its real executable.
    REQUIRE(symlink("/bin/init", (root_ + "/init").c_str()) == 0);
    h::write_file(root_ + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                         "nobody:x:65534:65534:nobody:/:/bin/false\n"
                                         "app:x:1000:1000:app:/tmp:/bin/sh\n");
    h::write_file(root_ + "/etc/group", "root:x:0:\nnogroup:x:65534:\napp:x:1000:\n");
}


container::~container()
{
    if (used_runc_) h::run({runc_path(), "delete", "-f", id_}, with_timeout(10000));
}


void container::file(std::string const &rel, std::string const &content, unsigned mode)
{
    auto p = path(rel);
    h::mkdirs(p.substr(0, p.rfind('/')));
    h::write_file(p, content, mode);
    chmod(p.c_str(), mode);
}


void container::tool(std::string const &name)
{
    auto const to = path("bin/" + name);
    unlink(to.c_str());
    put_binary(ours(name), to);
}

void container::copy_in(std::string const &dir, std::string const &rel)
{
    REQUIRE(h::run({"/bin/cp", "-a", dir + "/.", path(rel)}).code == 0);
}

std::vector<std::string> container::argv_for(rt how, std::vector<std::string> const &args,
                                  std::vector<std::string> const &env)
{
    std::vector<std::string> full = {entry};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<std::string> e = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    e.insert(e.end(), env.begin(), env.end());
    if (how == rt::unshare) {
        std::vector<std::string> v = {"/usr/bin/unshare", "--pid", "--fork", "--mount",
                                      "--mount-proc=/proc",
                                      "--root=" + root_, "/bin/env", "-i"};
        v.insert(v.end(), e.begin(), e.end());
        v.insert(v.end(), full.begin(), full.end());
        return v;
    }
    REQUIRE(h::run({runc_path(), "spec"}, with_timeout(10000, dir_.path())).code == 0);
    std::string cfg = h::read_file(dir_ / "config.json");
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
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
        "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
    std::string const mine = json_list(runc_spec.uid ? std::vector<std::string>{} : docker_caps);
    cfg.replace(caps, cfg.find('}', caps) + 1 - caps,
                "\"capabilities\": {\"bounding\": " + json_list(docker_caps) +
                    ", \"effective\": " + mine + ", \"permitted\": " + mine + "}");
    if (!runc_spec.readonly) replace("\"readonly\": true", "\"readonly\": false");
    if (runc_spec.uid || runc_spec.gid)
        replace("\"uid\": 0,\n\t\t\t\"gid\": 0",
                "\"uid\": " + std::to_string(runc_spec.uid) + ",\n\t\t\t\"gid\": " +
                    std::to_string(runc_spec.gid));
    if (!runc_spec.run_tmpfs.empty())
        replace("\"mounts\": [", "\"mounts\": [{\"destination\": \"/run\", \"type\": "
                "\"tmpfs\", \"source\": \"tmpfs\", \"options\": " +
                json_list(std::vector<std::string>{"nosuid", "nodev", runc_spec.run_tmpfs, "mode=755"}) + "},");
    h::write_file(dir_ / "config.json", cfg);
    used_runc_ = true;
    return {runc_path(), "run", "--bundle", dir_.path(), id_};
}


h::result container::run(rt how, std::vector<std::string> const &args,
              std::vector<std::string> const &env, int timeout_ms)
{
    return h::run(argv_for(how, args, env), with_timeout(timeout_ms));
}


std::unique_ptr<h::proc> container::start(std::vector<std::string> const &args,
                               std::vector<std::string> const &env)
{
    auto v = argv_for(rt::runc, args, env);
    h::mkdirs(dir_ / "logs");
    return std::make_unique<h::proc>(v, dir_ / "logs");
}


h::result container::exec(std::vector<std::string> const &cmd)
{
    std::vector<std::string> v = {runc_path(), "exec", id_};
    v.insert(v.end(), cmd.begin(), cmd.end());
    return h::run(v, with_timeout(10000));
}


int container::kill(std::string const &sig)
{
    return h::run({runc_path(), "kill", id_, sig}, with_timeout(10000)).code;
}


void container::put_binary(std::string const &from, std::string const &to)
{
    if (link(from.c_str(), to.c_str()) == 0) return;
    REQUIRE(h::run({"/bin/cp", from, to}).code == 0);
}


namespace {

// Which runtime works here (decided once, by running a trivial container), and if none, why.
struct runtime_choice {
    rt how;
    std::string why_none;
};

runtime_choice const &choose_runtime()
{
    static runtime_choice const chosen = []() -> runtime_choice {
        if (!h::exists(busybox)) return {rt::none, std::string("no ") + busybox};
        if (!h::exists(h::ours("init"))) return {rt::none, "no " + h::ours("init")};
        if (geteuid() != 0) return {rt::none, "not root: cannot make containers"};
        // S6PP_INIT_RUNTIME=unshare exercises the fallback where runc works too.
        char const *force = getenv("S6PP_INIT_RUNTIME");
        bool const try_runc = !force || std::string_view(force) != "unshare";
        std::string why = runc_path().empty() ? "no runc" : "runc forced off";
        if (try_runc && !runc_path().empty()) {
            container c;
            auto r = c.run(rt::runc, {"sh", "-c", "exit 3"});
            if (r.code == 3) {
                WARN("containers: using runc (" << runc_path() << ")");
                return {rt::runc, {}};
            }
            WARN("containers: runc failed (" << r.code << "): " << r.err);
            why = "runc failed (" + std::to_string(r.code) + ")";
        }
        if (h::exists("/usr/bin/unshare")) {
            container c;
            auto r = c.run(rt::unshare, {"sh", "-c", "exit 3"});
            if (r.code == 3) {
                WARN("containers: runc unusable; using unshare --pid --fork --root");
                return {rt::unshare, {}};
            }
        }
        return {rt::none, "no usable container runtime: " + why +
                              (h::exists("/usr/bin/unshare") ? ", unshare failed"
                                                             : ", no /usr/bin/unshare")};
    }();
    return chosen;
}

} // namespace

rt need_runtime()
{
    auto const &c = choose_runtime();
    if (c.how == rt::none) h::skip(c.why_none);
    return c.how;
}

void need_runc()
{
    if (need_runtime() != rt::runc) h::skip("needs runc (exec/kill); only unshare works here");
}

} // namespace h
