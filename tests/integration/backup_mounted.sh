#!/usr/bin/env bash
# The `mounted` policy while the borrower writes (a dsp_load writer
# runs through the whole test): with `skip` the mounted volume is
# passed over and an unmounted one copied (clean); with `copy` the
# mounted one is copied live, marked fuzzy, and its copy verifies
# (every chunk as it was read); the writer is never disturbed: no
# acknowledged write is lost, every block it wrote reads back.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A:16M
start_agent serverB 127.0.2.2 B:16M
start_agent serverC 127.0.2.3 C:16M
admin "volume create Vol-1 single serverA:A" >/dev/null || fail "create Vol-1"
admin "volume create Vol-2 concat serverB:B serverC:C" >/dev/null || fail "create Vol-2"
borrower_setup serverJ
as serverJ allocate Vol-2 >/dev/null && as serverJ mount Vol-2 >/dev/null ||
	fail "mount Vol-2"
DSP_LOAD_PAUSE_MS=20 dsp_load -f "$T/serverJ/daspool.conf" write Vol-2 24 \
	"$T/load.log" "$T/stop" >"$T/load.out" 2>&1 &
load=$!
PIDS+=("$load")
wait_for 10 test -s "$T/load.log" || fail "the writer did not start: $(cat "$T/load.out")"

backup_setup backup1
conf="$T/backup1/daspool-backup.conf"
lib="$T/library" cat="$T/catalog"
daspool-backup make-library "$lib" --slots 2 --tapes 1 --capacity 128M >/dev/null ||
	fail "make-library"
daspool-backup label 1 DSP001 --library "$lib" >/dev/null || fail "label"

sed 's/^mounted = .*//' "$conf" >"$T/skip.conf"
echo 'mounted = "skip"' >>"$T/skip.conf"
out=$(daspool-backup -f "$T/skip.conf" run) || fail "run with skip: $out"
echo "$out" | grep -q "^skipped Vol-2: mounted by its borrower (mounted = skip)$" ||
	fail "Vol-2 was not skipped: $out"
echo "$out" | grep -q "^copied Vol-1 as copy 1: " || fail "Vol-1 was not copied: $out"
echo "$out" | grep -q "^run ended: 1 copied, 1 skipped, 0 failed" || fail "skip run: $out"

writes=$(wc -l <"$T/load.log")
out=$(daspool-backup -f "$conf" copy Vol-2) || fail "copy with copy: $out"
echo "$out" | grep -q "^copied Vol-2 as copy 2: " || fail "Vol-2 was not copied: $out"
[ "$(wc -l <"$T/load.log")" -gt "$writes" ] || fail "the writer made no progress during the copy"
daspool-backup -f "$conf" list | grep -Eq "^2 +Vol-2 .* fuzzy " ||
	fail "the live copy is not fuzzy: $(daspool-backup -f "$conf" list)"
daspool-backup -f "$conf" list | grep -Eq "^1 +Vol-1 .* clean " ||
	fail "the unmounted copy is not clean: $(daspool-backup -f "$conf" list)"
daspool-backup -f "$conf" verify 2 >/dev/null || fail "the live copy does not verify"

touch "$T/stop"
wait "$load" || fail "the writer failed: $(cat "$T/load.out")"
dsp_load -f "$T/serverJ/daspool.conf" verify Vol-2 "$T/load.log" >"$T/verify.out" ||
	fail "acknowledged writes lost: $(cat "$T/verify.out")"
pass
