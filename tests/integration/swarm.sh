#!/usr/bin/env bash
# A swarm of 200 lending servers in one process (tests/tools/dsp_swarm:
# real agents, each with its own certificate, loopback address, state
# and sparse regions) against a real manager: all register and are up,
# at the addresses of the swarm's scheme; volumes single, concat and a
# 32-piece split on swarm servers; a real borrower writes and reads back
# through them and the bytes land in the swarm's region files, which
# stay sparse; a force-release is acknowledged by the swarm server (no
# fence left, the old ticket refused); when the swarm stops, the
# manager marks every server down.
. "$(dirname "$0")/functions.sh"

N=200
up_rows='^swarm[0-9]{4}[[:space:]].*[[:space:]]up([[:space:]]|$)'
MGR_LOG_LEVEL=info
start_mgr
# From .101, so that the last 50 servers carry into 127.20.1.x.
swarm_start $N "R0:64M,R1:64M,R2:64M,R3:64M" --first-address 127.20.0.101 -v

admin "show servers" >"$T/servers"
up=$(grep -Ec "$up_rows" "$T/servers")
[ "$up" -eq $N ] || fail "$up of $N servers up: $(grep -v ' up' "$T/servers" | head -5)"
# Heartbeats every second are heard in memory: last-seen is fresh for
# every server, though the store writes it only every 10 s.
sleep 3
stale=$(admin "show servers" | grep -E "^swarm" | grep -Ev " [0-4]s ago$")
[ -z "$stale" ] || fail "servers not heard lately: $(echo "$stale" | head -3)"
for at in swarm0000=127.20.0.101 swarm0149=127.20.0.250 swarm0150=127.20.1.1 \
    swarm0199=127.20.1.50; do
	grep -Eq "^${at%=*}[[:space:]]+${at#*=}:$SWARM_PORT[[:space:]]" "$T/servers" ||
		fail "${at%=*} is not at ${at#*=}:$SWARM_PORT: $(grep "^${at%=*}" "$T/servers")"
done
n=$(admin "show regions" | grep -c "^swarm")
[ "$n" -eq $((N * 4)) ] || fail "$n regions shown, not $((N * 4))"

admin "volume create Vol-1 single swarm0007:R0" >/dev/null || fail "create Vol-1"
admin "volume create Vol-2 concat swarm0100:R1 swarm0160:R1" >/dev/null ||
	fail "create Vol-2"
pieces=()
for p in $(seq 0 31); do pieces+=("P$p:1M"); done
admin "volume split swarm0199:R3 ${pieces[*]}" >/dev/null || fail "split swarm0199:R3"

borrower_setup hostJ
# cycle VOLUME OFFSET FILE: a whole lending cycle, the data read back.
cycle() {
	as hostJ allocate "$1" >/dev/null || fail "allocate $1"
	as hostJ mount "$1" >/dev/null || fail "mount $1"
	as hostJ write "$1" --offset "$2" --input "$3" || fail "write $1"
	as hostJ read "$1" --offset "$2" --length "$(stat -c %s "$3")" \
		--output "$T/back" || fail "read $1"
	cmp -s "$3" "$T/back" || fail "$1 read back other bytes"
	as hostJ unmount "$1" >/dev/null || fail "unmount $1"
	as hostJ release "$1" >/dev/null || fail "release $1"
}
head -c 1M /dev/urandom >"$T/data"
cycle Vol-1 5M "$T/data"
cmp -s "$T/data" <(tail -c +$((5 * 1048576 + 1)) "$T/swarm/swarm0007/R0" | head -c 1M) ||
	fail "the write is not at 5M in swarm0007's region file"
kib=$(du -k "$T/swarm/swarm0007/R0" | cut -f1)
[ "$kib" -lt 8192 ] || fail "swarm0007's 64M region uses $kib KiB: not sparse"
# Across the seam of the two servers.
cycle Vol-2 $((64 * 1048576 - 512 * 1024)) "$T/data"
cycle P31 0 "$T/data"

# A force-release while mounted: the lender acknowledges the new
# generation and the borrower's old ticket is refused.
as hostJ allocate Vol-1 >/dev/null && as hostJ mount Vol-1 >/dev/null ||
	fail "lend Vol-1 again"
revoked="swarm0007: info: volume Vol-1 revoked below generation"
before=$(grep -c "$revoked" "$T/swarm.log")
admin "volume force-release Vol-1" | grep -q "revoked at every lender" ||
	fail "force-release of Vol-1 not acknowledged: $(admin "show volume Vol-1")"
[ "$(grep -c "$revoked" "$T/swarm.log")" -gt "$before" ] ||
	fail "swarm0007 logged no revocation: $(grep swarm0007 "$T/swarm.log" | tail -3)"
admin "show volume Vol-1" | grep -q "^fence " && fail "Vol-1 left fenced"
expect_fail "revoked|generation|stale|lent" \
	as hostJ read Vol-1 --offset 0 --length 4K --output "$T/back"

grep -E ": (error|warning): " "$T/swarm.log" | grep -v "refused" | head -3 |
	grep . && fail "the swarm logged trouble"
kill -TERM "$SWARM_PID"
wait "$SWARM_PID" || fail "the swarm exited with $? on SIGTERM"
wait_for 15 sh -c "! daspool-sh -s '$ADMIN_SOCK' -c 'show servers' | grep -Eq '$up_rows'" ||
	fail "servers still up after the swarm stopped: $(admin "show servers" | grep -Ec "$up_rows")"
down=$(admin "show servers" | grep -Ec "^swarm[0-9]{4}[[:space:]].*[[:space:]]down([[:space:]]|$)")
[ "$down" -eq $N ] || fail "$down of $N servers down"
pass
