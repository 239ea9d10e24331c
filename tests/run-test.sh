#!/bin/sh
# LOG_COMPILER and SH_LOG_COMPILER of make check: runs one test, killed after
# $AWPS_TEST_TIMEOUT seconds (default 900; 0 = no limit) so that a hung test
# fails instead of stalling the run.
#
# Test programs run under the command in $AWPS_VALGRIND when that is set, e.g.
#   make check AWPS_VALGRIND="valgrind --error-exitcode=99 --leak-check=full"
# with libtool --mode=execute handing valgrind the real binary (not libtool's
# wrapper script) and the uninstalled library path.  Test scripts (*.sh) run
# plain: they pass $AWPS_APP_WRAPPER on to the programs they start.
run() {
    limit=${AWPS_TEST_TIMEOUT:-900}
    if [ "$limit" != 0 ] && command -v timeout >/dev/null 2>&1; then
        exec timeout --kill-after=10 "$limit" "$@"
    fi
    exec "$@"
}

case "$1" in
*.sh)
    run /bin/sh "$@" ;;
esac
if [ -n "${AWPS_VALGRIND:-}" ]; then
    # Check's per-test timeouts, stretched for valgrind's slowdown.
    CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-4}
    export CK_TIMEOUT_MULTIPLIER
    # shellcheck disable=SC2086 # command lines, split on purpose
    run ${LIBTOOL:-libtool} --mode=execute $AWPS_VALGRIND "$@"
fi
run "$@"
