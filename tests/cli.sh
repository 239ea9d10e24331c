#!/bin/sh
# Tests of the awps command-line tool against the standalone mock service
# (tests/mock-service): every command and option, the requests the mock
# recorded (method, target, content type, body, token audience), standard
# output, standard error and exit statuses, usage errors (2) and service and
# transport errors (3). Prints "N passed, N failed"; exits 1 on a failure.
#
# make check provides abs_top_builddir and LIBTOOL; by hand, from the build
# directory: sh <srcdir>/tests/cli.sh. AWPS_BIN and MOCK_SERVICE override the
# programs (default: the build tree's tools/awps and tests/mock-service).
# AWPS_APP_WRAPPER or AWPS_VALGRIND (e.g. a valgrind command line) is put in
# front of awps, through libtool. Needs python3 (skips, 77, without it).
set -u
top_build=${abs_top_builddir:-$(pwd)}
awps_bin=${AWPS_BIN:-$top_build/tools/awps}
mock_bin=${MOCK_SERVICE:-$top_build/tests/mock-service}
wrapper=${AWPS_APP_WRAPPER:-${AWPS_VALGRIND:-}}
libtool_cmd=${LIBTOOL:-$top_build/libtool}
key='cli-test-key-0123456789'
hub=hub1

if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: cli: python3 is not installed"
    exit 77
fi
[ -x "$mock_bin" ] || { echo "cli: no mock service at $mock_bin"; exit 1; }
[ -x "$awps_bin" ] || { echo "cli: no awps at $awps_bin"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/awps-cli.XXXXXX") || exit 1
log=$tmp/requests.log
mock_pid=
silent_pid=
cleanup() {
    [ -n "$silent_pid" ] && kill -KILL "$silent_pid" 2>/dev/null && wait "$silent_pid" 2>/dev/null
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

# ---- the checker: reads the mock's log, posts scripts, checks tokens --------
cat >"$tmp/check.py" <<'EOF'
import base64, hashlib, hmac, json, sys, time

def lines(log):
    # complete lines only: the mock may be writing the last one
    try:
        with open(log, "rb") as f:
            return f.read().split(b"\n")[:-1]
    except FileNotFoundError:
        return []

def header(e, name):
    for k in (name.replace("-", "_"), name):
        if k in e:
            return e[k]
    h = e.get("headers") or {}
    for k, v in h.items():
        if k.lower() == name:
            return v
    return None

def body_of(e):
    if isinstance(e.get("body_base64"), str):
        return base64.b64decode(e["body_base64"])
    if isinstance(e.get("body"), str):
        return e["body"].encode("utf-8")
    return b""

def target_of(e):
    if "target" in e:
        return e["target"]
    q = e.get("query") or ""
    return e["path"] + ("?" + q if q else "")

def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def jwt(token, key):
    h, p, s = token.split(".")
    sig = base64.urlsafe_b64encode(hmac.new(key.encode(), (h + "." + p).encode(),
                                            hashlib.sha256).digest()).rstrip(b"=").decode()
    return json.loads(b64url(h)), json.loads(b64url(p)), sig == s

def aud_of(e, key):
    if e.get("aud") is not None:
        return e["aud"]
    auth = header(e, "authorization") or ""
    if auth.startswith("Bearer "):
        return jwt(auth[7:], key)[1].get("aud")
    return None

def cmd_script(base, text):
    import urllib.request
    req = urllib.request.Request(base + "/_mock/script", data=text.encode("utf-8"),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()

def cmd_req(log, idx, key, audbase, method, target, ctype, body):
    idx = int(idx)
    deadline = time.time() + 5
    ls = lines(log)
    while len(ls) <= idx and time.time() < deadline:
        time.sleep(0.02)
        ls = lines(log)
    if len(ls) <= idx:
        print("request %d was not recorded (%d in the log)" % (idx + 1, len(ls)))
        return 1
    e, bad = json.loads(ls[idx]), []
    if e.get("method") != method:
        bad.append("method %s, expected %s" % (e.get("method"), method))
    if target_of(e) != target:
        bad.append("target %s, expected %s" % (target_of(e), target))
    ct = header(e, "content-type")
    if (ct or "-") != ctype:
        bad.append("content type %s, expected %s" % (ct, ctype))
    got = body_of(e)
    if body.startswith("size:"):
        want = "%s bytes" % body[5:]
        ok = len(got) == int(body[5:])
        got = "%d bytes" % len(got)
    elif body.startswith("b64:"):
        want = base64.b64decode(body[4:])
        ok = got == want
    elif body.startswith("json:"):
        want = body[5:].encode("utf-8")
        try:
            ok = json.loads(got) == json.loads(want)
        except ValueError:
            ok = False
    else:
        want = body.encode("utf-8")
        ok = got == want
    if not ok:
        bad.append("body %r, expected %r" % (got, want))
    aud = aud_of(e, key)
    if aud != audbase + target_of(e):
        bad.append("token aud %s, expected %s" % (aud, audbase + target_of(e)))
    if e.get("token_ok") is False and audbase.startswith("http://127.0.0.1:"):
        bad.append("token rejected: %s" % e.get("token_error"))
    for b in bad:
        print(b)
    return 1 if bad else 0

def cmd_token(path, key, base_url, aud, lifetime, claims):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    bad = []
    if not text.endswith("\n") or text.count("\n") != 1:
        bad.append("not one line: %r" % text)
    try:
        o = json.loads(text)
    except ValueError:
        print("output is not JSON: %r" % text[:300])
        return 1
    if list(o) != ["baseUrl", "token", "url"]:
        bad.append("members %s" % list(o))
    if o["baseUrl"] != base_url:
        bad.append("baseUrl %s, expected %s" % (o["baseUrl"], base_url))
    if o["url"] != o["baseUrl"] + "?access_token=" + o["token"]:
        bad.append("url %s" % o["url"])
    h, p, ok = jwt(o["token"], key)
    if not ok:
        bad.append("signature does not verify")
    if h != {"alg": "HS256", "typ": "JWT"}:
        bad.append("header %s" % h)
    if p.get("exp", 0) - p.get("iat", 0) != int(lifetime):
        bad.append("lifetime %s, expected %s" % (p.get("exp", 0) - p.get("iat", 0), lifetime))
    if abs(p.get("iat", 0) - time.time()) > 120:
        bad.append("iat %s is not now" % p.get("iat"))
    want = json.loads(claims)
    want["aud"] = aud
    got = {k: v for k, v in p.items() if k not in ("iat", "exp")}
    if got != want:
        bad.append("claims %s, expected %s" % (got, want))
    for b in bad:
        print(b)
    return 1 if bad else 0

cmd = sys.argv[1]
args = sys.argv[2:]
sys.exit({"script": cmd_script, "req": cmd_req,
          "token": cmd_token}[cmd](*args) or 0)
EOF
check() { python3 "$tmp/check.py" "$@"; }
# requests recorded so far (the mock writes one line each)
count() {
    if [ -f "$log" ]; then
        wc -l <"$log" | tr -d ' '
    else
        echo 0
    fi
}

# ---- the mock ------------------------------------------------------------------
"$mock_bin" --key "$key" --log "$log" >"$tmp/mock.out" 2>"$tmp/mock.err" &
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
    echo "cli: the mock service did not start:"
    cat "$tmp/mock.out" "$tmp/mock.err"
    exit 1
fi
base=http://127.0.0.1:$port
conn="Endpoint=$base;AccessKey=$key;Version=1.0;"
WEBPUBSUB_CONNECTION_STRING=$conn
WEBPUBSUB_HUB=$hub
export WEBPUBSUB_CONNECTION_STRING WEBPUBSUB_HUB
api=api-version=2024-12-01

# ---- test cases ----------------------------------------------------------------
# begin NAME; then any of: input FILE, run STATUS ARGS..., out TEXT, out_file FILE,
# err TEXT, script JSON, req METHOD TARGET CONTENT-TYPE BODY; then end.
passed=0 failed=0
begin() {
    name=$1 problems= nreq=0 input=/dev/null envpre= audbase=$base
    mark=$(count)
}
problem() { problems="$problems
    $*"; }
input() { input=$1; }
script() { check script "$base" "$1" || problem "cannot script the mock"; }
run() {
    want=$1
    shift
    # shellcheck disable=SC2086 # command lines, split on purpose
    if [ -n "$wrapper" ]; then
        $envpre $libtool_cmd --mode=execute $wrapper "$awps_bin" "$@" \
            <"$input" >"$tmp/out" 2>"$tmp/err"
    else
        $envpre "$awps_bin" "$@" <"$input" >"$tmp/out" 2>"$tmp/err"
    fi
    st=$?
    if [ "$st" != "$want" ]; then
        problem "exit status $st, expected $want; stderr: $(head -c 600 "$tmp/err")"
    fi
}
# standard output is exactly TEXT plus a newline ("" : nothing at all)
out() {
    if [ -z "$1" ]; then
        [ -s "$tmp/out" ] && problem "unexpected output: $(head -c 300 "$tmp/out")"
    else
        printf '%s\n' "$1" >"$tmp/want"
        cmp -s "$tmp/want" "$tmp/out" ||
            problem "output: $(head -c 600 "$tmp/out"), expected: $1"
    fi
}
# standard error is one line that contains TEXT ("" : nothing at all)
err() {
    if [ -z "$1" ]; then
        [ -s "$tmp/err" ] && problem "unexpected stderr: $(head -c 300 "$tmp/err")"
    else
        grep -F -q -e "$1" "$tmp/err" || problem "stderr lacks '$1': $(head -c 600 "$tmp/err")"
        [ "$(wc -l <"$tmp/err")" = 1 ] || problem "stderr is not one line: $(cat "$tmp/err")"
    fi
}
req() {
    msg=$(check req "$log" $((mark + nreq)) "$key" "$audbase" "$1" "$2" "$3" "$4") ||
        problem "request $((nreq + 1)): $msg"
    nreq=$((nreq + 1))
}
end() {
    n=$(count)
    [ "$n" = $((mark + nreq)) ] || problem "$((n - mark)) requests recorded, expected $nreq"
    if [ -z "$problems" ]; then
        passed=$((passed + 1))
        echo "PASS: $name"
    else
        failed=$((failed + 1))
        echo "FAIL: $name$problems"
    fi
}
# A usage error: exit 2, one line on stderr containing TEXT, nothing sent.
usage() {
    text=$1
    shift
    begin "usage error: awps $*"
    run 2 "$@"
    out ""
    err "$text"
    end
}

printf '\001\002\003' >"$tmp/bin3"
printf 'a\000b\377\n' >"$tmp/bin5"

# -- help and version
begin "awps --help"
run 0 --help
err ""
grep -q '^usage: awps' "$tmp/out" || problem "no usage line: $(head -n 2 "$tmp/out")"
end
begin "awps --version"
run 0 --version
err ""
grep -q '^awps [0-9]' "$tmp/out" || problem "no version: $(cat "$tmp/out")"
end
for c in token send group groups leave-all close exists permission list-connections; do
    begin "awps $c --help"
    run 0 "$c" --help
    err ""
    grep -q "^usage: awps $c" "$tmp/out" || problem "no usage line: $(head -n 2 "$tmp/out")"
    end
    begin "awps help $c"
    run 0 help "$c"
    grep -q "^usage: awps $c" "$tmp/out" || problem "no usage line"
    end
done
begin "awps -h after options"; run 0 send --all -h; err ""; end
begin "awps help"
run 0 help
grep -q '^usage: awps' "$tmp/out" || problem "no usage line: $(head -n 2 "$tmp/out")"
end
begin "awps COMMAND --version"
run 0 exists --user u --version
grep -q '^awps [0-9]' "$tmp/out" || problem "no version: $(cat "$tmp/out")"
end

# -- token (no request)
begin "token"
run 0 token
check token "$tmp/out" "$key" "ws://127.0.0.1:$port/client/hubs/$hub" \
    "$base/client/hubs/$hub" 3600 '{}' >"$tmp/msg" || problem "$(cat "$tmp/msg")"
err ""
end
begin "token full"
run 0 token --user 'user 1' --role webpubsub.joinLeaveGroup --role webpubsub.sendToGroup.g1 \
    --group g1 --group 'g 2' --minutes 5
check token "$tmp/out" "$key" "ws://127.0.0.1:$port/client/hubs/$hub" \
    "$base/client/hubs/$hub" 300 \
    '{"sub":"user 1","role":["webpubsub.joinLeaveGroup","webpubsub.sendToGroup.g1"],"webpubsub.group":["g1","g 2"]}' \
    >"$tmp/msg" || problem "$(cat "$tmp/msg")"
end
begin "token mqtt 1.5 minutes"
run 0 token --protocol mqtt --user u --minutes 1.5
check token "$tmp/out" "$key" "ws://127.0.0.1:$port/clients/mqtt/hubs/$hub" \
    "$base/clients/mqtt/hubs/$hub" 90 '{"sub":"u"}' >"$tmp/msg" || problem "$(cat "$tmp/msg")"
end
begin "token socketio, hub from the command line"
run 0 token --protocol socketio --hub other
check token "$tmp/out" "$key" "ws://127.0.0.1:$port/clients/socketio/hubs/other" \
    "$base/clients/socketio/hubs/other" 3600 '{}' >"$tmp/msg" || problem "$(cat "$tmp/msg")"
end
begin "token default protocol, unicode user"
run 0 token --protocol default --user '用户"x"/é'
check token "$tmp/out" "$key" "ws://127.0.0.1:$port/client/hubs/$hub" \
    "$base/client/hubs/$hub" 3600 '{"sub":"用户\"x\"/é"}' >"$tmp/msg" ||
    problem "$(cat "$tmp/msg")"
end

# -- send
begin "send --all --text"
run 0 send --all --text hello
out ""; err ""
req POST "/api/hubs/$hub/:send?$api" text/plain hello
end
begin "send --all --json with filter, excluded, ttl"
run 0 send --all --json '{"x":1,"y":2}' --exclude conn1 --exclude 'conn 2' \
    --filter "userId ne 'user1'" --ttl 60
req POST "/api/hubs/$hub/:send?$api&excluded=conn1&excluded=conn%202&filter=userId%20ne%20%27user1%27&messageTtlSeconds=60" \
    application/json '{"x":1,"y":2}'
end
begin "send --json keeps the text as written"
run 0 send --all --json ' [1, "two", {"3": null}] '
req POST "/api/hubs/$hub/:send?$api" application/json ' [1, "two", {"3": null}] '
end
begin "send --user --text with filter and ttl"
run 0 send --user 'user/1 é' --text hi --filter "'a''b' in groups" --ttl 10
req POST "/api/hubs/$hub/users/user%2F1%20%C3%A9/:send?$api&filter=%27a%27%27b%27%20in%20groups&messageTtlSeconds=10" \
    text/plain hi
end
begin "send --connection --json --ttl"
run 0 send --connection conn1 --json '{"a":"b"}' --ttl 300
req POST "/api/hubs/$hub/connections/conn1/:send?$api&messageTtlSeconds=300" \
    application/json '{"a":"b"}'
end
begin "send --group --binary FILE with excluded"
run 0 send --group group1 --binary "$tmp/bin3" --exclude c1
req POST "/api/hubs/$hub/groups/group1/:send?$api&excluded=c1" application/octet-stream b64:AQID
end
begin "send --group, standard input as binary"
input "$tmp/bin5"
run 0 send --group 'group 1'
req POST "/api/hubs/$hub/groups/group%201/:send?$api" application/octet-stream b64:YQBi/wo=
end
begin "send --binary - (standard input)"
input "$tmp/bin3"
run 0 send --binary - --user u1
req POST "/api/hubs/$hub/users/u1/:send?$api" application/octet-stream b64:AQID
end
begin "send empty standard input"
run 0 send --connection c1
req POST "/api/hubs/$hub/connections/c1/:send?$api" application/octet-stream ""
end
begin "send --text unicode, ttl 0 not sent"
run 0 send --all --text 'héllo 世界' --ttl 0
req POST "/api/hubs/$hub/:send?$api" text/plain 'héllo 世界'
end
begin "send: options after operands, hub after the command"
run 0 send --text x --all --hub other
req POST "/api/hubs/other/:send?$api" text/plain x
end
begin "send: global options before the command"
run 0 --hub other2 --connection-string "$conn" send --all --text y
req POST "/api/hubs/other2/:send?$api" text/plain y
end
begin "send 16 MiB from standard input"
head -c 16777216 /dev/zero >"$tmp/big"
input "$tmp/big"
run 0 send --all
req POST "/api/hubs/$hub/:send?$api" application/octet-stream size:16777216
end
rm -f "$tmp/big"

# -- group, groups, leave-all
begin "group add-user"
run 0 group add-user group1 user1
out ""; err ""
req PUT "/api/hubs/$hub/users/user1/groups/group1?$api" - ""
end
begin "group remove-user"
run 0 group remove-user 'group 1' 'user 1'
req DELETE "/api/hubs/$hub/users/user%201/groups/group%201?$api" - ""
end
begin "group add-connection"
run 0 group add-connection group1 conn1
req PUT "/api/hubs/$hub/groups/group1/connections/conn1?$api" - ""
end
begin "group remove-connection, id after --"
run 0 group remove-connection group1 -- -s27k94j-h0F
req DELETE "/api/hubs/$hub/groups/group1/connections/-s27k94j-h0F?$api" - ""
end
begin "groups add"
run 0 groups add --filter "userId eq 'user 1'" group1 group2
req POST "/api/hubs/$hub/:addToGroups?$api" application/json \
    "{\"groups\":[\"group1\",\"group2\"],\"filter\":\"userId eq 'user 1'\"}"
end
begin "groups remove"
run 0 groups remove group1 --filter "'a' in groups"
req POST "/api/hubs/$hub/:removeFromGroups?$api" application/json \
    "json:{\"groups\":[\"group1\"],\"filter\":\"'a' in groups\"}"
end
begin "leave-all --user"
run 0 leave-all --user user1
req DELETE "/api/hubs/$hub/users/user1/groups?$api" - ""
end
begin "leave-all --connection"
run 0 leave-all --connection 'c/1'
req DELETE "/api/hubs/$hub/connections/c%2F1/groups?$api" - ""
end

# -- close
begin "close --all --reason --exclude"
run 0 close --all --reason r --exclude c1 --exclude c2
out ""; err ""
req POST "/api/hubs/$hub/:closeConnections?$api&excluded=c1&excluded=c2&reason=r" - ""
end
begin "close --all"
run 0 close --all
req POST "/api/hubs/$hub/:closeConnections?$api" - ""
end
begin "close --user --reason"
run 0 close --user user1 --reason 'bye now'
req POST "/api/hubs/$hub/users/user1/:closeConnections?$api&reason=bye%20now" - ""
end
begin "close --connection --reason"
run 0 close --connection conn1 --reason 'a&b=c'
req DELETE "/api/hubs/$hub/connections/conn1?$api&reason=a%26b%3Dc" - ""
end
begin "close --group --exclude"
run 0 close --group group1 --exclude 'c 1'
req POST "/api/hubs/$hub/groups/group1/:closeConnections?$api&excluded=c%201" - ""
end

# -- exists
begin "exists --connection (200)"
run 0 exists --connection conn1
out true; err ""
req HEAD "/api/hubs/$hub/connections/conn1?$api" - ""
end
begin "exists --user (404)"
script '{"status":404,"headers":{"x-ms-error-code":"Warning.User.NotExisted"}}'
run 1 exists --user 'user 1'
out false; err ""
req HEAD "/api/hubs/$hub/users/user%201?$api" - ""
end
begin "exists --group (200)"
run 0 exists --group 'group 1'
out true
req HEAD "/api/hubs/$hub/groups/group%201?$api" - ""
end
begin "exists --group (404)"
script '{"status":404}'
run 1 exists --group g
out false
req HEAD "/api/hubs/$hub/groups/g?$api" - ""
end
begin "exists: 500 is an error (--retries 0)"
script '{"status":500}'
run 3 exists --connection conn1 --retries 0
out ""; err "HTTP 500"
req HEAD "/api/hubs/$hub/connections/conn1?$api" - ""
end

# -- permission
begin "permission grant --group"
run 0 permission grant join-leave-group conn1 --group group1
out ""; err ""
req PUT "/api/hubs/$hub/permissions/joinLeaveGroup/connections/conn1?$api&targetName=group1" - ""
end
begin "permission grant sendToGroup (REST spelling)"
run 0 permission grant sendToGroup conn1
req PUT "/api/hubs/$hub/permissions/sendToGroup/connections/conn1?$api" - ""
end
begin "permission revoke"
run 0 permission revoke send-to-group conn1 --group 'group 1'
req DELETE "/api/hubs/$hub/permissions/sendToGroup/connections/conn1?$api&targetName=group%201" - ""
end
begin "permission check (200)"
run 0 permission check send-to-group conn1 --group group1
out true
req HEAD "/api/hubs/$hub/permissions/sendToGroup/connections/conn1?$api&targetName=group1" - ""
end
begin "permission check (404)"
script '{"status":404}'
run 1 permission check joinLeaveGroup conn1
out false
req HEAD "/api/hubs/$hub/permissions/joinLeaveGroup/connections/conn1?$api" - ""
end

# -- list-connections
page1='{\"value\":[{\"connectionId\":\"c1\",\"userId\":\"u1\"},{\"connectionId\":\"c2\",\"userId\":null}],\"nextLink\":\"{{base}}/api/hubs/hub1/groups/group1/connections?top=3&maxpagesize=2&continuationToken=c2&api-version=2024-12-01\"}'
page2='{\"value\":[{\"connectionId\":\"c3\"},{\"connectionId\":\"c\\\"4\",\"userId\":\"\\u00e9/\"}]}'
begin "list-connections, two pages"
script "[{\"status\":200,\"content_type\":\"application/json\",\"body\":\"$page1\"},{\"status\":200,\"content_type\":\"application/json\",\"body\":\"$page2\"}]"
run 0 list-connections group1 --page-size 2 --top 5
out '{"connectionId":"c1","userId":"u1"}
{"connectionId":"c2","userId":null}
{"connectionId":"c3","userId":null}
{"connectionId":"c\"4","userId":"é/"}'
err ""
req GET "/api/hubs/$hub/groups/group1/connections?$api&maxpagesize=2&top=5" - ""
req GET "/api/hubs/$hub/groups/group1/connections?top=3&maxpagesize=2&continuationToken=c2&$api" - ""
end
begin "list-connections, empty group"
run 0 list-connections 'group 1'
out ""; err ""
req GET "/api/hubs/$hub/groups/group%201/connections?$api" - ""
end

# -- service and transport errors (exit 3, status and message on stderr)
begin "service error: 404 with the service's message"
script '{"status":404,"content_type":"application/json; charset=utf-8","headers":{"x-ms-error-code":"Error.Connection.NotExisted"},"body":"{\"code\":\"Error.Connection.NotExisted\",\"message\":\"Connection `missing1` is not found.\",\"target\":\"Connection\",\"details\":null,\"inner\":null}"}'
run 3 group add-connection group1 missing1
out ""
err 'awps group: HTTP 404 Error.Connection.NotExisted: Connection `missing1` is not found.'
req PUT "/api/hubs/$hub/groups/group1/connections/missing1?$api" - ""
end
begin "service error: 400 problem+json"
script '{"status":400,"content_type":"application/problem+json; charset=utf-8","body":"{\"code\":\"Error.BadRequest\",\"message\":\"Invalid syntax\",\"target\":\"filter\",\"status\":400}"}'
run 3 send --all --text x --filter 'invalid filter'
err "HTTP 400"
req POST "/api/hubs/$hub/:send?$api&filter=invalid%20filter" text/plain x
end
begin "retry: 500 then 202 with --retries 1"
script '[{"status":500},{"status":202}]'
run 0 send --all --text again --retries 1
out ""; err ""
req POST "/api/hubs/$hub/:send?$api" text/plain again
req POST "/api/hubs/$hub/:send?$api" text/plain again
end
begin "transport error: nothing listening (--retries 0)"
run 3 send --all --text x --retries 0 --connection-string "Endpoint=http://127.0.0.1:1;AccessKey=k;Version=1.0;"
out ""; err "awps send: cannot reach the service"
end
# a service that takes the connection and never answers: --timeout gives up
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
time.sleep(600)
' >"$tmp/silent.port" &
silent_pid=$!
i=0
while [ ! -s "$tmp/silent.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
begin "--timeout: a service that never answers (--retries 0)"
run 3 send --all --text x --retries 0 --timeout 1 --connection-string "Endpoint=http://127.0.0.1:$(cat "$tmp/silent.port");AccessKey=k;Version=1.0;"
out ""; err "timed out"
end
kill -KILL "$silent_pid" 2>/dev/null; wait "$silent_pid" 2>/dev/null; silent_pid=
usage "'0' is out of range 1-3600" --timeout 0 send --all --text x
usage "--timeout" --timeout abc send --all --text x
begin "reverse proxy: sent to the proxy, audience of the endpoint"
audbase=http://service.invalid
run 0 send --all --text hi --reverse-proxy "$base" --connection-string "Endpoint=http://service.invalid;AccessKey=$key;Version=1.0;"
req POST "/api/hubs/$hub/:send?$api" text/plain hi
end
begin "write error on standard output: exit 3"
if [ -w /dev/full ]; then
    if [ -n "$wrapper" ]; then
        # shellcheck disable=SC2086
        $libtool_cmd --mode=execute $wrapper "$awps_bin" token >/dev/full 2>"$tmp/err"
    else
        "$awps_bin" token >/dev/full 2>"$tmp/err"
    fi
    st=$?
    [ "$st" = 3 ] || problem "exit status $st, expected 3"
    err "cannot write the output"
fi
end

# -- usage errors: exit 2, one line, nothing sent
usage "no command"
usage "unknown command 'frobnicate'" frobnicate
usage "unknown or ambiguous option '--bogus'" --bogus send --all
usage "unknown or ambiguous option '--bogus'" send --all --text x --bogus=1
usage "unknown or ambiguous option '-x'" send -x
usage "unknown or ambiguous option '--conn'" send --all --conn c
usage "option '--user' needs an argument" send --text x --user
usage "option '--hub' needs an argument" --hub
usage "conflicting targets --all and --user" send --all --user u --text x
usage "conflicting targets --group and --group" send --group a --group b --text x
usage "conflicting bodies --text and --json" send --all --text x --json 1
usage "no target" send --text x
usage "--filter does not apply to --connection" send --connection c --filter x --text x
usage "--exclude applies to --all and --group only" send --user u --exclude c --text x
usage "--ttl: 'abc' is not a whole number" send --all --text x --ttl abc
usage "--ttl: '-1' is not a whole number" send --all --text x --ttl -1
usage "--ttl: '99999999999999999999' is out of range" send --all --text x --ttl 99999999999999999999
usage "--json: not valid JSON" send --all --json '{"a":'
usage "--user needs a non-empty value" send --user '' --text x
usage "cannot open" send --all --binary "$tmp/does-not-exist"
usage "unexpected argument 'extra'" send --all --text x extra
usage "--minutes: 'abc' is not a number" token --minutes abc
usage "--minutes: '0' is out of range" token --minutes 0
usage "--minutes: '-5' is not a number" token --minutes -5
usage "--protocol: 'MQTT' is not default, mqtt or socketio" token --protocol MQTT
usage "unexpected argument 'x'" token x
usage "no action" group
usage "no ID" group add-user g
usage "unknown action 'add'" group add g u
usage "GROUP must not be empty" group add-user '' u
usage "unexpected argument 'z'" group add-user g u z
usage "--filter is required" groups add g1
usage "no GROUP" groups add --filter x
usage "unknown action 'join'" groups join --filter x g
usage "no target" leave-all
usage "conflicting targets --user and --connection" leave-all --user u --connection c
usage "unknown or ambiguous option '--all'" leave-all --all
usage "no target" close --reason r
usage "--exclude does not apply to --connection" close --connection c --exclude d
usage "no target" exists
usage "unknown or ambiguous option '--all'" exists --all
usage "conflicting targets --user and --group" exists --user u --group g
usage "unknown permission 'send'" permission grant send c
usage "unknown action 'give'" permission give send-to-group c
usage "no CONNECTION" permission check send-to-group
usage "no GROUP" list-connections
usage "--top: '0' is out of range" list-connections g --top 0
usage "--page-size: '2x' is not a whole number" list-connections g --page-size 2x
usage "--retries: '101' is out of range" --retries 101 close --all
usage "help: unexpected argument 'b'" help send b
usage "unknown command 'nope'" help nope
usage "bad connection string" close --all --connection-string 'Endpoint=;AccessKey=x'
usage "bad connection string" close --all --connection-string 'Endpoint=http://a;'
begin "usage error: no connection string"
envpre="env -u WEBPUBSUB_CONNECTION_STRING"
run 2 close --all
err "no connection string: use --connection-string or set WEBPUBSUB_CONNECTION_STRING"
end
begin "usage error: no hub"
envpre="env WEBPUBSUB_HUB="
run 2 exists --user u
err "no hub: use --hub or set WEBPUBSUB_HUB"
end
begin "usage error: standard input over 16 MiB"
head -c 16777217 /dev/zero >"$tmp/big"
input "$tmp/big"
run 2 send --all
err "standard input is larger than 16 MiB"
end
rm -f "$tmp/big"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
