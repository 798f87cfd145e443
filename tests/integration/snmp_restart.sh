#!/usr/bin/env bash
# daspool-snmp outlives its neighbours: after snmpd is stopped and
# started again it reconnects over AgentX and serves again, and a
# notification of an event while snmpd was away is sent once it is
# back; after the manager is killed and started again it keeps serving
# the store and telling its changes. Started before the manager ever
# made a store, it waits for one.
. "$(dirname "$0")/functions.sh"
. "$(dirname "$0")/snmp_functions.sh"

snmp_setup
start_snmpd
start_trapd
launch_subagent
wait_for 10 grep -q "waiting for the manager's store" "$T/subagent.log" ||
	fail "daspool-snmp does not say it waits for the store"
out=$(v2c snmpget -- dspVolumesTotal.0 2>&1)
echo "$out" | grep -q "Gauge32" && fail "answered without a store: $out"

start_mgr
start_agent serverA 127.0.2.1 A1:16M
borrower_setup serverJ
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create"
wait_for 10 grep -q "serving the store" "$T/subagent.log" ||
	fail "daspool-snmp did not open the store once it was made"
volumes() { v2c snmpget -Oqv -- dspVolumesTotal.0 2>/dev/null; }
wait_for 5 test "$(volumes)" = 1 || fail "dspVolumesTotal is $(volumes), not 1"

# snmpd goes away; an event meanwhile; snmpd comes back.
stop_snmpd
as serverJ allocate Vol-1 >/dev/null && as serverJ mount Vol-1 >/dev/null ||
	fail "mount while snmpd is down"
start_snmpd
wait_for 10 bash -c "[ \$(grep -c 'connected to the master agent' '$T/subagent.log') -ge 2 ]" ||
	fail "daspool-snmp did not reconnect: $(tail -5 "$T/subagent.log")"
wait_for 5 test "$(volumes)" = 1 || fail "not served after snmpd's restart"
wait_for 5 grep -q "::dspVolumeMounted,.* = STRING: Vol-1" "$T/traps.txt" ||
	fail "the mount while snmpd was away was never told: $(cat "$T/traps.txt")"

# The manager is killed and comes back: same answers, new changes told.
before=$(v2c snmptable -Cf '|' -CH -- dspVdiskTable)
stop_mgr_hard
start_mgr
wait_for 10 server_is_up serverA || fail "agent did not come back"
[ "$(v2c snmptable -Cf '|' -CH -- dspVdiskTable)" = "$before" ] ||
	fail "the table changed over the manager's restart: $before"
as serverJ unmount Vol-1 >/dev/null || fail "unmount after the restart"
wait_for 5 grep -q "::dspVolumeUnmounted,.* = STRING: Vol-1" "$T/traps.txt" ||
	fail "no notification after the manager's restart: $(cat "$T/traps.txt")"
v2c snmptable -Cf '|' -CH -- dspVdiskTable | grep -q "^Vol-1|single|.*|serverJ|notMounted|2|" ||
	fail "the unmount is not served: $(v2c snmptable -Cf '|' -CH -- dspVdiskTable)"
uptime=$(v2c snmpget -Oqv -Ot -- dspManagerUptime.0)
[ "$uptime" -lt 3000 ] || fail "dspManagerUptime did not start again: $uptime"
kill -0 "$SUBAGENT_PID" || fail "daspool-snmp died"
pass
