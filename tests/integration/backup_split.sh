#!/usr/bin/env bash
# A split-leg copy of a mounted mirror (mounted = split-leg): while a
# borrower writes continuously, daspool-backup holds one leg still,
# copies it and gives it back. The restored image is the volume at one
# moment between the copy's start and end (every block holds the last
# write up to one sequence number, none later, none torn); the writer
# goes on during the copy (its writes to the held leg are refused and
# reported, so the bitmap has them); afterwards the leg is resynced and
# in sync, both legs hold the same bytes and every acknowledged write
# is there. An agent restarted under a hold forgets it, and giving the
# leg back then says the copy may not be a point-in-time image. A
# backup that dies holding a leg holds it only until its lease (the
# ticket lifetime) runs out. A mirror with a leg out of sync
# is refused a split-leg copy with a sentence naming the leg, and a
# borrower certificate may not split legs.
. "$(dirname "$0")/functions.sh"

TICKET_LIFETIME=15	# the hold's lease too
CLIENT_TIMEOUT=10
start_mgr
start_agent serverD 127.0.3.4 D:64M
start_agent serverE 127.0.3.5 E:64M
admin "volume create Vol-3 mirror serverD:D serverE:E" >/dev/null || fail "create Vol-3"
borrower_setup serverJ
as serverJ allocate Vol-3 >/dev/null && as serverJ mount Vol-3 >/dev/null ||
	fail "mount Vol-3"
# The load's 16 blocks, then 48 MiB of noise that only the copy reads.
head -c 48M /dev/urandom | as serverJ write Vol-3 --offset 16M --input - ||
	fail "fill Vol-3"

backup_setup backup1
conf="$T/backup1/daspool-backup.conf"
echo 'mounted = "split-leg"' >>"$conf"
borrower_setup backup1	# a client config for dsp_backup, same certificate
lib="$T/library"
daspool-backup make-library "$lib" --slots 4 --tapes 2 --capacity 200M >/dev/null ||
	fail "make-library"
daspool-backup label 1 DSP001 --library "$lib" >/dev/null || fail "label"

in_sync() { [ "$(admin "show volumes" | grep -c "in-sync")" = 2 ]; }
legs_equal() { cmp -s -n $((64 << 20)) "$T/disks/serverD-D" "$T/disks/serverE-E"; }

dsp_load -f "$T/serverJ/daspool.conf" write Vol-3 16 "$T/load.log" "$T/stop" \
	>"$T/load.out" 2>&1 &
load=$!
PIDS+=("$load")
wait_for 20 bash -c "[ \$(wc -l <'$T/load.log') -ge 40 ]" ||
	fail "the load does not write: $(cat "$T/load.out")"

# The copy: every write acknowledged before it began is in the image,
# and the image is no later than its end.
lo=$(wc -l <"$T/load.log")
out=$(daspool-backup -f "$conf" copy Vol-3 --library "$lib") || fail "copy: $out"
hi=$(( $(wc -l <"$T/load.log") + 1 ))
echo "$out" | grep -q "^copied Vol-3" || fail "copy said: $out"
kill -0 "$load" 2>/dev/null || fail "the load stopped during the copy: $(cat "$T/load.out")"
grep -q "volume Vol-3: leg server.:. held for a backup copy by backup1" "$T/mgr.log" ||
	fail "the manager did not hold a leg"
grep -q "given back by backup1" "$T/mgr.log" || fail "the leg was not given back"
wait_for 20 bash -c "[ \$(wc -l <'$T/load.log') -ge $((hi + 20)) ]" ||
	fail "the load did not go on after the copy: $(tail -3 "$T/load.out")"

part=$(echo "$out" | sed -n 's/^copied Vol-3.* to //p')
got=$(daspool-backup restore "$part" --library "$lib" --to-file "$T/Vol-3.img") ||
	fail "restore: $got"
got=$(dsp_load image "$T/Vol-3.img" 16 "$lo" "$hi") ||
	fail "the copy is not a point-in-time image: $got"
echo "$got (writes acknowledged: $lo when the copy began, $((hi - 1)) when it ended)"
mkdir -p "$T/x"
tar -xf "$(dirname "$(grep -l '^label=DSP001$' "$lib"/slot.*/TAPE)")/file.0000" \
	-C "$T/x" MANIFEST || fail "MANIFEST from the tape"
grep -q "^copy split-leg$" "$T/x/MANIFEST" || fail "the MANIFEST's kind: $(head -8 "$T/x/MANIFEST")"
cmp -s <(tail -c 48M "$T/Vol-3.img") <(tail -c 48M "$T/disks/serverD-D" | head -c 48M) ||
	fail "the copy's unchanging part differs from the volume"

# The leg goes back in sync (resynced from the bitmap, or at once when
# it missed no write) while the load goes on.
wait_for 30 in_sync || fail "the leg is not back in sync: $(admin "show volumes")"
admin "show audit" | grep -q "split-end" || fail "no split-end in the audit trail"

# An agent that restarts under a hold forgets it, and writes may land
# there: giving the leg back says so (and the leg still comes back).
out=$(dsp_backup -f "$T/backup1/daspool.conf" Vol-3 --split --keep) ||
	fail "split: $out"
echo "$out" | grep -q "^split Vol-3 leg 1$" || fail "split said: $out"
sleep 1
kill_agent serverE
restart_agent serverE
out=$(dsp_backup -f "$T/backup1/daspool.conf" Vol-3 --end 1) &&
	fail "a hold lost in a restart was given back as if kept: $out"
echo "$out" | grep -q "^split-end Vol-3 leg 1: .*its hold may not have lasted the whole copy: .*volume Vol-3 was not held on server serverE (it restarted" ||
	fail "split-end after a restart said: $out"
wait_for 30 in_sync || fail "the leg is not back in sync after the restart: $(admin "show volumes")"

# A backup that dies holding a leg: the hold runs out with its lease.
out=$(dsp_backup -f "$T/backup1/daspool.conf" Vol-3 --split --keep) ||
	fail "split for a backup that dies: $out"
echo "$out" | grep -q "^split Vol-3 leg [01]$" || fail "split said: $out"
wait_for 10 bash -c "daspool-sh -s '$ADMIN_SOCK' -c 'show volumes' | grep -q out-of-sync" ||
	fail "the held leg is not shown out of sync: $(admin "show volumes")"
admin "show volume Vol-3" | grep -q "serverE .* out-of-sync (held) .* held for a backup copy" ||
	fail "show volume does not show the held leg: $(admin "show volume Vol-3")"
sleep 3
kill -0 "$load" 2>/dev/null || fail "the load stopped with a leg held: $(cat "$T/load.out")"
grep -q "held for a backup copy" "$T/load.out" ||
	fail "no write was refused at the held leg: $(tail -5 "$T/load.out")"
wait_for $((TICKET_LIFETIME + 20)) in_sync ||
	fail "a dead backup's hold did not run out: $(admin "show volumes")"
grep -q "the backup's hold of leg .* ran out" "$T/mgr.log" ||
	fail "the manager did not say the hold ran out"

sleep 1
touch "$T/stop"
wait "$load"; rc=$?
[ "$rc" = 0 ] || fail "the load failed ($rc): $(tail -5 "$T/load.out")"
wait_for 15 in_sync || fail "not in sync after the load: $(admin "show volumes")"
dsp_load -f "$T/serverJ/daspool.conf" verify Vol-3 "$T/load.log" >"$T/verify.out" ||
	fail "an acknowledged write was lost: $(cat "$T/verify.out")"
legs_equal || fail "the legs differ after the resync"

# A hold from before the manager restarted runs out too: the manager
# finds it in its table at start.
out=$(dsp_backup -f "$T/backup1/daspool.conf" Vol-3 --split --keep) ||
	fail "split before the restart: $out"
wait_for 10 bash -c "daspool-sh -s '$ADMIN_SOCK' -c 'show volumes' | grep -q out-of-sync" ||
	fail "the held leg is not shown out of sync: $(admin "show volumes")"
stop_mgr_hard
start_mgr
wait_for $((TICKET_LIFETIME + 20)) in_sync ||
	fail "a hold from before the restart did not run out: $(admin "show volumes")"
[ "$(grep -c "the backup's hold of leg .* ran out" "$T/mgr.log")" -ge 2 ] ||
	fail "the restarted manager did not say the hold ran out"

# A borrower certificate may not split legs.
P="$T/pki"
out=$(dsp_probe --ca "$P/ca.crt" --cert "$P/serverJ.crt" --key "$P/serverJ.key" \
	"$MGR_ADDR" "$MGR_PORT" split-leg Vol-3) && fail "a borrower split a leg: $out"
echo "$out" | grep -q "role borrower may not split mirror legs off for backup" ||
	fail "the borrower's refusal: $out"

# A leg out of sync: refused, naming it.
out=$(dsp_probe --ca "$P/ca.crt" --cert "$P/serverJ.crt" --key "$P/serverJ.key" \
	"$MGR_ADDR" "$MGR_PORT" leg-fail Vol-3 1 "test: gone") || fail "leg-fail: $out"
out=$(daspool-backup -f "$conf" copy Vol-3 --library "$lib" 2>&1) &&
	fail "a split-leg copy of a degraded mirror was made: $out"
echo "$out" | grep -q "split-leg copy refused: volume Vol-3 has 1 in-sync leg; a split-leg copy needs two (leg serverE:E is out-of-sync: test: gone)" ||
	fail "the refusal: $out"
pass
