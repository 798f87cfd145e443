#!/usr/bin/env bash
# The brief's example pool on this machine, sizes scaled from GB to MB: a
# fresh PKI, the manager, six lenders (serverA/B/C/D/E/X, each on its own
# 127.0.2.x with file-backed regions) and the virtual disk table
#
#   Vol-1 single  serverA:A2
#   Vol-2 concat  serverB:B2 + serverC:C2
#   Vol-3 mirror  serverD:D  + serverE:E
#   Vol-4, Vol-5  split of serverX:X2
#
# Borrower serverJ runs the lending loop on Vol-1 (allocate, mount,
# write, read, search, erase, unmount, release) and then uses each other
# form; the mirror loses a lender, keeps working degraded and is
# resynchronised when it returns. The table is printed after each step.
# Then the nightly backup copies every volume to a virtual tape library
# (daspool-backup run, list, verify, tapes).
# The NOC's view runs beside it: a real snmpd as AgentX master on
# 127.0.5.1 (a free UDP port, its AgentX socket in the demo directory),
# daspool-snmp serving DASPOOL-MIB from the manager's store, and a real
# snmptrapd receiving the notifications; snmptable of the virtual disk
# table is printed next to `show volumes`, and the notifications sent
# while serverD's agent was killed and restarted are printed after it.
# Everything is removed on exit.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
# A dead lender is given up on after this long (the mirror step).
: "${CLIENT_TIMEOUT:=5}"
. "$top/tests/integration/functions.sh"

step() {
	echo
	echo "== $*"
}

table() {
	admin "show volumes" | sed 's/^/   /'
}

# Shows each command as the admin or the borrower would type it.
shell() {
	echo "appliance# daspool-sh -c \"$*\""
	admin "$@" | sed 's/^/   /'
	[ "${PIPESTATUS[0]}" = 0 ] || fail "daspool-sh -c \"$*\" failed"
}

borrow() {
	echo "serverJ\$ daspool $*"
	as serverJ "$@" | sed 's/^/   /'
	[ "${PIPESTATUS[0]}" = 0 ] || fail "daspool $* failed"
}

# Shows a refusal: the command must fail, and its error is printed.
refused() {
	local out
	echo "serverJ\$ daspool $*"
	if out=$(as serverJ "$@" 2>&1); then
		fail "daspool $* was not refused"
	fi
	echo "$out" | sed 's/^/   (refused) /'
}

# same FILE1 FILE2 WHAT
same() {
	cmp -s "$1" "$2" || fail "$3 differs"
	echo "   $3 identical ($(sha "$2" | cut -c1-16)...)"
}

step "pool CA and certificates (daspool-pki, mbedTLS)"
pki_init
for h in serverA serverB serverC serverD serverE serverX; do
	pki_issue "$h" agent
done
pki_issue serverJ borrower
ls "$T/pki" | paste -sd' ' | fold -s -w 76 | sed 's/^/   /'

step "manager on $MGR_ADDR; six agents register their spare regions"
start_mgr
start_agent serverA 127.0.2.1 A1:64M A2:200M
start_agent serverB 127.0.2.2 B2:200M
start_agent serverC 127.0.2.3 C2:200M
start_agent serverD 127.0.2.4 D:100M
start_agent serverE 127.0.2.5 E:100M
start_agent serverX 127.0.2.24 X2:100M
admin "show servers" | sed 's/^/   /'
admin "show regions" | sed 's/^/   /'

step "admin builds the example pool: one volume of each usage form"
shell "volume create Vol-1 single serverA:A2"
shell "volume create Vol-2 concat serverB:B2 serverC:C2"
shell "volume create Vol-3 mirror serverD:D serverE:E"
shell "volume split serverX:X2 Vol-4:50M Vol-5:rest"
table

. "$top/tests/integration/snmp_functions.sh"
snmp_setup
start_snmpd
start_trapd
start_subagent
step "NOC: snmpd on $SNMPD_ADDR:$SNMPD_PORT (AgentX master), daspool-snmp, snmptrapd on $TRAPD_ADDR:$TRAPD_PORT"
# noc: the NOC's view of the virtual disk table, beside the shell's.
noc() {
	echo "noc\$ snmptable -v 2c -c $COMMUNITY -Cb -OU $SNMPD_ADDR:$SNMPD_PORT dspVdiskTable"
	v2c snmptable -Cb -OU -- dspVdiskTable | sed 's/^/   /'
	echo "appliance# daspool-sh -c \"show volumes\""
	table
}
echo "noc\$ snmpget -v 3 -l authPriv -u $V3_USER -a SHA-256 -x AES ... dspServersUp.0 dspVolumesTotal.0 dspCapacityFree.0"
v3 snmpget -OU -- dspServersUp.0 dspVolumesTotal.0 dspCapacityFree.0 | sed 's/^/   /'
noc

borrower_setup serverJ
step "single: serverJ allocates Vol-1"
borrow allocate Vol-1
table

step "serverJ mounts Vol-1: mount info + signed mount ticket"
borrow mount Vol-1
table

step "serverJ writes 16 MiB straight to serverA (mutual TLS)"
head -c 16M /dev/urandom >"$T/data"
printf 'daspool-demo-marker' | dd of="$T/data" bs=1 seek=9000000 conv=notrunc status=none
borrow write Vol-1 --offset 4M --input "$T/data"

step "serverJ reads it back"
borrow read Vol-1 --offset 4M --length 16M --output "$T/back"
same "$T/data" "$T/back" "read back"

step "serverJ searches for a marker (written at 4M + 9000000)"
borrow search Vol-1 daspool-demo-marker

step "serverJ erases 1 MiB"
borrow erase Vol-1 --offset 4M --length 1M

step "serverJ unmounts Vol-1 (ticket revoked at serverA)"
borrow unmount Vol-1
table

step "serverJ releases Vol-1"
borrow release Vol-1
table

step "concat: Vol-2 is B2 (200M on serverB) then C2 (200M on serverC)"
borrow allocate Vol-2
borrow mount Vol-2
echo "   4 MiB written across the seam at 200M: half to serverB, half to serverC"
head -c 4M /dev/urandom >"$T/seam"
printf 'seam-marker' | dd of="$T/seam" bs=1 seek=$(((2 << 20) - 5)) conv=notrunc status=none
borrow write Vol-2 --offset 198M --input "$T/seam"
borrow read Vol-2 --offset 198M --length 4M --output "$T/back"
same "$T/seam" "$T/back" "read back across the seam"
cmp -s <(tail -c 2M "$T/disks/serverB-B2") <(head -c 2M "$T/seam") &&
	cmp -s <(head -c 2M "$T/disks/serverC-C2") <(tail -c 2M "$T/seam") ||
	fail "the halves are not at the end of B2 and the start of C2"
echo "   serverB's B2 ends with the first 2 MiB, serverC's C2 starts with the rest"
echo "   search for a marker at 200M - 5 (it straddles the seam):"
borrow search Vol-2 seam-marker
refused read Vol-2 --offset 400M --length 1
table

step "split: Vol-4 (50M) and Vol-5 (the rest) are two volumes of X2"
borrow allocate Vol-4
borrow mount Vol-4
borrow allocate Vol-5
borrow mount Vol-5
head -c 1M /dev/urandom >"$T/p4"
head -c 1M /dev/urandom >"$T/p5"
printf 'split-marker' | dd of="$T/p5" bs=1 seek=4096 conv=notrunc status=none
borrow write Vol-4 --offset 0 --input "$T/p4"
borrow write Vol-5 --offset 0 --input "$T/p5"
borrow read Vol-5 --offset 0 --length 1M --output "$T/back"
same "$T/p5" "$T/back" "Vol-5 read back"
cmp -s <(dd if="$T/disks/serverX-X2" bs=1M skip=50 count=1 status=none) "$T/p5" ||
	fail "Vol-5 is not at X2's offset 50M"
echo "   Vol-5's offset 0 is X2's offset 50M"
borrow search Vol-5 split-marker
refused write Vol-4 --offset 50M --input "$T/p4"
noc

step "mirror: Vol-3 keeps every write on serverD:D and serverE:E"
borrow allocate Vol-3
borrow mount Vol-3
head -c 8M /dev/urandom >"$T/m1"
printf 'mirror-marker' | dd of="$T/m1" bs=1 seek=777 conv=notrunc status=none
borrow write Vol-3 --offset 0 --input "$T/m1"
cmp -s -n 8388608 "$T/disks/serverD-D" "$T/disks/serverE-E" ||
	fail "the legs differ after a write in sync"
echo "   serverD's D and serverE's E hold the same bytes"
borrow search Vol-3 mirror-marker
admin "show volume Vol-3" | sed 's/^/   /'

step "mirror: serverD's agent dies (kill -9); serverJ keeps writing, degraded"
traps_before=$(grep -c . "$T/traps.txt" 2>/dev/null)
kill_agent serverD
head -c 6M /dev/urandom >"$T/m2"
borrow write Vol-3 --offset 20M --input "$T/m2"
borrow read Vol-3 --offset 20M --length 6M --output "$T/back"
same "$T/m2" "$T/back" "read back while degraded (from serverE)"
table
admin "show volume Vol-3" | sed 's/^/   /'
admin "show volume Vol-3" | grep -Eq "^health[[:space:]]+degraded" ||
	fail "Vol-3 is not degraded with serverD down"
dirty=$(admin "show volume Vol-3" | awk '/^dirty chunks/ { print $3 }')

step "mirror: serverD returns; serverJ resynchronises the dirty chunks"
restart_agent serverD
echo "serverJ\$ daspool resync Vol-3 --timeout 60"
out=$(as serverJ resync Vol-3 --timeout 60) || fail "daspool resync Vol-3 failed"
echo "   $out"
echo "$out" | grep -q "every leg in sync" || fail "resync said: $out"
# The manager's record of the resync: leg 0's last-copied column.
copied=$(admin "show volume Vol-3" | awk '$1 == "0" && $2 == "serverD" { print $8 }')
[ -n "$copied" ] && [ -n "$dirty" ] && [ "$copied" -ge "$dirty" ] &&
	[ "$copied" -lt 100 ] ||
	fail "resync copied '$copied' chunks; $dirty of 100 were dirty"
echo "   the manager recorded $copied of 100 chunks copied ($dirty were dirty), not the whole leg"
cmp -s -n $((100 << 20)) "$T/disks/serverD-D" "$T/disks/serverE-E" ||
	fail "the legs differ after the resync"
echo "   serverD's D and serverE's E are identical again"
table
admin "show volume Vol-3" | sed 's/^/   /'
admin "show volume Vol-3" | grep -Eq "^health[[:space:]]+ok" ||
	fail "Vol-3 is not ok after the resync"

step "NOC: the notifications snmptrapd received since serverD's agent was killed"
wait_for 5 grep -q "dspVolumeOk" "$T/traps.txt" || fail "no dspVolumeOk notification"
tail -n +"$((traps_before + 1))" "$T/traps.txt" |
	sed -E 's/^TRAP , [^,]*, [^,]*= OID: DASPOOL-MIB::([A-Za-z]+), /\1: /; s/DASPOOL-MIB:://g' |
	sed 's/^/   /'
noc

step "serverJ gives everything back"
for v in Vol-2 Vol-3 Vol-4 Vol-5; do
	borrow unmount $v
	borrow release $v
done
table

step "nightly backup: daspool-backup copies every volume to the tape library (vtl)"
backup_setup backup1
bconf="$T/backup1/daspool-backup.conf"
daspool-backup make-library "$T/library" --slots 4 --tapes 2 --capacity 1G \
	>/dev/null || fail "make-library"
daspool-backup label 1 DSP001 --library "$T/library" >/dev/null ||
	fail "label DSP001"
# backup COMMAND...: shows it as the backup operator types it.
backup() {
	echo "backup\$ daspool-backup $*"
	daspool-backup -f "$bconf" "$@" >"$T/backup.out" 2>&1
	local rc=$?
	sed 's/^/   /' "$T/backup.out"
	[ $rc = 0 ] || fail "daspool-backup $* failed"
}
backup run
backup list
backup verify 3
backup tapes

step "audit trail"
admin "show audit" | sed 's/^/   /'
echo
echo "demo complete"
