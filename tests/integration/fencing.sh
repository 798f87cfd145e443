#!/usr/bin/env bash
# Fencing: after a force-unmount and lending to a second borrower, the
# first borrower's old ticket is refused by the agent and its writes change
# nothing on disk. A force-unmounted volume is not lent again until the
# agent has acknowledged the new generation.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:16M
borrower_setup serverJ
borrower_setup serverK
admin "volume create Vol-1 single serverA:A1" || fail "volume create"

as serverJ allocate Vol-1 >/dev/null || fail "allocate J"
as serverJ mount Vol-1 >/dev/null || fail "mount J"
head -c 1M /dev/urandom >"$T/j1"
as serverJ write Vol-1 --offset 0 --input "$T/j1" || fail "write J"

admin "volume force-unmount Vol-1" || fail "force-unmount"
admin "volume force-release Vol-1" || fail "force-release"
admin "show volumes" | grep "Vol-1" | grep -q serverJ && fail "J still in table"
admin "show audit" | grep -q "force-unmount" || fail "force-unmount not audited"

as serverK allocate Vol-1 >/dev/null || fail "allocate K"
as serverK mount Vol-1 >/dev/null || fail "mount K"
head -c 1M /dev/urandom >"$T/k1"
as serverK write Vol-1 --offset 0 --input "$T/k1" || fail "write K"

before=$(sha "$T/disks/serverA-A1")
head -c 1M /dev/urandom >"$T/j2"
# J still holds its mount info and old ticket: the agent must refuse it.
expect_fail "revoked|generation|stale" \
	as serverJ write Vol-1 --offset 0 --input "$T/j2"
expect_fail "revoked|generation|stale|lent" \
	as serverJ read Vol-1 --offset 0 --length 1M --output "$T/back"
[ "$(sha "$T/disks/serverA-A1")" = "$before" ] || fail "J's write changed the disk"
grep -Eqi "refus|revoked|stale" "$T/serverA.log" || fail "agent logged no refusal"

# K's ticket would work, but not for J: the TLS peer must be the borrower.
cp "$T/serverK/state/"* "$T/serverJ/state/" 2>/dev/null
expect_fail "borrower|not yours|peer" \
	as serverJ write Vol-1 --offset 0 --input "$T/j2"
[ "$(sha "$T/disks/serverA-A1")" = "$before" ] || fail "forged write changed the disk"

# Force-unmount while the agent is down: the volume stays fenced until the
# agent comes back and acknowledges the new generation.
kill_agent serverA
admin "volume force-unmount Vol-1" || fail "force-unmount with agent down"
admin "volume force-release Vol-1" || fail "force-release with agent down"
admin "show volumes" | grep "Vol-1" | grep -qi "fenced" || fail "volume not shown fenced"
restart_agent serverA
wait_for 10 as serverJ allocate Vol-1 || fail "volume never unfenced"
as serverJ mount Vol-1 >/dev/null || fail "mount after unfence"
as serverK read Vol-1 --offset 0 --length 1M --output "$T/back" 2>/dev/null &&
	fail "K's old ticket still reads after force-unmount"
as serverJ read Vol-1 --offset 0 --length 1M --output "$T/back" || fail "J read"
cmp "$T/back" "$T/k1" || fail "data lost across the fence"
pass
