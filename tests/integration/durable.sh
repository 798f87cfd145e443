#!/usr/bin/env bash
# Durable by default: `daspool write` ends with a flush that reaches every
# lender of the volume (both legs of a mirror, both servers of a concat),
# each of which calls fdatasync on its backing file before answering;
# `daspool write --no-flush` makes no lender sync its backing file.
# Watched with strace on the agents (skipped without strace or ptrace).
. "$(dirname "$0")/functions.sh"

command -v strace >/dev/null || skip "strace is not installed"
start_mgr
start_agent serverA 127.0.2.1 A1:16M
start_agent serverB 127.0.2.2 B1:16M
start_agent serverC 127.0.2.3 C1:16M
start_agent serverD 127.0.2.4 D1:16M
borrower_setup serverJ
admin "volume create Vol-1 single serverA:A1" || fail "create Vol-1"
admin "volume create Vol-2 concat serverB:B1 serverC:C1" || fail "create Vol-2"
for v in Vol-1 Vol-2; do
	as serverJ allocate "$v" >/dev/null || fail "allocate $v"
	as serverJ mount "$v" >/dev/null || fail "mount $v"
done
head -c 2M /dev/urandom >"$T/data"

STRACED=()
# watch NAME...: trace the agents' fdatasync calls into $T/sync-NAME.
watch() {
	local name pid
	for name in "$@"; do
		: >"$T/sync-$name"
		strace -f -qq -y -e trace=fdatasync -o "$T/sync-$name" \
			-p "${AGENT_PID[$name]}" 2>"$T/strace-$name.err" &
		pid=$!
		STRACED+=("$pid")
		PIDS+=("$pid")
		wait_for 5 grep -Eq "^TracerPid:[[:space:]]+[1-9]" \
			"/proc/${AGENT_PID[$name]}/status" ||
			skip "cannot trace agent $name: $(cat "$T/strace-$name.err")"
	done
}
unwatch() {
	local pid
	for pid in "${STRACED[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	STRACED=()
}
# syncs NAME: fdatasync calls on NAME's backing files (not its own state).
syncs() { grep -c "fdatasync([0-9]*<$T/disks/$1-" "$T/sync-$1"; }

watch serverA serverB serverC
as serverJ write Vol-1 --no-flush --input "$T/data" || fail "write --no-flush Vol-1"
as serverJ write Vol-2 --offset 15M --no-flush --input "$T/data" ||
	fail "write --no-flush Vol-2"
for s in serverA serverB serverC; do
	[ "$(syncs $s)" = 0 ] || fail "write --no-flush made $s sync: $(cat "$T/sync-$s")"
done
as serverJ write Vol-1 --input "$T/data" || fail "write Vol-1"
[ "$(syncs serverA)" -ge 1 ] || fail "write of Vol-1 did not make serverA sync"
# Across the seam of the concat: both of its lenders sync.
as serverJ write Vol-2 --offset 15M --input "$T/data" || fail "write Vol-2"
for s in serverB serverC; do
	[ "$(syncs $s)" -ge 1 ] || fail "write of Vol-2 did not make $s sync"
done
unwatch
as serverJ read Vol-2 --offset 15M --length 2M --output "$T/back" || fail "read Vol-2"
cmp "$T/data" "$T/back" || fail "Vol-2 reads back other data"

# A mirror: both legs sync.
for v in Vol-1 Vol-2; do
	as serverJ unmount "$v" || fail "unmount $v"
	as serverJ release "$v" || fail "release $v"
done
admin "volume delete Vol-1" >/dev/null || fail "delete Vol-1"
admin "volume create Vol-3 mirror serverA:A1 serverD:D1" || fail "create Vol-3"
as serverJ allocate Vol-3 >/dev/null || fail "allocate Vol-3"
as serverJ mount Vol-3 >/dev/null || fail "mount Vol-3"
watch serverA serverD
as serverJ write Vol-3 --input "$T/data" || fail "write Vol-3"
for s in serverA serverD; do
	[ "$(syncs $s)" -ge 1 ] || fail "write of the mirror did not make leg $s sync"
done
unwatch
pass
