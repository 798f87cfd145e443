#!/usr/bin/env bash
# Data-path and control-path figures, each beside its baseline measured in
# the same run:
#   - raw mbedTLS AEAD MB/s (16 KiB records) for the data-path ciphers
#   - sequential 1 MiB write/read MB/s through libdaspool to one agent over
#     TLS on a >= 1 GiB volume, with 1 and 2 connections, for the two
#     candidate ciphers (the agent's preference decides the suite)
#   - nbdkit's file plugin read by nbdcopy on the same backing file
#   - allocate -> mount -> unmount -> release cycles per second, one
#     borrower and four borrowers at once
# Usage: bench/run.sh [SIZE_MIB]   (default 1024)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/integration/functions.sh"
export PATH="$bin/bench:$PATH"
SIZE_MIB=${1:-1024}
CYCLE_SECONDS=${CYCLE_SECONDS:-5}
AGENT_LOG_LEVEL=info
MGR_LOG_LEVEL=info

echo "# daspool bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, volume ${SIZE_MIB} MiB"
aead || fail "aead"

start_mgr
AGENT_CIPHERS=chacha20-poly1305 start_agent serverA 127.0.2.1 "A1:${SIZE_MIB}M" \
	C1:1M C2:1M C3:1M C4:1M
AGENT_CIPHERS=aes-128-gcm start_agent serverB 127.0.2.2 "B1:${SIZE_MIB}M"
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create"
admin "volume create Vol-2 single serverB:B1" >/dev/null || fail "create"
for i in 1 2 3 4; do
	admin "volume create Vol-C$i single serverA:C$i" >/dev/null || fail "create"
done
borrower_setup serverJ
for v in Vol-1 Vol-2; do
	as serverJ allocate $v >/dev/null || fail "allocate $v"
	as serverJ mount $v >/dev/null || fail "mount $v"
done

# The disk's own rate of small durable writes: the ceiling of every
# durable commit below.
dd if=/dev/zero of="$T/syncprobe" bs=4k count=1000 oflag=dsync 2>&1 |
	awk '/copied/ { for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) secs = $(i - 1)
		printf "disk_dsync_writes per_sec=%.0f\n", 1000 / secs }'

# Control path first, before the data runs leave the disk busy flushing.
io_bench -f "$T/serverJ/daspool.conf" --volume Vol-C1 --cycles "$CYCLE_SECONDS" ||
	fail "cycles"
cyclers=()
for i in 1 2 3 4; do
	borrower_setup "host$i"
	io_bench -f "$T/host$i/daspool.conf" --volume "Vol-C$i" \
		--cycles "$CYCLE_SECONDS" >"$T/cycles.$i" &
	cyclers+=($!)
done
wait "${cyclers[@]}"
cat "$T"/cycles.* | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^per_sec=/) {
	split($i, a, "="); sum += a[2] } }
	END { printf "cycles borrowers=4 per_sec=%.1f\n", sum }'

for v in Vol-1 Vol-2; do
	cipher=chacha20-poly1305
	[ $v = Vol-2 ] && cipher=aes-128-gcm
	for conns in 1 2; do
		echo -n "cipher=$cipher "
		io_bench -f "$T/serverJ/daspool.conf" --volume $v \
			--size "${SIZE_MIB}M" --connections "$conns" |
			paste -sd' ' || fail "io_bench"
	done
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

