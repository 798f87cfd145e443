#!/usr/bin/env bash
# The SMIv2 base modules (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF) that
# DASPOOL-MIB imports, from the npm package net-snmp at a pinned
# version, into DIR/base (kept: fetched once per build directory).
# Usage: mib/fetch-base.sh DIR
set -eu
VERSION=3.29.2
dir=$1/base
[ -f "$dir/.version-$VERSION" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "net-snmp@$VERSION" >/dev/null) || {
	echo "mib: cannot fetch net-snmp@$VERSION from the npm registry" >&2
	exit 1
}
tar -xzf "$tmp/net-snmp-$VERSION.tgz" -C "$tmp"
mkdir -p "$dir"
for m in SNMPv2-SMI SNMPv2-TC SNMPv2-CONF; do
	[ -f "$tmp/package/lib/mibs/$m.mib" ] || {
		echo "mib: net-snmp@$VERSION has no $m" >&2
		exit 1
	}
	cp "$tmp/package/lib/mibs/$m.mib" "$dir/"
done
touch "$dir/.version-$VERSION"
