#!/bin/sh
# Interoperability test: the official npm package @azure/web-pubsub and libawps
# (through the awps tool) drive the same standalone mock service with the same
# operations; tests/interop/sdk-requests.js compares the recorded requests one
# by one (method, path, query, content type, body, token audience) and the
# results, and prints "N passed, N failed".
#
# Needs node and @azure/web-pubsub, installed by .ci/run with
#   npm install --no-save --prefix tests/interop @azure/web-pubsub@1.2.0
# (or found through $AWPS_INTEROP_MODULES, a node_modules directory); skips
# (exit 77) without them.
#
# make check provides abs_top_srcdir, abs_top_builddir and LIBTOOL; by hand,
# from the build directory: sh <srcdir>/tests/interop/run.sh
# AWPS_BIN and MOCK_SERVICE override the programs (default: the build tree's
# tools/awps and tests/mock-service). AWPS_APP_WRAPPER or AWPS_VALGRIND (e.g.
# a valgrind command line) is put in front of awps, through libtool.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_build=${abs_top_builddir:-$(pwd)}
awps_bin=${AWPS_BIN:-$top_build/tools/awps}
mock_bin=${MOCK_SERVICE:-$top_build/tests/mock-service}
wrapper=${AWPS_APP_WRAPPER:-${AWPS_VALGRIND:-}}
key='interop-key-0123456789'

skip() {
    echo "SKIP: interop: $*"
    exit 77
}

command -v node >/dev/null 2>&1 || skip "node is not installed"
if [ -n "${AWPS_INTEROP_MODULES:-}" ]; then
    NODE_PATH=$AWPS_INTEROP_MODULES${NODE_PATH:+:$NODE_PATH}
    export NODE_PATH
fi
(cd "$here" && node -e "require.resolve('@azure/web-pubsub')") >/dev/null 2>&1 ||
    skip "the npm package @azure/web-pubsub is not installed" \
        "(npm install --no-save --prefix tests/interop @azure/web-pubsub@1.2.0)"
[ -x "$mock_bin" ] || { echo "interop: no mock service at $mock_bin"; exit 1; }
[ -x "$awps_bin" ] || { echo "interop: no awps at $awps_bin"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/awps-interop.XXXXXX") || exit 1
mock_pid=
cleanup() {
    if [ -n "$mock_pid" ]; then
        kill -TERM "$mock_pid" 2>/dev/null
        i=0
        while kill -0 "$mock_pid" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$mock_pid" 2>/dev/null
        wait "$mock_pid" 2>/dev/null
        mock_pid=
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

"$mock_bin" --key "$key" --log "$tmp/requests.log" >"$tmp/mock.out" 2>"$tmp/mock.err" &
mock_pid=$!
port=
i=0
while [ $i -lt 100 ]; do
    port=$(sed -n 's/.*listening on \([0-9][0-9]*\).*/\1/p' "$tmp/mock.out" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$mock_pid" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
done
if [ -z "$port" ]; then
    echo "interop: the mock service did not start:"
    cat "$tmp/mock.out" "$tmp/mock.err"
    exit 1
fi

if [ -n "$wrapper" ]; then
    # shellcheck disable=SC2086 # command lines, split on purpose
    node "$here/sdk-requests.js" "$port" "$key" "$tmp/requests.log" \
        ${LIBTOOL:-libtool} --mode=execute $wrapper "$awps_bin"
else
    node "$here/sdk-requests.js" "$port" "$key" "$tmp/requests.log" "$awps_bin"
fi
status=$?
if [ -s "$tmp/mock.err" ]; then
    echo "mock service stderr:"
    cat "$tmp/mock.err"
fi
exit $status
