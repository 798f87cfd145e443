#!/usr/bin/env bash
# A real file system on a pooled mirror: daspool attach gives the
# volume to this machine (as /dev/nbdN through nbd-client where the
# kernel has nbd devices, else with --mountpoint as a file through
# nbdfuse), losetup,
# mkfs.ext4, mount, a directory tree copied in, umount; one leg's agent
# killed; mounted again, sha256sum -c passes and e2fsck -fn is clean on
# the degraded mirror; the leg comes back and is resynced. detach is
# refused while the file is in use, then flushes, disconnects,
# unmounts and releases: the volume is free and no process is left.
. "$(dirname "$0")/functions.sh"
[ "$(id -u)" = 0 ] || skip "needs root (loop devices, mount)"
[ -c /dev/fuse ] || skip "no /dev/fuse here"
[ -e /dev/loop-control ] || skip "no loop devices here"
for p in nbdfuse losetup mkfs.ext4 e2fsck; do
	command -v "$p" >/dev/null || fail "$p is not installed: run scripts/install-deps.sh"
done

start_mgr
start_agent serverD 127.0.2.4 D:128M
start_agent serverE 127.0.2.5 E:128M
admin "volume create Vol-3 mirror serverD:D serverE:E" >/dev/null || fail "create Vol-3"
borrower_setup serverJ
mkdir -p "$T/mnt" "$T/fs"
sock="$T/Vol-3.sock"
LOOP=
cleanup_fs() {
	local rc=$?
	mountpoint -q "$T/fs" && umount "$T/fs"
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	mountpoint -q "$T/mnt" && umount -l "$T/mnt"
	(exit "$rc")
	cleanup
}
# Whether pid runs (a zombie no one reaped has ended).
running() {
	[ -r "/proc/$1/stat" ] && ! grep -q ') Z ' "/proc/$1/stat"
}
trap cleanup_fs EXIT

# Where the kernel has nbd devices, attach connects one; else the file.
if ls /dev/nbd[0-9]* >/dev/null 2>&1 && command -v nbd-client >/dev/null; then
	where=()
else
	where=(--mountpoint "$T/mnt")
fi
out=$(as serverJ attach Vol-3 --socket "$sock" "${where[@]}") ||
	fail "attach: $out"
daemon=$(cat "$T/Vol-3.pid")
case "$out" in
*"attached as /dev/nbd"*) disk=$(echo "$out" | sed -n 's/.*attached as \(\/dev\/nbd[0-9]*\).*/\1/p') ;;
*"attached as the file $T/mnt/Vol-3 (nbdfuse)"*) disk="$T/mnt/Vol-3" ;;
*) fail "attach said: $out" ;;
esac
admin "show volumes" | grep -Eq "serverJ .* Vol-3 +mirror +1 " || fail "Vol-3 is not mounted by serverJ"
expect_fail "attached already" as serverJ attach Vol-3 --socket "$sock" "${where[@]}"

LOOP=$(losetup -f --show "$disk") || fail "losetup $disk"
mkfs.ext4 -q "$LOOP" || fail "mkfs.ext4"
mount "$LOOP" "$T/fs" || fail "mount"
cp -a "$top/firmware" "$top/docs" "$T/fs/" || fail "copy the tree in"
(cd "$T/fs" && find . -type f -print0 | xargs -0 sha256sum >"$T/sums")
[ "$(wc -l <"$T/sums")" -gt 100 ] || fail "the tree is too small: $(wc -l <"$T/sums") files"
umount "$T/fs" || fail "umount"

kill_agent serverE
mount "$LOOP" "$T/fs" || fail "mount on the degraded mirror"
(cd "$T/fs" && sha256sum --quiet -c "$T/sums") || fail "sha256sum -c on the degraded mirror"
echo "written while degraded" >"$T/fs/degraded.txt"
umount "$T/fs" || fail "umount"
e2fsck -fn "$LOOP" >"$T/fsck.out" 2>&1 || fail "e2fsck -fn: $(cat "$T/fsck.out")"
admin "show volumes" | grep -q degraded || fail "Vol-3 was not degraded"
restart_agent serverE
wait_for 60 sh -c "daspool-sh -s '$ADMIN_SOCK' -c 'show volumes' | grep -Eq ' Vol-3 .* ok '" ||
	fail "Vol-3 was not resynced: $(admin "show volumes")"
e2fsck -fn "$LOOP" >"$T/fsck.out" 2>&1 || fail "e2fsck -fn after the resync: $(cat "$T/fsck.out")"

out=$(as serverJ detach Vol-3 --socket "$sock" 2>&1) && fail "detach while $LOOP uses it: $out"
echo "$out" | grep -q "is in use by $LOOP" || fail "detach refusal: $out"
losetup -d "$LOOP" || fail "losetup -d"
LOOP=
out=$(as serverJ detach Vol-3 --socket "$sock") || fail "detach: $out"
[ "$out" = "volume Vol-3 detached: flushed, unmounted and released" ] || fail "detach said: $out"
running "$daemon" && fail "the attach daemon is still running"
pgrep -f "nbdfuse .*$T" >/dev/null && fail "nbdfuse is still running"
mountpoint -q "$T/mnt" && fail "$T/mnt is still mounted"
admin "show volumes" | grep -Eq "^serverD +- +D .* Vol-3 +mirror +0 " ||
	fail "Vol-3 was not released: $(admin "show volumes")"
[ ! -e "$T/Vol-3.pid" ] && [ ! -e "$sock" ] && [ ! -e "$T/Vol-3.attach" ] ||
	fail "files left: $(ls "$T")"
expect_fail "not attached here" as serverJ detach Vol-3 --socket "$sock"
echo "attach used $disk"
pass
