#!/bin/sh
# The release checks (tests/run.sh runs them when RELEASE_CHECK=1, as CI does); as root:
#
#   release/check.sh            all of it
#   release/check.sh tarballs   only steps 1-2        release/check.sh qemu   only step 3
#   release/check.sh ci-qemu    only ci's step 3 (on tarballs already built)
#   release/check.sh ci         steps 1-2, then step 3 bounded: no foreign builds of the
#                               tests; each foreign tarball's programs, under qemu-user, are
#                               driven by the native build's integration tests (NATIVE_BUILD,
#                               default build-test: tests/run.sh's), subset [supervise],[svscan]
#                               (release/qemu-test.sh ARCH --tarball)
#
# 1. Tarballs: a release build with --prefix=/usr in build-release/ (or $RELEASE_BUILD_DIR),
#    then `meson compile -C build-release tarballs`: every architecture of release_arches,
#    each one's manifest checked as it is written (release/tarballs.py).
# 2. Reproducibility: the same source built again in a second directory at another path
#    (build-release-again/), its x86_64 and man tarballs compared with the first ones byte for
#    byte.  Both builds take SOURCE_DATE_EPOCH from the last commit.
# 3. Each foreign architecture under qemu-user-static (release/qemu-test.sh): unit tests and
#    the integration tests that start real supervision trees.  $RELEASE_QEMU_ARCHES
#    (default "aarch64 armhf riscv64") picks them.
# Prints each step's time; exits non-zero if any step failed.
set -eu
cd "$(dirname "$0")/.."
what=${1:-all}
build=${RELEASE_BUILD_DIR:-build-release}
again=${build}-again
export RELEASE_JOBS=${RELEASE_JOBS:-2}
# A command in front of the builds (tests/run.sh's "nice -n 10" when it runs this in the
# background); the qemu runs are test suites and keep their priority.
prio=${BUILD_PRIO:-}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export SOURCE_DATE_EPOCH
now() { date +%s; }
status=0

if [ "$what" = all ] || [ "$what" = tarballs ] || [ "$what" = ci ]; then
    t0=$(now)
    [ -f "$build/build.ninja" ] || meson setup "$build" --prefix=/usr -Dtests=false >/dev/null
    $prio meson compile -C "$build" tarballs || status=1
    t1=$(now)
    [ -f "$again/build.ninja" ] ||
        meson setup "$again" --prefix=/usr -Dtests=false -Drelease_arches=x86_64 >/dev/null
    $prio meson compile -C "$again" tarballs >/dev/null || status=1
    for f in "$build"/dist/*.tar.xz; do
        g=$again/dist/$(basename "$f")
        [ -f "$g" ] || continue
        if cmp -s "$f" "$g"; then
            echo "reproducible: $(basename "$f")"
        else
            echo "NOT REPRODUCIBLE: $(basename "$f") differs between $build and $again"
            status=1
        fi
    done
    t2=$(now)
    ls -l "$build"/dist/
    echo "release: tarballs $((t1 - t0)) s, second build $((t2 - t1)) s"
fi

if [ "$what" = all ] || [ "$what" = qemu ]; then
    for arch in ${RELEASE_QEMU_ARCHES:-aarch64 armhf riscv64}; do
        release/qemu-test.sh "$arch" || status=1
    done
fi

if [ "$what" = ci ] || [ "$what" = ci-qemu ]; then
    version=$(meson introspect --projectinfo "$build" | python3 -c \
        'import json, sys; print(json.load(sys.stdin)["version"])')
    for arch in ${RELEASE_QEMU_ARCHES:-aarch64 armhf riscv64}; do
        t0=$(now)
        release/qemu-test.sh "$arch" --tarball "$build/dist/s6pp-$version-$arch.tar.xz" \
            "${NATIVE_BUILD:-build-test}" || status=1
        echo "release: qemu $arch $(($(now) - t0)) s"
    done
fi
exit "$status"
