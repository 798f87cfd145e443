#!/usr/bin/env bash
# I/O survives a manager outage. With 5 s tickets and the manager killed,
# a borrower keeps writing and reading for a minute: the agent, cut off
# from the manager too, honours the expired ticket of the newest
# generation. Once the manager is back the agent enforces expiry again
# and the borrower renews. A borrower cut off from the manager while the
# agent reaches it loses access at expiry.
. "$(dirname "$0")/functions.sh"

# A minute as asked; a third of it under the sanitizers, whose processes
# cost several times as much, to keep the suite's time.
case "$BUILD" in
*san*) OUTAGE_S=${OUTAGE_S:-20} ;;
*) OUTAGE_S=${OUTAGE_S:-60} ;;
esac
TICKET_LIFETIME=5	# for both starts of the manager
start_mgr
start_agent serverA 127.0.2.1 A1:16M A2:16M
borrower_setup serverJ
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create"
admin "volume create Vol-2 single serverA:A2" >/dev/null || fail "create 2"
for v in Vol-1 Vol-2; do
	as serverJ allocate $v >/dev/null && as serverJ mount $v >/dev/null ||
		fail "J borrows $v"
done
# One long-lived handle writes and checks Vol-2 all along, through the
# outage and the renewal after it.
DSP_LOAD_PAUSE_MS=200 dsp_load -f "$T/serverJ/daspool.conf" write Vol-2 8 \
	"$T/load.log" "$T/stop" >"$T/load.out" 2>&1 &
loader=$!
sleep 1

stop_mgr_hard
t0=$(date +%s)
n=0
while [ $(( $(date +%s) - t0 )) -lt "$OUTAGE_S" ]; do
	head -c 4096 /dev/urandom >"$T/w"
	off=$(( (n % 4096) * 4096 ))
	as serverJ write Vol-1 --offset "$off" --input "$T/w" 2>"$T/err" ||
		fail "write $n, $(( $(date +%s) - t0 )) s into the outage: $(cat "$T/err")"
	as serverJ read Vol-1 --offset "$off" --length 4096 --output "$T/r" \
		2>"$T/err" || fail "read $n during the outage: $(cat "$T/err")"
	cmp -s "$T/w" "$T/r" || fail "read $n differs"
	n=$((n + 1))
	sleep 0.5
done
echo "$n writes and reads over $OUTAGE_S s without the manager"
grep -q "out of reach: tickets of the newest generation are honoured" \
	"$T/serverA.log" || fail "the agent did not say it honours expired tickets"
cp "$T/serverJ/state/Vol-1.mount" "$T/expired.mount"

# The manager is back: expiry applies again, the borrower renews.
start_mgr
wait_for 15 grep -q "the manager answers again" "$T/serverA.log" ||
	fail "the agent did not reach the manager again"
as serverJ write Vol-1 --offset 0 --input "$T/w" || fail "write after the outage"
as serverJ read Vol-1 --offset 0 --length 4096 --output "$T/r" ||
	fail "read after the outage"
cmp -s "$T/w" "$T/r" || fail "data after the outage differs"
sleep 3
touch "$T/stop"
wait "$loader" || fail "the long-lived handle failed: $(cat "$T/load.out")"
dsp_load -f "$T/serverJ/daspool.conf" verify Vol-2 "$T/load.log" >"$T/verify.out" ||
	fail "Vol-2 lost acknowledged writes: $(cat "$T/verify.out")"
P="$T/pki"
out=$(dsp_probe --ca "$P/ca.crt" --cert "$P/serverJ.crt" --key "$P/serverJ.key" \
	127.0.2.1 "${AGENT_PORT[serverA]}" data "$T/expired.mount" read A1 0 4096)
echo "$out" | grep -q "E_EXPIRED" ||
	fail "an expired ticket was honoured with the manager back: $out"

# The borrower alone is cut off from the manager: access ends at expiry.
sed -i "s/^manager_port = .*/manager_port = $(free_port)/" "$T/serverJ/daspool.conf"
sleep 6
expect_fail "expired and cannot be renewed" \
	as serverJ read Vol-1 --offset 0 --length 4096 --output "$T/r"
pass
