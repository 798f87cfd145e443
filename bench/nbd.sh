#!/usr/bin/env bash
# A pooled volume through its NBD export, each figure beside its baseline
# measured in the same run, ROUNDS (default 2) times in turn:
#   - nbdcopy write and read of SIZE_MIB (default 1024) MiB through
#     `daspool nbd` (nbdcopy's defaults: 4 connections, many requests in
#     flight), against io_bench through libdaspool on the same volume
#     with 1 and 4 connections (target: the export at >= 90 % of the
#     better of them)
#   - the same nbdcopy runs on nbdkit's file plugin serving the agent's
#     backing file (plaintext, no TLS, no network hop: for scale)
#   - fio 4 KiB random reads at queue depth 32 (its nbd engine) for
#     RANDREAD_SECONDS (default 10) through the export, and through
#     nbdkit's file plugin
# Writes come from a file of random bytes made first (in the page cache
# during the runs, as io_bench writes from memory), so no zero block is
# skipped and no generator is measured.
# Usage: bench/nbd.sh   (make bench-nbd; part of make bench)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/integration/functions.sh"
export PATH="$bin/bench:$PATH"
SIZE_MIB=${SIZE_MIB:-1024}
ROUNDS=${ROUNDS:-2}
RANDREAD_SECONDS=${RANDREAD_SECONDS:-10}
AGENT_LOG_LEVEL=info
MGR_LOG_LEVEL=info
for p in nbdcopy nbdkit fio; do
	command -v "$p" >/dev/null || fail "$p is not installed: run scripts/install-deps.sh"
done

echo "# daspool NBD bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, volume ${SIZE_MIB} MiB"
start_mgr
start_agent serverA 127.0.2.1 "A1:${SIZE_MIB}M"
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create"
borrower_setup serverJ
as serverJ allocate Vol-1 >/dev/null && as serverJ mount Vol-1 >/dev/null ||
	fail "mount Vol-1"
(exec daspool -f "$T/serverJ/daspool.conf" nbd Vol-1 --socket "$T/nbd.sock") \
	>"$T/export.out" 2>"$T/export.log" &
PIDS+=("$!")
wait_for 10 grep -q "exported at" "$T/export.out" || fail "the export did not start"
export_uri="nbd+unix:///Vol-1?socket=$T/nbd.sock"
backing="$T/disks/serverA-A1"
src="$T/random.bin"
head -c "${SIZE_MIB}M" /dev/urandom >"$src" || fail "the random source"

# timed WHAT SIDE CMD...: runs CMD, prints "WHAT side=SIDE mbps=N".
timed() {
	local what=$1 side=$2 start end
	shift 2
	start=$(date +%s.%N)
	"$@" >/dev/null || fail "$what $side: $*"
	end=$(date +%s.%N)
	awk -v w="$what" -v s="$side" -v a="$start" -v b="$end" -v m="$SIZE_MIB" \
		'BEGIN { printf "%s side=%s seconds=%.3f mbps=%.1f\n", w, s, b - a, m * 1048576 / (b - a) / 1e6 }'
}

# randread SIDE URI: fio's 4 KiB random read IOPS at queue depth 32.
randread() {
	fio --name=randread --ioengine=nbd --uri="$2" --rw=randread --bs=4k \
		--iodepth=32 --runtime="$RANDREAD_SECONDS" --time_based \
		--output-format=terse >"$T/fio.out" 2>"$T/fio.err" ||
		fail "fio on $1: $(cat "$T/fio.err")"
	# Terse v3: field 8 is the read IOPS.
	awk -F';' -v s="$1" '/^3;/ { printf "randread_4k_qd32 side=%s iops=%d\n", s, $8 }' "$T/fio.out"
}

# A first untimed write: the sparse backing file gets its blocks.
io_bench -f "$T/serverJ/daspool.conf" --volume Vol-1 --size "${SIZE_MIB}M" \
	>/dev/null || fail "warm-up"
: >"$T/figures"
for _ in $(seq 1 "$ROUNDS"); do
	sync
	for conns in 1 4; do
		io_bench -f "$T/serverJ/daspool.conf" --volume Vol-1 \
			--size "${SIZE_MIB}M" --connections "$conns" |
			sed "s/^\([a-z_]*\) /\1 side=libdaspool-$conns /" |
			tee -a "$T/figures" || fail "io_bench"
	done
	sync
	timed nbdcopy_write export nbdcopy "$src" "$export_uri" |
		tee -a "$T/figures"
	timed nbdcopy_read export nbdcopy "$export_uri" null: | tee -a "$T/figures"
	sync
	timed nbdcopy_write nbdkit-file nbdcopy -- "$src" \
		[ nbdkit --exit-with-parent file "$backing" ] | tee -a "$T/figures"
	timed nbdcopy_read nbdkit-file nbdcopy -- \
		[ nbdkit --exit-with-parent file "$backing" ] null: | tee -a "$T/figures"
done
randread export "$export_uri" | tee -a "$T/figures"
nbdkit -U "$T/file.sock" -P "$T/nbdkit.pid" file "$backing" || fail "nbdkit"
PIDS+=("$(cat "$T/nbdkit.pid")")
randread nbdkit-file "nbd+unix:///?socket=$T/file.sock" | tee -a "$T/figures"

# Means over the rounds; the export against the better libdaspool run.
awk '
	/mbps=/ {
		split($1, w, "_"); op = $1; side = $2
		sub(/^seq_/, "", op); sub(/^nbdcopy_/, "", op)
		for (i = 1; i <= NF; i++) if ($i ~ /^mbps=/) v = substr($i, 6)
		sum[op " " side] += v; n[op " " side]++
	}
	END {
		for (k in sum) mean[k] = sum[k] / n[k]
		for (op_i = 1; op_i <= 2; op_i++) {
			op = op_i == 1 ? "write" : "read"
			best = mean[op " side=libdaspool-1"]
			if (mean[op " side=libdaspool-4"] > best) best = mean[op " side=libdaspool-4"]
			printf "mean %s export=%.1f libdaspool_best=%.1f nbdkit_file=%.1f export_vs_libdaspool=%.2f\n",
			    op, mean[op " side=export"], best, mean[op " side=nbdkit-file"],
			    mean[op " side=export"] / best
		}
	}' "$T/figures"
pass
