#!/usr/bin/env bash
# A server with 4,096 volumes (64 regions cut in 64 pieces) registers
# again after its agent restarts: the generations come in pages, each
# acknowledged, and every volume can be lent afterwards.
. "$(dirname "$0")/functions.sh"

start_mgr
regions=()
for r in $(seq 0 63); do
	regions+=("R$r:64M")
done
start_agent serverA 127.0.2.1 "${regions[@]}"
for r in $(seq 0 63); do
	for half in 0 1; do
		pieces=()
		for p in $(seq $((half * 32)) $((half * 32 + 31))); do
			pieces+=("V$r-$p:1M")
		done
		admin "volume split serverA:R$r ${pieces[*]}" >/dev/null ||
			fail "split R$r"
	done
done
n=$(mdb_stat -s volumes "$T/mgr/state" | awk '/Entries:/ { print $2 }')
[ "$n" -eq 4096 ] || fail "$n volumes in the store, not 4096"
# A table larger than one reply frame streams whole, in parts.
admin "show volumes" >"$T/table" || fail "show volumes of 4096 volumes"
n=$(grep -Eo " V[0-9]+-[0-9]+ " "$T/table" | sort -u | wc -l)
[ "$n" -eq 4096 ] || fail "show volumes listed $n distinct volumes, not 4096"
[ "$(tail -n 1 "$T/table")" = "4096 volumes" ] ||
	fail "show volumes does not end with its summary: $(tail -n 2 "$T/table")"
[ "$(stat -c %s "$T/table")" -gt 262144 ] ||
	fail "the table is not larger than one reply frame"

kill_agent serverA
restart_agent serverA
wait_for 20 grep -q "generations of 4096 volumes acknowledged" "$T/serverA.log" ||
	fail "the agent did not take the 4096 generations: $(grep -i "register" "$T/serverA.log" | tail -3)"
for v in V0-0 V31-31 V63-63; do
	admin "show volume $v" | grep -q "^fence " && fail "$v left fenced"
done
borrower_setup serverJ
as serverJ allocate V63-63 >/dev/null && as serverJ mount V63-63 >/dev/null ||
	fail "borrow the last piece"
echo hello >"$T/h"
as serverJ write V63-63 --offset 0 --input "$T/h" || fail "write the last piece"
pass
