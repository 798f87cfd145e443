#!/bin/sh
# Builds the libFuzzer harnesses (frame_fuzz, msg_fuzz) with ASan and
# UBSan and runs each for a bounded time.
#   usage: tests/fuzz/run.sh [seconds-per-harness]    (default 20)
#   FUZZ_BUILD=dir   where binaries, corpora and crashes go
#                    (default /tmp/daspool-fuzz); corpora are kept
#                    between runs so later runs go deeper.
#   CLANG=clang-14   the compiler (needs libFuzzer)
set -eu

secs=${1:-20}
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_BUILD:-/tmp/daspool-fuzz}
cc=${CLANG:-clang-14}

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz: $cc not found, skipping" >&2
	exit 77
fi

common="$top/firmware/common/proto.c $top/firmware/common/buf.c \
	$top/firmware/common/frame.c $top/firmware/common/msg.c \
	$top/firmware/common/msg_mirror.c $top/firmware/common/bitmap.c"
flags="-std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-I$top/firmware/common -I$top/tests/fuzz"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer"

mkdir -p "$out/crashes"
# shellcheck disable=SC2086
$cc $flags $san -o "$out/seeds" "$top/tests/fuzz/seeds.c" $common
for h in frame msg; do
	# shellcheck disable=SC2086
	$cc $flags $san -fsanitize=fuzzer -o "$out/${h}_fuzz" \
	    "$top/tests/fuzz/${h}_fuzz.c" "$top/tests/fuzz/fuzz_common.c" \
	    $common
	mkdir -p "$out/corpus/$h"
done
"$out/seeds" "$out/corpus"

for h in frame msg; do
	echo "fuzz: $h for ${secs}s"
	"$out/${h}_fuzz" -max_total_time="$secs" -max_len=16384 \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$out/crashes/${h}-" "$out/corpus/$h" \
	    2>"$out/$h.log" || {
		tail -40 "$out/$h.log" >&2
		echo "fuzz: $h FAILED, inputs in $out/crashes" >&2
		exit 1
	}
	grep -E '^stat::number_of_executed_units|^stat::peak_rss' \
	    "$out/$h.log" | sed "s/^/fuzz: $h /"
done
echo "fuzz: ok"
