#!/usr/bin/env bash
# Runs each cmocka unit test binary; prints one summary line.
set -u
passed=0 failed=0
for t in "$@"; do
	if "$t"; then
		passed=$((passed + 1))
	else
		echo "FAIL: $t"
		failed=$((failed + 1))
	fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
