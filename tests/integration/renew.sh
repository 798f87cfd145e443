#!/usr/bin/env bash
# Tickets are renewed while mounted: with a 4 s ticket lifetime a borrower
# streaming for longer keeps working, and the agent sees newer tickets.
# An expired ticket that was never renewed is refused.
. "$(dirname "$0")/functions.sh"

TICKET_LIFETIME=4
start_mgr
start_agent serverA 127.0.2.1 A1:32M
borrower_setup serverJ
admin "volume create Vol-1 single serverA:A1" || fail "volume create"
as serverJ allocate Vol-1 >/dev/null || fail "allocate"
as serverJ mount Vol-1 >/dev/null || fail "mount"

head -c 8M /dev/urandom >"$T/a"
head -c 8M /dev/urandom >"$T/b"
{
	cat "$T/a"
	sleep 6
	cat "$T/b"
} | as serverJ write Vol-1 --offset 0 >"$T/write.out" 2>&1 ||
	fail "write across the ticket lifetime: $(cat "$T/write.out")"
cat "$T/a" "$T/b" | cmp - <(head -c 16M "$T/disks/serverA-A1") ||
	fail "data written across a renewal differs"
grep -q "renew" "$T/mgr.log" || fail "manager saw no renewal"

# A saved ticket left to expire is refused by the agent unless renewed:
# the client renews it at the manager before using it.
sleep 5
as serverJ read Vol-1 --offset 0 --length 1M --output "$T/back" ||
	fail "read with an expired saved ticket was not renewed"
cmp "$T/back" <(head -c 1M "$T/a") || fail "read after renewal differs"
pass
