# Shared helpers for the integration tests: each test sources this file,
# builds a pool on loopback (each host on its own 127.0.x.y, free ports)
# under a temp dir, and everything it started is stopped on exit.
#
# Exit 77 means "skipped", with the reason printed.

set -u
: "${BUILD:=build}"
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin="$top/$BUILD"
case "$BUILD" in /*) bin="$BUILD" ;; esac
export PATH="$bin:$bin/tests/tools:$PATH"

T=$(mktemp -d "${TMPDIR:-/tmp}/daspool-test.XXXXXX")
PIDS=()
MGR_ADDR=127.0.1.1
MGR_PORT=
MGR_PID=
ADMIN_SOCK="$T/mgr/admin.sock"
declare -A AGENT_PID AGENT_ADDR AGENT_PORT AGENT_SLOW
SWARM_PID=
SWARM_PORT=

any_alive() {
	local p
	for p in "${PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && return 0
	done
	return 1
}

cleanup() {
	local rc=$? p i f
	set +u
	# A polite stop first, so sanitizer builds print their leak reports.
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for i in $(seq 1 30); do
		any_alive || break
		sleep 0.1
	done
	for p in "${PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		if grep -Eq "ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:" "$f"; then
			echo "FAIL: sanitizer report in $(basename "$f"):" >&2
			grep -E -A 12 "ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:" "$f" |
				head -n 40 >&2
			rc=1
		fi
	done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		echo "--- $f (last lines)" >&2
		tail -n 20 "$f" >&2
	done
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

pass() {
	echo "PASS: $(basename "$0" .sh)"
	exit 0
}

# free_port [udp]: a TCP (or UDP) port nothing listens on.
free_port() {
	local port i listening=-Hltn
	[ "${1:-}" = udp ] && listening=-Hlun
	for i in $(seq 1 50); do
		port=$(( (RANDOM % 30000) + 20000 ))
		if ! ss "$listening" "sport = :$port" 2>/dev/null | grep -q .; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# wait_for SECONDS CMD...: polls CMD until it succeeds.
wait_for() {
	local limit=$1 i
	shift
	for i in $(seq 1 $((limit * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

pki_init() {
	daspool-pki init --dir "$T/pki" >/dev/null || fail "pki init"
}

# crl_line: the config line naming the pool CRL, when there is one
# (daspool-pki init makes it; crl.sh revokes into it).
crl_line() {
	[ -f "$T/pki/crl.pem" ] && echo "crl = \"$T/pki/crl.pem\""
}

# pki_issue NAME ROLE [extra daspool-pki flags]
pki_issue() {
	local name=$1 role=$2
	shift 2
	daspool-pki issue --dir "$T/pki" "$name" --role "$role" "$@" >/dev/null ||
		fail "pki issue $name"
}

# MGR_CONF_EXTRA: more lines for the manager's config.
write_mgr_conf() {
	mkdir -p "$T/mgr"
	cat >"$T/mgr/daspool-mgr.conf" <<CONF
listen_address = "$MGR_ADDR"
listen_port = $MGR_PORT
state_dir = "$T/mgr/state"
ca = "$T/pki/ca.crt"
cert = "$T/pki/manager.crt"
key = "$T/pki/manager.key"
$(crl_line)
admin_socket = "$ADMIN_SOCK"
ticket_lifetime = ${TICKET_LIFETIME:-300}
heartbeat_timeout = ${HEARTBEAT_TIMEOUT:-6}
log_level = "${MGR_LOG_LEVEL:-debug}"
${MGR_CONF_EXTRA:-}
CONF
}

start_mgr() {
	[ -n "$MGR_PORT" ] || MGR_PORT=$(free_port)
	[ -f "$T/pki/ca.crt" ] || pki_init
	write_mgr_conf
	daspool-mgr -d $([ "${MGR_LOG_LEVEL:-debug}" = debug ] && echo -v) \
		-f "$T/mgr/daspool-mgr.conf" >>"$T/mgr.log" 2>&1 &
	MGR_PID=$!
	PIDS+=("$MGR_PID")
	wait_for 10 admin "show servers" || fail "manager did not start"
}

stop_mgr_hard() {
	kill -9 "$MGR_PID" 2>/dev/null
	wait "$MGR_PID" 2>/dev/null
}

admin() {
	daspool-sh -s "$ADMIN_SOCK" -c "$*"
}

# start_agent NAME ADDR REGION:SIZE... : file-backed regions under $T/disks
start_agent() {
	local name=$1 addr=$2 port
	shift 2
	[ -f "$T/pki/$name.crt" ] || pki_issue "$name" agent
	port=${AGENT_PORT[$name]:-$(free_port)}
	AGENT_ADDR[$name]=$addr
	AGENT_PORT[$name]=$port
	mkdir -p "$T/$name" "$T/disks"
	{
		cat <<CONF
server = "$name"
listen_address = "$addr"
listen_port = $port
manager_address = "$MGR_ADDR"
manager_port = $MGR_PORT
ca = "$T/pki/ca.crt"
cert = "$T/pki/$name.crt"
key = "$T/pki/$name.key"
manager_cert = "$T/pki/manager.crt"
$(crl_line)
state_dir = "$T/$name/state"
heartbeat_interval = 1
log_level = "${AGENT_LOG_LEVEL:-debug}"
${AGENT_CIPHERS:+ciphers = \"$AGENT_CIPHERS\"}
CONF
		local r rname rsize
		for r in "$@"; do
			rname=${r%%:*}
			rsize=${r#*:}
			[ -f "$T/disks/$name-$rname" ] ||
				truncate -s "$rsize" "$T/disks/$name-$rname"
			printf 'region "%s" {\n\tpath = "%s"\n}\n' \
				"$rname" "$T/disks/$name-$rname"
		done
	} >"$T/$name/daspool-agent.conf"
	restart_agent "$name"
}

restart_agent() {
	launch_agent "$1"
	wait_for 10 server_is_up "$1" || fail "agent $1 did not register"
}

# launch_agent NAME: starts the agent without waiting for it to register.
launch_agent() {
	local name=$1 pre=()
	# A slow disk (tests/preload/slowio.c), steered by slow().
	[ -n "${AGENT_SLOW[$name]:-}" ] &&
		pre=(env LD_PRELOAD="$bin/tests/preload/slowio.so"
		    SLOWIO_CTL="$T/$name/slowio"
		    ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}")
	"${pre[@]}" daspool-agent -d $([ "${AGENT_LOG_LEVEL:-debug}" = debug ] && echo -v) -f "$T/$name/daspool-agent.conf" >>"$T/$name.log" 2>&1 &
	AGENT_PID[$name]=$!
	PIDS+=("${AGENT_PID[$name]}")
}

# slow NAME OPS DELAY_MS COUNT MATCH: the next COUNT (-1: all) calls of
# OPS (r pread, w pwrite, z fallocate) by agent NAME on files whose path
# holds MATCH each wait DELAY_MS. "slow NAME off" ends it.
slow() {
	local name=$1
	shift
	if [ "$1" = off ]; then
		set -- r 0 0 none
	fi
	echo "$*" >"$T/$name/slowio.new" && mv "$T/$name/slowio.new" "$T/$name/slowio"
}

# ms since the epoch, for timing commands.
now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}

server_is_up() {
	admin "show servers" | grep -Eq "^$1[[:space:]].*[[:space:]]up([[:space:]]|$)"
}

kill_agent() {
	kill -9 "${AGENT_PID[$1]}" 2>/dev/null
	wait "${AGENT_PID[$1]}" 2>/dev/null
}

# swarm_names N [PREFIX]: the names dsp_swarm gives its N servers.
swarm_names() {
	seq 0 $(($1 - 1)) | awk -v p="${2:-swarm}" '{ printf "%s%04d\n", p, $1 }'
}

# swarm_setup N [PREFIX]: the agent certificates of a swarm of N
# servers (tests/tools/dsp_swarm), a daspool-pki per core at a time
# (serials are random, so they do not collide).
swarm_setup() {
	local n=$1 prefix=${2:-swarm}
	[ -f "$T/pki/ca.crt" ] || pki_init
	swarm_names "$n" "$prefix" | while read -r name; do
		[ -f "$T/pki/$name.crt" ] || echo "$name"
	done | xargs -r -P "$(nproc)" -I{} \
		daspool-pki issue --dir "$T/pki" {} --role agent >/dev/null ||
		fail "swarm certificates"
}

# swarm_start N REGIONS [dsp_swarm flags]: a swarm of N servers
# (swarm0000...) on 127.20.0.1 on, all on one data port, each lending
# REGIONS (NAME:SIZE,...) and heartbeating every SWARM_HEARTBEAT
# (default 1) s; waits until all have registered.
swarm_start() {
	local n=$1 regions=$2 i
	shift 2
	swarm_setup "$n"
	[ -n "$SWARM_PORT" ] || SWARM_PORT=$(free_port)
	dsp_swarm --dir "$T/swarm" --pki "$T/pki" --count "$n" \
		--manager "$MGR_ADDR:$MGR_PORT" --port "$SWARM_PORT" \
		--regions "$regions" --heartbeat "${SWARM_HEARTBEAT:-1}" \
		--wait 100 "$@" >>"$T/swarm.log" 2>&1 &
	SWARM_PID=$!
	PIDS+=("$SWARM_PID")
	for i in $(seq 1 1100); do
		grep -q "all $n servers registered" "$T/swarm.log" && return 0
		kill -0 "$SWARM_PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "the swarm did not register: $(grep -v ': info: ' "$T/swarm.log" | tail -n 3)"
}

# lend_cycles N: borrower hostN cycles allocate/mount/write/unmount/release
# on Vol-N until $T/stop exists, adding a line to $T/cycles.N for each
# cycle that went through.
lend_cycles() {
	local b=$1
	while [ ! -f "$T/stop" ]; do
		as "host$b" allocate "Vol-$b" &&
		as "host$b" mount "Vol-$b" &&
		as "host$b" write "Vol-$b" --offset 0 --input "$T/pki/ca.crt" &&
		as "host$b" unmount "Vol-$b" &&
		as "host$b" release "Vol-$b" &&
		echo ok >>"$T/cycles.$b"
	done >/dev/null 2>&1
}

# client_conf NAME: the settings every client of NAME's certificate
# needs (the manager, the pool's CA and CRL, its key, the timeout).
client_conf() {
	cat <<CONF
manager_address = "$MGR_ADDR"
manager_port = $MGR_PORT
ca = "$T/pki/ca.crt"
cert = "$T/pki/$1.crt"
key = "$T/pki/$1.key"
$(crl_line)
timeout = ${CLIENT_TIMEOUT:-30}
CONF
}

# borrower_setup NAME: certificate, config and state dir of a borrower.
borrower_setup() {
	local name=$1
	[ -f "$T/pki/$name.crt" ] || pki_issue "$name" borrower
	mkdir -p "$T/$name/state"
	{ client_conf "$name"; echo "state_dir = \"$T/$name/state\""; } \
	    >"$T/$name/daspool.conf"
}

# backup_setup NAME: a backup certificate (role backup) and its
# daspool-backup.conf, with the library and the catalog in $T.
backup_setup() {
	local name=$1
	[ -f "$T/pki/$name.crt" ] || pki_issue "$name" backup
	mkdir -p "$T/$name"
	{ client_conf "$name"; printf 'library = "%s"\ncatalog = "%s"\n' \
	    "$T/library" "$T/catalog"; } >"$T/$name/daspool-backup.conf"
}

# as NAME ARGS...: run the daspool client as borrower NAME.
as() {
	local name=$1
	shift
	daspool -f "$T/$name/daspool.conf" "$@"
}

# expect_fail PATTERN CMD...: CMD must fail and say PATTERN on stderr.
expect_fail() {
	local pattern=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "expected failure of: $* (output: $out)"
	fi
	echo "$out" | grep -Eqi -- "$pattern" ||
		fail "error of '$*' does not say '$pattern': $out"
}

sha() {
	sha256sum "$@" | cut -d' ' -f1
}
