#!/usr/bin/env bash
# daspool-backup restore writes a copy back to a volume through the
# normal data path: a borrower config allocates and mounts the target,
# the image is written (the target's old bytes past the image and in
# its holes read as zeroes), and the volume is unmounted and released
# after. A target smaller than the image, or lent to another borrower,
# is refused with the reason and left as it was. --to with a path
# restores to a file.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A:8M
start_agent serverB 127.0.2.2 B:8M
start_agent serverC 127.0.2.3 C:24M
start_agent serverD 127.0.2.4 D:16M
admin "volume create Vol-2 concat serverA:A serverB:B" >/dev/null || fail "create Vol-2"
admin "volume create Vol-3 single serverC:C" >/dev/null || fail "create Vol-3"
admin "volume create Vol-4 single serverD:D" >/dev/null || fail "create Vol-4"
borrower_setup serverJ
borrower_setup serverK
for v in Vol-2 Vol-3; do
	as serverJ allocate "$v" >/dev/null && as serverJ mount "$v" >/dev/null ||
		fail "mount $v"
done
# Vol-2: data in its first extent and 1 MiB in its second, holes between.
head -c 6M /dev/urandom | as serverJ write Vol-2 --input - || fail "write Vol-2"
head -c 1M /dev/urandom | as serverJ write Vol-2 --offset 12M --input - || fail "write Vol-2"
as serverJ read Vol-2 | sha256sum | cut -d' ' -f1 >"$T/Vol-2.sha"
# Vol-3, the target, full of other bytes that must not survive.
head -c 24M /dev/urandom | as serverJ write Vol-3 --input - || fail "write Vol-3"
for v in Vol-2 Vol-3; do
	as serverJ unmount "$v" >/dev/null && as serverJ release "$v" >/dev/null ||
		fail "give back $v"
done

# borrower_of VOLUME: its borrower in show volumes, "-" when free.
borrower_of() {
	admin "show volumes" | awk -v v="$1" '$5 == v { print $2 }'
}

backup_setup backup1
lib="$T/library" cat="$T/catalog"
daspool-backup make-library "$lib" --slots 2 --tapes 2 --capacity 64M >/dev/null ||
	fail "make-library"
daspool-backup label 1 DSP001 --library "$lib" >/dev/null || fail "label"
out=$(daspool-backup -f "$T/backup1/daspool-backup.conf" copy Vol-2 Vol-3) ||
	fail "copy: $out"
echo "$out" | grep -q "^copied Vol-2 as copy 1: " || fail "copy: $out"

got=$(daspool-backup -f "$T/backup1/daspool-backup.conf" restore 1 \
    --to-volume Vol-3 --borrower "$T/serverK/daspool.conf") || fail "restore: $got"
[ "$got" = "restored Vol-2: 16777216 bytes, 7 of 16 chunks checked, to Vol-3" ] ||
	fail "restore said: $got"
[ "$(borrower_of Vol-3)" = - ] || fail "Vol-3 was not released: $(admin "show volumes")"
as serverJ allocate Vol-3 >/dev/null && as serverJ mount Vol-3 >/dev/null ||
	fail "borrow the restored Vol-3"
[ "$(as serverJ read Vol-3 --length 16M | sha256sum | cut -d' ' -f1)" = "$(cat "$T/Vol-2.sha")" ] ||
	fail "Vol-3 does not hold Vol-2's bytes"
[ "$(as serverJ read Vol-3 --offset 16M | tr -d '\0' | wc -c)" = 0 ] ||
	fail "Vol-3's bytes past the image are not zero"

# Lent to another borrower: refused, and still lent to it.
expect_fail "allocating Vol-3: .*(lent|borrow)" daspool-backup \
    -f "$T/backup1/daspool-backup.conf" restore 1 --to-volume Vol-3 \
    --borrower "$T/serverK/daspool.conf"
[ "$(borrower_of Vol-3)" = serverJ ] || fail "Vol-3 was taken from serverJ: $(admin "show volumes")"
as serverJ unmount Vol-3 >/dev/null && as serverJ release Vol-3 >/dev/null

# Too small: Vol-3's copy (24 MiB) to Vol-4 (16 MiB) is refused, and
# Vol-4 given back untouched.
expect_fail "volume Vol-4 has 16777216 bytes, the image 25165824" daspool-backup \
    -f "$T/backup1/daspool-backup.conf" restore 2 --to Vol-4 \
    --borrower "$T/serverK/daspool.conf"
[ "$(borrower_of Vol-4)" = - ] || fail "Vol-4 was not given back: $(admin "show volumes")"

# --to PATH: a file.
daspool-backup -f "$T/backup1/daspool-backup.conf" restore 1 --to "$T/Vol-2.img" \
    >/dev/null || fail "restore to a file"
[ "$(sha256sum <"$T/Vol-2.img" | cut -d' ' -f1)" = "$(cat "$T/Vol-2.sha")" ] ||
	fail "the file does not hold Vol-2's bytes"
expect_fail "no such borrower config" daspool-backup \
    -f "$T/backup1/daspool-backup.conf" restore 1 --to-volume Vol-4 \
    --borrower "$T/nowhere.conf"
pass
