#!/usr/bin/env bash
# Data-path and control-path figures, each beside its baseline measured in
# the same run:
#   - raw mbedTLS AEAD MB/s (16 KiB records) for the data-path ciphers
#   - sequential 1 MiB write/read MB/s through libdaspool to one agent over
#     TLS on a >= 1 GiB volume, with 1 and 2 connections
#   - nbdkit's file plugin read by nbdcopy on the same backing file
#   - allocate -> mount -> unmount -> release cycles per second
# Usage: bench/run.sh [SIZE_MIB]   (default 1024)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/integration/functions.sh"
export PATH="$bin/bench:$PATH"
SIZE_MIB=${1:-1024}
CYCLE_SECONDS=${CYCLE_SECONDS:-5}

echo "# daspool bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, volume ${SIZE_MIB} MiB"
aead || fail "aead"

start_mgr
start_agent serverA 127.0.2.1 "A1:${SIZE_MIB}M" C1:1M
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create"
admin "volume create Vol-C single serverA:C1" >/dev/null || fail "create"
borrower_setup serverJ
as serverJ allocate Vol-1 >/dev/null || fail "allocate"
as serverJ mount Vol-1 >/dev/null || fail "mount"

for conns in 1 2; do
	io_bench -f "$T/serverJ/daspool.conf" --volume Vol-1 --size "${SIZE_MIB}M" \
		--connections "$conns" || fail "io_bench"
done

# Baseline: nbdkit's file plugin on the same backing file, read by nbdcopy
# (plaintext over a unix socket, no TLS).
if command -v nbdkit >/dev/null && command -v nbdcopy >/dev/null; then
	start=$(date +%s.%N)
	nbdcopy -- [ nbdkit --exit-with-parent file "$T/disks/serverA-A1" ] null: ||
		fail "nbdcopy"
	end=$(date +%s.%N)
	awk -v s="$start" -v e="$end" -v m="$SIZE_MIB" \
		'BEGIN { printf "nbdcopy_read nbdkit-file mbps=%.1f\n", m * 1048576 / (e - s) / 1e6 }'
fi

as serverJ allocate Vol-C >/dev/null || fail "allocate Vol-C"
as serverJ release Vol-C >/dev/null || fail "release Vol-C"
io_bench -f "$T/serverJ/daspool.conf" --volume Vol-C --cycles "$CYCLE_SECONDS" ||
	fail "cycles"
