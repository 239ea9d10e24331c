#!/bin/sh
# End-to-end test of the README's main command: runs ./run-demo (no apt, no
# build: the programs of this build directory, free ports, a temporary
# database, the prefix /chat) and drives the chat with
# tests/interop/chat-e2e.js: the page and its files, negotiate (and its 400s),
# two users chatting, history for a late joiner, leave notices, the 50-message
# cap, a restart on the same database, SIGTERM stopping both programs.
#
# Needs node, python3 and @azure/web-pubsub-client + ws (installed by .ci/run
# into tests/interop, or found through $AWPS_INTEROP_MODULES); skips (exit 77)
# without them. AWPS_APP_WRAPPER or AWPS_VALGRIND is put in front of
# awps-emulator and chat-server, through libtool.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_src=${abs_top_srcdir:-$(cd "$here/.." && pwd)}
top_build=${abs_top_builddir:-$(pwd)}
wrapper=${AWPS_APP_WRAPPER:-${AWPS_VALGRIND:-}}

skip() {
    echo "SKIP: chat-e2e: $*"
    exit 77
}
command -v node >/dev/null 2>&1 || skip "node is not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
command -v bash >/dev/null 2>&1 || skip "bash is not installed"
if [ -n "${AWPS_INTEROP_MODULES:-}" ]; then
    NODE_PATH=$AWPS_INTEROP_MODULES${NODE_PATH:+:$NODE_PATH}
    export NODE_PATH
fi
for m in @azure/web-pubsub-client ws; do
    (cd "$here/interop" && node -e "require.resolve('$m')") >/dev/null 2>&1 ||
        skip "the npm package $m is not installed (see .ci/run)"
done
for p in tools/awps-emulator examples/chat/chat-server; do
    [ -x "$top_build/$p" ] || { echo "chat-e2e: $top_build/$p is not built"; exit 1; }
done
if [ -n "$wrapper" ]; then
    AWPS_DEMO_WRAPPER="${LIBTOOL:-$top_build/libtool} --mode=execute $wrapper"
    export AWPS_DEMO_WRAPPER
else
    unset AWPS_DEMO_WRAPPER
fi
# node stops run-demo (which stops its programs) itself, also on SIGTERM;
# should node die first, run-demo's process group (its pid, in pidfile) goes.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/chat-e2e.XXXXXX") || exit 1
CHAT_E2E_PIDFILE=$tmp/run-demo.pid
# the database and run-demo's files go there too
TMPDIR=$tmp
export CHAT_E2E_PIDFILE TMPDIR
cleanup() {
    if [ -s "$CHAT_E2E_PIDFILE" ]; then
        pid=$(cat "$CHAT_E2E_PIDFILE")
        # (dash's kill takes no process group)
        kill -0 "$pid" 2>/dev/null && python3 -c \
            'import os, signal, sys; os.killpg(int(sys.argv[1]), signal.SIGKILL)' "$pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
node "$here/interop/chat-e2e.js" "$top_src/run-demo" "$top_build" &
node_pid=$!
trap 'kill -TERM $node_pid 2>/dev/null; wait $node_pid; exit 1' INT TERM HUP
wait $node_pid
