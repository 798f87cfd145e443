#!/usr/bin/env bash
# Backup throughput, each figure beside its baseline in the same run,
# ROUNDS (default 2) times in turn:
#   - daspool-backup copy of a full SIZE_MIB (default 1024) MiB volume
#     to the vtl, against io_bench's sequential read of the same volume
#     through libdaspool (4 connections) (target: >= 0.85)
#   - the copy of a half-empty volume of the same size (its second half
#     never written) against the full one's time (target: about 0.5)
# The vtl lives in $TMPDIR; the tapes are relabelled (erased) between
# rounds so each copy writes the same way.
# Usage: bench/backup.sh   (make bench-backup; part of make bench)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/integration/functions.sh"
export PATH="$bin/bench:$PATH"
SIZE_MIB=${SIZE_MIB:-1024}
ROUNDS=${ROUNDS:-2}
AGENT_LOG_LEVEL=info
MGR_LOG_LEVEL=info
half=$((SIZE_MIB / 2))

echo "# daspool backup bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, volumes of ${SIZE_MIB} MiB"
start_mgr
start_agent serverA 127.0.2.1 "A1:${SIZE_MIB}M"
start_agent serverB 127.0.2.2 "B1:${SIZE_MIB}M"
admin "volume create Vol-F single serverA:A1" >/dev/null || fail "create Vol-F"
admin "volume create Vol-H single serverB:B1" >/dev/null || fail "create Vol-H"
borrower_setup serverJ
for v in Vol-F Vol-H; do
	as serverJ allocate "$v" >/dev/null && as serverJ mount "$v" >/dev/null ||
		fail "mount $v"
done
# io_bench fills Vol-F whole; Vol-H gets its first half only.
io_bench -f "$T/serverJ/daspool.conf" --volume Vol-F --size "${SIZE_MIB}M" \
	>/dev/null || fail "fill Vol-F"
head -c "${half}M" /dev/urandom | as serverJ write Vol-H --input - ||
	fail "fill Vol-H"
backup_setup backup1
lib="$T/library"
daspool-backup make-library "$lib" --slots 2 --tapes 2 \
	--capacity "$((SIZE_MIB * 2))M" >/dev/null || fail "library"

copy_mbps() {
	daspool-backup label 1 DSP001 --library "$lib" >/dev/null || fail "label"
	sync
	daspool-backup -f "$T/backup1/daspool-backup.conf" copy "$1" --library "$lib" |
		awk -v v="$1" -v m="$SIZE_MIB" '/^copied/ {
			for (i = 1; i <= NF; i++) if ($i == "in") s = $(i + 1)
			printf "backup volume=%s seconds=%.3f mbps=%.1f\n", v, s, m * 1048576 / s / 1e6 }'
}
: >"$T/figures"
for _ in $(seq 1 "$ROUNDS"); do
	sync
	io_bench -f "$T/serverJ/daspool.conf" --volume Vol-F \
		--size "${SIZE_MIB}M" --connections 4 | grep '^seq_read' |
		sed 's/^seq_read/io_bench_read/' | tee -a "$T/figures"
	copy_mbps Vol-F | tee -a "$T/figures"
	copy_mbps Vol-H | tee -a "$T/figures"
done
awk '
	/^io_bench_read/ { for (i = 1; i <= NF; i++) if ($i ~ /^mbps=/) { r += substr($i, 6); nr++ } }
	/volume=Vol-F/ { for (i = 1; i <= NF; i++) { if ($i ~ /^mbps=/) { f += substr($i, 6); nf++ }
		if ($i ~ /^seconds=/) fs += substr($i, 9) } }
	/volume=Vol-H/ { for (i = 1; i <= NF; i++) if ($i ~ /^seconds=/) { hs += substr($i, 9); nh++ } }
	END { printf "mean backup_mbps=%.1f io_bench_read_mbps=%.1f backup_vs_read=%.2f half_empty_time_vs_full=%.2f\n",
	    f / nf, r / nr, (f / nf) / (r / nr), (hs / nh) / (fs / nf) }' "$T/figures"
pass
