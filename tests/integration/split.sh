#!/usr/bin/env bash
# split: one region cut into several volumes, each lent separately. The
# pieces are back to back in the region; each borrower reaches only its
# own piece, through the client and with hand-crafted requests that carry
# its ticket (the agent refuses them with E_RANGE and the neighbour's
# bytes do not change). A region that is cut up cannot be cut or used
# again, and a split that does not fit creates nothing.
. "$(dirname "$0")/functions.sh"

MiB=$((1 << 20))
P4=$((4 * MiB))		# Vol-4: region offsets [0, 4M)
P5=$((8 * MiB))		# Vol-5: region offsets [4M, 12M)
start_mgr
start_agent serverX 127.0.6.24 X2:12M X3:4M
start_agent serverY 127.0.6.25 Y2:4M
borrower_setup serverJ
borrower_setup serverK

admin "volume split serverX:X2 Vol-4:4M Vol-5:rest" || fail "split X2"
admin "show volumes" >"$T/table"
grep -w Vol-4 "$T/table" | grep -Eq "4M|4194304" || fail "Vol-4 is not 4M: $(cat "$T/table")"
grep -w Vol-5 "$T/table" | grep -Eq "8M|8388608" || fail "Vol-5 is not the rest (8M): $(cat "$T/table")"
grep -w Vol-4 "$T/table" | grep -qw split || fail "Vol-4 not shown as split: $(cat "$T/table")"

# The region is used up: no second split, no other volume on it.
expect_fail "used|full|overlap|belongs|no space|0 bytes free" \
	admin "volume split serverX:X2 Vol-6:1M"
expect_fail "used|overlap|belongs|split|in use" \
	admin "volume create Vol-7 single serverX:X2"
expect_fail "used|overlap|belongs|split|in use" \
	admin "volume create Vol-7 concat serverX:X3 serverX:X2"
expect_fail "used|overlap|belongs|split|in use" \
	admin "volume create Vol-7 mirror serverY:Y2 serverX:X2"
expect_fail "exist" admin "volume split serverX:X3 Vol-4:1M"
expect_fail "rest" admin "volume split serverX:X3 Vol-8:1M Vol-9:rest Vol-10:rest"
# A split larger than its region is refused whole: no piece is created.
expect_fail "larger|exceed|too|only|fit" \
	admin "volume split serverX:X3 Vol-8:3M Vol-9:2M"
admin "show volumes" | grep -Eq "Vol-8|Vol-9" && fail "a refused split left a piece: $(admin "show volumes")"
admin "volume split serverX:X3 Vol-8:3M Vol-9:rest" ||
	fail "the refused split left X3 in use"

# Lent separately: Vol-4 to serverJ, Vol-5 to serverK.
as serverJ allocate Vol-4 >/dev/null || fail "allocate Vol-4"
as serverK allocate Vol-5 >/dev/null || fail "allocate Vol-5"
expect_fail "lent|busy|serverJ" as serverK allocate Vol-4
as serverJ mount Vol-4 >/dev/null || fail "mount Vol-4"
as serverK mount Vol-5 >"$T/mount5" || fail "mount Vol-5"
grep -Eq "4M|4194304" "$T/mount5" || fail "Vol-5's extent does not start at 4M: $(cat "$T/mount5")"

head -c $P4 /dev/urandom >"$T/d4"
head -c $P5 /dev/urandom >"$T/d5"
as serverJ write Vol-4 --input "$T/d4" || fail "fill Vol-4"
as serverK write Vol-5 --input "$T/d5" || fail "fill Vol-5"
as serverJ read Vol-4 --output "$T/b4" || fail "read Vol-4"
as serverK read Vol-5 --output "$T/b5" || fail "read Vol-5"
cmp "$T/d4" "$T/b4" || fail "Vol-4 reads back different"
cmp "$T/d5" "$T/b5" || fail "Vol-5 reads back different"
X2="$T/disks/serverX-X2"
cmp -n $P4 "$T/d4" "$X2" || fail "Vol-4 is not at X2's offset 0"
cmp "$T/d5" <(tail -c +$((P4 + 1)) "$X2") || fail "Vol-5 is not at X2's offset 4M"
# Each volume's offset 0 is its piece's start: search says volume offsets.
printf 'split-needle-5c0d' >"$T/needle"
as serverK write Vol-5 --offset 12345 --input "$T/needle" || fail "needle in Vol-5"
[ "$(as serverK search Vol-5 split-needle-5c0d)" = 12345 ] ||
	fail "search in Vol-5 did not say 12345: $(as serverK search Vol-5 split-needle-5c0d)"
[ -z "$(as serverJ search Vol-4 split-needle-5c0d)" ] ||
	fail "search in Vol-4 found Vol-5's needle"

vol5() { tail -c +$((P4 + 1)) "$X2" | sha256sum | cut -d' ' -f1; }
before=$(vol5)

# Through the client: Vol-4 ends at 4M, Vol-5 is not serverJ's.
expect_fail "past the end|out of range|outside" \
	as serverJ read Vol-4 --offset 4M --length 1
expect_fail "past the end|out of range|outside" \
	as serverJ read Vol-4 --offset $((P4 - 512)) --length 1K
head -c 1K /dev/urandom >"$T/1k"
expect_fail "past the end|out of range|outside" \
	as serverJ write Vol-4 --offset $((P4 - 512)) --input "$T/1k"
expect_fail "not lent|not mounted|mount|allocate|serverK" \
	as serverJ read Vol-5 --offset 0 --length 1
expect_fail "not lent|not mounted|mount|allocate|serverK" \
	as serverJ write Vol-5 --offset 0 --input "$T/1k"

# By hand: Vol-4's ticket, region offsets inside Vol-5's piece.
probe() {
	dsp_probe --ca "$T/pki/ca.crt" --cert "$T/pki/serverJ.crt" \
		--key "$T/pki/serverJ.key" "${AGENT_ADDR[serverX]}" \
		"${AGENT_PORT[serverX]}" data "$T/serverJ/state/Vol-4.mount" "$@"
}
[ -f "$T/serverJ/state/Vol-4.mount" ] || fail "no mount info in serverJ's state dir: $(ls "$T/serverJ/state")"
# The probe itself works: inside Vol-4 it may read and write.
out=$(probe read X2 0 4096) || fail "probe read inside Vol-4 refused: $out"
out=$(probe write X2 8192 4096) || fail "probe write inside Vol-4 refused: $out"
[ "$(dd if="$X2" bs=4096 skip=2 count=1 status=none | tr -d 'Z' | wc -c)" = 0 ] ||
	fail "the probe's write inside Vol-4 did not land"
for req in "read X2 $P4 4096" "write X2 $P4 4096" \
	"read X2 $((P4 - 2048)) 4096" "write X2 $((P4 - 2048)) 4096" \
	"write X2 $((P4 + P5 - 4096)) 4096" "read X2 $((P4 + 12345)) 17" \
	"write X2 $((P4 + P5)) 4096" "read X2 $((P4 - 1)) 2"; do
	# shellcheck disable=SC2086
	if out=$(probe $req); then
		fail "agent served '$req' on Vol-4's ticket: $out"
	fi
	echo "$out" | grep -q "E_RANGE" ||
		fail "'$req' on Vol-4's ticket not refused with E_RANGE: $out"
done
# Naming the neighbour's volume does not help: the ticket is for Vol-4.
for req in "read X2 $P4 4096 Vol-5" "write X2 $P4 4096 Vol-5"; do
	# shellcheck disable=SC2086
	if out=$(probe $req); then
		fail "agent served '$req' on Vol-4's ticket: $out"
	fi
	echo "$out" | grep -q "status E_" || fail "'$req' got no error status: $out"
done
[ "$(vol5)" = "$before" ] || fail "Vol-5's bytes changed under Vol-4's ticket"
grep -Eqi "refus|range|outside" "$T/serverX.log" || fail "agent logged no refusal"
as serverK read Vol-5 --output "$T/b5" || fail "read Vol-5 after the probes"
cmp <(dd if="$T/d5" bs=1 count=12345 status=none) <(head -c 12345 "$T/b5") ||
	fail "Vol-5's owner reads different data after the probes"

# Each piece is unmounted and released on its own.
as serverJ unmount Vol-4 || fail "unmount Vol-4"
as serverK read Vol-5 --offset 0 --length 1M --output "$T/b5" ||
	fail "Vol-5 unusable after Vol-4's unmount"
out=$(probe read X2 0 4096) && fail "Vol-4's ticket still works after unmount: $out"
as serverJ release Vol-4 || fail "release Vol-4"
as serverK allocate Vol-4 >/dev/null || fail "Vol-4 not lendable again"
as serverK unmount Vol-5 || fail "unmount Vol-5"
as serverK release Vol-5 || fail "release Vol-5"
admin "show volumes" | grep -w Vol-5 | grep -q serverK && fail "Vol-5 still lent"
pass
