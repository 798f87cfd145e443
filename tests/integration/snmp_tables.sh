#!/usr/bin/env bash
# DASPOOL-MIB through a real snmpd master and daspool-snmp, with the
# net-snmp tools: snmptable of the virtual disk and extent tables says
# what `show volumes` says for the example pool (every form) before and
# after allocate, mount, unmount and release, over v2c and v3 authPriv;
# the scalars match `show servers` and `show regions`; a wrong community
# or v3 key gets nothing, and SETs are refused, by snmpd for a read-only
# community and by the subagent itself for a read-write one.
. "$(dirname "$0")/functions.sh"
. "$(dirname "$0")/snmp_functions.sh"

start_mgr
example_pool
snmp_setup
start_snmpd
start_subagent

# `show volumes` as lines: one per volume (name|form|borrower|status|gen|
# health) and one per extent (name|place|lender|region|length|leg),
# read by the header's column positions (repeated cells are blank).
show_lines() {
	admin "show volumes" | awk '
	function cell(name,   s) { s = substr($0, start[name], width[name]); gsub(/ /, "", s); return s }
	function bytes(s,   n, u) {
		n = s + 0; u = substr(s, length(s))
		if (u == "K") n *= 1024; else if (u == "M") n *= 1048576
		else if (u == "G") n *= 1073741824
		return sprintf("%.0f", n)
	}
	NR == 1 {
		n = split("lender borrower region size volume form status gen health leg note", h, " ")
		for (i = 1; i <= n; i++) start[h[i]] = index($0, h[i])
		for (i = 1; i < n; i++) width[h[i]] = start[h[i + 1]] - start[h[i]]
		width["note"] = 100
		next
	}
	/^[0-9]+ volumes/ { next }
	{
		vol = cell("volume"); lender = cell("lender"); region = cell("region")
		if (lender != "") last_lender = lender; else lender = last_lender
		if (region != "") last_region = region; else region = last_region
		if (vol ~ /^\(/) { gsub(/[()]/, "", vol); place++ }
		else {
			place = 1
			b = cell("borrower"); if (b == "-") b = ""
			st = cell("status") == "1" ? "mounted" : "notMounted"
			print "V|" vol "|" cell("form") "|" b "|" st "|" cell("gen") "|" cell("health")
		}
		leg = cell("leg")
		leg = leg == "-" ? "notMirror" : leg == "in-sync" ? "inSync" : leg == "out-of-sync" ? "outOfSync" : leg
		print "E|" vol "|" place "|" lender "|" region "|" bytes(cell("size")) "|" leg
	}' | sort
}

# The same lines from snmptable (TOOL: v2c or v3).
snmp_lines() {
	local tool=$1
	$tool snmptable -Cf '|' -CH -OU -Ci -- dspVdiskTable >"$T/vdisk.tab" ||
		fail "snmptable dspVdiskTable ($tool) failed"
	$tool snmptable -Cf '|' -CH -OU -Ci -- dspExtentTable >"$T/extent.tab" ||
		fail "snmptable dspExtentTable ($tool) failed"
	awk -F'|' 'NF > 1 {
		if (FILENAME ~ /vdisk/) { name[$1] = $2; print "V|" $2 "|" $3 "|" $5 "|" $6 "|" $7 "|" $8 }
		else { split($1, ix, "."); print "E|" name[ix[1]] "|" ix[2] "|" $2 "|" $3 "|" $5 "|" $6 }
	}' "$T/vdisk.tab" "$T/extent.tab" | sort
}

same_as_show() {
	local step=$1 tool
	show_lines >"$T/show.lines"
	[ "$(grep -c '^V|' "$T/show.lines")" -eq 5 ] ||
		fail "show volumes parsed wrong: $(cat "$T/show.lines")"
	for tool in v2c v3; do
		snmp_lines $tool >"$T/snmp.lines"
		diff -u "$T/show.lines" "$T/snmp.lines" >"$T/diff" ||
			fail "$step: snmptable ($tool) differs from show volumes: $(cat "$T/diff")"
	done
}

same_as_show "the example pool"
# The subagent sees changes within a poll; each snapshot is whole.
as serverJ allocate Vol-2 >/dev/null || fail "allocate"
same_as_show "allocate"
as serverJ mount Vol-2 >/dev/null || fail "mount"
same_as_show "mount"
grep -q '^V|Vol-2|concat|serverJ|mounted|' "$T/snmp.lines" ||
	fail "the mount is not in the table: $(cat "$T/snmp.lines")"
as serverJ unmount Vol-2 >/dev/null || fail "unmount"
same_as_show "unmount"
grep -q '^V|Vol-2|concat|serverJ|notMounted|2|' "$T/snmp.lines" ||
	fail "the unmount did not raise the generation: $(cat "$T/snmp.lines")"
as serverJ release Vol-2 >/dev/null || fail "release"
same_as_show "release"

# Scalars against the shell's counts.
scalar() { v2c snmpget -Oqv -OU -- "$1.0"; }
servers=$(admin "show servers" | awk 'NR > 1 && $1 ~ /^server/' | wc -l)
up=$(admin "show servers" | awk 'NR > 1 && $1 ~ /^server/ && / up /' | wc -l)
regions=$(admin "show regions" | awk 'NR > 1 && $1 ~ /^server/' | wc -l)
[ "$(scalar dspServersTotal)" = "$servers" ] || fail "dspServersTotal $(scalar dspServersTotal), show servers $servers"
[ "$(scalar dspServersUp)" = "$up" ] || fail "dspServersUp $(scalar dspServersUp), show servers $up up"
[ "$(scalar dspRegionsTotal)" = "$regions" ] || fail "dspRegionsTotal $(scalar dspRegionsTotal), show regions $regions"
[ "$(scalar dspVolumesTotal)" = 5 ] || fail "dspVolumesTotal $(scalar dspVolumesTotal)"
# 32M + 16M * 4 + 24M of regions, all used by volumes.
[ "$(scalar dspCapacityTotal)" = $(( 120 << 20 )) ] || fail "dspCapacityTotal $(scalar dspCapacityTotal)"
[ "$(scalar dspCapacityFree)" = 0 ] || fail "dspCapacityFree $(scalar dspCapacityFree)"
[ "$(scalar dspManagerVersion)" != "" ] || fail "no dspManagerVersion"
changes=$(scalar dspStoreChanges)
as serverJ allocate Vol-1 >/dev/null || fail "allocate Vol-1"
[ "$(scalar dspStoreChanges)" -gt "$changes" ] || fail "dspStoreChanges did not move"
[ "$(scalar dspVolumesLent)" = 1 ] || fail "dspVolumesLent $(scalar dspVolumesLent)"
[ "$(scalar dspCapacityLent)" = $(( 32 << 20 )) ] || fail "dspCapacityLent $(scalar dspCapacityLent)"
v2c snmptable -Cf '|' -CH -- dspServerTable | grep -q '^serverX|127.0.2.24|' ||
	fail "server table: $(v2c snmptable -Cf '|' -CH -- dspServerTable)"
# The region's backing, as its agent said it: the file and its length.
v2c snmptable -Cf '|' -CH -OU -- dspRegionTable |
	grep -qF "X2|25165824|$T/disks/serverX-X2+25165824|available||Vol-4" ||
	fail "region table: $(v2c snmptable -Cf '|' -CH -OU -- dspRegionTable)"

# Strangers get nothing.
out=$("snmpget" -v 2c -c wrong-community -t 1 -r 0 "udp:$SNMPD_ADDR:$SNMPD_PORT" dspServersTotal.0 2>&1) &&
	fail "a wrong community was answered: $out"
echo "$out" | grep -q "dspServersTotal.0 =" && fail "a wrong community got a value: $out"
out=$(snmpget -v 3 -l authPriv -u "$V3_USER" -a SHA-256 -A "$V3_AUTH" -x AES \
	-X wrong-privacy-key -t 1 -r 0 "udp:$SNMPD_ADDR:$SNMPD_PORT" dspServersTotal.0 2>&1) &&
	fail "a wrong v3 privacy key was answered: $out"
echo "$out" | grep -q "Gauge32" && fail "a wrong v3 key got a value: $out"
out=$(snmpget -v 3 -l authPriv -u "$V3_USER" -a SHA-256 -A wrong-auth-key -x AES \
	-X "$V3_PRIV" -t 1 -r 0 "udp:$SNMPD_ADDR:$SNMPD_PORT" dspServersTotal.0 2>&1) &&
	fail "a wrong v3 auth key was answered: $out"
echo "$out" | grep -qi "authentication" || fail "a wrong v3 auth key: $out"

# Read-only: refused by snmpd for the NOC's community and user, and by
# the subagent itself for a community that may write.
expect_fail "noAccess|notWritable" v2c snmpset -- dspVdiskName.1 s forged
expect_fail "noAccess|notWritable|authorizationError" v3 snmpset -- dspVdiskName.1 s forged
out=$(snmpset -v 2c -c "$COMMUNITY-rw" -t 3 -r 1 "udp:$SNMPD_ADDR:$SNMPD_PORT" \
	dspVdiskName.1 s forged 2>&1) && fail "a SET was taken: $out"
echo "$out" | grep -q "notWritable" || fail "the subagent's SET refusal: $out"
[ "$(v2c snmpget -Oqv -- dspVdiskName.1)" = Vol-1 ] || fail "a SET changed the name"
pass
