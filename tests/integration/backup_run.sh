#!/usr/bin/env bash
# A backup run of the brief's pool (every form: single, concat, mirror,
# and the two volumes of a split region): `run` lists the volumes from
# the manager with the backup certificate, copies those the config's
# include/exclude want, catalogues each copy and tells the run's end;
# each copy verifies and restores to the volume's bytes. `status` tells
# the last run and the next; a second run while one holds the lock is
# refused; the daemon runs at once when a run was missed (a catalog
# that never saw one) and not again until the schedule says, and stops
# on SIGTERM.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A2:24M
start_agent serverB 127.0.2.2 B2:8M
start_agent serverC 127.0.2.3 C2:8M
start_agent serverD 127.0.2.4 D:16M
start_agent serverE 127.0.2.5 E:16M
start_agent serverX 127.0.2.24 X2:24M
admin "volume create Vol-1 single serverA:A2" >/dev/null || fail "Vol-1"
admin "volume create Vol-2 concat serverB:B2 serverC:C2" >/dev/null || fail "Vol-2"
admin "volume create Vol-3 mirror serverD:D serverE:E" >/dev/null || fail "Vol-3"
admin "volume split serverX:X2 Vol-4:8M Vol-5:rest" >/dev/null || fail "split"
borrower_setup serverJ
for v in Vol-1 Vol-2 Vol-3 Vol-4 Vol-5; do
	as serverJ allocate "$v" >/dev/null && as serverJ mount "$v" >/dev/null ||
		fail "mount $v"
	head -c 3M /dev/urandom | as serverJ write "$v" --offset 2M --input - ||
		fail "write $v"
	as serverJ read "$v" | sha256sum | cut -d' ' -f1 >"$T/$v.sha"
done
# Vol-1 stays mounted (copied live: fuzzy); the others are given back.
for v in Vol-2 Vol-3 Vol-4 Vol-5; do
	as serverJ unmount "$v" >/dev/null && as serverJ release "$v" >/dev/null ||
		fail "give back $v"
done

backup_setup backup1
conf="$T/backup1/daspool-backup.conf"
echo 'exclude = {"Vol-5"}' >>"$conf"
lib="$T/library" cat="$T/catalog"
daspool-backup make-library "$lib" --slots 4 --tapes 2 --capacity 64M >/dev/null ||
	fail "make-library"
daspool-backup label 1 DSP001 --library "$lib" >/dev/null || fail "label"

out=$(daspool-backup -f "$conf" run) || fail "run: $out"
[ "$(echo "$out" | sed -n 's/^copied \(Vol-[0-9]\) as copy \([0-9]\): .*/\1 \2/p' | tr '\n' ' ')" = \
    "Vol-1 1 Vol-2 2 Vol-3 3 Vol-4 4 " ] || fail "the run's copies: $out"
echo "$out" | grep -q "^run ended: 4 copied, 0 skipped, 0 failed in [0-9]* s$" ||
	fail "the run's end: $out"
list=$(daspool-backup -f "$conf" list) || fail "list"
[ "$(echo "$list" | tail -n +2 | awk '{ print $2, $4 }' | tr '\n' ' ')" = \
    "Vol-1 fuzzy Vol-2 clean Vol-3 clean Vol-4 clean " ] || fail "list: $list"
for i in 1 2 3 4; do
	daspool-backup -f "$conf" verify "$i" >/dev/null || fail "verify copy $i"
	daspool-backup -f "$conf" restore "$i" --to-file "$T/r$i.img" >/dev/null ||
		fail "restore copy $i"
	[ "$(sha256sum <"$T/r$i.img" | cut -d' ' -f1)" = "$(cat "$T/Vol-$i.sha")" ] ||
		fail "copy $i does not restore Vol-$i's bytes"
done

# Each copy, verify and restore and the run are rows of the manager's
# audit trail, by the backup's certificate.
audit=$(admin "show audit 40")
for i in 1 2 3 4; do
	echo "$audit" | grep -Eq "backup1 +backup-copy +Vol-$i +copy $i, " ||
		fail "no audit row of Vol-$i's copy: $audit"
	echo "$audit" | grep -Eq "backup1 +backup-verify +Vol-$i +copy $i: every chunk matches" ||
		fail "no audit row of copy $i's verify: $audit"
	echo "$audit" | grep -Eq "backup1 +backup-restore +Vol-$i +copy $i restored to " ||
		fail "no audit row of copy $i's restore: $audit"
done
echo "$audit" | grep -Eq "backup1 +backup-run +- +started: 4 volumes" ||
	fail "no audit row of the run's start: $audit"
echo "$audit" | grep -Eq "backup1 +backup-run +- +ended: 4 copied, 0 skipped, 0 failed" ||
	fail "no audit row of the run's end: $audit"

st=$(daspool-backup -f "$conf" status) || fail "status"
echo "$st" | grep -q "^idle$" || fail "status while idle: $st"
echo "$st" | grep -q "^last run: started .*, 4 copied, 0 skipped, 0 failed$" ||
	fail "status's last run: $st"
echo "$st" | grep -q "^next run: .* (daily 02:00)$" || fail "status's next run: $st"

# Runs never overlap: with the lock held, a run is refused, naming
# who holds it, and copies nothing.
echo 4242 >"$cat/run.lock"
flock "$cat/run.lock" sleep 3 &
holder=$!
sleep 0.5
expect_fail "a backup run is going on \(pid 4242\): runs never overlap" \
    daspool-backup -f "$conf" run
wait "$holder"
[ "$(daspool-backup -f "$conf" list | tail -n +2 | wc -l)" = 4 ] ||
	fail "the refused run copied something"

# The daemon: the run just made is the last, so none is due until
# 02:00.
daspool-backup -f "$conf" daemon 2>"$T/daemon1.log" &
d=$!
wait_for 10 grep -q "next backup run .* (daily 02:00)" "$T/daemon1.log" ||
	fail "the daemon did not say when it runs: $(cat "$T/daemon1.log")"
grep -q "a backup run is due" "$T/daemon1.log" && fail "the daemon ran though none was due"
kill -TERM "$d"
wait "$d" || fail "the daemon did not stop cleanly on SIGTERM"
grep -q "stopped" "$T/daemon1.log" || fail "the daemon's stop: $(cat "$T/daemon1.log")"

# A catalog that saw no run: the missed run goes at start.
sed -i "s|^catalog = .*|catalog = \"$T/catalog2\"|" "$conf"
daspool-backup -f "$conf" daemon >"$T/daemon2.out" 2>"$T/daemon2.log" &
d=$!
wait_for 60 grep -q "^run ended: " "$T/daemon2.out" ||
	fail "the daemon did not run the missed run: $(cat "$T/daemon2.out" "$T/daemon2.log")"
grep -q "^run ended: 4 copied, 0 skipped, 0 failed" "$T/daemon2.out" ||
	fail "the daemon's run: $(cat "$T/daemon2.out")"
wait_for 10 grep -q "next backup run" "$T/daemon2.log" || fail "no next run told"
[ "$(grep -c "a backup run is due" "$T/daemon2.log")" = 1 ] ||
	fail "the daemon ran more than once: $(cat "$T/daemon2.log")"
daspool-backup -f "$conf" status | grep -q "^last run: .* 4 copied" ||
	fail "status after the daemon's run: $(daspool-backup -f "$conf" status)"
kill -TERM "$d"
wait "$d" || fail "the daemon did not stop cleanly"
pass
