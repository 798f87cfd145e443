#!/usr/bin/env bash
# Says which Debian packages are missing before anything is compiled,
# one line each, instead of a compiler error about a header. pkg-config
# answers for the libraries that ship a .pc file (lmdb, libconfuse,
# cmocka); the compiler itself for mbedTLS, which ships none.
#   usage: scripts/check-deps.sh build|unit|fuzz...
#     build  the programs: the compiler, lmdb, libconfuse, mbedTLS 2.28,
#            net-snmp
#     unit   the unit tests: cmocka
#     fuzz   the fuzz harnesses: clang and its libFuzzer runtime
#   CC, CFLAGS: the compiler and extra flags (-I...); FUZZ_CC: clang
# Exit 1 when something is missing. The Makefile keeps the verdict in
# the build directory, so this runs again only when it may change.
set -u

cc=${CC:-cc}
cflags=${CFLAGS:-}
fuzz_cc=${FUZZ_CC:-clang}
missing=0

need() {
	echo "$1 is missing: run 'make deps' (or apt-get install $1)" >&2
	missing=1
}

have() {
	command -v "$1" >/dev/null 2>&1
}

# preprocesses C source from stdin with compiler $1
preprocesses() {
	# shellcheck disable=SC2086
	$1 $cflags -E -x c -o /dev/null - >/dev/null 2>&1
}

# lib PC-NAME PACKAGE HEADER...: the library of a .pc file; without
# pkg-config, its headers (included in the order given) must be found.
lib() {
	local pc=$1 package=$2 h
	shift 2
	if have pkg-config; then
		pkg-config --exists "$pc" && return 0
	else
		for h in "$@"; do echo "#include <$h>"; done |
			preprocesses "$cc" && return 0
	fi
	need "$package"
}

check_mbedtls() {
	if ! echo '#include <mbedtls/ssl.h>' | preprocesses "$cc"; then
		need libmbedtls-dev
		return
	fi
	printf '%s\n' '#include <mbedtls/version.h>' \
	    '#if MBEDTLS_VERSION_NUMBER < 0x021c0000 || MBEDTLS_VERSION_NUMBER >= 0x03000000' \
	    '#error' '#endif' | preprocesses "$cc" && return
	echo "libmbedtls-dev is not mbedTLS 2.28 (found $(echo \
	    '#include <mbedtls/version.h>
MBEDTLS_VERSION_STRING' | $cc $cflags -E -P -x c - 2>/dev/null | tail -n 1)):" \
	    "daspool is written for the 2.28 API" >&2
	missing=1
}

check_build() {
	if ! have "${cc%% *}"; then
		need gcc
		return
	fi
	have pkg-config || need pkg-config
	lib lmdb liblmdb-dev lmdb.h
	lib libconfuse libconfuse-dev confuse.h
	check_mbedtls
	# net-snmp's headers for daspool-snmp (no .pc file).
	echo '#include <net-snmp/net-snmp-config.h>' | preprocesses "$cc" ||
		need libsnmp-dev
	# libedit for daspool-sh's line editing.
	echo '#include <histedit.h>' | preprocesses "$cc" || need libedit-dev
}

check_unit() {
	lib cmocka libcmocka-dev stdarg.h stddef.h stdint.h setjmp.h cmocka.h
}

check_fuzz() {
	local version
	if ! have "$fuzz_cc"; then
		need clang
		return
	fi
	# The libFuzzer runtime comes apart from clang, one per version.
	version=$($fuzz_cc -dumpversion 2>/dev/null)
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)
	    { (void)d; (void)n; return 0; }' |
		$fuzz_cc -fsanitize=fuzzer -x c -o /dev/null - >/dev/null 2>&1 ||
		need "libclang-rt-${version%%.*}-dev"
}

[ $# -gt 0 ] || set -- build
for what in "$@"; do
	case $what in
	build|unit|fuzz) "check_$what" ;;
	*) echo "usage: $0 build|unit|fuzz..." >&2; exit 2 ;;
	esac
done
exit "$missing"
