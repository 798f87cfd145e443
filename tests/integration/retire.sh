#!/usr/bin/env bash
# server retire: a lending server gone for good is let go of. Refused
# while it is up; once it is down, volumes waiting only on its
# acknowledgement are no longer fenced, its regions are gone, its mirror
# legs out of sync, the command is audited, and it may not register
# again under its name.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:16M
start_agent serverB 127.0.2.2 B1:16M B2:16M
borrower_setup serverJ
borrower_setup serverK
admin "volume create Vol-1 single serverB:B1" >/dev/null || fail "create Vol-1"
admin "volume create Vol-M mirror serverA:A1 serverB:B2" >/dev/null ||
	fail "create Vol-M"
as serverJ allocate Vol-1 >/dev/null && as serverJ mount Vol-1 >/dev/null ||
	fail "J borrows Vol-1"

expect_fail "serverB is up" admin "server retire serverB"
expect_fail "no server|not registered|unknown" admin "server retire serverZ"
kill_agent serverB
wait_for 10 sh -c "! daspool-sh -s '$ADMIN_SOCK' -c 'show servers' | grep -Eq '^serverB .* up'" ||
	fail "serverB not marked down"
admin "volume force-release Vol-1" | grep -q "stays fenced" ||
	fail "Vol-1 not fenced with its lender gone"
admin "show volume Vol-1" | grep -q "^fence .*serverB has not acknowledged" ||
	fail "show volume does not name serverB"
expect_fail "acknowledge" admin "volume delete Vol-1"

admin "server retire serverB" >"$T/retire.out" || fail "retire: $(cat "$T/retire.out")"
grep -q "server serverB retired: its regions are gone; 2 volumes used it" \
	"$T/retire.out" || fail "retire said: $(cat "$T/retire.out")"
admin "show servers" | grep -Eq "^serverB .* retired" || fail "serverB not shown retired"
admin "show regions" | grep -E "^serverB .*B1" | grep -q "its server was retired" ||
	fail "B1 not shown gone"
admin "show volume Vol-1" | grep -q "^fence " && fail "Vol-1 still fenced"
admin "show audit" | grep -q "server-retire" || fail "retire not audited"
admin "volume delete Vol-1" >/dev/null || fail "delete Vol-1 after the retirement"

# The mirror lives on its other leg.
admin "show volume Vol-M" | grep -E "serverB" | grep -q "out-of-sync" ||
	fail "the retired leg is not out of sync"
as serverK allocate Vol-M >/dev/null && as serverK mount Vol-M >/dev/null ||
	fail "K borrows the degraded mirror"
head -c 1M /dev/urandom >"$T/m"
as serverK write Vol-M --offset 0 --input "$T/m" || fail "write Vol-M"
as serverK read Vol-M --offset 0 --length 1M --output "$T/back" || fail "read Vol-M"
cmp -s "$T/m" "$T/back" || fail "Vol-M data differs"

# It may not come back under that name.
launch_agent serverB
wait_for 10 grep -q "was retired; it may not register again" "$T/serverB.log" ||
	fail "the retired agent was not told why it cannot register"
admin "show servers" | grep -Eq "^serverB .* retired" || fail "serverB came back"
expect_fail "retired already" admin "server retire serverB"
pass
