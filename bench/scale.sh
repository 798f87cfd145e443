#!/usr/bin/env bash
# A pool of data-centre size: SERVERS (default 1000) lending servers in
# one dsp_swarm process (real agents, real TLS, sparse regions), each
# with four regions cut in 25 pieces: 100,000 volumes. Each figure is
# printed with what measured it:
#   - the disk's synced writes per second (dd oflag=dsync), the ceiling
#     of durable commits
#   - volume creation: ms per split of 25 pieces while the first 1,000
#     volumes are made, and again for the last 1,000 (flat: within 2x)
#   - allocate/mount/unmount/release p50/p99 in-process through
#     libdaspool (io_bench --cycles: one connection per borrower, so no
#     TLS handshake is counted), with 1 and 16 borrowers at once, at
#     ~1,000 volumes and again at 100,000; cycles per second alike
#   - show volumes of every row; the manager's restart until it answers
#     and until every server has registered again; its RSS and store
# Usage: bench/scale.sh   (make bench-scale)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/integration/functions.sh"
export PATH="$bin/bench:$PATH"
SERVERS=${SERVERS:-1000}
PIECES=25
CYCLE_SECONDS=${CYCLE_SECONDS:-5}
BORROWERS=16
MGR_LOG_LEVEL=info
total=$((SERVERS * 4 * PIECES))

entries() {	# entries TABLE: rows of a table of the manager's store
	mdb_stat -s "$1" "$T/mgr/state" 2>/dev/null | awk '/Entries:/ { print $2 }'
}
no_owed() { [ "$(entries owed)" = 0 ]; }
ms_since() { echo $(( $(now_ms) - $1 )); }

# splits FROM TO: the split commands of servers FROM..TO-1, one line each.
splits() {
	local s n r p line
	for s in $(seq "$1" $(($2 - 1))); do
		n=$(printf '%04d' "$s")
		for r in 0 1 2 3; do
			line="volume split swarm$n:R$r"
			for p in $(seq 0 $((PIECES - 1))); do
				line="$line s${n}r${r}p${p}:1M"
			done
			echo "$line"
		done
	done
}
# create FROM TO: makes their volumes; prints ms per split.
create() {
	local t0 lines
	splits "$1" "$2" >"$T/splits"
	lines=$(wc -l <"$T/splits")
	t0=$(now_ms)
	daspool-sh -s "$ADMIN_SOCK" <"$T/splits" >"$T/splits.out" 2>&1 ||
		fail "splits: $(grep -v '^volume' "$T/splits.out" | head -3)"
	echo "scale=2; $(ms_since "$t0") / $lines" | bc
}
# writes: the manager's writes and commits since it started.
writes() {
	admin "show store" | awk '$1 == "writes" { print $2, $6 }'
}
# field KEY: the values of KEY=VALUE in the borrowers' cycle lines.
field() {
	cat "$T"/cycles.* | tr ' ' '\n' | sed -n "s/^$1=//p"
}
# cycles LABEL: io_bench cycles alone, then 16 borrowers at once.
cycles() {
	local i pids=()
	io_bench -f "$T/host1/daspool.conf" --volume Vol-C1 \
		--cycles "$CYCLE_SECONDS" | sed "s/^cycles/cycles at=$1 borrowers=1/"
	writes >"$T/writes.before"
	for i in $(seq 1 $BORROWERS); do
		io_bench -f "$T/host$i/daspool.conf" --volume "Vol-C$i" \
			--cycles "$CYCLE_SECONDS" >"$T/cycles.$i" &
		pids+=($!)
	done
	wait "${pids[@]}" || fail "cycles of $BORROWERS borrowers"
	writes | paste "$T/writes.before" - | awk '{ printf "group_commit at=%s writes=%d commits=%d writes_per_commit=%.2f\n", at, $3 - $1, $4 - $2, ($3 - $1) / ($4 - $2) }' at="$1"
	# Per-second rates add up; of the latencies, the median of the
	# borrowers' p50s and the worst p99 are kept.
	printf 'cycles at=%s borrowers=%d per_sec=%s' "$1" $BORROWERS \
		"$(field per_sec | awk '{ s += $1 } END { printf "%.1f", s }')"
	for op in allocate mount unmount release; do
		printf ' %s_p50_ms=%s %s_p99_ms=%s' "$op" \
			"$(field "${op}_p50_ms" | sort -n | sed -n "$(( (BORROWERS + 1) / 2 ))p")" \
			"$op" "$(field "${op}_p99_ms" | sort -n | tail -n 1)"
	done
	echo
}

echo "# daspool scale bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $SERVERS servers, $total volumes"
dd if=/dev/zero of="$T/syncprobe" bs=4k count=1000 oflag=dsync 2>&1 |
	awk '/copied/ { for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) secs = $(i - 1)
		printf "disk_dsync_writes per_sec=%.0f\n", 1000 / secs }'

start_mgr
t0=$(now_ms)
swarm_start "$SERVERS" "R0:32M,R1:32M,R2:32M,R3:32M,C0:1M" -q
echo "swarm servers=$SERVERS registered_ms=$(ms_since "$t0")"
for i in $(seq 1 $BORROWERS); do
	admin "volume create Vol-C$i single swarm$(printf '%04d' "$i"):C0" >/dev/null ||
		fail "create Vol-C$i"
	borrower_setup "host$i"
done

# ~1,000 volumes: the first ten servers.
first=$(create 0 10)
wait_for 120 no_owed || fail "records not taken: $(entries owed) owed"
cycles "$(entries volumes)"

# The rest; the last 1,000 are timed as the first were, once the
# lenders have taken the records of the others.
t0=$(now_ms)
create 10 $((SERVERS - 10)) >/dev/null
made=$(ms_since "$t0")
wait_for 3600 no_owed || fail "records not taken: $(entries owed) owed"
echo "create volumes=$(entries volumes) seconds=$(echo "scale=1; $made / 1000" | bc), records taken by the lenders $(ms_since "$t0") ms after the first of them"
last=$(create $((SERVERS - 10)) "$SERVERS")
echo "create first_1000_ms_per_split=$first last_1000_ms_per_split=$last ratio=$(echo "scale=2; $last / $first" | bc) (target < 2)"
wait_for 120 no_owed || fail "records not taken: $(entries owed) owed"
cycles "$(entries volumes)"

t0=$(now_ms)
admin "show volumes" >"$T/all" || fail "show volumes"
echo "show_volumes rows=$(grep -c . "$T/all") ms=$(ms_since "$t0") summary=\"$(tail -n 1 "$T/all")\" (target < 3000)"

rss=$(ps -o rss= -p "$MGR_PID")
store=$(du -k "$T/mgr/state/data.mdb" | awk '{ print $1 }')
echo "manager rss_mib=$((rss / 1024)) store_mib=$((store / 1024))"

kill "$MGR_PID"; wait "$MGR_PID" 2>/dev/null
t0=$(now_ms)
start_mgr
echo "restart serves_ms=$(ms_since "$t0") (target < 2000)"
up_all() { [ "$(admin "show servers" | tail -n 1 | grep -o '[0-9]* up' | awk '{ print $1 }')" = "$SERVERS" ]; }
wait_for 600 up_all || fail "servers did not come back: $(admin "show servers" | tail -n 1)"
echo "restart all_registered_ms=$(ms_since "$t0")"
pass
