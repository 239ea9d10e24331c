#!/bin/sh
# Build and run the libFuzzer targets of fuzz/ (see FUZZING.md).
#
#   fuzz/build.sh build OUTDIR            build OUTDIR/fuzz-<target> for every target
#   fuzz/build.sh run OUTDIR SECONDS [T]  run each target (or only T) for SECONDS
#
# `make fuzz` calls the first with CLANG set by configure, PACKAGE_VERSION,
# and the compile and link flags of the dependencies in FUZZ_CPPFLAGS /
# FUZZ_LIBS (pkg-config is asked when they are unset). `run` first replays
# the saved reproducers in fuzz/regressions/<target>/, then fuzzes a scratch
# copy of the seed corpus fuzz/corpus/<target>/ (the repository's seeds stay
# as they are) with the dictionary fuzz/awps.dict, writes crashes to
# OUTDIR/artifacts/<target>/, prints libFuzzer's final figures, and exits
# non-zero when a reproducer or the fuzzing crashed, leaked or timed out.
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
targets="request connstr state signature bodies emu_frames emu_rest"
cmd=${1:-}
out=${2:-}
if [ -z "$cmd" ] || [ -z "$out" ]; then
    sed -n '2,6p' "$0" >&2
    exit 2
fi
mkdir -p "$out"

case $cmd in
build)
    clang=${CLANG:-$(command -v clang-14 || command -v clang || :)}
    [ -n "$clang" ] || { echo "fuzz/build.sh: clang not found (install clang-14 and libclang-rt-14-dev)" >&2; exit 1; }
    mods="libmicrohttpd jansson libcrypto libjwt libcurl"
    # shellcheck disable=SC2086 # a list of modules
    cppflags=${FUZZ_CPPFLAGS:-$(pkg-config --cflags $mods)}
    # shellcheck disable=SC2086
    libs=${FUZZ_LIBS:-$(pkg-config --libs $mods)}
    # the emulator's targets also link its sources (without main) and wslay
    emu_src=
    for f in "$srcdir"/tools/emulator/*.c; do
        case $f in */emu-main.c) ;; *) emu_src="$emu_src $f" ;; esac
    done
    for t in $targets; do
        echo "  CCLD     $out/fuzz-$t"
        extra=
        case $t in emu_*) extra="-I$srcdir/tools/emulator $emu_src -lwslay -lm" ;; esac
        # shellcheck disable=SC2086 # flag lists, split on purpose
        "$clang" -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
            -DPACKAGE_VERSION="\"${PACKAGE_VERSION:-0.1.0}\"" \
            -I"$srcdir/include" -I"$srcdir/lib" $cppflags \
            "$srcdir/fuzz/$t.c" "$srcdir"/lib/*.c $extra $libs -lpthread -o "$out/fuzz-$t"
    done
    ;;
run)
    secs=${3:-60}
    case $secs in
    '' | *[!0-9]* | 0) echo "fuzz/build.sh: SECONDS must be a positive number, not '$secs'" >&2; exit 2 ;;
    esac
    # UBSan findings stop the run like ASan's (the build keeps recovery on,
    # so coverage figures match a plain -fsanitize=fuzzer,address,undefined).
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
    export UBSAN_OPTIONS
    only=${4:-}
    status=0
    for t in ${only:-$targets}; do
        work=$out/corpus-$t
        rm -rf "$work"
        mkdir -p "$work" "$out/artifacts/$t"
        cp "$srcdir/fuzz/corpus/$t"/* "$work"/
        log=$out/fuzz-$t.log
        # first the saved reproducers of fixed crashes: each must run clean
        if ls "$srcdir/fuzz/regressions/$t"/* >/dev/null 2>&1; then
            if ! "$out/fuzz-$t" "$srcdir/fuzz/regressions/$t"/* >"$out/regressions-$t.log" 2>&1; then
                printf 'fuzz %-9s FAILED: a reproducer in fuzz/regressions/%s/ crashes\n' "$t" "$t"
                grep -aE 'Running:|invariant|ERROR|SUMMARY' "$out/regressions-$t.log" | head -n 10
                status=1
                continue
            fi
        fi
        # -jobs=1 would fork a worker writing fuzz-0.log to the current directory;
        # a plain run in the foreground is the same with one job.
        if (cd "$out" && ./fuzz-"$t" -max_total_time="$secs" -print_final_stats=1 \
                -max_len=65536 -timeout=10 -rss_limit_mb=2048 -dict="$srcdir/fuzz/awps.dict" \
                -artifact_prefix="artifacts/$t/" "corpus-$t") >"$log" 2>&1; then
            result=ok
        else
            result=FAILED
            status=1
        fi
        last=$(grep -aE '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        printf 'fuzz %-9s %s: %s execs, %s exec/s; %s\n' "$t" "$result" "${execs:-?}" \
            "${rate:-?}" "${last:-no DONE line}"
        if [ $result = FAILED ]; then
            grep -aE 'ERROR|invariant|runtime error|SUMMARY|Test unit written' "$log" | head -n 20
            ls -l "$out/artifacts/$t"
        fi
    done
    exit $status
    ;;
*)
    sed -n '2,6p' "$0" >&2
    exit 2
    ;;
esac
