#!/bin/sh
# The Web PubSub webhook traffic through examples/nginx (run.sh renders
# nginx.conf.in and runs nginx unprivileged) with a path prefix: public
# /hooks/... -> backend /..., two tests/conformance-app processes behind it.
# With curl, as the service would send them:
#   - abuse-protection OPTIONS (WebHook-Request-Origin) reaches the app and
#     its answer comes back untouched: 200 + WebHook-Allowed-Origin, the
#     app's own 400 for a refused origin, origin lists kept intact;
#   - signed connect and user events (ce-signature = sha256=HMAC-SHA256 of
#     the connection id) pass; a forged one gets the app's 401; the app sees
#     the service's origin, hub and connection id unchanged;
#   - a ~12 KB ce-connectionState survives both ways (request header: nginx's
#     default header buffers give 400; response header: the default
#     proxy_buffer_size gives 502), and a 2 MB user event (default 1m: 413);
#   - both backends serve; after SIGKILL of one, every request still succeeds
#     (nginx retries the other, its access log shows it), and the survivor
#     stops cleanly with SIGTERM.
# Prints "N passed, N failed"; exits 1 on a failure, 77 (skip) without nginx,
# curl or openssl.
#
# make check provides abs_top_srcdir, abs_top_builddir and LIBTOOL; by hand,
# from the build directory: sh <srcdir>/tests/nginx.sh. AWPS_APP_WRAPPER
# (e.g. a valgrind command line) is put in front of the apps through libtool.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_src=${abs_top_srcdir:-$(dirname "$here")}
top_build=${abs_top_builddir:-$(pwd)}
app_bin=$top_build/tests/conformance-app
run_nginx=$top_src/examples/nginx/run.sh
wrapper=${AWPS_APP_WRAPPER:-}
libtool_cmd=${LIBTOOL:-$top_build/libtool}
KEY=primary-key-0123             # the conformance app's hub "signed"
ORIGIN=test.webpubsub.azure.com
PREFIX=/hooks/
WAIT=${AWPS_NGINX_WAIT:-180}     # seconds for a program to start (valgrind)

skip() {
    echo "SKIP: nginx: $*"
    exit 77
}
AWPS_NGINX=${AWPS_NGINX:-$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)}
[ -x "$AWPS_NGINX" ] || skip "nginx is not installed (Debian package nginx)"
export AWPS_NGINX
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
command -v openssl >/dev/null 2>&1 || skip "openssl is not installed"
[ -x "$app_bin" ] || { echo "nginx: no conformance app at $app_bin"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/awps-nginx-test.XXXXXX") || exit 1
# nginx's workers run as nobody when we are root: they need to reach
# $tmp/nginx/tmp (request bodies over 1m are buffered there).
chmod 755 "$tmp"
pids=
passed=0
failed=0

# stop PID: SIGTERM, then SIGKILL after 60 s; prints nothing, returns the
# exit status.
stop() {
    kill -TERM "$1" 2>/dev/null
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 600 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
# forget PID: it was stopped and waited for (its number may be reused).
forget() {
    pids=$(for p in $pids; do [ "$p" = "$1" ] || printf ' %s' "$p"; done)
}
cleanup() {
    for p in $pids; do
        stop "$p"
    done
    if [ "$failed" != 0 ]; then
        for f in "$tmp"/*.out "$tmp"/*.err "$tmp"/nginx/logs/access.log; do
            [ -s "$f" ] || continue
            echo "---- ${f#"$tmp"/}"
            tail -n 40 "$f"
        done
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

ok() {
    passed=$((passed + 1))
    echo "ok   $1"
}
fail() {
    failed=$((failed + 1))
    echo "FAIL $1${2:+: $2}"
}
# check NAME COMMAND...: ok when COMMAND succeeds.
check() {
    name=$1
    shift
    if "$@"; then ok "$name"; else fail "$name"; fi
}

# wait_line FILE PID: waits until FILE has a "listening on N" line; prints N.
wait_line() {
    i=0
    while [ $i -lt $((WAIT * 10)) ]; do
        port=$(sed -n 's/^listening on \([0-9][0-9]*\).*/\1/p' "$1" 2>/dev/null | head -n 1)
        if [ -n "$port" ]; then
            echo "$port"
            return 0
        fi
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# start_app NAME: a conformance app on port 0; sets app_pid and app_port.
start_app() {
    if [ -n "$wrapper" ]; then
        # shellcheck disable=SC2086 # command lines, split on purpose
        $libtool_cmd --mode=execute $wrapper "$app_bin" --port 0 \
            >"$tmp/$1.out" 2>"$tmp/$1.err" &
    else
        "$app_bin" --port 0 >"$tmp/$1.out" 2>"$tmp/$1.err" &
    fi
    app_pid=$!
    pids="$pids $app_pid"
    app_port=$(wait_line "$tmp/$1.out" "$app_pid") || {
        fail "start $1"
        exit 1
    }
}

# A port that was free a moment ago (nginx cannot take port 0 and tell us
# which it got). Another program may take it before nginx binds it: then
# nginx fails with "Address already in use" and we try another one.
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    elif command -v node >/dev/null 2>&1; then
        node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
    else
        od -An -N2 -tu2 /dev/urandom | awk '{ print 20000 + $1 % 30000 }'
    fi
}

start_app app1
port1=$app_port app1_pid=$app_pid
start_app app2
port2=$app_port app2_pid=$app_pid

nginx_pid=
for attempt in 1 2 3 4 5; do
    nport=$(free_port)
    rm -f "$tmp/nginx.out" "$tmp/nginx.err"
    sh "$run_nginx" --port "$nport" --prefix "$PREFIX" --dir "$tmp/nginx" \
        "127.0.0.1:$port1" "127.0.0.1:$port2" >"$tmp/nginx.out" 2>"$tmp/nginx.err" &
    nginx_pid=$!
    if wait_line "$tmp/nginx.out" "$nginx_pid" >/dev/null; then
        pids="$pids $nginx_pid"
        break
    fi
    wait "$nginx_pid" 2>/dev/null
    nginx_pid=
    grep -q 'in use' "$tmp/nginx.err" || break
    echo "port $nport was taken meanwhile (attempt $attempt); another one"
done
if [ -z "$nginx_pid" ]; then
    fail "nginx starts" "$(cat "$tmp/nginx.err")"
    exit 1
fi
ok "nginx starts on 127.0.0.1:$nport ($PREFIX -> backends $port1, $port2)"
base=http://127.0.0.1:$nport${PREFIX%/}

sign() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$2" | awk '{ print $NF }'; }

# req NAME METHOD PATH [curl args...]: the status in $status, headers in
# $tmp/NAME.h, body in $tmp/NAME.b.
req() {
    rname=$1 method=$2 path=$3
    shift 3
    status=$(curl -sS --max-time 120 -X "$method" -D "$tmp/$rname.h" -o "$tmp/$rname.b" \
        -w '%{http_code}' "$@" "$base$path" 2>"$tmp/$rname.curl") || status=000
}
# header NAME FIELD: the value of a response header (last one, no CR).
header() {
    tr -d '\r' <"$tmp/$1.h" | awk -v f="$2" 'BEGIN { f = tolower(f) }
        { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == f) v = substr($0, i + 1) }
        END { sub(/^[ \t]+/, "", v); print v }'
}
# event NAME HUB PATH TYPE CONNECTION KEY CONTENT-TYPE BODY-FILE [curl args...]
event() {
    ename=$1 ehub=$2 epath=$3 etype=$4 econn=$5 ekey=$6 ect=$7 ebody=$8
    shift 8
    case $etype in
    azure.webpubsub.user.*) set -- -H "ce-eventName: ${etype#azure.webpubsub.user.}" "$@" ;;
    azure.webpubsub.sys.*) set -- -H "ce-eventName: ${etype#azure.webpubsub.sys.}" "$@" ;;
    esac
    req "$ename" POST "$epath" \
        -H "ce-specversion: 1.0" -H "ce-awpsversion: 1.0" -H "ce-id: 1" \
        -H "ce-source: /hubs/$ehub/client/$econn" -H "ce-type: $etype" \
        -H "ce-time: 2026-01-01T00:00:00Z" -H "ce-hub: $ehub" \
        -H "ce-connectionId: $econn" -H "ce-userId: alice" \
        -H "ce-signature: sha256=$(sign "$econn" "$ekey")" \
        -H "WebHook-Request-Origin: $ORIGIN" -H "Content-Type: $ect" \
        --data-binary "@$ebody" "$@"
}
short() { printf '%s' "$1" | head -c 200 | tr '\n' ' '; }
is() { [ "$1" = "$2" ] || { echo "     got '$(short "$1")', want '$(short "$2")'"; return 1; }; }
has() { grep -q -- "$2" "$tmp/$1.b" || { echo "     body: $(head -c 300 "$tmp/$1.b")"; return 1; }; }

# ---- abuse protection ----------------------------------------------------

req pre OPTIONS /signed/validate -H "WebHook-Request-Origin: $ORIGIN"
check "OPTIONS preflight through the prefix: 200" is "$status" 200
check "... with WebHook-Allowed-Origin from the app" is "$(header pre WebHook-Allowed-Origin)" "*"

req pre2 OPTIONS /locked/validate -H "WebHook-Request-Origin: allowed.webpubsub.azure.com"
check "OPTIONS for a hub with allowed endpoints: 200" is "$status" 200
check "... with WebHook-Allowed-Origin" is "$(header pre2 WebHook-Allowed-Origin)" "*"

req pre3 OPTIONS /locked/validate -H "WebHook-Request-Origin: evil.example.com"
check "OPTIONS from a refused origin: the app's 400" is "$status" 400
check "... with the app's reason" has pre3 "not an allowed endpoint"
check "... and no WebHook-Allowed-Origin" is "$(header pre3 WebHook-Allowed-Origin)" ""

req pre4 OPTIONS /locked/validate \
    -H "WebHook-Request-Origin: evil.example.com, allowed.webpubsub.azure.com"
check "OPTIONS with an origin list (replicas) reaches the app intact: 200" is "$status" 200

req pre5 OPTIONS /signed/validate
check "OPTIONS without WebHook-Request-Origin: the app's 400" is "$status" 400
check "... with the app's reason" has pre5 "WebHook-Request-Origin"

# ---- signed events -------------------------------------------------------

printf '%s' '{"claims":{"sub":["alice"]},"query":{},"headers":{},"subprotocols":[]}' \
    >"$tmp/connect.json"
event con signed /signed/connect azure.webpubsub.sys.connect conn-1 "$KEY" \
    application/json "$tmp/connect.json"
check "signed connect through the prefix: 200" is "$status" 200
check "... the app's answer: userId from the token" has con '"userId":"alice"'

event con2 signed /Signed/Connect azure.webpubsub.sys.connect conn-1 "$KEY" \
    application/json "$tmp/connect.json"
check "the backend path is matched case-insensitively: 200" is "$status" 200

event forged signed /signed/connect azure.webpubsub.sys.connect conn-1 wrong-key \
    application/json "$tmp/connect.json"
check "forged signature: the app's 401" is "$status" 401

printf 'hello through nginx' >"$tmp/hello.txt"
event echo signed /signed/message azure.webpubsub.user.echo conn-1 "$KEY" \
    text/plain "$tmp/hello.txt"
check "signed user event: 200" is "$status" 200
check "... echoed body" is "$(cat "$tmp/echo.b")" "hello through nginx"
check "... as text/plain" is "$(header echo Content-Type | cut -d';' -f1)" text/plain

printf 'x' >"$tmp/x.txt"
event ctx signed /signed/context azure.webpubsub.user.context conn-7 "$KEY" \
    text/plain "$tmp/x.txt"
check "the app sees the service's WebHook-Request-Origin unchanged" has ctx "\"origin\":\"$ORIGIN\""
check "... and the hub and connection id" has ctx '"hub":"signed","connectionId":"conn-7"'

event sig2 signed /signed/message azure.webpubsub.user.echo conn-1 secondary-key-4567 \
    text/plain "$tmp/hello.txt"
check "a signature with the second key: 200" is "$status" 200

# ---- sizes ---------------------------------------------------------------

big=$(head -c 9000 /dev/zero | tr '\0' s)
state=$(printf '{"plan":"%s"}' "$big" | base64 | tr -d '\n')
event bigin signed /signed/context azure.webpubsub.user.context conn-1 "$KEY" \
    text/plain "$tmp/x.txt" -H "ce-connectionState: $state"
check "a ${#state}-byte ce-connectionState request header passes: 200" is "$status" 200
check "... and reaches the app whole" has bigin "\"plan\":\"$big\""

printf '{"claims":{"sub":["alice"]},"query":{"state":["%s"]},"headers":{},"subprotocols":[]}' \
    "$big" >"$tmp/connect-big.json"
event bigout signed /signed/connect azure.webpubsub.sys.connect conn-1 "$KEY" \
    application/json "$tmp/connect-big.json"
check "a big ce-connectionState response header passes: 200" is "$status" 200
out_state=$(header bigout ce-connectionState)
check "... whole (${#out_state} bytes)" is "$(printf '%s' "$out_state" | base64 -d 2>/dev/null)" \
    "{\"plan\":\"$big\"}"

head -c 2097152 /dev/urandom >"$tmp/big.bin"
event bigbody signed /signed/message azure.webpubsub.user.echo conn-1 "$KEY" \
    application/octet-stream "$tmp/big.bin"
check "a 2 MB user event passes: 200" is "$status" 200
check "... and is echoed whole" cmp -s "$tmp/big.bin" "$tmp/bigbody.b"

status=$(curl -sS --max-time 60 -o /dev/null -w '%{http_code}' -X OPTIONS \
    -H "WebHook-Request-Origin: $ORIGIN" "http://127.0.0.1:$nport/signed/validate") ||
    status=000
check "without the prefix nothing is forwarded: nginx's 404" is "$status" 404
status=$(curl -sS --max-time 60 -o /dev/null -D "$tmp/redir.h" -w '%{http_code}' \
    "http://127.0.0.1:$nport${PREFIX%/}") || status=000
check "${PREFIX%/} redirects to $PREFIX" is "$status $(tr -d '\r' <"$tmp/redir.h" |
    sed -n 's/^[Ll]ocation: //p')" "301 $PREFIX"

# ---- both backends, then one killed --------------------------------------

access=$tmp/nginx/logs/access.log
check "both backends served requests" \
    sh -c "grep -q 'upstream=127.0.0.1:$port1' '$access' && grep -q 'upstream=127.0.0.1:$port2' '$access'"

# Established TCP connections to 127.0.0.1:PORT (from /proc: no ss needed).
conns_to() {
    hex=$(printf ':%04X' "$1")
    awk -v p="$hex" '$3 == "0100007F" p && $4 == "01" { n++ } END { print n + 0 }' \
        /proc/net/tcp 2>/dev/null
}
if [ -r /proc/net/tcp ]; then
    check "nginx keeps idle HTTP/1.1 connections to the backends (keepalive)" \
        sh -c "[ $(conns_to "$port1") -ge 1 ] && [ $(conns_to "$port2") -ge 1 ]"
fi

kill -KILL "$app1_pid" 2>/dev/null
wait "$app1_pid" 2>/dev/null
forget "$app1_pid"
echo "     killed the backend on port $port1 (SIGKILL)"
# nginx drops its idle keep-alive connections to it when their sockets
# close; give it that instant (an event in flight at a crash is lost).
sleep 0.5

all=ok
for n in 1 2 3 4 5 6; do
    event after$n signed /signed/message azure.webpubsub.user.echo conn-$n "$KEY" \
        text/plain "$tmp/hello.txt"
    if [ "$status" != 200 ] || [ "$(cat "$tmp/after$n.b")" != "hello through nginx" ]; then
        all="event $n: $status $(cat "$tmp/after$n.curl" "$tmp/after$n.b" 2>/dev/null)"
        break
    fi
    req afterpre$n OPTIONS /signed/validate -H "WebHook-Request-Origin: $ORIGIN"
    [ "$status" = 200 ] || { all="preflight $n: $status"; break; }
done
check "with one backend killed, every event and preflight still gets 200" is "$all" ok
check "... nginx tried the dead one and passed the request on" \
    grep -q "upstream=127.0.0.1:$port1, 127.0.0.1:$port2" "$access"

# The survivor stops cleanly (valgrind's exit status included).
stop "$app2_pid"
rc=$?
forget "$app2_pid"
check "the other backend exits 0 on SIGTERM" is "$rc" 0
stop "$nginx_pid"
rc=$?
forget "$nginx_pid"
check "run.sh stops nginx on SIGTERM and exits 0" is "$rc" 0

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
