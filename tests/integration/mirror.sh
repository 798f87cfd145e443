#!/usr/bin/env bash
# A mirror keeps working when one lender dies and heals when it comes
# back: kill -9 of one leg's agent under a continuous write workload
# loses no acknowledged write and leaves the volume degraded; a manager
# restart keeps the leg states and the write-intent bitmap; the agent's
# return starts a resync, in the workload's own process, that copies only
# the dirty chunks, after which both legs' backing files are identical.
# No read is served by the stale leg: the workload reads back every block
# it writes, and the stale leg's copy of those blocks is noise until its
# resync. With both legs gone, I/O fails with a clear error in
# bounded time.
. "$(dirname "$0")/functions.sh"

CLIENT_TIMEOUT=10
start_mgr
start_agent serverD 127.0.3.4 D:32M
start_agent serverE 127.0.3.5 E:40M
borrower_setup serverJ
expect_fail "distinct|same server" admin "volume create Vol-X mirror serverD:D serverD:D"
admin "volume create Vol-3 mirror serverD:D serverE:E" || fail "create Vol-3"
admin "show volume Vol-3" | grep -Eq "32M|33554432" ||
	fail "mirror is not as large as its smallest leg: $(admin "show volume Vol-3")"
as serverJ allocate Vol-3 >/dev/null || fail "allocate Vol-3"
as serverJ mount Vol-3 >/dev/null || fail "mount Vol-3"

health() { admin "show volume Vol-3" | awk '$1 == "health" { print $2 }'; }
dirty() { admin "show volume Vol-3" | awk '/^dirty/ { print $NF }'; }
legs_equal() { cmp -s -n $((32 << 20)) "$T/disks/serverD-D" "$T/disks/serverE-E"; }

# Both legs get every write while in sync.
head -c 32M /dev/urandom >"$T/fill"
as serverJ write Vol-3 --input "$T/fill" || fail "fill Vol-3"
legs_equal || fail "legs differ after a write in sync"
[ "$(health)" = ok ] || fail "health is $(health), not ok: $(admin "show volume Vol-3")"
# A search runs on one leg.
printf 'daspool-mirror-marker' | as serverJ write Vol-3 --offset 5M --input - ||
	fail "write the marker"
[ "$(as serverJ search Vol-3 daspool-mirror-marker)" = 5242880 ] ||
	fail "search on the mirror: $(as serverJ search Vol-3 daspool-mirror-marker 2>&1)"

# Degraded: kill one leg's agent under the workload.
dsp_load -f "$T/serverJ/daspool.conf" write Vol-3 12 "$T/load.log" "$T/stop" \
	>"$T/load.out" 2>&1 &
load=$!
PIDS+=("$load")
sleep 2
kill_agent serverD
wait_for 15 bash -c "daspool-sh -s '$ADMIN_SOCK' -c 'show volume Vol-3' | grep -q 'health.*degraded'" ||
	fail "volume not degraded after a leg died: $(admin "show volume Vol-3")"
# Degraded shows as soon as the server is down; the leg turns out of sync
# once the workload's client has reported it.
wait_for 15 bash -c "daspool-sh -s '$ADMIN_SOCK' -c 'show volumes' | grep serverD | grep -q out-of-sync" ||
	fail "dead leg not shown out-of-sync: $(admin "show volumes")"
sleep 2
kill -0 "$load" 2>/dev/null || fail "workload stopped while degraded: $(cat "$T/load.out")"

# The manager's restart keeps the leg states and the bitmap.
before=$(dirty)
[ -n "$before" ] && [ "$before" -gt 0 ] || fail "no dirty chunk recorded: $(admin "show volume Vol-3")"
stop_mgr_hard
start_mgr
[ "$(health)" = degraded ] || fail "health after manager restart: $(health)"
after=$(dirty)
[ "$after" -ge "$before" ] || fail "bitmap lost in the restart: $before dirty chunks, now $after"
kill -0 "$load" 2>/dev/null || fail "workload stopped over the manager restart: $(cat "$T/load.out")"

# The leg comes back: resync of the dirty chunks while the load goes on.
# Every block of the load is dirty by now; the dead leg's copy of them is
# overwritten with noise, so a read served by it before its resync would
# fail the load's read-back check.
wait_for 15 bash -c "daspool-sh -s '$ADMIN_SOCK' -c 'show volume Vol-3' | grep -Eq '^dirty.* 12$'" ||
	fail "the 12 blocks written degraded are not all dirty: $(admin "show volume Vol-3")"
dirty_at_restart=$(dirty)
head -c 12M /dev/urandom | dd of="$T/disks/serverD-D" conv=notrunc status=none
restart_agent serverD
wait_for 30 bash -c "daspool-sh -s '$ADMIN_SOCK' -c 'show volume Vol-3' | grep -Eq '^health[[:space:]]+ok'" ||
	fail "no resync: $(admin "show volume Vol-3"; tail -5 "$T/load.out")"
sleep 1
touch "$T/stop"
wait "$load"; rc=$?
[ "$rc" = 0 ] || fail "workload failed ($rc): $(cat "$T/load.out")"
dsp_load -f "$T/serverJ/daspool.conf" verify Vol-3 "$T/load.log" >"$T/verify.out" ||
	fail "an acknowledged write was lost: $(cat "$T/verify.out")"
legs_equal || fail "legs differ after the resync"
copied=$(grep -ho "in sync: [0-9]* chunks copied" "$T/load.out" | tail -1 | grep -o "[0-9]*" | head -1)
[ -z "$copied" ] && copied=$(admin "show volume Vol-3" | awk '/copied/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) n = $i } END { print n }')
[ -n "$copied" ] || fail "no copied count reported: $(admin "show volume Vol-3")"
[ "$copied" = "$dirty_at_restart" ] ||
	fail "resync copied $copied chunks; $dirty_at_restart were dirty of 32"
echo "resync copied $copied of 32 chunks ($dirty_at_restart dirty when the leg came back)"
admin "show audit" | grep -q "resync" || fail "resync not in the audit trail"

# Both legs gone: a clear error, no hang beyond the timeout.
kill_agent serverD
kill_agent serverE
start=$(date +%s)
out=$(as serverJ write Vol-3 --input "$T/load.log" 2>&1) && fail "write with both legs down succeeded"
took=$(( $(date +%s) - start ))
echo "$out" | grep -Eqi "leg|reach" || fail "unclear error with both legs down: $out"
[ "$took" -le $((CLIENT_TIMEOUT * 2)) ] || fail "both legs down: the write hung $took s"
out=$(as serverJ read Vol-3 --length 4096 2>&1 >/dev/null) && fail "read with both legs down succeeded"
echo "$out" | grep -Eqi "leg|reach" || fail "unclear read error with both legs down: $out"
wait_for 15 bash -c "daspool-sh -s '$ADMIN_SOCK' -c 'show volume Vol-3' | grep -Eq '^health[[:space:]]+failed'" ||
	fail "both legs down but not shown failed: $(admin "show volume Vol-3")"
pass
