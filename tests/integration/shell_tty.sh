#!/usr/bin/env bash
# The interactive shell through a pseudo-terminal (expect), against a
# real manager: the prompt names the appliance, a command runs, Ctrl-C
# drops the line being typed and keeps the shell, Ctrl-C while a command
# waits for its reply cuts the output and keeps the shell, Ctrl-Z does
# not stop it, Ctrl-D on an empty
# line leaves, the up arrow recalls the last command after the shell
# was started again; '?' lists what may follow and gives the line back;
# TAB completes a unique keyword or volume name and lists several, and
# offers only the volumes the command can take, and after show audit
# the number of rows in the trail; on a narrow terminal
# '?' folds its help and TAB lists in the columns that fit. Keys typed
# the moment a prompt shows are read as keys.
. "$(dirname "$0")/functions.sh"
command -v expect >/dev/null || fail "expect is not installed: run scripts/install-deps.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:16M A2:16M A3:16M A4:16M
borrower_setup serverJ
for v in 1 2 3; do
	admin "volume create Vol-$v single serverA:A$v" >/dev/null || fail "create Vol-$v"
done
admin "volume create Data-7 single serverA:A4" >/dev/null || fail "create Data-7"
as serverJ allocate Vol-2 >/dev/null && as serverJ mount Vol-2 >/dev/null ||
	fail "mount Vol-2"
as serverJ allocate Vol-3 >/dev/null || fail "allocate Vol-3"
mkdir -p "$T/home"
host=$(hostname | cut -d. -f1)

cat >"$T/first.exp" <<EXP
set timeout 10
log_user 0
spawn env HOME=$T/home TERM=vt100 daspool-sh -s $ADMIN_SOCK
expect {
	"daspool@$host# " {}
	timeout { puts "no prompt"; exit 1 }
}
send "show servers\r"
expect {
	-re "serverA +127.0.2.1:\[0-9]+ +up" {}
	timeout { puts "show servers printed nothing"; exit 1 }
}
expect "daspool@$host# "
send "show vol"
send "\003"
expect {
	"daspool@$host# " {}
	timeout { puts "Ctrl-C did not give a fresh prompt"; exit 1 }
	eof { puts "Ctrl-C ended the shell"; exit 1 }
}
# The manager stopped: the command waits for its reply when Ctrl-C and
# Ctrl-Z come.
exec kill -STOP $MGR_PID
send "show volumes\r"
sleep 0.3
send "\032"
send "\003"
sleep 0.3
exec kill -CONT $MGR_PID
expect {
	-ex "^C (the rest of the output was not shown; the command itself ran)" {}
	timeout { puts "Ctrl-C during a command said nothing"; exit 1 }
	eof { puts "Ctrl-C or Ctrl-Z during a command ended the shell"; exit 1 }
}
expect "daspool@$host# "
send "show servers\r"
expect {
	-re "serverA +127.0.2.1:\[0-9]+ +up" {}
	timeout { puts "the shell did not go on after Ctrl-C"; exit 1 }
	eof { puts "the shell ended after Ctrl-C"; exit 1 }
}
expect "daspool@$host# "
send "\004"
expect {
	eof {}
	timeout { puts "Ctrl-D did not leave"; exit 1 }
}
puts "first ok"
EXP
out=$(expect "$T/first.exp" 2>&1) || fail "$out"
[ -s "$T/home/.daspool_history" ] || fail "no history file"
# libedit's file writes a space as \040.
grep -q 'show.*servers' "$T/home/.daspool_history" || fail "history lacks the command"
! grep -q 'vol$' "$T/home/.daspool_history" || fail "a dropped line was kept"

cat >"$T/again.exp" <<EXP
set timeout 10
log_user 0
spawn env HOME=$T/home TERM=vt100 daspool-sh -s $ADMIN_SOCK
expect "daspool@$host# "
send "\033\[A"
expect {
	"show servers" {}
	timeout { puts "the up arrow did not recall the command"; exit 1 }
}
send "\r"
expect {
	-re "serverA +127.0.2.1" {}
	timeout { puts "the recalled command did not run"; exit 1 }
}
send "sh vol ?"
expect {
	-re "health +only volumes in this health" {}
	timeout { puts "? listed nothing"; exit 1 }
}
expect {
	-re "daspool@$host# sh vol $" {}
	timeout { puts "? did not give the line back"; exit 1 }
}
send "\003"
expect "daspool@$host# "
send "vo"
expect "vo"
send "\t"
expect "lume "
send "\r"
expect {
	"incomplete command 'volume'" {}
	timeout { puts "TAB did not complete 'vo' to 'volume'"; exit 1 }
}
expect "daspool@$host# "
send "volume f"
expect "volume f"
send "\t"
expect {
	"orce-" {}
	timeout { puts "TAB did not complete what force-unmount and force-release share"; exit 1 }
}
send "\t"
expect {
	-re "force-unmount +force-release" {}
	timeout { puts "TAB did not list force-unmount and force-release"; exit 1 }
}
send "\003"
expect "daspool@$host# "
send "show volume Da"
expect "show volume Da"
send "\t"
expect {
	"ta-7 " {}
	timeout { puts "TAB did not complete the one volume named Da..."; exit 1 }
}
send "\003"
expect "daspool@$host# "
send "show volume Vol-"
expect "show volume Vol-"
send "\t"
expect {
	-re "Vol-1 +Vol-2 +Vol-3" {}
	timeout { puts "TAB did not list the volumes named Vol-..."; exit 1 }
}
send "\003"
expect "daspool@$host# "
send "volume force-unmount "
expect "force-unmount "
send "\t"
expect {
	"Vol-2 " {}
	timeout { puts "force-unmount TAB did not offer the one mounted volume"; exit 1 }
}
send "\003"
expect "daspool@$host# "
send "volume force-release V"
expect "release V"
send "\t"
expect {
	"ol-" {}
	timeout { puts "force-release TAB did not complete the lent volumes"; exit 1 }
}
send "\t"
expect {
	-re "\nVol-2 +Vol-3 *\r" {}
	timeout { puts "force-release TAB did not list only the lent volumes"; exit 1 }
}
send "\003"
expect "daspool@$host# "
set rows [exec sh -c "daspool-sh -s $ADMIN_SOCK -c 'show audit 10000' | tail -n +2 | grep -c ."]
if { \$rows < 1 || \$rows > 9 } { puts "\$rows audit rows, not 1 to 9"; exit 1 }
send "show audit "
expect "show audit "
send "\t"
expect {
	-ex "\$rows " {}
	timeout { puts "show audit TAB did not offer the \$rows rows of the trail"; exit 1 }
}
send "\r"
expect {
	-re "time +actor +action" {}
	timeout { puts "show audit \$rows did not run"; exit 1 }
}
expect "daspool@$host# "
send "exit\r"
expect eof
puts "again ok"
EXP
out=$(expect "$T/again.exp" 2>&1) || fail "$out"

# A narrow terminal: '?' folds a long help under its column, never
# cutting it; TAB lists names in as many columns as fit.
cat >"$T/narrow.exp" <<EXP
set timeout 10
log_user 0
set stty_init "rows 24 cols 50"
spawn env HOME=$T/home TERM=vt100 daspool-sh -s $ADMIN_SOCK
expect "daspool@$host# "
send "volume ?"
expect -ex "volume ?"
expect {
	-re "\r\n(.*)\r\n\[^\n]*daspool@$host# volume $" { set help \$expect_out(1,string) }
	timeout { puts "volume ? listed nothing"; exit 1 }
}
foreach line [split \$help "\n"] {
	set line [string trimright \$line "\r"]
	if { [string length \$line] > 50 } { puts "a help line wider than 50: \$line"; exit 1 }
}
if { ![regexp {force-unmount +unmount a volume; its borrower's\s+ticket stops working} \$help] } {
	puts "the help of force-unmount was not folded whole: \$help"; exit 1
}
send "\003"
expect "daspool@$host# "
send "show volume \t"
expect {
	-re "\r\nData-7  Vol-1   Vol-2   Vol-3\r\n" {}
	timeout { puts "TAB did not list the volumes in columns as wide as the widest name"; exit 1 }
}
send "\003"
expect "daspool@$host# "
send "exit\r"
expect eof
EXP
out=$(expect "$T/narrow.exp" 2>&1) || fail "$out"

# DASPOOL_HISTSIZE=0: no history kept, no file written.
mkdir -p "$T/home0"
cat >"$T/nohist.exp" <<EXP
set timeout 10
log_user 0
spawn env HOME=$T/home0 DASPOOL_HISTSIZE=0 TERM=vt100 daspool-sh -s $ADMIN_SOCK
expect "daspool@$host# "
send "show servers\r"
expect "daspool@$host# "
send "exit\r"
expect eof
EXP
out=$(expect "$T/nohist.exp" 2>&1) || fail "$out"
[ ! -e "$T/home0/.daspool_history" ] || fail "DASPOOL_HISTSIZE=0 wrote a history"

# Keys typed the moment the prompt shows are keys of the line, not the
# terminal's signal or end of file: a line and Ctrl-C sent at once
# after each prompt give a fresh prompt every time, and Ctrl-D leaves.
cat >"$T/typeahead.exp" <<EXP
set timeout 10
log_user 0
spawn env HOME=$T/home0 DASPOOL_HISTSIZE=0 TERM=vt100 daspool-sh -s $ADMIN_SOCK
expect "daspool@$host# "
for {set i 0} {\$i < 1000} {incr i} {
	send "show vol\003"
	expect {
		"daspool@$host# " {}
		timeout { puts "Ctrl-C sent at once after prompt \$i was lost"; exit 1 }
	}
}
send "\004"
expect {
	eof {}
	timeout { puts "Ctrl-D sent at once after the prompt did not leave"; exit 1 }
}
EXP
out=$(expect "$T/typeahead.exp" 2>&1) || fail "$out"
pass
