#!/bin/sh
# Graceful stop on SIGTERM: examples/echo (the standalone server),
# examples/mhd-app (the glue in an application's own daemon) and
# tests/conformance-app (its "slow" event is answered from a worker thread).
# Each app is started on 127.0.0.1 port 0; requests are put in flight (a
# body half sent: the "100 Continue" shows the app took the request) and,
# for the conformance app, replies pending on suspended connections; then
# SIGTERM. Every one of those requests must get its real answer, new
# connections must be refused (or answered 503) while the app drains, and
# the app must exit with status 0. Prints "N passed, N failed".
#
# make check provides abs_top_builddir and LIBTOOL; by hand, from the build
# directory: sh <srcdir>/tests/shutdown.sh. AWPS_APP_WRAPPER (e.g. a valgrind
# command line with --error-exitcode) is put in front of each app through
# libtool. Needs python3 (skips, 77, without it).
set -u
top_build=${abs_top_builddir:-$(pwd)}
wrapper=${AWPS_APP_WRAPPER:-}
libtool_cmd=${LIBTOOL:-$top_build/libtool}

if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: shutdown: python3 is not installed"
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/awps-shutdown.XXXXXX") || exit 1
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

cat >"$tmp/client.py" <<'EOF'
# usage: client.py MODE PORT PID   (MODE: echo, mhd or conf)
import json, os, signal, socket, sys, time

mode, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
hub = "echo" if mode == "echo" else "chat"
LONG = 60  # seconds; generous, nothing here measures time

def head(event, length, extra=""):
    return ("POST /api/webpubsub/hubs/%s/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "ce-specversion: 1.0\r\nce-awpsversion: 1.0\r\nce-id: 1\r\n"
            "ce-type: azure.webpubsub.user.%s\r\nce-eventName: %s\r\nce-hub: %s\r\n"
            "ce-connectionId: c1\r\nce-userId: u1\r\n"
            "WebHook-Request-Origin: x.webpubsub.azure.com\r\n"
            "Content-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n%s\r\n"
            % (hub, event, event, hub, length, extra)).encode()

def dial():
    s = socket.create_connection(("127.0.0.1", port), timeout=LONG)
    s.settimeout(LONG)
    return s

def answer(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    h, _, body = data.partition(b"\r\n\r\n")
    status = int(h.split(b" ")[1]) if h.startswith(b"HTTP/1.") else 0
    return status, body.decode("utf-8", "replace")

def expected(body):
    if mode == "mhd":
        return "received %d bytes from u1" % len(body)
    return body.decode()

def fail(msg):
    print("FAIL %s: %s" % (mode, msg))
    sys.exit(1)

# Requests in flight: headers and half a body; "100 Continue" shows the app
# has taken the request.
uploads = []
for i in range(3):
    body = ("in flight %d " % i).encode() * 200
    s = dial()
    s.sendall(head("echo", len(body), "Expect: 100-continue\r\n") + body[:len(body) // 2])
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(1)
        if not chunk:
            fail("connection closed before 100 Continue")
        got += chunk
    if not got.startswith(b"HTTP/1.1 100"):
        fail("expected 100 Continue, got %r" % got[:80])
    uploads.append((s, body))

# Replies pending on suspended connections (the conformance app's "slow").
slow = []
if mode == "conf":
    for i in range(3):
        s = dial()
        s.sendall(head("slow", 4) + b"2000")
        slow.append(s)
    seen, deadline = 0, time.time() + LONG
    while seen < len(slow):
        if time.time() > deadline:
            fail("the slow requests never started")
        s = dial()
        s.sendall(b"GET /_log HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        st, log = answer(s)
        seen += sum(1 for e in json.loads(log) if e.get("event") == "slow")
        time.sleep(0.05)

os.kill(pid, signal.SIGTERM)
time.sleep(0.2)
for s, body in uploads:
    s.sendall(body[len(body) // 2:])

# No new requests: refused connections, or 503 on one accepted just before.
deadline, refused = time.time() + LONG, False
while not refused and time.time() < deadline:
    try:
        s = dial()
        s.sendall(head("echo", 3) + b"new")
        st, text = answer(s)
        refused = st == 503 or st == 0
    except OSError:
        refused = True
    if not refused:
        time.sleep(0.05)
if not refused:
    fail("new requests were still served after SIGTERM")

for s, body in uploads:
    st, text = answer(s)
    if st != 200 or text != expected(body):
        fail("a request in flight got %d %r" % (st, text[:80]))
for s in slow:
    st, text = answer(s)
    if st != 200 or text != "slow done":
        fail("a pending reply got %d %r" % (st, text[:80]))
print("ok %s: %d in flight and %d pending answered, new requests refused"
      % (mode, len(uploads), len(slow)))
EOF

passed=0 failed=0
run() {  # run MODE PROGRAM
    mode=$1 prog=$2
    : >"$tmp/out"
    if [ -n "$wrapper" ]; then
        # shellcheck disable=SC2086 # a command line, split on purpose
        $libtool_cmd --mode=execute $wrapper "$prog" --port 0 >"$tmp/out" 2>"$tmp/err" &
    else
        "$prog" --port 0 >"$tmp/out" 2>"$tmp/err" &
    fi
    app_pid=$!
    port='' i=0
    while [ -z "$port" ] && [ $i -lt 1200 ] && kill -0 "$app_pid" 2>/dev/null; do
        port=$(sed -n '1s/^listening on \([0-9][0-9]*\)$/\1/p' "$tmp/out")
        [ -n "$port" ] || sleep 0.1
        i=$((i + 1))
    done
    if [ -z "$port" ]; then
        echo "FAIL $mode: no 'listening on PORT' line"; cat "$tmp/err"
        failed=$((failed + 1)); stop_app; return
    fi
    if ! python3 "$tmp/client.py" "$mode" "$port" "$app_pid"; then
        failed=$((failed + 1)); stop_app; return
    fi
    ok=1
    # the app stops by itself after SIGTERM (its drain deadline is 5 s)
    i=0
    while kill -0 "$app_pid" 2>/dev/null && [ $i -lt 1200 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$app_pid" 2>/dev/null; then
        echo "FAIL $mode: still running 120 s after SIGTERM"; ok=0
        stop_app
    else
        wait "$app_pid"; status=$?
        app_pid=
        if [ "$status" -ne 0 ]; then
            echo "FAIL $mode: exit status $status after SIGTERM"; cat "$tmp/err"; ok=0
        fi
    fi
    if [ $ok = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

run echo "$top_build/examples/echo"
run mhd "$top_build/examples/mhd-app"
run conf "$top_build/tests/conformance-app"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
