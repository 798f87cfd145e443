#!/usr/bin/env bash
# What daspool-sh does with a command's lines: "| include WORD" keeps
# the header and the lines with WORD, "| exclude WORD" drops those,
# "| count" counts the rows, in scripts (-c) and at a terminal; at a
# 24-line terminal the pager stops after a page with --More--, Enter
# shows one more line, q ends the listing and the shell goes on;
# "terminal length 0" turns the pager off; at 80 columns no line is
# wider (the split's audit line is: its end is cut, marked '>').
. "$(dirname "$0")/functions.sh"
command -v expect >/dev/null || fail "expect is not installed: run scripts/install-deps.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:64M B1:16M C1:16M
pieces=$(for i in $(seq 10 39); do printf 'P%d:1M ' "$i"; done)
admin "volume split serverA:A1 $pieces" >/dev/null || fail "split"
admin "volume create Vol-3 single serverA:B1" >/dev/null || fail "create Vol-3"
admin "volume create Vol-33 single serverA:C1" >/dev/null || fail "create Vol-33"

out=$(admin "show volumes | include Vol-3")
[ "$(echo "$out" | head -n 1 | awk '{ print $1 }')" = lender ] ||
	fail "include lost the header: $out"
[ "$(echo "$out" | wc -l)" = 3 ] || fail "include kept other lines: $out"
echo "$out" | grep -q " Vol-33 " || fail "include dropped Vol-33: $out"
out=$(admin "show volumes | exclude P")
echo "$out" | grep -q " P1[0-9] " && fail "exclude kept a P volume: $out"
[ "$(admin "show volumes | include P | count")" = 30 ] ||
	fail "count: $(admin "show volumes | include P | count")"
# The rows only: not the header, nor the summary line that ends it.
[ "$(admin "show volumes | count")" = 32 ] ||
	fail "count of all volumes: $(admin "show volumes | count")"
[ "$(admin "show volumes name Vol-3* | count")" = 2 ] ||
	fail "count of a filtered listing: $(admin "show volumes name Vol-3* | count")"
# A refused command prints no count of nothing.
out=$(admin "show volume Nope | count" 2>/dev/null) && fail "show volume Nope succeeded"
[ -z "$out" ] || fail "a refused command printed a count: $out"
expect_fail "after '\\|' use include WORD" admin "show volumes | grep x"

mkdir -p "$T/home"
host=$(hostname | cut -d. -f1)
cat >"$T/pager.exp" <<EXP
set timeout 10
log_user 0
set stty_init "rows 24 cols 80"
spawn env HOME=$T/home TERM=vt100 daspool-sh -s $ADMIN_SOCK
expect "daspool@$host# "
send "show volumes\r"
expect {
	-re "show volumes\r\n(.*)--More--" { set page \$expect_out(1,string) }
	timeout { puts "no --More-- after a page"; exit 1 }
}
set lines [llength [split [string trimright \$page "\r\n"] "\n"]]
if { \$lines != 23 } { puts "a page of \$lines lines, not 23"; exit 1 }
send "\r"
expect {
	-re "P3\[0-9\]" {}
	timeout { puts "Enter did not show a line"; exit 1 }
}
expect "More--"
send "q"
expect {
	"daspool@$host# " {}
	timeout { puts "q did not end the listing"; exit 1 }
}
send "terminal length 0\r"
expect "daspool@$host# "
send "show volumes\r"
expect {
	"More--" { puts "the pager is still on"; exit 1 }
	-re "\[0-9\]+ volumes" {}
	timeout { puts "show volumes did not end"; exit 1 }
}
send "show audit 5\r"
expect -re "show audit 5\r\n(.*)\r\ndaspool@"
foreach line [split \$expect_out(1,string) "\n"] {
	set line [string trimright \$line "\r"]
	if { [string length \$line] > 80 } { puts "a line wider than 80: \$line"; exit 1 }
}
if { ![string match "*>*" \$expect_out(1,string)] } { puts "no line was cut"; exit 1 }
send "exit\r"
expect eof
puts ok
EXP
out=$(expect "$T/pager.exp" 2>&1) || fail "$out"
pass
