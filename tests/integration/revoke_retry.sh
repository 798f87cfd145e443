#!/usr/bin/env bash
# Revocations are retried until acknowledged: the agent does not answer
# (stopped) when a volume is force-unmounted; show volume names it and
# the failed attempts; once it answers again the background retry gets
# the acknowledgement without any re-registration, and the volume is
# lent again.
. "$(dirname "$0")/functions.sh"

HEARTBEAT_TIMEOUT=60 start_mgr
start_agent serverA 127.0.2.1 A1:16M
borrower_setup serverJ
borrower_setup serverK
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create"
as serverJ allocate Vol-1 >/dev/null && as serverJ mount Vol-1 >/dev/null ||
	fail "J borrows"

kill -STOP "${AGENT_PID[serverA]}"
admin "volume force-release Vol-1" >"$T/release.out" || fail "force-release"
grep -q "stays fenced until 1 lender acknowledges generation 2" "$T/release.out" ||
	fail "release said: $(cat "$T/release.out")"
admin "show volume Vol-1" >"$T/show.out"
grep -q "^fence .*serverA has not acknowledged generation 2 since" "$T/show.out" ||
	fail "show volume: $(cat "$T/show.out")"
grep -q "revocation: [0-9]* failed attempt" "$T/show.out" ||
	fail "show volume does not tell the attempts: $(cat "$T/show.out")"
expect_fail "acknowledge generation 2" as serverK allocate Vol-1
sleep 3
kill -CONT "${AGENT_PID[serverA]}"
wait_for 20 sh -c "! daspool-sh -s '$ADMIN_SOCK' -c 'show volume Vol-1' | grep -q '^fence '" ||
	fail "the revocation was not retried to the end"
grep -q "serverA acknowledged generation 2 after [0-9]* failed attempts" \
	"$T/mgr.log" || fail "the manager did not log the retried acknowledgement"
[ "$(grep -c "registered with manager" "$T/serverA.log")" -eq 1 ] ||
	fail "the agent registered again: the ack did not come from the retry"
as serverK allocate Vol-1 >/dev/null && as serverK mount Vol-1 >/dev/null ||
	fail "K borrows after the acknowledgement"
expect_fail "revoked" as serverJ read Vol-1 --offset 0 --length 4096 \
	--output "$T/back"
pass
