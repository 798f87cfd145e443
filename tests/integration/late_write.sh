#!/usr/bin/env bash
# No write lands late. A write stalls on a slow disk; the borrower times
# out, reconnects and sends it again, then writes something else at the
# same offset. The stalled copy must not land after that. The same when
# the first writer is killed while its write stalls and another process
# of the borrower writes the offset.
. "$(dirname "$0")/functions.sh"

AGENT_SLOW[serverA]=1
start_mgr
start_agent serverA 127.0.2.1 A1:16M
CLIENT_TIMEOUT=2 borrower_setup serverJ
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "volume create"
as serverJ allocate Vol-1 >/dev/null || fail "allocate"
as serverJ mount Vol-1 >/dev/null || fail "mount"
head -c 1M /dev/urandom >"$T/a"
head -c 1M /dev/urandom >"$T/b"
head -c 1M /dev/urandom >"$T/c"

# 1. Same writer: the first write of A stalls 3 s, longer than the 2 s
# timeout; the client resends it on a new connection of the same stream.
slow serverA w 3000 1 serverA-A1
as serverJ write Vol-1 --offset 0 --input "$T/a" || fail "write A"
as serverJ write Vol-1 --offset 0 --input "$T/b" || fail "write B"
grep -q "waiting for a request of an earlier connection of the same stream" \
	"$T/serverA.log" || fail "the agent did not hold the new connection back"
sleep 3
as serverJ read Vol-1 --offset 0 --length 1M --output "$T/back" || fail "read"
cmp -s "$T/b" "$T/back" || fail "the stalled write of A landed after B"

# 2. The first writer is killed while its write stalls; another process
# (its own stream) writes the same offset with a longer timeout.
slow serverA w 3000 1 serverA-A1
# Not through as(): $! must be the daspool process itself.
daspool -f "$T/serverJ/daspool.conf" write Vol-1 --offset 0 --input "$T/a" \
	2>/dev/null &
writer=$!
sleep 0.7
kill -9 "$writer"
wait "$writer" 2>/dev/null
sed -i 's/^timeout = .*/timeout = 10/' "$T/serverJ/daspool.conf"
as serverJ write Vol-1 --offset 0 --input "$T/c" || fail "write C"
grep -q "waiting for a request of a closed connection of serverJ" \
	"$T/serverA.log" || fail "the agent did not wait for the killed writer's request"
sleep 3
as serverJ read Vol-1 --offset 0 --length 1M --output "$T/back" || fail "read 2"
cmp -s "$T/c" "$T/back" || fail "the killed writer's stalled write landed after C"
slow serverA off
pass
