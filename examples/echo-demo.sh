#!/usr/bin/env bash
# The echo demo (the README's main command before the chat): installs what
# the build needs (as root; AWPS_SKIP_APT=1 skips it), builds libawps and its
# examples in build-demo/, starts the echo upstream (examples/echo.c) on
# 127.0.0.1 with an access key, and plays the Web PubSub service against it
# with curl: the abuse-protection preflight, a connect, signed user events in
# text, JSON and binary, a notification, a forged signature and a malformed
# body. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

KEY="demo-access-key"
HUB="echo"

if [ "${AWPS_SKIP_APT:-}" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    need=()
    for p in build-essential autoconf automake libtool pkg-config libmicrohttpd-dev \
             libjansson-dev libssl-dev libcurl4-openssl-dev libjwt-dev libwslay-dev \
             libsqlite3-dev check curl openssl; do
        dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
    done
    if [ ${#need[@]} -gt 0 ]; then
        echo "== installing ${need[*]}"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
    fi
fi

echo "== building"
[ -x configure ] || ./bootstrap
[ -f build-demo/Makefile ] || { mkdir -p build-demo && (cd build-demo && ../configure -q); }
make -C build-demo -j"$(nproc)" -s
make -C build-demo -s examples/echo

out=$(mktemp)
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -f "$out"; }
trap cleanup EXIT
build-demo/examples/echo --port 0 --hub "$HUB" --key "$KEY" >"$out" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$out" && break; sleep 0.05; done
port=$(awk '/^listening on/ {print $3}' "$out")
url="http://127.0.0.1:$port/api/webpubsub/hubs/$HUB/"
echo "== echo upstream for hub '$HUB' listening at $url"

sign() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$KEY" | awk '{print $NF}'; }
event() {  # event CE_TYPE CONNECTION CONTENT_TYPE BODY [extra curl args...]
    local type=$1 conn=$2 ct=$3 body=$4; shift 4
    curl -sS -i -X POST "$url" \
        -H "ce-specversion: 1.0" -H "ce-awpsversion: 1.0" -H "ce-id: 1" \
        -H "ce-type: $type" -H "ce-hub: $HUB" -H "ce-connectionId: $conn" \
        -H "ce-userId: alice" -H "ce-signature: sha256=$(sign "$conn")" \
        -H "WebHook-Request-Origin: demo.webpubsub.azure.com" -H "Content-Type: $ct" \
        --data-binary "$body" "$@"
    echo
}
show() { echo; echo "-- $*"; }

show "abuse protection preflight (OPTIONS)"
curl -sS -i -X OPTIONS "$url" -H "WebHook-Request-Origin: demo.webpubsub.azure.com"
show "connect, with a 'sub' claim: the user id is taken from it"
event azure.webpubsub.sys.connect conn-1 "application/json; charset=utf-8" \
    '{"claims":{"sub":["alice"]},"query":{},"headers":{},"subprotocols":[]}'
show "user event, text"
event azure.webpubsub.user.message conn-1 "text/plain" "hello from the demo"
show "user event, JSON"
event azure.webpubsub.user.message conn-1 "application/json" '{"greeting":"hi","n":[1,2,3]}'
show "user event, binary"
event azure.webpubsub.user.message conn-1 "application/octet-stream" $'\x01\x02\x03' | cat -v
show "connected notification (answered 200; the upstream prints it)"
event azure.webpubsub.sys.connected conn-1 "application/json" '{}'
show "a forged signature: refused with 401, no callback runs"
curl -sS -i -X POST "$url" -H "ce-awpsversion: 1.0" -H "ce-type: azure.webpubsub.user.message" \
    -H "ce-hub: $HUB" -H "ce-connectionId: conn-1" -H "ce-signature: sha256=00" \
    -H "WebHook-Request-Origin: evil.example.com" -H "Content-Type: text/plain" --data "x"
echo
show "malformed connect body: 400 with the reason"
event azure.webpubsub.sys.connect conn-2 "application/json" '{"claims": ['
show "what the upstream printed"
sed -n '3,$p' "$out"
echo
if [ -t 0 ] && [ -z "${CI:-}" ]; then
    echo "== the upstream keeps running at $url (Ctrl-C to stop)"
    wait "$pid"
fi
