#!/usr/bin/env bash
# The brief's pool on an 80 x 24 vt100, through a pseudo-terminal: no
# line of show volumes, show regions or show servers is wider than the
# terminal, even with a lender down and its mirror degraded, and every
# volume's and server's name is printed whole (only the end of a line,
# the note, may be cut). "show volumes | include Vol-3" typed at the
# prompt prints the header and Vol-3's rows, nothing else.
. "$(dirname "$0")/functions.sh"
command -v expect >/dev/null || fail "expect is not installed: run scripts/install-deps.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:64M A2:200M
start_agent serverB 127.0.2.2 B2:200M
start_agent serverC 127.0.2.3 C2:200M
start_agent serverD 127.0.2.4 D:100M
start_agent serverE 127.0.2.5 E:100M
start_agent serverX 127.0.2.24 X2:100M
admin "volume create Vol-1 single serverA:A2" >/dev/null || fail "Vol-1"
admin "volume create Vol-2 concat serverB:B2 serverC:C2" >/dev/null || fail "Vol-2"
admin "volume create Vol-3 mirror serverD:D serverE:E" >/dev/null || fail "Vol-3"
admin "volume split serverX:X2 Vol-4:50M Vol-5:rest" >/dev/null || fail "split"
borrower_setup serverJ
for v in Vol-1 Vol-3; do
	as serverJ allocate "$v" >/dev/null && as serverJ mount "$v" >/dev/null ||
		fail "mount $v"
done
as serverJ allocate Vol-2 >/dev/null || fail "allocate Vol-2"
kill_agent serverE
wait_for 30 sh -c "! daspool-sh -s '$ADMIN_SOCK' -c 'show servers' | grep -Eq '^serverE .* up'" ||
	fail "serverE is still up"
admin "show volumes" | grep -q "degraded" || fail "Vol-3 is not degraded: $(admin "show volumes")"

mkdir -p "$T/home"
host=$(hostname | cut -d. -f1)
cat >"$T/width.exp" <<EXP
set timeout 10
log_user 1
set stty_init "rows 24 cols 80"
spawn env HOME=$T/home TERM=vt100 daspool-sh -s $ADMIN_SOCK
expect "daspool@$host# "
send "terminal length 0\r"
expect "daspool@$host# "
foreach cmd { "show volumes" "show regions" "show servers" } {
	send "\$cmd\r"
	expect -ex "\$cmd"
	expect {
		-re "\r\n(.*)\r\ndaspool@$host# $" { set out \$expect_out(1,string) }
		timeout { puts "\$cmd did not end"; exit 1 }
	}
	foreach line [split \$out "\n"] {
		set line [string trimright \$line "\r"]
		if { [string length \$line] > 80 } { puts "\$cmd: a line wider than 80: \$line"; exit 1 }
	}
	set shown(\$cmd) \$out
}
foreach v { Vol-1 Vol-2 Vol-3 Vol-4 Vol-5 } {
	if { ![regexp " \\\\(?\$v\\\\)? " \$shown(show volumes)] } { puts "\$v is not whole in show volumes: \$shown(show volumes)"; exit 1 }
}
foreach s { serverA serverB serverC serverD serverE serverX } {
	if { ![regexp "(^|\n)\$s " \$shown(show servers)] } { puts "\$s is not whole in show servers"; exit 1 }
	if { ![regexp "(^|\n)\$s " \$shown(show regions)] } { puts "\$s is not whole in show regions"; exit 1 }
}
send "show volumes | include Vol-3\r"
expect -ex "include Vol-3"
expect {
	-re "\r\n(.*)\r\ndaspool@$host# $" { set out \$expect_out(1,string) }
	timeout { puts "show volumes | include Vol-3 did not end"; exit 1 }
}
set lines [split [string map {"\r" ""} \$out] "\n"]
if { [llength \$lines] != 3 } { puts "include Vol-3 printed [llength \$lines] lines, not the header and 2 rows: \$out"; exit 1 }
if { ![string match "lender *" [lindex \$lines 0]] } { puts "include lost the header: \$out"; exit 1 }
foreach line [lrange \$lines 1 end] {
	if { ![string match "*Vol-3*" \$line] } { puts "include kept a row without Vol-3: \$line"; exit 1 }
}
send "exit\r"
expect eof
puts ok
EXP
expect "$T/width.exp" >"$T/width.out" 2>&1 ||
	fail "the 80x24 session: $(tail -n 8 "$T/width.out")"
pass
