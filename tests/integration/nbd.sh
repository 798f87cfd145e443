#!/usr/bin/env bash
# A mounted volume as an NBD export, driven by the real tools: nbdinfo
# shows its size, block sizes and abilities and the base:allocation map
# of a half-written concat volume; nbdcopy moves 256 MiB of random data
# in and out across the concat's seam, intact; qemu-img convert and
# compare agree, qemu-io's write -z and discard read back as zeroes; the
# handshake and request
# cases no real client sends (a request where an option goes, a 1 MiB
# export name, a READ past the end, an unknown command, a WRITE whose
# payload stops early) get the protocol's answers and the export goes on
# serving; loopback TCP works;
# SIGTERM stops it cleanly; an unmount from elsewhere ends it with a
# line saying why.
. "$(dirname "$0")/functions.sh"
for p in nbdinfo nbdcopy qemu-img qemu-io; do
	command -v "$p" >/dev/null || fail "$p is not installed: run scripts/install-deps.sh"
done

start_mgr
start_agent serverB 127.0.2.2 B2:160M
start_agent serverC 127.0.2.3 C2:160M
admin "volume create Vol-2 concat serverB:B2 serverC:C2" >/dev/null || fail "create Vol-2"
borrower_setup serverJ
as serverJ allocate Vol-2 >/dev/null && as serverJ mount Vol-2 >/dev/null ||
	fail "mount Vol-2"
size=$((320 * 1024 * 1024))
seam=$((160 * 1024 * 1024))

# start_export VOLUME ARGS...: daspool nbd in the background, until it
# says where it listens; EXPORT_PID, EXPORT_URI.
start_export() {
	local vol=$1
	shift
	(exec daspool -f "$T/serverJ/daspool.conf" nbd "$vol" "$@") \
		>"$T/export.out" 2>>"$T/export.log" &
	EXPORT_PID=$!
	PIDS+=("$EXPORT_PID")
	wait_for 10 grep -q "exported at" "$T/export.out" ||
		fail "the export did not start: $(cat "$T/export.log")"
	EXPORT_URI=$(sed -n 's/.* exported at //p' "$T/export.out")
}

sock="$T/nbd.sock"
start_export Vol-2 --socket "$sock"
uri="nbd+unix:///Vol-2?socket=$sock"
[ "$EXPORT_URI" = "nbd+unix:///?socket=$sock" ] || fail "printed URI: $EXPORT_URI"

info=$(nbdinfo "$uri") || fail "nbdinfo: $info"
for want in "export-size: $size" "block_size_minimum: 1" \
    "block_size_preferred: 4096" "block_size_maximum: 33554432" \
    "can_trim: true" "can_zero: true" "can_fua: true" "can_flush: true" \
    "can_multi_conn: true" "is_read_only: false" "base:allocation" \
    "description: daspool volume Vol-2 (concat, $size bytes)"; do
	echo "$info" | grep -qF "$want" || fail "nbdinfo lacks '$want': $info"
done

# Nothing written yet: all hole. Then the first extent written: data up
# to the seam, a hole after it.
map=$(nbdinfo --map "$uri") || fail "nbdinfo --map: $map"
[ "$(echo "$map" | awk '{ print $1, $2, $4 }')" = "0 $size hole,zero" ] ||
	fail "map of a fresh volume: $map"
head -c "$seam" /dev/urandom >"$T/half.bin"
nbdcopy "$T/half.bin" "$uri" || fail "nbdcopy of the first half"
map=$(nbdinfo --map "$uri" | awk '{ print $1, $2, $4 }')
[ "$map" = "0 $seam data
$seam $((size - seam)) hole,zero" ] || fail "map of a half-written volume: $map"

# 256 MiB across the seam, out again, the same.
head -c 256M /dev/urandom >"$T/in.bin"
nbdcopy "$T/in.bin" "$uri" || fail "nbdcopy in"
nbdcopy "$uri" "$T/out.bin" || fail "nbdcopy out"
[ "$(stat -c %s "$T/out.bin")" = "$size" ] || fail "nbdcopy out: $(stat -c %s "$T/out.bin") bytes"
[ "$(head -c 256M "$T/out.bin" | sha256sum)" = "$(sha256sum <"$T/in.bin")" ] ||
	fail "the 256 MiB read back differ"
cmp -s -n $((size - 268435456)) -i 268435456:0 "$T/out.bin" /dev/zero ||
	fail "the hole after the 256 MiB does not read as zeroes"
rm -f "$T/in.bin" "$T/out.bin" "$T/half.bin"

# qemu's view agrees: a raw copy compares identical; write -z and
# discard read back as zeroes, the bytes around them kept.
qemu-img convert -f raw -O raw "$uri" "$T/q.raw" || fail "qemu-img convert"
out=$(qemu-img compare -f raw -F raw "$uri" "$T/q.raw") ||
	fail "qemu-img compare: $out"
rm -f "$T/q.raw"
out=$(qemu-io -f raw -c "write -P 0xab 1M 64k" -c "write -z 1M 16k" \
    -c "discard 1040k 16k" -c "read -P 0 1M 32k" \
    -c "read -P 0xab 1056k 32k" "$uri" 2>&1) || fail "qemu-io: $out"
echo "$out" | grep -q "Pattern verification failed" && fail "qemu-io: $out"
[ "$(echo "$out" | grep -c '^read ')" = 2 ] || fail "qemu-io reads: $out"

# What no real client sends.
out=$(nbd_raw "$sock" option-before-magic) && [ "$out" = closed ] ||
	fail "option before magic: $out"
out=$(nbd_raw "$sock" long-name) &&
	[ "$out" = "reply 1 0x80000009
closed" ] || fail "1 MiB export name: $out"
out=$(nbd_raw "$sock" requests Vol-2) &&
	[ "$out" = "error 22
error 22
error 0
data 512
closed" ] || fail "requests: $out"
out=$(nbd_raw "$sock" short-write Vol-2) && [ "$out" = closed ] ||
	fail "short write: $out"
grep -q "an option without the IHAVEOPT magic" "$T/export.log" ||
	fail "no log of the option before magic: $(cat "$T/export.log")"
grep -q "READ of 1024 bytes at offset $((size - 512)) runs past the end" "$T/export.log" ||
	fail "no log of the read past the end"
grep -q "inside the payload of a WRITE" "$T/export.log" ||
	fail "no log of the short write"
nbdinfo "$uri" >/dev/null || fail "the export stopped serving after the bad clients"

kill -TERM "$EXPORT_PID"
wait "$EXPORT_PID" || fail "SIGTERM: exit status $?"
[ ! -e "$sock" ] || fail "the socket was left behind"

# TCP on loopback, plaintext (TLS: nbd_tls.sh).
expect_fail "mount it first" as serverJ nbd Vol-9 --socket "$T/x.sock"
start_export Vol-2 --listen 127.0.3.1:0
case "$EXPORT_URI" in nbd://127.0.3.1:[0-9]*/) ;; *) fail "TCP URI: $EXPORT_URI" ;; esac
nbdinfo "${EXPORT_URI}Vol-2" | grep -qF "export-size: $size" ||
	fail "nbdinfo over TCP"

# Unmounted from elsewhere: the next request ends the export.
as serverJ unmount Vol-2 >/dev/null || fail "unmount"
nbdinfo --map "${EXPORT_URI}Vol-2" >/dev/null 2>&1
wait_for 10 sh -c "! kill -0 $EXPORT_PID 2>/dev/null" || fail "the export outlived its mount"
wait "$EXPORT_PID"
[ $? = 1 ] || fail "an export ended by an unmount exits 1"
grep -q "the export ended: the volume is no longer mounted here" "$T/export.log" ||
	fail "no line on the end of the export: $(cat "$T/export.log")"
pass
