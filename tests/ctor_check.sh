#!/bin/sh
# Start-up pages gate: every program is an entry of the one shared executable, so a global of
# any one of them that needs a constructor (a std::string, a struct whose members start at -1)
# is built, and its pages written, at the start of every other one: each s6-supervise, each
# s6-log, /init.  Such globals must be constant-initialized (constinit, all-zero state) or
# local to their program's entry.  Fails if the executable has any static constructor but
# libstdc++'s own (eh_alloc.cc's emergency pool, which the static build links in).
#   usage: ctor_check.sh EXECUTABLE
set -eu
exe=$1
ctors=$(nm "$exe" | sed -n 's/^[0-9a-f]* [tT] _GLOBAL__sub_I_//p' | grep -v '^eh_alloc\.cc$' || true)
if [ -n "$ctors" ]; then
    echo "static constructors in $exe (each one runs at the start of every program):"
    printf '  %s\n' $ctors | c++filt
    exit 1
fi
n=$(nm "$exe" | grep -c ' [tT] _GLOBAL__sub_I_' || true)
echo "ok: $exe has no static constructor of ours ($n of libstdc++)"
