#!/usr/bin/env bash
# The appliance's disk is lost: the brief's example pool (single, concat,
# a degraded mirror with dirty chunks, two split pieces, some of them
# lent and mounted) is rebuilt by a fresh manager from its lenders'
# records alone. show volumes matches the pool before (forms, extents in
# order, sizes, leg states, dirty chunks), every volume is unlent, and
# after re-allocating, the data written before reads back identical;
# reads of the mirror come from its in-sync leg only (the stale leg
# holds noise).
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.9.1 A2:24M
start_agent serverB 127.0.9.2 B2:8M
start_agent serverC 127.0.9.3 C2:8M
start_agent serverD 127.0.9.4 D:16M
start_agent serverE 127.0.9.5 E:16M
start_agent serverX 127.0.9.6 X2:16M
borrower_setup serverJ

admin "volume create Vol-1 single serverA:A2" || fail "create Vol-1"
admin "volume create Vol-2 concat serverB:B2 serverC:C2" || fail "create Vol-2"
admin "volume create Vol-3 mirror serverD:D serverE:E" || fail "create Vol-3"
admin "volume split serverX:X2 Vol-4:6M Vol-5:rest" || fail "split X2"

# Data on every volume; Vol-3 written again with its second leg down.
for v in Vol-1 Vol-2 Vol-3 Vol-4 Vol-5; do
	size=$(admin "show volume $v" | awk '$1 == "size" { print $(NF - 1) }' | tr -d '(')
	head -c "$size" /dev/urandom >"$T/$v.data"
	as serverJ allocate "$v" >/dev/null || fail "allocate $v"
	as serverJ mount "$v" >/dev/null || fail "mount $v"
	as serverJ write "$v" --input "$T/$v.data" || fail "write $v"
done
kill_agent serverE
head -c 5M /dev/urandom >"$T/late"
as serverJ write Vol-3 --offset 3M --input "$T/late" || fail "degraded write of Vol-3"
dd if="$T/late" of="$T/Vol-3.data" bs=1M seek=3 conv=notrunc status=none
dirty=$(admin "show volume Vol-3" | awk '/^dirty/ { print $NF }')
[ "${dirty:-0}" -gt 0 ] || fail "no dirty chunk on the degraded mirror: $(admin "show volume Vol-3")"
# The stale leg comes back with noise where it missed writes, unmounted
# so that no resync starts: a read served by it would show.
as serverJ unmount Vol-3 >/dev/null || fail "unmount Vol-3"
head -c 16M /dev/urandom | dd of="$T/disks/serverE-E" conv=notrunc status=none
restart_agent serverE
as serverJ unmount Vol-5 >/dev/null || fail "unmount Vol-5"
as serverJ release Vol-5 >/dev/null || fail "release Vol-5"

# Every lender keeps the record as the table has it.
records_current() {
	local v
	for v in Vol-1 Vol-2 Vol-3 Vol-4 Vol-5; do
		admin "show volume $v" | grep -q "^record" && return 1
	done
	return 0
}
wait_for 20 records_current || fail "lenders' records not current: $(admin "show volume Vol-3")"

# What a rebuild must give back: the table without the borrower,
# status, generation and health columns (cut at the header's column
# starts, as blank cells shift words); each volume's extents (server,
# region, offset, length, leg state) and dirty chunks.
columns() {
	admin "show volumes" | awk '
	NR == 1 {
		n = split("lender borrower region size volume form status gen health leg note", h, " ")
		for (i = 1; i <= n; i++) at[i] = index($0, h[i])
		next
	}
	/^[0-9]+ (of [0-9]+ )?volumes?( match|,|$)/ { next }
	{
		line = ""
		for (i = 1; i <= n; i++) {
			w = (i < n) ? substr($0, at[i], at[i + 1] - at[i]) : substr($0, at[i])
			gsub(/ /, "", w)
			if (h[i] != "borrower" && h[i] != "status" && h[i] != "gen" && h[i] != "health" && h[i] != "note")
				line = line "|" w
		}
		print line
	}'
}
shape() {
	columns
	local v
	for v in Vol-1 Vol-2 Vol-3 Vol-4 Vol-5; do
		echo "== $v"
		admin "show volume $v" | awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5, $7 }'
		admin "show volume $v" | grep -E "^(form|size|dirty chunks)"
	done
}
shape >"$T/before"
grep -q "out-of-sync" "$T/before" || fail "no out-of-sync leg before: $(cat "$T/before")"

# The appliance's disk is gone.
stop_mgr_hard
rm -rf "$T/mgr/state"
MGR_CONF_EXTRA="rebuild = yes"
start_mgr
all_rebuilt() {
	local n
	n=$(admin "show volumes" | grep -Eo " Vol-[0-9]+ " | wc -l)
	[ "$n" = 5 ] && ! admin "show volumes" | grep -qw held
}
wait_for 30 all_rebuilt || fail "the pool was not rebuilt: $(admin "show volumes")"
shape >"$T/after"
diff -u "$T/before" "$T/after" >"$T/shape.diff" ||
	fail "the rebuilt table differs: $(cat "$T/shape.diff")"
for v in Vol-1 Vol-2 Vol-3 Vol-4 Vol-5; do
	admin "show volume $v" | grep -Eq "^borrower +-$" &&
		admin "show volume $v" | grep -Eq "^status +0 " ||
		fail "rebuilt $v is lent or mounted: $(admin "show volume $v")"
done
admin "show audit" | grep -q rebuild || fail "no rebuild in the audit trail"
grep -q "rebuilding the table" "$T/mgr.log" || fail "the manager did not say it rebuilds"

# Borrowers re-allocate and re-mount; what they wrote is there.
for v in Vol-1 Vol-2 Vol-3 Vol-4 Vol-5; do
	wait_for 15 as serverJ allocate "$v" || fail "allocate $v after the rebuild: $(as serverJ allocate "$v" 2>&1)"
	as serverJ mount "$v" >/dev/null || fail "mount $v after the rebuild"
	size=$(stat -c %s "$T/$v.data")
	as serverJ read "$v" --length "$size" --output "$T/$v.back" || fail "read $v"
	[ "$(sha "$T/$v.back")" = "$(sha "$T/$v.data")" ] ||
		fail "$v reads back different data after the rebuild"
done
pass
