#!/usr/bin/env bash
# A tape file as the backup writes it, read back by a stock GNU tar and
# nothing of daspool: an image with data at 3 MiB and near 50 MB and
# holes elsewhere (64 MiB in all) is extracted byte-exact, its holes
# holes again; an image that is all hole, and one with a long name
# (pax path), likewise.
. "$(dirname "$0")/functions.sh"
command -v tar >/dev/null || fail "tar is not installed"

truncate -s 64M "$T/img"
head -c 1M /dev/urandom | dd of="$T/img" bs=1M seek=3 conv=notrunc 2>/dev/null
head -c 100000 /dev/urandom | dd of="$T/img" bs=1 seek=50000000 conv=notrunc 2>/dev/null
dsp_tar "$T/img" "$T/a.tar" Vol-9.img || fail "dsp_tar"
[ "$(tar -tf "$T/a.tar")" = "MANIFEST
RESTORE.txt
Vol-9.img" ] || fail "members: $(tar -tf "$T/a.tar")"
mkdir -p "$T/out"
# A tar of its own, from a clean environment: only coreutils and tar.
env -i PATH=/usr/bin:/bin tar -xf "$T/a.tar" -C "$T/out" || fail "tar -x"
cmp -s "$T/img" "$T/out/Vol-9.img" || fail "the extracted image differs"
[ "$(stat -c %s "$T/out/Vol-9.img")" = 67108864 ] || fail "extracted size"
[ "$(du -k "$T/out/Vol-9.img" | cut -f1)" -lt 4096 ] ||
	fail "the holes were written out: $(du -k "$T/out/Vol-9.img")"
grep -q "^regions 2$" "$T/out/MANIFEST" || fail "MANIFEST: $(cat "$T/out/MANIFEST")"
# The archive holds the data, not the holes.
[ "$(stat -c %s "$T/a.tar")" -lt 2000000 ] || fail "archive size $(stat -c %s "$T/a.tar")"

truncate -s 10M "$T/empty"
dsp_tar "$T/empty" "$T/b.tar" empty.img || fail "dsp_tar of a hole"
tar -xf "$T/b.tar" -C "$T/out" || fail "tar -x of a hole"
cmp -s "$T/empty" "$T/out/empty.img" || fail "the empty image differs"

long=$(printf 'v%.0s' $(seq 1 150)).img
head -c 5000 /dev/urandom >"$T/small"
dsp_tar "$T/small" "$T/c.tar" "$long" || fail "dsp_tar with a long name"
tar -xf "$T/c.tar" -C "$T/out" || fail "tar -x with a long name"
cmp -s "$T/small" "$T/out/$long" || fail "the long-named image differs"
pass
