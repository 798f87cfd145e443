#!/usr/bin/env bash
# Certificate revocation. daspool-pki revoke writes a CRL that openssl
# reads and verifies. The manager refuses a revoked borrower, agent or
# admin; a borrower refuses a revoked agent; daspool-sh and the borrower
# refuse a revoked manager; each refusal names the certificate. A changed
# CRL is picked up without a restart, when the file changes and on
# SIGHUP; a bad or missing new one keeps the list in use; a CRL of
# another CA stops a daemon at start. Hosts not revoked keep working.
. "$(dirname "$0")/functions.sh"
command -v openssl >/dev/null || skip "openssl is not installed"
P="$T/pki"

# The manager and the agents look at the file at most once a second.
settle() {
	sleep 1.2
}

serial_of() {
	daspool-pki show "$P/$1.crt" | awk '/^serial:/ { print $2 }'
}

# refused_in LOG NAME: LOG has the sentence naming NAME's revocation.
refused_in() {
	grep -Fq "certificate $2 (serial $(serial_of "$2")) is revoked (CRL $P/crl.pem)" "$1"
}

# sh_tls NAME [more daspool-sh flags]: daspool-sh over TLS as admin NAME.
sh_tls() {
	local name=$1
	shift
	daspool-sh --manager "$MGR_ADDR:$MGR_PORT" --ca "$P/ca.crt" \
		--cert "$P/$name.crt" --key "$P/$name.key" "$@"
}

hup() {
	local pid=$1 log=$2 n
	n=$(grep -c "SIGHUP: reading the CRL $P/crl.pem again" "$log")
	kill -HUP "$pid"
	wait_for 5 test "$(grep -c "SIGHUP: reading the CRL $P/crl.pem again" "$log")" -gt "$n" ||
		fail "no SIGHUP line in $log"
	sleep 0.2
}

# --- The file: init's empty CRL, as openssl reads it.
pki_init
openssl crl -in "$P/crl.pem" -noout -text | grep -q "No Revoked Certificates" ||
	fail "init's CRL is not an empty CRL"
openssl crl -in "$P/crl.pem" -CAfile "$P/ca.crt" -noout 2>&1 | grep -q "verify OK" ||
	fail "init's CRL does not verify with the CA"

start_mgr
start_agent serverA 127.0.2.1 A1:16M
start_agent serverB 127.0.2.2 B1:16M B2:16M
for b in serverJ serverK serverL; do
	borrower_setup "$b"
done
pki_issue admin1 admin
pki_issue admin2 admin
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create Vol-1"
admin "volume create Vol-2 single serverB:B1" >/dev/null || fail "create Vol-2"
admin "volume create Vol-3 single serverB:B2" >/dev/null || fail "create Vol-3"
echo hello >"$T/hello"
as serverK allocate Vol-1 >/dev/null || fail "serverK allocate Vol-1"
as serverK mount Vol-1 >/dev/null || fail "serverK mount Vol-1"
as serverK write Vol-1 --input "$T/hello" || fail "serverK write Vol-1"
as serverK allocate Vol-3 >/dev/null || fail "serverK allocate Vol-3"
as serverK mount Vol-3 >/dev/null || fail "serverK mount Vol-3"
sh_tls admin1 --crl "$P/crl.pem" -c "show servers" | grep -q serverA ||
	fail "admin1 over TLS before any revocation"

# --- A borrower: refused by the manager, which names it.
out=$(daspool-pki revoke --dir "$P" serverJ) || fail "revoke serverJ: $out"
echo "$out" | grep -q "^revoked $P/serverJ.crt (serial $(serial_of serverJ)); $P/crl.pem lists 1 certificate$" ||
	fail "revoke says: $out"
openssl crl -in "$P/crl.pem" -noout -text >"$T/crl.txt" || fail "openssl cannot read the CRL"
grep -q "Serial Number: $(serial_of serverJ | tr -d :)" "$T/crl.txt" ||
	fail "openssl does not list serverJ's serial: $(cat "$T/crl.txt")"
grep -q "Version 2" "$T/crl.txt" || fail "not a v2 CRL"
openssl crl -in "$P/crl.pem" -CAfile "$P/ca.crt" -noout 2>&1 | grep -q "verify OK" ||
	fail "openssl does not verify the CRL with the CA"
daspool-pki show "$P/serverJ.crt" | grep -q "^status: *revoked$" || fail "show: not revoked"
daspool-pki show "$P/serverK.crt" | grep -q "^status: *valid$" || fail "show: serverK not valid"
# Again: said so, nothing changed.
cp "$P/crl.pem" "$T/crl.before"
out=$(daspool-pki revoke --dir "$P" serverJ) || fail "second revoke of serverJ failed"
echo "$out" | grep -q "revoked already" || fail "second revoke says: $out"
cmp -s "$P/crl.pem" "$T/crl.before" || fail "second revoke changed the CRL"
expect_fail "no certificate .*nobody.crt" daspool-pki revoke --dir "$P" nobody
settle
expect_fail "handshake refused by peer: our certificate is revoked" \
	as serverJ allocate Vol-2
refused_in "$T/mgr.log" serverJ || fail "manager log does not name serverJ's revocation"
as serverL allocate Vol-2 >/dev/null || fail "serverL refused after serverJ's revocation"

# --- An agent: a borrower refuses it, and it cannot register again.
daspool-pki revoke --dir "$P" serverA >/dev/null || fail "revoke serverA"
settle
expect_fail "agent serverA at .*: certificate serverA \(serial $(serial_of serverA)\) is revoked" \
	as serverK read Vol-1 --length 6
grep -q "our certificate is revoked" "$T/serverA.log" ||
	fail "serverA's log does not say a borrower refused it"
kill_agent serverA
daspool-agent -d -v -f "$T/serverA/daspool-agent.conf" >>"$T/serverA.log" 2>&1 &
AGENT_PID[serverA]=$!
PIDS+=("${AGENT_PID[serverA]}")
wait_for 10 refused_in "$T/mgr.log" serverA ||
	fail "manager log does not name serverA's revocation"
wait_for 10 grep -q "cannot register with manager .*: handshake refused by peer: our certificate is revoked" "$T/serverA.log" ||
	fail "serverA's log does not say why it cannot register"
server_is_up serverA && fail "revoked serverA is up"
server_is_up serverB || fail "serverB is not up"
as serverL mount Vol-2 >/dev/null || fail "serverL mount Vol-2"
as serverL write Vol-2 --input "$T/hello" || fail "serverL write Vol-2"
[ "$(as serverL read Vol-2 --length 6)" = hello ] || fail "serverL read Vol-2"

# --- An admin: refused over TLS; another admin is not.
daspool-pki revoke --dir "$P" admin1 >/dev/null || fail "revoke admin1"
settle
expect_fail "cannot (reach|talk to) the manager.*our certificate is revoked" \
	sh_tls admin1 -c "show servers"
refused_in "$T/mgr.log" admin1 || fail "manager log does not name admin1's revocation"
sh_tls admin2 --crl "$P/crl.pem" -c "show servers" | grep -q serverB ||
	fail "admin2 refused"
admin "show servers" | grep -q serverB || fail "admin socket refused"

# --- SIGHUP reads it at once, in the manager and in an agent.
daspool-pki revoke --dir "$P" serverK >/dev/null || fail "revoke serverK"
hup "$MGR_PID" "$T/mgr.log"
hup "${AGENT_PID[serverB]}" "$T/serverB.log"
grep -q "TLS server: CRL $P/crl.pem reloaded: 4 certificates revoked, CRL number 5" "$T/mgr.log" ||
	fail "manager did not read the CRL on SIGHUP"
grep -q "TLS server: CRL $P/crl.pem reloaded: 4 certificates revoked" "$T/serverB.log" ||
	fail "serverB did not read the CRL on SIGHUP"
expect_fail "our certificate is revoked" as serverK allocate Vol-2
expect_fail "agent serverB .*our certificate is revoked" \
	as serverK read Vol-3 --length 6
refused_in "$T/serverB.log" serverK || fail "serverB's log does not name serverK's revocation"
[ "$(as serverL read Vol-2 --length 6)" = hello ] || fail "serverL after SIGHUP"

# --- A bad, missing or foreign CRL keeps the list in use.
mv "$P/crl.pem" "$T/crl.good"
daspool-pki init --dir "$T/otherpki" >/dev/null || fail "other pki"
for bad in garbage missing foreign; do
	case $bad in
	garbage) echo "not a CRL" >"$P/crl.pem"; why="is not a readable CRL" ;;
	missing) rm -f "$P/crl.pem"; why="No such file or directory" ;;
	foreign) cp "$T/otherpki/crl.pem" "$P/crl.pem"; why="signature does not verify" ;;
	esac
	hup "$MGR_PID" "$T/mgr.log"
	grep "TLS server: CRL $P/crl.pem" "$T/mgr.log" | tail -n 1 |
		grep -q "$why.*; keeping the list loaded before (4 certificates revoked" ||
		fail "$bad CRL: manager log does not say it keeps the list"
	expect_fail "our certificate is revoked" \
		as serverK --crl "$T/crl.good" allocate Vol-2
	[ "$(as serverL --crl "$T/crl.good" read Vol-2 --length 6)" = hello ] ||
		fail "serverL with a $bad CRL at the daemons"
	# A client starting with it says why it cannot.
	expect_fail "$why" as serverL read Vol-2 --length 6
done
# ... and a daemon does not start with one of another CA.
sed "s|^crl = .*|crl = \"$T/otherpki/crl.pem\"|" "$T/mgr/daspool-mgr.conf" >"$T/badmgr.conf"
expect_fail "CRL $T/otherpki/crl.pem: signature does not verify" \
	daspool-mgr -d -f "$T/badmgr.conf"
sed "s|^crl = .*|crl = \"$T/otherpki/crl.pem\"|; s|^state_dir = .*|state_dir = \"$T/badagent\"|" \
	"$T/serverB/daspool-agent.conf" >"$T/badagent.conf"
expect_fail "CRL $T/otherpki/crl.pem: signature does not verify" \
	daspool-agent -d -f "$T/badagent.conf"
mv "$T/crl.good" "$P/crl.pem"

# --- The manager itself: daspool-sh with --crl and the borrower refuse it.
daspool-pki revoke --dir "$P" manager >/dev/null || fail "revoke manager"
expect_fail "certificate manager \(serial $(serial_of manager)\) is revoked" \
	sh_tls admin2 --crl "$P/crl.pem" -c "show servers"
expect_fail "cannot (reach|talk to) the manager.*certificate manager .* is revoked" \
	as serverL release Vol-1
# Without a CRL daspool-sh cannot know.
sh_tls admin2 -c "show servers" | grep -q serverB || fail "admin2 without --crl"
pass
