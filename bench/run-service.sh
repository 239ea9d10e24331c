#!/usr/bin/env bash
# bench/run-service.sh — the service side of issue 6, measured in one run on
# 127.0.0.1 against the official SDK (@azure/web-pubsub 1.2.0 on Node):
#
#   negotiate  requests/s of a negotiate endpoint under wrk (bench/negotiate.lua:
#              GET /negotiate?id=user1, a token with two roles and one group):
#              bench/negotiate-server.c (awps_server + awps_negotiate) against
#              bench/negotiate-express.js (Express + getClientAccessToken());
#   REST       sendToAll requests/s, one in flight, against a local mock of the
#              service that reuses the connection (bench/floor --status 202):
#              bench/rest.c (awps_service_send_to_all) against
#              bench/rest-sdk.js (WebPubSubServiceClient.sendToAll).
#
# Client access tokens per second are bench/run-tokens.sh's. Library and SDK
# run alternately, ROUNDS times each, with a fresh server for every negotiate
# sample; the medians are reported with the ratios and the targets of issue 6
# (negotiate >= 20 x express, REST sends >= 3 x the SDK) as met / NOT met. It
# asserts no timings; it fails only when a program fails or answers wrongly.
#
# It compiles the programs with the library sources (lib/*.c) straight into a
# temporary directory, so it needs no configured tree; installs the SDK into
# bench/node_modules and Express into bench/node_modules-dir with npm when
# they are not there (never into the library).
#
# usage: bench/run-service.sh
# environment:
#   SERVICE_SECONDS=5   seconds measured per sample (after a 2 s warm-up)
#   SERVICE_ROUNDS=3    samples per side
#   CC=cc CFLAGS="-g -O2"
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
SECS=${SERVICE_SECONDS:-5}
ROUNDS=${SERVICE_ROUNDS:-3}
SDK_VERSION=1.2.0
CC=${CC:-cc}
CFLAGS=${CFLAGS:--g -O2}
KEY=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFG=

say() { printf '%s\n' "service: $*" >&2; }
die() { say "$*"; exit 1; }

for tool in "$CC" pkg-config node npm wrk; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done
case $ROUNDS in ''|*[!0-9]*|0) die "SERVICE_ROUNDS must be a positive number" ;; esac
case $SECS in ''|*[!0-9]*|0) die "SERVICE_SECONDS must be a positive number" ;; esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/awps-service.XXXXXX")
declare -a PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the official packages ----
installed=$(node -p "try { require('$BENCH/node_modules/@azure/web-pubsub/package.json').version }
                     catch (e) { '' }" 2>/dev/null || true)
if [ "$installed" != "$SDK_VERSION" ]; then
    say "installing @azure/web-pubsub@$SDK_VERSION into bench/node_modules"
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$BENCH" \
        "@azure/web-pubsub@$SDK_VERSION" >&2 || die "npm install failed"
fi
if ! node -e "require('$BENCH/node_modules-dir/node_modules/express')" 2>/dev/null; then
    say "installing express@4 into bench/node_modules-dir"
    mkdir -p "$BENCH/node_modules-dir"
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
        --prefix "$BENCH/node_modules-dir" "express@4" >&2 || die "npm install failed"
fi

# ---- the programs ----
version=$(sed -n 's/^AC_INIT(\[libawps\], \[\([^]]*\)\].*/\1/p' "$ROOT/configure.ac")
deps="libmicrohttpd jansson libcrypto libjwt libcurl"
# shellcheck disable=SC2086 # a package list, split on purpose
pkg-config --exists $deps || die "missing development packages: pkg-config $deps"
say "compiling bench/negotiate-server.c, bench/rest.c, bench/floor.c ($CC $CFLAGS)"
for prog in negotiate-server rest; do
    # shellcheck disable=SC2046,SC2086 # flag lists, split on purpose
    "$CC" -std=c11 -D_GNU_SOURCE -DPACKAGE_VERSION="\"${version:-0}\"" $CFLAGS \
        -I"$ROOT/include" -I"$ROOT/lib" -o "$TMP/$prog" "$BENCH/$prog.c" "$ROOT"/lib/*.c \
        $(pkg-config --cflags --libs $deps) -lpthread -lm || die "compilation failed"
done
# shellcheck disable=SC2046,SC2086
"$CC" $CFLAGS -o "$TMP/floor" "$BENCH/floor.c" $(pkg-config --cflags --libs libmicrohttpd) \
    -pthread || die "compilation failed"

# start NAME CMD...: sets PID and PORT once "listening on PORT" is printed
start() {
    local name=$1 log=$TMP/$1.log _
    shift
    "$@" >"$log" 2>&1 &
    PID=$!
    PIDS+=("$PID")
    PORT=
    for _ in $(seq 150); do
        PORT=$(sed -n 's/^listening on \([0-9][0-9]*\).*/\1/p' "$log" | sed -n 1p)
        [ -n "$PORT" ] && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$log" >&2
    die "$name did not start"
}
stop() {
    local rest=() p
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || rest+=("$p"); done
    PIDS=("${rest[@]+"${rest[@]}"}")
}
field() { sed -n "/^WRK /{s/.* $2=\\([^ ]*\\).*/\\1/p;q}" <<<"$1"; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# negotiate_sample NAME CMD...: sets RPS, the req/s of one fresh server
# (after checking its answer)
negotiate_sample() {
    local name=$1 out url errs
    shift
    start "$name" "$@"
    url="http://127.0.0.1:$PORT/negotiate?id=user1"
    out=$(BENCH_CHECK=1 wrk -t2 -c32 -d2s -s "$BENCH/negotiate.lua" "$url" 2>&1) || true
    grep -q '^CHECK status=200 body={.*"url":"wss://contoso.webpubsub.azure.com/client/hubs/hub1?access_token=' \
        <<<"$out" || { echo "$out" >&2; die "$name: wrong negotiate answer"; }
    out=$(wrk -t2 -c32 -d"${SECS}s" --timeout 5s --latency -s "$BENCH/negotiate.lua" "$url" 2>&1) || true
    stop "$PID"
    errs=$(( $(field "$out" errors_connect) + $(field "$out" errors_read) + $(field "$out" errors_status) \
             + $(field "$out" errors_timeout) ))
    [ "$errs" = 0 ] || { echo "$out" >&2; die "$name: wrk saw $errs errors"; }
    RPS=$(field "$out" rps)
    say "negotiate, $name: $RPS req/s, p99 $(field "$out" p99_us) us"
}

# ---- measure, alternating ----
nl=() ne=() rl=() ra=() rs=()
cores=$(nproc)
for round in $(seq "$ROUNDS"); do
    negotiate_sample awps "$TMP/negotiate-server" --port 0
    nl+=("$RPS")
    negotiate_sample express node "$BENCH/negotiate-express.js" 0
    ne+=("$RPS")
    start mock "$TMP/floor" --port 0 --status 202
    cs="Endpoint=http://127.0.0.1;Port=$PORT;AccessKey=$KEY;Version=1.0;"
    line=$("$TMP/rest" "$cs" "$SECS") || die "bench/rest failed"
    say "round $round: $line"
    rl+=("$(awk '{ print $2 }' <<<"$line")")
    line=$("$TMP/rest" "$cs" "$SECS" "$cores") || die "bench/rest failed"
    say "round $round: $line"
    ra+=("$(awk '{ print $2 }' <<<"$line")")
    line=$(node "$BENCH/rest-sdk.js" "$cs" "$SECS") || die "bench/rest-sdk.js failed"
    say "round $round: $line"
    rs+=("$(awk '{ print $2 }' <<<"$line")")
    stop "$PID"
done

awk -v nl="$(median "${nl[@]}")" -v ne="$(median "${ne[@]}")" -v rl="$(median "${rl[@]}")" \
    -v ra="$(median "${ra[@]}")" -v rs="$(median "${rs[@]}")" -v n="$ROUNDS" -v secs="$SECS" \
    -v cores="$cores" -v node="$(node --version)" -v ver="$SDK_VERSION" 'BEGIN {
    printf "service side (median of %d x %s s; Node %s, @azure/web-pubsub %s)\n", n, secs, node, ver
    printf "  negotiate (wrk -t2 -c32), libawps awps_server   %10.0f req/s\n", nl
    printf "  negotiate (wrk -t2 -c32), Express + SDK         %10.0f req/s\n", ne
    printf "  REST sendToAll, libawps, 1 in flight            %10.0f sends/s\n", rl
    printf "  REST sendToAll, libawps, %d threads, one client  %10.0f sends/s\n", cores, ra
    printf "  REST sendToAll, SDK, 1 in flight                %10.0f sends/s\n", rs
    a = ne > 0 ? nl / ne : 0
    b = rs > 0 ? rl / rs : 0
    printf "targets (issue 6):\n"
    printf "  %-7s  negotiate >= 20 x express: %.1f\n", (a >= 20 ? "met" : "NOT met"), a
    printf "  %-7s  REST sends >= 3 x SDK (1 in flight each): %.1f\n", (b >= 3 ? "met" : "NOT met"), b
}'
