#!/bin/sh
# Replays tests/data/upstream-vectors.json against tests/conformance-app.
# make check provides abs_top_srcdir, abs_top_builddir and LIBTOOL; by hand,
# from the build directory: sh <srcdir>/tests/conformance.sh
# AWPS_APP_WRAPPER (e.g. a valgrind command line) is put in front of the app;
# make check sets it from AWPS_VALGRIND.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top_src=${abs_top_srcdir:-$(dirname "$here")}
top_build=${abs_top_builddir:-$(pwd)}

if [ -n "${AWPS_APP_WRAPPER:-}" ]; then
    # The app is a libtool wrapper script: let libtool exec the real binary
    # under the wrapper.
    AWPS_APP_WRAPPER="${LIBTOOL:-$top_build/libtool} --mode=execute $AWPS_APP_WRAPPER"
    export AWPS_APP_WRAPPER
fi

exec "$top_build/tests/conformance-run" --app "$top_build/tests/conformance-app" \
    "$top_src/tests/data/upstream-vectors.json"
