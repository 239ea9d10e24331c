#!/bin/sh
# Renders examples/nginx/nginx.conf.in and runs nginx in the foreground, as
# the current user, with everything it writes (pid, logs, temp files) in one
# directory:
#
#   run.sh [--listen ADDR] [--port N] [--prefix /chat/] [--dir DIR] [--test]
#          BACKEND...
#
# BACKEND is the ADDR:PORT of a chat-server (examples/chat), e.g.
#   run.sh --port 8088 127.0.0.1:8081 127.0.0.1:8082
# serves http://127.0.0.1:8088/chat/ from the two backends.
#
#   --listen ADDR  public address (default 127.0.0.1)
#   --port N       public port (default 8088; nginx cannot pick a free one)
#   --prefix PATH  public path prefix, /NAME/ (default /chat/); the backends
#                  see the path without it
#   --dir DIR      the nginx prefix directory: nginx.conf, nginx.pid,
#                  logs/access.log, tmp/ (default: a new temporary directory,
#                  removed at exit; DIR is kept)
#   --test         render, check the configuration with nginx -t, and exit
#
# Prints "listening on PORT" once nginx has bound its port. SIGINT or SIGTERM
# stops nginx (and removes the temporary directory); exit status 0 then, else
# nginx's. $AWPS_NGINX names the nginx binary (default: nginx in $PATH, or
# /usr/sbin/nginx, where Debian's package puts it; not $NGINX, which nginx
# itself reads as a list of inherited sockets).
#
# Run as root, nginx's worker processes switch to the user nobody: DIR and
# every directory above it must then be searchable by others (run.sh makes
# DIR and DIR/tmp so).
set -u

here=$(cd "$(dirname "$0")" && pwd)
template=$here/nginx.conf.in
listen=127.0.0.1
port=8088
prefix=/chat/
dir=
test_only=0
backends=

# usage [STATUS]: the synopsis and options above; to stderr unless STATUS 0.
usage() {
    if [ "${1:-2}" = 0 ]; then
        sed -n '6,20p' "$0" | sed 's/^# \{0,1\}//'
    else
        sed -n '6,20p' "$0" | sed 's/^# \{0,1\}//' >&2
    fi
    exit "${1:-2}"
}
die() {
    echo "run.sh: $*" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --listen) [ $# -ge 2 ] || usage; listen=$2; shift 2 ;;
    --port) [ $# -ge 2 ] || usage; port=$2; shift 2 ;;
    --prefix) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
    --dir) [ $# -ge 2 ] || usage; dir=$2; shift 2 ;;
    --test) test_only=1; shift ;;
    -h | --help) usage 0 ;;
    -*) usage ;;
    *) backends="$backends $1"; shift ;;
    esac
done

[ -n "$backends" ] || die "no backend given (ADDR:PORT of a chat-server)"
case $port in
'' | *[!0-9]*) die "bad port '$port'" ;;
esac
if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then die "bad port '$port'"; fi
case $prefix in
/*/) ;;
*) die "the prefix must look like /NAME/ (got '$prefix')" ;;
esac
# Nothing that would end an nginx token or need quoting.
for v in "$listen" "$prefix" $backends; do
    case $v in
    *[!A-Za-z0-9._:/@~+-]*) die "unsupported character in '$v'" ;;
    esac
done
for b in $backends; do
    case $b in
    *:*[0-9]) ;;
    *) die "a backend is ADDR:PORT (got '$b')" ;;
    esac
done
case $listen in
*:*) listen_at="[$listen]:$port" ;;  # IPv6
*) listen_at="$listen:$port" ;;
esac

nginx=${AWPS_NGINX:-$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)}
[ -x "$nginx" ] || die "nginx not found (Debian: apt-get install nginx)"

tmpdir=
if [ -z "$dir" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/awps-nginx.XXXXXX") || exit 1
    tmpdir=$dir
fi
mkdir -p "$dir/logs" "$dir/tmp" || exit 1
dir=$(cd "$dir" && pwd)
case $dir in
*[!A-Za-z0-9._/@~+-]*) die "unsupported character in the directory '$dir'" ;;
esac
# Run as root, nginx's workers switch to an unprivileged user (nobody): let
# them reach the temp directories, which nginx creates and hands to them.
if [ "$(id -u)" = 0 ]; then
    chmod 755 "$dir" "$dir/tmp"
fi

servers=
for b in $backends; do
    servers="$servers        server $b max_fails=1 fail_timeout=10s;
"
done

# Literal substitution (no regex or '&' surprises in the values).
DIR=$dir LISTEN=$listen_at PREFIX=$prefix PREFIX_NOSLASH=${prefix%/} SERVERS=$servers \
awk '
function subst(line, name, value,    out, i) {
    out = ""
    while ((i = index(line, name)) > 0) {
        out = out substr(line, 1, i - 1) value
        line = substr(line, i + length(name))
    }
    return out line
}
NR == 1 { print "# Rendered from nginx.conf.in by run.sh; edit the template instead." }
$0 == "@SERVERS@" { printf "%s", ENVIRON["SERVERS"]; next }
/^#/ { print; next }  # the template'"'"'s own header names the placeholders
{
    $0 = subst($0, "@DIR@", ENVIRON["DIR"])
    $0 = subst($0, "@LISTEN@", ENVIRON["LISTEN"])
    $0 = subst($0, "@PREFIX_NOSLASH@", ENVIRON["PREFIX_NOSLASH"])
    $0 = subst($0, "@PREFIX@", ENVIRON["PREFIX"])
    print
}' "$template" >"$dir/nginx.conf" || exit 1

if [ "$test_only" = 1 ]; then
    "$nginx" -t -p "$dir/" -c "$dir/nginx.conf" -e stderr
    rc=$?
    [ -n "$tmpdir" ] && rm -rf "$tmpdir"
    exit $rc
fi

rm -f "$dir/nginx.pid"
nginx_pid=
stopping=0
# shellcheck disable=SC2317 # run by the traps
cleanup() {
    if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
        kill -TERM "$nginx_pid" 2>/dev/null
        wait "$nginx_pid" 2>/dev/null
    fi
    [ -n "$tmpdir" ] && rm -rf "$tmpdir"
}
trap cleanup EXIT
trap 'stopping=1; [ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null' INT TERM HUP

"$nginx" -p "$dir/" -c "$dir/nginx.conf" -e stderr -g 'daemon off;' &
nginx_pid=$!

# nginx writes its pid file after binding the listening sockets.
i=0
while [ ! -s "$dir/nginx.pid" ]; do
    if ! kill -0 "$nginx_pid" 2>/dev/null; then
        wait "$nginx_pid"
        rc=$?
        nginx_pid=
        [ "$stopping" = 1 ] && exit 0
        echo "run.sh: nginx did not start (exit $rc)" >&2
        exit $((rc ? rc : 1))
    fi
    i=$((i + 1))
    [ $i -le 600 ] || { echo "run.sh: nginx did not start in 30 s" >&2; exit 1; }
    sleep 0.05
done
echo "nginx: http://$listen_at$prefix ->$backends (config $dir/nginx.conf)"
echo "listening on $port"

# wait returns early when a trapped signal arrives: wait until nginx is gone.
rc=0
while kill -0 "$nginx_pid" 2>/dev/null; do
    wait "$nginx_pid"
    rc=$?
done
nginx_pid=
[ "$stopping" = 1 ] && rc=0
exit $rc
