#!/bin/sh
# End-to-end test of awps-emulator against the official npm client and
# service SDKs, with a C upstream built with libawps: runs
# tests/interop/emulator-e2e.js, which starts tests/e2e-upstream and
# tools/awps-emulator (both on port 0, loopback only) and stops them.
#
# Needs node, @azure/web-pubsub and @azure/web-pubsub-client (installed by
# .ci/run into tests/interop, or found through $AWPS_INTEROP_MODULES); skips
# (exit 77) without them. AWPS_APP_WRAPPER or AWPS_VALGRIND is put in front
# of both C programs, through libtool.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_build=${abs_top_builddir:-$(pwd)}
emulator=${AWPS_EMULATOR:-$top_build/tools/awps-emulator}
upstream=$top_build/tests/e2e-upstream
wrapper=${AWPS_APP_WRAPPER:-${AWPS_VALGRIND:-}}

skip() {
    echo "SKIP: emulator-e2e: $*"
    exit 77
}
command -v node >/dev/null 2>&1 || skip "node is not installed"
if [ -n "${AWPS_INTEROP_MODULES:-}" ]; then
    NODE_PATH=$AWPS_INTEROP_MODULES${NODE_PATH:+:$NODE_PATH}
    export NODE_PATH
fi
for m in @azure/web-pubsub @azure/web-pubsub-client; do
    (cd "$here/interop" && node -e "require.resolve('$m')") >/dev/null 2>&1 ||
        skip "the npm package $m is not installed (see .ci/run)"
done
[ -x "$emulator" ] || { echo "emulator-e2e: no emulator at $emulator"; exit 1; }
[ -x "$upstream" ] || { echo "emulator-e2e: no upstream at $upstream"; exit 1; }
if [ -n "$wrapper" ]; then
    AWPS_APP_WRAPPER="${LIBTOOL:-libtool} --mode=execute $wrapper"
else
    AWPS_APP_WRAPPER=
fi
export AWPS_APP_WRAPPER
exec node "$here/interop/emulator-e2e.js" "$emulator" "$upstream"
