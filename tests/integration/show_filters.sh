#!/usr/bin/env bash
# show volumes, show regions and show servers with filters: each filter
# and combinations of them give exactly the matching rows, and a summary
# line counts them; a bad filter is refused naming it. A listing larger
# than one reply frame streams whole.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.7.1 A1:8M A2:8M A3:8M A5:256M
start_agent serverB 127.0.7.2 B1:8M B2:8M B3:12M
borrower_setup serverJ
borrower_setup serverK

admin "volume create Vol-S single serverA:A1" >/dev/null || fail "create Vol-S"
admin "volume create Vol-C concat serverA:A2 serverB:B1" >/dev/null ||
	fail "create Vol-C"
admin "volume create Vol-M mirror serverA:A3 serverB:B2" >/dev/null ||
	fail "create Vol-M"
admin "volume split serverB:B3 P-1:4M P-2:4M P-3:rest" >/dev/null ||
	fail "split B3"
as serverJ allocate Vol-S >/dev/null && as serverJ mount Vol-S >/dev/null ||
	fail "serverJ borrows Vol-S"
as serverJ allocate P-1 >/dev/null || fail "serverJ borrows P-1"
as serverK allocate Vol-C >/dev/null && as serverK mount Vol-C >/dev/null ||
	fail "serverK borrows Vol-C"
as serverK allocate P-3 >/dev/null || fail "serverK borrows P-3"

# The volume names a listing shows (continuation lines show "(NAME)").
names() {
	local out
	out=$(admin "$@") || fail "'$*' failed: $out"
	echo "$out" | grep -Eo " (Vol-[SCM]|P-[0-9]) " | tr -d ' ' | sort -u |
		paste -sd ' ' -
}
summary() {
	admin "$@" | tail -n 1
}
check() {
	local want=$1 sum=$2 got
	shift 2
	got=$(names "$@")
	[ "$got" = "$want" ] || fail "'$*' lists '$got', not '$want'"
	got=$(summary "$@")
	[ "$got" = "$sum" ] || fail "'$*' sums up '$got', not '$sum'"
}

check "P-1 P-2 P-3 Vol-C Vol-M Vol-S" "6 volumes, 4 lent, 2 mounted" \
	"show volumes"
check "Vol-C Vol-M Vol-S" "3 of 6 volumes match: 2 lent, 2 mounted" \
	"show volumes server serverA"
check "P-1 P-2 P-3 Vol-C Vol-M" "5 of 6 volumes match: 3 lent, 1 mounted" \
	"show volumes server serverB"
check "P-1 Vol-S" "2 of 6 volumes match: 2 lent, 1 mounted" \
	"show volumes borrower serverJ"
check "P-3 Vol-C" "2 of 6 volumes match: 2 lent, 1 mounted" \
	"show volumes borrower serverK"
check "P-1 P-2 P-3" "3 of 6 volumes match: 2 lent" "show volumes form split"
check "Vol-S" "1 of 6 volumes matches: 1 lent, 1 mounted" \
	"show volumes form single"
check "Vol-C" "1 of 6 volumes matches: 1 lent, 1 mounted" \
	"show volumes form concat"
check "Vol-M" "1 of 6 volumes matches" "show volumes form mirror"
check "P-1 P-2 P-3 Vol-C Vol-M Vol-S" "6 of 6 volumes match: 4 lent, 2 mounted" \
	"show volumes health ok"
check "" "0 of 6 volumes match" "show volumes health degraded"
check "P-1 P-2 P-3" "3 of 6 volumes match: 2 lent" "show volumes name P-*"
check "Vol-C Vol-M Vol-S" "3 of 6 volumes match: 2 lent, 2 mounted" \
	"show volumes name Vol-?"
check "Vol-C Vol-S" "2 of 6 volumes match: 2 lent, 2 mounted" \
	"show volumes name Vol-[CS]"
# Combinations: every filter must hold; any order; abbreviated keywords.
check "P-3" "1 of 6 volumes matches: 1 lent" \
	"show volumes server serverB form split borrower serverK"
check "P-3" "1 of 6 volumes matches: 1 lent" \
	"sh vol bor serverK fo split se serverB"
check "Vol-S" "1 of 6 volumes matches: 1 lent, 1 mounted" \
	"show volumes borrower serverJ name Vol-*"
check "Vol-M" "1 of 6 volumes matches" "show volumes form mirror health ok"
check "" "0 of 6 volumes match" "show volumes borrower serverJ form concat"

# The pieces of a split region follow one another by offset; the first
# piece shown names lender and region, also when a filter hides the
# pieces before it.
admin "show volumes form split" | grep -Eo "^[^ ]* .* P-[0-9] " |
	awk '{ print ($0 ~ /^ / ? "-" : $1) ":" $NF }' | paste -sd ' ' - |
	grep -qx "serverB:P-1 -:P-2 -:P-3" ||
	fail "split pieces not grouped: $(admin "show volumes form split")"
admin "show volumes borrower serverK form split" | grep -Eq "^serverB +serverK +B3 .* P-3 " ||
	fail "the first piece shown lacks its lender: $(admin "show volumes borrower serverK form split")"

# Regions and servers.
regions() {
	admin "$@" | awk 'NR > 1 && $2 ~ /^[AB][0-9]$/ { print $1 ":" $2 }' | paste -sd ' ' -
}
[ "$(regions "show regions")" = "serverA:A1 serverA:A2 serverA:A3 serverA:A5 serverB:B1 serverB:B2 serverB:B3" ] ||
	fail "show regions: $(admin "show regions")"
[ "$(summary "show regions")" = "7 regions, 7 available, 6 used" ] ||
	fail "show regions summary: $(summary "show regions")"
[ "$(regions "show regions server serverB")" = "serverB:B1 serverB:B2 serverB:B3" ] ||
	fail "show regions server serverB: $(admin "show regions server serverB")"
[ "$(summary "show regions server serverB")" = "3 of 7 regions match: 3 available, 3 used" ] ||
	fail "show regions server serverB summary: $(summary "show regions server serverB")"
[ "$(regions "show regions name A?")" = "serverA:A1 serverA:A2 serverA:A3 serverA:A5" ] ||
	fail "show regions name A?: $(admin "show regions name A?")"
[ "$(regions "show regions name A[12] server serverA")" = "serverA:A1 serverA:A2" ] ||
	fail "show regions name A[12] server serverA: $(admin "show regions name A[12] server serverA")"
[ "$(regions "show regions server serverB name A*")" = "" ] ||
	fail "show regions server serverB name A*: $(admin "show regions server serverB name A*")"
[ "$(summary "show servers")" = "2 servers, 2 up" ] ||
	fail "show servers summary: $(summary "show servers")"
[ "$(admin "show servers name *B" | awk 'NR > 1 && $1 ~ /^server/ { print $1 }')" = serverB ] ||
	fail "show servers name *B: $(admin "show servers name *B")"
[ "$(summary "show servers name *B")" = "1 of 2 servers matches: 1 up" ] ||
	fail "show servers name *B summary: $(summary "show servers name *B")"

# A bad filter is refused, naming what is wrong; "?" lists the filters.
expect_fail "bad form 'raid'.*single, concat, mirror or split" \
	admin "show volumes form raid"
expect_fail "bad health 'sick'.*ok, degraded, resyncing or failed" \
	admin "show volumes health sick"
expect_fail "bad server name 'a/b' in the borrower filter" \
	admin "show volumes borrower a/b"
expect_fail "filter 'server' given twice" \
	admin "show volumes server serverA form single server serverB"
expect_fail "expected PATTERN" admin "show volumes name"
expect_fail "unknown command 'show regions borrower'.*server, name" \
	admin "show regions borrower serverJ"
expect_fail "unknown command 'show servers form'.*name" \
	admin "show servers form split"
choices=$(admin "show volumes ?") || fail "show volumes ?"
for w in server borrower form health name NAME; do
	echo "$choices" | grep -Eq "^$w " || fail "'show volumes ?' lacks $w: $choices"
done
admin "help" | grep -Fq "show volumes [server SERVER] [borrower SERVER] [form FORM] [health STATE] [name PATTERN]" ||
	fail "help lacks the filters: $(admin help | grep "show vol")"

# Health: serverA gone makes the mirror degraded and Vol-S, Vol-C failed.
kill_agent serverA
wait_for 15 sh -c "! daspool-sh -s '$ADMIN_SOCK' -c 'show servers' | grep -Eq '^serverA .* up'" ||
	fail "serverA still up"
check "Vol-M" "1 of 6 volumes matches: 1 degraded" "show volumes health degraded"
check "Vol-C Vol-S" "2 of 6 volumes match: 2 lent, 2 mounted, 2 failed" \
	"show volumes health failed"
check "P-1 P-2 P-3" "3 of 6 volumes match: 2 lent" "show volumes health ok"
[ "$(summary "show servers")" = "2 servers, 1 up, 1 down" ] ||
	fail "show servers summary with serverA down: $(summary "show servers")"
restart_agent serverA

# A listing larger than one reply frame (256 KiB) streams whole: 4,096
# split volumes, at most 32 pieces per split; the 128 splits are lines
# of one shell.
for s in $(seq 0 127); do
	printf 'volume split serverA:A5'
	for p in $(seq $((s * 32)) $((s * 32 + 31))); do
		printf ' L-%04d:64K' "$p"
	done
	printf '\n'
done >"$T/splits"
daspool-sh -s "$ADMIN_SOCK" <"$T/splits" >/dev/null 2>"$T/splits.err" ||
	fail "split A5: $(cat "$T/splits.err")"
admin "show volumes" >"$T/table" || fail "show volumes of 4102 volumes"
[ "$(stat -c %s "$T/table")" -gt 262144 ] ||
	fail "the table ($(stat -c %s "$T/table") bytes) fits one frame"
n=$(grep -Eo " L-[0-9]{4} " "$T/table" | sort -u | wc -l)
[ "$n" -eq 4096 ] || fail "show volumes lists $n of the 4096 split volumes"
[ "$(tail -n 1 "$T/table")" = "4102 volumes, 4 lent, 2 mounted" ] ||
	fail "summary of the large table: $(tail -n 1 "$T/table")"
# In offset order, that is in name order here, each once.
grep -Eo " L-[0-9]{4} " "$T/table" | tr -d ' ' >"$T/order"
sort -c "$T/order" || fail "split pieces out of order"
check "P-1 P-2 P-3 Vol-C Vol-M Vol-S" "6 of 4102 volumes match: 4 lent, 2 mounted" \
	"show volumes name [PV]*"
[ "$(summary "show volumes server serverB name L-*")" = "0 of 4102 volumes match" ] ||
	fail "serverB L-*: $(summary "show volumes server serverB name L-*")"
[ "$(summary "show volumes server serverA name L-4*")" = "96 of 4102 volumes match" ] ||
	fail "L-4*: $(summary "show volumes server serverA name L-4*")"
[ "$(admin "show volumes name L-4*" | grep -Ec " L-4[0-9]{3} ")" -eq 96 ] ||
	fail "L-4* rows: $(admin "show volumes name L-4*")"
pass
