#!/usr/bin/env bash
# Fair agents: requests of different volumes do not wait on each other.
# While one borrower runs a 64 GiB search as a single request, another
# borrower attaches a volume of the same agent and its 4 KiB reads keep
# a p99 under 50 ms. A forced release then stops the search between two
# of its slices.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:64G A2:16M
borrower_setup serverJ
borrower_setup serverK
admin "volume create Vol-S single serverA:A1" >/dev/null || fail "create Vol-S"
admin "volume create Vol-R single serverA:A2" >/dev/null || fail "create Vol-R"
as serverJ allocate Vol-S >/dev/null && as serverJ mount Vol-S >/dev/null ||
	fail "J borrows Vol-S"
as serverK allocate Vol-R >/dev/null && as serverK mount Vol-R >/dev/null ||
	fail "K borrows Vol-R"
head -c 16M /dev/urandom >"$T/r"
as serverK write Vol-R --offset 0 --input "$T/r" || fail "K writes"

P="$T/pki"
dsp_probe --ca "$P/ca.crt" --cert "$P/serverJ.crt" --key "$P/serverJ.key" \
	127.0.2.1 "${AGENT_PORT[serverA]}" data "$T/serverJ/state/Vol-S.mount" \
	search A1 0 68719476736 >"$T/search.out" 2>&1 &
searcher=$!
sleep 1
dsp_latency -f "$T/serverK/daspool.conf" Vol-R 4096 1000 >"$T/lat.out" ||
	fail "K's reads failed: $(cat "$T/lat.out")"
cat "$T/lat.out"
kill -0 "$searcher" 2>/dev/null || fail "the search ended before the reads did"
read -r _ _ _ _ _ p99 _ _ <"$T/lat.out"
awk -v p="$p99" 'BEGIN { exit !(p < 50) }' ||
	fail "p99 of K's 4 KiB reads is $p99 ms during the search (limit 50)"

t0=$(now_ms)
admin "volume force-release Vol-S" | grep -q "revoked at every lender" ||
	fail "the forced release did not revoke"
wait "$searcher"
echo "search stopped in $(( $(now_ms) - t0 )) ms"
grep -q "E_STALE.*search stopped after [0-9]* of 68719476736 bytes" \
	"$T/search.out" || fail "the search did not stop: $(cat "$T/search.out")"
pass
