#!/bin/sh
# Checks the dynamic symbols of the built lib/.libs/libawps.so against the
# list in lib/libawps.sym, and that list against the AWPS_EXPORT
# declarations in include/awps/*.h, and that each public function has a
# manual page listed in doc/man.am.  Every exported symbol must start with
# awps_ (never the internal awps__).
#
#   tests/exports.sh             the check (make check runs it)
#   tests/exports.sh --headers   print the list from the headers; regenerate
#                                the list with: tests/exports.sh --headers > lib/libawps.sym
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top_src=${abs_top_srcdir:-$(dirname "$here")}
top_build=${abs_top_builddir:-$(pwd)}
LC_ALL=C
export LC_ALL

# Function names declared AWPS_EXPORT: drop preprocessor lines and comments,
# split at ';', keep the name before the first '(' after AWPS_EXPORT.
header_symbols() {
    cat "$top_src"/include/awps/*.h \
    | sed -e 's/^[[:space:]]*#.*$//' | tr '\n' ' ' \
    | sed -E 's#/\*([^*]|\*+[^*/])*\*+/# #g' | tr ';' '\n' \
    | grep 'AWPS_EXPORT' \
    | sed -E -e 's/.*AWPS_EXPORT//' -e 's/\(.*//' \
             -e 's/.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*$/\1/' \
    | sort -u
}

if [ "${1:-}" = --headers ]; then
    header_symbols
    exit 0
fi

so=$top_build/lib/.libs/libawps.so
list=$top_src/lib/libawps.sym
if [ ! -f "$so" ]; then
    echo "SKIP: $so not built (shared library disabled?)"
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/awps-exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols (code, data, bss, rodata, weak...; not the
# absolute version-node entries), version suffixes stripped.
${NM:-nm} -D --defined-only "$so" \
    | awk 'NF >= 3 && $2 ~ /^[BDGRSTVWiu]$/ { print $3 }' \
    | sed 's/@.*//' | sort -u > "$tmp/exported"
sort -u "$list" | grep -v '^$' > "$tmp/list" || :
header_symbols > "$tmp/headers"

status=0
bad=$(grep -v '^awps_' "$tmp/exported" || :)
internal=$(grep '^awps__' "$tmp/exported" || :)
if [ -n "$bad$internal" ]; then
    echo "FAIL: exported symbols outside the public awps_ namespace:"
    printf '%s\n' $bad $internal | sed 's/^/  /'
    status=1
fi
if ! diff -u "$tmp/list" "$tmp/exported" > "$tmp/diff"; then
    echo "FAIL: libawps.so exports differ from lib/libawps.sym (- list, + library):"
    cat "$tmp/diff"
    status=1
fi
if ! diff -u "$tmp/list" "$tmp/headers" > "$tmp/diff"; then
    echo "FAIL: lib/libawps.sym differs from the AWPS_EXPORT declarations (- list, + headers);"
    echo "      regenerate it with: tests/exports.sh --headers > lib/libawps.sym"
    cat "$tmp/diff"
    status=1
fi
# Every public function has a manual page, listed for installation.
for f in $(cat "$tmp/headers"); do
    if [ ! -f "$top_src/doc/$f.3" ] || ! grep -Eq "doc/$f\.3( |$)" "$top_src/doc/man.am"; then
        echo "FAIL: $f has no manual page doc/$f.3 listed in doc/man.am"
        status=1
    fi
done
if [ "$status" = 0 ]; then
    echo "PASS: $(wc -l < "$tmp/exported") exported symbols match lib/libawps.sym and the headers, each with a manual page"
fi
exit "$status"
