#!/usr/bin/env bash
# bench/run-tokens.sh — client access tokens per second of libawps and of the
# official SDK (@azure/web-pubsub 1.2.0 on Node), measured in one run with the
# same inputs (a user id, two roles, one group; bench/tokens.c and
# bench/tokens-sdk.js), and the ratio (issue 3 target: at least 50x).
#
# It compiles bench/tokens.c with the library sources (lib/*.c) straight
# into a temporary directory, so it needs no configured tree; installs the
# SDK into bench/node_modules with npm when it is not there (never into the
# library); then runs library and SDK alternately, ROUNDS times each, and
# reports the median of each side.
#
# usage: bench/run-tokens.sh
# environment:
#   TOKENS_SECONDS=3   seconds measured per sample (after a short warm-up)
#   TOKENS_ROUNDS=3    samples per side
#   CC=cc CFLAGS="-g -O2"   compiler and flags (the autotools defaults)
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
SECONDS_PER=${TOKENS_SECONDS:-3}
ROUNDS=${TOKENS_ROUNDS:-3}
SDK_VERSION=1.2.0
CC=${CC:-cc}
CFLAGS=${CFLAGS:--g -O2}

say() { printf '%s\n' "tokens: $*" >&2; }
die() { say "$*"; exit 1; }

for tool in "$CC" pkg-config node npm; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done
case $ROUNDS in ''|*[!0-9]*|0) die "TOKENS_ROUNDS must be a positive number" ;; esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/awps-tokens.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# ---- the official SDK, in bench/node_modules ----
installed=$(node -p "try { require('$BENCH/node_modules/@azure/web-pubsub/package.json').version }
                     catch (e) { '' }" 2>/dev/null || true)
if [ "$installed" != "$SDK_VERSION" ]; then
    say "installing @azure/web-pubsub@$SDK_VERSION into bench/node_modules"
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$BENCH" \
        "@azure/web-pubsub@$SDK_VERSION" >&2 || die "npm install failed"
fi

# ---- the library benchmark ----
version=$(sed -n 's/^AC_INIT(\[libawps\], \[\([^]]*\)\].*/\1/p' "$ROOT/configure.ac")
deps="libmicrohttpd jansson libcrypto libjwt libcurl"
# shellcheck disable=SC2086 # a package list, split on purpose
pkg-config --exists $deps || die "missing development packages: pkg-config $deps"
say "compiling bench/tokens.c and lib/*.c ($CC $CFLAGS)"
# shellcheck disable=SC2046,SC2086 # flag lists, split on purpose
"$CC" -std=c11 -D_GNU_SOURCE -DPACKAGE_VERSION="\"${version:-0}\"" $CFLAGS \
    -I"$ROOT/include" -I"$ROOT/lib" -o "$TMP/tokens" "$BENCH/tokens.c" "$ROOT"/lib/*.c \
    $(pkg-config --cflags --libs $deps) -lpthread -lm || die "compilation failed"

# ---- measure, alternating ----
lib=() sdk=() all=()
cores=$(nproc)
for round in $(seq "$ROUNDS"); do
    line=$("$TMP/tokens" "$SECONDS_PER") || die "bench/tokens failed"
    say "round $round: $line"
    lib+=("$(printf '%s\n' "$line" | awk '{ print $2 }')")
    line=$("$TMP/tokens" "$SECONDS_PER" "$cores") || die "bench/tokens failed"
    say "round $round: $line"
    all+=("$(printf '%s\n' "$line" | awk '{ print $2 }')")
    line=$(node "$BENCH/tokens-sdk.js" "$SECONDS_PER") || die "bench/tokens-sdk.js failed"
    say "round $round: $line"
    sdk+=("$(printf '%s\n' "$line" | awk '{ print $2 }')")
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
L=$(median "${lib[@]}")
S=$(median "${sdk[@]}")
A=$(median "${all[@]}")
awk -v l="$L" -v a="$A" -v cores="$cores" -v s="$S" -v n="$ROUNDS" -v secs="$SECONDS_PER" -v node="$(node --version)" \
    -v ver="$SDK_VERSION" 'BEGIN {
    printf "client access tokens per second (user id, 2 roles, 1 group; median of %d x %s s)\n", n, secs
    printf "  %-40s %10.0f tokens/s\n", "libawps, 1 thread", l
    printf "  %-40s %10.0f tokens/s\n", "libawps, " cores " threads, one client", a
    printf "  %-40s %10.0f tokens/s\n", "@azure/web-pubsub " ver " (Node " node ")", s
    r = s > 0 ? l / s : 0
    printf "  %-40s %10.1f x\n", "ratio, 1 thread (Node runs on one)", r
    printf "  %-40s %10.1f x\n", "ratio, " cores " threads", (s > 0 ? a / s : 0)
    printf "target (issue 3): tokens >= 50 x SDK, thread for thread: %.1f  %s\n", r, (r >= 50 ? "met" : "NOT met")
}'
