#!/usr/bin/env bash
# A large pool on one machine: SERVERS (default 1,000) lending servers
# played by one dsp_swarm process (real agents, 4 sparse regions each)
# against a real manager, agents heartbeating every 2 s and the manager
# at its default heartbeat_timeout (10 s). Prints the seconds the
# certificates took, until all were registered, the CPU of the swarm
# and of the manager over IDLE_SECONDS (default 30) of idle
# heartbeating (% of one core, from /proc), their RSS, the swarm's
# threads and descriptors, and the seconds from SIGTERM until the
# manager shows every server down.
# Usage: bench/swarm.sh (not part of make bench: it takes a minute or two)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/integration/functions.sh"
SERVERS=${SERVERS:-1000}
IDLE_SECONDS=${IDLE_SECONDS:-30}
MGR_LOG_LEVEL=info
HEARTBEAT_TIMEOUT=10
SWARM_HEARTBEAT=2

# cpu_ticks PID: user + system clock ticks the process used so far.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
up_rows='^swarm[0-9]{4}[[:space:]].*[[:space:]]up([[:space:]]|$)'
servers_up() {
	admin "show servers" | grep -Ec "$up_rows"
}
rss_mib() {
	awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}

start_mgr
t0=$(now_ms)
swarm_setup "$SERVERS"
certs=$(( $(now_ms) - t0 ))
swarm_start "$SERVERS" "R0:64M,R1:64M,R2:64M,R3:64M" -q
registered=$(grep -o "registered with manager [^ ]* in [0-9.]* s, started in [0-9.]* s" "$T/swarm.log")
up=$(servers_up)
[ "$up" -eq "$SERVERS" ] || fail "$up of $SERVERS servers up"

sleep 5		# registration's tail settles
hz=$(getconf CLK_TCK)
s0=$(cpu_ticks "$SWARM_PID") m0=$(cpu_ticks "$MGR_PID")
sleep "$IDLE_SECONDS"
s1=$(cpu_ticks "$SWARM_PID") m1=$(cpu_ticks "$MGR_PID")
up=$(servers_up)
[ "$up" -eq "$SERVERS" ] || fail "only $up of $SERVERS servers up after $IDLE_SECONDS s idle"
threads=$(ls "/proc/$SWARM_PID/task" | wc -l)
fds=$(ls "/proc/$SWARM_PID/fd" | wc -l)
swarm_rss=$(rss_mib "$SWARM_PID") mgr_rss=$(rss_mib "$MGR_PID")

t0=$(now_ms)
kill -TERM "$SWARM_PID"
wait "$SWARM_PID" || fail "the swarm exited with $? on SIGTERM"
stopped=$(( $(now_ms) - t0 ))
wait_for 60 sh -c "! daspool-sh -s '$ADMIN_SOCK' -c 'show servers' | grep -Eq '$up_rows'" ||
	fail "servers still up after the swarm stopped"
down=$(( $(now_ms) - t0 ))

pct() {	# pct TICKS: % of one core over the idle interval
	awk -v t="$1" -v hz="$hz" -v s="$IDLE_SECONDS" 'BEGIN { printf "%.1f", 100 * t / hz / s }'
}
echo "swarm of $SERVERS servers, 4 regions of 64M each, heartbeat 2 s ($(nproc) cores)"
echo "  certificates (daspool-pki, $(nproc) at a time): $(awk -v ms="$certs" 'BEGIN { printf "%.1f", ms / 1000 }') s"
echo "  all $registered"
echo "  idle $IDLE_SECONDS s: swarm $(pct $((s1 - s0)))% of a core, manager $(pct $((m1 - m0)))% of a core"
echo "  RSS: swarm $swarm_rss MiB ($threads threads, $fds descriptors), manager $mgr_rss MiB"
echo "  SIGTERM: swarm gone in $(awk -v ms="$stopped" 'BEGIN { printf "%.1f", ms / 1000 }') s, every server down at the manager in $(awk -v ms="$down" 'BEGIN { printf "%.1f", ms / 1000 }') s"
