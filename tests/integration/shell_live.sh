#!/usr/bin/env bash
# The shell's live views at a terminal: "show events" prints the last
# rows of the audit trail, then each new row as it comes, until a key
# is pressed; "show volume NAME | watch 1" shows the volume afresh every
# second until a key. The shell goes on after either.
. "$(dirname "$0")/functions.sh"
command -v expect >/dev/null || fail "expect is not installed: run scripts/install-deps.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:16M A2:16M
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create"
mkdir -p "$T/home"
host=$(hostname | cut -d. -f1)

cat >"$T/live.exp" <<EXP
set timeout 10
log_user 0
spawn env HOME=$T/home TERM=vt100 daspool-sh -s $ADMIN_SOCK
expect "daspool@$host# "
send "show events\r"
expect {
	-re "create +Vol-1" {}
	timeout { puts "show events did not show the last rows"; exit 1 }
}
exec $bin/daspool-sh -s $ADMIN_SOCK -c "volume create Vol-2 single serverA:A2"
expect {
	-re "create +Vol-2" {}
	timeout { puts "show events did not follow a new row"; exit 1 }
}
send "x"
expect {
	"daspool@$host# " {}
	timeout { puts "a key did not stop show events"; exit 1 }
}
send "show volume Vol-1 | watch 1\r"
expect "every 1 s: show volume Vol-1"
expect -re "form +single"
expect {
	"every 1 s: show volume Vol-1" {}
	timeout { puts "watch did not run the command again"; exit 1 }
}
send "x"
expect {
	"daspool@$host# " {}
	timeout { puts "a key did not stop watch"; exit 1 }
}
send "exit\r"
expect eof
puts ok
EXP
out=$(expect "$T/live.exp" 2>&1) || fail "$out"
pass
