#!/usr/bin/env bash
# An export over TLS (NBD_OPT_STARTTLS), with qemu's NBD client and
# GnuTLS as the far end: a borrower certificate of the pool reads and
# writes, and qemu checks the export's certificate names the borrower
# that serves it; a plaintext client, a certificate of another role and
# one of another CA are refused, and the export goes on serving.
. "$(dirname "$0")/functions.sh"
for p in qemu-img qemu-io nbdinfo; do
	command -v "$p" >/dev/null || fail "$p is not installed: run scripts/install-deps.sh"
done

start_mgr
start_agent serverB 127.0.2.2 B2:16M
admin "volume create Vol-2 single serverB:B2" >/dev/null || fail "create Vol-2"
borrower_setup serverJ
as serverJ allocate Vol-2 >/dev/null && as serverJ mount Vol-2 >/dev/null ||
	fail "mount Vol-2"
(exec daspool -v -f "$T/serverJ/daspool.conf" nbd Vol-2 --listen 127.0.3.1:0 --tls) \
	>"$T/export.out" 2>"$T/export.log" &
PIDS+=("$!")
wait_for 10 grep -q "exported at" "$T/export.out" ||
	fail "the export did not start: $(cat "$T/export.log")"
uri=$(sed -n 's/.* exported at //p' "$T/export.out")
case "$uri" in nbds://127.0.3.1:[0-9]*/) ;; *) fail "URI: $uri" ;; esac
port=${uri##*:}
port=${port%/}

# creds DIR NAME: qemu's x509 directory for the certificate NAME.
creds() {
	mkdir -p "$1"
	cp "$T/pki/ca.crt" "$1/ca-cert.pem"
	cp "$T/pki/$2.crt" "$1/client-cert.pem"
	cp "$T/pki/$2.key" "$1/client-key.pem"
}
# qemu_opts CREDS HOSTNAME: the image options of the export over TLS.
qemu_opts() {
	echo "driver=nbd,server.type=inet,server.host=127.0.3.1,server.port=$port,export=Vol-2,tls-creds=tls0,tls-hostname=$2"
}
pki_issue serverK borrower
creds "$T/k" serverK
obj="tls-creds-x509,id=tls0,dir=$T/k,endpoint=client"

out=$(qemu-img info --object "$obj" --image-opts "$(qemu_opts "$T/k" serverJ)" 2>&1) ||
	fail "qemu-img info over TLS: $out"
echo "$out" | grep -q "virtual size: 16 MiB (16777216 bytes)" || fail "qemu-img info: $out"
out=$(qemu-io --object "$obj" --image-opts "$(qemu_opts "$T/k" serverJ)" \
    -c "write -P 0x5a 4k 64k" -c "read -P 0x5a 4k 64k" -c "read -P 0 0 4k" 2>&1) ||
	fail "qemu-io over TLS: $out"
echo "$out" | grep -q "Pattern verification failed" && fail "qemu-io over TLS: $out"
as serverJ read Vol-2 --offset 4096 --length 65536 |
	cmp -s - <(head -c 65536 /dev/zero | tr '\0' 'Z') ||
	fail "the bytes written over TLS are not all 0x5a ('Z') on the volume"

# qemu itself refuses an export whose certificate names another host.
out=$(qemu-img info --object "$obj" --image-opts "$(qemu_opts "$T/k" serverX)" 2>&1) &&
	fail "qemu accepted the wrong name: $out"
echo "$out" | grep -q "does not match the hostname serverX" || fail "wrong name: $out"

# Refused: plaintext, another role, another CA.
nbdinfo "nbd://127.0.3.1:$port/Vol-2" >/dev/null 2>&1 && fail "plaintext was served"
pki_issue serverQ agent
creds "$T/q" serverQ
out=$(qemu-img info --object "tls-creds-x509,id=tls0,dir=$T/q,endpoint=client" \
    --image-opts "$(qemu_opts "$T/q" serverJ)" 2>&1) && fail "an agent certificate was served: $out"
grep -q "certificate serverQ has the role agent: an export serves borrowers" "$T/export.log" ||
	fail "no log of the agent certificate: $(cat "$T/export.log")"
mkdir -p "$T/other"
daspool-pki init --dir "$T/other" >/dev/null 2>&1 &&
	daspool-pki issue --dir "$T/other" serverK --role borrower >/dev/null 2>&1 ||
	fail "a second CA"
mkdir -p "$T/o"
cp "$T/pki/ca.crt" "$T/o/ca-cert.pem"
cp "$T/other/serverK.crt" "$T/o/client-cert.pem"
cp "$T/other/serverK.key" "$T/o/client-key.pem"
out=$(qemu-img info --object "tls-creds-x509,id=tls0,dir=$T/o,endpoint=client" \
    --image-opts "$(qemu_opts "$T/o" serverJ)" 2>&1) && fail "another CA's certificate was served: $out"
grep -q "handshake refused" "$T/export.log" || fail "no log of the other CA"

out=$(qemu-img info --object "$obj" --image-opts "$(qemu_opts "$T/k" serverJ)" 2>&1) ||
	fail "the export stopped serving after the refusals: $out"
pass
