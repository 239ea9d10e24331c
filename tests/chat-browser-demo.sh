#!/bin/bash
# The README's main command, checked by the browser test: starts ./run-demo
# (no apt, no build: this build directory's programs; free ports, a
# temporary database), waits for the URL it prints, runs
# tests/interop/chat-browser.js --url against it (two pages chat, history
# for a late joiner, leave notices; screenshots demo-chat-alice.png and
# demo-chat-bob.png in the current directory), then stops run-demo with
# SIGTERM and expects exit 0 from it.
#
# Skips (exit 77) without node, python3, chromium or playwright-core.
# AWPS_APP_WRAPPER or AWPS_VALGRIND is put in front of both programs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_src=${abs_top_srcdir:-$(dirname "$here")}
top_build=${abs_top_builddir:-$(pwd)}
wrapper=${AWPS_APP_WRAPPER:-${AWPS_VALGRIND:-}}

skip() {
    echo "SKIP: chat-browser-demo: $*"
    exit 77
}
command -v node >/dev/null 2>&1 || skip "node is not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
chromium=${AWPS_CHROMIUM:-$(command -v chromium 2>/dev/null || echo /usr/bin/chromium)}
[ -x "$chromium" ] || skip "chromium is not installed (Debian package chromium)"
if [ -n "${AWPS_INTEROP_MODULES:-}" ]; then
    NODE_PATH=$AWPS_INTEROP_MODULES${NODE_PATH:+:$NODE_PATH}
    export NODE_PATH
fi
(cd "$here/interop" && node -e "require.resolve('playwright-core')") >/dev/null 2>&1 ||
    skip "the npm package playwright-core is not installed (see .ci/run)"
for p in tools/awps-emulator examples/chat/chat-server; do
    [ -x "$top_build/$p" ] || { echo "chat-browser-demo: $top_build/$p is not built"; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/chat-browser-demo.XXXXXX") || exit 1
demo_pid=
cleanup() {
    if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then
        kill -TERM "$demo_pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$demo_pid" 2>/dev/null || break; sleep 0.1; done
        # run-demo leads its own process group (setsid below)
        kill -KILL -- "-$demo_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ -n "$wrapper" ]; then
    export AWPS_DEMO_WRAPPER="${LIBTOOL:-$top_build/libtool} --mode=execute $wrapper"
fi
AWPS_SKIP_APT=1 AWPS_DEMO_SKIP_BUILD=1 AWPS_DEMO_BUILD_DIR="$top_build" \
    AWPS_EMULATOR_PORT=0 CHAT_PORT=0 CHAT_DB="$tmp/chat.db" \
    setsid bash "$top_src/run-demo" >"$tmp/out" 2>&1 </dev/null &
demo_pid=$!
url=
for _ in $(seq 1200); do   # up to 120 s (valgrind starts slowly)
    url=$(sed -n 's/^open \(http:[^ ]*\)$/\1/p' "$tmp/out" | head -n 1)
    [ -n "$url" ] && break
    kill -0 "$demo_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "chat-browser-demo: run-demo printed no URL:"
    cat "$tmp/out"
    exit 1
fi
echo "run-demo serves $url"
AWPS_SHOT_PREFIX=demo- node "$here/interop/chat-browser.js" --url "$url" --chromium "$chromium"
rc=$?
kill -TERM "$demo_pid"
wait "$demo_pid"
demo_rc=$?
demo_pid=
if [ "$demo_rc" -ne 0 ]; then
    echo "FAIL run-demo exited with $demo_rc on SIGTERM:"
    cat "$tmp/out"
    exit 1
fi
echo "ok   run-demo stopped both programs and exited 0 on SIGTERM"
exit $rc
