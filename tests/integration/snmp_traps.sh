#!/usr/bin/env bash
# Notifications through a real snmpd to a real snmptrapd: a mirror leg's
# agent killed under a write load and brought back gives server down,
# volume degraded, resync finished and volume ok, in that order, each
# within 2 s of the event; mount and unmount are told as well, and a
# forced release.
. "$(dirname "$0")/functions.sh"
. "$(dirname "$0")/snmp_functions.sh"

CLIENT_TIMEOUT=10
start_mgr
start_agent serverD 127.0.3.4 D:16M
start_agent serverE 127.0.3.5 E:16M
borrower_setup serverJ
admin "volume create Vol-3 mirror serverD:D serverE:E" >/dev/null || fail "create"
snmp_setup
start_snmpd
start_trapd
start_subagent

# trap_within SECONDS SINCE_MS NAME ABOUT: waits for the notification
# (a line of snmptrapd's naming NAME and ABOUT) and checks it came
# within SECONDS of SINCE_MS.
trap_within() {
	local limit=$1 since=$2 name=$3 about=$4 took
	wait_for $((limit + 3)) grep -q "::$name,.* = STRING: $about" "$T/traps.txt" ||
		fail "no $name for $about: $(cat "$T/traps.txt")"
	took=$(( $(now_ms) - since ))
	[ "$took" -le $((limit * 1000)) ] ||
		fail "$name for $about came $took ms after the event"
	echo "$name ($about): within $took ms"
}

t=$(now_ms)
as serverJ allocate Vol-3 >/dev/null && as serverJ mount Vol-3 >/dev/null ||
	fail "borrow Vol-3"
trap_within 2 "$t" dspVolumeMounted Vol-3
grep "dspVolumeMounted" "$T/traps.txt" | grep -q "dspVdiskBorrower.[0-9]* = STRING: serverJ" ||
	fail "the mount notification lacks the borrower: $(cat "$T/traps.txt")"

# A leg dies under the load: server down, then degraded.
dsp_load -f "$T/serverJ/daspool.conf" write Vol-3 12 "$T/load.log" "$T/stop" \
	>"$T/load.out" 2>&1 &
load=$!
PIDS+=("$load")
sleep 1
t=$(now_ms)
kill_agent serverD
trap_within 2 "$t" dspServerDown serverD
trap_within 2 "$t" dspVolumeDegraded Vol-3
wait_for 15 bash -c "daspool-sh -s '$ADMIN_SOCK' -c 'show volume Vol-3' | grep -Eq '^dirty.* 12$'" ||
	fail "the load's blocks are not dirty: $(admin "show volume Vol-3")"

# It comes back: the load's client resyncs the dirty chunks.
restart_agent serverD
wait_for 30 bash -c "daspool-sh -s '$ADMIN_SOCK' -c 'show volume Vol-3' | grep -Eq '^health[[:space:]]+ok'" ||
	fail "no resync: $(admin "show volume Vol-3")"
t=$(now_ms)
trap_within 2 "$t" dspResyncFinished Vol-3
trap_within 2 "$t" dspVolumeOk Vol-3
touch "$T/stop"
wait "$load" || fail "the load failed: $(cat "$T/load.out")"

# In order, each once.
order=$(grep -o "::dsp[A-Za-z]*," "$T/traps.txt" | tr -d ':,' |
	grep -E "dspServerDown|dspVolumeDegraded|dspResyncFinished|dspVolumeOk" | tr '\n' ' ')
[ "$order" = "dspServerDown dspVolumeDegraded dspResyncFinished dspVolumeOk " ] ||
	fail "notifications out of order: $order"
grep -q "::dspServerUp,.* = STRING: serverD" "$T/traps.txt" || fail "no dspServerUp"
copied=$(grep "::dspResyncFinished," "$T/traps.txt" | grep -o "dspVdiskResyncChunks.[0-9]* = Gauge32: [0-9]*" | awk '{ print $NF }')
[ "$copied" = 12 ] || fail "dspResyncFinished says $copied chunks copied, not the 12 dirty"
grep -q "::dspResyncStarted,.* = STRING: Vol-3" "$T/traps.txt" || fail "no dspResyncStarted"

# Each carries its row's index: the same number the table has.
idx=$(v2c snmptable -Cf '|' -CH -Ci -- dspVdiskTable | awk -F'|' '$2 == "Vol-3" { print $1 }')
grep "::dspVolumeOk," "$T/traps.txt" | grep -q "dspVdiskName.$idx = STRING: Vol-3" ||
	fail "dspVolumeOk does not carry index $idx: $(grep dspVolumeOk "$T/traps.txt")"

t=$(now_ms)
admin "volume force-release Vol-3" >/dev/null || fail "force-release"
trap_within 2 "$t" dspVolumeForced Vol-3
pass
