#!/usr/bin/env bash
# Server and region state in the table: a region whose backing file is
# missing or smaller than configured is registered as unavailable with the
# reason, not dropped; a dead agent is shown down; allocation by minimum
# size picks the smallest free volume that fits.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:16M A2:16M A3:64M
borrower_setup serverJ
admin "volume create Vol-1 single serverA:A1" || fail "create Vol-1"
admin "volume create Vol-3 single serverA:A3" || fail "create Vol-3"

# By size: the smallest free volume of at least the size asked.
out=$(as serverJ allocate --min-size 10M) || fail "allocate by size"
echo "$out" | grep -q "Vol-1" || fail "allocate --min-size 10M did not pick Vol-1: $out"
out=$(as serverJ allocate --min-size 20M) || fail "allocate by size"
echo "$out" | grep -q "Vol-3" || fail "allocate --min-size 20M did not pick Vol-3: $out"
expect_fail "no free volume|space" as serverJ allocate --min-size 1G
expect_fail "size|unit" as serverJ allocate --min-size 12Q
as serverJ release Vol-1 || fail "release Vol-1"
as serverJ release Vol-3 || fail "release Vol-3"

kill_agent serverA
wait_for 15 bash -c "daspool-sh -s '$ADMIN_SOCK' -c 'show servers' | grep -Eq '^serverA[[:space:]].*down'" ||
	fail "dead agent not shown down"
expect_fail "down|unavailable" as serverJ allocate Vol-1

rm "$T/disks/serverA-A2"
truncate -s 8M "$T/disks/serverA-A1"
restart_agent serverA
admin "show regions" >"$T/regions"
grep -E "^serverA[[:space:]]+A2[[:space:]]" "$T/regions" | grep -qi "No such file" ||
	fail "missing region A2 not reported with its reason: $(cat "$T/regions")"
grep -E "^serverA[[:space:]]+A1[[:space:]]" "$T/regions" | grep -Eqi "too small|needs" ||
	fail "short region A1 not reported with its reason: $(cat "$T/regions")"
grep -Eq "^serverA[[:space:]]+A3[[:space:]].*available" "$T/regions" ||
	fail "good region A3 not available"
expect_fail "unavailable" admin "volume create Vol-2 single serverA:A2"
expect_fail "unavailable" as serverJ allocate Vol-1
as serverJ allocate Vol-3 >/dev/null || fail "healthy volume not lendable"
pass
