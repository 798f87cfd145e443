#!/usr/bin/env bash
# A volume is lent to one borrower at a time: a second borrower is refused
# with a clear error, and 8 borrowers racing for one volume get exactly one
# winner, every round.
. "$(dirname "$0")/functions.sh"

# Fewer rounds under the sanitizers, where each daspool process costs
# several times as much; 30 rounds of 8 racers still race hard.
case "${BUILD:-build}" in
*san*) ROUNDS=${ROUNDS:-30} ;;
*) ROUNDS=${ROUNDS:-100} ;;
esac
start_mgr
start_agent serverA 127.0.2.1 A1:16M
admin "volume create Vol-1 single serverA:A1" || fail "volume create"
for b in $(seq 1 8); do
	borrower_setup "borrower$b"
done

as borrower1 allocate Vol-1 >/dev/null || fail "first allocate"
expect_fail "lent to borrower1" as borrower2 allocate Vol-1
expect_fail "lent to borrower1|not allocated" as borrower2 mount Vol-1
expect_fail "no free volume|no volume|space" as borrower2 allocate --min-size 1M
as borrower1 mount Vol-1 >/dev/null || fail "mount"
expect_fail "lent to borrower1|not allocated" as borrower2 mount Vol-1
as borrower1 unmount Vol-1 || fail "unmount"
as borrower1 release Vol-1 || fail "release"

for round in $(seq 1 "$ROUNDS"); do
	pids=()
	for b in $(seq 1 8); do
		as "borrower$b" allocate Vol-1 >"$T/race.$b" 2>&1 &
		pids[$b]=$!
	done
	winners=0 winner=
	for b in $(seq 1 8); do
		if wait "${pids[$b]}"; then
			winners=$((winners + 1))
			winner=$b
		else
			grep -q "lent to borrower" "$T/race.$b" ||
				fail "round $round: unclear refusal: $(cat "$T/race.$b")"
		fi
	done
	[ "$winners" -eq 1 ] || fail "round $round: $winners winners"
	admin "show volumes" | grep "Vol-1" | grep -q "borrower$winner" ||
		fail "round $round: table does not name the winner borrower$winner"
	as "borrower$winner" release Vol-1 || fail "round $round: release"
done
echo "$ROUNDS rounds, one winner each"
pass
