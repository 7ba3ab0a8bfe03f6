#!/bin/sh
# Builds s6pp and runs a small supervision tree from examples/scandir with our binaries only:
# s6-svscan supervises two services; the demo drives them with s6-svc, s6-svwait, s6-svstat and
# s6-svdt, then stops the tree with s6-svscanctl.  Run from anywhere; needs the dependencies
# from .ci/install-deps.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
[ -d "$build" ] || meson setup "$build" "$top" >/dev/null
ninja -C "$build" >/dev/null
bin=$build/tools
PATH=$bin:$PATH
export PATH

scan=$(mktemp -d /tmp/s6pp-demo.XXXXXX)
# Stop the tree and remove the copy however the demo ends (also on ^C or a closed pipe).
trap 's6-svscanctl -t "$scan" 2>/dev/null || true; rm -rf "$scan"' EXIT
trap 'exit 130' INT TERM HUP PIPE
cp -R "$top/examples/scandir/." "$scan/"
echo "== scan directory $scan: $(ls "$scan" | tr '\n' ' ')"

s6-svscan "$scan" &
svscan=$!

step() { echo; echo "== $*"; }

# s6-svscan needs a moment to start the supervisors; wait (at most 5 s) until each answers.
supervised() {
    for _ in $(seq 500); do
        s6-svok "$1" && return 0
        sleep 0.01
    done
    echo "demo: $1 is not supervised after 5 seconds" >&2
    exit 1
}
supervised "$scan/greeter"
supervised "$scan/flaky"

step "waiting until greeter is up and ready (s6-svwait -U, notification-fd 3)"
s6-svwait -U -t 10000 "$scan/greeter"
s6-svstat "$scan/greeter"

step "restarting greeter and waiting for it to be ready again (s6-svc -wR -r)"
s6-svc -wR -T 10000 -r "$scan/greeter"
s6-svstat -o up,ready,pid,updownfor "$scan/greeter"

step "letting flaky crash and be restarted"
s6-svwait -d -t 10000 "$scan/flaky"
s6-svwait -u -t 10000 "$scan/flaky"
s6-svstat "$scan/flaky"
s6-svdt "$scan/flaky"

step "taking flaky down for good (s6-svc -wD -d)"
s6-svc -wD -T 10000 -d "$scan/flaky"
s6-svstat "$scan/flaky"

step "stopping the whole tree (s6-svscanctl -t)"
s6-svscanctl -t "$scan"
wait "$svscan" && echo "s6-svscan exited 0"
trap 'rm -rf "$scan"' EXIT
