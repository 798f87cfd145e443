#!/usr/bin/env bash
# Runs every integration test (or those named), one line per test, and a
# closing "N passed, N failed" line.
set -u
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0 skipped=0
out=$(mktemp "${TMPDIR:-/tmp}/daspool-it.XXXXXX")
trap 'rm -f "$out"' EXIT
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=("$here"/*.sh)
for t in "${tests[@]}"; do
	case "$(basename "$t")" in *functions.sh|run.sh) continue ;; esac
	start=$(date +%s)
	bash "$t" >"$out" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) passed=$((passed + 1)); echo "PASS $(basename "$t") (${secs}s)" ;;
	77) skipped=$((skipped + 1)); echo "SKIP $(basename "$t"): $(tail -n1 "$out")" ;;
	*) failed=$((failed + 1)); echo "FAIL $(basename "$t") (${secs}s)"
	   sed 's/^/    /' "$out" | tail -n 60 ;;
	esac
done
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
