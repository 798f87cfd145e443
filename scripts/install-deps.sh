#!/usr/bin/env bash
# Installs the Debian packages daspool builds, tests and fuzzes with,
# when missing (npm only fetches the base MIB modules: mib/fetch-base.sh). Debian 12: clang is clang 14, whose libFuzzer runtime
# comes apart in libclang-rt-14-dev.
set -eu
packages=(gcc make pkg-config liblmdb-dev lmdb-utils libmbedtls-dev
	  libconfuse-dev libcmocka-dev nbdkit libnbd-bin procps psmisc
	  iproute2 diffutils coreutils clang libclang-rt-14-dev smitools
	  snmpd snmp snmptrapd libsnmp-dev libedit-dev expect openssh-server
	  openssh-client qemu-utils nbd-client fuse3 e2fsprogs mount fio)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
# npm, from Debian unless the machine has one of its own.
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
