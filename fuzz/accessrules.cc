// An access rule record as s6-ipcserver-access, s6-fdholderd and s6-accessrules-fs-from-cdb
// read it from a rules cdb ("D", or "A" envlen env execlen exec), and the environment
// changes it carries.
#include "fuzz.hh"

#include <supervise/accessrules.hh>
#include <supervise/envdir.hh>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    std::string_view rec = fz::view(data, size);
    std::string_view env, exec;
    if (sv::access_record_parse(rec, env, exec) == sv::access_verdict::allow) {
        fz::check(env.size() <= sv::access_env_max && exec.size() <= sv::access_exec_max);
        fz::check(env.data() >= rec.data() && env.data() + env.size() <= rec.data() + rec.size());
        sv::env_changes_parse(env);
        // What parses repacks to the same record.
        std::string again;
        if (sv::access_record_allow(env, exec, again)) fz::check(again == rec);
    }
    if (sv::access_record_split(rec, env, exec))
        fz::check(exec.data() + exec.size() <= rec.data() + rec.size());
    return 0;
}
