#!/usr/bin/env bash
# concat: two regions on two servers joined end to end into one volume as
# large as both. A write that straddles the seam lands half in each
# backing file at the right region offsets and reads back identical; a
# full fill reads back with the same sha256; search reports volume
# offsets (not region offsets) on both sides of the seam and across it;
# nothing reaches past the end of the second extent.
. "$(dirname "$0")/functions.sh"

MiB=$((1 << 20))
B=$((8 * MiB))		# serverB:B2, the first extent
C=$((8 * MiB))		# serverC:C2, the second
SEAM=$B
start_mgr
start_agent serverB 127.0.5.2 B2:8M
start_agent serverC 127.0.5.3 C2:8M
borrower_setup serverJ

admin "volume create Vol-2 concat serverB:B2 serverC:C2" || fail "create Vol-2"
expect_fail "used|overlap|belongs|in use" \
	admin "volume create Vol-9 concat serverC:C2 serverB:B2"
admin "show volumes" >"$T/table"
grep -E "^serverB[[:space:]]" "$T/table" | grep -w Vol-2 | grep -qw concat ||
	fail "serverB's line is not Vol-2 concat: $(cat "$T/table")"
grep -E "^serverC[[:space:]]" "$T/table" | grep -q "C2" ||
	fail "no line for the second extent serverC:C2: $(cat "$T/table")"
admin "show volume Vol-2" | grep -Eq "16M|16777216" ||
	fail "Vol-2 is not 16M: $(admin "show volume Vol-2")"

# By size: only the concat is large enough.
out=$(as serverJ allocate --min-size 12M) || fail "allocate by size: $out"
echo "$out" | grep -q "Vol-2" || fail "allocate --min-size 12M did not pick Vol-2: $out"
as serverJ mount Vol-2 >"$T/mount.out" || fail "mount Vol-2"
grep -q 127.0.5.2 "$T/mount.out" && grep -q 127.0.5.3 "$T/mount.out" ||
	fail "mount info does not name both lenders: $(cat "$T/mount.out")"

# 64 KiB straddling the seam: 32 KiB on B2's end, 32 KiB at C2's start.
head -c 64K /dev/urandom >"$T/seam"
off=$((SEAM - 32 * 1024))
as serverJ write Vol-2 --offset $off --input "$T/seam" || fail "write across the seam"
as serverJ read Vol-2 --offset $off --length 64K --output "$T/back" ||
	fail "read across the seam"
cmp "$T/seam" "$T/back" || fail "read across the seam differs"
cmp -n 32768 "$T/seam" <(dd if="$T/disks/serverB-B2" bs=32K skip=$((off / 32768)) \
	count=1 status=none) || fail "first half is not at the end of B2"
cmp -n 32768 <(dd if="$T/seam" bs=32K skip=1 count=1 status=none) \
	<(dd if="$T/disks/serverC-C2" bs=32K count=1 status=none) ||
	fail "second half is not at the start of C2"

# Odd sizes and offsets: 3 bytes either side of the seam.
printf 'abcdef' >"$T/six"
as serverJ write Vol-2 --offset $((SEAM - 3)) --input "$T/six" || fail "6-byte write"
[ "$(dd if="$T/disks/serverB-B2" bs=1 skip=$((SEAM - 3)) count=3 status=none)" = abc ] ||
	fail "bytes before the seam not in B2"
[ "$(dd if="$T/disks/serverC-C2" bs=1 count=3 status=none)" = def ] ||
	fail "bytes after the seam not at C2's offset 0"
[ "$(as serverJ read Vol-2 --offset $((SEAM - 3)) --length 6)" = abcdef ] ||
	fail "6 bytes across the seam do not read back"

# The whole volume from a random file.
head -c $((B + C)) /dev/urandom >"$T/fill"
as serverJ write Vol-2 --input "$T/fill" || fail "fill Vol-2"
as serverJ read Vol-2 --output "$T/back" || fail "read all of Vol-2"
[ "$(stat -c %s "$T/back")" = $((B + C)) ] || fail "full read is $(stat -c %s "$T/back") bytes"
[ "$(sha "$T/back")" = "$(sha "$T/fill")" ] || fail "full read's sha256 differs"
cmp -n $B "$T/fill" "$T/disks/serverB-B2" || fail "B2 does not hold the first 8M"
cmp <(tail -c $C "$T/fill") "$T/disks/serverC-C2" || fail "C2 does not hold the last 8M"

# search: volume offsets on each side and across the seam.
needle=concat-needle-7f3a9c1e
printf '%s' "$needle" >"$T/needle"
across=$((SEAM - 9))
inC=$((SEAM + 3 * MiB + 5))
inB=$((MiB + 77))
for o in $inB $across $inC; do
	as serverJ write Vol-2 --offset $o --input "$T/needle" || fail "write needle at $o"
done
out=$(as serverJ search Vol-2 "$needle") || fail "search: $out"
[ "$(echo "$out" | sort -n | paste -sd' ')" = "$inB $across $inC" ] ||
	fail "search found '$(echo "$out" | paste -sd' ')', want '$inB $across $inC'"
out=$(as serverJ search Vol-2 "$needle" --offset $((SEAM - 4096)) --length 8K) ||
	fail "search in a range: $out"
[ "$out" = "$across" ] || fail "ranged search found '$out', want $across"

# Not a byte past the end; the error says so.
expect_fail "past the end|out of range|outside" \
	as serverJ read Vol-2 --offset 16M --length 1
expect_fail "past the end|out of range|outside" \
	as serverJ write Vol-2 --offset $((B + C - 2)) --input "$T/six"
cmp <(tail -c 2 "$T/fill") <(tail -c 2 "$T/disks/serverC-C2") ||
	fail "a refused write past the end changed C2"

# Unmount revokes at both lenders; the table shows it.
as serverJ unmount Vol-2 || fail "unmount"
admin "show volumes" | grep -E "^serverB[[:space:]]" | grep -Eq "[[:space:]]0([[:space:]]|$)" ||
	fail "status not 0 after unmount: $(admin "show volumes")"
as serverJ release Vol-2 || fail "release"
admin "show volumes" | grep -q serverJ && fail "still lent after release: $(admin "show volumes")"
pass
