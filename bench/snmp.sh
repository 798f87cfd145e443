#!/usr/bin/env bash
# DASPOOL-MIB at data-centre size: SERVERS (default 50) lending servers
# in one dsp_swarm process, each with 64 regions split in 32 pieces
# (102,400 volumes), served by daspool-snmp through a real snmpd. Each
# figure is printed with what measured it:
#   - snmpbulkwalk (v2c, max-repetitions REPS, default 50) of the whole
#     dspVdiskTable: varbinds, seconds, varbinds per second (target: the
#     whole walk under 20 s)
#   - beside it, in the same run and with the same tool and options, a
#     walk of a large table snmpd serves itself: the lines of an
#     `extend` printing 10,000 lines (NET-SNMP-EXTEND-MIB
#     nsExtendOutLine; snmpd 5.9.3 crashes on 20,000), walked five
#     times after one walk that fills its cache (target: the subagent
#     at >= 50 % of its rate)
#   - the CPU seconds of daspool-snmp and of snmpd during the walk
#   - a GET of three of the pool's totals right after a change (they
#     are summed over every row once per change) and again
#   - daspool-snmp's resident memory after the walk (its own and the
#     store's pages it has read), and the store's size
# Usage: bench/snmp.sh   (make bench-snmp; part of make bench)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/integration/functions.sh"
SERVERS=${SERVERS:-50}
REGIONS=64
PIECES=32	# the shell takes 40 words a line
REPS=${REPS:-50}
MGR_LOG_LEVEL=info
total=$((SERVERS * REGIONS * PIECES))
VDISK_OID=.1.3.6.1.4.1.32473.1.4
EXTEND_OID=.1.3.6.1.4.1.8072.1.3.2.4.1.2

echo "# daspool SNMP bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $SERVERS servers, $total volumes"
start_mgr
regions=$(for r in $(seq 0 $((REGIONS - 1))); do printf 'R%d:32M,' "$r"; done)
swarm_start "$SERVERS" "${regions%,}" -q
t0=$(now_ms)
for s in $(seq 0 $((SERVERS - 1))); do
	n=$(printf '%04d' "$s")
	for r in $(seq 0 $((REGIONS - 1))); do
		printf 'volume split swarm%s:R%d' "$n" "$r"
		for p in $(seq 0 $((PIECES - 1))); do
			printf ' s%sr%dp%d:1M' "$n" "$r" "$p"
		done
		echo
	done
done >"$T/splits"
daspool-sh -s "$ADMIN_SOCK" <"$T/splits" >"$T/splits.out" 2>&1 ||
	fail "splits: $(grep -v '^volume' "$T/splits.out" | head -3)"
volumes=$(mdb_stat -s volumes "$T/mgr/state" | awk '/Entries:/ { print $2 }')
[ "$volumes" -ge "$total" ] || fail "only $volumes volumes made"
echo "pool volumes=$volumes made_s=$(( ($(now_ms) - t0) / 1000 ))"

. "$top/tests/integration/snmp_functions.sh"
SNMPD_EXTRA="extend lines /usr/bin/seq 1 10000
extendCacheTime lines 3600"
snmp_setup
start_snmpd
start_subagent

# walk OID: varbinds and milliseconds of one bulk walk.
walk() {
	local t0 n
	t0=$(now_ms)
	n=$(snmpbulkwalk -v 2c -c "$COMMUNITY" -t 30 -r 0 -Cr"$REPS" -On -Oq \
		"udp:$SNMPD_ADDR:$SNMPD_PORT" "$1" | wc -l)
	echo "$n $(( $(now_ms) - t0 ))"
}
# The native table is small: five walks make one measure.
walk "$EXTEND_OID" >/dev/null
native_n=0 native_ms=0
for i in 1 2 3 4 5; do
	read -r n ms < <(walk "$EXTEND_OID")
	native_n=$((native_n + n)) native_ms=$((native_ms + ms))
done
cpu() { ps -o times= -p "$1"; }
sub0=$(cpu "$SUBAGENT_PID"); snmpd0=$(cpu "$SNMPD_PID")
[ -n "${PERF:-}" ] && { perf record -g -o "$PERF" -p "$SUBAGENT_PID" 2>/dev/null & perf_pid=$!; sleep 0.5; }
read -r vdisk_n vdisk_ms < <(walk "$VDISK_OID")
[ -n "${PERF:-}" ] && { kill -INT $perf_pid; wait $perf_pid; }
echo "cpu_seconds subagent=$(( $(cpu "$SUBAGENT_PID") - sub0 )) snmpd=$(( $(cpu "$SNMPD_PID") - snmpd0 ))"
[ "$vdisk_n" -eq $((volumes * 11)) ] ||
	fail "the walk gave $vdisk_n varbinds, not $((volumes * 11))"
[ "$native_n" -ge 50000 ] || fail "the native walks gave $native_n varbinds"
rate() { echo "scale=0; $1 * 1000 / $2" | bc; }
echo "native_walk table=nsExtendOutLine varbinds=$native_n seconds=$(echo "scale=2; $native_ms / 1000" | bc) per_sec=$(rate "$native_n" "$native_ms")"
echo "vdisk_walk table=dspVdiskTable rows=$volumes varbinds=$vdisk_n seconds=$(echo "scale=2; $vdisk_ms / 1000" | bc) per_sec=$(rate "$vdisk_n" "$vdisk_ms") (target: under 20 s)"
echo "ratio vdisk/native=$(echo "scale=2; $(rate "$vdisk_n" "$vdisk_ms") / $(rate "$native_n" "$native_ms")" | bc) (target >= 0.50)"
# The pool's totals: summed over every row once per change of the
# store (cold), then served from that sum (warm).
scalars=".1.3.6.1.4.1.32473.1.1.4.0 .1.3.6.1.4.1.32473.1.1.7.0 .1.3.6.1.4.1.32473.1.1.10.0"
admin "volume create bench-extra single swarm0000:R0" >/dev/null 2>&1
t0=$(now_ms)
snmpget -v 2c -c "$COMMUNITY" -t 30 -r 0 "udp:$SNMPD_ADDR:$SNMPD_PORT" $scalars >/dev/null ||
	fail "snmpget of the pool's totals"
cold=$(( $(now_ms) - t0 ))
t0=$(now_ms)
snmpget -v 2c -c "$COMMUNITY" -t 30 -r 0 "udp:$SNMPD_ADDR:$SNMPD_PORT" $scalars >/dev/null
echo "pool_totals cold_ms=$cold warm_ms=$(( $(now_ms) - t0 ))"
# Its resident memory: its own (anonymous) and the store's pages it
# has read (file-backed, shared with the page cache).
mem() { awk -v k="$1:" '$1 == k { printf "%d", $2 / 1024 }' "/proc/$SUBAGENT_PID/status"; }
store=$(du -k "$T/mgr/state/data.mdb" | awk '{ print $1 }')
echo "daspool-snmp rss_mib=$(mem VmRSS) anon_mib=$(mem RssAnon) file_mib=$(mem RssFile) store_mib=$((store / 1024))"
pass
