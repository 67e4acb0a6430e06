#!/bin/sh
# run.sh BIN...: run every host unit test binary, then print ONE summary line
#   unit: N passed, M failed
# summed over all binaries, and exit non-zero if any test failed. Each binary
# reports "unit-result <group> <passed> <failed>" on stdout (tests/unit/unit.h);
# one that dies before reporting counts as one failure.
passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for bin in "$@"; do
    # Its lines as they come, each test's verdict beside cmocka's failure
    # details (stderr), in the order the binary wrote them.
    { "$bin" 2>&1; echo "unit-status $?"; } | tee "$out" | grep -v '^unit-\(result\|status\) '
    status=$(sed -n 's/^unit-status //p' "$out" | tail -n 1)
    result=$(grep '^unit-result ' "$out" | tail -n 1)
    if [ -z "$result" ]; then
        echo "unit: $bin exited with status $status before reporting its results"
        failed=$((failed + 1))
        continue
    fi
    passed=$((passed + $(echo "$result" | cut -d' ' -f3)))
    failed=$((failed + $(echo "$result" | cut -d' ' -f4)))
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
