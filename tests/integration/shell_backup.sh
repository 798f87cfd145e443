#!/usr/bin/env bash
# The admin shell's "backup ..." commands run daspool-backup on the
# appliance with its config (DASPOOL_BACKUP_CONF): an admin runs a
# backup, sees its status and copies, verifies one; the audit rows say
# who asked. A monitor certificate may see status, list and tapes but
# not run, named by its role. Unknown backup commands and words that
# would change the library or catalog are refused; "backup ?" lists
# the commands, at the prompt too. The filters after '|' apply to the
# backup's output as to the manager's, and so does "| watch". Ctrl-C
# stops a run and says so.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A:8M B:8M
admin "volume create Vol-1 single serverA:A" >/dev/null || fail "create Vol-1"
admin "volume create Vol-2 single serverA:B" >/dev/null || fail "create Vol-2"
backup_setup backup1
export DASPOOL_BACKUP_CONF="$T/backup1/daspool-backup.conf"
daspool-backup make-library "$T/library" --slots 2 --tapes 1 --capacity 32M >/dev/null ||
	fail "make-library"
daspool-backup label 1 DSP001 --library "$T/library" >/dev/null || fail "label"

out=$(admin "backup run") || fail "backup run: $out"
echo "$out" | grep -q "^copied Vol-1 as copy 1: " || fail "backup run: $out"
echo "$out" | grep -q "^run ended: 2 copied, 0 skipped, 0 failed" || fail "backup run: $out"
admin "backup status" | grep -q "^last run: .* 2 copied" ||
	fail "backup status: $(admin "backup status" 2>&1)"
admin "backup list" | grep -q "^1 *Vol-1 " || fail "backup list: $(admin "backup list" 2>&1)"
admin "backup tapes" | grep -q "^1 *DSP001 " || fail "backup tapes: $(admin "backup tapes" 2>&1)"
admin "backup verify 1" | grep -q "^verified Vol-1: " || fail "backup verify"
who=$(admin "show whoami" | sed 's/, role.*//')
admin "show audit 10" | grep -Eq "backup-verify +Vol-1 +copy 1: every chunk matches \(by $who\)" ||
	fail "the verify's audit row does not say who asked: $(admin "show audit 10")"

out=$(admin "backup list | include Vol-2")
[ "$(echo "$out" | wc -l)" = 2 ] && echo "$out" | head -n 1 | grep -q "^copy " &&
	echo "$out" | tail -n 1 | grep -q "^2 *Vol-2 " ||
	fail "backup list | include Vol-2 (the header and copy 2): $out"
[ "$(admin "backup list | count")" = 2 ] ||
	fail "backup list | count: $(admin "backup list | count")"
[ "$(admin "backup list | exclude Vol-1 | count")" = 1 ] ||
	fail "backup list | exclude Vol-1 | count: $(admin "backup list | exclude Vol-1 | count")"
admin "backup ? | include restore" | grep -q "^  backup restore " ||
	fail "backup ? | include restore: $(admin "backup ? | include restore")"
expect_fail "after '|' use include WORD, exclude WORD or count, not 'sort'" \
	admin "backup list | sort"

admin "backup ?" | grep -q "^  backup restore  COPY --to-volume VOLUME" ||
	fail "backup ?: $(admin "backup ?")"
expect_fail 'no backup command "frobnicate"' admin "backup frobnicate"
expect_fail '"--library" is not taken here' admin "backup run --library /tmp"
expect_fail '"-f" is not taken here' admin "backup list -f /etc/passwd"

pki_issue noc1 monitor
P="$T/pki"
mon() {
	daspool-sh --manager "$MGR_ADDR:$MGR_PORT" --ca "$P/ca.crt" \
		--cert "$P/noc1.crt" --key "$P/noc1.key" -c "$1"
}
mon "backup status" | grep -q "^last run: " || fail "a monitor cannot see the backup's status"
expect_fail "backup run needs the admin role; noc1 has the monitor role" mon "backup run"
[ "$(daspool-backup -f "$DASPOOL_BACKUP_CONF" list | tail -n +2 | wc -l)" = 2 ] ||
	fail "the monitor's run copied something"

# At the prompt, "?" after "backup " lists the commands from the
# manager's words, and gives the line back.
expect <<EXP || fail "backup ? at the prompt"
set timeout 10
spawn daspool-sh -s $ADMIN_SOCK
expect "# "
send "backup ?"
expect {
	"rebuild an empty catalog from the tapes" {}
	timeout { puts "no backup choices"; exit 1 }
}
expect "# backup "
send "\025quit\r"
expect eof
EXP

# Ctrl-C stops a run (here waiting on a stopped lender) and says so;
# "backup status | watch" then shows the run that did not finish.
kill -STOP "${AGENT_PID[serverA]}"
expect <<EXP || { kill -CONT "${AGENT_PID[serverA]}"; fail "Ctrl-C during backup run"; }
set timeout 10
spawn daspool-sh -s $ADMIN_SOCK
expect "# "
send "backup run Vol-1\r"
sleep 1
send "\003"
expect {
	-ex "backup run was stopped by Ctrl-C; \"backup status\" says where it ended" {}
	timeout { puts "Ctrl-C during backup run said nothing"; exit 1 }
	eof { puts "Ctrl-C during backup run ended the shell"; exit 1 }
}
expect "# "
send "backup status | watch 1\r"
expect {
	-re "every 1 s: backup status.*the run started by pid \[0-9]+ ended without finishing" {}
	timeout { puts "backup status | watch did not show the stopped run"; exit 1 }
}
send "x"
expect "# "
send "quit\r"
expect eof
EXP
kill -CONT "${AGENT_PID[serverA]}"
pass
