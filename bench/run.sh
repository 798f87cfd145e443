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
#   - usage forms, on FORMS_MIB (default 512) volumes, each beside a single
#     volume of the same size on an agent of its own, ROUNDS (default 2)
#     times in turn: mirror write (2 legs on two agents) against single
#     write, concat read (2 extents on two agents) against single read;
#     then the resync rate of the mirror: one leg's agent killed, the whole
#     volume written degraded, the agent restarted and `daspool resync`
#     timed (MB/s = copied chunks x 1 MiB / its wall time)
# Usage: bench/run.sh [SIZE_MIB]   (default 1024)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/integration/functions.sh"
export PATH="$bin/bench:$PATH"
SIZE_MIB=${1:-1024}
CYCLE_SECONDS=${CYCLE_SECONDS:-5}
FORMS_MIB=${FORMS_MIB:-512}
ROUNDS=${ROUNDS:-2}
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

# Usage forms. Every agent here runs with the default cipher
# (chacha20-poly1305), so the forms differ from the single volume only in
# how many agents a request goes to.
half=$((FORMS_MIB / 2))
start_agent serverS 127.0.2.19 "S:${FORMS_MIB}M"
start_agent serverD 127.0.2.4 "D:${FORMS_MIB}M"
start_agent serverE 127.0.2.5 "E:${FORMS_MIB}M"
start_agent serverF 127.0.2.6 "F:${half}M"
start_agent serverG 127.0.2.7 "G:${half}M"
admin "volume create Vol-S single serverS:S" >/dev/null || fail "create Vol-S"
admin "volume create Vol-M mirror serverD:D serverE:E" >/dev/null ||
	fail "create Vol-M"
admin "volume create Vol-K concat serverF:F serverG:G" >/dev/null ||
	fail "create Vol-K"
for v in Vol-S Vol-M Vol-K; do
	as serverJ allocate $v >/dev/null || fail "allocate $v"
	as serverJ mount $v >/dev/null || fail "mount $v"
done

# form_run FORM VOLUME: one io_bench run, its lines prefixed with the form.
form_run() {
	io_bench -f "$T/serverJ/daspool.conf" --volume "$2" \
		--size "${FORMS_MIB}M" | sed "s/^/form=$1 /" | tee -a "$T/forms" |
		paste -sd' '
	[ "${PIPESTATUS[0]}" = 0 ] || fail "io_bench on $2"
}
# One untimed pass first: a fresh backing file is sparse, and the first
# write into it also pays for the file system's block allocation.
for v in Vol-S Vol-M Vol-K; do
	io_bench -f "$T/serverJ/daspool.conf" --volume $v --size "${FORMS_MIB}M" \
		>/dev/null || fail "warm-up of $v"
done
: >"$T/forms"
for _ in $(seq 1 "$ROUNDS"); do
	# The gigabytes written above are still being flushed to the disk;
	# each round starts with the page cache clean, as a fair ground.
	sync
	form_run single Vol-S
	form_run mirror Vol-M
	form_run concat Vol-K
done
# Means over the rounds, and the two ratios asked of the forms.
awk '
	{ for (i = 1; i <= NF; i++) {
		if ($i ~ /^form=/) form = substr($i, 6)
		if ($i ~ /^mbps=/) {
			k = form "_" $2
			v[k, ++n[k]] = substr($i, 6)
			sum[k] += v[k, n[k]]
		}
	} }
	function mean(k) { return n[k] ? sum[k] / n[k] : 0 }
	function ratio(a, b, r) { return v[b, r] ? v[a, r] / v[b, r] : 0 }
	END {
		for (r = 1; r <= n["single_seq_write"]; r++)
			printf "forms round=%d mirror/single_write=%.2f " \
			    "concat/single_read=%.2f\n", r,
			    ratio("mirror_seq_write", "single_seq_write", r),
			    ratio("concat_seq_read", "single_seq_read", r)
		sw = mean("single_seq_write"); sr = mean("single_seq_read")
		mw = mean("mirror_seq_write"); cr = mean("concat_seq_read")
		printf "forms rounds=%d single_write=%.1f mirror_write=%.1f " \
		    "mirror/single=%.2f (target >= 0.45)\n", n["single_seq_write"],
		    sw, mw, sw ? mw / sw : 0
		printf "forms rounds=%d single_read=%.1f concat_read=%.1f " \
		    "concat/single=%.2f (target ~ 1.0)\n", n["single_seq_read"],
		    sr, cr, sr ? cr / sr : 0
	}' "$T/forms"

# Resync: serverE's leg is out of sync for the whole volume, then copied
# back by `daspool resync` (nothing else has the volume open).
kill_agent serverE
sync
io_bench -f "$T/serverJ/daspool.conf" --volume Vol-M --size "${FORMS_MIB}M" \
	2>"$T/degraded.err" | sed 's/^/mirror_degraded /' | paste -sd' '
[ "${PIPESTATUS[0]}" = 0 ] || fail "degraded write: $(cat "$T/degraded.err")"
dirty=$(admin "show volume Vol-M" | awk '/^dirty chunks/ { print $3 }')
restart_agent serverE
sync
start=$(date +%s.%N)
out=$(as serverJ resync Vol-M --timeout 600) || fail "resync: $out"
end=$(date +%s.%N)
# The manager's record (the leg's last-copied column) counts every chunk
# copied, whichever thread of the client copied it.
copied=$(admin "show volume Vol-M" |
	awk '$2 == "serverE" && $3 == "E" { print $8 }')
[ -n "$copied" ] && [ "$copied" -gt 0 ] || fail "no copied count: $out"
cmp -s "$T/disks/serverD-D" "$T/disks/serverE-E" ||
	fail "the legs differ after the resync"
awk -v s="$start" -v e="$end" -v c="$copied" -v d="$dirty" -v o="$out" \
	'BEGIN { printf "resync dirty=%s copied=%s seconds=%.3f mbps=%.1f (%s)\n",
	    d, c, e - s, c * 1048576 / (e - s) / 1e6, o }'
