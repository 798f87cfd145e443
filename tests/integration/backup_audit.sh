#!/usr/bin/env bash
# The backup's rows of the audit trail (BACKUP_AUDIT): a certificate of
# role backup appends rows that `show audit` lists with its CN as actor,
# the event, the volume and its text escaped, each a write of the store;
# a borrower certificate is refused naming the role it takes; an
# unknown event, a copy row without a volume, a bad volume name and a
# text over the limit (raw, or once escaped) are refused naming what was
# wrong, and add no row.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:16M
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create Vol-1"
pki_issue backup1 backup
borrower_setup backup1
borrower_setup serverJ

# audit AS EVENT VOLUME TEXT: dsp_backup's audit command as AS.
audit() {
	dsp_backup -f "$T/$1/daspool.conf" audit "$2" "$3" "$4"
}

writes() {
	admin "show store" | awk '$1 == "writes" { print $2 }'
}

backup_rows() {
	admin "show audit 100" | grep -c " backup1 "
}

before=$(writes)
out=$(audit backup1 backup-run - "run 7 started: 1 volume") || fail "run row: $out"
out=$(audit backup1 backup-copy Vol-1 "tape L00001 file 3, 16M, clean") ||
	fail "copy row: $out"
out=$(audit backup1 backup-copy-failed Vol-1 $'drive 0 stuck\tat 4M\\') ||
	fail "failed copy row: $out"
[ "$out" = "audit backup-copy-failed: done" ] || fail "the tool's answer: $out"
# At least: the heartbeats' commits count as well.
[ "$(writes)" -ge $((before + 3)) ] ||
	fail "three rows are not three writes: $before, then $(writes)"

trail=$(admin "show audit 10")
echo "$trail" | grep -Eq "^[^ ]+ +backup1 +backup-run +- +run 7 started: 1 volume$" ||
	fail "no backup-run row: $trail"
echo "$trail" | grep -Eq " backup1 +backup-copy +Vol-1 +tape L00001 file 3, 16M, clean$" ||
	fail "no backup-copy row: $trail"
# The tab and the backslash kept escaped, as the agents' reasons are.
echo "$trail" | grep -Fq 'drive 0 stuck\x09at 4M\\' ||
	fail "the failed copy's text is not escaped: $trail"
echo "$trail" | grep -Eq " backup1 +backup-copy-failed +Vol-1 +drive 0 stuck" ||
	fail "no backup-copy-failed row: $trail"
grep -q "backup-copy by backup1 of Vol-1" "$T/mgr.log" ||
	fail "the manager did not log the row"

# A borrower may not write the backup's rows.
out=$(audit serverJ backup-copy Vol-1 "not mine") && fail "a borrower wrote a row: $out"
echo "$out" | grep -q "E_ROLE: certificate role borrower may not record backup events: that takes a certificate of role backup" ||
	fail "the borrower's refusal: $out"

# Each field is checked.
out=$(audit backup1 backup-nap Vol-1 "zzz") && fail "an unknown event was taken: $out"
echo "$out" | grep -q "E_INVALID: unknown backup event 'backup-nap': use one of backup-run, backup-copy, " ||
	fail "the unknown event's refusal: $out"
out=$(audit backup1 backup-verify - "which?") && fail "a verify without a volume: $out"
echo "$out" | grep -q "E_INVALID: a backup-verify row needs a volume name" ||
	fail "the missing volume's refusal: $out"
out=$(audit backup1 backup-restore "Vol/1" "x") && fail "a bad volume name: $out"
echo "$out" | grep -q "E_INVALID: bad volume name 'Vol/1'" ||
	fail "the bad name's refusal: $out"
long=$(printf 'x%.0s' $(seq 1 128))
out=$(audit backup1 backup-copy Vol-1 "$long") && fail "128 bytes of text: $out"
echo "$out" | grep -q "text of 128 bytes is over the 127 byte limit" ||
	fail "the long text's refusal: $out"
out=$(audit backup1 backup-copy Vol-1 "${long:0:100}"$'\t\t\t\t\t\t\t\t\t\t') &&
	fail "110 bytes of text, 140 escaped: $out"
echo "$out" | grep -q "E_INVALID: text of 110 bytes is 140 once escaped, over the 127 byte limit" ||
	fail "the escaped text's refusal: $out"
# Exactly 127: taken.
out=$(audit backup1 backup-verify Vol-1 "${long:0:127}") || fail "127 bytes: $out"

[ "$(backup_rows)" = 4 ] || fail "refusals added rows: $(admin "show audit 20")"
pass
