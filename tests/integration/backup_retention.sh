#!/usr/bin/env bash
# Retention recycles the oldest tape, never one under retention: with
# tapes that hold one copy each and keep_copies = 1, a third copy of a
# volume goes on the tape of its first (now expired) copy, which leaves
# the catalog; with keep_copies = 2 no tape is free and the copy is
# refused, nothing overwritten.
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
printf 'keep_days = 0\nkeep_copies = 1\n' >>"$conf"
# A copy of Vol-1 is 8394752 bytes on tape: one fills a tape.
daspool-backup make-library "$T/library" --slots 2 --tapes 2 \
	--capacity 8394752 >/dev/null || fail "library"
daspool-backup -f "$conf" label 1 DSP001 && daspool-backup -f "$conf" label 2 DSP002 ||
	fail "labels"

for n in 1 2; do
	out=$(daspool-backup -f "$conf" copy Vol-1) || fail "copy $n: $out"
	echo "$out" | grep -q "^copied Vol-1 as copy $n: 8394752 bytes .* to DSP00$n:0$" ||
		fail "copy $n: $out"
	sleep 1.1
done
out=$(daspool-backup -f "$conf" copy Vol-1) || fail "copy 3: $out"
echo "$out" | grep -q "^copied Vol-1 as copy 3: .* to DSP001:0$" ||
	fail "copy 3 did not reuse DSP001: $out"
[ "$(daspool-backup -f "$conf" list | tail -n +2 | awk '{ print $1, $NF }')" = "2 DSP002:0
3 DSP001:0" ] || fail "catalog: $(daspool-backup -f "$conf" list)"
daspool-backup -f "$conf" verify 3 >/dev/null || fail "copy 3 does not verify"

# Two copies kept: copy 2 is the only older one, and it is needed.
sed -i 's/^keep_copies = 1$/keep_copies = 2/' "$conf"
sleep 1.1
got=$(daspool-backup -f "$conf" copy Vol-1 2>&1) && fail "a tape under retention was reused: $got"
echo "$got" | grep -q "none that retention lets go" || fail "the refusal: $got"
daspool-backup -f "$conf" verify 2 >/dev/null || fail "copy 2 was damaged"
daspool-backup -f "$conf" verify 3 >/dev/null || fail "copy 3 was damaged"
pass
