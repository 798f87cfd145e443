#!/usr/bin/env bash
# An agent whose state_dir was lost knows of no revocation: it serves no
# data until its first registration has told it the current generations.
# Before that even a revoked ticket that has not expired is refused (as
# is every other); after it, the revoked ticket is refused as stale and
# the current one works.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:16M
borrower_setup serverJ
borrower_setup serverK
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create"
as serverJ allocate Vol-1 >/dev/null && as serverJ mount Vol-1 >/dev/null ||
	fail "J borrows"
admin "volume force-release Vol-1" | grep -q "revoked at every lender" ||
	fail "force-release"
as serverK allocate Vol-1 >/dev/null && as serverK mount Vol-1 >/dev/null ||
	fail "K borrows"
head -c 1M /dev/urandom >"$T/k"
as serverK write Vol-1 --offset 0 --input "$T/k" || fail "K writes"

# The agent loses its state while the manager is down.
kill_agent serverA
stop_mgr_hard
rm -rf "$T/serverA/state"
launch_agent serverA
wait_for 10 grep -q "listening on" "$T/serverA.log" || fail "agent did not start"
before=$(sha "$T/disks/serverA-A1")
expect_fail "serves no data until it has registered" \
	as serverJ write Vol-1 --offset 0 --input "$T/k"
expect_fail "serves no data until it has registered" \
	as serverK read Vol-1 --offset 0 --length 1M --output "$T/back"
[ "$(sha "$T/disks/serverA-A1")" = "$before" ] || fail "a write got through"

# Once registered, the revoked ticket is stale and the current one works.
# The manager lists the server up at REGISTER; the agent serves once it
# has taken every page of generations, which its log line says.
registered() {
	[ "$(grep -c "registered with manager" "$T/serverA.log")" -gt "$1" ]
}
before_count=$(grep -c "registered with manager" "$T/serverA.log")
start_mgr
wait_for 15 registered "$before_count" || fail "agent did not register"
expect_fail "has been revoked" as serverJ write Vol-1 --offset 0 --input "$T/k"
as serverK read Vol-1 --offset 0 --length 1M --output "$T/back" ||
	fail "K's current ticket refused after the registration"
cmp -s "$T/k" "$T/back" || fail "K's data changed"
[ "$(sha "$T/disks/serverA-A1")" = "$before" ] || fail "J's write got through"
pass
