#!/usr/bin/env bash
# A revocation waits for the requests running under the old generation,
# every time it is asked: on a slow disk, the manager's first push of
# the new generation times out and is retried on a fresh connection
# while the agent has stored the new generation already; the retry is
# acknowledged only once the old borrower's long request has stopped,
# at the end of its slice.
# First a search (reads slowed), then an erase (zeroing slowed), whose
# stop is checked on the data a new borrower writes right after.
. "$(dirname "$0")/functions.sh"

AGENT_SLOW[serverA]=1
start_mgr
start_agent serverA 127.0.2.1 A1:64G
borrower_setup serverJ
borrower_setup serverK
admin "volume create Vol-L single serverA:A1" >/dev/null || fail "volume create"
P="$T/pki"
probe() {
	dsp_probe --ca "$P/ca.crt" --cert "$P/$1.crt" --key "$P/$1.key" \
		127.0.2.1 "${AGENT_PORT[serverA]}" data "$T/$1/state/Vol-L.mount" \
		"${@:2}"
}
unfenced() {
	! admin "show volume Vol-L" | grep -q "^fence "
}

# 1. A 64 GiB search, each read taking 4 s.
as serverJ allocate Vol-L >/dev/null || fail "allocate J"
as serverJ mount Vol-L >/dev/null || fail "mount J"
slow serverA r 4000 -1 serverA-A1
probe serverJ search A1 0 68719476736 >"$T/search.out" 2>&1 &
searcher=$!
sleep 1
t0=$(now_ms)
admin "volume force-release Vol-L" >"$T/release.out" || fail "force-release"
took=$(( $(now_ms) - t0 ))
# Either the release waited for the revocation past the first push's
# timeout, or it left it to the background, naming the lender.
if grep -q "tried again" "$T/release.out"; then
	admin "show volume Vol-L" | grep -q "^fence .*serverA has not acknowledged" ||
		fail "show volume does not name the lender that owes the ack"
elif [ "$took" -lt 2000 ]; then
	fail "the first revoke was not slow (${took} ms): $(cat "$T/release.out")"
fi
wait_for 20 unfenced || fail "the revocation was never acknowledged"
wait "$searcher"
grep -q "E_STALE.*revoked.*search stopped after [0-9]* of 68719476736 bytes" \
	"$T/search.out" || fail "the search did not stop: $(cat "$T/search.out")"
stopped=$(grep -n "search stopped after" "$T/serverA.log" | head -1 | cut -d: -f1)
acked=$(grep -n "volume Vol-L revoked below generation 2" "$T/serverA.log" |
	head -1 | cut -d: -f1)
[ -n "$stopped" ] && [ -n "$acked" ] || fail "agent log lacks the stop or the ack"
[ "$stopped" -lt "$acked" ] ||
	fail "generation 2 was acknowledged (line $acked) before the search stopped (line $stopped)"
grep -q "serverA acknowledged generation 2 after" "$T/mgr.log" ||
	fail "the manager did not retry the revocation"
slow serverA off

# 2. An erase of 1 GiB, each 64 MiB slice taking 3 s; the volume is lent
# again at once and the new borrower writes into the second slice.
as serverJ allocate Vol-L >/dev/null || fail "allocate J again"
as serverJ mount Vol-L >/dev/null || fail "mount J again"
slow serverA z 3000 -1 serverA-A1
probe serverJ erase A1 0 1073741824 >"$T/erase.out" 2>&1 &
eraser=$!
sleep 1
admin "volume force-release Vol-L" >"$T/release2.out" || fail "force-release 2"
wait_for 20 unfenced || fail "the erase's revocation was never acknowledged"
as serverK allocate Vol-L >/dev/null || fail "allocate K"
as serverK mount Vol-L >/dev/null || fail "mount K"
head -c 1M /dev/urandom >"$T/k"
as serverK write Vol-L --offset 100M --input "$T/k" || fail "write K"
wait "$eraser"
grep -q "E_STALE.*revoked.*zeroing stopped after 67108864 of 1073741824 bytes" \
	"$T/erase.out" || fail "the erase did not stop after its slice: $(cat "$T/erase.out")"
# Were the erase still running, its next slice would zero K's data now.
sleep 4
as serverK read Vol-L --offset 100M --length 1M --output "$T/back" || fail "read K"
cmp -s "$T/k" "$T/back" || fail "the revoked erase zeroed the new borrower's data"
slow serverA off
pass
