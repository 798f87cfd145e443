#!/usr/bin/env bash
# daspool-backup copies volumes of every form to a virtual tape library
# with a backup certificate: a full single volume, a concat written in
# its first half only (its holes are not stored), a mirror; the copies
# fill one tape and go on on the next (a copy spans two tapes); each
# copy's tape file(s), put back in order and given to a stock tar,
# hold RESTORE.txt, the MANIFEST and the image, whose bytes are the
# volume's; `verify` checks every chunk of each copy; `restore` to a
# file gives the volume's SHA-256; a byte flipped on the tape makes
# verify fail naming the chunk. The catalog numbers the copies, lists
# them with their tapes, keeps a verify's verdict (a copy with a
# flipped byte is marked bad), and forgets a copy.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:16M
start_agent serverB 127.0.2.2 B2:8M
start_agent serverC 127.0.2.3 C2:8M
start_agent serverD 127.0.2.4 D:16M
start_agent serverE 127.0.2.5 E:16M
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create Vol-1"
admin "volume create Vol-2 concat serverB:B2 serverC:C2" >/dev/null || fail "create Vol-2"
admin "volume create Vol-3 mirror serverD:D serverE:E" >/dev/null || fail "create Vol-3"
borrower_setup serverJ
for v in Vol-1 Vol-2 Vol-3; do
	as serverJ allocate "$v" >/dev/null && as serverJ mount "$v" >/dev/null ||
		fail "mount $v"
done
head -c 16M /dev/urandom | as serverJ write Vol-1 --input - || fail "write Vol-1"
head -c 8M /dev/urandom | as serverJ write Vol-2 --input - || fail "write Vol-2"
head -c 4M /dev/urandom | as serverJ write Vol-3 --offset 5M --input - || fail "write Vol-3"
for v in Vol-1 Vol-2 Vol-3; do
	as serverJ read "$v" | sha256sum | cut -d' ' -f1 >"$T/$v.sha" || fail "read $v"
done

backup_setup backup1
lib="$T/library"
daspool-backup make-library "$lib" --slots 6 --tapes 4 --capacity 20M ||
	fail "make-library"
for s in 1 2 3 4; do
	daspool-backup label "$s" "DSP00$s" --library "$lib" || fail "label $s"
done
cat="$T/catalog"
out=$(daspool-backup -f "$T/backup1/daspool-backup.conf" copy Vol-1 Vol-2 Vol-3 \
    --library "$lib" --catalog "$cat") || fail "copy: $out"
out=$(echo "$out" | sed 's/ as copy [0-9]*//')
echo "$out" | grep -q "^copied Vol-1: 167.* bytes of 16777216 in .* s, to DSP001:0$" ||
	fail "Vol-1's copy: $out"
# Half of Vol-2 is holes: about 8 MiB stored of 16, over two tapes.
echo "$out" | grep -Eq "^copied Vol-2: 83[0-9]{5} bytes of 16777216 in .* s, to DSP001:1 DSP002:0$" ||
	fail "Vol-2's copy did not skip its holes or span two tapes: $out"
echo "$out" | grep -q "^copied Vol-3: .* to DSP002:1$" || fail "Vol-3's copy: $out"

# tape_file LABEL FILE: the path of that tape file in the library.
tape_file() {
	local slot
	slot=$(grep -l "^label=$1\$" "$lib"/slot.*/TAPE | head -n 1)
	printf '%s/file.%04d' "$(dirname "$slot")" "$2"
}
for v in Vol-1 Vol-2 Vol-3; do
	parts=$(echo "$out" | sed -n "s/^copied $v: .* to //p")
	mkdir -p "$T/restore/$v"
	for p in $parts; do cat "$(tape_file "${p%%:*}" "${p##*:}")"; done |
		env -i PATH=/usr/bin:/bin tar -xf - -C "$T/restore/$v" ||
		fail "tar -x of $v's copy"
	[ "$(ls "$T/restore/$v" | tr '\n' ' ')" = "MANIFEST RESTORE.txt $v.img " ] ||
		fail "$v's members: $(ls "$T/restore/$v")"
	[ "$(sha256sum <"$T/restore/$v/$v.img" | cut -d' ' -f1)" = "$(cat "$T/$v.sha")" ] ||
		fail "$v's restored image differs from the volume"
	grep -q "^volume $v$" "$T/restore/$v/MANIFEST" || fail "$v's MANIFEST"
done
grep -c "^chunk .* hole$" "$T/restore/Vol-2/MANIFEST" | grep -qx 8 ||
	fail "Vol-2's MANIFEST has not 8 holes: $(grep -c hole "$T/restore/Vol-2/MANIFEST")"

for v in Vol-1 Vol-2 Vol-3; do
	parts=$(echo "$out" | sed -n "s/^copied $v: .* to //p")
	# shellcheck disable=SC2086
	got=$(daspool-backup verify $parts --library "$lib") || fail "verify $v: $got"
	echo "$got" | grep -q "^verified $v: 16777216 bytes, [0-9]* of 16 chunks checked$" ||
		fail "verify $v said: $got"
	# shellcheck disable=SC2086
	got=$(daspool-backup restore $parts --to-file "$T/$v.restored" --library "$lib") ||
		fail "restore $v: $got"
	[ "$(sha256sum <"$T/$v.restored" | cut -d' ' -f1)" = "$(cat "$T/$v.sha")" ] ||
		fail "$v restored to a file differs from the volume"
done
daspool-backup verify DSP001:1 DSP002:0 --library "$lib" | grep -q " 8 of 16 chunks" ||
	fail "Vol-2's verify did not count its 8 data chunks"

# The tapes: DSP001 full up to where Vol-2 went on, two copies on it
# (Vol-1, and Vol-2's first part), DSP002 with Vol-2's rest and Vol-3.
tapes=$(daspool-backup tapes --library "$lib" --catalog "$cat") || fail "tapes"
[ "$(echo "$tapes" | awk 'NR > 1 && NF >= 6 { print $1, $2, $5, $6 }')" = "1 DSP001 2 2
2 DSP002 2 2
3 DSP003 0 0
4 DSP004 0 0" ] || fail "tapes: $tapes"
echo "$tapes" | grep -q "^1 .* 20971520 *20971520 " || fail "DSP001 is not full: $tapes"
echo "$tapes" | grep -q "^5 *-$" || fail "an empty slot: $tapes"
echo "$tapes" | grep -q "^2 .* in the drive$" || fail "the drive: $tapes"

# Retention: a tape holding a copy still kept is not relabelled; an
# unused one is.
got=$(daspool-backup -f "$T/backup1/daspool-backup.conf" label 2 DSP009 \
    --library "$lib" --catalog "$cat" 2>&1) && fail "a tape under retention was relabelled"
echo "$got" | grep -q "tape DSP002 holds copy 2 of Vol-2, under retention (keep_days 30, keep_copies 2)" ||
	fail "the refusal: $got"
daspool-backup -f "$T/backup1/daspool-backup.conf" label 4 DSP009 \
    --library "$lib" --catalog "$cat" || fail "relabel an unused tape"

# The catalog: the three copies, numbered; a verify by number is kept.
list=$(daspool-backup list --catalog "$cat") || fail "list"
# All three are mounted by serverJ while copied: "fuzzy" copies.
[ "$(echo "$list" | tail -n +2 | awk '{ print $1, $2, $4, $7 }')" = "1 Vol-1 fuzzy ok
2 Vol-2 fuzzy ok
3 Vol-3 fuzzy ok" ] || fail "list: $list"
echo "$list" | grep -q "^2 .* DSP001:1 DSP002:0$" || fail "Vol-2's tapes in the catalog: $list"
[ "$(daspool-backup list Vol-3 --catalog "$cat" | tail -n +2 | awk '{ print $1 }')" = 3 ] ||
	fail "list Vol-3"
daspool-backup verify 1 --library "$lib" --catalog "$cat" >/dev/null || fail "verify copy 1"

# mounted = skip: a mounted volume is passed over, an unmounted one is
# copied, and "clean".
cp "$T/backup1/daspool-backup.conf" "$T/skip.conf"
echo 'mounted = "skip"' >>"$T/skip.conf"
as serverJ unmount Vol-3 >/dev/null || fail "unmount Vol-3"
got=$(daspool-backup -f "$T/skip.conf" copy Vol-1 Vol-3 --library "$lib" \
    --catalog "$cat") || fail "copy with mounted = skip: $got"
echo "$got" | grep -q "^skipped Vol-1: mounted by its borrower (mounted = skip)$" ||
	fail "Vol-1 was not skipped: $got"
echo "$got" | grep -q "^copied Vol-3 as copy 4: " || fail "Vol-3 was not copied: $got"
daspool-backup list Vol-3 --catalog "$cat" | grep -q "^4 .* clean " ||
	fail "the unmounted Vol-3's copy is not clean: $(daspool-backup list Vol-3 --catalog "$cat")"
daspool-backup list --catalog "$cat" | grep -q "^1 .* verified " || fail "the verify was not kept"

# A byte flipped inside Vol-1's image on tape: chunk 5 no longer matches.
f=$(tape_file DSP001 0)
# The member's header is the block that starts with its name; its one
# block of sparse map, then the data.
hdr=$(grep -abo "GNUSparseFile.0/Vol-1.img" "$f" | awk -F: '$1 % 512 == 0 { print $1; exit }')
pos=$(( hdr + 1024 + 5 * 1048576 + 77 ))
printf "\\x$(printf %02x $(( ($(od -An -tu1 -j "$pos" -N1 "$f") + 1) % 256 )))" |
	dd of="$f" bs=1 seek="$pos" conv=notrunc 2>/dev/null
got=$(daspool-backup verify DSP001:0 --library "$lib" 2>&1) && fail "verify passed a flipped byte: $got"
echo "$got" | grep -q "chunk 5 (bytes 5242880-6291455) of Vol-1's copy does not match its SHA-256" ||
	fail "verify did not name the chunk: $got"
daspool-backup verify 1 --library "$lib" --catalog "$cat" >/dev/null 2>&1 &&
	fail "verify by number passed a flipped byte"
daspool-backup list --catalog "$cat" | grep -q "^1 .* bad " || fail "the bad copy is not marked"
daspool-backup forget 1 --catalog "$cat" || fail "forget"
[ "$(daspool-backup list Vol-1 --catalog "$cat" | tail -n +2)" = "" ] || fail "copy 1 not forgotten"
expect_fail "no copy 1" daspool-backup forget 1 --catalog "$cat"

# scan: the catalog rebuilt from the tapes alone. The copies come back
# in the order made with the same tapes (Vol-2 followed from DSP001
# onto DSP002); Vol-1's copy with the flipped byte is reported, not
# catalogued, and the exit status says so.
expect_fail "the catalog holds 3 copies: scan rebuilds an empty one" \
    daspool-backup scan --library "$lib" --catalog "$cat"
before=$(daspool-backup list --catalog "$cat" | tail -n +2 | awk '{ $1 = ""; $7 = ""; print }')
rm -rf "$cat"
got=$(daspool-backup scan --library "$lib" --catalog "$cat") && fail "scan passed over a broken copy: $got"
echo "$got" | grep -q "^not whole: the copy of Vol-1 begun at DSP001:0: chunk 5 " ||
	fail "scan did not report Vol-1's broken copy: $got"
echo "$got" | grep -q "^found copy 1 of Vol-2 (fuzzy, .*), 16777216 bytes, on DSP001:1 DSP002:0$" ||
	fail "scan did not follow Vol-2 across its tapes: $got"
echo "$got" | grep -q "^scanned [0-9]* tape files: 3 copies catalogued, 1 not whole$" ||
	fail "scan's summary: $got"
after=$(daspool-backup list --catalog "$cat" | tail -n +2 | awk '{ $1 = ""; $7 = ""; print }')
[ "$after" = "$before" ] || fail "the scanned catalog differs:
$before
---
$after"
daspool-backup verify 1 --library "$lib" --catalog "$cat" >/dev/null ||
	fail "verify of a scanned copy"
# Vol-2's second part cut short (as by a copy that never ended): the
# copy is not whole, and nothing on the tapes is taken for its rest.
truncate -s 1M "$(tape_file DSP002 0)"
rm -rf "$cat"
got=$(daspool-backup scan --library "$lib" --catalog "$cat") && fail "scan passed over a cut copy: $got"
echo "$got" | grep -q "^not whole: the copy begun at DSP001:1: it runs off the end of DSP002:0, and no file on the tapes carries it on$" ||
	fail "scan did not report Vol-2's cut copy: $got"
echo "$got" | grep -q "2 copies catalogued, 2 not whole$" || fail "scan's summary: $got"
pass
