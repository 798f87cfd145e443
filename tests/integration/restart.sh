#!/usr/bin/env bash
# kill -9 of the manager in the middle of a lending workload: after a
# restart the table is intact and consistent and lending goes on. An
# agent restart under a streaming write: the borrower reconnects and
# carries on, and every byte lands.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:64M A2:64M A3:64M A4:64M
for v in 1 2 3 4; do
	admin "volume create Vol-$v single serverA:A$v" || fail "create Vol-$v"
done
for b in 1 2 3 4; do
	borrower_setup "host$b"
done

workers=()
for b in 1 2 3 4; do
	lend_cycles "$b" &
	workers+=($!)
	PIDS+=($!)
done
sleep 3
stop_mgr_hard
touch "$T/stop"
wait "${workers[@]}" 2>/dev/null
start_mgr
wait_for 10 server_is_up serverA || fail "agent did not re-register"

# Consistency: every mounted volume is lent; each lent volume can be
# finished by its borrower or forced back, then lent again.
admin "show volumes" >"$T/table" || fail "show volumes after restart"
for v in 1 2 3 4; do
	grep -q "Vol-$v" "$T/table" || fail "Vol-$v lost from the table"
done
mdb_stat -a "$T/mgr/state" >/dev/null 2>&1 ||
	mdb_stat "$T/mgr/state" >/dev/null || fail "LMDB environment unreadable"
for v in 1 2 3 4; do
	admin "volume force-release Vol-$v" >/dev/null 2>&1
	as "host$v" allocate "Vol-$v" >/dev/null || fail "Vol-$v not lendable after restart"
	as "host$v" mount "Vol-$v" >/dev/null || fail "Vol-$v not mountable after restart"
done
admin "show volumes" | grep -c "host" | grep -qx 4 || fail "table does not show 4 borrowers"

# Agent restart while a borrower streams a write.
head -c 48M /dev/urandom >"$T/first"
head -c 16M /dev/urandom >"$T/second"
{
	cat "$T/first"
	sleep 4
	cat "$T/second"
} | as host1 write Vol-1 --offset 0 >"$T/write.out" 2>&1 &
writer=$!
sleep 2
kill_agent serverA
sleep 0.5
restart_agent serverA
wait "$writer" || fail "streaming write did not survive the agent restart: $(cat "$T/write.out")"
grep -q "reconnecting" "$T/write.out" ||
	fail "the borrower never saw the agent go away: $(cat "$T/write.out")"
cat "$T/first" "$T/second" >"$T/all"
as host1 read Vol-1 --offset 0 --length 64M --output "$T/back" || fail "read back"
cmp "$T/back" "$T/all" || fail "data lost across the agent restart"
pass
