#!/usr/bin/env bash
# Copies of the store while the manager serves: eight borrowers cycle
# allocate/mount/write/unmount/release on their own volumes while the
# manager copies its store every 2 s; lending goes on, the newest
# backup_keep copies are kept, each opens clean with mdb_stat and holds
# every table. A burst of admin changes gives one copy a few seconds
# later; `store copy` and `show store` work. daspool-mgr --restore
# starts a manager on a new state_dir from a copy and it serves that
# copy's table; a garbage file, a missing one, a store already there
# (without --force) and a store in use are refused.
. "$(dirname "$0")/functions.sh"

command -v mdb_stat >/dev/null && command -v mdb_dump >/dev/null ||
	skip "mdb_stat and mdb_dump (lmdb-utils) are needed"

COPIES="$T/copies"
BORROWERS=8
copies_conf() {
	MGR_CONF_EXTRA="backup_dir = \"$COPIES\"
backup_interval = $1
backup_keep = 4"
}

# Good copies the manager logged so far.
copies_made() {
	grep -c "store copied to $COPIES/store-" "$T/mgr.log"
}

copies_on_disk() {
	ls "$COPIES" | grep -Ec '^store-[0-9]{8}T[0-9]{6}Z\.mdb$'
}

copies_made_over() {
	[ "$(copies_made)" -gt "$1" ]
}

copies_kept() {
	[ "$(copies_on_disk)" -eq "$1" ]
}

# The volume names (keys) of a copy's volumes table.
copy_volumes() {
	mdb_dump -n -p -s volumes "$1" | sed -n 's/^ \(Vol-[0-9]*\)$/\1/p'
}

copies_conf 2
start_mgr
regions=()
for v in $(seq 1 10); do
	regions+=("A$v:16M")
done
start_agent serverA 127.0.2.1 "${regions[@]}"
for v in $(seq 1 $BORROWERS); do
	admin "volume create Vol-$v single serverA:A$v" >/dev/null ||
		fail "create Vol-$v"
	borrower_setup "host$v"
done

before=$(copies_made)
workers=()
for b in $(seq 1 $BORROWERS); do
	lend_cycles "$b" &
	workers+=($!)
	PIDS+=($!)
done
sleep 10
touch "$T/stop"
wait "${workers[@]}" 2>/dev/null
made=$(( $(copies_made) - before ))
[ "$made" -ge 3 ] || fail "only $made copies in 10 s of lending"
! grep -q "store copy into .* failed" "$T/mgr.log" ||
	fail "a copy failed: $(grep 'store copy into' "$T/mgr.log" | head -n 1)"
for b in $(seq 1 $BORROWERS); do
	[ -s "$T/cycles.$b" ] || fail "host$b lent nothing while copies were made"
done
echo "$made copies during $(cat "$T"/cycles.* | wc -l) lending cycles"

# backup_keep: the newest 4, older ones removed.
wait_for 5 copies_kept 4 ||
	fail "$(copies_on_disk) copies in $COPIES, not 4"
grep -q "removed the old store copy $COPIES/store-" "$T/mgr.log" ||
	fail "no old copy was removed"

# Each copy is a whole LMDB file with every table and every volume.
# Taken aside first: rotation goes on meanwhile.
mkdir "$T/aside"
cp "$COPIES"/store-*.mdb "$T/aside/" 2>/dev/null
[ "$(ls "$T/aside" | wc -l)" -ge 3 ] || fail "copies vanished while read"
for f in "$T"/aside/store-*.mdb; do
	mdb_stat -n -a "$f" >"$T/stat" 2>&1 || fail "mdb_stat $f: $(cat "$T/stat")"
	for table in meta servers regions volumes audit bitmaps owed candidates extents \
	    server_volumes borrowed free_sizes ids; do
		grep -q "^Status of $table\$" "$T/stat" ||
			fail "copy $f lacks table $table: $(cat "$T/stat")"
	done
	[ "$(copy_volumes "$f" | wc -l)" -eq $BORROWERS ] ||
		fail "copy $f holds $(copy_volumes "$f" | wc -l) volumes"
done
# A copy being written is ".store-*.mdb.tmp"; none is left behind.
no_stray() { [ -z "$(ls -A "$COPIES" | grep -v '^store-')" ]; }
wait_for 10 no_stray || fail "stray files in $COPIES: $(ls -A "$COPIES")"

# A long interval: only admin changes make copies now. Three changes in
# a row give one copy, a few seconds after the last.
kill -TERM "$MGR_PID"
wait "$MGR_PID" 2>/dev/null
copies_conf 3600
start_mgr
grep -Eq "store copies every 3600 s into $COPIES, the newest 4 kept; the next in 3[0-9]{3} s" \
	"$T/mgr.log" || fail "the schedule did not go on from the newest copy"
wait_for 10 server_is_up serverA || fail "agent did not register again"
before=$(copies_made)
printf '%s\n' "volume create Vol-9 single serverA:A9" \
	"volume create Vol-10 single serverA:A10" "volume delete Vol-10" |
	daspool-sh -s "$ADMIN_SOCK" >/dev/null || fail "admin changes"
wait_for 8 copies_made_over "$before" ||
	fail "no copy after admin changes"
sleep 3
[ "$(copies_made)" -eq $((before + 1)) ] ||
	fail "$(( $(copies_made) - before )) copies after three changes, not 1"
grep "store copied to" "$T/mgr.log" | tail -n 1 | grep -q "after a change" ||
	fail "the last copy was not made after the change"
newest="$COPIES/$(ls "$COPIES" | grep '^store-' | tail -n 1)"
copy_volumes "$newest" | grep -qx Vol-9 || fail "the copy lacks Vol-9"
! copy_volumes "$newest" | grep -qx Vol-10 || fail "the copy has Vol-10"

# store copy and show store.
out=$(admin "store copy") || fail "store copy: $out"
path=$(echo "$out" | sed -n 's/^store copied to \([^ ]*\) (.*/\1/p')
[ -f "$path" ] || fail "store copy printed no copy's path: $out"
mdb_stat -n -a "$path" >/dev/null || fail "mdb_stat $path"
admin "show store" >"$T/show" || fail "show store"
grep -Eq "^schema +3 \(records: server 2, volume 5, region 2, audit 1\)" "$T/show" ||
	fail "show store: no schema: $(cat "$T/show")"
grep -Eq "^writes +[1-9][0-9]* since start, in [1-9][0-9]* commits" "$T/show" ||
	fail "show store: no count of writes: $(cat "$T/show")"
grep -Eq "^last copy +$path, " "$T/show" ||
	fail "show store does not name the last copy: $(cat "$T/show")"
grep -Eq "^  volumes +9 " "$T/show" ||
	fail "show store does not count 9 volumes: $(cat "$T/show")"
grep -Eq "^last error +none$" "$T/show" || fail "show store: $(cat "$T/show")"
grep -Eq "^map +[0-9.]+[KM] used of 1G" "$T/show" ||
	fail "show store: no map size: $(cat "$T/show")"
cp "$path" "$T/chosen.mdb"

# --restore into a new state_dir, without copies.
kill -TERM "$MGR_PID"
wait "$MGR_PID" 2>/dev/null
conf2="$T/mgr/restored.conf"
sed -e "s|^state_dir = .*|state_dir = \"$T/mgr/state2\"|" -e '/^backup_/d' \
	"$T/mgr/daspool-mgr.conf" >"$conf2"
head -c 64K /dev/urandom >"$T/garbage.mdb"
expect_fail "garbage.mdb: .*not an LMDB file" \
	daspool-mgr -d -f "$conf2" --restore "$T/garbage.mdb"
expect_fail "none.mdb: No such file" \
	daspool-mgr -d -f "$conf2" --restore "$T/none.mdb"
[ ! -e "$T/mgr/state2" ] || fail "a refused restore left $T/mgr/state2"
daspool-mgr -n -f "$conf2" --restore "$T/chosen.mdb" 2>"$T/check" ||
	fail "-n --restore: $(cat "$T/check")"
grep -q "volumes: 9" "$T/check" || fail "-n --restore: $(cat "$T/check")"
[ ! -e "$T/mgr/state2" ] || fail "-n --restore changed something"

start_restored() {
	daspool-mgr -d -v -f "$conf2" --restore "$T/chosen.mdb" "$@" \
		>>"$T/restored.log" 2>&1 &
	MGR_PID=$!
	PIDS+=("$MGR_PID")
	wait_for 10 admin "show servers" || fail "restored manager did not start"
}
start_restored
admin "show volumes" >"$T/table" || fail "show volumes"
for v in $(seq 1 9); do
	grep -q " Vol-$v " "$T/table" || fail "Vol-$v missing after restore"
done
! grep -q " Vol-10 " "$T/table" || fail "Vol-10 back after restore"
admin "show audit 100" |
	grep -Eq "manager +restore +- +the store was restored from chosen\.mdb" ||
	fail "no restore row in the audit trail: $(admin "show audit 100")"
wait_for 10 server_is_up serverA || fail "agent did not register"
# Every volume is one generation up and fenced until its lender takes it.
wait_for 10 as host1 allocate Vol-9 || fail "Vol-9 not lent after the restore"
as host1 mount Vol-9 >/dev/null &&
	as host1 write Vol-9 --offset 0 --input "$T/pki/ca.crt" &&
	as host1 unmount Vol-9 && as host1 release Vol-9 ||
	fail "the restored manager does not lend Vol-9"

expect_fail "already holds a store.*--force" \
	daspool-mgr -d -f "$conf2" --restore "$T/chosen.mdb"
expect_fail "is open in process $MGR_PID" \
	daspool-mgr -d -f "$conf2" --restore "$T/chosen.mdb" --force
kill -TERM "$MGR_PID"
wait "$MGR_PID" 2>/dev/null

# --force: the store found there is kept beside, not deleted.
start_restored --force
ls "$T/mgr/state2" | grep -Eq '^data\.mdb\.before-restore-[0-9]{8}T[0-9]{6}Z$' ||
	fail "the replaced store was not kept: $(ls "$T/mgr/state2")"
admin "show volumes" | grep -q " Vol-9 " || fail "Vol-9 missing after --force"
pass
