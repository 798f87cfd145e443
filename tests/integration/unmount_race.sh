#!/usr/bin/env bash
# Unmount and close while other threads of the same process do I/O on
# the volume (tests/tools/dsp_stress): every call succeeds (reads give
# back what was written) or fails cleanly, "not mounted" or "handle
# closed" with a sentence naming the volume; nothing crashes, hangs or
# touches freed memory (the suite runs this under ASan and UBSan too).
# On a single volume and on a mirror, whose handles each have a resync
# thread. A mirror write cut short may have reached one leg only: the
# other is reported out of sync, and a resync makes the legs agree.
# Afterwards the volumes work as before.
. "$(dirname "$0")/functions.sh"

CLIENT_TIMEOUT=10
start_mgr
start_agent serverA 127.0.2.1 A1:64M
start_agent serverB 127.0.2.2 B1:32M
start_agent serverC 127.0.2.3 C1:32M
borrower_setup serverJ
admin "volume create Vol-1 single serverA:A1" || fail "create Vol-1"
admin "volume create Vol-3 mirror serverB:B1 serverC:C1" || fail "create Vol-3"
as serverJ allocate Vol-1 >/dev/null || fail "allocate Vol-1"
as serverJ allocate Vol-3 >/dev/null || fail "allocate Vol-3"

# stress VOLUME MODE THREADS ROUNDS
stress() {
	local out
	out=$(timeout 300 dsp_stress -f "$T/serverJ/daspool.conf" "$2" "$1" \
		"$3" "$4" 2>&1)
	local rc=$?
	echo "$out" >>"$T/stress.log"
	[ "$rc" = 0 ] || fail "dsp_stress $2 on $1 (exit $rc): $(echo "$out" | tail -n 20)"
	echo "$out" | grep -q "calls cut off cleanly" || fail "dsp_stress said nothing: $out"
}
legs_equal() { cmp -s -n $((32 << 20)) "$T/disks/serverB-B1" "$T/disks/serverC-C1"; }
health() { admin "show volume Vol-3" | awk '$1 == "health" { print $2 }'; }

for mode in unmount close close-handles; do
	stress Vol-1 "$mode" 4 4
done
# A cut that never caught a call in flight would prove nothing.
grep -E "^round .* unmount under" "$T/stress.log" | grep -Eqv " 0 calls cut off" ||
	fail "no unmount caught a call in flight: $(cat "$T/stress.log")"

# The mirror: one round at a time, its legs in sync before each.
for mode in unmount close close-handles unmount; do
	as serverJ mount Vol-3 >/dev/null || fail "mount Vol-3"
	as serverJ resync Vol-3 --timeout 60 >/dev/null ||
		fail "resync before $mode: $(admin "show volume Vol-3")"
	legs_equal || fail "legs differ after the resync before $mode"
	stress Vol-3 "$mode" 3 1
done
admin "show volume Vol-3" >"$T/vol3.txt"
as serverJ mount Vol-3 >/dev/null || fail "mount Vol-3 at the end"
as serverJ resync Vol-3 --timeout 60 >/dev/null ||
	fail "final resync: $(admin "show volume Vol-3")"
legs_equal || fail "legs differ after the final resync; before it: $(cat "$T/vol3.txt")"
[ "$(health)" = ok ] || fail "Vol-3 health $(health): $(admin "show volume Vol-3")"

# Both volumes work afterwards, and unmount cleanly.
head -c 3M /dev/urandom >"$T/data"
for vol in Vol-1 Vol-3; do
	as serverJ mount "$vol" >/dev/null || fail "mount $vol"
	as serverJ write "$vol" --offset 1M --input "$T/data" || fail "write $vol"
	as serverJ read "$vol" --offset 1M --length 3M --output "$T/back" ||
		fail "read $vol"
	cmp "$T/data" "$T/back" || fail "$vol reads back other data"
	as serverJ unmount "$vol" || fail "unmount $vol"
done
legs_equal || fail "legs differ at the end"
grep -h "^round" "$T/stress.log"
pass
