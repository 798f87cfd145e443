#!/usr/bin/env bash
# A pool of data-centre shape, kept short: 200 lending servers (one
# dsp_swarm process of real agents) with 20,000 volumes, each server's
# four regions cut in 25 pieces (the last piece of R3 is 4M, the others
# 1M). Every volume is listed by show volumes, whose summary counts them
# all; the filters return exactly the matching rows; 16 borrowers racing
# `allocate --min-size 2M` each get a distinct volume of 4M, the smallest
# that fits. (A real agent holding 4,096 volumes registering again after
# kill -9 is scale_register.sh.) SCALE_SERVERS sets the number of
# servers (at least 50); the sanitizer run takes 50, as it looks for
# memory errors, not for times.
. "$(dirname "$0")/functions.sh"

N=${SCALE_SERVERS:-200}
PIECES=25
TOTAL=$((N * 4 * PIECES))
MGR_LOG_LEVEL=info
start_mgr
swarm_start $N "R0:32M,R1:32M,R2:32M,R3:32M" -q

# One shell session for all the splits: s0042r3p24 is piece 24 of R3 of
# swarm0042.
swarm_names $N | while read -r server; do
	n=${server#swarm}
	for r in 0 1 2 3; do
		line="volume split $server:R$r"
		for p in $(seq 0 $((PIECES - 1))); do
			size=1M
			[ $r = 3 ] && [ $p = $((PIECES - 1)) ] && size=4M
			line="$line s${n}r${r}p${p}:$size"
		done
		echo "$line"
	done
done >"$T/splits"
t0=$(now_ms)
daspool-sh -s "$ADMIN_SOCK" <"$T/splits" >"$T/splits.out" 2>&1 ||
	fail "splits: $(grep -v '^volume' "$T/splits.out" | head -3)"
echo "$TOTAL volumes created in $(( $(now_ms) - t0 )) ms"

# Every volume listed, and counted by the summary line.
t0=$(now_ms)
admin "show volumes" >"$T/all" || fail "show volumes: $(tail -n 2 "$T/all")"
echo "show volumes of $TOTAL in $(( $(now_ms) - t0 )) ms"
listed=$(grep -Eo " s[0-9]{4}r[0-3]p[0-9]+ " "$T/all" | sort -u | wc -l)
[ "$listed" -eq $TOTAL ] || fail "show volumes lists $listed volumes, not $TOTAL"
[ "$(tail -n 1 "$T/all")" = "$TOTAL volumes" ] ||
	fail "summary: $(tail -n 1 "$T/all")"

# rows FILTER...: the volume names a filtered listing shows, sorted.
rows() {
	admin "show volumes $*" | grep -Eo " s[0-9]{4}r[0-3]p[0-9]+ " |
		tr -d ' ' | sort -u
}
expect_rows() {	# expect_rows COUNT PATTERN FILTER...
	local count=$1 pattern=$2 got
	shift 2
	got=$(rows "$@")
	[ "$(echo "$got" | grep -c .)" -eq "$count" ] ||
		fail "'$*' gives $(echo "$got" | grep -c .) rows, not $count"
	[ -z "$(echo "$got" | grep -Ev "$pattern")" ] ||
		fail "'$*' gives rows that do not match: $(echo "$got" | grep -Ev "$pattern" | head -3)"
}
expect_rows 100 '^s0042r' server swarm0042
expect_rows $PIECES '^s0042r3p' name 's0042r3*'
expect_rows 4 '^s000[0-3]r3p24$' name 's000[0-3]r3p24'
expect_rows 16 '^s0007r[0-3]p1[0-3]$' server swarm0007 name '*p1[0-3]'
expect_rows 0 . form single
[ "$(admin "show volumes form split" | tail -n 1)" = \
    "$TOTAL of $TOTAL volumes match" ] || fail "form split does not match all"
[ "$(admin "show regions server swarm0007" | grep -c "^swarm0007 ")" -eq 4 ] ||
	fail "show regions server swarm0007: $(admin "show regions server swarm0007")"
[ "$(admin "show servers name swarm00[0-4]*" | grep -c "^swarm00[0-4]")" -eq 50 ] ||
	fail "show servers name swarm00[0-4]* does not list 50 servers"

# Every lender has taken the new records before anything is lent.
owed() { mdb_stat -s owed "$T/mgr/state" | awk '/Entries:/ { print $2 }'; }
wait_for 240 sh -c "[ \"\$(mdb_stat -s owed '$T/mgr/state' | awk '/Entries:/ { print \$2 }')\" = 0 ]" ||
	fail "the lenders did not take their records: $(owed) owed"

# 16 borrowers race for the smallest volume of at least 2M.
for b in $(seq 1 16); do borrower_setup "host$b"; done
pids=()
for b in $(seq 1 16); do
	as "host$b" allocate --min-size 2M >"$T/race.$b" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "an allocate failed: $(cat "$T"/race.*)"; done
cat "$T"/race.* | awk '{ print $2 }' | sort >"$T/won"
[ "$(sort -u "$T/won" | wc -l)" -eq 16 ] ||
	fail "the 16 borrowers did not get 16 volumes: $(cat "$T"/race.*)"
grep -q "^allocated s[0-9]\{4\}r3p24 (4M, 4194304 bytes)$" "$T/race.1" ||
	fail "host1 got $(cat "$T/race.1"), not a 4M volume"
[ "$(grep -c "(4M, 4194304 bytes)$" "$T"/race.*  | awk -F: '{ s += $2 } END { print s }')" -eq 16 ] ||
	fail "not every borrower got a 4M volume: $(cat "$T"/race.*)"
for b in $(seq 1 16); do
	v=$(awk '{ print $2 }' "$T/race.$b")
	[ "$(rows borrower "host$b")" = "$v" ] ||
		fail "show volumes borrower host$b does not list $v alone"
done
[ "$(admin "show volumes" | tail -n 1)" = "$TOTAL volumes, 16 lent" ] ||
	fail "summary after the race: $(admin "show volumes" | tail -n 1)"
pass
