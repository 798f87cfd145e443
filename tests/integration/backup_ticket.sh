#!/usr/bin/env bash
# Backup tickets: a certificate of role backup opens any volume, lent
# or not, and gets a read-only ticket; it reads the volume's bytes
# through the normal data path; its writes are refused by the agent
# itself (a hand-made WRITE with the ticket gets E_READONLY), not only
# by the library; on a mirror with a leg's lender gone it reads the
# other leg and leaves the legs' states alone; a borrower certificate
# cannot open a volume for backup.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:16M
start_agent serverD 127.0.2.4 D:16M
start_agent serverE 127.0.2.5 E:16M
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create Vol-1"
admin "volume create Vol-3 mirror serverD:D serverE:E" >/dev/null || fail "create Vol-3"
borrower_setup serverJ
for v in Vol-1 Vol-3; do
	as serverJ allocate "$v" >/dev/null && as serverJ mount "$v" >/dev/null ||
		fail "mount $v"
	head -c 16M /dev/urandom >"$T/$v.data"
	as serverJ write "$v" --input "$T/$v.data" || fail "write $v"
done
# Vol-1 is given back; Vol-3 stays mounted by serverJ.
as serverJ unmount Vol-1 >/dev/null && as serverJ release Vol-1 >/dev/null ||
	fail "give Vol-1 back"
pki_issue backup1 backup
borrower_setup backup1
P="$T/pki"

mkdir -p "$T/saved"
out=$(dsp_backup -f "$T/backup1/daspool.conf" Vol-1 --read "$T/Vol-1.copy" \
    --write --save "$T/saved") || fail "backup of Vol-1: $out"
echo "$out" | grep -q "^open Vol-1 generation [0-9]* read-only$" ||
	fail "Vol-1 was not opened read-only: $out"
echo "$out" | grep -q "^write E_READONLY: " || fail "the write was not refused: $out"
cmp -s "$T/Vol-1.copy" "$T/Vol-1.data" || fail "the backup read of Vol-1 differs"
grep -q "volume Vol-1 opened for backup by backup1" "$T/mgr.log" ||
	fail "the manager did not log the backup open"

# The agent itself refuses a WRITE sent with the backup ticket by hand.
out=$(dsp_probe --ca "$P/ca.crt" --cert "$P/backup1.crt" --key "$P/backup1.key" \
	127.0.2.1 "${AGENT_PORT[serverA]}" data "$T/saved/Vol-1.mount" write A1 0 16) &&
	fail "the agent took a write with a backup ticket: $out"
echo "$out" | grep -q "E_READONLY" || fail "the agent's refusal: $out"
out=$(dsp_probe --ca "$P/ca.crt" --cert "$P/backup1.crt" --key "$P/backup1.key" \
	127.0.2.1 "${AGENT_PORT[serverA]}" data "$T/saved/Vol-1.mount" read A1 0 16) ||
	fail "the agent refused a read with a backup ticket: $out"
cmp -s "$T/Vol-1.copy" "$T/Vol-1.data" || fail "Vol-1 changed"

# A mirror with its first leg's lender gone: read from the other leg;
# no leg is marked out of sync by the backup.
kill_agent serverD
out=$(dsp_backup -f "$T/backup1/daspool.conf" Vol-3 --read "$T/Vol-3.copy") ||
	fail "backup of the degraded mirror: $out"
cmp -s "$T/Vol-3.copy" "$T/Vol-3.data" || fail "the backup read of Vol-3 differs"
[ "$(admin "show volumes" | grep -c "in-sync")" = 2 ] ||
	fail "the backup changed a leg's state: $(admin "show volumes")"

# A borrower may not open a volume for backup.
out=$(dsp_backup -f "$T/serverJ/daspool.conf" Vol-1) &&
	fail "a borrower opened a volume for backup: $out"
echo "$out" | grep -q "role borrower may not open volumes for backup" ||
	fail "the borrower's refusal: $out"
pass
