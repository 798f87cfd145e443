#!/usr/bin/env bash
# A lender that dies in the middle of a copy fails that copy cleanly,
# naming the lender, and the run goes on with the next volume: the
# volumes before and after are copied, catalogued and verify; the
# failed copy is in no catalog, and its bytes on tape are overwritten
# by the next copy's file. The next run, the lender back, copies the
# volume again: the copy restores to its bytes. While a copy runs,
# status tells its progress, rate and time to go.
. "$(dirname "$0")/functions.sh"

export CLIENT_TIMEOUT=3
start_mgr
start_agent serverA 127.0.2.1 A1:8M
AGENT_SLOW[serverB]=1
start_agent serverB 127.0.2.2 B1:32M
start_agent serverC 127.0.2.3 C1:8M
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create Vol-1"
admin "volume create Vol-2 single serverB:B1" >/dev/null || fail "create Vol-2"
admin "volume create Vol-3 single serverC:C1" >/dev/null || fail "create Vol-3"
borrower_setup serverJ
for v in Vol-1 Vol-2 Vol-3; do
	as serverJ allocate "$v" >/dev/null && as serverJ mount "$v" >/dev/null ||
		fail "mount $v"
	head -c 8M /dev/urandom | as serverJ write "$v" --input - || fail "write $v"
done
head -c 32M /dev/urandom | as serverJ write Vol-2 --input - || fail "fill Vol-2"
backup_setup backup1
lib="$T/library"
cat="$T/catalog"
daspool-backup make-library "$lib" --slots 2 --tapes 1 --capacity 200M >/dev/null &&
	daspool-backup label 1 DSP001 --library "$lib" || fail "library"

# Every read of Vol-2's region takes 300 ms: the copy is still running
# when its lender dies.
slow serverB r 300 -1 serverB-B1
daspool-backup -f "$T/backup1/daspool-backup.conf" copy Vol-1 Vol-2 Vol-3 \
    --library "$lib" --catalog "$cat" >"$T/copy.out" 2>"$T/copy.err" &
copier=$!
PIDS+=("$copier")
wait_for 20 grep -q "^copied Vol-1" "$T/copy.out" || fail "Vol-1 was not copied: $(cat "$T/copy.err")"
sleep 1
kill_agent serverB
wait "$copier" && fail "the run succeeded with a copy failed"
grep -q "^daspool-backup: Vol-2: .*serverB" "$T/copy.err" ||
	fail "the failure does not name Vol-2 and its lender: $(cat "$T/copy.err")"
grep -q "^copied Vol-3 as copy 2: " "$T/copy.out" ||
	fail "the run did not go on with Vol-3: $(cat "$T/copy.out")"
[ "$(daspool-backup list --catalog "$cat" | tail -n +2 | awk '{ print $1, $2 }')" = "1 Vol-1
2 Vol-3" ] || fail "catalog: $(daspool-backup list --catalog "$cat")"
for id in 1 2; do
	daspool-backup verify "$id" --library "$lib" --catalog "$cat" >/dev/null ||
		fail "copy $id does not verify"
done
# The failure is a row of the audit trail, naming the volume.
admin "show audit 20" | grep -Eq "backup-copy-failed +Vol-2 +.*serverB" ||
	fail "no audit row of Vol-2's failed copy: $(admin "show audit 20")"
# Vol-3 took the file the failed copy had begun.
grep -q "^copied Vol-3 as copy 2: .* to DSP001:1$" "$T/copy.out" ||
	fail "Vol-3's place on tape: $(cat "$T/copy.out")"

slow serverB off
restart_agent serverB
daspool-backup -f "$T/backup1/daspool-backup.conf" copy Vol-2 \
    --library "$lib" --catalog "$cat" >"$T/again.out" 2>&1 ||
	fail "the next run did not copy Vol-2: $(cat "$T/again.out")"
grep -q "^copied Vol-2 as copy 3: " "$T/again.out" ||
	fail "the next run: $(cat "$T/again.out")"
daspool-backup restore 3 --to-file "$T/Vol-2.restored" --library "$lib" \
    --catalog "$cat" >/dev/null || fail "copy 3 does not restore"
[ "$(sha256sum <"$T/Vol-2.restored" | cut -d' ' -f1)" = \
    "$(as serverJ read Vol-2 | sha256sum | cut -d' ' -f1)" ] ||
	fail "Vol-2's copy of the next run differs from the volume"

# One reader, each read of Vol-2 200 ms: the 32 MiB copy takes seconds,
# its slabs of 8 MiB one after another.
cp "$T/backup1/daspool-backup.conf" "$T/slow.conf"
echo "readers = 1" >>"$T/slow.conf"
slow serverB r 200 -1 serverB-B1
daspool-backup -f "$T/slow.conf" copy Vol-2 --library "$lib" --catalog "$cat" \
    >"$T/slow.out" 2>&1 &
copier=$!
PIDS+=("$copier")
progress="^copying Vol-2 \(1 of 1\): [1-9][0-9]* of 33554432 data bytes, [0-9.]+ MB/s, [0-9]+ s to go$"
wait_for 20 sh -c "daspool-backup status --catalog '$cat' | grep -Eq '$progress'" ||
	fail "no progress while Vol-2 was copied: $(daspool-backup status --catalog "$cat")"
daspool-backup status --catalog "$cat" | grep -Eq "^running since .* \(pid $copier\): 0 copied" ||
	fail "status does not tell the run: $(daspool-backup status --catalog "$cat")"
wait "$copier" || fail "the slow copy: $(cat "$T/slow.out")"
daspool-backup status --catalog "$cat" | grep -Eq "^last run: .* 1 copied, 0 skipped, 0 failed$" ||
	fail "status after the slow copy: $(daspool-backup status --catalog "$cat")"
pass
