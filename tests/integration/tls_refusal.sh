#!/usr/bin/env bash
# Mutual TLS refuses: no certificate, a self-signed one, one from another
# CA, an expired one, a wrong role; plaintext to a TLS port. Malformed
# frames close that connection with a logged reason while the daemons keep
# serving others.
. "$(dirname "$0")/functions.sh"

start_mgr
start_agent serverA 127.0.2.1 A1:16M
borrower_setup serverJ
admin "volume create Vol-1 single serverA:A1" || fail "volume create"

pki_issue expiredhost borrower --not-before 20200101000000 --not-after 20210101000000
daspool-pki init --dir "$T/otherpki" >/dev/null || fail "other pki"
daspool-pki issue --dir "$T/otherpki" serverJ --role borrower >/dev/null ||
	fail "other pki issue"
P="$T/pki"

for port in "$MGR_ADDR $MGR_PORT" "127.0.2.1 ${AGENT_PORT[serverA]}"; do
	# shellcheck disable=SC2086
	set -- $port
	dsp_probe --ca "$P/ca.crt" --cert "$P/serverJ.crt" --key "$P/serverJ.key" \
		"$1" "$2" handshake >/dev/null || fail "$1: valid certificate refused"
	dsp_probe --ca "$P/ca.crt" "$1" "$2" handshake >/dev/null &&
		fail "$1: client without certificate accepted"
	dsp_probe --ca "$P/ca.crt" --cert "$T/otherpki/ca.crt" \
		--key "$T/otherpki/ca.key" "$1" "$2" handshake >/dev/null &&
		fail "$1: self-signed certificate accepted"
	dsp_probe --ca "$P/ca.crt" --cert "$T/otherpki/serverJ.crt" \
		--key "$T/otherpki/serverJ.key" "$1" "$2" handshake >/dev/null &&
		fail "$1: certificate of another CA accepted"
	dsp_probe --ca "$P/ca.crt" --cert "$P/expiredhost.crt" \
		--key "$P/expiredhost.key" "$1" "$2" handshake >/dev/null &&
		fail "$1: expired certificate accepted"
	dsp_probe "$1" "$2" plain >/dev/null || fail "$1: plaintext not refused"
	out=$(dsp_probe --ca "$P/ca.crt" --cert "$P/serverJ.crt" \
		--key "$P/serverJ.key" "$1" "$2" garbage) ||
		fail "$1: malformed frame not refused: $out"
done
grep -Eqi "expired" "$T/mgr.log" || fail "manager did not log the expired certificate"
grep -Eqi "frame|magic" "$T/mgr.log" || fail "manager did not log the malformed frame"
grep -Eqi "frame|magic" "$T/serverA.log" || fail "agent did not log the malformed frame"

# Wrong roles: a borrower may not register regions; an agent may not
# allocate.
out=$(dsp_probe --ca "$P/ca.crt" --cert "$P/serverJ.crt" --key "$P/serverJ.key" \
	"$MGR_ADDR" "$MGR_PORT" register) && fail "borrower registered regions"
echo "$out" | grep -q "E_ROLE" || fail "wrong-role refusal unclear: $out"
cp "$T/serverJ/daspool.conf" "$T/agentas.conf"
sed -i "s|serverJ.crt|serverA.crt|; s|serverJ.key|serverA.key|" "$T/agentas.conf"
expect_fail "role" daspool -f "$T/agentas.conf" allocate Vol-1

# Admin commands over TLS need an admin certificate.
pki_issue admin1 admin
daspool-sh --manager "$MGR_ADDR:$MGR_PORT" --ca "$P/ca.crt" --cert "$P/admin1.crt" \
	--key "$P/admin1.key" -c "show servers" | grep -q serverA ||
	fail "admin over TLS cannot list servers"
expect_fail "role" daspool-sh --manager "$MGR_ADDR:$MGR_PORT" --ca "$P/ca.crt" \
	--cert "$P/serverJ.crt" --key "$P/serverJ.key" -c "show servers"

# The daemons still serve a good borrower after all that.
as serverJ allocate Vol-1 >/dev/null || fail "allocate after probes"
as serverJ mount Vol-1 >/dev/null || fail "mount after probes"
echo hello >"$T/hello"
as serverJ write Vol-1 --offset 0 --input "$T/hello" || fail "write after probes"
pass
