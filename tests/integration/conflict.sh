#!/usr/bin/env bash
# A lender whose agent restarted from an older copy of its state_dir
# disagrees with the others when the table is rebuilt: its volume is
# listed held, with the conflict named, and stays fenced (never lent)
# until an admin resolves it; a volume all its lenders agree on comes
# back at once. Resolving takes the newest record, pushes it to every
# lender, and the data reads back.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.10.1 A1:8M A2:4M
start_agent serverB 127.0.10.2 B1:8M
borrower_setup serverJ
admin "volume create Vol-M mirror serverA:A1 serverB:B1" || fail "create Vol-M"
admin "volume create Vol-S single serverA:A2" || fail "create Vol-S"
current() { ! admin "show volume $1" | grep -q "^record"; }
wait_for 10 current Vol-M || fail "records not pushed: $(admin "show volume Vol-M")"

# An old copy of serverB's state, taken while it is stopped.
kill_agent serverB
cp -a "$T/serverB/state" "$T/serverB-state.old"
restart_agent serverB

# The volume goes on: lent, written, unmounted (a new generation).
head -c 8M /dev/urandom >"$T/data"
as serverJ allocate Vol-M >/dev/null && as serverJ mount Vol-M >/dev/null ||
	fail "borrow Vol-M"
as serverJ write Vol-M --input "$T/data" || fail "write Vol-M"
as serverJ unmount Vol-M >/dev/null && as serverJ release Vol-M >/dev/null ||
	fail "give back Vol-M"
wait_for 10 current Vol-M || fail "records not pushed: $(admin "show volume Vol-M")"

# The appliance's disk is lost, and serverB comes back from its old copy.
stop_mgr_hard
rm -rf "$T/mgr/state"
kill_agent serverB
rm -rf "$T/serverB/state"
cp -a "$T/serverB-state.old" "$T/serverB/state"
launch_agent serverB
MGR_CONF_EXTRA="rebuild = yes"
start_mgr
wait_for 20 server_is_up serverA && wait_for 20 server_is_up serverB ||
	fail "the lenders did not register: $(admin "show servers")"
held() {
	admin "show volumes" | grep -w Vol-M | grep -qw held &&
		admin "show volume Vol-M" | grep -q "^held .*older record"
}
wait_for 20 held || fail "Vol-M is not held: $(admin "show volume Vol-M")"
admin "show volume Vol-M" >"$T/show"
grep -q "^held .*server serverB keeps an older record (generation 1 " "$T/show" ||
	fail "the conflict is not named: $(cat "$T/show")"
grep -q "^record .*server serverA: generation 2 " "$T/show" &&
	grep -q "^record .*server serverB: generation 1 " "$T/show" ||
	fail "the lenders' records are not listed: $(cat "$T/show")"
admin "show volumes" | grep -w Vol-S | grep -qw held &&
	fail "Vol-S, on which its lender agrees, is held: $(admin "show volumes")"
grep -q "volume Vol-M is held" "$T/mgr.log" || fail "the hold is not logged"

# Fenced until resolved, across a restart of the manager too.
expect_fail "held" as serverJ allocate Vol-M
expect_fail "held|no free volume" as serverJ allocate --min-size 8M
stop_mgr_hard
start_mgr
wait_for 20 server_is_up serverA && wait_for 20 server_is_up serverB ||
	fail "the lenders did not register again: $(admin "show servers")"
wait_for 20 held || fail "Vol-M not held after a restart: $(admin "show volumes")"
expect_fail "held" as serverJ allocate Vol-M
expect_fail "reported no record" admin "volume resolve Vol-M serverZ"
expect_fail "not held" admin "volume resolve Vol-S"

admin "volume resolve Vol-M" >"$T/resolve" || fail "resolve: $(cat "$T/resolve")"
grep -q "resolved with the record of serverA" "$T/resolve" ||
	fail "resolve took another record: $(cat "$T/resolve")"
admin "show audit" | grep -q "resolve" || fail "resolve not audited"
wait_for 10 current Vol-M || fail "the resolved record was not pushed: $(admin "show volume Vol-M")"
wait_for 10 as serverJ allocate Vol-M || fail "Vol-M not lent after resolve"
as serverJ mount Vol-M >/dev/null || fail "mount Vol-M after resolve"
as serverJ read Vol-M --length 8M --output "$T/back" || fail "read Vol-M"
[ "$(sha "$T/back")" = "$(sha "$T/data")" ] || fail "Vol-M reads back different data"
pass
