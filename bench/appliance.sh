#!/usr/bin/env bash
# Losing the appliance, at pool size: SERVERS (default 4) lenders with
# 1,024 split volumes each (32 regions of 32 pieces, the most one split
# makes).
#   - baseline: every agent restarts and registers again with the
#     manager's store intact (its generations and records compared page
#     by page): seconds until all are registered
#   - the appliance's disk is lost: a fresh manager with rebuild takes the
#     table from the agents' records: seconds until every volume is back
#     (imported, none held), then until every lender has acknowledged the
#     new generation (no push owed: the volumes can be lent)
# Usage: bench/appliance.sh
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/integration/functions.sh"
SERVERS=${SERVERS:-4}
AGENT_LOG_LEVEL=info
MGR_LOG_LEVEL=info
total=$((SERVERS * 1024))

entries() {	# entries TABLE: rows of a table of the manager's store
	mdb_stat -s "$1" "$T/mgr/state" 2>/dev/null | awk '/Entries:/ { print $2 }'
}
registered_all() {	# registered_all LINE: every agent log has LINE again
	local s n
	for s in $(seq 1 "$SERVERS"); do
		n=$(grep -c "$1" "$T/server$s.log")
		[ "$n" -ge "$2" ] || return 1
	done
}

start_mgr
for s in $(seq 1 "$SERVERS"); do
	regions=()
	for r in $(seq 0 31); do regions+=("R$r:32M"); done
	start_agent "server$s" "127.0.12.$s" "${regions[@]}"
	for r in $(seq 0 31); do
		pieces=()
		for p in $(seq 0 31); do pieces+=("V$s-$r-$p:1M"); done
		admin "volume split server$s:R$r ${pieces[*]}" >/dev/null ||
			fail "split server$s:R$r"
	done
done
[ "$(entries volumes)" = "$total" ] || fail "$(entries volumes) volumes, not $total"
wait_for 120 sh -c "[ \"\$(mdb_stat -s owed '$T/mgr/state' | awk '/Entries:/ { print \$2 }')\" = 0 ]" ||
	fail "records not pushed: $(entries owed) owed"

# Baseline: every agent registers again against the intact store.
for s in $(seq 1 "$SERVERS"); do kill_agent "server$s"; done
t0=$(now_ms)
for s in $(seq 1 "$SERVERS"); do launch_agent "server$s"; done
wait_for 300 registered_all "registered with manager" 2 || fail "agents did not register again"
reregister=$(( $(now_ms) - t0 ))

# The appliance's disk is lost.
stop_mgr_hard
rm -rf "$T/mgr/state"
MGR_CONF_EXTRA="rebuild = yes"
t0=$(now_ms)
start_mgr
rebuilt_all() {
	[ "$(entries volumes)" = "$total" ] && [ "$(entries candidates)" = 0 ]
}
wait_for 600 rebuilt_all || fail "not rebuilt: $(entries volumes) volumes, $(entries candidates) candidates"
rebuilt=$(( $(now_ms) - t0 ))
wait_for 600 sh -c "[ \"\$(mdb_stat -s owed '$T/mgr/state' | awk '/Entries:/ { print \$2 }')\" = 0 ]" ||
	fail "lenders did not take the rebuilt records: $(entries owed) owed"
lendable=$(( $(now_ms) - t0 ))
borrower_setup serverJ
as serverJ allocate "V$SERVERS-31-31" >/dev/null || fail "lend a rebuilt volume"

echo "# daspool appliance loss, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $SERVERS lenders, $total volumes"
printf '%-44s %8s\n' "step" "seconds"
printf '%-44s %8.1f\n' "re-register, store intact (baseline)" "$(echo "$reregister / 1000" | bc -l)"
printf '%-44s %8.1f\n' "rebuild: every volume back" "$(echo "$rebuilt / 1000" | bc -l)"
printf '%-44s %8.1f\n' "rebuild: every lender acknowledged" "$(echo "$lendable / 1000" | bc -l)"
printf '%-44s %8.2f\n' "ratio, volumes back / re-register" "$(echo "$rebuilt / $reregister" | bc -l)"
pass
