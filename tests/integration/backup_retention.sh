#!/usr/bin/env bash
# Retention recycles the oldest tape, never one under retention, and
# the scratch pool is the reserve: with tapes that hold one copy each
# and keep_copies = 1, the first two copies go on the two pool tapes
# (not on the scratch tape, though it is in the first slot), the third
# on the scratch tape, the fourth on the tape of the first (now
# expired) copy, which leaves the catalog; with keep_copies = 3 no tape
# is free and the copy is refused, nothing overwritten.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:8M
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create Vol-1"
borrower_setup serverJ
as serverJ allocate Vol-1 >/dev/null && as serverJ mount Vol-1 >/dev/null &&
	head -c 8M /dev/urandom | as serverJ write Vol-1 --input - &&
	as serverJ unmount Vol-1 >/dev/null || fail "fill Vol-1"
backup_setup backup1
conf="$T/backup1/daspool-backup.conf"
printf 'keep_days = 0\nkeep_copies = 1\nscratch = {"SCR*"}\n' >>"$conf"
# A copy of Vol-1 is 8394752 bytes on tape: one fills a tape. The
# scratch tape is in the first slot: it is still taken last.
daspool-backup make-library "$T/library" --slots 3 --tapes 3 \
	--capacity 8394752 >/dev/null || fail "library"
daspool-backup -f "$conf" label 1 SCR001 && daspool-backup -f "$conf" label 2 DSP001 &&
	daspool-backup -f "$conf" label 3 DSP002 || fail "labels"
daspool-backup -f "$conf" tapes | grep -q "^1 *SCR001 .* scratch$" ||
	fail "tapes does not show the scratch tape: $(daspool-backup -f "$conf" tapes)"

for n in 1 2; do
	out=$(daspool-backup -f "$conf" copy Vol-1) || fail "copy $n: $out"
	echo "$out" | grep -q "^copied Vol-1 as copy $n: 8394752 bytes .* to DSP00$n:0$" ||
		fail "copy $n: $out"
	sleep 1.1
done
# Both full: the scratch tape is taken before any tape is written over.
out=$(daspool-backup -f "$conf" copy Vol-1) || fail "copy 3: $out"
echo "$out" | grep -q "^copied Vol-1 as copy 3: .* to SCR001:0$" ||
	fail "copy 3 did not go on the scratch tape: $out"
sleep 1.1
# All full: the oldest tape retention lets go is written over.
out=$(daspool-backup -f "$conf" copy Vol-1) || fail "copy 4: $out"
echo "$out" | grep -q "^copied Vol-1 as copy 4: .* to DSP001:0$" ||
	fail "copy 4 did not reuse DSP001: $out"
[ "$(daspool-backup -f "$conf" list | tail -n +2 | awk '{ print $1, $NF }')" = "2 DSP002:0
3 SCR001:0
4 DSP001:0" ] || fail "catalog: $(daspool-backup -f "$conf" list)"
daspool-backup -f "$conf" verify 4 >/dev/null || fail "copy 4 does not verify"

# Three copies kept: every tape holds one that is needed.
sed -i 's/^keep_copies = 1$/keep_copies = 3/' "$conf"
sleep 1.1
got=$(daspool-backup -f "$conf" copy Vol-1 2>&1) && fail "a tape under retention was reused: $got"
echo "$got" | grep -q "none that retention lets go" || fail "the refusal: $got"
for n in 2 3 4; do
	daspool-backup -f "$conf" verify "$n" >/dev/null || fail "copy $n was damaged"
done
pass
