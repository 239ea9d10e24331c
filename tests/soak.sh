#!/bin/sh
# A bounded soak (make check-slow): wrk drives tests/conformance-app with
# valid signed requests (tests/soak.lua: user events answered at once and
# from worker threads, connects, preflights) for AWPS_SOAK_SECONDS (default
# 30) over AWPS_SOAK_CONNECTIONS (default 32) keep-alive connections. Every
# answer must be 2xx, with no connect, read, write or timeout error; then
# the app must still answer, and exit 0 on SIGTERM. Prints the app's RSS
# before and after (not asserted) and "PASS" or "FAIL" lines.
#
# make check-slow provides abs_top_srcdir, abs_top_builddir and LIBTOOL; by
# hand, from the build directory: sh <srcdir>/tests/soak.sh.
# AWPS_APP_WRAPPER (e.g. valgrind) is put in front of the app through
# libtool. Skips (77) without wrk (Debian package wrk) or curl.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_src=${abs_top_srcdir:-$(dirname "$here")}
top_build=${abs_top_builddir:-$(pwd)}
wrapper=${AWPS_APP_WRAPPER:-}
libtool_cmd=${LIBTOOL:-$top_build/libtool}
seconds=${AWPS_SOAK_SECONDS:-30}
conns=${AWPS_SOAK_CONNECTIONS:-32}

for tool in wrk curl; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "SKIP: soak: $tool is not installed"
        exit 77
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/awps-soak.XXXXXX") || exit 1
app_pid=
stop_app() {
    if [ -n "$app_pid" ]; then
        kill -TERM "$app_pid" 2>/dev/null
        i=0
        while kill -0 "$app_pid" 2>/dev/null && [ $i -lt 100 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$app_pid" 2>/dev/null
        wait "$app_pid" 2>/dev/null
        app_pid=
    fi
}
trap 'stop_app; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP PIPE
fail() {
    echo "FAIL: soak: $*"
    exit 1
}
rss() {
    sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$app_pid/status" 2>/dev/null || echo "?"
}

app=$top_build/tests/conformance-app
if [ -n "$wrapper" ]; then
    # shellcheck disable=SC2086 # a command line, split on purpose
    $libtool_cmd --mode=execute $wrapper "$app" --port 0 >"$tmp/out" 2>"$tmp/err" &
else
    "$app" --port 0 >"$tmp/out" 2>"$tmp/err" &
fi
app_pid=$!
port='' i=0
while [ -z "$port" ] && [ $i -lt 1200 ] && kill -0 "$app_pid" 2>/dev/null; do
    port=$(sed -n '1s/^listening on \([0-9][0-9]*\)$/\1/p' "$tmp/out")
    [ -n "$port" ] || sleep 0.1
    i=$((i + 1))
done
[ -n "$port" ] || { cat "$tmp/err"; fail "the app printed no 'listening on PORT' line"; }

echo "soak: ${seconds} s, $conns connections, app on port $port, RSS before: $(rss)"
wrk -t 2 -c "$conns" -d "${seconds}s" --timeout 30s -s "$top_src/tests/soak.lua" \
    "http://127.0.0.1:$port/" >"$tmp/wrk" 2>&1
wrk_status=$?
cat "$tmp/wrk"
echo "soak: RSS after: $(rss)"
[ $wrk_status -eq 0 ] || fail "wrk exited with status $wrk_status"
line=$(grep '^SOAK ' "$tmp/wrk") || fail "no SOAK line from tests/soak.lua"
field() { echo "$line" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
[ "$(field requests)" -gt 0 ] || fail "no requests were made"
[ "$(field answers)" -gt 0 ] || fail "no answers were counted"
for f in non2xx errors_connect errors_read errors_write errors_status errors_timeout; do
    [ "$(field $f)" = 0 ] || fail "$f=$(field $f)"
done

# still serving, then a clean stop
body=$(curl -sS --max-time 60 -X OPTIONS -H 'WebHook-Request-Origin: x.webpubsub.azure.com' \
    -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/signed/") || :
[ "$body" = 200 ] || fail "the app no longer answers (status '$body')"
kill -TERM "$app_pid"
i=0
while kill -0 "$app_pid" 2>/dev/null && [ $i -lt 1200 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -0 "$app_pid" 2>/dev/null && fail "the app still runs 120 s after SIGTERM"
wait "$app_pid"
status=$?
app_pid=
[ $status -eq 0 ] || { cat "$tmp/err"; fail "the app exited with status $status after SIGTERM"; }
echo "PASS: soak: $(field requests) requests, all 2xx"
