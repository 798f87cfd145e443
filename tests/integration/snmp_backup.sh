#!/usr/bin/env bash
# The backup's failures over SNMP: a backup-copy-failed row appended by
# a backup certificate (BACKUP_AUDIT) reaches a real snmptrapd through a
# real snmpd as dspBackupFailed, within 2 s, with the volume, the step
# and the backup's words, escaped as the row keeps them; so does a
# backup-verify-failed row, of a volume deleted since. The rows of a
# good copy, a run and a failed restore send nothing. Each row is a
# change of the store (dspStoreChanges).
. "$(dirname "$0")/functions.sh"
. "$(dirname "$0")/snmp_functions.sh"

start_mgr
start_agent serverA 127.0.3.1 A1:8M A2:8M
admin "volume create Vol-1 single serverA:A1" >/dev/null &&
	admin "volume create Vol-2 single serverA:A2" >/dev/null || fail "create"
pki_issue backup1 backup
borrower_setup backup1
snmp_setup
start_snmpd
start_trapd
start_subagent

audit() {
	out=$(dsp_backup -f "$T/backup1/daspool.conf" audit "$@") ||
		fail "audit $*: $out"
}

changes() {
	v2c snmpget -Oqv -- dspStoreChanges.0
}

# failed_traps: how many dspBackupFailed snmptrapd has written.
failed_traps() {
	grep -c "::dspBackupFailed," "$T/traps.txt"
}

before=$(changes)
audit backup-run - "run 3 started"
audit backup-copy Vol-2 "tape L00001 file 1, clean"
t=$(now_ms)
audit backup-copy-failed Vol-1 $'drive 0: medium error\tat 4M'
wait_for 5 grep -q "::dspBackupFailed," "$T/traps.txt" ||
	fail "no dspBackupFailed: $(cat "$T/traps.txt")"
took=$(( $(now_ms) - t ))
[ "$took" -le 2000 ] || fail "dspBackupFailed came $took ms after the row"
trap=$(grep "::dspBackupFailed," "$T/traps.txt")
echo "$trap" | grep -q "DASPOOL-MIB::dspBackupVolume.0 = STRING: Vol-1" ||
	fail "the notification lacks the volume: $trap"
echo "$trap" | grep -q "DASPOOL-MIB::dspBackupAction.0 = INTEGER: copy(1)" ||
	fail "the notification lacks the step: $trap"
echo "$trap" | grep -Fq 'DASPOOL-MIB::dspBackupText.0 = STRING: drive 0: medium error\x09at 4M' ||
	fail "the notification lacks the text: $trap"
echo "dspBackupFailed (Vol-1): within $took ms"
[ "$(changes)" -ge $((before + 3)) ] ||
	fail "dspStoreChanges went from $before to $(changes) for three rows"

# A verify of a volume deleted since; a failed restore tells nothing.
admin "volume delete Vol-2" >/dev/null || fail "delete Vol-2"
audit backup-restore-failed Vol-1 "target too small"
audit backup-verify-failed Vol-2 "tape L00001 file 1: chunk 3 differs"
wait_for 5 bash -c "[ \$(grep -c '::dspBackupFailed,' '$T/traps.txt') = 2 ]" ||
	fail "no second dspBackupFailed: $(cat "$T/traps.txt")"
trap=$(grep "::dspBackupFailed," "$T/traps.txt" | tail -n 1)
echo "$trap" | grep -q "dspBackupVolume.0 = STRING: Vol-2.*dspBackupAction.0 = INTEGER: verify(2).*dspBackupText.0 = STRING: tape L00001 file 1: chunk 3 differs" ||
	fail "the verify's notification: $trap"
sleep 1
[ "$(failed_traps)" = 2 ] || fail "rows other than failures were told: $(cat "$T/traps.txt")"
pass
