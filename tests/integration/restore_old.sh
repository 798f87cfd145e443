#!/usr/bin/env bash
# A manager restored from an older copy of its store: after the copy,
# borrowers went on lending (each unmount raised a generation the copy
# does not know) and one still holds a volume it allocated after the
# copy. The restored manager never issues a ticket an agent refuses as
# stale, nor one below the highest generation an agent has seen: every
# volume is lent again and works, at a generation above any seen
# before. The borrower that kept its volume across the restore loses it
# (its ticket is revoked), and that volume is lent to one borrower only.
# A mirror leg that failed after the copy is not taken back for in sync:
# the lenders' newer record holds the volume until the admin resolves it.
# What makes a copy old is the lending after it, not minutes: six
# rounds of every volume's lending come after this one.
. "$(dirname "$0")/functions.sh"

MGR_CONF_EXTRA="backup_dir = \"$T/copies\""
start_mgr
start_agent serverA 127.0.11.1 A1:4M A2:4M A3:4M
start_agent serverB 127.0.11.2 B1:4M B2:4M B3:4M
admin "volume create V1 single serverA:A1" >/dev/null &&
	admin "volume create V2 single serverB:B1" >/dev/null &&
	admin "volume create V3 mirror serverA:A2 serverB:B2" >/dev/null &&
	admin "volume create V4 concat serverA:A3 serverB:B3" >/dev/null ||
	fail "create the volumes"
for h in 1 2 3 4 5; do borrower_setup "host$h"; done
head -c 64K /dev/urandom >"$T/data"

cycle() {	# cycle HOST VOLUME: one whole lending
	as "$1" allocate "$2" >/dev/null && as "$1" mount "$2" >/dev/null &&
		as "$1" write "$2" --input "$T/data" &&
		as "$1" unmount "$2" >/dev/null && as "$1" release "$2" >/dev/null
}
for v in 1 2 3 4; do cycle "host$v" "V$v" || fail "cycle V$v"; done
admin "store copy" >"$T/copy.out" || fail "store copy: $(cat "$T/copy.out")"
copy=$(grep -o "$T/copies/store-[0-9TZ]*\.mdb" "$T/copy.out" | head -1)
[ -f "$copy" ] || fail "no copy: $(cat "$T/copy.out")"
cp "$copy" "$T/old.mdb"

# After the copy: six more rounds, then host1 keeps V1.
for round in 1 2 3 4 5 6; do
	for v in 1 2 3 4; do
		cycle "host$v" "V$v" || fail "cycle V$v, round $round"
	done
done
# V3's leg on serverB fails after the copy: the lenders know it, the
# copy does not. Its stale leg then holds noise.
as host3 allocate V3 >/dev/null && as host3 mount V3 >/dev/null ||
	fail "host3 borrows V3"
kill_agent serverB
as host3 write V3 --input "$T/data" || fail "degraded write of V3"
as host3 unmount V3 >/dev/null && as host3 release V3 >/dev/null ||
	fail "host3 gives V3 back"
restart_agent serverB
head -c 4M /dev/urandom | dd of="$T/disks/serverB-B2" conv=notrunc status=none
current() { ! admin "show volume V3" | grep -q "^record"; }
wait_for 10 current || fail "V3's record not pushed: $(admin "show volume V3")"
as host1 allocate V1 >/dev/null && as host1 mount V1 >/dev/null ||
	fail "host1 borrows V1"
as host1 write V1 --input "$T/data" || fail "host1 writes V1"
declare -A seen
for v in 1 2 3 4; do
	seen[$v]=$(admin "show volume V$v" | awk '$1 == "generation" { print $2 }')
done

# The appliance comes back from the old copy.
stop_mgr_hard
daspool-mgr -d -v -f "$T/mgr/daspool-mgr.conf" --restore "$T/old.mdb" --force \
	>>"$T/mgr.log" 2>&1 &
MGR_PID=$!
PIDS+=("$MGR_PID")
wait_for 10 admin "show servers" || fail "the restored manager did not start"
admin "show audit 200" | grep -q "restored from old.mdb" || fail "no restore in the audit trail"

# V3: its lenders keep a newer record than the copy; it is held until
# the admin takes the lenders' word, and its stale leg stays out of sync.
wait_for 20 server_is_up serverA && wait_for 20 server_is_up serverB ||
	fail "the lenders did not register: $(admin "show servers")"
held() { admin "show volume V3" | grep -q "^held .*keeps a newer record"; }
wait_for 20 held || fail "V3 is not held: $(admin "show volume V3")"
# Asked at once, the resolve waits for serverA's record still on its way.
expect_fail "held" as host4 allocate V3
admin "volume resolve V3 serverA" >/dev/null || fail "resolve V3"
admin "show volume V3" | grep -Eq "serverB +B2 .*out-of-sync" ||
	fail "V3's failed leg came back in sync: $(admin "show volume V3")"

# Every volume is lent again, at a generation above any seen; each
# ticket works at the agents (a stale one would fail the write).
for v in 1 2 3 4; do
	h=$((v + 1))
	wait_for 20 as "host$h" allocate "V$v" ||
		fail "V$v not lent after the restore: $(as "host$h" allocate "V$v" 2>&1)"
	as "host$h" mount "V$v" >"$T/mount$v" || fail "mount V$v after the restore"
	gen=$(awk '$1 == "generation" { print $2 }' "$T/mount$v")
	[ -n "$gen" ] && [ "$gen" -gt "${seen[$v]}" ] ||
		fail "V$v ticket of generation $gen; the agents had seen ${seen[$v]}"
	as "host$h" write "V$v" --input "$T/data" || fail "write V$v with the new ticket"
	as "host$h" read "V$v" --length 64K --output "$T/back" || fail "read V$v"
	cmp -s "$T/data" "$T/back" || fail "V$v reads back different data"
done
for a in serverA serverB; do
	grep -q "host[2-5].*E_STALE" "$T/$a.log" &&
		fail "$a refused a ticket of the restored manager as stale: $(grep "E_STALE" "$T/$a.log" | head -3)"
done
# host1's ticket of V1, lent after the copy, is revoked: V1 has one
# borrower, host2.
expect_fail "revoked|stale" as host1 read V1 --length 4K --output "$T/back"
admin "show volume V1" | grep -Eq "^borrower +host2$" ||
	fail "V1 is not lent to host2 alone: $(admin "show volume V1")"
pass
