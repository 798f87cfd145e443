#!/usr/bin/env bash
# An export when lenders come and go: a READ that needs a lender that
# is gone fails with EIO within the client timeout (no hang), the export
# keeps serving, and the same READ works once the lender is back; a
# degraded mirror is read and written through the export, and catches
# up when its leg returns; a volume forced off by the admin ends its
# export with a line saying so.
. "$(dirname "$0")/functions.sh"
command -v nbdcopy >/dev/null || fail "nbdcopy is not installed: run scripts/install-deps.sh"

export CLIENT_TIMEOUT=3
start_mgr
start_agent serverA 127.0.2.1 A2:32M
start_agent serverD 127.0.2.4 D:32M
start_agent serverE 127.0.2.5 E:32M
admin "volume create Vol-1 single serverA:A2" >/dev/null || fail "create Vol-1"
admin "volume create Vol-3 mirror serverD:D serverE:E" >/dev/null || fail "create Vol-3"
borrower_setup serverJ
for v in Vol-1 Vol-3; do
	as serverJ allocate "$v" >/dev/null && as serverJ mount "$v" >/dev/null ||
		fail "mount $v"
done

# export VOLUME: serves it on $T/VOLUME.sock; its pid in PID_<VOLUME>.
export_volume() {
	(exec daspool -f "$T/serverJ/daspool.conf" nbd "$1" --socket "$T/$1.sock") \
		>"$T/$1.out" 2>>"$T/$1.log" &
	PIDS+=("$!")
	eval "PID_${1//-/_}=$!"
	wait_for 10 grep -q "exported at" "$T/$1.out" ||
		fail "export of $1 did not start: $(cat "$T/$1.log")"
}
export_volume Vol-1
export_volume Vol-3

out=$(nbd_raw "$T/Vol-1.sock" read Vol-1 4096 512)
[ "$out" = "error 0
data 512
closed" ] || fail "read before the outage: $out"
kill_agent serverA
start_s=$(date +%s)
out=$(timeout 30 nbd_raw "$T/Vol-1.sock" read Vol-1 4096 512)
took=$(($(date +%s) - start_s))
[ "$out" = "error 5
closed" ] || fail "read with its lender gone: $out"
[ "$took" -le $((CLIENT_TIMEOUT * 3)) ] || fail "the EIO took $took s"
grep -q "READ at 4096 (+512): .*(error 5)" "$T/Vol-1.log" ||
	fail "no log of the failed read: $(cat "$T/Vol-1.log")"
kill -0 "$PID_Vol_1" || fail "the export ended with its lender"
restart_agent serverA
out=$(nbd_raw "$T/Vol-1.sock" read Vol-1 4096 512)
[ "$out" = "error 0
data 512
closed" ] || fail "read after the lender came back: $out"

# The mirror with a leg down: written and read back through the export.
uri="nbd+unix:///Vol-3?socket=$T/Vol-3.sock"
kill_agent serverE
head -c 8M /dev/urandom >"$T/m.bin"
nbdcopy "$T/m.bin" "$uri" || fail "write to the degraded mirror"
nbdcopy "$uri" "$T/m.out" || fail "read of the degraded mirror"
cmp -s -n 8388608 "$T/m.bin" "$T/m.out" || fail "the degraded mirror read back other bytes"
admin "show volumes" | grep -q "degraded" || fail "Vol-3 is not degraded"
restart_agent serverE
# The export's handles take the leg back in sync by themselves.
nbdcopy "$uri" "$T/m.out" || fail "read after the leg came back"
wait_for 30 sh -c "daspool-sh -s '$ADMIN_SOCK' -c 'show volumes' | grep -E ' Vol-3 .* ok '" ||
	fail "Vol-3 did not come back in sync: $(admin "show volumes")"

# Forced off by the admin: the export ends, saying why.
admin "volume force-unmount Vol-1" >/dev/null || fail "force-unmount"
nbd_raw "$T/Vol-1.sock" read Vol-1 0 512 >/dev/null 2>&1
wait_for 10 sh -c "! kill -0 $PID_Vol_1 2>/dev/null" || fail "the export outlived its forced unmount"
wait "$PID_Vol_1"
[ $? = 1 ] || fail "an export ended by a forced unmount exits 1"
grep -q "the export ended: the volume is no longer mounted here" "$T/Vol-1.log" ||
	fail "no line on the end of the export: $(cat "$T/Vol-1.log")"
pass
