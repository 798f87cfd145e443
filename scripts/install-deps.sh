#!/usr/bin/env bash
# Installs the Debian packages daspool builds and tests with, when missing.
set -eu
packages=(gcc make pkg-config liblmdb-dev lmdb-utils libmbedtls-dev
	  libconfuse-dev libcmocka-dev nbdkit libnbd-bin procps psmisc
	  iproute2 diffutils coreutils)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
