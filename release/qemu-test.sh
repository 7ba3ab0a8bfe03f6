#!/bin/sh
# Builds s6pp for a foreign architecture and runs its tests there, under qemu-user-static:
#
#   release/qemu-test.sh ARCH [TESTSPEC]       (as root; ARCH: aarch64, armhf, riscv64)
#
# The build (build-qemu-ARCH, or $QEMU_BUILD_DIR) is a cross build with release/cross/ARCH.txt,
# without LTO (a test build: the release tarballs are built by `meson compile tarballs`), and
# linked fully static, the test programs too, so nothing needs the foreign dynamic loader.
# Jobs: $RELEASE_JOBS (2).  The foreign binaries run through binfmt_misc: when qemu-ARCH is
# not registered already, this script mounts binfmt_misc if needed and registers it from
# /usr/lib/binfmt.d/qemu-ARCH.conf (with the F flag, so the interpreter is found inside runc
# containers as well), and unregisters it when done.  Then it runs every unit test and the
# integration tests of TESTSPEC (Catch2 syntax; by default "[supervise],[svscan]": real
# supervision trees, ours and stock's clients against them).  It ends with the build and test
# times, and exits non-zero if a test failed.
#
#   release/qemu-test.sh ARCH --tarball TARBALL NATIVE_BUILD [TESTSPEC]
#
# The bounded variant CI runs (release/check.sh ci): no foreign build at all.  The release
# tarball's own programs are unpacked into a temp dir and driven by NATIVE_BUILD's
# integration tests (S6PP_TEST_BINDIR, tests/harness), each of our programs running under
# qemu-user; the foreign unit tests are not run in this variant.
set -eu
arch=${1:?usage: release/qemu-test.sh ARCH [TESTSPEC] | ARCH --tarball TARBALL NATIVE_BUILD [TESTSPEC]}
tarball= native=
if [ "${2:-}" = --tarball ]; then
    tarball=$(realpath "${3:?--tarball needs a tarball}")
    native=$(realpath "${4:?--tarball needs the native build directory}")
    shift 4
    spec=${1:-[supervise],[svscan]}
else
    spec=${2:-[supervise],[svscan]}
fi
cd "$(dirname "$0")/.."
case $arch in
    aarch64) qemu=aarch64 ;;
    armhf) qemu=arm ;;
    riscv64) qemu=riscv64 ;;
    *) echo "qemu-test: unknown or native architecture: $arch" >&2; exit 100 ;;
esac
build=${QEMU_BUILD_DIR:-build-qemu-$arch}
jobs=${RELEASE_JOBS:-2}
binfmt=/proc/sys/fs/binfmt_misc
now() { date +%s; }

t0=$(now)
if [ -n "$tarball" ]; then
    :
elif [ ! -f "$build/build.ninja" ]; then
    rm -rf "$build"
    log=${TMPDIR:-/tmp}/s6pp-qemu-setup-$arch.log
    meson setup "$build" --cross-file "release/cross/$arch.txt" -Db_lto=false \
        -Dcpp_link_args=-static >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi
if [ -z "$tarball" ]; then
    ninja -C "$build" -j"$jobs" tests/unit-tests tests/integration-tests \
        $(ninja -C "$build" -t targets all | sed -n 's,^\(tools/[^:/]*\): .*,\1,p' |
          grep -v '\.p$') \
        >"$build/qemu-build.log" 2>&1 || { tail -50 "$build/qemu-build.log" >&2; exit 1; }
fi
t1=$(now)

registered= unpacked=
cleanup() {
    if [ -n "$registered" ]; then echo -1 >"$binfmt/qemu-$qemu" || true; fi
    if [ -n "$unpacked" ]; then rm -rf "$unpacked"; fi
}
trap cleanup EXIT INT TERM
if [ ! -e "$binfmt/status" ]; then
    mount -t binfmt_misc binfmt_misc "$binfmt"
fi
if ! grep -qx enabled "$binfmt/qemu-$qemu" 2>/dev/null; then
    conf=/usr/lib/binfmt.d/qemu-$qemu.conf
    [ -f "$conf" ] || { echo "qemu-test: no $conf (apt-get install qemu-user-static)" >&2; exit 1; }
    # :name:type:offset:magic:mask:interpreter:flags -- F: open the interpreter now.
    line=$(grep -v '^#' "$conf" | head -1)
    case $line in *:*F*) ;; *) line="${line}F" ;; esac
    printf '%s\n' "$line" >"$binfmt/register"
    registered=yes
fi

status=0
# The tests that cannot run under qemu-user skip themselves, by name (h::need_native).
export S6PP_TEST_EMULATED=1
if [ -n "$tarball" ]; then
    unpacked=$(mktemp -d "${TMPDIR:-/tmp}/s6pp-qemu-$arch.XXXXXX")
    tar -C "$unpacked" -xJpf "$tarball"
    bindir=$(dirname "$(find "$unpacked" -path '*/bin/s6-supervise' -type f | head -1)")
    [ "$bindir" != . ] || { echo "qemu-test: no bin/s6-supervise in $tarball" >&2; exit 1; }
    echo "qemu-test $arch: integration tests $spec on $(basename "$tarball")"
    if ! S6PP_TEST_BINDIR=$bindir "$native/tests/integration-tests" --reporter console "$spec"
    then
        status=1
    fi
    t3=$(now)
    echo "qemu-test $arch: integration $((t3 - t1)) s"
    exit "$status"
fi
# Left out under qemu-user, where /proc/self/exe is qemu's emulation: for a running program
# whose file was deleted it does not give the kernel's "PATH (deleted)", so this case's
# "deleted (replaced) executable" section cannot pass there.  (fork_self's cases skip
# themselves: qemu-user refuses PR_SET_MM_MAP, and s6-svscan then execs its supervisors.)
unit_out="sibling_path looks in the executable's own directory"
echo "SKIPPED: unit-tests: $unit_out -- /proc/self/exe of a deleted program under qemu-user"
echo "qemu-test $arch: unit tests"
"$build/tests/unit-tests" --reporter compact "~$unit_out" || status=1
t2=$(now)
echo "qemu-test $arch: integration tests $spec"
# Not yet fatal unless QEMU_INTEGRATION_FATAL=1: the cases qemu-user cannot run skip
# themselves (h::need_native, S6PP_TEST_EMULATED above), but this variant, whose test program
# is emulated too, was last run before they did (12 of 36 cases failed on aarch64 then); the
# --tarball variant above, which CI runs, is fatal.
if ! "$build/tests/integration-tests" --reporter console "$spec"; then
    if [ "${QEMU_INTEGRATION_FATAL:-0}" = 1 ]; then
        status=1
    else
        echo "qemu-test $arch: KNOWN FAILURES under qemu in the integration subset (not fatal)"
    fi
fi
t3=$(now)
echo "qemu-test $arch: build $((t1 - t0)) s, unit tests $((t2 - t1)) s, integration $((t3 - t2)) s"
exit "$status"
