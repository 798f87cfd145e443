#!/usr/bin/env bash
# The daemons' -n / -nv: the sample configs parse and print back exactly as
# recorded in the .ok files; broken configs are refused with a message that
# names the file and the fault.
. "$(dirname "$0")/functions.sh"
here=$(cd "$(dirname "$0")" && pwd)

daspool-mgr -n -f "$top/etc/daspool-mgr.conf" || fail "sample manager config refused"
daspool-agent -n -f "$top/etc/daspool-agent.conf" || fail "sample agent config refused"
daspool-mgr -nv -f "$top/etc/daspool-mgr.conf" | diff -u "$here/config_mgr.ok" - ||
	fail "manager -nv differs from config_mgr.ok"
daspool-agent -nv -f "$top/etc/daspool-agent.conf" | diff -u "$here/config_agent.ok" - ||
	fail "agent -nv differs from config_agent.ok"
# What -nv prints is itself a config that reads back the same.
daspool-mgr -nv -f "$top/etc/daspool-mgr.conf" >"$T/mgr-nv.conf"
daspool-mgr -nv -f "$T/mgr-nv.conf" | diff -u "$T/mgr-nv.conf" - ||
	fail "manager -nv output does not read back"
daspool-agent -nv -f "$top/etc/daspool-agent.conf" >"$T/agent-nv.conf"
daspool-agent -nv -f "$T/agent-nv.conf" | diff -u "$T/agent-nv.conf" - ||
	fail "agent -nv output does not read back"
daspool-snmp -n -f "$top/etc/daspool-snmp.conf" || fail "sample subagent config refused"
daspool-snmp -nv -f "$top/etc/daspool-snmp.conf" | diff -u "$here/config_snmp.ok" - ||
	fail "subagent -nv differs from config_snmp.ok"
daspool-snmp -nv -f "$top/etc/daspool-snmp.conf" >"$T/snmp-nv.conf"
daspool-snmp -nv -f "$T/snmp-nv.conf" | diff -u "$T/snmp-nv.conf" - ||
	fail "subagent -nv output does not read back"
daspool-backup -f "$top/etc/daspool-backup.conf" -n || fail "sample backup config refused"
daspool-backup -f "$top/etc/daspool-backup.conf" -nv | diff -u "$here/config_backup.ok" - ||
	fail "backup -nv differs from config_backup.ok"
daspool-backup -f "$top/etc/daspool-backup.conf" -nv >"$T/backup-nv.conf"
daspool-backup -f "$T/backup-nv.conf" -nv | diff -u "$T/backup-nv.conf" - ||
	fail "backup -nv output does not read back"

bad() {
	local prog=$1 pattern=$2
	shift 2
	printf '%s\n' "$@" >"$T/bad.conf"
	expect_fail "bad.conf.*($pattern)" "$prog" -n -f "$T/bad.conf"
}
# daspool-backup takes -f before its command.
bad_backup() {
	local pattern=$1
	shift
	printf '%s\n' 'manager_address = "127.0.0.1"' "$@" >"$T/bad.conf"
	expect_fail "bad.conf.*($pattern)" daspool-backup -f "$T/bad.conf" -n
}
bad_backup "schedule 'hourly'" 'schedule = "hourly"'
bad_backup "mounted \"maybe\": use skip, copy or split-leg" 'mounted = "maybe"'
bad_backup "keep_copies 0 is not 1-1000" 'keep_copies = 0'
bad_backup "library \"lib\" must be an absolute path" 'library = "lib"'
bad_backup "no such option" 'tapes = 3'
bad_backup "driver \"tape\": use vtl or scsi" 'driver = "tape"'
bad_backup "changer \"sg3\" must be an absolute path" 'driver = "scsi"' \
	'changer = "sg3"'
bad_backup "drive \"nst0\" must be an absolute path" 'drive = "nst0"'
bad_backup "drive_index 64 is not 0-63" 'drive_index = 64'
bad_backup "block_size 1000 is not a multiple of 512 from 512 to 8388608" \
	'block_size = 1000'
bad_backup "block_size 0 is not a multiple of 512" 'block_size = 0'
# A scsi config prints back with its settings and reads back the same.
printf '%s\n' 'manager_address = "127.0.0.1"' 'driver = "scsi"' \
	'changer = "/dev/sg5"' 'drive = "/dev/nst1"' 'drive_index = 1' \
	'block_size = 65536' >"$T/scsi.conf"
daspool-backup -f "$T/scsi.conf" -nv >"$T/scsi-nv.conf" ||
	fail "scsi backup config refused"
grep -A5 '^driver' "$T/scsi-nv.conf" | grep -v '^library' | diff -u - \
	<(printf '%s\n' 'driver = "scsi"' 'changer = "/dev/sg5"' \
	'drive = "/dev/nst1"' 'drive_index = 1' 'block_size = 65536') ||
	fail "scsi settings printed wrong by -nv"
daspool-backup -f "$T/scsi-nv.conf" -nv | diff -u "$T/scsi-nv.conf" - ||
	fail "backup -nv output of a scsi config does not read back"
# A scsi library that cannot be reached is refused in mtx's words (or,
# without mtx, naming the package).
printf '%s\n' 'manager_address = "127.0.0.1"' 'driver = "scsi"' \
	'changer = "/nonexistent/sg9"' >"$T/scsi-gone.conf"
expect_fail "tape library /nonexistent/sg9: (mtx -f /nonexistent/sg9 status failed \(exit status 1\): .*/nonexistent/sg9|cannot run mtx: .*mtx package)" \
	daspool-backup -f "$T/scsi-gone.conf" tapes
printf '%s\n' 'manager_port = 7400' >"$T/bad.conf"
expect_fail "manager_address is empty" daspool-backup -f "$T/bad.conf" -n
bad daspool-mgr "not a port" 'listen_port = 99999'
bad daspool-mgr "ticket_lifetime" 'ticket_lifetime = "abc"'
bad daspool-mgr "no such option" 'bogus = 1'
bad daspool-mgr "handshake_timeout 0 is not 1-60" 'handshake_timeout = 0'
bad daspool-mgr "backup_interval 0 is not 1-604800 seconds" \
	'backup_interval = 0'
bad daspool-mgr "backup_keep 0 is not 1-10000 copies" 'backup_keep = 0'
bad daspool-mgr "backup_dir \"copies\" must be an absolute path" \
	'backup_dir = "copies"'
bad daspool-mgr "backup_dir \"/x/state\" is the state_dir" \
	'state_dir = "/x/state"' 'backup_dir = "/x/state"'
# A config with copies prints back with them.
printf '%s\n' 'backup_dir = "/var/backups/daspool"' 'backup_interval = 1' \
	'backup_keep = 3' >"$T/copies.conf"
daspool-mgr -nv -f "$T/copies.conf" | grep -A2 '^backup_dir' | diff -u - \
	<(printf '%s\n' 'backup_dir = "/var/backups/daspool"' \
	'backup_interval = 1' 'backup_keep = 3') ||
	fail "backup keys printed wrong by -nv"
bad daspool-agent "no such option" 'bogus = 1'
bad daspool-snmp "no such option" 'bogus = 1'
bad daspool-snmp "poll_interval 5 is not 10-10000 milliseconds" \
	'poll_interval = 5'
bad daspool-snmp "state_dir \"state\" must be an absolute path" \
	'state_dir = "state"'
bad daspool-snmp "agentx_socket is empty" 'agentx_socket = ""'
bad daspool-snmp "backup_catalog \"catalog\" must be an absolute path" \
	'backup_catalog = "catalog"'
# No backup: an empty backup_catalog prints back and reads back.
printf '%s\n' 'backup_catalog = ""' >"$T/nobackup.conf"
daspool-snmp -nv -f "$T/nobackup.conf" >"$T/nobackup-nv.conf" ||
	fail "subagent config without a backup refused"
grep -qx 'backup_catalog = ""' "$T/nobackup-nv.conf" ||
	fail "an empty backup_catalog printed wrong by -nv"
daspool-snmp -nv -f "$T/nobackup-nv.conf" | diff -u "$T/nobackup-nv.conf" - ||
	fail "subagent -nv output without a backup does not read back"
agent_base=('server = "serverA"' 'listen_address = "127.0.2.1"'
	'manager_address = "127.0.1.1"' 'ca = "/x/ca.crt"' 'cert = "/x/a.crt"'
	'key = "/x/a.key"' 'manager_cert = "/x/m.crt"' 'state_dir = "/x/state"')
bad daspool-agent "max_connections_per_peer -1" "${agent_base[@]}" \
	'max_connections_per_peer = -1'
# The CRL is read again after the daemon left its start directory.
bad daspool-mgr "crl \"crl.pem\" must be an absolute path" 'crl = "crl.pem"'
bad daspool-agent "crl \"crl.pem\" must be absolute" "${agent_base[@]}" \
	'crl = "crl.pem"' 'region "A1" {' 'path = "/tmp/x"' '}'

bad daspool-agent "size|length" "${agent_base[@]}" \
	'region "A1" {' 'path = "/tmp/x"' 'length = "12Q"' '}'
bad daspool-agent "overlap" "${agent_base[@]}" \
	'region "A1" {' 'path = "/tmp/x"' 'length = "2M"' '}' \
	'region "A2" {' 'path = "/tmp/x"' 'offset = "1M"' 'length = "2M"' '}'
# A region joined from parts prints with its part sections and reads back.
printf '%s\n' "${agent_base[@]}" 'region "A4" {' \
	'part { path = "/dev/sdc" }' \
	'part { path = "/srv/daspool/b.img"  offset = "1M"  length = "64M" }' \
	'}' >"$T/joined.conf"
daspool-agent -nv -f "$T/joined.conf" >"$T/joined-nv.conf" ||
	fail "joined region refused"
sed -n '/^region/,$p' "$T/joined-nv.conf" | diff -u - <(cat <<'EOF'
region "A4" {
	part {
		path = "/dev/sdc"
		offset = "0"
	}
	part {
		path = "/srv/daspool/b.img"
		offset = "1048576"
		length = "67108864"
	}
}
EOF
) || fail "joined region printed wrong by -nv"
daspool-agent -nv -f "$T/joined-nv.conf" | diff -u "$T/joined-nv.conf" - ||
	fail "agent -nv output of a joined region does not read back"
bad daspool-agent ":[0-9]+: region A4: .*not both" "${agent_base[@]}" \
	'region "A4" {' 'path = "/tmp/x"' 'part { path = "/tmp/y" }' '}'
bad daspool-agent ":[0-9]+: region A4: path or at least one part" \
	"${agent_base[@]}" 'region "A4" {' '}'
bad daspool-agent "region A4: offset and length go in each part" \
	"${agent_base[@]}" 'region "A4" {' 'length = "1M"' \
	'part { path = "/tmp/y" }' '}'
bad daspool-agent "region A4: 9 parts, at most 8" "${agent_base[@]}" \
	'region "A4" {' $(printf 'part{path="/tmp/p%d"} ' 1 2 3 4 5 6 7 8 9) '}'
bad daspool-agent "region A4: part 2: path .* must be absolute" \
	"${agent_base[@]}" 'region "A4" {' 'part { path = "/tmp/x" }' \
	'part { path = "y" }' '}'
# Overlap is checked part by part, within a region and across regions.
bad daspool-agent "region A4: parts 1 and 2 overlap on /tmp/x" \
	"${agent_base[@]}" 'region "A4" {' \
	'part { path = "/tmp/x"  length = "2M" }' \
	'part { path = "/tmp/x"  offset = "1M" }' '}'
bad daspool-agent "regions A1 and A4 overlap on /tmp/x" "${agent_base[@]}" \
	'region "A1" {' 'path = "/tmp/x"' 'length = "2M"' '}' \
	'region "A4" {' 'part { path = "/tmp/y" }' \
	'part { path = "/tmp/x"  offset = "1M"  length = "2M" }' '}'
expect_fail "daspool-mgr.conf|No such file|cannot" daspool-mgr -n -f "$T/missing.conf"
pass
