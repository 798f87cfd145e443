#!/usr/bin/env bash
# A whole daspool pool on this machine: a fresh PKI, the manager, three
# agents (serverA/B/C, each on its own 127.0.2.x with file-backed regions)
# and a borrower (serverJ) running the lending loop, with the virtual disk
# table printed after each step. Everything is removed on exit.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/integration/functions.sh"

step() {
	echo
	echo "== $*"
}

table() {
	admin "show volumes" | sed 's/^/   /'
}

# Shows each command as the admin or the borrower would type it.
shell() {
	echo "appliance# daspool-sh -c \"$*\""
	admin "$@" || fail "daspool-sh -c \"$*\" failed"
}

borrow() {
	echo "serverJ\$ daspool $*"
	as serverJ "$@" || fail "daspool $* failed"
}

step "pool CA and certificates (daspool-pki, mbedTLS)"
pki_init
for h in serverA serverB serverC; do pki_issue "$h" agent; done
pki_issue serverJ borrower
ls "$T/pki" | sed 's/^/   /'

step "manager on $MGR_ADDR; agents register their spare regions"
start_mgr
start_agent serverA 127.0.2.1 A1:64M A2:200M
start_agent serverB 127.0.2.2 B2:200M
start_agent serverC 127.0.2.3 C2:200M
admin "show servers"
admin "show regions"

step "admin builds a volume (single form)"
shell "volume create Vol-1 single serverA:A2"
shell "volume create Vol-2 single serverB:B2"
shell "volume create Vol-3 single serverC:C2"
table

borrower_setup serverJ
step "serverJ allocates Vol-1"
borrow allocate Vol-1
table

step "serverJ mounts Vol-1: mount info + signed mount ticket"
borrow mount Vol-1
table

step "serverJ writes 16 MiB straight to serverA (mutual TLS)"
head -c 16M /dev/urandom >"$T/data"
printf 'daspool-demo-marker' | dd of="$T/data" bs=1 seek=9000000 conv=notrunc status=none
borrow write Vol-1 --offset 4M --input "$T/data"
table

step "serverJ reads it back"
borrow read Vol-1 --offset 4M --length 16M --output "$T/back"
if cmp -s "$T/data" "$T/back"; then
	echo "   read back identical ($(sha "$T/back" | cut -c1-16)...)"
else
	fail "read back differs"
fi

step "serverJ searches for a marker"
borrow search Vol-1 daspool-demo-marker

step "serverJ erases 1 MiB"
borrow erase Vol-1 --offset 4M --length 1M
table

step "serverJ unmounts Vol-1 (ticket revoked at serverA)"
borrow unmount Vol-1
table

step "serverJ releases Vol-1"
borrow release Vol-1
table

step "audit trail"
admin "show audit"
echo
echo "demo complete"
