#!/usr/bin/env bash
# The pool under attack, each figure beside its baseline measured in the
# same run:
#   - a borrower's allocate, mount, 4 KiB write, unmount and release, as
#     whole daspool processes: median and worst of ROUNDS (default 10),
#     quiet, then while 10,000 idle TCP connections are held against the
#     manager and against the agent and 1,000 TLS connections of one
#     certificate against the agent (tests/tools/dsp_flood)
#   - another borrower's 4 KiB reads of its own volume (2,000, one after
#     the other) with the agent idle, then during a 64 GiB search sent as
#     one request: p50 and p99 (tests/tools/dsp_latency)
# Usage: bench/hardening.sh
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/integration/functions.sh"
ROUNDS=${ROUNDS:-10}
AGENT_LOG_LEVEL=info
MGR_LOG_LEVEL=info

start_mgr
start_agent serverA 127.0.2.1 A1:16M S1:64G R1:16M
borrower_setup serverJ
borrower_setup serverK
pki_issue flooder borrower
admin "volume create Vol-1 single serverA:A1" >/dev/null || fail "create"
admin "volume create Vol-S single serverA:S1" >/dev/null || fail "create Vol-S"
admin "volume create Vol-R single serverA:R1" >/dev/null || fail "create Vol-R"
head -c 4096 /dev/urandom >"$T/4k"

# rounds LABEL: ROUNDS lending cycles, each step timed in ms.
rounds() {
	local label=$1 r op t0
	for r in $(seq 1 "$ROUNDS"); do
		for op in allocate mount write unmount release; do
			t0=$(now_ms)
			case $op in
			write) as serverJ write Vol-1 --offset 0 --input "$T/4k" ;;
			*) as serverJ "$op" Vol-1 >/dev/null ;;
			esac || fail "$op ($label)"
			echo "$label $op $(( $(now_ms) - t0 ))"
		done
	done >>"$T/steps"
}

: >"$T/steps"
rounds quiet
P="$T/pki"
APORT=${AGENT_PORT[serverA]}
secs=$(( ROUNDS * 2 + 10 ))
floods=()
dsp_flood --source 127.0.66.1 tcp "$MGR_ADDR" "$MGR_PORT" 10000 "$secs" >/dev/null &
floods+=($!)
dsp_flood --source 127.0.66.2 tcp 127.0.2.1 "$APORT" 10000 "$secs" >/dev/null &
floods+=($!)
dsp_flood --source 127.0.66.3 --ca "$P/ca.crt" --cert "$P/flooder.crt" \
	--key "$P/flooder.key" tls 127.0.2.1 "$APORT" 1000 "$secs" >/dev/null &
floods+=($!)
sleep 5
rounds flooded
wait "${floods[@]}"
awk '
	{ ms[$1, $2, ++n[$1, $2]] = $3 }
	function sorted_at(l, o, q,   i, j, k, t, a) {
		k = n[l, o]
		for (i = 1; i <= k; i++) a[i] = ms[l, o, i]
		for (i = 2; i <= k; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return a[int((k - 1) * q) + 1]
	}
	END {
		split("allocate mount write unmount release", ops, " ")
		for (i = 1; i <= 5; i++) {
			o = ops[i]
			q = sorted_at("quiet", o, 0.5)
			f = sorted_at("flooded", o, 0.5)
			printf "flood op=%s quiet_median_ms=%d flooded_median_ms=%d " \
			    "flooded/quiet=%.2f flooded_worst_ms=%d (target < 1000)\n",
			    o, q, f, q ? f / q : 0, sorted_at("flooded", o, 1)
		}
	}' "$T/steps"

# Fair agent: K reads Vol-R while J searches Vol-S.
as serverK allocate Vol-R >/dev/null && as serverK mount Vol-R >/dev/null ||
	fail "K borrows"
as serverK write Vol-R --offset 0 --input "$T/disks/serverA-A1" ||
	fail "K writes"
as serverJ allocate Vol-S >/dev/null && as serverJ mount Vol-S >/dev/null ||
	fail "J borrows"
dsp_latency -f "$T/serverK/daspool.conf" Vol-R 4096 2000 >"$T/lat.quiet" ||
	fail "quiet reads"
dsp_probe --ca "$P/ca.crt" --cert "$P/serverJ.crt" --key "$P/serverJ.key" \
	127.0.2.1 "$APORT" data "$T/serverJ/state/Vol-S.mount" \
	search S1 0 68719476736 >/dev/null 2>&1 &
searcher=$!
sleep 1
dsp_latency -f "$T/serverK/daspool.conf" Vol-R 4096 2000 >"$T/lat.search" ||
	fail "reads during the search"
kill -0 "$searcher" 2>/dev/null || fail "the search ended before the reads"
admin "volume force-release Vol-S" >/dev/null
wait "$searcher"
read -r _ _ _ qp50 _ qp99 _ _ <"$T/lat.quiet"
read -r _ _ _ sp50 _ sp99 _ _ <"$T/lat.search"
awk -v a="$qp50" -v b="$qp99" -v c="$sp50" -v d="$sp99" 'BEGIN {
	printf "fair_read_4k quiet_p50_ms=%s quiet_p99_ms=%s " \
	    "search_p50_ms=%s search_p99_ms=%s p99_ratio=%.2f (target p99 < 50)\n",
	    a, b, c, d, b ? d / b : 0 }'
