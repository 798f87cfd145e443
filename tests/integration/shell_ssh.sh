#!/usr/bin/env bash
# An admin logs in through a real sshd (its own loopback address and
# free port, its own host key) configured with the ForceCommand sample
# of etc/sshd_config.daspool.sample, as a member of the admin group,
# lands in the interactive shell, and runs show servers. The user and
# group are made for the test and removed after it (root needed).
. "$(dirname "$0")/functions.sh"
[ "$(id -u)" = 0 ] || skip "making a test user and running sshd needs root"
command -v expect >/dev/null || fail "expect is not installed: run scripts/install-deps.sh"
[ -x /usr/sbin/sshd ] || fail "sshd is not installed: run scripts/install-deps.sh"

ADM=dspssh$$
SSH_ADDR=127.0.6.1
trap 'rc=$?; userdel "$ADM" 2>/dev/null; groupdel "$ADM" 2>/dev/null; (exit $rc); cleanup' EXIT
useradd -M -U -d "$T/home" -s /bin/sh "$ADM" || fail "useradd"
usermod -p '*' "$ADM"		# no password, not locked: keys only
mkdir -p "$T/home/.ssh" "$T/sshd"
ssh-keygen -q -t ed25519 -N '' -f "$T/sshd/host_key" || fail "host key"
ssh-keygen -q -t ed25519 -N '' -f "$T/id" || fail "user key"
cp "$T/id.pub" "$T/home/.ssh/authorized_keys"
chown -R "$ADM" "$T/home"
chmod 755 "$T"

MGR_CONF_EXTRA="admin_group = \"$ADM\""
start_mgr
chmod 755 "$T/mgr"
start_agent serverA 127.0.2.1 A1:16M

# The sample, with this build's daspool-sh and the test's socket.
port=$(free_port)
mkdir -p /run/sshd
{
	echo "ListenAddress $SSH_ADDR:$port"
	echo "HostKey $T/sshd/host_key"
	echo "PidFile $T/sshd/sshd.pid"
	echo "AuthorizedKeysFile $T/home/.ssh/authorized_keys"
	echo "PasswordAuthentication no"
	echo "KbdInteractiveAuthentication no"
	echo "UsePAM no"
	echo "StrictModes no"
	sed -e "s|Group daspool-admin,daspool-monitor|Group $ADM|" \
	    -e "s|ForceCommand /usr/local/bin/daspool-sh|ForceCommand $bin/daspool-sh -s $ADMIN_SOCK|" \
	    "$top/etc/sshd_config.daspool.sample"
} >"$T/sshd/sshd_config"
/usr/sbin/sshd -t -f "$T/sshd/sshd_config" || fail "sshd refuses the sample"
/usr/sbin/sshd -D -e -f "$T/sshd/sshd_config" >>"$T/sshd.log" 2>&1 &
PIDS+=($!)
wait_for 10 bash -c "ss -Hltn 'sport = :$port' | grep -q ." || fail "sshd did not start"

host=$(hostname | cut -d. -f1)
cat >"$T/ssh.exp" <<EXP
set timeout 15
log_user 0
spawn ssh -tt -i $T/id -p $port -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes $ADM@$SSH_ADDR
expect {
	"daspool@$host# " {}
	timeout { puts "no admin prompt over ssh"; exit 1 }
	eof { puts "ssh ended: \$expect_out(buffer)"; exit 1 }
}
send "show servers\r"
expect {
	-re "serverA +127.0.2.1:\[0-9]+ +up" {}
	timeout { puts "show servers printed nothing over ssh"; exit 1 }
}
expect "daspool@$host# "
send "exit\r"
expect eof
puts ok
EXP
out=$(expect "$T/ssh.exp" 2>&1) || fail "$out"
pass
