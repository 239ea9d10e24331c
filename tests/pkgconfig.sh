#!/bin/sh
# Builds examples/echo.c against an installed libawps with nothing but
# pkg-config, and runs it with --help.
#
#   tests/pkgconfig.sh PREFIX [PKGCONFIGDIR]
#
# PREFIX is where the library was installed (for a staged install,
# DESTDIR + prefix); PKGCONFIGDIR defaults to PREFIX/lib/pkgconfig.  The test
# reads a copy of the installed awps.pc whose prefix is PREFIX, so staged
# installs work (the other modules come from the system as usual).
# Uses $CC (default cc) and $PKG_CONFIG (default pkg-config).
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 PREFIX [PKGCONFIGDIR]" >&2
    exit 2
fi
prefix=$(cd "$1" && pwd)
pcdir=${2:-$prefix/lib/pkgconfig}
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")/examples/echo.c
pkg_config=${PKG_CONFIG:-pkg-config}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/awps-pkgconfig.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$pcdir/awps.pc" ]; then
    echo "FAIL: $pcdir/awps.pc is not installed" >&2
    exit 1
fi
mkdir "$tmp/pc"
sed "s|^prefix=.*|prefix=$prefix|" "$pcdir/awps.pc" > "$tmp/pc/awps.pc"
PKG_CONFIG_PATH=$tmp/pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
pc() { $pkg_config "$@" awps; }

echo "pkg-config awps $(pc --modversion): $(pc --cflags --libs)"
# shellcheck disable=SC2046 # word splitting of the pkg-config output is wanted
${CC:-cc} -o "$tmp/echo" "$src" $(pc --cflags) $(pc --libs)
libdir=$(pc --variable=libdir)
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
if ! "$tmp/echo" --help > "$tmp/out" 2>&1; then
    echo "FAIL: the example built with pkg-config failed to run --help:" >&2
    cat "$tmp/out" >&2
    exit 1
fi
if ! ldd "$tmp/echo" | grep -q "$libdir/libawps\.so"; then
    echo "FAIL: the example does not load libawps from $libdir:" >&2
    ldd "$tmp/echo" >&2
    exit 1
fi
echo "PASS: examples/echo.c built with pkg-config and ran --help against $libdir"
