// The cdb reader (libsupervise/cdb.cc): access rules files given with -x are read with it, and
// a corrupt or hostile file must give EPROTO, never a read outside the map.  Input: the file.
// Every record is walked, every key looked up, and a few keys that are not there.
#include "fuzz.hh"

#include <supervise/accessrules.hh>
#include <supervise/cdb.hh>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    static fz::memfile file;
    file.set(fz::view(data, size));
    sv::cdb db;
    if (!db.open_fd(file.fd())) return 0;
    std::uint32_t pos = 0;
    std::string_view key, val;
    int steps = 0;
    while (db.next_record(pos, key, val) == 1 && ++steps < 1000) {
        std::string_view found;
        int r = db.find(key, found);
        fz::check(r != 0); // a key in the file is found (or the file is reported malformed)
        sv::cdb::finder f(db, key);
        for (int i = 0; i < 100 && f.next(found) == 1; i++) {}
        sv::access_grant g;
        sv::access_rule_cdb(db, key, g);
    }
    for (char const *k : {"uid/0", "gid/0", "uid/default", ""}) {
        std::string_view found;
        db.find(k, found);
        sv::access_grant g;
        sv::access_rule_cdb(db, k, g);
    }
    sv::access_grant g;
    sv::access_uidgid_cdb(0, 0, db, g);
    return 0;
}
