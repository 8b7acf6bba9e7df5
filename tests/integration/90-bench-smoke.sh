#!/bin/bash
# make bench keeps working: bench/run.sh --smoke runs every row with tiny
# counts (the numbers mean nothing) and must produce all five rows.
# time limit: 240
. "$(dirname "$0")/../lib/common.sh"
need_cmd stunnel4 proxychains4 python3
tmp=$(mktmp)
timeout 220 "$ROOT/bench/run.sh" --smoke > "$tmp/out" 2>&1 ||
    fail "bench/run.sh --smoke: $(tail -15 "$tmp/out")"
for row in 1 2 3 4 5; do
    grep -q "^| $row | " "$tmp/out" || fail "row $row missing: $(tail -15 "$tmp/out")"
done
note "bench smoke: $(grep -c '^| [1-5] | ' "$tmp/out") rows"
