#!/usr/bin/env bash
# Text from peers reaches admins' screens and the logs escaped: control
# bytes in an agent's region reason (a real agent whose region path holds
# an escape sequence and a newline, and a raw REGISTER from dsp_probe), in
# a borrower's leg-fail reason and in an admin's refused command come out
# as \xNN; no raw control byte is printed by daspool-sh or written to a
# daemon's log.
. "$(dirname "$0")/functions.sh"

# Control bytes other than tab and newline, DEL and bytes >= 0x80.
raw_bytes() {
	LC_ALL=C grep -naP '[\x00-\x08\x0b-\x1f\x7f-\xff]' "$@"
}

# no_raw WHAT FILE: FILE holds no raw control byte.
no_raw() {
	if raw_bytes "$2" >/dev/null; then
		fail "$1 holds raw control bytes: $(raw_bytes "$2" | od -c | head -n 8)"
	fi
}

# says WHAT FILE TEXT: FILE holds TEXT literally.
says() {
	grep -qF -- "$3" "$2" || fail "$1 lacks '$3': $(cat "$2")"
}

start_mgr
start_agent serverD 127.0.2.1 D:16M
start_agent serverE 127.0.2.2 E:16M

# A real agent: region D2's file name holds ESC [31m and a newline; the
# file is missing, so the reason the agent sends quotes the name.
kill_agent serverD
printf 'region "D2" {\n\tpath = "%s"\n}\n' "$T/disks/x"$'\x1b[31mred\nline' \
	>>"$T/serverD/daspool-agent.conf"
restart_agent serverD

# A raw REGISTER with a hostile reason, under an agent certificate.
pki_issue serverP agent
evil=$'title\x1b]0;owned\x07 clear\x1b[2J\r\nbell\x07 del\x7f high\xc3\xa9 quoted \\x41'
dsp_probe --ca "$T/pki/ca.crt" --cert "$T/pki/serverP.crt" \
	--key "$T/pki/serverP.key" "$MGR_ADDR" "$MGR_PORT" \
	register-reason "$evil" >"$T/probe.out" 2>&1 ||
	fail "register with a hostile reason refused: $(cat "$T/probe.out")"

admin "show regions" >"$T/regions" || fail "show regions"
no_raw "show regions" "$T/regions"
says "show regions" "$T/regions" \
	'title\x1b]0;owned\x07 clear\x1b[2J\x0d\x0abell\x07 del\x7f high\xc3\xa9 quoted \\x41'
says "show regions" "$T/regions" 'x\x1b[31mred\x0aline: No such file'
# One line per region: the newline in a reason did not break the table.
[ "$(grep -c '^serverP ' "$T/regions")" = 1 ] ||
	fail "region R1 of serverP is not one line: $(cat "$T/regions")"

# A borrower's leg-fail reason, sent raw to the manager.
borrower_setup serverJ
admin "volume create Vol-3 mirror serverD:D serverE:E" || fail "create Vol-3"
as serverJ allocate Vol-3 >/dev/null || fail "allocate Vol-3"
as serverJ mount Vol-3 >/dev/null || fail "mount Vol-3"
dsp_probe --ca "$T/pki/ca.crt" --cert "$T/pki/serverJ.crt" \
	--key "$T/pki/serverJ.key" "$MGR_ADDR" "$MGR_PORT" \
	leg-fail Vol-3 1 $'disk\x1b[5mgone\x07\r\n\tfor good' >"$T/probe.out" 2>&1 ||
	fail "leg-fail refused: $(cat "$T/probe.out")"
admin "show volume Vol-3" >"$T/volume" || fail "show volume"
no_raw "show volume" "$T/volume"
says "show volume" "$T/volume" 'disk\x1b[5mgone\x07\x0d\x0a\x09for good'
admin "show audit" >"$T/audit" || fail "show audit"
no_raw "show audit" "$T/audit"
says "show audit" "$T/audit" 'out of sync: disk\x1b[5mgone\x07'

# An admin's refused command: the manager's error quotes it, escaped.
if admin $'volume delete \x1b[2JVol' >"$T/refusal" 2>&1; then
	fail "a bad volume name was accepted"
fi
no_raw "a refused command's error" "$T/refusal"
says "a refused command's error" "$T/refusal" '\x1b[2JVol'

# A region unavailable with that reason cannot become a volume; the
# refusal quotes the stored reason once escaped, not twice.
admin "volume create Vol-9 single serverP:R1" >"$T/refusal" 2>&1 &&
	fail "an unavailable region became a volume"
no_raw "create refusal" "$T/refusal"
says "create refusal" "$T/refusal" 'title\x1b]0;owned\x07'

for f in "$T"/*.log; do
	no_raw "log $(basename "$f")" "$f"
done
says "the agent's log" "$T/serverD.log" 'x\x1b[31mred\x0aline'
says "the manager's log" "$T/mgr.log" 'disk\x1b[5mgone\x07\x0d\x0a\x09for good'
pass
