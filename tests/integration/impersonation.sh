#!/usr/bin/env bash
# Impersonation: a client checks whom it reached before it sends a byte.
# A fake agent at a lender's address (dsp_probe serve, with a borrower's
# certificate, then with another agent's) and a fake manager (with a
# borrower's, then an agent's certificate) complete the TLS handshake
# but get nothing from daspool read, write, allocate or daspool-sh: no
# ticket, no data, no request. Each fails with a sentence naming the
# certificate it met and the peer it expected. With the real daemons
# back, everything works.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:16M
start_agent serverB 127.0.2.2 B1:16M
borrower_setup serverJ
pki_issue serverK borrower
pki_issue admin1 admin
P="$T/pki"
admin "volume create Vol-1 single serverA:A1" || fail "volume create"
as serverJ allocate Vol-1 >/dev/null || fail "allocate"
as serverJ mount Vol-1 >/dev/null || fail "mount"
head -c 256K /dev/urandom >"$T/data"
as serverJ write Vol-1 --input "$T/data" || fail "write before"

PROBE= PROBE_LOG=
# impersonate ADDR PORT CERTNAME: a fake server with CERTNAME's
# certificate, recording what clients send in $T/record.
impersonate() {
	dsp_probe --ca "$P/ca.crt" --cert "$P/$3.crt" --key "$P/$3.key" \
		serve "$1" "$2" "$T/record" >"$T/probe-$2-$3.log" 2>&1 &
	PROBE=$!
	PROBE_LOG="$T/probe-$2-$3.log"
	PIDS+=("$PROBE")
	wait_for 10 grep -q "^listening" "$T/probe-$2-$3.log" ||
		fail "the impersonator with $3's certificate did not start"
}
stop_impersonator() {
	kill "$PROBE" 2>/dev/null
	wait "$PROBE" 2>/dev/null
}
# nothing_sent CERTNAME: the handshake happened, not a byte followed.
nothing_sent() {
	grep -q "handshake done" "$PROBE_LOG" ||
		fail "no client completed a handshake with the impersonator: $(cat "$PROBE_LOG")"
	[ -s "$T/record" ] &&
		fail "the impersonator with $1's certificate received $(wc -c <"$T/record") bytes: $(od -c "$T/record" | head -5)"
	return 0
}

# (a) A borrower's certificate at serverA's data port.
kill_agent serverA
impersonate 127.0.2.1 "${AGENT_PORT[serverA]}" serverK
want="certificate of serverK \(role borrower\), not of agent serverA"
expect_fail "$want" as serverJ read Vol-1 --length 4096 --output "$T/back"
expect_fail "$want" as serverJ write Vol-1 --input "$T/data"
nothing_sent serverK
stop_impersonator

# (b) Another agent's certificate: the right role, the wrong name.
impersonate 127.0.2.1 "${AGENT_PORT[serverA]}" serverB
want="certificate of serverB \(role agent\), not of agent serverA"
expect_fail "$want" as serverJ read Vol-1 --length 4096 --output "$T/back"
expect_fail "$want" as serverJ write Vol-1 --input "$T/data"
nothing_sent serverB
stop_impersonator

# (c) A fake manager: a borrower's, then an agent's certificate. The
# agent still running (serverB) must not register with it either.
stop_mgr_hard
for cert in serverK:borrower serverB:agent; do
	name=${cert%%:*}
	role=${cert#*:}
	impersonate "$MGR_ADDR" "$MGR_PORT" "$name"
	want="certificate of $name \(role $role\), not of manager manager"
	expect_fail "$want" as serverJ allocate Vol-1
	expect_fail "$want" daspool-sh --manager "$MGR_ADDR:$MGR_PORT" \
		--ca "$P/ca.crt" --cert "$P/admin1.crt" --key "$P/admin1.key" \
		-c "show servers"
	nothing_sent "$name"
	stop_impersonator
done

# (d) The real daemons back: everything works, and daspool-sh holds the
# real manager to --manager-name.
start_mgr
restart_agent serverA
expect_fail "certificate of manager \(role manager\), not of manager boss" \
	daspool-sh --manager "$MGR_ADDR:$MGR_PORT" --manager-name boss \
	--ca "$P/ca.crt" --cert "$P/admin1.crt" --key "$P/admin1.key" \
	-c "show servers"
daspool-sh --manager "$MGR_ADDR:$MGR_PORT" --ca "$P/ca.crt" \
	--cert "$P/admin1.crt" --key "$P/admin1.key" -c "show servers" |
	grep -q serverA || fail "daspool-sh cannot reach the real manager"
as serverJ read Vol-1 --length 256K --output "$T/back" || fail "read after"
cmp "$T/data" "$T/back" || fail "the data changed"
head -c 128K /dev/urandom >"$T/data2"
as serverJ write Vol-1 --offset 1M --input "$T/data2" || fail "write after"
as serverJ read Vol-1 --offset 1M --length 128K --output "$T/back" ||
	fail "read back after"
cmp "$T/data2" "$T/back" || fail "written data reads back differently"
as serverJ unmount Vol-1 || fail "unmount"
as serverJ release Vol-1 || fail "release"
as serverJ allocate Vol-1 >/dev/null || fail "allocate after"
pass
