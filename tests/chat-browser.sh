#!/bin/sh
# End-to-end browser test of the chat example (examples/chat) behind nginx
# (examples/nginx): runs tests/interop/chat-browser.js, which starts
# tools/awps-emulator, two examples/chat/chat-server processes sharing one
# SQLite file and nginx in front of them (all on 127.0.0.1), drives two
# (and more) chat pages in headless chromium through playwright-core, kills
# one chat-server mid-chat, and saves chat-alice.png and chat-bob.png in the
# current directory (the build directory under make check).
#
# Skips (exit 77) without node, chromium (Debian package chromium), nginx
# (Debian package nginx) or the npm package playwright-core (installed by
# .ci/run into tests/interop, or found through $AWPS_INTEROP_MODULES).
# AWPS_APP_WRAPPER or AWPS_VALGRIND is put in front of the emulator and the
# chat-servers, through libtool. AWPS_CHROMIUM and AWPS_NGINX name the
# browser and nginx binaries.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_src=${abs_top_srcdir:-$(dirname "$here")}
top_build=${abs_top_builddir:-$(pwd)}
emulator=${AWPS_EMULATOR:-$top_build/tools/awps-emulator}
chat_server=$top_build/examples/chat/chat-server
wrapper=${AWPS_APP_WRAPPER:-${AWPS_VALGRIND:-}}

skip() {
    echo "SKIP: chat-browser: $*"
    exit 77
}
command -v node >/dev/null 2>&1 || skip "node is not installed"
chromium=${AWPS_CHROMIUM:-$(command -v chromium 2>/dev/null || echo /usr/bin/chromium)}
[ -x "$chromium" ] || skip "chromium is not installed (Debian package chromium)"
AWPS_NGINX=${AWPS_NGINX:-$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)}
[ -x "$AWPS_NGINX" ] || skip "nginx is not installed (Debian package nginx)"
export AWPS_NGINX
if [ -n "${AWPS_INTEROP_MODULES:-}" ]; then
    NODE_PATH=$AWPS_INTEROP_MODULES${NODE_PATH:+:$NODE_PATH}
    export NODE_PATH
fi
(cd "$here/interop" && node -e "require.resolve('playwright-core')") >/dev/null 2>&1 ||
    skip "the npm package playwright-core is not installed (see .ci/run)"
[ -x "$emulator" ] || { echo "chat-browser: no emulator at $emulator"; exit 1; }
[ -x "$chat_server" ] || { echo "chat-browser: no chat-server at $chat_server"; exit 1; }

if [ -n "$wrapper" ]; then
    AWPS_APP_WRAPPER="${LIBTOOL:-$top_build/libtool} --mode=execute $wrapper"
else
    AWPS_APP_WRAPPER=
fi
export AWPS_APP_WRAPPER
exec node "$here/interop/chat-browser.js" --emulator "$emulator" \
    --chat-server "$chat_server" --www "$top_src/examples/chat/www" \
    --nginx-run "$top_src/examples/nginx/run.sh" --chromium "$chromium"
