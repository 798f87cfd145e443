#!/usr/bin/env bash
# Roles of the admin shell, with real Unix users: a member of
# monitor_group gets the '>' prompt and the show commands, and a change
# is refused naming the role it needs; a member of admin_group gets '#'
# and may change the pool; a user in neither is refused a shell, with a
# sentence saying why. A certificate of the role monitor has the same
# limits over TLS. The users and groups are made for the test and
# removed after it (it needs root; skipped otherwise).
. "$(dirname "$0")/functions.sh"
[ "$(id -u)" = 0 ] || skip "making test users needs root"
command -v expect >/dev/null || fail "expect is not installed: run scripts/install-deps.sh"

tag=$$
MON=dspmon$tag ADM=dspadm$tag NOBODY=dspnone$tag
users_gone() {
	userdel "$MON" 2>/dev/null; userdel "$ADM" 2>/dev/null
	userdel "$NOBODY" 2>/dev/null
	groupdel "$MON" 2>/dev/null; groupdel "$ADM" 2>/dev/null
	groupdel "$NOBODY" 2>/dev/null
}
trap 'rc=$?; users_gone; (exit $rc); cleanup' EXIT
for u in "$MON" "$ADM" "$NOBODY"; do
	useradd -M -U -d "$T/home-$u" -s /bin/sh "$u" || fail "useradd $u"
	mkdir -p "$T/home-$u" && chown "$u" "$T/home-$u"
done
# The test directory is 0700; the users reach the socket through it.
chmod 755 "$T"

MGR_CONF_EXTRA="admin_group = \"$ADM\"
monitor_group = \"$MON\""
start_mgr
chmod 755 "$T/mgr"
start_agent serverA 127.0.2.1 A1:16M
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create"

as_user() {	# as_user USER COMMAND: daspool-sh -c COMMAND as USER
	su -s /bin/sh "$1" -c "$bin/daspool-sh -s '$ADMIN_SOCK' -c '$2'"
}
as_user "$MON" "show volumes" | grep -q " Vol-1 " || fail "a monitor cannot show volumes"
as_user "$MON" "show whoami" | grep -q "role monitor" || fail "whoami: $(as_user "$MON" "show whoami" 2>&1)"
expect_fail "needs the admin role.*monitor role" as_user "$MON" "volume delete Vol-1"
admin "show volume Vol-1" >/dev/null || fail "the monitor's delete went through"
expect_fail "needs the admin role" as_user "$MON" "store copy"
expect_fail "may not use the admin shell.*not in admin_group $ADM" as_user "$NOBODY" "show volumes"
as_user "$ADM" "volume delete Vol-1" >/dev/null || fail "an admin-group member cannot delete"
admin "show audit 1" | grep -q "delete" || fail "the delete is not audited"

# A certificate of the role monitor, over TLS: the same limits.
pki_issue noc1 monitor
P="$T/pki"
tls_sh() {
	daspool-sh --manager "$MGR_ADDR:$MGR_PORT" --ca "$P/ca.crt" \
		--cert "$P/noc1.crt" --key "$P/noc1.key" -c "$1"
}
tls_sh "show servers" | grep -q serverA || fail "a monitor certificate cannot show servers"
tls_sh "show whoami" | grep -q "^noc1, role monitor" || fail "whoami over TLS: $(tls_sh "show whoami" 2>&1)"
expect_fail "needs the admin role.*monitor role" tls_sh "volume force-release Vol-9"

host=$(hostname | cut -d. -f1)
cat >"$T/roles.exp" <<EXP
set timeout 10
log_user 0
spawn su -s /bin/sh $MON -c "TERM=vt100 $bin/daspool-sh -s $ADMIN_SOCK"
expect {
	"daspool@$host> " {}
	timeout { puts "no monitor prompt"; exit 1 }
}
send "volume delete Vol-1\r"
expect {
	"this command needs the admin role; admin:$MON has the monitor role" {}
	timeout { puts "the monitor's volume delete was not refused naming the role"; exit 1 }
}
expect "daspool@$host> "
send "exit\r"
expect eof
spawn su -s /bin/sh $NOBODY -c "TERM=vt100 $bin/daspool-sh -s $ADMIN_SOCK"
expect {
	"may not use the admin shell" {}
	"daspool@" { puts "a shell for a user in neither group"; exit 1 }
	timeout { puts "no refusal"; exit 1 }
}
expect eof
puts ok
EXP
out=$(expect "$T/roles.exp" 2>&1) || fail "$out"
pass
