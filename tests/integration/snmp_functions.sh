# SNMP helpers for the integration tests, sourced after functions.sh: a
# real snmpd as AgentX master on its own loopback address and free UDP
# port (AgentX socket in the test dir), a real snmptrapd writing what it
# receives to a file, daspool-snmp, and the net-snmp tools with
# DASPOOL-MIB loaded, over v2c and v3 authPriv.

SNMPD_ADDR=127.0.5.1
TRAPD_ADDR=127.0.5.2
SNMPD_PORT=
TRAPD_PORT=
SNMPD_PID=
TRAPD_PID=
SUBAGENT_PID=
COMMUNITY=noc-$RANDOM
V3_USER=nocv3
V3_AUTH=auth-$RANDOM-$RANDOM
V3_PRIV=priv-$RANDOM-$RANDOM
AGENTX_SOCK="$T/snmp/agentx.sock"

command -v snmpd >/dev/null && command -v snmptrapd >/dev/null &&
	command -v snmpwalk >/dev/null || fail "net-snmp (snmpd, snmptrapd, snmp) is not installed: run scripts/install-deps.sh"
"$top/mib/fetch-base.sh" "$bin/mibs" >/dev/null || fail "cannot fetch the base MIB modules"
# The tools read only these: the base modules and DASPOOL-MIB.
export MIBDIRS="$bin/mibs/base:$top/mib"
export MIBS=DASPOOL-MIB
export SNMPCONFPATH="$T/snmp/client"
export SNMP_PERSISTENT_DIR="$T/snmp/client"

snmp_setup() {
	mkdir -p "$T/snmp/client" "$T/snmp/persist"
	SNMPD_PORT=$(free_port udp) || fail "no free UDP port"
	TRAPD_PORT=$(free_port udp) || fail "no free UDP port"
	cat >"$T/snmp/snmpd.conf" <<CONF
agentaddress udp:$SNMPD_ADDR:$SNMPD_PORT
master agentx
dontLogTCPWrappersConnects yes
agentXSocket $AGENTX_SOCK
agentXPerms 0600 0700
rocommunity $COMMUNITY 127.0.0.0/8
rwcommunity $COMMUNITY-rw 127.0.0.0/8
createUser $V3_USER SHA-256 "$V3_AUTH" AES "$V3_PRIV"
rouser $V3_USER priv
trap2sink $TRAPD_ADDR:$TRAPD_PORT $COMMUNITY
${SNMPD_EXTRA:-}
CONF
	cat >"$T/snmp/snmptrapd.conf" <<CONF
authCommunity log $COMMUNITY
format2 TRAP %#v\n
CONF
	cat >"$T/snmp/daspool-snmp.conf" <<CONF
state_dir = "$T/mgr/state"
agentx_socket = "$AGENTX_SOCK"
ping_interval = 1
poll_interval = 100
backup_catalog = "$T/catalog"
CONF
}

start_snmpd() {
	SNMP_PERSISTENT_DIR="$T/snmp/persist" \
		snmpd -f -C -c "$T/snmp/snmpd.conf" -Lf "$T/snmpd.log" \
		-p "$T/snmp/snmpd.pid" </dev/null >>"$T/snmpd.out" 2>&1 &
	SNMPD_PID=$!
	PIDS+=("$SNMPD_PID")
	wait_for 10 test -S "$AGENTX_SOCK" || fail "snmpd did not start: $(cat "$T/snmpd.log")"
}

stop_snmpd() {
	kill "$SNMPD_PID" 2>/dev/null
	wait "$SNMPD_PID" 2>/dev/null
	rm -f "$AGENTX_SOCK"
}

start_trapd() {
	snmptrapd -f -C -c "$T/snmp/snmptrapd.conf" -Lf "$T/traps.txt" \
		-p "$T/snmp/snmptrapd.pid" "udp:$TRAPD_ADDR:$TRAPD_PORT" \
		</dev/null >>"$T/snmptrapd.log" 2>&1 &
	TRAPD_PID=$!
	PIDS+=("$TRAPD_PID")
	wait_for 10 bash -c "ss -Hlun 'sport = :$TRAPD_PORT' | grep -q ." ||
		fail "snmptrapd did not start"
}

# Under the sanitizer build, with full stacks, so net-snmp's own leak at
# shutdown is matched by the suppression and nothing else is.
SUBAGENT_ENV=(env "LSAN_OPTIONS=suppressions=$top/tests/integration/lsan-netsnmp.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	"ASAN_OPTIONS=fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}")

launch_subagent() {
	"${SUBAGENT_ENV[@]}" daspool-snmp -d -f "$T/snmp/daspool-snmp.conf" >>"$T/subagent.log" 2>&1 &
	SUBAGENT_PID=$!
	PIDS+=("$SUBAGENT_PID")
}

start_subagent() {
	launch_subagent
	wait_for 10 grep -q "connected to the master agent" "$T/subagent.log" ||
		fail "daspool-snmp did not connect to snmpd"
	wait_for 10 grep -q "serving the store" "$T/subagent.log" ||
		fail "daspool-snmp did not open the store"
}

# snmp_split OPTIONS... -- OIDS...: sets OPTS and OIDS.
snmp_split() {
	OPTS=()
	OIDS=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		OPTS+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	OIDS=("$@")
}

# v2c TOOL [OPTIONS...] [-- OIDS...]: a net-snmp tool against the test
# snmpd over v2c.
v2c() {
	local tool=$1
	shift
	snmp_split "$@"
	"$tool" -v 2c -c "$COMMUNITY" -t 3 -r 1 "${OPTS[@]}" \
		"udp:$SNMPD_ADDR:$SNMPD_PORT" "${OIDS[@]}"
}

# v3 TOOL [OPTIONS...] [-- OIDS...]: the same over SNMPv3 authPriv
# (SHA-256, AES).
v3() {
	local tool=$1
	shift
	snmp_split "$@"
	"$tool" -v 3 -l authPriv -u "$V3_USER" -a SHA-256 -A "$V3_AUTH" \
		-x AES -X "$V3_PRIV" -t 3 -r 1 "${OPTS[@]}" \
		"udp:$SNMPD_ADDR:$SNMPD_PORT" "${OIDS[@]}"
}

# The brief's example pool, small: every usage form, one volume lent and
# mounted.
example_pool() {
	start_agent serverA 127.0.2.1 A2:32M
	start_agent serverB 127.0.2.2 B2:16M
	start_agent serverC 127.0.2.3 C2:16M
	start_agent serverD 127.0.2.4 D:16M
	start_agent serverE 127.0.2.5 E:16M
	start_agent serverX 127.0.2.24 X2:24M
	borrower_setup serverJ
	admin "volume create Vol-1 single serverA:A2" >/dev/null &&
		admin "volume create Vol-2 concat serverB:B2 serverC:C2" >/dev/null &&
		admin "volume create Vol-3 mirror serverD:D serverE:E" >/dev/null &&
		admin "volume split serverX:X2 Vol-4:8M Vol-5:rest" >/dev/null ||
		fail "example pool"
}
