#!/usr/bin/env bash
# The whole lending loop between real daemons: register, create, allocate,
# mount, write/read/search/erase/init, unmount, release. 64 MiB written at
# scattered offsets must read back identical.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:256M A2:64M
borrower_setup serverJ

admin "show regions" | grep -q "A1" || fail "region A1 not registered"
admin "volume create Vol-1 single serverA:A1" || fail "volume create"
admin "volume create Vol-2 single serverA:A2" || fail "volume create Vol-2"
expect_fail "exist|already" admin "volume create Vol-1 single serverA:A2"
expect_fail "used|overlap|belongs" admin "volume create Vol-9 single serverA:A1"
expect_fail "not registered|unknown|no such" admin "volume create Vol-9 single serverQ:A1"

out=$(as serverJ allocate Vol-1) || fail "allocate: $out"
admin "show volumes" | grep "Vol-1" | grep -q serverJ || fail "borrower not in table"
as serverJ mount Vol-1 >"$T/mount.out" || fail "mount"
grep -q "serverA" "$T/mount.out" || fail "mount info names no lender"
grep -q "127.0.2.1" "$T/mount.out" || fail "mount info has no lender address"
admin "show volumes" | grep "Vol-1" | grep -Eq "[[:space:]]1([[:space:]]|$)" ||
	fail "status is not 1 after mount"

# 64 scattered 1 MiB pieces (64 MiB in all) at odd offsets over 256 MiB.
head -c $((64 << 20)) /dev/urandom >"$T/data"
offsets=()
for i in $(seq 0 63); do
	offsets+=($(( (i * 37 % 64) * (4 << 20) + (i * 4099) % (3 << 20) )))
done
i=0
for off in "${offsets[@]}"; do
	dd if="$T/data" of="$T/piece" bs=1M skip=$i count=1 status=none
	as serverJ write Vol-1 --offset "$off" --input "$T/piece" ||
		fail "write at $off"
	i=$((i + 1))
done
i=0
for off in "${offsets[@]}"; do
	as serverJ read Vol-1 --offset "$off" --length 1M --output "$T/back" ||
		fail "read at $off"
	dd if="$T/data" of="$T/piece" bs=1M skip=$i count=1 status=none
	[ "$(sha "$T/back")" = "$(sha "$T/piece")" ] ||
		fail "piece $i at offset $off differs"
	i=$((i + 1))
done

# One large write and read through the pipelined path.
as serverJ write Vol-1 --offset 0 --input "$T/data" || fail "64M write"
as serverJ read Vol-1 --offset 0 --length 64M --output "$T/back" || fail "64M read"
[ "$(sha "$T/back")" = "$(sha "$T/data")" ] || fail "64M read back differs"
# The agent's backing file holds exactly those bytes.
cmp -n $((64 << 20)) "$T/data" "$T/disks/serverA-A1" || fail "backing file differs"

# search finds a pattern planted at a known offset.
printf 'NEEDLE-in-the-pool' >"$T/needle"
as serverJ write Vol-1 --offset 200000123 --input "$T/needle" || fail "write needle"
out=$(as serverJ search Vol-1 NEEDLE-in-the-pool) || fail "search"
echo "$out" | grep -qw 200000123 || fail "search did not find the needle: $out"

# erase zeroes exactly the range asked.
as serverJ erase Vol-1 --offset 1M --length 2M || fail "erase"
as serverJ read Vol-1 --offset 1M --length 2M --output "$T/back" || fail "read erased"
head -c 2M /dev/zero | cmp - "$T/back" || fail "erased range is not zero"
as serverJ read Vol-1 --offset 3M --length 1M --output "$T/back" || fail "read after"
dd if="$T/data" of="$T/piece" bs=1M skip=3 count=1 status=none
cmp "$T/back" "$T/piece" || fail "erase touched bytes past its range"

# Bad input gets a clear error.
expect_fail "past the end|out of range|outside" \
	as serverJ read Vol-1 --offset 300M --length 1M --output "$T/back"
expect_fail "size|invalid|number" \
	as serverJ read Vol-1 --offset 12Q --length 1M --output "$T/back"
expect_fail "unknown|usage" as serverJ frobnicate Vol-1

as serverJ allocate Vol-2 >/dev/null || fail "allocate Vol-2"
as serverJ mount Vol-2 >/dev/null || fail "mount Vol-2"
as serverJ write Vol-2 --offset 5M --input "$T/piece" || fail "write Vol-2"
cmp -s <(head -c 64M /dev/zero) "$T/disks/serverA-A2" && fail "write to Vol-2 left no trace"
as serverJ init Vol-2 || fail "init"
head -c 64M /dev/zero | cmp - "$T/disks/serverA-A2" || fail "init left data"

as serverJ status | grep -q Vol-1 || fail "status does not list Vol-1"
as serverJ unmount Vol-1 || fail "unmount"
admin "show volumes" | grep "Vol-1" | grep -Eq "[[:space:]]0([[:space:]]|$)" ||
	fail "status is not 0 after unmount"
expect_fail "not mounted|mount" as serverJ read Vol-1 --offset 0 --length 1 \
	--output "$T/back"
as serverJ release Vol-1 || fail "release"
admin "show volumes" | grep "Vol-1" | grep -q serverJ && fail "still lent after release"
admin "show audit" | grep -q allocate || fail "audit trail has no allocate"
pass
