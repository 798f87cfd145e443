#!/usr/bin/env bash
# The backup over SNMP: daspool-snmp waits for a catalog the backup has
# not made yet (said once) and serves an empty dspBackupTable and zero
# counts meanwhile; after a real `daspool-backup run`, snmptable shows
# each copy with its volume, kind (a mounted volume's is fuzzy) and
# tapes (a copy that went on on a second tape names both), and the
# dspBackup scalars the run's counts; later runs that skip a mounted
# volume and fail for want of tape say so; a verify that finds a
# flipped byte on the tape shows the copy bad, with the verify's time.
# A copy going on (reads slowed) shows running, its volume and the
# bytes due; its process killed, the run is no longer running and the
# last run's counts stay.
. "$(dirname "$0")/functions.sh"
. "$(dirname "$0")/snmp_functions.sh"

start_mgr
AGENT_SLOW[serverA]=1
start_agent serverA 127.0.3.1 A1:8M
start_agent serverB 127.0.3.2 B1:4M
start_agent serverC 127.0.3.3 C1:4M
admin "volume create Vol-1 single serverA:A1" >/dev/null &&
	admin "volume create Vol-2 concat serverB:B1 serverC:C1" >/dev/null ||
	fail "create"
borrower_setup serverJ
for v in Vol-1 Vol-2; do
	as serverJ allocate "$v" >/dev/null && as serverJ mount "$v" >/dev/null &&
		head -c 8M /dev/urandom | as serverJ write "$v" --input - ||
		fail "write $v"
done
# Vol-1 stays mounted: copied live, "fuzzy".
as serverJ unmount Vol-2 >/dev/null && as serverJ release Vol-2 >/dev/null ||
	fail "give back Vol-2"

snmp_setup
start_snmpd
start_subagent
wait_for 5 grep -q "waiting for the backup's catalog in $T/catalog" \
    "$T/subagent.log" || fail "the subagent did not say it waits for the catalog"

# scalar NAME: a dspBackup scalar's value.
scalar() {
	v2c snmpget -Oqv -- "DASPOOL-MIB::$1.0"
}

[ "$(scalar dspBackupCopies)" = 0 ] || fail "copies before any: $(scalar dspBackupCopies)"
[ "$(scalar dspBackupRunning)" = false ] || fail "running before any run"
[ "$(v2c snmpwalk -CI -Oqn -- DASPOOL-MIB::dspBackupTable)" = "" ] ||
	fail "a table before the catalog: $(v2c snmpwalk -- DASPOOL-MIB::dspBackupTable)"

backup_setup backup1
conf="$T/backup1/daspool-backup.conf"
lib="$T/library"
daspool-backup make-library "$lib" --slots 4 --tapes 3 --capacity 12M >/dev/null ||
	fail "make-library"
for s in 1 2; do
	daspool-backup label "$s" "DSP00$s" --library "$lib" >/dev/null || fail "label $s"
done
out=$(daspool-backup -f "$conf" run) || fail "run: $out"
echo "$out" | grep -q "^run ended: 2 copied, 0 skipped, 0 failed" || fail "the run: $out"
wait_for 5 grep -q "serving the backup's catalog in $T/catalog" "$T/subagent.log" ||
	fail "the subagent did not open the catalog"
[ "$(grep -c "waiting for the backup's catalog" "$T/subagent.log")" = 1 ] ||
	fail "the wait was said more than once: $(cat "$T/subagent.log")"

table=$(v2c snmptable -OU -Cf '|' -CH -- DASPOOL-MIB::dspBackupTable) ||
	fail "snmptable: $table"
echo "$table" >"$T/table.txt"
echo "$table"
# volume|made|kind|state|verified|size|stored|tapes
[ "$(echo "$table" | awk -F'|' '{ print $1, $3, $4, $5, $6, $8 }')" = \
"Vol-1 fuzzy ok  8388608 DSP001:0
Vol-2 clean ok  8388608 DSP001:1 DSP002:0" ] || fail "the table: $table"
! echo "$table" | cut -d'|' -f2 |
    grep -Evq '^[0-9]{4}-[0-9]+-[0-9]+,[0-9]+:[0-9]+:[0-9]+\.0$' ||
	fail "the times made: $table"
echo "$table" | awk -F'|' '$7 <= 8388608 { exit 1 }' ||
	fail "bytes stored are not the image and its archive: $table"
# The index is the copy's number, as daspool-backup list gives it.
[ "$(v2c snmpget -Oqv -- DASPOOL-MIB::dspBackupCopyVolume.2)" = Vol-2 ] ||
	fail "copy 2 by its number"

scalars=$(v2c snmpwalk -OUq -- DASPOOL-MIB::dspBackup) || fail "walk dspBackup"
echo "$scalars"
for want in "dspBackupRunning.0 false" "dspBackupCurrentVolume.0 " \
    "dspBackupCurrentDone.0 0" "dspBackupLastRunCopied.0 2" \
    "dspBackupLastRunSkipped.0 0" "dspBackupLastRunFailed.0 0" \
    "dspBackupCopies.0 2"; do
	echo "$scalars" | grep -qxF "DASPOOL-MIB::$want" ||
		fail "dspBackup lacks '$want': $scalars"
done
echo "$scalars" | grep -Eq "^DASPOOL-MIB::dspBackupLastRunEnded.0 [0-9]{4}-" ||
	fail "no end time: $scalars"

# A second run skips the mounted Vol-1 and finds no room for Vol-2 on
# the labelled tapes; a third, with a third tape labelled, copies it.
cp "$conf" "$T/skip.conf"
echo 'mounted = "skip"' >>"$T/skip.conf"
out=$(daspool-backup -f "$T/skip.conf" run 2>&1) && fail "a run without room passed: $out"
echo "$out" | grep -q "^run ended: 0 copied, 1 skipped, 1 failed" || fail "second run: $out"
[ "$(scalar dspBackupLastRunCopied)/$(scalar dspBackupLastRunSkipped)/$(scalar dspBackupLastRunFailed)/$(scalar dspBackupCopies)" = 0/1/1/2 ] ||
	fail "the second run's counts: $(v2c snmpwalk -Oq -- DASPOOL-MIB::dspBackup)"
daspool-backup label 3 DSP003 --library "$lib" >/dev/null || fail "label 3"
out=$(daspool-backup -f "$T/skip.conf" run) || fail "third run: $out"
[ "$(scalar dspBackupLastRunCopied)/$(scalar dspBackupLastRunSkipped)/$(scalar dspBackupLastRunFailed)/$(scalar dspBackupCopies)" = 1/1/0/3 ] ||
	fail "the third run's counts: $(v2c snmpwalk -Oq -- DASPOOL-MIB::dspBackup)"
# The failed copy left DSP002 full: the new one is on DSP003 alone.
[ "$(v2c snmpget -Oqv -- DASPOOL-MIB::dspBackupCopyTapes.3)" = "DSP003:0" ] ||
	fail "copy 3's tapes: $(v2c snmpget -Oqv -- DASPOOL-MIB::dspBackupCopyTapes.3)"

# A byte flipped in Vol-1's image on tape: verify marks copy 1 bad.
slot=$(grep -l "^label=DSP001\$" "$lib"/slot.*/TAPE | head -n 1)
f="$(dirname "$slot")/file.0000"
hdr=$(grep -abo "GNUSparseFile.0/Vol-1.img" "$f" | awk -F: '$1 % 512 == 0 { print $1; exit }')
pos=$(( hdr + 1024 + 1048576 + 77 ))
printf "\\x$(printf %02x $(( ($(od -An -tu1 -j "$pos" -N1 "$f") + 1) % 256 )))" |
	dd of="$f" bs=1 seek="$pos" conv=notrunc 2>/dev/null
daspool-backup -f "$conf" verify 1 >/dev/null 2>&1 &&
	fail "verify passed a flipped byte"
[ "$(v2c snmpget -Oqv -- DASPOOL-MIB::dspBackupCopyState.1)" = bad ] ||
	fail "copy 1 is not bad: $(v2c snmptable -- DASPOOL-MIB::dspBackupTable)"
v2c snmpget -Oqv -- DASPOOL-MIB::dspBackupCopyVerified.1 | grep -Eq "^[0-9]{4}-" ||
	fail "copy 1 has no verify time"
[ "$(v2c snmpget -Oqv -- DASPOOL-MIB::dspBackupCopyState.2)" = ok ] ||
	fail "copy 2 changed"
# A copy to a library of its own, its status in the same catalog dir:
# each read of Vol-1 takes 500 ms.
daspool-backup make-library "$T/lib2" --slots 1 --tapes 1 --capacity 64M >/dev/null &&
	daspool-backup label 1 DSP010 --library "$T/lib2" >/dev/null || fail "lib2"
slow serverA r 500 -1 serverA-A1
daspool-backup -f "$conf" copy Vol-1 --library "$T/lib2" >"$T/copy2.out" 2>&1 &
copier=$!
PIDS+=("$copier")
copying() {
	[ "$(scalar dspBackupRunning)" = true ] &&
		[ "$(scalar dspBackupCurrentVolume)" = Vol-1 ] &&
		[ "$(scalar dspBackupCurrentDue)" = "8388608 bytes" ]
}
wait_for 15 copying ||
	fail "the copy going on is not shown: $(v2c snmpwalk -Oq -- DASPOOL-MIB::dspBackup; cat "$T/copy2.out")"
done_bytes=$(scalar dspBackupCurrentDone)
[ "${done_bytes% bytes}" -lt 8388608 ] ||
	fail "done before the copy ended: $done_bytes"
kill -9 "$copier"
wait "$copier" 2>/dev/null
slow serverA off
[ "$(scalar dspBackupRunning)" = false ] ||
	fail "a killed run is still running: $(v2c snmpwalk -Oq -- DASPOOL-MIB::dspBackup)"
[ "$(scalar dspBackupLastRunCopied)/$(scalar dspBackupCopies)" = 1/3 ] ||
	fail "the killed run changed the counts: $(v2c snmpwalk -Oq -- DASPOOL-MIB::dspBackup)"

# As docs/MIB.md shows them.
v2c snmptable -Ci -- DASPOOL-MIB::dspBackupTable
v2c snmpwalk -- DASPOOL-MIB::dspBackup
pass
